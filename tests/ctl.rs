//! `rrdns ctl` against the real server: status as a table, drains with a reason and an
//! end, reload with its result, secondary zone refresh and retransfer, and exit codes a
//! script can rely on (0 done, 1 refused or failed, 69 unreachable).

mod common;

use common::*;
use hickory_proto::rr::RecordType;
use std::process::Command;
use std::time::{Duration, Instant};

fn ctl(s: &Server, args: &[&str]) -> (i32, String, String) {
    let admin = format!("127.0.0.1:{}", s.admin);
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["ctl", "--admin", &admin])
        .args(args)
        .env("RRDNS_ADMIN_TOKEN", "t0ken")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn server() -> Server {
    let cfg = format!(
        "{}admin: \"127.0.0.1:{{ADMIN}}\"\nadmin_token: t0ken\nstate_dir: state\npools:\n  api.example.test.:\n    weights: {{ \"192.0.2.20\": 3 }}\n",
        config_for(&[("example.test.", "z.zone")], "")
    );
    Server::start(
        &cfg,
        &[("z.zone", &project_file("zones/example.test.zone"))],
    )
}

fn api(s: &Server) -> Vec<String> {
    a_set(&s.udp("api.example.test.", RecordType::A))
}

#[test]
fn status_drain_for_a_while_and_undrain() {
    let s = server();
    let (code, out, err) = ctl(&s, &["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("example.test.") && out.contains("loaded"),
        "{out}"
    );
    assert!(out.contains("api.example.test. A (3 of 3 serving"), "{out}");

    let (code, out, err) = ctl(
        &s,
        &[
            "drain",
            "192.0.2.20",
            "--reason",
            "disk swap",
            "--for",
            "2s",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("192.0.2.20: drained until "), "{out}");
    assert_eq!(api(&s), ["192.0.2.21", "192.0.2.22"]);
    let (_, out, _) = ctl(&s, &["status"]);
    assert!(out.contains("drained 192.0.2.20: disk swap until"), "{out}");
    assert!(s.http("GET", "/", None).1.contains("disk swap"));
    // It ends by itself.
    let t = Instant::now();
    while api(&s).len() < 3 {
        assert!(t.elapsed() < Duration::from_secs(6), "{}", s.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(s.log().contains("drain ended"), "{}", s.log());
    // Shares cover the last minute (sampled every 5 s), not the whole run.
    let status = s.http("GET", "/status", None).1;
    assert!(status.contains("\"share_window\": "), "{status}");
    assert!(!status.contains("\"share_window\": null"), "{status}");
    assert!(s.http("GET", "/", None).1.contains("served first (last "));

    let (code, out, _) = ctl(&s, &["drain", "192.0.2.21"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "192.0.2.21: drained");
    let (code, out, _) = ctl(&s, &["undrain", "192.0.2.21"]);
    assert_eq!((code, out.trim()), (0, "192.0.2.21: undrained"));
    // Refusals: an address in no pool, a bad duration, a wrong token.
    let (code, _, err) = ctl(&s, &["drain", "198.51.100.1"]);
    assert_eq!(code, 1);
    assert!(err.contains("404") && err.contains("in no pool"), "{err}");
    let (code, _, err) = ctl(&s, &["drain", "192.0.2.21", "--for", "soon"]);
    assert_eq!(code, 1);
    assert!(err.contains("duration"), "{err}");
    let admin = format!("127.0.0.1:{}", s.admin);
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args([
            "ctl",
            "--admin",
            &admin,
            "--token",
            "wrong",
            "drain",
            "192.0.2.21",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
    // Nobody listening.
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["ctl", "--admin", "127.0.0.1:1", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69));
}

#[test]
fn reload_prints_its_result_and_every_problem() {
    let s = server();
    let (code, out, err) = ctl(&s, &["reload"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "reload done");
    let good = project_file("zones/example.test.zone");
    std::fs::write(s.path("z.zone"), good.replace("192.0.2.10", "192.0.2.300")).unwrap();
    let (code, _, err) = ctl(&s, &["reload"]);
    assert_eq!(code, 1);
    let file = s.path("z.zone").display().to_string();
    assert!(
        err.contains("reload failed") && err.contains(&format!("{file}:")),
        "{err}"
    );
    // The old zone keeps serving, and the page says the last reload failed.
    assert!(!s.udp("www.example.test.", RecordType::A).answers.is_empty());
    assert!(
        s.http("GET", "/", None).1.contains("failed: "),
        "status page"
    );
    // With -c, admin and token come from the configuration.
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["ctl", "-c"])
        .arg(&s.config)
        .args(["--admin", &format!("127.0.0.1:{}", s.admin), "status"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn secondary_zones_are_refreshed_and_retransferred_on_request() {
    let primary = common::hostile::Hostile::start("h.test.");
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nadmin_token: t0ken\nstate_dir: state\nzones:\n  - name: h.test.\n    primaries: [\"{}\"]\n",
        primary.addr
    );
    let s = Server::start(&cfg, &[]);
    let t = Instant::now();
    while !s.log().contains("zone updated") {
        assert!(t.elapsed() < Duration::from_secs(10), "{}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, out, err) = ctl(&s, &["zone", "retransfer", "h.test"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("h.test.: retransfer started"), "{out}");
    // The same serial, transferred again in full.
    let t = Instant::now();
    while s.log().matches("zone updated").count() < 2 {
        assert!(t.elapsed() < Duration::from_secs(10), "{}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, _, _) = ctl(&s, &["zone", "refresh", "h.test."]);
    assert_eq!(code, 0);
    let status = s.http("GET", "/status", None).1;
    assert!(
        status.contains("\"last_refresh_result\": \"ok\""),
        "{status}"
    );
    assert!(status.contains("\"next_refresh\""), "{status}");
    let m = s.http("GET", "/metrics", None).1;
    assert!(
        m.contains("rrdns_zone_age_seconds{zone=\"h.test.\"}"),
        "{m}"
    );
    assert!(
        m.contains("rrdns_zone_refresh_failures_total{zone=\"h.test.\"} 0"),
        "{m}"
    );
    let (code, _, err) = ctl(&s, &["zone", "refresh", "nothere.test"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a secondary zone here"), "{err}");
}
