//! NSD from Debian serving project zone files on 127.0.0.1, the reference the answer
//! tests compare with.

use hickory_proto::rr::RecordType;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_port, project_file, query_bytes, udp_exchange, zone_without};

pub struct Nsd {
    child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Nsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nsd {
    /// Serves `zones` (origin, path in the project) with rate limiting off and ANY
    /// answered, and waits until the first zone's SOA is answered.
    pub fn serve(zones: &[(&str, &str)]) -> Nsd {
        Nsd::serve_with(zones, "  rrl-ratelimit: 0\n")
    }

    /// [`Nsd::serve`] with `server_lines` (indented `server:` options) in place of the
    /// rate limiting that is off by default here.
    pub fn serve_with(zones: &[(&str, &str)], server_lines: &str) -> Nsd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let port = free_port();
        let mut conf = format!(
            "server:\n  ip-address: 127.0.0.1\n  port: {port}\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"{d}\"\n  pidfile: \"{d}/nsd.pid\"\n  database: \"\"\n  zonelistfile: \"{d}/zone.list\"\n  xfrdfile: \"{d}/xfrd.state\"\n  xfrdir: \"{d}\"\n  server-count: 1\n{server_lines}  refuse-any: no\n  verbosity: 1\nremote-control:\n  control-enable: no\n"
        );
        for (name, file) in zones {
            let base = file.rsplit('/').next().unwrap();
            std::fs::write(dir.path().join(base), project_file(file)).unwrap();
            conf.push_str(&format!("zone:\n  name: {name}\n  zonefile: {base}\n"));
        }
        std::fs::write(dir.path().join("nsd.conf"), conf).unwrap();
        let mut child = Command::new("nsd")
            .args(["-d", "-c"])
            .arg(dir.path().join("nsd.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("NSD is installed (apt-get install nsd)");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let q = query_bytes(zones[0].0, RecordType::SOA, None);
        for _ in 0..100 {
            if udp_exchange(addr, &q, Duration::from_millis(100)).is_some() {
                return Nsd {
                    child,
                    addr,
                    _dir: dir,
                };
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("NSD did not start");
    }
}

/// Types NSD 4.6 cannot read from a zone file.
pub const UNKNOWN_TO_NSD: [&str; 21] = [
    "NSAP-PTR", "GPOS", "NINFO", "RESINFO", "WALLET", "TA", "HIP", "EID", "NIMLOC", "SINK", "RKEY",
    "TALINK", "A6", "AMTRELAY", "DOA", "ATMA", "DSYNC", "HHIT", "BRID", "UNSPEC", "KEYDATA",
];

/// A copy of project zone file `file` without the records NSD cannot read, for NSD and
/// rrdns to serve alike: the directory that holds it, and its path.
pub fn readable_copy(file: &str) -> (tempfile::TempDir, String) {
    let (d, path, _) = zone_without(file, &UNKNOWN_TO_NSD);
    (d, path)
}
