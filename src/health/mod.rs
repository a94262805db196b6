//! Health: probing backends and taking failed or drained addresses out of answers.
//!
//! Three pieces, after pingora's health checks: [`check`] says how to probe, [`state`]
//! what results mean (rise/fall), [`prober`] when to probe; probes run on threads of
//! their own below the answers' priority ([`runtime`]). The query path sees only a
//! [`Snapshot`], rebuilt on every transition or drain change and swapped in whole.

pub mod check;
pub mod drain;
pub mod prober;
pub mod runtime;
pub mod state;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::balance::HealthView;

pub use drain::Drains;
pub use prober::Prober;

/// What the query path needs to know: drained addresses, and the addresses each check
/// finds down.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub drained: HashSet<IpAddr>,
    pub down: HashMap<Arc<str>, HashSet<IpAddr>>,
    /// Addresses that came back (up again, or undrained) in the last
    /// [`prober::RECOVERY_MEMORY`], and when: slow start ramps them in.
    pub recovering: HashMap<IpAddr, Instant>,
}

impl HealthView for Snapshot {
    fn up_for(&self, addr: &IpAddr) -> Option<Duration> {
        if self.recovering.is_empty() {
            return None;
        }
        self.recovering.get(addr).map(Instant::elapsed)
    }

    fn all_serving(&self) -> bool {
        self.drained.is_empty() && self.down.is_empty()
    }

    fn serving(&self, check: Option<&str>, addr: &IpAddr) -> bool {
        // The common case (nothing down, nothing drained) costs no hashing.
        if self.all_serving() {
            return true;
        }
        if self.drained.contains(addr) {
            return false;
        }
        match check.and_then(|c| self.down.get(c)) {
            Some(down) => !down.contains(addr),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drained_and_down_addresses_are_not_served() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let mut s = Snapshot::default();
        assert!(s.serving(Some("web"), &a));
        assert!(s.all_serving());
        s.down.insert(Arc::from("web"), [a].into());
        assert!(!s.all_serving());
        assert!(!s.serving(Some("web"), &a));
        assert!(s.serving(Some("other"), &a), "down under one check only");
        assert!(s.serving(None, &a));
        s.drained.insert(b);
        assert!(!s.serving(None, &b));
    }
}
