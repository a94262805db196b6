//! `GET /metrics`: Prometheus text exposition format 0.0.4.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::Admin;
use super::status::Status;
use crate::health::prober::LATENCY_BUCKETS;
use crate::metrics::label;
use crate::noise;

pub fn render(admin: &Admin, status: &Status) -> String {
    let mut m = String::with_capacity(4096);
    let zones = admin.zones.get();
    m.push_str("# HELP rrdns_queries_total DNS queries answered, by zone, query type and response code.\n# TYPE rrdns_queries_total counter\n");
    for z in zones.zones() {
        for (t, r, n) in z.counters.snapshot() {
            let _ = writeln!(
                m,
                "rrdns_queries_total{{zone=\"{}\",qtype=\"{t}\",rcode=\"{r}\"}} {n}",
                label(&z.origin.to_string())
            );
        }
    }
    m.push_str("# HELP rrdns_dnssec_signatures_total Answers of signed zones whose balanced subset got an online signature: made now (reused=false) or taken from the signature cache, since the zone was loaded.\n# TYPE rrdns_dnssec_signatures_total counter\n");
    for z in zones.zones() {
        let Some(signer) = &z.signer else { continue };
        let zone = label(&z.origin.to_string());
        for (reused, n) in [("false", &signer.made), ("true", &signer.reused)] {
            let n = n.load(std::sync::atomic::Ordering::Relaxed);
            let _ = writeln!(
                m,
                "rrdns_dnssec_signatures_total{{zone=\"{zone}\",reused=\"{reused}\"}} {n}"
            );
        }
    }
    for (t, r, n) in admin.engine.counters.no_zone.snapshot() {
        let _ = writeln!(
            m,
            "rrdns_queries_total{{zone=\"-\",qtype=\"{t}\",rcode=\"{r}\"}} {n}"
        );
    }
    let _ = writeln!(
        m,
        "# HELP rrdns_build_info The running version.\n# TYPE rrdns_build_info gauge\nrrdns_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    let c = &admin.engine.counters;
    let _ = write!(
        m,
        "# HELP rrdns_responses_truncated_total UDP responses sent with TC set.\n# TYPE rrdns_responses_truncated_total counter\nrrdns_responses_truncated_total {}\n\
# HELP rrdns_reloads_total Reloads of configuration and zones, by result.\n# TYPE rrdns_reloads_total counter\n\
rrdns_reloads_total{{result=\"ok\"}} {}\nrrdns_reloads_total{{result=\"failed\"}} {}\n",
        c.truncated.load(Ordering::Relaxed),
        c.reloads_ok.load(Ordering::Relaxed),
        c.reloads_failed.load(Ordering::Relaxed)
    );
    let _ = write!(
        m,
        "# HELP rrdns_tcp_connections DNS TCP client connections open.\n# TYPE rrdns_tcp_connections gauge\nrrdns_tcp_connections {}\n\
# HELP rrdns_tcp_closed_total DNS TCP connections closed by the server early, by reason: evicted (to make room for a new one) or refused (the client had its share).\n# TYPE rrdns_tcp_closed_total counter\n\
rrdns_tcp_closed_total{{reason=\"evicted\"}} {}\nrrdns_tcp_closed_total{{reason=\"refused\"}} {}\n",
        admin.tcp.open(),
        admin.tcp.evicted.load(Ordering::Relaxed),
        admin.tcp.refused.load(Ordering::Relaxed)
    );
    let rrl = admin.engine.rrl.load();
    let count =
        |c: Option<&std::sync::atomic::AtomicU64>| c.map_or(0, |c| c.load(Ordering::Relaxed));
    let _ = write!(
        m,
        "# HELP rrdns_rrl_responses_total UDP responses held back by response rate limiting: dropped, or slipped (sent truncated).\n# TYPE rrdns_rrl_responses_total counter\n\
rrdns_rrl_responses_total{{action=\"dropped\"}} {}\nrrdns_rrl_responses_total{{action=\"slipped\"}} {}\n",
        count(rrl.as_ref().map(|r| &r.dropped)),
        count(rrl.as_ref().map(|r| &r.slipped)),
    );
    m.push_str("# HELP rrdns_events_total Remotely caused events, each kind logged at most once per 10 s: malformed requests, NOTIFYs accepted and refused, transfer requests refused.\n# TYPE rrdns_events_total counter\n");
    for kind in noise::Kind::ALL {
        let _ = writeln!(
            m,
            "rrdns_events_total{{kind=\"{}\"}} {}",
            kind.name(),
            noise::global().total(kind)
        );
    }
    m.push_str("# HELP rrdns_zone_loaded 1 when the zone has data, 0 for a secondary zone waiting for its first transfer or expired.\n# TYPE rrdns_zone_loaded gauge\n");
    for z in &status.zones {
        let loaded = u8::from(z.state == "loaded");
        let _ = writeln!(
            m,
            "rrdns_zone_loaded{{zone=\"{}\"}} {loaded}",
            label(&z.name)
        );
    }
    m.push_str("# HELP rrdns_zone_serial SOA serial of each zone served.\n# TYPE rrdns_zone_serial gauge\n");
    for z in status.zones.iter().filter(|z| z.state == "loaded") {
        let _ = writeln!(
            m,
            "rrdns_zone_serial{{zone=\"{}\"}} {}",
            label(&z.name),
            z.serial
        );
    }
    m.push_str("# HELP rrdns_backend_up 1 when the backend passes its check, 0 when it fails.\n# TYPE rrdns_backend_up gauge\n");
    for t in admin.prober.targets() {
        let _ = writeln!(
            m,
            "rrdns_backend_up{{check=\"{}\",address=\"{}\"}} {}",
            label(&t.check),
            t.addr,
            u8::from(t.state.up)
        );
    }
    m.push_str("# HELP rrdns_probe_failures_total Probes that failed, by check and address.\n# TYPE rrdns_probe_failures_total counter\n");
    for t in admin.prober.targets() {
        let _ = writeln!(
            m,
            "rrdns_probe_failures_total{{check=\"{}\",address=\"{}\"}} {}",
            label(&t.check),
            t.addr,
            t.state.failures
        );
    }
    m.push_str("# HELP rrdns_pool_serving Addresses of each balanced RRset served now (up and not drained).\n# TYPE rrdns_pool_serving gauge\n");
    for p in &status.pools {
        let _ = writeln!(
            m,
            "rrdns_pool_serving{{pool=\"{}\",type=\"{}\"}} {}",
            label(&p.name),
            p.rtype,
            p.serving
        );
    }
    m.push_str("# HELP rrdns_pool_tier_served The failover tier served now (1 first), per pool and family; 0 while every address is out.\n# TYPE rrdns_pool_tier_served gauge\n");
    for p in status.pools.iter().filter(|p| p.tiered) {
        let family = if p.rtype == "AAAA" { "ipv6" } else { "ipv4" };
        let _ = writeln!(
            m,
            "rrdns_pool_tier_served{{pool=\"{}\",family=\"{family}\"}} {}",
            label(&p.name),
            p.tier_served.unwrap_or(0)
        );
    }
    m.push_str("# HELP rrdns_pool_fail_open 1 when every address of the pool is out and all are served anyway (all_down: all).\n# TYPE rrdns_pool_fail_open gauge\n");
    for p in &status.pools {
        let _ = writeln!(
            m,
            "rrdns_pool_fail_open{{pool=\"{}\",type=\"{}\"}} {}",
            label(&p.name),
            p.rtype,
            u8::from(p.fail_open)
        );
    }
    let refresh = admin.secondaries.states();
    m.push_str("# HELP rrdns_zone_refresh_failures_total Refreshes of a secondary zone that failed.\n# TYPE rrdns_zone_refresh_failures_total counter\n");
    for (zone, r) in &refresh {
        let _ = writeln!(
            m,
            "rrdns_zone_refresh_failures_total{{zone=\"{}\"}} {}",
            label(&zone.to_string()),
            r.failures
        );
    }
    m.push_str("# HELP rrdns_zone_age_seconds Seconds since a secondary zone's copy was last confirmed current by its primary.\n# TYPE rrdns_zone_age_seconds gauge\n");
    let now = crate::metrics::unix_now();
    for (zone, r) in &refresh {
        if let Some(t) = r.last_ok_at {
            let _ = writeln!(
                m,
                "rrdns_zone_age_seconds{{zone=\"{}\"}} {}",
                label(&zone.to_string()),
                now.saturating_sub(t)
            );
        }
    }
    m.push_str("# HELP rrdns_backend_drained 1 when an operator drained the address.\n# TYPE rrdns_backend_drained gauge\n");
    for d in &status.drained {
        let _ = writeln!(m, "rrdns_backend_drained{{address=\"{d}\"}} 1");
    }
    let stats = admin.prober.stats();
    m.push_str("# HELP rrdns_backend_transitions_total Health state changes, by new state.\n# TYPE rrdns_backend_transitions_total counter\n");
    for ((check, addr, up), n) in &stats.transitions {
        let to = if *up { "up" } else { "down" };
        let _ = writeln!(
            m,
            "rrdns_backend_transitions_total{{check=\"{}\",address=\"{addr}\",to=\"{to}\"}} {n}",
            label(check)
        );
    }
    m.push_str("# HELP rrdns_probe_duration_seconds Duration of successful probes.\n# TYPE rrdns_probe_duration_seconds histogram\n");
    for (check, (buckets, sum, count)) in &stats.latency {
        let c = label(check);
        let mut acc = 0;
        for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
            acc += buckets[i];
            let _ = writeln!(
                m,
                "rrdns_probe_duration_seconds_bucket{{check=\"{c}\",le=\"{b}\"}} {acc}"
            );
        }
        acc += buckets[LATENCY_BUCKETS.len()];
        let _ = writeln!(
            m,
            "rrdns_probe_duration_seconds_bucket{{check=\"{c}\",le=\"+Inf\"}} {acc}"
        );
        let _ = writeln!(m, "rrdns_probe_duration_seconds_sum{{check=\"{c}\"}} {sum}");
        let _ = writeln!(
            m,
            "rrdns_probe_duration_seconds_count{{check=\"{c}\"}} {count}"
        );
    }
    m
}
