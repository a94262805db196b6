//! Quiet logs under attack: events that a remote party can cause at will (malformed
//! packets, refused NOTIFYs, refused transfers) are logged at most once per kind per
//! [`WINDOW`], and the rest counted. At the end of each window a summary line says how
//! many more there were ("dropped 19,999 more malformed requests in the last 10 s"), and
//! the totals are in `/metrics`. Each kind is a pair of atomics: no lock, no allocation.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The process's counts: logging is process-wide too.
static NOISE: LazyLock<Noise> = LazyLock::new(Noise::default);

/// The process's counts.
pub fn global() -> &'static Noise {
    &NOISE
}

/// At most one line per kind in this long.
pub const WINDOW: Duration = Duration::from_secs(10);

/// The kinds of remotely caused events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A request that could not be parsed, answered FORMERR or dropped.
    Malformed,
    /// A NOTIFY from an address that is not a primary of the zone, or badly signed.
    NotifyRefused,
    /// A NOTIFY accepted from a primary.
    NotifyAccepted,
    /// A transfer request refused (not allowed, bad key, too many at once).
    TransferRefused,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Malformed,
        Kind::NotifyRefused,
        Kind::NotifyAccepted,
        Kind::TransferRefused,
    ];

    /// The label in `/metrics` and the summary line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Malformed => "malformed",
            Kind::NotifyRefused => "notify_refused",
            Kind::NotifyAccepted => "notify_accepted",
            Kind::TransferRefused => "transfer_refused",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Malformed => "malformed requests",
            Kind::NotifyRefused => "refused NOTIFYs",
            Kind::NotifyAccepted => "accepted NOTIFYs",
            Kind::TransferRefused => "refused transfer requests",
        }
    }
}

#[derive(Default)]
struct Counts {
    total: AtomicU64,
    /// Events not logged since the last line.
    quiet: AtomicU64,
    /// When the last line was logged, in ms since the epoch plus one (0: never).
    logged: AtomicU64,
}

/// The per-kind counts.
pub struct Noise {
    epoch: Instant,
    counts: [Counts; Kind::ALL.len()],
}

impl Default for Noise {
    fn default() -> Noise {
        Noise {
            epoch: Instant::now(),
            counts: Default::default(),
        }
    }
}

impl Noise {
    /// Counts one event; true when it may be logged in full (the first in its window).
    pub fn allow(&self, kind: Kind) -> bool {
        let c = &self.counts[kind as usize];
        c.total.fetch_add(1, Ordering::Relaxed);
        let now = self.epoch.elapsed().as_millis() as u64 + 1;
        let last = c.logged.load(Ordering::Relaxed);
        let window = WINDOW.as_millis() as u64;
        if (last == 0 || now >= last + window)
            && c.logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return true;
        }
        c.quiet.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Events of `kind` so far, logged or not.
    pub fn total(&self, kind: Kind) -> u64 {
        self.counts[kind as usize].total.load(Ordering::Relaxed)
    }

    /// Logs one summary line per kind with events left unlogged, and starts counting
    /// again; called once per [`WINDOW`].
    pub fn summarize(&self) {
        for kind in Kind::ALL {
            let n = self.counts[kind as usize].quiet.swap(0, Ordering::Relaxed);
            if n > 0 {
                tracing::warn!(
                    kind = kind.name(),
                    count = n,
                    "{n} more {} in the last {} s, not logged one by one",
                    kind.what(),
                    WINDOW.as_secs()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_window_and_every_event_counted() {
        let n = Noise::default();
        let allowed = (0..20_000).filter(|_| n.allow(Kind::Malformed)).count();
        assert_eq!(allowed, 1);
        assert_eq!(n.total(Kind::Malformed), 20_000);
        assert_eq!(n.counts[0].quiet.load(Ordering::Relaxed), 19_999);
        n.summarize();
        assert_eq!(n.counts[0].quiet.load(Ordering::Relaxed), 0);
        // Other kinds have windows of their own.
        assert!(n.allow(Kind::NotifyRefused));
        assert!(!n.allow(Kind::NotifyRefused));
    }
}
