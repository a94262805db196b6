//! When to probe: one task per target (an address under a check) at a fixed interval with
//! a random phase spread over the interval, bounded concurrency, and a new [`Snapshot`]
//! published after every transition or drain change. Targets are reconciled on reload:
//! removed ones stop, new ones start, unchanged ones keep their state.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use super::check::ProbeError;
use super::drain::Drain;
use super::state::TargetState;
use super::{Drains, Snapshot};
use crate::config::CheckConfig;
use crate::problem::FileError;

/// At most this many probes run at once; a hanging backend holds one slot for at most
/// its timeout, so it never delays the others for long.
pub const MAX_CONCURRENT_PROBES: usize = 256;

/// One thing to probe.
#[derive(Debug, Clone)]
pub struct Target {
    pub check: Arc<CheckConfig>,
    pub addr: IpAddr,
}

/// What a probe gives: its latency, or why it failed.
pub type ProbeResult = Result<Duration, ProbeError>;

/// A probe function: the real one is [`super::check::Checker::probe`]; tests inject fakes.
pub type ProbeFn = Arc<
    dyn Fn(Arc<CheckConfig>, IpAddr) -> Pin<Box<dyn Future<Output = ProbeResult> + Send>>
        + Send
        + Sync,
>;

/// A target's state, as shown on the status page.
#[derive(Debug, Clone)]
pub struct TargetInfo {
    pub check: Arc<str>,
    pub cfg: Arc<CheckConfig>,
    pub addr: IpAddr,
    pub state: TargetState,
}

/// Probe counters for `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct ProbeStats {
    /// Per check: counts per bucket of [`LATENCY_BUCKETS`] (+Inf last), sum, count.
    pub latency: BTreeMap<Arc<str>, (Vec<u64>, f64, u64)>,
    /// Per (check, address, new state): transitions.
    pub transitions: BTreeMap<(Arc<str>, IpAddr, bool), u64>,
}

/// How long a transition waits for others to publish with: small beside a check's
/// interval × fall (seconds), long enough that a storm of transitions builds a few
/// snapshots rather than one each.
pub const PUBLISH_DELAY: Duration = Duration::from_millis(10);

/// Histogram buckets of probe duration, seconds.
pub const LATENCY_BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

type Key = (Arc<str>, IpAddr);

struct Entry {
    cfg: Arc<CheckConfig>,
    state: TargetState,
    stop: CancellationToken,
}

/// Owns the probe tasks and the health state.
pub struct Prober {
    probe: ProbeFn,
    entries: Mutex<BTreeMap<Key, Entry>>,
    drains: Drains,
    publish: Box<dyn Fn(Snapshot) + Send + Sync>,
    limit: Semaphore,
    tracker: TaskTracker,
    /// Where probe tasks run: threads of their own in the server ([`super::runtime`]).
    runtime: Handle,
    stats: Mutex<ProbeStats>,
    /// A transition is not yet in the published snapshot: a publish is scheduled
    /// ([`Prober::publish_soon`]). Raised and cleared with the entries locked.
    publish_pending: AtomicBool,
    /// When addresses were undrained, for slow start.
    undrained: Mutex<HashMap<IpAddr, Instant>>,
}

/// How long an address that came back is remembered for slow start: the longest
/// `slow_start` a pool may have.
pub const RECOVERY_MEMORY: Duration = Duration::from_secs(3600);

impl Prober {
    pub fn new(
        probe: ProbeFn,
        drains: Drains,
        publish: Box<dyn Fn(Snapshot) + Send + Sync>,
        tracker: TaskTracker,
        runtime: Handle,
    ) -> Arc<Prober> {
        let p = Arc::new(Prober {
            probe,
            entries: Mutex::new(BTreeMap::new()),
            drains,
            publish,
            limit: Semaphore::new(MAX_CONCURRENT_PROBES),
            tracker,
            runtime,
            stats: Mutex::new(ProbeStats::default()),
            publish_pending: AtomicBool::new(false),
            undrained: Mutex::default(),
        });
        p.publish();
        p
    }

    /// Makes the running targets match `targets`.
    pub fn reconfigure(self: &Arc<Self>, targets: Vec<Target>) {
        let mut wanted: HashMap<Key, Target> = HashMap::new();
        for t in targets {
            // Probed once even when several pools share an address and check.
            wanted.insert((t.check.name.clone(), t.addr), t);
        }
        let mut entries = self.lock();
        entries.retain(|k, e| {
            let keep = wanted.get(k).is_some_and(|t| t.check == e.cfg);
            if !keep {
                e.stop.cancel();
            }
            keep
        });
        let now = Instant::now();
        for (key, t) in wanted {
            if entries.contains_key(&key) {
                continue;
            }
            let stop = CancellationToken::new();
            entries.insert(
                key.clone(),
                Entry {
                    cfg: t.check.clone(),
                    state: TargetState::new(t.check.initial_up, now),
                    stop: stop.clone(),
                },
            );
            let me = self.clone();
            self.tracker.spawn_on(
                async move { me.run(key, t.check, stop).await },
                &self.runtime,
            );
        }
        drop(entries);
        self.publish();
    }

    /// Stops every probe task.
    pub fn stop(&self) {
        for e in self.lock().values() {
            e.stop.cancel();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run(self: Arc<Self>, key: Key, cfg: Arc<CheckConfig>, stop: CancellationToken) {
        // A random phase over the whole interval: targets probe evenly spread rather than
        // in a burst. With phases within a tenth of the interval, 10,000 targets at 1 s
        // probed in one 100 ms burst a second, and the DNS p99 on the same core was 3.7–3.9 ms
        // against 0.3–0.7 ms without probes; spread, 1.6–2.6 ms (`bench/run.sh prober`).
        let phase = cfg.interval.mul_f64(fastrand::f64());
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + cfg.interval - phase,
            cfg.interval,
        );
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let result = tokio::select! {
                r = self.probe_once(&cfg, key.1) => r,
                _ = stop.cancelled() => return,
            };
            self.record(&key, &cfg, result);
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.cancelled() => return,
            }
        }
    }

    async fn probe_once(&self, cfg: &Arc<CheckConfig>, addr: IpAddr) -> ProbeResult {
        let Ok(_permit) = self.limit.acquire().await else {
            return Err(ProbeError::Stopped);
        };
        (self.probe)(cfg.clone(), addr).await
    }

    fn record(self: &Arc<Self>, key: &Key, cfg: &CheckConfig, result: ProbeResult) {
        let latency = result.as_ref().ok().copied();
        let (transition, schedule) = {
            let mut entries = self.lock();
            let Some(e) = entries.get_mut(key) else {
                return;
            };
            let t = e.state.record(result, cfg.rise, cfg.fall, Instant::now());
            // Raised under the lock that the publish clears it under: a transition that
            // finds it raised is read by the publish already pending.
            let schedule = t.is_some() && !self.publish_pending.swap(true, Ordering::SeqCst);
            (t, schedule)
        };
        self.count(key, latency, transition.as_ref().map(|t| t.up));
        if let Some(t) = transition {
            let (check, addr) = key;
            if t.up {
                info!(%addr, %check, reason = %t.reason, "backend up");
            } else {
                warn!(%addr, %check, reason = %t.reason, "backend down");
            }
        }
        if schedule {
            self.publish_soon();
        }
    }

    /// Publishes [`PUBLISH_DELAY`] from now, on a task of its own, for a transition and
    /// every other that comes meanwhile. A publish reads every target, so one per
    /// transition was quadratic in a storm: 10,000 targets failing at once (a switch, a
    /// rack) took 8.7 s and 10,002 publishes to be all out of answers, every probe task
    /// queued on the entries' lock meanwhile; now about 0.1 s and 6 publishes.
    fn publish_soon(self: &Arc<Self>) {
        let me = self.clone();
        self.tracker.spawn_on(
            async move {
                tokio::time::sleep(PUBLISH_DELAY).await;
                me.publish();
            },
            &self.runtime,
        );
    }

    fn count(&self, key: &Key, latency: Option<Duration>, transition: Option<bool>) {
        let mut s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = latency {
            let secs = l.as_secs_f64();
            let h = s
                .latency
                .entry(key.0.clone())
                .or_insert_with(|| (vec![0; LATENCY_BUCKETS.len() + 1], 0.0, 0));
            let i = LATENCY_BUCKETS
                .iter()
                .position(|b| secs <= *b)
                .unwrap_or(LATENCY_BUCKETS.len());
            h.0[i] += 1;
            h.1 += secs;
            h.2 += 1;
        }
        if let Some(up) = transition {
            *s.transitions.entry((key.0.clone(), key.1, up)).or_default() += 1;
        }
    }

    /// Builds and publishes the snapshot the query path reads. The entries stay locked
    /// until it is stored: two publishes cannot interleave, so the one stored last was
    /// built last. Otherwise a publish built before a transition could be stored after
    /// that transition's own, and the query path would keep the older health until the
    /// next transition, which may never come. It reads every transition so far, so it
    /// also stands for any publish pending ([`Prober::publish_soon`]).
    pub fn publish(&self) {
        let entries = self.lock();
        self.publish_pending.store(false, Ordering::SeqCst);
        let mut down: HashMap<Arc<str>, HashSet<IpAddr>> = HashMap::new();
        for ((check, addr), e) in entries.iter() {
            if !e.state.up {
                down.entry(check.clone()).or_default().insert(*addr);
            }
        }
        let drained = self.drains.list().into_iter().collect();
        let now = Instant::now();
        let recent = |t: &Instant| now.duration_since(*t) < RECOVERY_MEMORY;
        let mut undrained = self.undrained.lock().unwrap_or_else(|p| p.into_inner());
        undrained.retain(|_, t| recent(t));
        let mut recovering: HashMap<IpAddr, Instant> = undrained.clone();
        for ((_, addr), e) in entries.iter() {
            if let Some(t) = e.state.came_up.filter(|t| e.state.up && recent(t)) {
                let at = recovering.entry(*addr).or_insert(t);
                *at = (*at).max(t);
            }
        }
        drop(undrained);
        (self.publish)(Snapshot {
            drained,
            down,
            recovering,
        });
        drop(entries);
    }

    /// Drains (`Some`) or undrains an address (persisted), then publishes.
    pub fn set_drain(&self, addr: IpAddr, drain: Option<Drain>) -> Result<bool, FileError> {
        let reason = drain.as_ref().and_then(|d| d.reason.clone());
        let drained = drain.is_some();
        let changed = self.drains.set(addr, drain)?;
        if changed && !drained {
            let mut undrained = self.undrained.lock().unwrap_or_else(|p| p.into_inner());
            undrained.insert(addr, Instant::now());
        }
        if changed {
            info!(%addr, drained, reason, "drain changed");
            self.publish();
        }
        Ok(changed)
    }

    /// Ends the drains whose time is up, then publishes if any ended.
    pub fn expire_drains(&self) {
        match self.drains.expire(super::drain::unix_now()) {
            Ok(done) if !done.is_empty() => {
                let mut undrained = self.undrained.lock().unwrap_or_else(|p| p.into_inner());
                for addr in &done {
                    undrained.insert(*addr, Instant::now());
                }
                drop(undrained);
                for addr in &done {
                    info!(%addr, "drain ended: its time is up");
                }
                self.publish();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot end expired drains: {e}"),
        }
    }

    pub fn drained(&self) -> std::collections::BTreeSet<IpAddr> {
        self.drains.list()
    }

    /// The drains with their reasons and times.
    pub fn drain_details(&self) -> std::collections::BTreeMap<IpAddr, Drain> {
        self.drains.details()
    }

    /// True once every target has been probed at least once and what the probes found is
    /// in the published snapshot, so that answers reflect it.
    pub fn first_round_done(&self) -> bool {
        let entries = self.lock();
        entries.values().all(|e| e.state.probes > 0) && !self.publish_pending.load(Ordering::SeqCst)
    }

    pub fn targets(&self) -> Vec<TargetInfo> {
        self.lock()
            .iter()
            .map(|((check, addr), e)| TargetInfo {
                check: check.clone(),
                cfg: e.cfg.clone(),
                addr: *addr,
                state: e.state.clone(),
            })
            .collect()
    }

    pub fn stats(&self) -> ProbeStats {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn cfg(interval_ms: u64, rise: u32, fall: u32) -> CheckConfig {
        let interval = Duration::from_millis(interval_ms);
        CheckConfig {
            rise,
            fall,
            ..CheckConfig::tcp(1, interval, interval / 2)
        }
    }

    struct Fake {
        healthy: Arc<AtomicBool>,
        calls: Arc<AtomicUsize>,
        /// Each probe's address and (paused) time.
        probes: Arc<Mutex<Vec<(IpAddr, tokio::time::Instant)>>>,
        down_seen: Arc<Mutex<Vec<(tokio::time::Instant, bool)>>>,
    }

    fn fake(tracker: &TaskTracker) -> (Arc<Prober>, Fake) {
        let healthy = Arc::new(AtomicBool::new(true));
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let probes = Arc::new(Mutex::new(Vec::new()));
        let (h, c, log) = (healthy.clone(), calls.clone(), probes.clone());
        let probe: ProbeFn = Arc::new(move |_, addr| {
            c.fetch_add(1, Ordering::SeqCst);
            log.lock()
                .unwrap()
                .push((addr, tokio::time::Instant::now()));
            let ok = h.load(Ordering::SeqCst);
            Box::pin(async move {
                if ok {
                    Ok(Duration::from_millis(1))
                } else {
                    Err(ProbeError::Status(500))
                }
            })
        });
        let s2 = seen.clone();
        let publish = Box::new(move |snap: Snapshot| {
            let down = snap.down.values().any(|d| !d.is_empty());
            s2.lock().unwrap().push((tokio::time::Instant::now(), down));
        });
        let dir = tempfile::tempdir().unwrap();
        let drains = Drains::load(dir.path()).unwrap();
        let p = Prober::new(probe, drains, publish, tracker.clone(), Handle::current());
        (
            p,
            Fake {
                healthy,
                calls,
                probes,
                down_seen: seen,
            },
        )
    }

    fn target(c: CheckConfig) -> Target {
        Target {
            check: Arc::new(c),
            addr: "192.0.2.1".parse().unwrap(),
        }
    }

    /// Probes run on the runtime the prober is given (the server's low-priority one),
    /// not on the runtime that configures it.
    #[tokio::test]
    async fn probes_run_on_the_runtime_given() {
        let probes = crate::health::runtime::build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = Mutex::new(tx);
        let probe: ProbeFn = Arc::new(move |_, _| {
            let name = std::thread::current().name().map(String::from);
            let _ = tx.lock().unwrap().send(name);
            Box::pin(async { Ok(Duration::from_millis(1)) })
        });
        let dir = tempfile::tempdir().unwrap();
        let tracker = TaskTracker::new();
        let p = Prober::new(
            probe,
            Drains::load(dir.path()).unwrap(),
            Box::new(|_| {}),
            tracker.clone(),
            probes.handle().clone(),
        );
        p.reconfigure(vec![target(cfg(100, 1, 1))]);
        let name = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(5)))
            .await
            .unwrap();
        assert_eq!(name.unwrap().as_deref(), Some("rrdns-probe"));
        p.stop();
        tracker.close();
        tracker.wait().await;
        // A runtime cannot be dropped inside another one's async context.
        tokio::task::spawn_blocking(move || drop(probes))
            .await
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn down_after_fall_intervals_and_up_after_rise_intervals() {
        let tracker = TaskTracker::new();
        let (p, f) = fake(&tracker);
        p.reconfigure(vec![target(cfg(1000, 2, 3))]);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(p.first_round_done(), "first probe runs at once");
        let failed_at = tokio::time::Instant::now();
        f.healthy.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let went_down = f
            .down_seen
            .lock()
            .unwrap()
            .iter()
            .find(|(_, d)| *d)
            .map(|(t, _)| *t);
        let lag = went_down.expect("published down") - failed_at;
        assert!(lag <= Duration::from_millis(3000), "down after {lag:?}");
        assert!(
            lag >= Duration::from_millis(1900),
            "not before fall=3 probes: {lag:?}"
        );
        let recovered_at = tokio::time::Instant::now();
        f.healthy.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(4)).await;
        let seen = f.down_seen.lock().unwrap().clone();
        let (up_at, _) = seen.iter().rev().find(|(_, d)| !*d).copied().unwrap();
        let lag = up_at - recovered_at;
        assert!(
            lag <= Duration::from_millis(2000) && up_at > recovered_at,
            "up after {lag:?}"
        );
        p.stop();
    }

    #[tokio::test(start_paused = true)]
    async fn reconfigure_stops_removed_targets_and_keeps_unchanged_ones() {
        let tracker = TaskTracker::new();
        let (p, f) = fake(&tracker);
        p.reconfigure(vec![target(cfg(1000, 1, 1))]);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let probes_before = p.targets()[0].state.probes;
        // At once, then at a random phase within the first interval, then every interval.
        assert!((3..=4).contains(&probes_before), "{probes_before}");
        p.reconfigure(vec![target(cfg(1000, 1, 1))]);
        assert_eq!(p.targets()[0].state.probes, probes_before, "state kept");
        p.reconfigure(vec![]);
        let calls = f.calls.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(
            f.calls.load(Ordering::SeqCst),
            calls,
            "no probes after removal"
        );
        assert!(p.targets().is_empty());
    }

    /// A publish that builds its snapshot, then is overtaken by a transition's publish,
    /// must not store the older snapshot last: nothing publishes again until the next
    /// transition, so the query path would keep a down address (CI run of f7b7989,
    /// `tcp_send_expect_check`: the start-up publish raced the first probe's).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_publish_is_not_stored_over_a_newer_one() {
        let slow = Arc::new(AtomicBool::new(false));
        let last = Arc::new(Mutex::new(None::<bool>));
        let (s, l) = (slow.clone(), last.clone());
        let publish = Box::new(move |snap: Snapshot| {
            let down = snap.down.values().any(|d| !d.is_empty());
            if s.swap(false, Ordering::SeqCst) {
                // The start-up publish, preempted between building and storing.
                std::thread::sleep(Duration::from_millis(300));
            }
            *l.lock().unwrap() = Some(down);
        });
        let probe: ProbeFn =
            Arc::new(|_, _| Box::pin(async { Err(ProbeError::Connect("refused".into())) }));
        let dir = tempfile::tempdir().unwrap();
        let tracker = TaskTracker::new();
        let p = Prober::new(
            probe,
            Drains::load(dir.path()).unwrap(),
            publish,
            tracker,
            Handle::current(),
        );
        slow.store(true, Ordering::SeqCst);
        // fall = 1: the first probe, at once on a worker, takes the target down while this
        // publish sleeps. Off the workers, so the probe task is not held in this worker's
        // LIFO slot until the sleep ends.
        let q = p.clone();
        tokio::task::spawn_blocking(move || q.reconfigure(vec![target(cfg(60_000, 1, 1))]))
            .await
            .unwrap();
        // Wait for the probe's transition (it may still be waiting for the lock), then
        // for its publish, PUBLISH_DELAY later.
        let t = std::time::Instant::now();
        while p.targets()[0].state.up {
            assert!(t.elapsed() < Duration::from_secs(5), "the probe never ran");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            *last.lock().unwrap(),
            Some(true),
            "the down snapshot is the one kept"
        );
        p.stop();
    }

    /// Transitions that come together (here 100 targets failing their first probe, all at
    /// once) are published together, one snapshot for all, [`PUBLISH_DELAY`] after the
    /// first; one publish each made a storm of 10,000 quadratic.
    #[tokio::test(start_paused = true)]
    async fn a_storm_of_transitions_is_published_once() {
        let published = Arc::new(Mutex::new(Vec::new()));
        let log = published.clone();
        let publish = Box::new(move |snap: Snapshot| {
            let down = snap.down.values().map(HashSet::len).sum::<usize>();
            log.lock()
                .unwrap()
                .push((tokio::time::Instant::now(), down));
        });
        let probe: ProbeFn =
            Arc::new(|_, _| Box::pin(async { Err(ProbeError::Connect("refused".into())) }));
        let dir = tempfile::tempdir().unwrap();
        let p = Prober::new(
            probe,
            Drains::load(dir.path()).unwrap(),
            publish,
            TaskTracker::new(),
            Handle::current(),
        );
        let start = tokio::time::Instant::now();
        let targets = (0..100u32)
            .map(|i| Target {
                addr: IpAddr::from(std::net::Ipv4Addr::from(0xC000_0200 + i)),
                ..target(cfg(1000, 1, 1))
            })
            .collect();
        p.reconfigure(targets);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(p.targets().iter().all(|t| !t.state.up));
        let seen = published.lock().unwrap().clone();
        let at = |i: usize| (seen[i].0 - start, seen[i].1);
        // At start, after reconfigure, then once for the 100 transitions.
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(at(1), (Duration::ZERO, 0));
        assert_eq!(at(2), (PUBLISH_DELAY, 100));
        p.stop();
    }

    /// The first round probes every target at once (health is known at start); later
    /// rounds are spread over the interval, not bunched at one instant, each target then
    /// probed once an interval.
    #[tokio::test(start_paused = true)]
    async fn probes_spread_over_the_interval() {
        let tracker = TaskTracker::new();
        let (p, f) = fake(&tracker);
        let targets = (0..200u32)
            .map(|i| Target {
                addr: IpAddr::from(std::net::Ipv4Addr::from(0xC000_0200 + i)),
                ..target(cfg(1000, 1, 1))
            })
            .collect();
        let start = tokio::time::Instant::now();
        p.reconfigure(targets);
        tokio::time::sleep(Duration::from_millis(2500)).await;
        p.stop();
        let mut times: HashMap<IpAddr, Vec<Duration>> = HashMap::new();
        for (addr, at) in f.probes.lock().unwrap().iter() {
            times.entry(*addr).or_default().push(*at - start);
        }
        assert_eq!(times.len(), 200);
        let ms = Duration::from_millis;
        let mut early = 0;
        for (addr, t) in &times {
            assert!(t.len() >= 3, "{addr}: {t:?}");
            assert_eq!(t[0], Duration::ZERO, "{addr}: first round at once");
            // The second probe at a random phase within the interval (timers fire on
            // whole milliseconds), then one an interval.
            assert!(t[1] > Duration::ZERO && t[1] <= ms(1001), "{addr}: {t:?}");
            assert_eq!(t[2] - t[1], ms(1000), "{addr}: {t:?}");
            early += usize::from(t[1] < ms(500));
        }
        // Uniform phases put about half the second round in the first half-interval
        // (standard deviation about 7 of 200); phases within a tenth of it put none.
        assert!((50..=150).contains(&early), "{early} of 200 before 0.5 s");
    }
}
