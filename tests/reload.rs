//! SIGHUP reloads: a good change is served, a broken zone or configuration keeps the old
//! state serving and is logged with FILE:LINE.

mod common;

use common::*;
use hickory_proto::rr::{RData, RecordType};
use std::time::{Duration, Instant};

fn zone(serial: u32, addr: &str) -> String {
    format!(
        "$TTL 60\n@ SOA ns hostmaster {serial} 3600 900 604800 60\n@ NS ns\nns A 192.0.2.53\nwww A {addr}\n"
    )
}

fn serial(s: &Server) -> u32 {
    match &s.udp("r.test.", RecordType::SOA).answers[0].data {
        RData::SOA(soa) => soa.serial,
        other => panic!("{other:?}"),
    }
}

fn wait_for(s: &Server, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}; log:\n{}", s.log());
}

#[test]
fn sighup_swaps_in_new_zones_and_keeps_old_ones_on_error() {
    let s = Server::start(
        &config_for(&[("r.test.", "r.zone")], ""),
        &[("r.zone", &zone(1, "192.0.2.1"))],
    );
    assert_eq!(serial(&s), 1);

    std::fs::write(s.path("r.zone"), zone(2, "192.0.2.2")).unwrap();
    s.hup();
    wait_for(&s, "serial 2", || serial(&s) == 2);
    assert_eq!(
        s.udp("www.r.test.", RecordType::A).answers[0]
            .data
            .to_string(),
        "192.0.2.2"
    );

    // A broken zone: the reload fails, serial 2 keeps serving, the error names FILE:LINE.
    std::fs::write(s.path("r.zone"), zone(3, "192.0.2.300")).unwrap();
    s.hup();
    let file = s.path("r.zone").display().to_string();
    wait_for(&s, "the reload error in the log", || {
        s.log().contains(&format!("{file}:5:"))
    });
    assert!(s.log().contains("still serving the previous zones"));
    assert_eq!(serial(&s), 2);
    assert_eq!(
        s.udp("www.r.test.", RecordType::A).answers[0]
            .data
            .to_string(),
        "192.0.2.2"
    );

    // A broken configuration file: same.
    let cfg = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("{cfg}bogus_key: 1\n")).unwrap();
    std::fs::write(s.path("r.zone"), zone(4, "192.0.2.4")).unwrap();
    s.hup();
    wait_for(&s, "the config error in the log", || {
        s.log().contains("bogus_key")
    });
    assert_eq!(serial(&s), 2);

    // Fixed again: the next SIGHUP serves serial 4.
    std::fs::write(&s.config, cfg).unwrap();
    s.hup();
    wait_for(&s, "serial 4", || serial(&s) == 4);
}

/// Content changed under the same serial: the reload serves it (as BIND does) but warns,
/// in the log and on the status page, because secondaries compare serials only.
#[test]
fn a_change_without_a_serial_change_is_warned_about() {
    let cfg = format!(
        "{}admin: \"127.0.0.1:{{ADMIN}}\"\n",
        config_for(&[("r.test.", "r.zone")], "")
    );
    let s = Server::start(&cfg, &[("r.zone", &zone(7, "192.0.2.1"))]);
    // The same content again: no warning.
    s.hup();
    wait_for(&s, "a first reload", || {
        s.log().matches("reload done").count() == 1
    });
    assert!(!s.log().contains("content changed"), "{}", s.log());
    // The server records what it loaded just after it starts answering.
    wait_for(&s, "state/loaded.json", || {
        s.path("state/loaded.json").exists()
    });
    std::fs::write(s.path("r.zone"), zone(7, "192.0.2.2")).unwrap();
    // `rrdns check` sees it before any reload: it compares with what the server loaded.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["check", "-c"])
        .arg(&s.config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "a warning, not an error: {err}");
    assert!(
        err.contains(
            "warning: zone r.test.: content changed since the server loaded it but serial 7 did not"
        ),
        "{err}"
    );
    s.hup();
    wait_for(&s, "the warning", || {
        s.log().contains("content changed but serial 7 did not")
    });
    wait_for(&s, "the new content", || {
        s.udp("www.r.test.", RecordType::A).answers[0]
            .data
            .to_string()
            == "192.0.2.2"
    });
    let status = s.http("GET", "/status", None).1;
    assert!(
        status.contains("content changed but serial 7 did not"),
        "{status}"
    );
    assert!(
        status.contains("rrdns.yaml:"),
        "the warning names where the zone is configured: {status}"
    );
}
