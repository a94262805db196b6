//! rrdns as a secondary of a real Knot primary, and Knot as a secondary of rrdns: AXFR,
//! NOTIFY-triggered IXFR, persistence across restarts, TSIG on and off, a 100,000-record
//! zone transferred whole.

mod common;

use common::knot::{Knot, Role, SECRET};
use common::*;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn zone(serial: u32, www: &str) -> String {
    format!(
        "$TTL 300\n@ SOA ns hostmaster {serial} 3600 600 86400 60\n@ NS ns\nns A 127.0.0.53\n\
         www A 192.0.2.1\nwww A {www}\nmail A 192.0.2.25\n"
    )
}

fn serial(s: &Server, zone: &str) -> Option<u32> {
    let m = s.udp(zone, RecordType::SOA);
    m.answers.iter().find_map(|r| match &r.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

/// The addresses served for www.k.test.
fn www_set(s: &Server) -> BTreeSet<String> {
    s.udp("www.k.test.", RecordType::A)
        .answers
        .iter()
        .map(|r| r.data.to_string())
        .collect()
}

fn wait(what: &str, limit: Duration, log: impl Fn() -> String, f: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "timed out waiting for {what}; log:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

fn secondary_config(primary: u16, tsig: bool) -> String {
    let key = if tsig { "    key: xfr\n" } else { "" };
    let keys = if tsig {
        format!("keys:\n  xfr: {{ algorithm: hmac-sha256, secret: \"{SECRET}\" }}\n")
    } else {
        String::new()
    };
    format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\n\
zones:\n  - name: k.test.\n    primaries: [\"127.0.0.1:{primary}\"]\n{key}{keys}\
pools:\n  www.k.test.:\n    weighting: order\n    ttl: 20\n"
    )
}

fn follows_a_knot_primary(tsig: bool) {
    let port = free_port();
    let knot = Knot::start(
        "k.test.",
        Role::Primary {
            zone_text: &zone(1, "192.0.2.2"),
            notify: port,
        },
        tsig,
    );
    let s = Server::start_on(port, &secondary_config(knot.port, tsig), &[]);
    wait(
        "the first transfer",
        Duration::from_secs(10),
        || s.log(),
        || serial(&s, "k.test.") == Some(1),
    );
    // Pools apply to secondary zones: balanced and TTL-capped.
    let m = s.udp("www.k.test.", RecordType::A);
    assert_eq!(m.answers.len(), 2);
    assert!(m.answers.iter().all(|r| r.ttl == 20));

    knot.update("k.test.", &zone(2, "192.0.2.3"));
    let took = wait(
        "NOTIFY and IXFR",
        Duration::from_secs(5),
        || format!("{}\n{}", s.log(), knot.log()),
        || serial(&s, "k.test.") == Some(2),
    );
    eprintln!("serial 2 served {took:?} after the change on the primary (tsig={tsig})");
    assert!(s.log().contains("NOTIFY accepted"), "{}", s.log());
    assert!(
        s.log().contains("IXFR from"),
        "IXFR used when the primary has history:\n{}",
        s.log()
    );
    assert_eq!(
        www_set(&s),
        BTreeSet::from(["192.0.2.1".to_string(), "192.0.2.3".to_string()])
    );

    // The primary goes away: the copy keeps serving, and after a restart too (from disk).
    drop(knot);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(serial(&s, "k.test."), Some(2));
    let (dir, cfg) = s.stop();
    let s = Server::spawn(dir, cfg);
    assert_eq!(
        serial(&s, "k.test."),
        Some(2),
        "served from the persisted copy"
    );
    assert_eq!(s.udp("mail.k.test.", RecordType::A).answers.len(), 1);
}

#[test]
fn secondary_of_knot_without_tsig() {
    follows_a_knot_primary(false);
}

#[test]
fn secondary_of_knot_with_tsig() {
    follows_a_knot_primary(true);
}

#[test]
fn a_secondary_without_data_answers_servfail() {
    let dead = free_port();
    let s = Server::start(&secondary_config(dead, false), &[]);
    let m = s.udp("www.k.test.", RecordType::A);
    assert_eq!(m.response_code, ResponseCode::ServFail);
    // Regression: /readyz said 200 and /status listed no zone at all; the log lost why.
    let (code, body) = s.http("GET", "/readyz", None);
    assert_eq!(
        (code, body.as_str()),
        (503, "zones without data: k.test.\n")
    );
    let (_, status) = s.http("GET", "/status", None);
    assert!(
        status.contains("\"name\": \"k.test.\",\n      \"state\": \"waiting\""),
        "{status}"
    );
    let (_, metrics) = s.http("GET", "/metrics", None);
    assert!(
        metrics.contains("rrdns_zone_loaded{zone=\"k.test.\"} 0"),
        "{metrics}"
    );
    assert!(s.log().contains("Connection refused"), "{}", s.log());
}

fn big_zone(n: usize) -> String {
    let mut z = String::with_capacity(n * 32);
    z.push_str("$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.53\n");
    for i in 0..n {
        z.push_str(&format!(
            "h{i} A 10.{}.{}.{}\n",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        ));
    }
    z
}

fn axfr_set(
    addr: std::net::SocketAddr,
    zone: &str,
    key: Option<&str>,
) -> (BTreeSet<String>, String) {
    let mut args = vec![zone, "AXFR", "+noall", "+answer"];
    let y;
    if let Some(k) = key {
        y = format!("hmac-sha256:xfr:{k}");
        args.push("-y");
        args.push(&y);
    }
    let out = dig(addr, &args);
    let set = out
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    (set, out)
}

fn knot_secondary_transfers_everything(tsig: bool) {
    let n = 100_000;
    let text = big_zone(n);
    let key = if tsig {
        format!("  key: xfr\nkeys:\n  xfr: {{ algorithm: hmac-sha256, secret: \"{SECRET}\" }}\n")
    } else {
        String::new()
    };
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nstate_dir: state\nzones: [{{ name: big.test., file: big.zone }}]\n\
transfer:\n  allow: [\"127.0.0.0/8\"]\n{key}"
    );
    let s = Server::start(&cfg, &[("big.zone", &text)]);
    let ours = s.addr;
    let knot = Knot::start("big.test.", Role::Secondary { primary: s.port }, tsig);
    let kaddr: std::net::SocketAddr = ([127, 0, 0, 1], knot.port).into();
    let q = query_bytes("h99999.big.test.", RecordType::A, None);
    wait(
        "Knot to load the transferred zone",
        Duration::from_secs(60),
        || knot.log(),
        || {
            udp_exchange(kaddr, &q, Duration::from_millis(200))
                .and_then(|r| hickory_proto::op::Message::from_vec(&r).ok())
                .is_some_and(|m| m.answers.len() == 1)
        },
    );
    let secret = tsig.then_some(SECRET);
    let (mine, _) = axfr_set(ours, "big.test", secret);
    let (theirs, _) = axfr_set(kaddr, "big.test", None);
    // AXFR lists the SOA twice; a set holds it once: n addresses + SOA + NS + ns A.
    assert_eq!(mine.len(), n + 3);
    let differ: Vec<&String> = mine.symmetric_difference(&theirs).take(5).collect();
    assert!(
        differ.is_empty(),
        "Knot and rrdns differ ({} vs {} records), e.g. {differ:?}",
        mine.len(),
        theirs.len()
    );
    if tsig {
        let (unsigned, out) = axfr_set(ours, "big.test", None);
        assert!(
            unsigned.is_empty(),
            "an unsigned request is refused when a key is required:\n{out}"
        );
        let (_, out) = axfr_set(ours, "big.test", Some("d3Jvbmcta2V5"));
        assert!(out.contains("BADSIG") || out.contains("failed"), "{out}");
    }
}

#[test]
fn knot_as_secondary_of_rrdns_gets_a_100k_record_zone_whole() {
    knot_secondary_transfers_everything(false);
}

#[test]
fn knot_as_secondary_of_rrdns_with_tsig() {
    knot_secondary_transfers_everything(true);
}

#[test]
fn transfers_are_refused_outside_the_allow_list() {
    let cfg = "listen: [\"127.0.0.1:{PORT}\"]\nzones: [{ name: z.test., file: z.zone }]\ntransfer:\n  allow: [\"127.0.0.2/32\"]\n";
    let s = Server::start(cfg, &[("z.zone", &zone(1, "192.0.2.2"))]);
    let out = s.dig(&["z.test", "AXFR"]);
    assert!(out.contains("Transfer failed"), "{out}");
    let out = s.dig(&["z.test", "AXFR", "-b", "127.0.0.2"]);
    assert!(out.contains("XFR size: 7 records"), "{out}");
}

#[test]
fn a_reload_with_a_new_serial_notifies_the_secondaries() {
    let port = free_port();
    let knot = Knot::start("z.test.", Role::Secondary { primary: port }, false);
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nzones: [{{ name: z.test., file: z.zone }}]\n\
transfer:\n  allow: [\"127.0.0.0/8\"]\n  notify: [\"127.0.0.1:{}\"]\n",
        knot.port
    );
    let s = Server::start_on(port, &cfg, &[("z.zone", &zone(1, "192.0.2.2"))]);
    // Knot may have tried before rrdns listened; ask it to transfer now.
    knot.ctl(&["zone-refresh", "z.test."]);
    let kaddr: std::net::SocketAddr = ([127, 0, 0, 1], knot.port).into();
    let knot_serial = || {
        let q = query_bytes("z.test.", RecordType::SOA, None);
        udp_exchange(kaddr, &q, Duration::from_millis(200))
            .and_then(|r| hickory_proto::op::Message::from_vec(&r).ok())
            .and_then(|m| {
                m.answers.iter().find_map(|r| match &r.data {
                    RData::SOA(soa) => Some(soa.serial),
                    _ => None,
                })
            })
    };
    wait(
        "Knot's first transfer",
        Duration::from_secs(15),
        || knot.log(),
        || knot_serial() == Some(1),
    );
    std::fs::write(s.path("z.zone"), zone(2, "192.0.2.9")).unwrap();
    s.hup();
    let took = wait(
        "NOTIFY to Knot and its transfer",
        Duration::from_secs(5),
        || format!("{}\n{}", s.log(), knot.log()),
        || knot_serial() == Some(2),
    );
    eprintln!("Knot served serial 2 {took:?} after SIGHUP");
    assert!(s.log().contains("NOTIFY answered"), "{}", s.log());
    // rrdns kept the change, so Knot got an incremental transfer.
    let log = knot.log();
    assert!(
        log.contains("IXFR, incoming") && log.contains("serial 1 -> 2"),
        "{log}"
    );
    assert!(!log.contains("fallback to AXFR"), "{log}");
    // And dig sees the difference sequence.
    let out = s.dig(&["z.test", "IXFR=1", "+noall", "+answer"]);
    assert!(
        out.contains("192.0.2.2") && out.contains("192.0.2.9"),
        "removed and added: {out}"
    );
}

/// BIND 9 (Debian's `bind9`) as the primary: the same flow as with Knot.
#[test]
fn secondary_of_bind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let (bind_port, port) = (free_port(), free_port());
    std::fs::write(
        dir.path().join("zone"),
        zone(1, "192.0.2.2").replace("$TTL 300\n", "$TTL 300\n$ORIGIN k.test.\n"),
    )
    .unwrap();
    let conf = format!(
        "options {{\n  directory \"{d}\";\n  listen-on port {bind_port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n\
  pid-file \"{d}/named.pid\";\n  session-keyfile \"{d}/session.key\";\n  recursion no;\n  dnssec-validation no;\n\
  notify explicit;\n  ixfr-from-differences yes;\n}};\n\
key \"xfr\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\n\
zone \"k.test\" {{\n  type primary;\n  file \"{d}/zone\";\n  allow-transfer {{ key xfr; }};\n\
  also-notify {{ 127.0.0.1 port {port} key xfr; }};\n}};\n"
    );
    std::fs::write(dir.path().join("named.conf"), conf).unwrap();
    let log = std::fs::File::create(dir.path().join("named.log")).unwrap();
    struct Named(std::process::Child);
    impl Drop for Named {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let named = Named(
        std::process::Command::new("named")
            .args(["-g", "-c"])
            .arg(dir.path().join("named.conf"))
            .stderr(log)
            .spawn()
            .expect("BIND is installed (apt-get install bind9)"),
    );
    let named_log = || std::fs::read_to_string(dir.path().join("named.log")).unwrap_or_default();
    wait(
        "named to listen",
        Duration::from_secs(15),
        named_log,
        || std::net::TcpStream::connect(("127.0.0.1", bind_port)).is_ok(),
    );
    let s = Server::start_on(port, &secondary_config(bind_port, true), &[]);
    let both = || format!("{}\n{}", s.log(), named_log());
    wait(
        "the first transfer from BIND",
        Duration::from_secs(10),
        both,
        || serial(&s, "k.test.") == Some(1),
    );
    std::fs::write(
        dir.path().join("zone"),
        zone(2, "192.0.2.7").replace("$TTL 300\n", "$TTL 300\n$ORIGIN k.test.\n"),
    )
    .unwrap();
    common::signal(&named.0, "HUP");
    let took = wait(
        "BIND's NOTIFY and the IXFR",
        Duration::from_secs(10),
        both,
        || serial(&s, "k.test.") == Some(2),
    );
    eprintln!("serial 2 from BIND served {took:?} after its reload");
    // BIND answered this IXFR in AXFR form (it may, RFC 1995 §4); either is applied whole.
    assert!(s.log().contains("NOTIFY accepted"), "{}", s.log());
    assert_eq!(
        www_set(&s),
        BTreeSet::from(["192.0.2.1".to_string(), "192.0.2.7".to_string()])
    );
}

/// NSD 4 (Debian's `nsd`) as the primary: AXFR at start, NOTIFY after a reload.
#[test]
fn secondary_of_nsd() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let (nsd_port, port) = (free_port(), free_port());
    let write_zone = |serial, www| {
        std::fs::write(
            dir.path().join("k.zone"),
            zone(serial, www).replace("$TTL 300\n", "$TTL 300\n$ORIGIN k.test.\n"),
        )
        .unwrap();
    };
    write_zone(1, "192.0.2.2");
    let conf = format!(
        "server:\n  ip-address: 127.0.0.1\n  port: {nsd_port}\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n\
  zonesdir: \"{d}\"\n  pidfile: \"{d}/nsd.pid\"\n  database: \"\"\n  zonelistfile: \"{d}/zone.list\"\n\
  xfrdfile: \"{d}/xfrd.state\"\n  xfrdir: \"{d}\"\n  verbosity: 2\n\
remote-control:\n  control-enable: yes\n  control-interface: {d}/nsd.sock\n\
zone:\n  name: k.test.\n  zonefile: k.zone\n  notify: 127.0.0.1@{port} NOKEY\n  provide-xfr: 127.0.0.0/8 NOKEY\n"
    );
    std::fs::write(dir.path().join("nsd.conf"), conf).unwrap();
    struct Nsd(std::process::Child);
    impl Drop for Nsd {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _nsd = Nsd(std::process::Command::new("nsd")
        .args(["-d", "-c"])
        .arg(dir.path().join("nsd.conf"))
        .stderr(std::fs::File::create(dir.path().join("nsd.log")).unwrap())
        .spawn()
        .expect("NSD is installed (apt-get install nsd)"));
    let nsd_log = || std::fs::read_to_string(dir.path().join("nsd.log")).unwrap_or_default();
    wait("nsd to listen", Duration::from_secs(15), nsd_log, || {
        std::net::TcpStream::connect(("127.0.0.1", nsd_port)).is_ok()
    });
    let s = Server::start_on(port, &secondary_config(nsd_port, false), &[]);
    let both = || format!("{}\n{}", s.log(), nsd_log());
    wait(
        "the first transfer from NSD",
        Duration::from_secs(10),
        both,
        || serial(&s, "k.test.") == Some(1),
    );
    write_zone(2, "192.0.2.8");
    let ctl = std::process::Command::new("nsd-control")
        .args(["-c"])
        .arg(dir.path().join("nsd.conf"))
        .args(["reload", "k.test."])
        .output()
        .unwrap();
    assert!(
        ctl.status.success(),
        "nsd-control: {}",
        String::from_utf8_lossy(&ctl.stderr)
    );
    let took = wait(
        "NSD's NOTIFY and the transfer",
        Duration::from_secs(10),
        both,
        || serial(&s, "k.test.") == Some(2),
    );
    eprintln!("serial 2 from NSD served {took:?} after its reload");
    assert!(s.log().contains("NOTIFY accepted"), "{}", s.log());
    assert_eq!(
        www_set(&s),
        BTreeSet::from(["192.0.2.1".to_string(), "192.0.2.8".to_string()])
    );
}
