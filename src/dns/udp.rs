//! UDP: one `SO_REUSEPORT` socket per core on each listen address, each served by its own
//! OS thread with a reused receive buffer, so the kernel spreads datagrams across cores.
//!
//! Dedicated threads rather than async tasks: a datagram never waits behind the prober's or
//! the admin server's tasks on the runtime, and a blocking receive costs no epoll round.
//!
//! The receive blocks with no timeout. A timeout (`SO_RCVTIMEO`) would arm and cancel a
//! kernel timer on every sleep, and at a moderate rate the thread sleeps about once per
//! query; stop is signalled instead by shutting the socket's receive side, which wakes
//! the blocked receive ([`spawn`]).

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::batch::{BATCH, Batch};
use super::{Engine, Transport};

/// Binds `count` UDP sockets sharing `addr` (port 0 picks one port for all of them).
pub fn bind(addr: SocketAddr, count: usize) -> io::Result<Vec<UdpSocket>> {
    let mut out = Vec::with_capacity(count);
    let mut addr = addr;
    for _ in 0..count.max(1) {
        let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        if addr.is_ipv6() {
            s.set_only_v6(true)?;
        }
        s.set_reuse_port(true)?;
        // Room for bursts: the default receive buffer drops datagrams under load.
        let _ = s.set_recv_buffer_size(4 << 20);
        ignore_path_mtu(&s, addr.is_ipv6());
        s.bind(&addr.into())?;
        let sock: UdpSocket = s.into();
        addr = sock.local_addr()?;
        out.push(sock);
    }
    Ok(out)
}

/// Ignores path MTU information on answers, as NSD and Knot do: an ICMP "fragmentation
/// needed" can be forged to make a server fragment its answers, which opens them to
/// fragment-injection attacks on resolvers (RFC 9715 §1). Answers fit 1232 bytes (DNS
/// Flag Day 2020), below the MTU of common links, so they go out whole. It also spares a
/// route MTU lookup per datagram. Best effort: an old kernel without `*_PMTUDISC_OMIT`
/// keeps its default.
fn ignore_path_mtu(s: &Socket, v6: bool) {
    let (level, name, value) = if v6 {
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_OMIT,
        )
    } else {
        (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_OMIT,
        )
    };
    // SAFETY: a valid socket and a c_int option value of the right size.
    let _ = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

/// Serves `sock` on a thread of its own until `stop` is cancelled. On cancellation a task
/// raises the thread's flag, then shuts the socket's receive side: Linux wakes a receive
/// blocked on it (`inet_shutdown` wakes the socket's waiters even for an unconnected UDP
/// socket), and the thread sees the flag and returns. The task holds the socket until
/// then, so the descriptor it shuts cannot have been closed and reused.
pub fn spawn(sock: UdpSocket, engine: Arc<Engine>, stop: CancellationToken, tracker: &TaskTracker) {
    let sock = Arc::new(sock);
    let stopped = Arc::new(AtomicBool::new(false));
    let (s, flag) = (sock.clone(), stopped.clone());
    tracker.spawn(async move {
        stop.cancelled().await;
        flag.store(true, Ordering::Release);
        // SAFETY: `s` keeps the descriptor open. Linux reports ENOTCONN for an
        // unconnected socket, yet marks it shut and wakes its readers.
        unsafe { libc::shutdown(s.as_raw_fd(), libc::SHUT_RD) };
    });
    tracker.spawn_blocking(move || serve(&sock, &engine, &stopped));
}

/// Answers datagrams on `sock` until `stopped` is raised. Datagrams are taken and
/// answered in batches ([`super::batch`]).
fn serve(sock: &UdpSocket, engine: &Engine, stopped: &AtomicBool) {
    let mut batch = Batch::default();
    // Answer buffers and the datagram each answers, reused batch after batch.
    let mut outs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(1232)).collect();
    let mut from: Vec<usize> = Vec::with_capacity(BATCH);
    loop {
        // Errors (a signal, say) are retried; a receive woken by the stop shutdown finds
        // the flag raised.
        let n = batch.recv(sock);
        if stopped.load(Ordering::Acquire) {
            return;
        }
        let Ok(n) = n else { continue };
        from.clear();
        let now = engine.current();
        for i in 0..n {
            let (query, peer) = batch.datagram(i);
            let Some(peer) = peer else { continue };
            let out = &mut outs[from.len()];
            if engine.handle_with(&now, query, Transport::Udp, peer.ip(), out) {
                from.push(i);
            }
        }
        drop(now);
        batch.send(sock, &from, &outs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(sock: &UdpSocket, level: i32, name: i32) -> i32 {
        let mut value: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid socket and room for a c_int.
        let r = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                level,
                name,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(r, 0);
        value
    }

    /// The receive blocks with no timeout, so only the shutdown of the socket's receive
    /// side can end the thread: without it the thread is still blocked after 5 s, and the
    /// test fails (the runtime then leaves the thread behind rather than wait for it).
    #[test]
    fn stop_wakes_a_receive_that_has_no_timeout() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sock = bind("127.0.0.1:0".parse().unwrap(), 1).unwrap().remove(0);
        assert_eq!(sock.read_timeout().unwrap(), None);
        let addr = sock.local_addr().unwrap();
        let (stop, tracker) = (CancellationToken::new(), TaskTracker::new());
        let engine = Arc::new(Engine::new(Default::default()));
        let ended = rt.block_on(async {
            spawn(sock, engine, stop.clone(), &tracker);
            // The thread is serving: a datagram too short for a header gets no answer
            // but is taken. Then stop, and the thread must end promptly.
            let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            client.send_to(b"short", addr).unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            stop.cancel();
            tracker.close();
            let wait = tracker.wait();
            tokio::time::timeout(std::time::Duration::from_secs(5), wait).await
        });
        // A thread still blocked is left behind rather than waited for.
        rt.shutdown_timeout(std::time::Duration::from_millis(10));
        assert!(ended.is_ok(), "the UDP thread did not stop");
    }

    #[test]
    fn sockets_share_a_port_and_ignore_path_mtu() {
        let socks = bind("127.0.0.1:0".parse().unwrap(), 2).unwrap();
        assert_eq!(socks.len(), 2);
        assert_eq!(
            socks[0].local_addr().unwrap(),
            socks[1].local_addr().unwrap()
        );
        let v = option(&socks[0], libc::IPPROTO_IP, libc::IP_MTU_DISCOVER);
        assert_eq!(v, libc::IP_PMTUDISC_OMIT);
        let v6 = bind("[::1]:0".parse().unwrap(), 1).unwrap();
        let v = option(&v6[0], libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER);
        assert_eq!(v, libc::IPV6_PMTUDISC_OMIT);
    }
}
