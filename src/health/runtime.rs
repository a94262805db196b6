//! The prober's own threads, at a lower CPU priority than the threads that answer.
//!
//! Probes are background work: when a core is busy, a query waiting on it should run
//! before a probe. On Linux a thread woken on a busy core waits for the running one to
//! be preempted, and with both at the same priority that can take a scheduler tick
//! (4 ms at `HZ=250`): a busy loop pinned beside the answering thread raised the DNS p99
//! at 20,000 q/s from 0.08 ms to 4.0–4.5 ms, and at nice +10 only to 0.13 ms.
//!
//! Measured on a core shared by the answering thread and 10,000 TCP checks a second
//! (the `bench/run.sh prober` setup, 4 interleaved rounds each): DNS p99 3.7–4.2 ms with
//! the probes at the answers' priority, 2.6–3.1 ms at nice +10 (p50 87–138 against
//! 42–75 µs), 0.69–0.91 ms at nice +19.
//!
//! Nice +10 rather than +19: on a core that queries keep busy, a thread at +19 gets
//! about 1.5 % of it and one at +10 about a tenth. A connect-only TCP check just runs
//! late there (the kernel completes the handshake, and a result that is ready when the
//! timeout fires is taken first), but a check of several steps (HTTP(S), TCP
//! send/expect) needs the thread between them and could time out, taking healthy
//! backends out in the middle of a flood of queries.

use std::io;
use tokio::runtime::{Builder, Runtime};

/// How much lower than the process's own priority probe threads run (`nice(2)`).
pub const PROBE_NICE: i32 = 10;

/// Builds the runtime that probes run on: its threads are named `rrdns-probe` and run
/// [`PROBE_NICE`] below the thread that builds it.
pub fn build() -> io::Result<Runtime> {
    Builder::new_multi_thread()
        .thread_name("rrdns-probe")
        .on_thread_start(lower_priority)
        .enable_all()
        .build()
}

/// Lowers the calling thread's priority. Linux keeps a nice value per thread, and
/// `nice(2)` changes only the caller's; raising the value (lowering the priority) needs
/// no privilege. It can fail only where a sandbox forbids it, and then probes run at
/// the answers' priority, as before.
fn lower_priority() {
    // SAFETY: nice() has no memory effects.
    unsafe { libc::nice(PROBE_NICE) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_nice() -> i32 {
        // SAFETY: getpriority() has no memory effects; who = 0 is the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[test]
    fn probe_threads_run_below_the_caller() {
        let before = own_nice();
        let rt = build().unwrap();
        let (nice, name) = rt.block_on(async {
            tokio::spawn(async { (own_nice(), std::thread::current().name().map(String::from)) })
                .await
                .unwrap()
        });
        assert_eq!(nice, (before + PROBE_NICE).min(19));
        assert_eq!(name.as_deref(), Some("rrdns-probe"));
        assert_eq!(own_nice(), before, "the caller's own priority is unchanged");
    }
}
