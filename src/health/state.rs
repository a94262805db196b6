//! What probe results mean: rise/fall damping for one target, as pure logic.
//!
//! A target goes down after `fall` consecutive failures and comes back after `rise`
//! consecutive successes; a single result never flips it (the damping users of other
//! balancers ask for, e.g. PowerDNS #7469).

use std::time::{Duration, Instant};

use super::check::ProbeError;

/// The state of one probed target (one address under one check).
#[derive(Debug, Clone)]
pub struct TargetState {
    pub up: bool,
    /// Consecutive results that disagree with `up`.
    streak: u32,
    pub probes: u64,
    /// Probes that failed, of `probes`.
    pub failures: u64,
    /// When `up` last changed (or the target was created).
    pub since: Instant,
    /// When the target last came back up (not set by its initial state): slow start
    /// ramps its share from then.
    pub came_up: Option<Instant>,
    /// The last result: `None` before the first probe; `Ok(latency)` or `Err(reason)`.
    pub last: Option<Result<Duration, ProbeError>>,
}

/// A change of state, to log and count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub up: bool,
    pub reason: String,
}

impl TargetState {
    pub fn new(initial_up: bool, now: Instant) -> TargetState {
        TargetState {
            up: initial_up,
            streak: 0,
            probes: 0,
            failures: 0,
            since: now,
            came_up: None,
            last: None,
        }
    }

    /// Records one probe result; returns the transition if the state flipped.
    pub fn record(
        &mut self,
        result: Result<Duration, ProbeError>,
        rise: u32,
        fall: u32,
        now: Instant,
    ) -> Option<Transition> {
        self.probes += 1;
        let ok = result.is_ok();
        self.failures += u64::from(!ok);
        let reason = match &result {
            Ok(d) => format!("ok in {} ms", d.as_millis()),
            Err(e) => e.to_string(),
        };
        self.last = Some(result);
        if ok == self.up {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if ok { rise } else { fall };
        if self.streak < needed.max(1) {
            return None;
        }
        self.up = ok;
        self.streak = 0;
        self.since = now;
        if ok {
            self.came_up = Some(now);
        }
        Some(Transition { up: ok, reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Result<Duration, ProbeError> {
        Ok(Duration::from_millis(3))
    }
    fn bad() -> Result<Duration, ProbeError> {
        Err(ProbeError::Status(500))
    }

    #[test]
    fn goes_down_after_fall_failures_and_up_after_rise_successes() {
        let t0 = Instant::now();
        let mut s = TargetState::new(true, t0);
        assert_eq!(s.record(bad(), 2, 3, t0), None);
        assert_eq!(s.record(bad(), 2, 3, t0), None);
        let tr = s.record(bad(), 2, 3, t0).expect("down after 3");
        assert!(!tr.up && tr.reason == "status 500");
        assert_eq!(s.record(ok(), 2, 3, t0), None);
        assert!(s.record(ok(), 2, 3, t0).expect("up after 2").up);
    }

    #[test]
    fn a_good_result_resets_the_failure_streak() {
        let t0 = Instant::now();
        let mut s = TargetState::new(true, t0);
        for _ in 0..10 {
            assert_eq!(s.record(bad(), 2, 3, t0), None);
            assert_eq!(s.record(bad(), 2, 3, t0), None);
            assert_eq!(s.record(ok(), 2, 3, t0), None);
        }
        assert!(s.up);
    }

    #[test]
    fn initial_down_needs_rise_successes() {
        let t0 = Instant::now();
        let mut s = TargetState::new(false, t0);
        assert_eq!(s.record(ok(), 2, 3, t0), None);
        assert!(s.record(ok(), 2, 3, t0).is_some());
        assert_eq!(s.probes, 2);
    }
}
