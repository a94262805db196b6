//! The container deployment of `docker/` run as processes on loopback (no container
//! engine runs here): a hidden Knot primary, rrdns as its TSIG-authenticated secondary
//! with the configuration of `docker/rrdns.yaml`, and two web backends that rrdns
//! health-checks. Addresses of the compose network are mapped to loopback ones.

mod common;

use common::backend::{Mode, backends};
use common::knot::{Knot, Role, SECRET};
use common::*;
use hickory_proto::rr::RecordType;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

const DOCKER_SECRET: &str = "cnJkbnMtZXhhbXBsZS1rZXktY2hhbmdlLW1lLXBsZWFzZQ==";

#[test]
fn the_example_container_configuration_passes_check() {
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["check", "-c"])
        .arg(root().join("docker/rrdns.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("example.test. secondary"));
    // What tests/container.rs cannot see by running the image: no file capability (it
    // broke `--cap-drop ALL`), and base images a registry-less podman can name.
    let dockerfile = project_file("docker/Dockerfile");
    assert!(!dockerfile.contains("setcap"), "no file capabilities");
    assert!(dockerfile.contains("ARG BASE_IMAGE=docker.io/library/"));
    assert!(dockerfile.contains("ARG BUILD_IMAGE=docker.io/library/"));
    let compose = project_file("docker/compose.yaml");
    assert!(compose.contains("cap_add: [NET_BIND_SERVICE]") && compose.contains("cap_drop: [ALL]"));
}

fn answer(s: &Server) -> BTreeSet<String> {
    s.udp("www.example.test.", RecordType::A)
        .answers
        .iter()
        .map(|r| r.data.to_string())
        .collect()
}

#[test]
fn compose_topology_as_processes() {
    let (web_port, web) = backends(&["127.0.0.61", "127.0.0.62"], None);
    let zone = project_file("docker/primary/example.test.zone")
        .replace("172.28.0.21", "127.0.0.61")
        .replace("172.28.0.22", "127.0.0.62")
        .replace("172.28.0.53", "127.0.0.53");
    let port = free_port();
    let knot = Knot::start(
        "example.test.",
        Role::Primary {
            zone_text: &zone,
            notify: port,
        },
        true,
    );
    let cfg = project_file("docker/rrdns.yaml")
        .replace("[\"0.0.0.0:53\", \"[::]:53\"]", "[\"127.0.0.1:{PORT}\"]")
        .replace("\"0.0.0.0:8053\"", "\"127.0.0.1:{ADMIN}\"")
        .replace("/var/lib/rrdns", "state")
        .replace("172.28.0.10:53", &format!("127.0.0.1:{}", knot.port))
        .replace(DOCKER_SECRET, SECRET)
        .replace("port: 80", &format!("port: {web_port}"));
    let s = Server::start_on(port, &cfg, &[]);
    let both: BTreeSet<String> = ["127.0.0.61".to_string(), "127.0.0.62".to_string()].into();
    let deadline = Instant::now() + Duration::from_secs(15);
    while answer(&s) != both {
        assert!(
            Instant::now() < deadline,
            "never served both backends; log:\n{}\n{}",
            s.log(),
            knot.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A backend fails: it leaves the answers of the transferred zone.
    web[0].set(Mode::Status500);
    let deadline = Instant::now() + Duration::from_secs(6);
    while answer(&s) != BTreeSet::from(["127.0.0.62".to_string()]) {
        assert!(
            Instant::now() < deadline,
            "failed backend still served; log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The operator drains the other one for maintenance; all down → served anyway (all).
    let (code, _) = s.http("POST", "/api/backends/127.0.0.62/drain", Some("change-me"));
    assert_eq!(code, 200);
    assert_eq!(answer(&s), both, "all_down: all serves every address");
    let (_, status) = s.http("GET", "/status", None);
    assert!(status.contains("\"all_out\": true"), "{status}");
    let (code, _) = s.http("GET", "/healthz", None);
    assert_eq!(code, 200);
}
