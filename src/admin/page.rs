//! The status page for people: plain HTML with a little CSS, refreshed every 5 seconds,
//! no scripts or external assets.

use std::fmt::Write;

use super::status::Status;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}\
th{background:#f3f3f3}.up{background:#dff5df}.down{background:#f9d6d6}.drained{background:#fbecc4}\
.unchecked{background:#eef}.meta{color:#666}.alert{color:#b00;font-weight:bold}";

/// Escapes text for HTML.
/// A span of seconds as people say it: 45 s, 12 min, 3 h 5 min.
fn ago(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// A Unix time as UTC time of day (the date is today's, or near it).
fn clock(t: u64) -> String {
    let s = t % 86_400;
    format!("{:02}:{:02}:{:02} UTC", s / 3600, s % 3600 / 60, s % 60)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn render(s: &Status) -> String {
    let mut h = String::with_capacity(8192);
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">\
<title>rrdns status</title><style>{STYLE}</style></head><body><h1>rrdns {}</h1>\
<p class=\"meta\">{} · up {} s · <a href=\"/status\">JSON</a> · <a href=\"/metrics\">metrics</a></p>",
        esc(s.version),
        if s.ready {
            "ready"
        } else {
            "starting: first probe round not done"
        },
        s.uptime_seconds
    );
    let now = crate::metrics::unix_now();
    if let Some(r) = &s.last_reload {
        let how = if r.ok {
            "ok".to_string()
        } else {
            format!("failed: {}", esc(&r.problems.join("; ")))
        };
        let _ = write!(
            h,
            "<p class=\"meta\" id=\"reload\">last reload {} ago: {how}</p>",
            ago(now.saturating_sub(r.at))
        );
    }
    h.push_str(
        "<h2>Zones</h2><table id=\"zones\"><tr><th>zone</th><th>state</th><th>serial</th><th>records</th><th>last refresh</th><th>next refresh</th><th>dnssec</th><th>warnings</th></tr>",
    );
    for z in &s.zones {
        let last = match (z.last_refresh, &z.last_refresh_result) {
            (Some(t), Some(r)) => format!("{} ago: {}", ago(now.saturating_sub(t)), esc(r)),
            _ => String::new(),
        };
        let next = z
            .next_refresh
            .map(|t| format!("in {}", ago(t.saturating_sub(now))))
            .unwrap_or_default();
        let dnssec = z.dnssec.as_ref().map_or(String::new(), |d| {
            let mut text = format!("signed by {} ({})", d.signed_by, d.denial);
            if let Some(t) = d.resign_at {
                let _ = write!(text, ", renewed in {}", ago(t.saturating_sub(now)));
            }
            if let Some(k) = d.online_key {
                let _ = write!(text, ", answers signed with key {k}");
            }
            text
        });
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{last}</td><td>{next}</td><td>{dnssec}</td><td class=\"warn\">{}</td></tr>",
            esc(&z.name),
            z.state,
            z.serial,
            z.records,
            esc(&z.warnings.join("; "))
        );
    }
    h.push_str("</table><h2>Pools</h2>");
    for p in &s.pools {
        let _ = write!(
            h,
            "<h3>{} {} <span class=\"summary\">{} of {} serving</span></h3><p class=\"meta\">weighting {} · TTL now {} s (cap {} s{}) · up to {} answers · all down: {} · check: {}</p>",
            esc(&p.name),
            p.rtype,
            p.serving,
            p.backends.len(),
            p.weighting,
            p.ttl_now,
            p.ttl,
            if p.ttl_now < p.ttl && p.serving < p.backends.len() {
                ", lowered to the check interval while an address is out"
            } else {
                ""
            },
            p.answers,
            p.all_down,
            esc(p.check.as_deref().unwrap_or("none"))
        );
        if let Some(t) = p.tier_served {
            let _ = write!(
                h,
                "<p class=\"meta tier\">tier {t} served · {}</p>",
                esc(&p.tiers.join(" · "))
            );
        }
        if p.served_whole {
            h.push_str("<p class=\"alert whole\">SERVED WHOLE: the zone is signed and rrdns has no key to sign a subset; every address is served with the zone's own signature, and health checks, drains, tiers and weights are off for this set</p>");
        }
        if p.fail_open {
            h.push_str("<p class=\"alert fail-open\">FAIL OPEN: every address is out and all are served anyway (all_down: all)</p>");
        } else if p.all_out {
            let _ = write!(
                h,
                "<p class=\"alert\">every address is out (all_down: {})</p>",
                p.all_down
            );
        }
        let window = p
            .share_window
            .map_or("since reload".to_string(), |s| format!("last {s} s"));
        let _ = write!(
            h,
            "<table class=\"backends\"><tr><th>address</th><th>state</th><th>weight</th><th>served first ({window})</th>\
<th>last probe</th><th>latency</th><th>probes (failed)</th><th>last transition</th><th>target</th></tr>"
        );
        for b in &p.backends {
            let _ = write!(
                h,
                "<tr class=\"{st}\" data-address=\"{a}\" data-state=\"{st}\"><td>{a}</td><td>{st}</td><td>{}</td><td>{:.1} %</td>\
<td>{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
                b.weight,
                b.served_share * 100.0,
                esc(b.last_probe.as_deref().unwrap_or("–")),
                b.latency_ms.map_or("–".to_string(), |l| format!("{l} ms")),
                b.probes,
                b.failures,
                match (b.transition_at, b.seconds_since_transition) {
                    (Some(at), Some(ago_s)) => format!("{} ({} ago)", clock(at), ago(ago_s)),
                    _ => "–".to_string(),
                },
                esc(&match b.slow_start_share {
                    Some(f) => format!(
                        "{} · slow start {:.0} %",
                        b.target.as_deref().unwrap_or("–"),
                        f * 100.0
                    ),
                    None => b.target.as_deref().unwrap_or("–").to_string(),
                }),
                a = b.address,
                st = b.state,
            );
        }
        h.push_str("</table>");
    }
    if !s.drains.is_empty() {
        h.push_str("<h2>Drained</h2><ul id=\"drains\">");
        for d in &s.drains {
            let reason = d
                .reason
                .as_deref()
                .map(|r| format!(": {}", esc(r)))
                .unwrap_or_default();
            let since = match d.since {
                0 => String::new(),
                t => format!(" · for {}", ago(now.saturating_sub(t))),
            };
            let until = d
                .until
                .map(|u| format!(" · ends in {}", ago(u.saturating_sub(now))))
                .unwrap_or_default();
            let _ = write!(h, "<li>{}{reason}{since}{until}</li>", d.address);
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>\n");
    h
}
