//! The container image, built and run for real with podman (docker/build.sh builds it
//! offline: a Debian base made with mmdebstrap, the binary of this build): rrdns as a
//! TSIG secondary of a Knot primary with two health-checked backends, non-root with every
//! capability dropped on an unprivileged port; a backend failure and a drain change the
//! answers; SIGTERM ends it with 0 within the deadline; its state (the transferred zone,
//! the drain) survives a restart with the primary gone; with NET_BIND_SERVICE alone it
//! binds port 53; `--version` runs under --cap-drop ALL.

mod common;

use common::backend::{Mode, backends};
use common::knot::{Knot, Role, SECRET};
use common::*;
use hickory_proto::rr::RecordType;
use std::process::Command;
use std::time::{Duration, Instant};

const IMAGE: &str = "localhost/rrdns:test";

fn podman(args: &[&str]) -> (bool, String) {
    let out = Command::new("podman")
        .args(args)
        .env("CONTAINERS_CONF", containers_conf())
        .output()
        .expect("podman is installed (apt-get install podman runc mmdebstrap)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// runc, cgroupfs and no default ulimits: what runs on machines like these.
fn containers_conf() -> std::path::PathBuf {
    let p = std::env::temp_dir().join("rrdns-containers.conf");
    std::fs::write(
        &p,
        "[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = \"cgroupfs\"\nruntime = \"runc\"\n",
    )
    .unwrap();
    p
}

/// Removes the container and its volume however the test ends.
struct Cleanup(Vec<String>, Vec<String>);
impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.0 {
            podman(&["rm", "-f", "-t", "0", c]);
        }
        for v in &self.1 {
            podman(&["volume", "rm", "-f", v]);
        }
    }
}

fn build() {
    let out = Command::new(root().join("docker/build.sh"))
        .args(["--binary", env!("CARGO_BIN_EXE_rrdns"), "--tag", IMAGE])
        .env("CONTAINERS_CONF", containers_conf())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker/build.sh failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn addrs(at: std::net::SocketAddr) -> Vec<String> {
    let q = query_bytes("www.example.test.", RecordType::A, None);
    let Some(r) = udp_exchange(at, &q, Duration::from_millis(500)) else {
        return Vec::new();
    };
    let Ok(m) = hickory_proto::op::Message::from_vec(&r) else {
        return Vec::new();
    };
    a_set(&m)
}

fn until(what: &str, limit: Duration, f: impl Fn() -> bool, log: impl Fn() -> String) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < limit,
            "{what} not within {limit:?}; log:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_image_runs_as_a_tsig_secondary_without_privileges() {
    // A machine whose kernel or sandbox cannot host containers at all (podman itself
    // fails) is said so plainly; everything from the build on must work where it can.
    let (ok, info) = podman(&["info", "--format", "{{.Host.OCIRuntime.Name}}"]);
    if !ok {
        eprintln!("NOT RUN: podman cannot work on this machine:\n{info}");
        return;
    }
    build();
    let (ok, out) = podman(&["run", "--rm", "--cap-drop", "ALL", IMAGE, "--version"]);
    assert!(ok && out.contains("rrdns "), "{out}");

    let (bport, b) = backends(&["127.0.0.45", "127.0.0.46"], None);
    let port = free_port();
    let admin = free_port();
    let zone = "$TTL 60\n@ SOA ns h 1 3600 900 604800 60\n@ NS ns\nns A 127.0.0.53\nwww A 127.0.0.45\nwww A 127.0.0.46\n";
    let knot = Knot::start(
        "example.test.",
        Role::Primary {
            zone_text: zone,
            notify: port,
        },
        true,
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!(
        "listen: [\"127.0.0.1:{port}\"]\nadmin: \"127.0.0.1:{admin}\"\nstate_dir: /var/lib/rrdns\n\
zones:\n  - name: example.test.\n    primaries: [\"127.0.0.1:{}\"]\n    key: xfr\n\
keys:\n  xfr: {{ algorithm: hmac-sha256, secret: \"{SECRET}\" }}\n\
pools:\n  www.example.test.:\n    check: web\n\
checks:\n  web: {{ type: http, port: {bport}, path: /health, expect_body: \"OK\", interval: 1s, timeout: 300ms, rise: 1, fall: 1 }}\n",
        knot.port
    );
    std::fs::write(dir.path().join("rrdns.yaml"), cfg).unwrap();
    let id = std::process::id();
    let (name, volume) = (format!("rrdns-test-{id}"), format!("rrdns-test-state-{id}"));
    let _cleanup = Cleanup(vec![name.clone()], vec![volume.clone()]);
    let mount = format!("{}:/etc/rrdns:ro", dir.path().display());
    let state = format!("{volume}:/var/lib/rrdns");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            "host",
            "--cap-drop",
            "ALL",
            "-v",
            &mount,
            "-v",
            &state,
        ];
        args.extend_from_slice(extra);
        args.push(IMAGE);
        let (ok, out) = podman(&args);
        assert!(ok, "{out}");
    };
    run(&[]);
    let log = || podman(&["logs", &name]).1;
    let at: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    until(
        "both backends served",
        Duration::from_secs(20),
        || addrs(at) == ["127.0.0.45", "127.0.0.46"],
        log,
    );
    let (_, user) = podman(&["exec", &name, "id", "-u"]);
    assert_eq!(user.trim(), "10053", "runs as the rrdns user");
    let (ok, ready) = podman(&["healthcheck", "run", &name]);
    assert!(ok, "the image's health check: {ready}");

    // A backend fails: out of answers. A drain takes the other out (all_down: all then
    // serves both, so drain only once the first is back).
    b[0].set(Mode::Status500);
    until(
        "the failed backend out",
        Duration::from_secs(5),
        || addrs(at) == ["127.0.0.46"],
        log,
    );
    b[0].set(Mode::Healthy);
    until(
        "the backend back",
        Duration::from_secs(5),
        || addrs(at).len() == 2,
        log,
    );
    let (code, _) = http(
        ([127, 0, 0, 1], admin).into(),
        "POST",
        "/api/backends/127.0.0.46/drain",
        None,
    );
    assert_eq!(code, 200);
    until(
        "the drained backend out",
        Duration::from_secs(2),
        || addrs(at) == ["127.0.0.45"],
        log,
    );

    // SIGTERM: exit 0 within the deadline.
    let t = Instant::now();
    let (ok, out) = podman(&["stop", "-t", "10", &name]);
    assert!(ok, "{out}");
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "stopped after {:?}",
        t.elapsed()
    );
    let (_, code) = podman(&["inspect", "--format", "{{.State.ExitCode}}", &name]);
    assert_eq!(code.trim(), "0", "{}", log());

    // The primary is gone; the restarted container serves its saved copy, drain kept.
    drop(knot);
    let (ok, out) = podman(&["start", &name]);
    assert!(ok, "{out}");
    until(
        "the saved copy served after a restart",
        Duration::from_secs(20),
        || addrs(at) == ["127.0.0.45"],
        log,
    );
    podman(&["rm", "-f", "-t", "0", &name]);

    // Port 53 with NET_BIND_SERVICE alone (on an address no resolver of this machine uses).
    let cfg53 = "listen: [\"127.0.0.153:53\"]\nzones:\n  - name: example.test.\n    file: /etc/rrdns/z.zone\n";
    std::fs::write(dir.path().join("rrdns.yaml"), cfg53).unwrap();
    std::fs::write(dir.path().join("z.zone"), zone).unwrap();
    run(&["--cap-add", "NET_BIND_SERVICE"]);
    let at53: std::net::SocketAddr = ([127, 0, 0, 153], 53).into();
    until(
        "answers on port 53",
        Duration::from_secs(10),
        || addrs(at53).len() == 2,
        log,
    );
    podman(&["rm", "-f", "-t", "0", &name]);
    // Without it, binding port 53 fails loudly.
    run(&[]);
    until(
        "the container to exit",
        Duration::from_secs(10),
        || {
            podman(&["inspect", "--format", "{{.State.Running}}", &name])
                .1
                .trim()
                == "false"
        },
        log,
    );
    let (_, code) = podman(&["inspect", "--format", "{{.State.ExitCode}}", &name]);
    assert_eq!(code.trim(), "1", "{}", log());
    assert!(log().contains("Permission denied"), "{}", log());
}
