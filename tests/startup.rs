//! Failures at start are loud: a server that cannot do all it was configured to do exits
//! non-zero, so that a service manager sees it and restarts or reports it.

mod common;

use common::*;

/// Regression: with its admin port taken, rrdns logged the error and went on answering
/// DNS with no admin interface, which a service manager takes for a healthy server. It
/// must stop what it started and exit non-zero.
#[test]
fn a_taken_admin_port_stops_the_server() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rrdns.yaml");
    let zone = root().join("zones/example.test.zone");
    let text = format!(
        "listen: [\"127.0.0.1:0\"]\nadmin: \"127.0.0.1:{port}\"\nzones:\n  - name: example.test.\n    file: {}\n",
        zone.display()
    );
    std::fs::write(&cfg, text).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["serve", "-c"])
        .arg(&cfg)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("rrdns still runs with its admin port taken");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("failed to bind admin HTTP 127.0.0.1:{port}")),
        "{err}"
    );
}

/// `log_format: json` writes one JSON object per line, for log shippers.
#[test]
fn json_logs_are_one_object_per_line() {
    let cfg = config_for(&[("example.test.", "z.zone")], "log_format: json\n");
    let s = Server::start(
        &cfg,
        &[("z.zone", &project_file("zones/example.test.zone"))],
    );
    let log = s.log();
    let lines: Vec<serde_json::Value> = (log.lines())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let messages: Vec<&str> = (lines.iter())
        .filter_map(|v| v["fields"]["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("listening on 127.0.0.1:")),
        "{log}"
    );
    assert!(lines.iter().all(|v| v["level"].is_string()), "{log}");
}

/// systemd's `Type=notify` without systemd: a datagram socket named by `NOTIFY_SOCKET`
/// gets READY=1 once rrdns answers, RELOADING=1 (with MONOTONIC_USEC) and READY=1 around
/// a SIGHUP, and STOPPING=1 at SIGTERM.
#[test]
fn the_service_manager_is_told_ready_reloading_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let zone = project_file("zones/example.test.zone");
    std::fs::write(dir.path().join("z.zone"), zone).unwrap();
    let cfg = dir.path().join("rrdns.yaml");
    std::fs::write(
        &cfg,
        config_for(&[("example.test.", "z.zone")], "").replace("{PORT}", "0"),
    )
    .unwrap();
    let path = sock_path.display().to_string();
    let s = Server::spawn_env(dir, cfg, &[("NOTIFY_SOCKET", &path)]);
    let mut buf = [0u8; 256];
    let mut next = || {
        let n = sock.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert_eq!(next(), "READY=1");
    // Ready means answering.
    assert!(
        !s.udp("www.example.test.", hickory_proto::rr::RecordType::A)
            .answers
            .is_empty()
    );
    s.hup();
    let reloading = next();
    assert!(
        reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="),
        "{reloading}"
    );
    let usec: u64 = reloading.rsplit('=').next().unwrap().parse().unwrap();
    assert!(usec > 0);
    assert_eq!(next(), "READY=1");
    assert!(s.log().contains("reload done"), "{}", s.log());
    signal(&s.child, "TERM");
    assert_eq!(next(), "STOPPING=1");
}
