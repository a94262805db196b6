//! `rrdns check --print`: the configuration as rrdns will run it, every default filled in,
//! written back as YAML that `rrdns check` reads again. Secrets (the admin token, TSIG
//! secrets) are masked.

use std::fmt::Write;
use std::time::Duration;

use super::{Config, Probe, ZoneSource};

/// A YAML string, double-quoted with the escapes YAML and JSON share.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn list<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let v: Vec<String> = items.into_iter().map(|i| q(&i.to_string())).collect();
    format!("[{}]", v.join(", "))
}

/// The key's name as configured (its DNS name without the root dot).
fn key_name(k: &crate::wire::tsig::Key) -> String {
    k.name.to_string().trim_end_matches('.').to_string()
}

pub fn render(c: &Config) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# {}: the effective configuration, defaults filled in",
        c.source
    );
    let _ = writeln!(y, "listen: {}", list(&c.listen));
    if let Some(a) = c.admin {
        let _ = writeln!(y, "admin: {}", q(&a.to_string()));
    }
    if c.admin_token.is_some() {
        let _ = writeln!(y, "admin_token: \"********\"");
    }
    let _ = writeln!(y, "state_dir: {}", q(&c.state_dir.display().to_string()));
    let format = match c.log_format {
        super::LogFormat::Text => "text",
        super::LogFormat::Json => "json",
    };
    let _ = writeln!(y, "log_format: {format}");
    y.push_str("zones:\n");
    for z in &c.zones {
        let _ = writeln!(y, "  - name: {}", z.name);
        match &z.source {
            ZoneSource::File(p) => {
                let _ = writeln!(y, "    file: {}", q(&p.display().to_string()));
            }
            ZoneSource::Embedded(_) => y.push_str("    file: \"<embedded example zone>\"\n"),
            ZoneSource::Secondary { primaries, key } => {
                let _ = writeln!(y, "    primaries: {}", list(primaries));
                if let Some(k) = key {
                    let _ = writeln!(y, "    key: {}", key_name(k));
                }
            }
        }
        if let Some(d) = &z.dnssec {
            let keys = d.keys.iter().map(|k| q(&k.path.display().to_string()));
            let _ = writeln!(
                y,
                "    dnssec:\n      keys: [{}]\n      validity: {}\n      refresh: {}\n      cache: {}",
                keys.collect::<Vec<_>>().join(", "),
                secs(d.validity),
                secs(d.refresh),
                d.cache
            );
            if let Some(n) = &d.nsec3 {
                let salt = data_encoding::HEXLOWER.encode(&n.salt);
                let _ = writeln!(
                    y,
                    "      nsec3: {{iterations: {}, salt: \"{salt}\"}}",
                    n.iterations
                );
            }
        }
    }
    let t = &c.transfer;
    y.push_str("transfer:\n");
    let allow = t.allow.iter().map(|p| format!("{}/{}", p.addr, p.len));
    let _ = writeln!(y, "  allow: {}", list(allow));
    if let Some(k) = &t.key {
        let _ = writeln!(y, "  key: {}", key_name(k));
    }
    let _ = writeln!(y, "  notify: {}", list(&t.notify));
    let _ = writeln!(y, "  max_concurrent: {}", t.max_concurrent);
    if !c.keys.is_empty() {
        y.push_str("keys:\n");
        for (name, k) in &c.keys {
            let alg = k.algorithm.to_string();
            let _ = writeln!(
                y,
                "  {name}: {{ algorithm: {}, secret: \"********\" }}",
                alg.trim_end_matches('.')
            );
        }
    }
    let d = &c.defaults;
    let _ = writeln!(
        y,
        "defaults:\n  ttl: {}\n  weighting: {}\n  answers: {}",
        d.ttl,
        d.weighting.name(),
        d.answers
    );
    if !c.pools.is_empty() {
        y.push_str("pools:\n");
    }
    for p in &c.pools {
        let _ = writeln!(y, "  {}:", p.name);
        if let Some(check) = &p.check {
            let _ = writeln!(y, "    check: {}", check.name);
        }
        if !p.weights.is_empty() {
            let w: Vec<String> = (p.weights.iter())
                .map(|(a, w)| format!("{}: {w}", q(&a.to_string())))
                .collect();
            let _ = writeln!(y, "    weights: {{ {} }}", w.join(", "));
        }
        let pol = &p.policy;
        let _ = writeln!(
            y,
            "    weighting: {}\n    answers: {}\n    ttl: {}\n    all_down: {}",
            pol.weighting.name(),
            pol.answers,
            pol.ttl,
            pol.all_down.name()
        );
        if !p.tiers.is_empty() {
            y.push_str("    tiers:\n");
            for t in &p.tiers {
                let _ = writeln!(y, "      - {}", list(t));
            }
            let min_up = match p.min_up {
                crate::balance::MinUp::Count(n) => n.to_string(),
                crate::balance::MinUp::Share(s) => q(&format!("{}%", s * 100.0)),
            };
            let _ = writeln!(y, "    min_up: {min_up}");
        }
    }
    if !c.checks.is_empty() {
        y.push_str("checks:\n");
    }
    for (name, ch) in &c.checks {
        let _ = writeln!(y, "  {name}:");
        match &ch.probe {
            Probe::Http(h) => {
                let kind = if h.tls.is_some() { "https" } else { "http" };
                let status: Vec<String> = (h.expect_status.iter())
                    .map(|(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}-{b}")
                        }
                    })
                    .collect();
                let _ = writeln!(
                    y,
                    "    type: {kind}\n    port: {}\n    path: {}\n    expect_status: {}",
                    h.port,
                    q(&h.path),
                    q(&status.join(","))
                );
                if let Some(host) = &h.host {
                    let _ = writeln!(y, "    host: {}", q(host));
                }
                if let Some(b) = &h.expect_body {
                    let _ = writeln!(y, "    expect_body: {}", q(b));
                }
                if let Some(tls) = h.tls {
                    let _ = writeln!(y, "    tls_verify: {}", tls.verify);
                }
            }
            Probe::Tcp(t) => {
                let _ = writeln!(y, "    type: tcp\n    port: {}", t.port);
                if let Some(s) = &t.send {
                    let _ = writeln!(y, "    send: {}", q(s));
                }
                if let Some(e) = &t.expect {
                    let _ = writeln!(y, "    expect_body: {}", q(e));
                }
            }
        }
        let initial = if ch.initial_up { "up" } else { "down" };
        let _ = writeln!(
            y,
            "    interval: {}\n    timeout: {}\n    rise: {}\n    fall: {}\n    initial: {initial}",
            secs(ch.interval),
            secs(ch.timeout),
            ch.rise,
            ch.fall
        );
    }
    let _ = writeln!(
        y,
        "tcp:\n  idle_timeout: {}\n  max_connections: {}\n  max_per_client: {}",
        secs(c.tcp.idle_timeout),
        c.tcp.max_connections,
        c.tcp.max_per_client
    );
    match &c.rrl {
        Some(r) => {
            let _ = writeln!(
                y,
                "rrl:\n  responses_per_second: {}\n  slip: {}\n  ipv4_prefix: {}\n  ipv6_prefix: {}",
                r.responses_per_second, r.slip, r.ipv4_prefix, r.ipv6_prefix
            );
        }
        None => y.push_str("# rrl: off (no rrl key)\n"),
    }
    let _ = writeln!(
        y,
        "limits:\n  zone_records: {}\n  zone_bytes: {}",
        c.limits.records, c.limits.bytes
    );
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// What is printed reads back as the same configuration (secrets aside).
    #[test]
    fn the_printed_configuration_reads_back_the_same() {
        let text = "listen: [\"127.0.0.1:5300\"]\nadmin: \"127.0.0.1:8100\"\nzones:\n  - { name: a.test., file: a.zone }\n  - { name: b.test., primaries: [\"192.0.2.1:53\"] }\n\
transfer: { allow: [\"10.0.0.0/8\"], notify: [\"192.0.2.2:53\"] }\n\
pools:\n  www.a.test.: { check: web, weights: { \"192.0.2.10\": 3 }, weighting: order, ttl: 20, tiers: [[\"192.0.2.10\"], [\"192.0.2.11\"]], min_up: \"50%\" }\n\
checks:\n  web: { type: https, host: w.test, tls_verify: false, expect_body: \"O\\\"K\" }\n  db: { type: tcp, port: 5432, send: \"PING\\r\\n\" }\n\
rrl: { responses_per_second: 7 }\ntcp: { idle_timeout: 1500ms }\nlimits: { zone_bytes: 1M }\n";
        let c = super::super::parse(text, "t.yaml", Path::new("/x")).unwrap();
        let printed = render(&c);
        let again = super::super::parse(&printed, "t.yaml", Path::new("/x"))
            .unwrap_or_else(|p| panic!("{p:?}\n{printed}"));
        assert_eq!(render(&again), printed);
        assert!(printed.contains("max_connections: 1000"), "{printed}");
        assert!(printed.contains("weighting: order"), "{printed}");
        assert!(printed.contains("min_up: \"50%\""), "{printed}");
        assert!(printed.contains("idle_timeout: 1500ms"), "{printed}");
        assert!(printed.contains("zone_bytes: 1048576"), "{printed}");
    }
}
