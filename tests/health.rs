//! Health-aware answers with real backends on 127.0.0.21–.23 and ::1: failures of every
//! kind take an address out within interval × fall + 0.5 s, recovery brings it back
//! within interval × rise + 0.5 s, and no answer in between contains it.

mod common;

use common::backend::{Backend, Mode, backends, tcp_service};
use common::*;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use std::time::{Duration, Instant};

const IPS: [&str; 3] = ["127.0.0.21", "127.0.0.22", "127.0.0.23"];
const INTERVAL: f64 = 1.0;
const RISE: u32 = 2;
const FALL: u32 = 2;

fn zone() -> String {
    "$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 60\n@ NS ns\nns A 127.0.0.53\n\
     web A 127.0.0.21\n A 127.0.0.22\n A 127.0.0.23\n\
     one A 127.0.0.21\n A 127.0.0.22\n\
     v6 AAAA ::1\n\
     tcp A 127.0.0.24\n A 127.0.0.25\n\
     tls A 127.0.0.26\n A 127.0.0.27\n"
        .to_string()
}

fn config(port: u16, kind: &str, extra_check: &str, all_down: &str) -> String {
    format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nadmin_token: \"s3cret\"\nstate_dir: state\n\
zones: [{{ name: h.test., file: h.zone }}]\n\
pools:\n  web.h.test.:\n    check: web\n    all_down: {all_down}\n    ttl: 20\n  v6.h.test.:\n    check: web\n    all_down: none\n\
checks:\n  web:\n    type: {kind}\n    port: {port}\n    path: /health\n    host: www.h.test\n    expect_body: \"OK\"\n{}",
        format_args!(
            "    interval: {INTERVAL}s\n    timeout: 300ms\n    rise: {RISE}\n    fall: {FALL}\n{extra_check}"
        )
    )
}

fn addrs(s: &Server, name: &str) -> Vec<String> {
    s.udp(name, RecordType::A)
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

/// Polls until `pred(answer)` holds; returns how long it took.
fn until(s: &Server, name: &str, limit: Duration, pred: impl Fn(&[String]) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        let answer = addrs(s, name);
        if pred(&answer) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "condition not met within {limit:?}; last answer {answer:?}; log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn bound(n: u32) -> Duration {
    Duration::from_secs_f64(INTERVAL * f64::from(n) + 0.5)
}

/// Starts rrdns and backends, waits for all three to be served, then flips the middle
/// one to `mode` and back, measuring both transitions.
fn flip(mode: Mode) {
    let (port, b) = backends(&IPS, None);
    let s = Server::start(&config(port, "http", "", "all"), &[("h.zone", &zone())]);
    until(&s, "web.h.test.", Duration::from_secs(5), |a| a.len() == 3);
    b[1].set(mode);
    let down = until(
        &s,
        "web.h.test.",
        bound(FALL) + Duration::from_secs(1),
        |a| !a.contains(&IPS[1].to_string()),
    );
    assert!(
        down <= bound(FALL),
        "{mode:?}: out of answers after {down:?}"
    );
    // While it is down, no answer ever holds it, and the TTL drops to the interval.
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(800) {
        let m = s.udp("web.h.test.", RecordType::A);
        assert!(
            m.answers.iter().all(|r| r.data.to_string() != IPS[1]),
            "{mode:?}"
        );
        assert!(
            m.answers.iter().all(|r| r.ttl <= INTERVAL as u32),
            "health-aware TTL"
        );
    }
    b[1].set(Mode::Healthy);
    let up = until(
        &s,
        "web.h.test.",
        bound(RISE) + Duration::from_secs(1),
        |a| a.len() == 3,
    );
    assert!(up <= bound(RISE), "{mode:?}: back after {up:?}");
    eprintln!("{mode:?}: out of answers after {down:?}, back after {up:?}");
    assert!(
        s.udp("web.h.test.", RecordType::A)
            .answers
            .iter()
            .all(|r| r.ttl == 20)
    );
    assert!(s.log().contains("backend down"), "transitions are logged");
}

#[test]
fn http_500_is_taken_out_and_brought_back() {
    flip(Mode::Status500);
}

#[test]
fn wrong_body_is_taken_out() {
    flip(Mode::WrongBody);
}

#[test]
fn hang_after_accept_is_taken_out() {
    flip(Mode::Hang);
}

#[test]
fn connection_refused_is_taken_out() {
    flip(Mode::Refuse);
}

#[test]
fn slow_past_the_timeout_is_taken_out() {
    flip(Mode::Slow);
}

#[test]
fn probes_send_the_configured_host_header() {
    let (port, b) = backends(&IPS, None);
    let s = Server::start(&config(port, "http", "", "all"), &[("h.zone", &zone())]);
    until(&s, "web.h.test.", Duration::from_secs(5), |a| a.len() == 3);
    // Addresses are up before their first probe; wait for one to arrive (the first comes
    // at a random phase within the interval).
    let t = Instant::now();
    while b[0].last_host.lock().unwrap().is_empty() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(*b[0].last_host.lock().unwrap(), "www.h.test");
}

/// Whether `/status` says every address of pool `name` is out. The v6 pool (no backend
/// on ::1) is all out from the start, so the pool must be picked by name.
fn all_out(s: &Server, name: &str) -> bool {
    let v: serde_json::Value = serde_json::from_str(&s.http("GET", "/status", None).1).unwrap();
    let pools = v["pools"].as_array().unwrap();
    let pool = pools.iter().find(|p| p["name"] == name).unwrap();
    pool["all_out"].as_bool().unwrap()
}

#[test]
fn all_down_policies() {
    for (policy, expect) in [("all", 3usize), ("none", 0), ("servfail", 0)] {
        let (port, b) = backends(&IPS, None);
        let s = Server::start(&config(port, "http", "", policy), &[("h.zone", &zone())]);
        until(&s, "web.h.test.", Duration::from_secs(5), |a| a.len() == 3);
        b.iter().for_each(|x| x.set(Mode::Status500));
        let deadline = Instant::now() + bound(FALL) + Duration::from_secs(1);
        loop {
            let m = s.udp("web.h.test.", RecordType::A);
            let done = match policy {
                "all" => all_out(&s, "web.h.test."),
                "none" => m.answers.is_empty() && m.response_code == ResponseCode::NoError,
                _ => m.response_code == ResponseCode::ServFail,
            };
            if done {
                // The status said all are out after this answer was taken, and the last
                // address may have gone down in between: ask again.
                let m = match policy {
                    "all" => s.udp("web.h.test.", RecordType::A),
                    _ => m,
                };
                assert_eq!(m.answers.len(), expect, "{policy}");
                if policy == "all" {
                    let page = s.http("GET", "/", None).1;
                    assert!(page.contains("FAIL OPEN"), "{page}");
                }
                if policy == "none" {
                    assert_eq!(m.authorities[0].record_type(), RecordType::SOA);
                }
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{policy} not applied; log:\n{}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn ipv6_backends_are_probed_and_balanced_like_ipv4() {
    let (port, b) = backends(&["::1"], None);
    let s = Server::start(&config(port, "http", "", "all"), &[("h.zone", &zone())]);
    let v6 = |s: &Server| s.udp("v6.h.test.", RecordType::AAAA);
    let start = Instant::now();
    while v6(&s).answers.len() != 1 {
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(50));
    }
    b[0].set(Mode::Status500);
    let t = Instant::now();
    while !v6(&s).answers.is_empty() {
        assert!(
            t.elapsed() <= bound(FALL),
            "::1 still served after {:?}",
            t.elapsed()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    let (_, status) = s.http("GET", "/status", None);
    assert!(
        status.contains("\"address\": \"::1\"") && status.contains("\"state\": \"down\""),
        "{status}"
    );
}

#[test]
fn tcp_send_expect_check() {
    let port = free_port();
    tcp_service(
        format!("127.0.0.24:{port}").parse().unwrap(),
        b"HTTP/1.0 200 OK\r\n\r\n",
    )
    .unwrap();
    tcp_service(
        format!("127.0.0.25:{port}").parse().unwrap(),
        b"SSH-2.0-nope\r\n",
    )
    .unwrap();
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\nzones: [{{ name: h.test., file: h.zone }}]\n\
pools:\n  tcp.h.test.:\n    check: classic\n\
checks:\n  classic:\n    type: tcp\n    port: {port}\n    send: \"GET / HTTP/1.0\\r\\n\\r\\n\"\n    expect_body: \"HTTP\"\n    interval: 1s\n    timeout: 400ms\n    fall: 1\n"
    );
    let s = Server::start(&cfg, &[("h.zone", &zone())]);
    until(&s, "tcp.h.test.", Duration::from_secs(5), |a| {
        a == ["127.0.0.24"]
    });
    let (_, status) = s.http("GET", "/status", None);
    assert!(status.contains("reply does not start with"), "{status}");
}

/// The server's threads as (name, nice), from /proc.
fn threads(pid: u32) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = t.unwrap().path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap();
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
        // After the name in parentheses: state is field 3, nice field 19.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        out.push((name.trim().to_string(), fields[16].parse().unwrap()));
    }
    out
}

/// Probes run on threads of their own, 10 below the rest: a query waiting on a busy
/// core runs before a probe. The threads that answer keep the process's priority.
#[test]
fn probes_run_below_the_threads_that_answer() {
    let port = free_port();
    tcp_service(format!("127.0.0.24:{port}").parse().unwrap(), b"").unwrap();
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nstate_dir: state\nzones: [{{ name: h.test., file: h.zone }}]\n\
pools:\n  tcp.h.test.:\n    check: plain\n\
checks:\n  plain:\n    type: tcp\n    port: {port}\n    interval: 1s\n"
    );
    let s = Server::start(&cfg, &[("h.zone", &zone())]);
    until(&s, "tcp.h.test.", Duration::from_secs(5), |a| {
        a == ["127.0.0.24"]
    });
    let all = threads(s.child.id());
    let (probes, others): (Vec<_>, Vec<_>) = all.iter().partition(|t| t.0 == "rrdns-probe");
    // Relative to the process's own (the main thread's), in case the tests run niced.
    let base = all.iter().find(|t| t.0 == "rrdns").expect("main thread").1;
    assert!(!probes.is_empty(), "no probe threads: {all:?}");
    assert!(probes.iter().all(|t| t.1 == (base + 10).min(19)), "{all:?}");
    assert!(
        others.len() >= 2 && others.iter().all(|t| t.1 == base),
        "{all:?}"
    );
}

#[test]
fn https_with_self_signed_certificate() {
    let (port, _b) = backends(&["127.0.0.26", "127.0.0.27"], Some("www.h.test"));
    let pools = "pools:\n  tls.h.test.:\n    check: strict\n";
    let checks = |name: &str, verify: bool| {
        format!(
            "  {name}:\n    type: https\n    port: {port}\n    path: /health\n    host: www.h.test\n    tls_verify: {verify}\n    interval: 1s\n    timeout: 800ms\n    fall: 1\n"
        )
    };
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\nzones: [{{ name: h.test., file: h.zone }}]\n{pools}checks:\n{}{}",
        checks("strict", true),
        checks("lax", false)
    );
    let s = Server::start(&cfg, &[("h.zone", &zone())]);
    // tls_verify: true rejects the self-signed certificate: both down, served anyway (all).
    let t = Instant::now();
    loop {
        let (_, status) = s.http("GET", "/status", None);
        if status.contains("\"all_out\": true") {
            assert!(status.to_lowercase().contains("certificate"), "{status}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "{status}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // tls_verify: false accepts it; SNI and Host are www.h.test.
    std::fs::write(
        &s.config,
        std::fs::read_to_string(&s.config)
            .unwrap()
            .replace("check: strict", "check: lax"),
    )
    .unwrap();
    s.hup();
    let t = Instant::now();
    loop {
        let (_, status) = s.http("GET", "/status", None);
        if status.matches("\"state\": \"up\"").count() == 2 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{status}\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn drain_needs_the_token_survives_restart_and_undrain_restores() {
    let (port, _b) = backends(&IPS, None);
    let s = Server::start(&config(port, "http", "", "all"), &[("h.zone", &zone())]);
    until(&s, "web.h.test.", Duration::from_secs(5), |a| a.len() == 3);
    let path = "/api/backends/127.0.0.22/drain";
    assert_eq!(s.http("POST", path, None).0, 401);
    assert_eq!(s.http("POST", path, Some("wrong")).0, 401);
    assert_eq!(
        s.udp("web.h.test.", RecordType::A).answers.len(),
        3,
        "refused writes change nothing"
    );
    let (code, body) = s.http("POST", path, Some("s3cret"));
    assert_eq!(code, 200, "{body}");
    // Taken out at the next query; drained everywhere, also in a plain RRset.
    for _ in 0..50 {
        assert!(!addrs(&s, "web.h.test.").contains(&"127.0.0.22".to_string()));
        assert_eq!(addrs(&s, "one.h.test."), ["127.0.0.21"]);
    }
    assert_eq!(
        s.http("POST", "/api/backends/not-an-ip/drain", Some("s3cret"))
            .0,
        400
    );
    // Regression: an address in no pool was accepted (200, changed) and changed nothing;
    // so was the IPv4-mapped spelling of a pool's address.
    let (code, body) = s.http("POST", "/api/backends/203.0.113.9/drain", Some("s3cret"));
    assert_eq!(
        (code, body.contains("is in no pool")),
        (404, true),
        "{body}"
    );
    let mapped = "/api/backends/::ffff:127.0.0.23/drain";
    let (code, body) = s.http("POST", mapped, Some("s3cret"));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"address\":\"127.0.0.23\""), "{body}");
    assert_eq!(addrs(&s, "web.h.test."), ["127.0.0.21"]);
    assert_eq!(s.http("DELETE", mapped, Some("s3cret")).0, 200);

    let (dir, cfg) = s.stop();
    let s = Server::spawn(dir, cfg);
    assert_eq!(
        addrs(&s, "web.h.test.").len(),
        2,
        "drain survives a restart"
    );
    assert!(
        s.http("GET", "/status", None)
            .1
            .contains("\"state\": \"drained\"")
    );

    assert_eq!(s.http("DELETE", path, Some("s3cret")).0, 200);
    until(&s, "web.h.test.", Duration::from_secs(3), |a| a.len() == 3);
}

#[test]
fn readyz_waits_for_the_first_probe_round() {
    let (port, b) = backends(&IPS, None);
    b[0].set(Mode::Hang);
    // A long timeout keeps the first probe of .21 pending for a while.
    let cfg = config(port, "http", "", "all").replace("timeout: 300ms", "timeout: 900ms");
    let s = Server::start(&cfg, &[("h.zone", &zone())]);
    let (code, _) = s.http("GET", "/readyz", None);
    assert_eq!(code, 503);
    assert_eq!(s.http("GET", "/healthz", None).0, 200);
    let t = Instant::now();
    while s.http("GET", "/readyz", None).0 != 200 {
        assert!(t.elapsed() < Duration::from_secs(3));
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn metrics_parse_as_prometheus_text() {
    let (port, b) = backends(&IPS, None);
    let s = Server::start(&config(port, "http", "", "all"), &[("h.zone", &zone())]);
    until(&s, "web.h.test.", Duration::from_secs(5), |a| a.len() == 3);
    b[2].set(Mode::Status500);
    until(
        &s,
        "web.h.test.",
        bound(FALL) + Duration::from_secs(1),
        |a| a.len() == 2,
    );
    s.udp("nope.h.test.", RecordType::A);
    s.udp("elsewhere.example.", RecordType::A);
    let (code, text) = s.http("GET", "/metrics", None);
    assert_eq!(code, 200);
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text");
    let find = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
    };
    let value = |s: &prometheus_parse::Sample| match s.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        _ => f64::NAN,
    };
    let q = find(
        "rrdns_queries_total",
        &[("zone", "h.test."), ("qtype", "A"), ("rcode", "NXDOMAIN")],
    );
    assert_eq!(q.map(value), Some(1.0), "{text}");
    assert!(
        find(
            "rrdns_queries_total",
            &[("zone", "-"), ("rcode", "REFUSED")]
        )
        .is_some(),
        "{text}"
    );
    // One of three addresses is out: 2 serving, not failing open, its failures counted.
    assert_eq!(
        find(
            "rrdns_pool_serving",
            &[("pool", "web.h.test."), ("type", "A")]
        )
        .map(value),
        Some(2.0)
    );
    assert_eq!(
        find("rrdns_pool_fail_open", &[("pool", "web.h.test.")]).map(value),
        Some(0.0)
    );
    assert!(
        find("rrdns_probe_failures_total", &[("address", "127.0.0.23")]).map(value) >= Some(2.0),
        "{text}"
    );
    assert!(find("rrdns_build_info", &[]).is_some(), "{text}");
    // The page says so, with the TTL answers carry now (the interval, 1 s).
    let page = s.http("GET", "/", None).1;
    assert!(page.contains("2 of 3 serving"), "{page}");
    assert!(page.contains("TTL now 1 s (cap 20 s"), "{page}");
    assert!(
        page.contains("http://127.0.0.23:"),
        "the check's target: {page}"
    );
    assert_eq!(
        find("rrdns_backend_up", &[("address", "127.0.0.23")]).map(value),
        Some(0.0)
    );
    assert_eq!(
        find("rrdns_backend_up", &[("address", "127.0.0.21")]).map(value),
        Some(1.0)
    );
    assert!(
        find(
            "rrdns_backend_transitions_total",
            &[("address", "127.0.0.23"), ("to", "down")]
        )
        .is_some()
    );
    assert_eq!(
        find("rrdns_zone_serial", &[("zone", "h.test.")]).map(value),
        Some(1.0)
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "rrdns_probe_duration_seconds"),
        "{text}"
    );
}

#[test]
fn a_reload_starts_and_stops_checks() {
    let (port, b) = backends(&IPS, None);
    let s = Server::start(&config(port, "http", "", "all"), &[("h.zone", &zone())]);
    until(&s, "web.h.test.", Duration::from_secs(5), |a| a.len() == 3);
    b[1].set(Mode::Status500);
    until(&s, "web.h.test.", Duration::from_secs(5), |a| a.len() == 2);
    // Remove the check from the pool: nothing is probed, every address is served.
    let cfg = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        cfg.replace("    check: web\n    all_down: all\n", "    all_down: all\n"),
    )
    .unwrap();
    s.hup();
    until(&s, "web.h.test.", Duration::from_secs(3), |a| a.len() == 3);
    let _keep: &Vec<Backend> = &b;
}
