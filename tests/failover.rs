//! Failover tiers with real HTTP backends on 127.0.0.31–.34: the first tier with
//! `min_up` addresses up is served alone; failing its addresses moves every answer to the
//! next tier within interval × fall + 0.5 s, recovery moves them back within
//! interval × rise + 0.5 s, no answer ever mixes tiers, a drain counts as down, and
//! `rrdns check` reports tier mistakes at FILE:LINE.

mod common;

use common::backend::{Mode, backends};
use common::*;
use hickory_proto::rr::RecordType;
use std::time::{Duration, Instant};

const FIRST: [&str; 2] = ["127.0.0.31", "127.0.0.32"];
const SECOND: [&str; 2] = ["127.0.0.33", "127.0.0.34"];

fn zone() -> String {
    "$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 60\n@ NS ns\nns A 127.0.0.53\n\
     www A 127.0.0.31\n A 127.0.0.32\n A 127.0.0.33\n A 127.0.0.34\n"
        .to_string()
}

fn config(port: u16, tiers: &str) -> String {
    format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\n\
zones: [{{ name: f.test., file: f.zone }}]\n\
pools:\n  www.f.test.:\n    check: web\n    ttl: 20\n{tiers}\
checks:\n  web: {{ type: http, port: {port}, path: /health, interval: 1s, timeout: 300ms, rise: 2, fall: 2 }}\n"
    )
}

const TIERS: &str = "    tiers:\n      - [\"127.0.0.31\", \"127.0.0.32\"]\n      - [\"127.0.0.33\", \"127.0.0.34\"]\n    min_up: 2\n";

fn answer(s: &Server) -> Vec<String> {
    a_set(&s.udp("www.f.test.", RecordType::A))
}

/// Polls until every answer is exactly `want`, checking that no answer on the way mixes
/// tiers; returns how long it took.
fn until_served(s: &Server, want: &[&str], limit: Duration) -> Duration {
    let t = Instant::now();
    loop {
        let a = answer(s);
        let in_first = a.iter().all(|x| FIRST.contains(&x.as_str()));
        let in_second = a.iter().all(|x| SECOND.contains(&x.as_str()));
        assert!(in_first || in_second, "an answer mixes tiers: {a:?}");
        if a == want {
            return t.elapsed();
        }
        assert!(
            t.elapsed() < limit,
            "{want:?} not served within {limit:?}; last {a:?}; log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn the_second_tier_takes_over_and_hands_back() {
    let ips: Vec<&str> = FIRST.iter().chain(&SECOND).copied().collect();
    let (port, b) = backends(&ips, None);
    let s = Server::start(&config(port, TIERS), &[("f.zone", &zone())]);
    until_served(&s, &FIRST, Duration::from_secs(5));
    for _ in 0..200 {
        assert_eq!(answer(&s), FIRST, "only the first tier while it is up");
    }
    // One of the first tier fails: with min_up 2 the whole answer moves.
    b[0].set(Mode::Status500);
    let took = until_served(&s, &SECOND, Duration::from_secs(4));
    assert!(took <= Duration::from_millis(2500), "moved after {took:?}");
    let status = s.http("GET", "/status", None).1;
    assert!(status.contains("\"tier_served\": 2"), "{status}");
    assert!(
        status.contains("tier 1: 1 of 2 up, 2 needed: below min_up"),
        "{status}"
    );
    let metrics = s.http("GET", "/metrics", None).1;
    assert!(
        metrics.contains("rrdns_pool_tier_served{pool=\"www.f.test.\",family=\"ipv4\"} 2"),
        "{metrics}"
    );
    assert!(
        s.log().contains("failover: tier 2 served now"),
        "{}",
        s.log()
    );
    // While degraded, the TTL is the check's interval.
    assert!(
        s.udp("www.f.test.", RecordType::A)
            .answers
            .iter()
            .all(|r| r.ttl <= 1)
    );
    // It recovers: back to the first tier.
    b[0].set(Mode::Healthy);
    let took = until_served(&s, &FIRST, Duration::from_secs(4));
    assert!(took <= Duration::from_millis(2500), "back after {took:?}");
    // A drain counts as down.
    let (code, _) = s.http("POST", "/api/backends/127.0.0.32/drain", None);
    assert_eq!(code, 200);
    until_served(&s, &SECOND, Duration::from_secs(1));
    // The second tier fails too: the first tier with any address up is served.
    b[2].set(Mode::Status500);
    b[3].set(Mode::Status500);
    until_served(&s, &["127.0.0.31"], Duration::from_secs(4));
}

/// `rrdns check` of the failover configuration with `tiers`: it fails, and its stderr
/// holds every line of `want`.
fn check_fails_with(tiers: &str, want: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("f.zone"), zone()).unwrap();
    let cfg = config(8080, tiers)
        .replace("{PORT}", "0")
        .replace("{ADMIN}", "0");
    std::fs::write(d.path().join("rrdns.yaml"), cfg).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["check", "-c"])
        .arg(d.path().join("rrdns.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for w in want {
        assert!(err.contains(w), "{w} missing from:\n{err}");
    }
}

#[test]
fn tier_mistakes_are_reported_where_the_pool_is() {
    check_fails_with(
        "    tiers:\n      - [\"127.0.0.31\", \"127.0.0.31\"]\n      - [\"127.0.0.33\", \"192.0.2.99\"]\n    min_up: \"150%\"\n",
        &[
            "rrdns.yaml:7: pool www.f.test.: 127.0.0.31 is listed in tiers twice",
            "min_up '150%' is not a count or a share",
        ],
    );
    check_fails_with(
        "    tiers:\n      - [\"127.0.0.31\", \"127.0.0.32\"]\n      - [\"127.0.0.33\", \"192.0.2.99\"]\n",
        &[
            "pool www.f.test.: tier address 192.0.2.99 is not an address of www.f.test.",
            "pool www.f.test.: 127.0.0.34 is in no tier",
        ],
    );
}

/// Measures an address that has just come back over a 4 s `slow_start` window from
/// `start`: its share of answers in the first fifth must be below a third of its share in
/// the last fifth, and after the window it is in every answer again.
fn ramps_in(s: &Server, start: Instant, what: &str) {
    let (mut early, mut late) = ((0, 0), (0, 0));
    while start.elapsed() < Duration::from_secs(4) {
        let t = start.elapsed();
        let has = answer(s).contains(&"127.0.0.31".to_string());
        let bucket = if t < Duration::from_millis(800) {
            &mut early
        } else if t >= Duration::from_millis(3200) {
            &mut late
        } else {
            continue;
        };
        bucket.0 += usize::from(has);
        bucket.1 += 1;
    }
    let (e, l) = (
        early.0 as f64 / early.1 as f64,
        late.0 as f64 / late.1 as f64,
    );
    eprintln!(
        "slow start ({what}): share {e:.2} in the first fifth ({} answers), {l:.2} in the last ({})",
        early.1, late.1
    );
    assert!(early.1 > 50 && late.1 > 50, "too few answers to tell");
    assert!(e < l / 3.0, "{what}: first fifth {e:.2}, last fifth {l:.2}");
    std::thread::sleep(Duration::from_millis(200));
    assert!((0..50).all(|_| answer(s).contains(&"127.0.0.31".to_string())));
}

/// Slow start end to end: an undrained address comes back at 10 % of answers and ramps
/// to all of them over `slow_start`.
#[test]
fn slow_start_ramps_an_undrained_address_in() {
    let cfg = "listen: [\"127.0.0.1:{PORT}\"]\nadmin: \"127.0.0.1:{ADMIN}\"\nstate_dir: state\n\
zones: [{ name: f.test., file: f.zone }]\npools:\n  www.f.test.:\n    slow_start: 4s\n";
    let s = Server::start(cfg, &[("f.zone", &zone())]);
    let (code, _) = s.http("POST", "/api/backends/127.0.0.31/drain", None);
    assert_eq!(code, 200);
    let (code, _) = s.http("DELETE", "/api/backends/127.0.0.31/drain", None);
    assert_eq!(code, 200);
    let start = Instant::now();
    let status = s.http("GET", "/status", None).1;
    assert!(status.contains("\"slow_start_share\": 0.1"), "{status}");
    ramps_in(&s, start, "undrained");
}

/// Slow start through a real probe recovery: a backend that answers 500 is taken out by
/// its check, and when it answers 200 again it is ramped in, not flooded.
#[test]
fn slow_start_ramps_a_recovered_backend_in() {
    let ips = ["127.0.0.31", "127.0.0.32", "127.0.0.33", "127.0.0.34"];
    let (port, backends) = common::backend::backends(&ips, None);
    let cfg = config(port, "    slow_start: 4s\n").replace("rise: 2, fall: 2", "rise: 1, fall: 1");
    let s = Server::start(&cfg, &[("f.zone", &zone())]);
    backends[0].set(common::backend::Mode::Status500);
    let gone = Instant::now();
    while answer(&s).contains(&"127.0.0.31".to_string()) {
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "the failing backend is taken out"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    backends[0].set(common::backend::Mode::Healthy);
    let back = Instant::now();
    let start = loop {
        let status = s.http("GET", "/status", None).1;
        if status.contains("\"slow_start_share\": 0.1") {
            break Instant::now();
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "the backend comes back: {status}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    ramps_in(&s, start, "probe recovery");
}

/// Eligibility is counted per family: an IPv4 outage in the first tier moves IPv4 answers
/// to the second tier, while IPv6 clients stay on the first tier's IPv6 address.
#[test]
fn an_ipv4_outage_does_not_move_ipv6_clients() {
    let ips = [
        "127.0.0.31",
        "127.0.0.32",
        "127.0.0.33",
        "127.0.0.34",
        "::1",
    ];
    let (port, b) = backends(&ips, None);
    let zone = format!("{}www AAAA ::1\n", zone());
    let tiers = "    tiers:\n      - [\"127.0.0.31\", \"127.0.0.32\", \"::1\"]\n      - [\"127.0.0.33\", \"127.0.0.34\"]\n    min_up: 2\n";
    let s = Server::start(&config(port, tiers), &[("f.zone", &zone)]);
    until_served(&s, &FIRST, Duration::from_secs(5));
    let v6 = || {
        (s.udp("www.f.test.", RecordType::AAAA).answers.iter())
            .map(|r| r.data.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(v6(), ["::1"]);
    b[0].set(Mode::Status500);
    until_served(&s, &SECOND, Duration::from_secs(4));
    // The first tier's one IPv6 address is all it has of that family: min_up 2 asks
    // for no more than that, and IPv6 clients stay.
    for _ in 0..50 {
        assert_eq!(v6(), ["::1"]);
    }
    let metrics = s.http("GET", "/metrics", None).1;
    assert!(
        metrics.contains("rrdns_pool_tier_served{pool=\"www.f.test.\",family=\"ipv4\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rrdns_pool_tier_served{pool=\"www.f.test.\",family=\"ipv6\"} 1"),
        "{metrics}"
    );
}
