//! Served shares over a recent window: which address led the answers in the last minute,
//! not since the last reload (a drain or an outage an hour ago no longer skews them).
//! The answer counters only grow; a sample of them is kept every [`EVERY`], and a share
//! is the growth since the oldest sample within [`WINDOW`].

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hickory_proto::rr::Name;

use crate::zone::ZoneSet;

/// How far back shares look.
pub const WINDOW: Duration = Duration::from_secs(60);
/// How often the counters are sampled.
pub const EVERY: Duration = Duration::from_secs(5);

/// A balanced RRset: its owner and its addresses (a reload that changes them starts anew).
type Key = (Name, Vec<IpAddr>);

struct Sample {
    at: Instant,
    counts: HashMap<Key, Vec<u64>>,
}

#[derive(Default)]
pub struct Shares {
    samples: Mutex<VecDeque<Sample>>,
}

fn counts(zones: &ZoneSet) -> HashMap<Key, Vec<u64>> {
    (zones.balanced())
        .map(|(name, _, plan)| {
            let c = plan
                .served
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect();
            ((name, plan.addrs.clone()), c)
        })
        .collect()
}

impl Shares {
    /// Takes a sample now and forgets those older than the window.
    pub fn sample(&self, zones: &ZoneSet) {
        let now = Instant::now();
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        s.push_back(Sample {
            at: now,
            counts: counts(zones),
        });
        while s.front().is_some_and(|f| now.duration_since(f.at) > WINDOW) {
            s.pop_front();
        }
    }

    /// The counts of `owner`'s RRset with `addrs` at the start of the window, and how long
    /// ago that was; `None` when there is no sample of it (then shares count since the
    /// reload that made it).
    pub fn base(&self, owner: &Name, addrs: &[IpAddr]) -> Option<(Vec<u64>, Duration)> {
        let s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let key = (owner.clone(), addrs.to_vec());
        s.iter()
            .find_map(|sample| Some((sample.counts.get(&key)?.clone(), sample.at.elapsed())))
    }
}

/// Each address's share of `now` counts since `base` (all of them without a base, or
/// when the counters were reset since).
pub fn window_shares(now: &[u64], base: Option<&[u64]>) -> Vec<f64> {
    let delta: Vec<u64> = match base {
        Some(b) if b.len() == now.len() && b.iter().zip(now).all(|(b, n)| b <= n) => {
            now.iter().zip(b).map(|(n, b)| n - b).collect()
        }
        _ => now.to_vec(),
    };
    let total: u64 = delta.iter().sum();
    delta
        .iter()
        .map(|&d| {
            if total == 0 {
                0.0
            } else {
                d as f64 / total as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_count_the_growth_since_the_window_began() {
        // Since start: 100 and 100; in the window: 0 and 30 → all the second.
        assert_eq!(window_shares(&[100, 130], Some(&[100, 100])), [0.0, 1.0]);
        assert_eq!(window_shares(&[3, 1], None), [0.75, 0.25]);
        // Counters reset (a reload): everything counts.
        assert_eq!(window_shares(&[1, 1], Some(&[5, 5])), [0.5, 0.5]);
        assert_eq!(window_shares(&[0, 0], None), [0.0, 0.0]);
    }
}
