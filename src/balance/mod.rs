//! Balanced answers: which addresses of an RRset to serve, in which order.
//!
//! Pure logic. Input: a [`Plan`] (the addresses of one A or AAAA RRset, their weights,
//! and the policy from the configuration), a [`HealthView`] and a random source. Output:
//! the positions of the addresses to serve, in order. The health layer plugs in through
//! [`HealthView`]; nothing here knows how health is measured.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hickory_proto::rr::Name;

/// How weights shape an answer (see the contract's `weighting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// Every address `weight` times, shuffled: weight by repetition.
    Duplicate,
    /// Every address once, in a weighted random order.
    Order,
    /// `answers` addresses drawn by weight without replacement.
    Sample,
    /// k addresses, address i among them with probability k·wᵢ/Σw, in random order: a
    /// client behind any resolver that shuffles or keeps order lands on i with
    /// probability wᵢ/Σw, with k − 1 addresses to fall back on.
    Spread,
}

impl Weighting {
    /// The name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Weighting::Duplicate => "duplicate",
            Weighting::Order => "order",
            Weighting::Sample => "sample",
            Weighting::Spread => "spread",
        }
    }
}

impl AllDown {
    /// The name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            AllDown::All => "all",
            AllDown::None => "none",
            AllDown::Servfail => "servfail",
        }
    }
}

/// `min_up` of a tiered pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MinUp {
    Count(u32),
    /// A share of the tier's addresses (of the family asked), 0 < share ≤ 1.
    Share(f64),
}

impl Default for MinUp {
    fn default() -> MinUp {
        MinUp::Count(1)
    }
}

impl MinUp {
    /// Addresses needed up in a tier of `size` addresses: never more than it has, never
    /// fewer than one.
    pub fn needed(self, size: usize) -> usize {
        let n = match self {
            MinUp::Count(c) => c as usize,
            MinUp::Share(s) => (s * size as f64).ceil() as usize,
        };
        n.clamp(1, size.max(1))
    }
}

/// What to serve when no address is healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllDown {
    /// Fail open: serve every address.
    All,
    /// Answer NODATA (SOA in AUTHORITY).
    None,
    /// Answer SERVFAIL.
    Servfail,
}

/// The configured policy of one balanced RRset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub weighting: Weighting,
    /// At most this many address records per answer.
    pub answers: usize,
    /// TTL cap in seconds.
    pub ttl: u32,
    pub all_down: AllDown,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            weighting: Weighting::Duplicate,
            answers: 8,
            ttl: 30,
            all_down: AllDown::All,
        }
    }
}

/// A balanced RRset, prepared at load: addresses, weights and policy.
#[derive(Debug)]
pub struct Plan {
    /// The pool (owner name) this plan belongs to, when configured under `pools`.
    pub pool: Option<Name>,
    pub addrs: Vec<IpAddr>,
    /// Weight per address (≥ 1): configured weight plus one per extra copy in the zone.
    pub weights: Vec<u32>,
    pub policy: Policy,
    /// Failover tiers: the tier of each address (0 first), and how many of a tier must be
    /// up for it to be served. One tier (all 0) when the pool has none.
    pub tier_of: Vec<u8>,
    pub tiers: u8,
    pub min_up: MinUp,
    /// Slow start: an address that came back has its share ramped from 10 % to 100 %
    /// over this long.
    pub slow_start: Option<std::time::Duration>,
    /// The health check of the pool, if any: its name and its interval in whole seconds
    /// (the TTL cap while any address is out, so caches come back quickly).
    pub check: Option<(Arc<str>, u32)>,
    /// How often each address was served first (the status page's "served share").
    pub served: Vec<AtomicU64>,
    /// The set is signed and there is no key to sign a subset: every address is served,
    /// once, in random order, as a validator can check only the whole signed set
    /// (RFC 4035 §5.3); health, drains, tiers and weights do not apply.
    pub whole: bool,
}

impl Plan {
    /// Accounts for one answer served from this plan and gives its TTL: `ttl` (capped
    /// by the policy already), kept to the check's interval while an address is out
    /// (`degraded`), so that the address returns to clients soon after it recovers; and
    /// in the answer section, one more answer led by address `first` (the status page's
    /// served share). The full path and the fast path both answer through here.
    pub fn served(&self, ttl: u32, degraded: bool, in_answer: bool, first: Option<usize>) -> u32 {
        if let (true, Some(first)) = (in_answer, first) {
            self.served[first].fetch_add(1, Ordering::Relaxed);
        }
        match (degraded, &self.check) {
            (true, Some((_, interval))) => ttl.min(*interval),
            _ => ttl,
        }
    }
}

/// Read access to health and drain state. Implemented by the health layer.
pub trait HealthView {
    /// True when the address may be served: not drained, and healthy under `check` (an
    /// address without a check is healthy).
    fn serving(&self, check: Option<&str>, addr: &IpAddr) -> bool;
    /// How long ago the address came back (up again, or undrained), if recently: slow
    /// start ramps it in. `None` for an address that has not recently come back.
    fn up_for(&self, _addr: &IpAddr) -> Option<std::time::Duration> {
        None
    }

    /// True when every address is served (nothing down or drained anywhere): balancing
    /// then skips the per-address question.
    fn all_serving(&self) -> bool {
        false
    }
}

/// A source of uniform random numbers in [0, 1); injectable for tests.
pub trait Random {
    fn unit(&mut self) -> f64;
    /// Uniform integer in 0..n.
    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// The thread-local fast generator (wyrand via `fastrand`).
#[derive(Debug, Default)]
pub struct ThreadRandom;

impl Random for ThreadRandom {
    fn unit(&mut self) -> f64 {
        fastrand::f64()
    }
    fn below(&mut self, n: usize) -> usize {
        fastrand::usize(..n)
    }
}

/// A generator of its own, seeded from the thread's: for a loop that owns its scratch,
/// no thread-local lookup per draw.
impl Random for fastrand::Rng {
    fn unit(&mut self) -> f64 {
        self.f64()
    }
    fn below(&mut self, n: usize) -> usize {
        self.usize(..n)
    }
}

/// What [`select_into`] decided; on `Serve` the positions are in [`Scratch::picks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Serve { degraded: bool, all_down: bool },
    NoData,
    ServFail,
}

/// Reusable buffers for [`select_into`], so that a balanced answer allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    live: Vec<usize>,
    keyed: Vec<(f64, usize)>,
    /// The positions chosen by the last `Serve` verdict, in order.
    pub picks: Vec<usize>,
}

/// Chooses the addresses to serve for one response, into reused buffers.
pub fn select_into(
    plan: &Plan,
    health: &dyn HealthView,
    rng: &mut dyn Random,
    s: &mut Scratch,
) -> Verdict {
    let check = plan.check.as_ref().map(|(c, _)| &**c);
    let n = plan.addrs.len();
    s.live.clear();
    if plan.whole {
        s.picks.clear();
        s.picks.extend(0..n);
        for k in (1..n).rev() {
            s.picks.swap(k, rng.below(k + 1));
        }
        return Verdict::Serve {
            degraded: false,
            all_down: false,
        };
    }
    if health.all_serving() {
        s.live.extend(0..n);
    } else {
        s.live
            .extend((0..n).filter(|&i| health.serving(check, &plan.addrs[i])));
    }
    let degraded = s.live.len() < n;
    if plan.tiers > 1 && !s.live.is_empty() {
        // One tier is served, alone: no answer mixes tiers.
        let tier = choose_tier(plan, &s.live);
        s.live.retain(|&i| plan.tier_of[i] == tier);
    }
    if let Some(window) = plan.slow_start {
        ramp(plan, health, window, rng, s);
    }
    let all_down = s.live.is_empty();
    if all_down {
        match plan.policy.all_down {
            AllDown::All => s.live.extend(0..n),
            AllDown::None => return Verdict::NoData,
            AllDown::Servfail => return Verdict::ServFail,
        }
    }
    let cap = plan.policy.answers.max(1);
    s.picks.clear();
    match plan.policy.weighting {
        Weighting::Duplicate => duplicate(&s.live, &plan.weights, cap, rng, &mut s.picks),
        Weighting::Order | Weighting::Sample => {
            weighted_order(&s.live, &plan.weights, rng, &mut s.keyed, &mut s.picks);
            s.picks.truncate(cap);
        }
        Weighting::Spread => spread(&mut s.live, &plan.weights, cap, rng, &mut s.picks),
    }
    Verdict::Serve { degraded, all_down }
}

/// The share of an address `up_for` into a slow start of `window`: 10 % at once, rising
/// linearly to 100 % at the end (HAProxy's `slowstart`).
pub fn ramp_share(up_for: Option<std::time::Duration>, window: std::time::Duration) -> f64 {
    match up_for {
        Some(t) if t < window => 0.1 + 0.9 * t.as_secs_f64() / window.as_secs_f64(),
        _ => 1.0,
    }
}

/// Slow start: each address still ramping in is left out of this answer with probability
/// 1 − its share, so that its share of answers grows from 10 % to 100 % over the window.
/// If that would leave nothing, the answer keeps them all.
fn ramp(
    plan: &Plan,
    health: &dyn HealthView,
    window: std::time::Duration,
    rng: &mut dyn Random,
    s: &mut Scratch,
) {
    let ramping = |i: &usize| health.up_for(&plan.addrs[*i]).is_some_and(|t| t < window);
    if !s.live.iter().any(ramping) {
        return;
    }
    s.picks.clear();
    s.picks.extend_from_slice(&s.live);
    s.live
        .retain(|i| rng.unit() < ramp_share(health.up_for(&plan.addrs[*i]), window));
    if s.live.is_empty() {
        std::mem::swap(&mut s.live, &mut s.picks);
    }
}

/// The tier to serve, given the positions serving now (`live`, not empty): the first
/// whose addresses of this RRset's family have `min_up` up; else the first with any up.
/// A tier without addresses of this family is passed over.
fn choose_tier(plan: &Plan, live: &[usize]) -> u8 {
    let mut first_with_any = None;
    for t in 0..plan.tiers {
        let size = plan.tier_of.iter().filter(|&&x| x == t).count();
        if size == 0 {
            continue;
        }
        let up = live.iter().filter(|&&i| plan.tier_of[i] == t).count();
        if up >= plan.min_up.needed(size) {
            return t;
        }
        if up > 0 && first_with_any.is_none() {
            first_with_any = Some(t);
        }
    }
    first_with_any.unwrap_or(0)
}

/// The tier served now and the addresses of each tier up, for the status page: `None`
/// for a pool without tiers, or when no address is up (`all_down` applies).
pub fn served_tier(plan: &Plan, health: &dyn HealthView) -> Option<(u8, Vec<(usize, usize)>)> {
    if plan.tiers < 2 {
        return None;
    }
    let check = plan.check.as_ref().map(|(c, _)| &**c);
    let live: Vec<usize> = (0..plan.addrs.len())
        .filter(|&i| health.serving(check, &plan.addrs[i]))
        .collect();
    let counts = (0..plan.tiers)
        .map(|t| {
            let of = |i: &&usize| plan.tier_of[**i] == t;
            let size = (0..plan.addrs.len())
                .filter(|i| plan.tier_of[*i] == t)
                .count();
            (live.iter().filter(of).count(), size)
        })
        .collect();
    (!live.is_empty()).then(|| (choose_tier(plan, &live), counts))
}

/// How many addresses `spread` serves: at most `cap`, at most those available, and at most
/// ⌊Σw / max w⌋ so that no address's inclusion probability k·wᵢ/Σw exceeds 1.
pub fn spread_k(weights: impl Iterator<Item = u32> + Clone, cap: usize) -> usize {
    let (sum, max, n) = weights.fold((0u64, 0u32, 0usize), |(s, m, n), w| {
        let w = w.max(1);
        (s + u64::from(w), m.max(w), n + 1)
    });
    if n == 0 {
        return 0;
    }
    (cap.min(n) as u64).min(sum / u64::from(max)).max(1) as usize
}

/// Inclusion-proportional sampling (systematic sampling over a shuffled list): lay the
/// addresses in random order on a line, each taking length k·wᵢ/Σw (at most 1), and pick
/// those under the points u, u+1, …, u+k−1 for one uniform u. Each address is picked with
/// probability exactly its length, at most once, and k are picked; then their order is
/// shuffled. `live` is reordered in place: nothing is allocated.
fn spread(
    live: &mut [usize],
    weights: &[u32],
    cap: usize,
    rng: &mut dyn Random,
    out: &mut Vec<usize>,
) {
    let n = live.len();
    for i in (1..n).rev() {
        live.swap(i, rng.below(i + 1));
    }
    let k = spread_k(live.iter().map(|&i| weights[i]), cap);
    let sum: u64 = live.iter().map(|&i| u64::from(weights[i].max(1))).sum();
    let u = rng.unit();
    let (mut at, mut next) = (0.0f64, u);
    for &i in live.iter() {
        at += k as f64 * f64::from(weights[i].max(1)) / sum as f64;
        // A small tolerance: the last point must fall inside the line whatever the
        // rounding of the sums.
        if next < at - 1e-12 && out.len() < k {
            out.push(i);
            next += 1.0;
        }
    }
    for j in (1..out.len()).rev() {
        out.swap(j, rng.below(j + 1));
    }
}

/// Every address `weight` times in a uniformly random order, first `cap` kept.
fn duplicate(
    live: &[usize],
    weights: &[u32],
    cap: usize,
    rng: &mut dyn Random,
    all: &mut Vec<usize>,
) {
    for &i in live {
        match weights[i] {
            0 | 1 => all.push(i),
            w => all.extend(std::iter::repeat_n(i, w as usize)),
        }
    }
    // Partial Fisher–Yates: only the first `cap` positions need to be random.
    let n = all.len();
    for k in 0..cap.min(n) {
        let j = k + rng.below(n - k);
        all.swap(k, j);
    }
    all.truncate(cap);
}

/// A weighted random permutation (Efraimidis–Spirakis): sorting by u^(1/w) descending
/// draws addresses one by one without replacement, each with probability proportional
/// to its weight among those left. So position 1 holds address i with probability
/// w_i / Σw, and the first k positions are a weighted sample of size k.
fn weighted_order(
    live: &[usize],
    weights: &[u32],
    rng: &mut dyn Random,
    keyed: &mut Vec<(f64, usize)>,
    out: &mut Vec<usize>,
) {
    keyed.clear();
    keyed.extend(live.iter().map(|&i| {
        // ln(u)/w is monotonic in u^(1/w) and avoids pow; 1-u keeps u in (0, 1].
        let u = 1.0 - rng.unit();
        (u.ln() / f64::from(weights[i].max(1)), i)
    }));
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.extend(keyed.iter().map(|&(_, i)| i));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The result of balancing one RRset.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Selection {
        /// Serve these address positions (into `Plan::addrs`), in this order. `degraded`:
        /// some address is out (down or drained); `all_down`: every one is, served anyway.
        Serve {
            picks: Vec<usize>,
            degraded: bool,
            all_down: bool,
        },
        /// Every address is down and the policy says NODATA.
        NoData,
        /// Every address is down and the policy says SERVFAIL.
        ServFail,
    }

    /// [`select_into`] with fresh buffers, its picks returned.
    fn select(plan: &Plan, health: &dyn HealthView, rng: &mut dyn Random) -> Selection {
        let mut s = Scratch::default();
        match select_into(plan, health, rng, &mut s) {
            Verdict::Serve { degraded, all_down } => Selection::Serve {
                picks: s.picks,
                degraded,
                all_down,
            },
            Verdict::NoData => Selection::NoData,
            Verdict::ServFail => Selection::ServFail,
        }
    }

    /// The view used when no health checks run: every address is up.
    #[derive(Debug, Clone, Copy, Default)]
    struct AllUp;

    impl HealthView for AllUp {
        fn serving(&self, _: Option<&str>, _: &IpAddr) -> bool {
            true
        }
        fn all_serving(&self) -> bool {
            true
        }
    }
    use std::collections::HashSet;

    fn plan(weights: &[u32], weighting: Weighting, answers: usize) -> Plan {
        Plan {
            pool: None,
            addrs: (0..weights.len())
                .map(|i| IpAddr::from([192, 0, 2, i as u8 + 1]))
                .collect(),
            weights: weights.to_vec(),
            policy: Policy {
                weighting,
                answers,
                ..Policy::default()
            },
            check: None,
            served: weights.iter().map(|_| AtomicU64::new(0)).collect(),
            tier_of: vec![0; weights.len()],
            tiers: 1,
            min_up: MinUp::default(),
            slow_start: None,
            whole: false,
        }
    }

    /// Addresses 192.0.2.1… in tiers: `tiers[i]` is the tier of address i.
    fn tiered(tiers: &[u8], min_up: MinUp) -> Plan {
        let mut p = plan(&vec![1; tiers.len()], Weighting::Order, 8);
        p.tier_of = tiers.to_vec();
        p.tiers = tiers.iter().max().map_or(1, |t| t + 1);
        p.min_up = min_up;
        p
    }

    /// Health with the given addresses (last octet) out.
    struct Out(Vec<u8>);
    impl HealthView for Out {
        fn serving(&self, _: Option<&str>, a: &IpAddr) -> bool {
            match a {
                IpAddr::V4(v4) => !self.0.contains(&v4.octets()[3]),
                IpAddr::V6(_) => true,
            }
        }
        fn all_serving(&self) -> bool {
            self.0.is_empty()
        }
    }

    fn served_set(p: &Plan, out: &[u8]) -> Vec<u8> {
        let mut s = Scratch::default();
        let mut rng = fastrand::Rng::with_seed(7);
        assert!(matches!(
            select_into(p, &Out(out.to_vec()), &mut rng, &mut s),
            Verdict::Serve { .. }
        ));
        let mut v: Vec<u8> = (s.picks.iter())
            .map(|&i| match p.addrs[i] {
                IpAddr::V4(a) => a.octets()[3],
                IpAddr::V6(_) => 0,
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_first_tier_with_enough_up_is_served_alone() {
        // Addresses 1, 2 in tier 0; 3, 4 in tier 1.
        let p = tiered(&[0, 0, 1, 1], MinUp::Count(2));
        assert_eq!(served_set(&p, &[]), [1, 2]);
        // One of tier 0 out: below min_up 2, tier 1 is served.
        assert_eq!(served_set(&p, &[1]), [3, 4]);
        // Tier 1 not eligible either: the first tier with any address up.
        assert_eq!(served_set(&p, &[1, 3]), [2]);
        assert_eq!(served_set(&p, &[1, 2, 3]), [4]);
        // With min_up 1 (a count) or 50 % (a share), one address up keeps tier 0.
        let p = tiered(&[0, 0, 1, 1], MinUp::Count(1));
        assert_eq!(served_set(&p, &[1]), [2]);
        let p = tiered(&[0, 0, 1, 1], MinUp::Share(0.5));
        assert_eq!(served_set(&p, &[1]), [2]);
        assert_eq!(served_tier(&p, &Out(vec![1, 2])).map(|t| t.0), Some(1));
        // Every address out: all_down (all) serves the whole pool, as without tiers.
        assert_eq!(served_set(&p, &[1, 2, 3, 4]), [1, 2, 3, 4]);
        assert_eq!(served_tier(&p, &Out(vec![1, 2, 3, 4])), None);
    }

    #[test]
    fn a_tier_without_addresses_of_the_family_is_passed_over() {
        // This RRset's addresses are all in tier 1 (tier 0 holds only the other family).
        let mut p = tiered(&[1, 1], MinUp::Count(1));
        p.tiers = 2;
        assert_eq!(served_set(&p, &[]), [1, 2]);
    }

    /// Inclusion and first-position shares of `spread` over `draws` answers.
    fn spread_shares(
        weights: &[u32],
        answers: usize,
        draws: usize,
        seed: u64,
    ) -> (Vec<f64>, Vec<f64>, usize) {
        let p = plan(weights, Weighting::Spread, answers);
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut s = Scratch::default();
        let (mut inc, mut first) = (vec![0usize; weights.len()], vec![0usize; weights.len()]);
        let mut size = 0;
        for _ in 0..draws {
            select_into(&p, &AllUp, &mut rng, &mut s);
            size = s.picks.len();
            let mut seen = s.picks.clone();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), s.picks.len(), "an address twice");
            for &i in &s.picks {
                inc[i] += 1;
            }
            first[s.picks[0]] += 1;
        }
        let share = |v: Vec<usize>| v.into_iter().map(|c| c as f64 / draws as f64).collect();
        (share(inc), share(first), size)
    }

    #[test]
    fn spread_includes_each_address_in_proportion_to_its_weight() {
        // The figures: 3:1:1:1 with answers 2 → k 2, inclusion 1, ⅓, ⅓, ⅓, and the
        // heavy address first half the time.
        let (inc, first, k) = spread_shares(&[3, 1, 1, 1], 2, 8000, 1);
        assert_eq!(k, 2);
        for (got, want) in inc.iter().zip([1.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]) {
            assert!((got - want).abs() < 0.03, "inclusion {inc:?}");
        }
        assert!((first[0] - 0.5).abs() < 0.03, "first {first:?}");
        // k is bounded by Σw / max w: 10:1:1 can only give one address.
        assert_eq!(spread_k([10, 1, 1].into_iter(), 3), 1);
        assert_eq!(spread_k([1, 1, 1].into_iter(), 8), 3);
    }

    /// Property: for random weight vectors, every inclusion share matches k·wᵢ/Σw.
    #[test]
    fn spread_inclusion_matches_for_random_weights() {
        let mut rng = fastrand::Rng::with_seed(42);
        for case in 0..20 {
            let n = rng.usize(2..7);
            let weights: Vec<u32> = (0..n).map(|_| rng.u32(1..6)).collect();
            let answers = rng.usize(1..5);
            let k = spread_k(weights.iter().copied(), answers);
            let sum: u32 = weights.iter().sum();
            let (inc, _, size) = spread_shares(&weights, answers, 6000, case);
            assert_eq!(size, k, "{weights:?} answers {answers}");
            for (i, got) in inc.iter().enumerate() {
                let want = k as f64 * f64::from(weights[i]) / f64::from(sum);
                assert!(
                    (got - want).abs() < 0.035,
                    "{weights:?} answers {answers}: {i} {got} vs {want}"
                );
            }
        }
    }

    /// Address 192.0.2.1 came back `ago`; the others are steady.
    struct Back(std::time::Duration);
    impl HealthView for Back {
        fn serving(&self, _: Option<&str>, _: &IpAddr) -> bool {
            true
        }
        fn up_for(&self, a: &IpAddr) -> Option<std::time::Duration> {
            (*a == IpAddr::from([192, 0, 2, 1])).then_some(self.0)
        }
    }

    #[test]
    fn slow_start_ramps_a_returning_address_in() {
        let mut p = plan(&[1, 1, 1], Weighting::Duplicate, 8);
        let window = std::time::Duration::from_secs(30);
        p.slow_start = Some(window);
        let share = |ago: u64| {
            let mut rng = fastrand::Rng::with_seed(ago);
            let mut s = Scratch::default();
            let health = Back(std::time::Duration::from_secs(ago));
            let n = 10_000;
            let with = (0..n)
                .filter(|_| {
                    select_into(&p, &health, &mut rng, &mut s);
                    s.picks.contains(&0)
                })
                .count();
            with as f64 / n as f64
        };
        assert!((share(0) - 0.10).abs() < 0.02, "{}", share(0));
        assert!((share(15) - 0.55).abs() < 0.03, "{}", share(15));
        assert!((share(30) - 1.0).abs() < 1e-9);
        // The measure: the first fifth below a third of the last fifth.
        assert!(share(3) < share(27) / 3.0);
        assert_eq!(ramp_share(None, window), 1.0);
        // Alone, a ramping address is still served.
        let mut alone = plan(&[1], Weighting::Duplicate, 8);
        alone.slow_start = Some(window);
        let mut s = Scratch::default();
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..100 {
            select_into(&alone, &Back(std::time::Duration::ZERO), &mut rng, &mut s);
            assert_eq!(s.picks, [0]);
        }
    }

    #[test]
    fn min_up_never_asks_for_more_than_a_tier_has() {
        assert_eq!(MinUp::Count(5).needed(2), 2);
        assert_eq!(MinUp::Share(0.5).needed(3), 2);
        assert_eq!(MinUp::Share(0.01).needed(3), 1);
    }

    #[test]
    fn an_answer_is_counted_once_and_its_ttl_kept_short_while_degraded() {
        let mut p = plan(&[1, 1], Weighting::Order, 2);
        assert_eq!(p.served(300, true, true, Some(1)), 300, "no check: no cap");
        p.check = Some((Arc::from("web"), 5));
        assert_eq!(p.served(300, false, true, Some(1)), 300);
        assert_eq!(p.served(300, true, true, Some(0)), 5);
        assert_eq!(p.served(3, true, false, Some(0)), 3, "below the cap");
        let served: Vec<u64> = p.served.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        assert_eq!(served, [1, 2], "answer section only");
    }

    struct Down(HashSet<IpAddr>);
    impl HealthView for Down {
        fn serving(&self, _: Option<&str>, a: &IpAddr) -> bool {
            !self.0.contains(a)
        }
    }

    fn picks(s: Selection) -> Vec<usize> {
        match s {
            Selection::Serve { picks, .. } => picks,
            other => panic!("expected addresses, got {other:?}"),
        }
    }

    fn first_share(p: &Plan, runs: usize) -> Vec<f64> {
        let mut counts = vec![0usize; p.addrs.len()];
        for _ in 0..runs {
            counts[picks(select(p, &AllUp, &mut ThreadRandom))[0]] += 1;
        }
        counts.iter().map(|&c| c as f64 / runs as f64).collect()
    }

    #[test]
    fn order_mode_puts_heavy_address_first_in_proportion() {
        let share = first_share(&plan(&[3, 1, 1], Weighting::Order, 8), 20_000);
        assert!((share[0] - 0.6).abs() < 0.02, "{share:?}");
        assert!((share[1] - 0.2).abs() < 0.02, "{share:?}");
    }

    #[test]
    fn duplicate_mode_repeats_by_weight() {
        let p = plan(&[3, 1], Weighting::Duplicate, 8);
        let got = picks(select(&p, &AllUp, &mut ThreadRandom));
        assert_eq!(got.iter().filter(|&&i| i == 0).count(), 3);
        assert_eq!(got.len(), 4);
        let share = first_share(&p, 20_000);
        assert!((share[0] - 0.75).abs() < 0.02, "{share:?}");
    }

    #[test]
    fn sample_mode_draws_answers_distinct_addresses() {
        let p = plan(&[1, 1, 1, 1], Weighting::Sample, 2);
        for _ in 0..100 {
            let got = picks(select(&p, &AllUp, &mut ThreadRandom));
            assert_eq!(got.len(), 2);
            assert_ne!(got[0], got[1]);
        }
        let share = first_share(&plan(&[3, 1], Weighting::Sample, 1), 20_000);
        assert!((share[0] - 0.75).abs() < 0.02, "{share:?}");
    }

    #[test]
    fn shuffles_are_fresh_every_time() {
        let p = plan(&[1, 1, 1, 1], Weighting::Duplicate, 8);
        let orders: HashSet<Vec<usize>> = (0..200)
            .map(|_| picks(select(&p, &AllUp, &mut ThreadRandom)))
            .collect();
        // 24 permutations exist; 200 draws see nearly all of them.
        assert!(orders.len() > 15, "{}", orders.len());
    }

    #[test]
    fn unhealthy_addresses_are_never_served() {
        let p = plan(&[1, 5, 1], Weighting::Duplicate, 8);
        let down = Down([p.addrs[1]].into());
        for _ in 0..100 {
            let got = picks(select(&p, &down, &mut ThreadRandom));
            assert!(!got.contains(&1));
            assert_eq!(got.len(), 2);
        }
    }

    #[test]
    fn all_down_policies() {
        let mut p = plan(&[1, 1], Weighting::Order, 8);
        let down = Down(p.addrs.iter().copied().collect());
        match select(&p, &down, &mut ThreadRandom) {
            Selection::Serve {
                picks,
                all_down,
                degraded,
            } => {
                assert!(all_down && degraded);
                assert_eq!(picks.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        p.policy.all_down = AllDown::None;
        assert_eq!(select(&p, &down, &mut ThreadRandom), Selection::NoData);
        p.policy.all_down = AllDown::Servfail;
        assert_eq!(select(&p, &down, &mut ThreadRandom), Selection::ServFail);
    }

    #[test]
    fn answers_cap_limits_records() {
        let p = plan(&[4, 4, 4], Weighting::Duplicate, 5);
        assert_eq!(picks(select(&p, &AllUp, &mut ThreadRandom)).len(), 5);
        let p = plan(&[1; 10], Weighting::Order, 3);
        assert_eq!(picks(select(&p, &AllUp, &mut ThreadRandom)).len(), 3);
    }
}
