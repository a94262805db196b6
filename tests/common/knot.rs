//! Knot DNS (Debian's `knot`) on loopback, as a primary or a secondary for transfer tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

pub const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";

pub struct Knot {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How Knot serves the zone.
pub enum Role<'a> {
    /// Primary of `zone` (text in `zone_text`), sending NOTIFY to 127.0.0.1:`notify`.
    Primary { zone_text: &'a str, notify: u16 },
    /// Secondary of `zone`, transferring from 127.0.0.1:`primary`.
    Secondary { primary: u16 },
    /// Primary of `zone` that signs it itself (automatic DNSSEC signing: ECDSA P-256
    /// keys it makes, NSEC3 with no iterations and no salt as RFC 9276 advises).
    SigningPrimary { zone_text: &'a str },
}

impl Knot {
    pub fn start(zone: &str, role: Role<'_>, tsig: bool) -> Knot {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let port = free_port();
        let key = if tsig {
            format!("key:\n  - id: xfr\n    algorithm: hmac-sha256\n    secret: {SECRET}\n")
        } else {
            String::new()
        };
        let with_key = if tsig { "\n    key: xfr" } else { "" };
        let zone_part = match role {
            Role::Primary { zone_text, notify } => {
                std::fs::write(dir.path().join("zone"), zone_text).unwrap();
                format!(
                    "remote:\n  - id: rrdns\n    address: 127.0.0.1@{notify}{with_key}\n\
acl:\n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer{with_key}\n\
zone:\n  - domain: {zone}\n    file: {d}/zone\n    notify: rrdns\n    acl: xfr\n"
                )
            }
            Role::SigningPrimary { zone_text } => {
                std::fs::write(dir.path().join("zone"), zone_text).unwrap();
                format!(
                    "policy:\n  - id: signing\n    algorithm: ecdsap256sha256\n    nsec3: on\n    nsec3-iterations: 0\n    nsec3-salt-length: 0\n\
acl:\n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer{with_key}\n\
zone:\n  - domain: {zone}\n    file: {d}/zone\n    dnssec-signing: on\n    dnssec-policy: signing\n    acl: xfr\n"
                )
            }
            Role::Secondary { primary } => format!(
                "remote:\n  - id: rrdns\n    address: 127.0.0.1@{primary}{with_key}\n\
acl:\n  - id: notify\n    address: 127.0.0.0/8\n    action: notify{with_key}\n  - id: out\n    address: 127.0.0.0/8\n    action: transfer\n\
zone:\n  - domain: {zone}\n    file: {d}/zone\n    master: rrdns\n    acl: [notify, out]\n"
            ),
        };
        let conf = format!(
            "server:\n    listen: 127.0.0.1@{port}\n    rundir: {d}\n{key}database:\n    storage: {d}\n\
log:\n  - target: stderr\n    any: info\n\
template:\n  - id: default\n    storage: {d}\n    zonefile-sync: -1\n    zonefile-load: difference\n    journal-content: changes\n\
{zone_part}"
        );
        let conf_path = dir.path().join("knot.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let log = std::fs::File::create(dir.path().join("knot.log")).unwrap();
        let child = Command::new("knotd")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("Knot is installed (apt-get install knot knot-dnsutils)");
        let k = Knot {
            child,
            port,
            dir,
            conf: conf_path,
        };
        k.wait_listening();
        k
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("knotd did not start:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("knot.log")).unwrap_or_default()
    }

    /// Runs `knotc ARGS…` against this server.
    pub fn ctl(&self, args: &[&str]) {
        let ok = Command::new("knotc")
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "knotc {args:?}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }

    /// Replaces the zone file and has Knot reload it (it then sends NOTIFY).
    pub fn update(&self, zone: &str, text: &str) {
        std::fs::write(self.dir.path().join("zone"), text).unwrap();
        let ok = Command::new("knotc")
            .arg("-c")
            .arg(&self.conf)
            .args(["zone-reload", zone])
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "knotc: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
}
