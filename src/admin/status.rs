//! The status model: zones, pools and backends, as shown by `GET /status` (JSON) and
//! `GET /` (HTML). Built on request from the engine's snapshots and the prober.

use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::Admin;
use crate::balance::HealthView;

#[derive(Debug, Serialize)]
pub struct Status {
    pub version: &'static str,
    pub ready: bool,
    pub uptime_seconds: u64,
    pub zones: Vec<ZoneStatus>,
    pub pools: Vec<PoolStatus>,
    pub drained: Vec<IpAddr>,
    /// The drains with why and until when.
    pub drains: Vec<DrainStatus>,
    /// How the last reload went (none yet: `null`).
    pub last_reload: Option<super::ReloadOutcome>,
}

#[derive(Debug, Serialize)]
pub struct DrainStatus {
    pub address: IpAddr,
    pub reason: Option<String>,
    /// Seconds since the Unix epoch (0: drained by an earlier version, time unknown).
    pub since: u64,
    /// When the drain ends by itself, if it does.
    pub until: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct ZoneStatus {
    pub name: String,
    /// `loaded`; or, for a secondary zone without data (answered with SERVFAIL),
    /// `waiting` for its first transfer or `expired`.
    pub state: &'static str,
    pub serial: u32,
    pub records: usize,
    /// What loading the zone warned about (`FILE:LINE: message`), such as content that
    /// changed under an unchanged serial.
    pub warnings: Vec<String>,
    /// Secondary zones: when the last refresh ended and how (`ok`, or why it failed),
    /// and when the next is due (seconds since the Unix epoch).
    pub last_refresh: Option<u64>,
    pub last_refresh_result: Option<String>,
    pub next_refresh: Option<u64>,
    /// Set for a signed zone.
    pub dnssec: Option<DnssecStatus>,
}

/// How a signed zone is signed.
#[derive(Debug, Serialize)]
pub struct DnssecStatus {
    /// `rrdns` when rrdns signed the zone (`dnssec.keys` on an unsigned zone), `zone`
    /// when it came signed (a pre-signed file, or a signing primary).
    pub signed_by: &'static str,
    /// `NSEC` or `NSEC3`.
    pub denial: &'static str,
    /// Zones rrdns signs: when their signatures expire and when they are renewed
    /// (seconds since the Unix epoch).
    pub expires_at: Option<u64>,
    pub resign_at: Option<u64>,
    /// The key tag that signs balanced answers online, if any.
    pub online_key: Option<u16>,
}

#[derive(Debug, Serialize)]
pub struct PoolStatus {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    /// True when configured under `pools`; false for a plain multi-address RRset.
    pub configured: bool,
    pub weighting: &'static str,
    pub ttl: u32,
    pub answers: usize,
    pub all_down: &'static str,
    pub check: Option<String>,
    /// Every address is out: served anyway (`all_down: all`) or not at all.
    pub all_out: bool,
    /// Addresses served now (up and not drained).
    pub serving: usize,
    /// The TTL answers carry now: the cap, or the check's interval while degraded.
    pub ttl_now: u32,
    /// Every address is out and all are served anyway (`all_down: all`).
    pub fail_open: bool,
    /// A tiered pool: the tier served now (1 first; none while every address is out),
    /// and why, tier by tier.
    pub tier_served: Option<u8>,
    pub tiers: Vec<String>,
    /// The pool has failover tiers.
    pub tiered: bool,
    /// The set is signed and rrdns has no key for subsets: served whole, health and
    /// weights off (see [`crate::balance::Plan::whole`]).
    pub served_whole: bool,
    /// The seconds the backends' served shares cover (up to a minute); `null`: since
    /// the last reload.
    pub share_window: Option<u64>,
    pub backends: Vec<BackendStatus>,
}

#[derive(Debug, Serialize)]
pub struct BackendStatus {
    pub address: IpAddr,
    pub weight: u32,
    /// `up`, `down`, `drained` or `unchecked` (no health check on this pool).
    pub state: &'static str,
    pub drained: bool,
    /// Share of answers that listed this address first, over the pool's `share_window`.
    pub served_share: f64,
    pub last_probe: Option<String>,
    pub latency_ms: Option<f64>,
    pub probes: u64,
    /// Probes that failed, of `probes`.
    pub failures: u64,
    pub seconds_since_transition: Option<u64>,
    /// When the last transition happened (seconds since the Unix epoch).
    pub transition_at: Option<u64>,
    /// What the probe reaches (`http://192.0.2.10:80/health`, `tcp 192.0.2.10:5432`).
    pub target: Option<String>,
    /// While slow start ramps the address in: the share of answers it is kept in now.
    pub slow_start_share: Option<f64>,
}

/// Every configured zone: those served, then those without data, by name.
fn zone_states(zones: &crate::zone::ZoneSet, admin: &Admin) -> Vec<ZoneStatus> {
    let refresh = admin.secondaries.states();
    let loaded = zones.zones().into_iter().map(|z| ZoneStatus {
        name: z.origin.to_string(),
        state: "loaded",
        serial: z.serial,
        records: z.record_count,
        warnings: (z.warnings.iter())
            .map(|w| format!("{}:{}: {}", w.file, w.line, w.message))
            .collect(),
        last_refresh: refresh.get(&z.origin).and_then(|r| r.last_at),
        last_refresh_result: refresh.get(&z.origin).and_then(|r| r.last_result.clone()),
        next_refresh: refresh.get(&z.origin).and_then(|r| r.next_at),
        dnssec: z.signed.as_ref().map(|signed| DnssecStatus {
            signed_by: if z.signed_here.is_some() {
                "rrdns"
            } else {
                "zone"
            },
            denial: if signed.is_nsec3() { "NSEC3" } else { "NSEC" },
            expires_at: z.signed_here.map(|h| h.expires_at),
            resign_at: z.signed_here.map(|h| h.resign_at),
            online_key: z.signer.as_ref().map(|s| s.key().tag),
        }),
    });
    let waiting = zones.unavailable().map(|n| ZoneStatus {
        name: n.to_string(),
        state: if refresh.get(n).is_some_and(|r| r.expired) {
            "expired"
        } else {
            "waiting"
        },
        serial: 0,
        records: 0,
        warnings: Vec::new(),
        last_refresh: refresh.get(n).and_then(|r| r.last_at),
        last_refresh_result: refresh.get(n).and_then(|r| r.last_result.clone()),
        next_refresh: refresh.get(n).and_then(|r| r.next_at),
        dnssec: None,
    });
    let mut all: Vec<ZoneStatus> = loaded.chain(waiting).collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// Builds the status from the current snapshots.
pub fn build(admin: &Admin) -> Status {
    let zones = admin.zones.get();
    let health = admin.engine.health();
    let targets: HashMap<(String, IpAddr), _> = admin
        .prober
        .targets()
        .into_iter()
        .map(|t| ((t.check.to_string(), t.addr), t))
        .collect();
    let now = Instant::now();
    let mut pools = Vec::new();
    for (name, zone_ttl, plan) in zones.balanced() {
        let check = plan.check.as_ref().map(|(c, _)| c.to_string());
        let counts: Vec<u64> = plan
            .served
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let base = admin.shares.base(&name, &plan.addrs);
        let shares = super::shares::window_shares(&counts, base.as_ref().map(|(b, _)| &b[..]));
        let window = base.as_ref().map(|(_, ago)| ago.as_secs());
        let backends: Vec<BackendStatus> = plan
            .addrs
            .iter()
            .enumerate()
            .map(|(i, addr)| {
                let drained = health.drained.contains(addr);
                let t = check
                    .as_ref()
                    .and_then(|c| targets.get(&(c.clone(), *addr)));
                let state = match (drained, t) {
                    (true, _) => "drained",
                    (false, Some(t)) if t.state.up => "up",
                    (false, Some(_)) => "down",
                    (false, None) => "unchecked",
                };
                BackendStatus {
                    address: *addr,
                    weight: plan.weights[i],
                    state,
                    drained,
                    served_share: shares[i],
                    last_probe: t.and_then(|t| {
                        t.state.last.as_ref().map(|r| match r {
                            Ok(_) => "ok".to_string(),
                            Err(e) => e.to_string(),
                        })
                    }),
                    latency_ms: t.and_then(|t| match &t.state.last {
                        Some(Ok(d)) => Some((d.as_secs_f64() * 1e5).round() / 100.0),
                        _ => None,
                    }),
                    probes: t.map_or(0, |t| t.state.probes),
                    failures: t.map_or(0, |t| t.state.failures),
                    seconds_since_transition: t
                        .map(|t| now.duration_since(t.state.since).as_secs()),
                    transition_at: t.map(|t| {
                        let ago = now.duration_since(t.state.since).as_secs();
                        crate::metrics::unix_now().saturating_sub(ago)
                    }),
                    target: t.map(|t| t.cfg.target(*addr)),
                    slow_start_share: plan.slow_start.and_then(|w| {
                        let share = crate::balance::ramp_share(health.up_for(addr), w);
                        (share < 1.0).then_some((share * 100.0).round() / 100.0)
                    }),
                }
            })
            .collect();
        let checkref = check.as_deref();
        let serving = (plan.addrs.iter())
            .filter(|a| health.serving(checkref, a))
            .count();
        let all_out = serving == 0;
        let served = crate::balance::served_tier(plan, &*health);
        // What answers carry now: the cap, and the check's interval while degraded.
        let ttl_now = plan.served(
            zone_ttl.min(plan.policy.ttl),
            serving < plan.addrs.len(),
            false,
            None,
        );
        let rtype = if plan.addrs.first().is_some_and(IpAddr::is_ipv6) {
            "AAAA"
        } else {
            "A"
        };
        pools.push(PoolStatus {
            name: name.to_string(),
            rtype: rtype.to_string(),
            configured: plan.pool.is_some(),
            weighting: plan.policy.weighting.name(),
            ttl: plan.policy.ttl,
            answers: plan.policy.answers,
            all_down: plan.policy.all_down.name(),
            check,
            all_out,
            serving,
            ttl_now,
            fail_open: all_out && plan.policy.all_down == crate::balance::AllDown::All,
            tiered: plan.tiers > 1,
            served_whole: plan.whole,
            share_window: window,
            tier_served: served.as_ref().map(|(t, _)| t + 1),
            tiers: served.map_or_else(Vec::new, |(_, counts)| {
                (counts.iter().enumerate())
                    .filter(|(_, (_, size))| *size > 0)
                    .map(|(i, (up, size))| {
                        let need = plan.min_up.needed(*size);
                        let verdict = if *up >= need {
                            "eligible"
                        } else {
                            "below min_up"
                        };
                        format!(
                            "tier {}: {up} of {size} up, {need} needed: {verdict}",
                            i + 1
                        )
                    })
                    .collect()
            }),
            backends,
        });
    }
    pools.sort_by(|a, b| (&a.name, &a.rtype).cmp(&(&b.name, &b.rtype)));
    Status {
        version: env!("CARGO_PKG_VERSION"),
        ready: admin.prober.first_round_done(),
        uptime_seconds: admin.started.elapsed().as_secs(),
        zones: zone_states(&zones, admin),
        pools,
        drained: admin.prober.drained().into_iter().collect(),
        drains: (admin.prober.drain_details().into_iter())
            .map(|(address, d)| DrainStatus {
                address,
                reason: d.reason,
                since: d.since,
                until: d.until,
            })
            .collect(),
        last_reload: admin.last_reload.lock().ok().and_then(|r| r.clone()),
    }
}
