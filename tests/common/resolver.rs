//! Real caching resolvers from Debian on loopback, each sending one domain to rrdns (a
//! stub zone): Unbound, BIND's named and Knot Resolver, to see what their clients get.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_port, query_bytes, udp_exchange};
use hickory_proto::rr::RecordType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unbound,
    Bind,
    KnotResolver,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Unbound => "Unbound",
            Kind::Bind => "BIND",
            Kind::KnotResolver => "Knot Resolver",
        }
    }
}

pub struct Resolver {
    child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Resolver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Resolver {
    /// Starts `kind` with `domain` sent to `upstream`, caching as it would for clients
    /// (no minimum TTL raised above the record's), and waits until `probe` resolves.
    pub fn start(kind: Kind, domain: &str, upstream: SocketAddr, probe: &str) -> Resolver {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let port = free_port();
        let (up_ip, up_port) = (upstream.ip(), upstream.port());
        let mut cmd = match kind {
            Kind::Unbound => {
                let conf = format!(
                    "server:\n  interface: 127.0.0.1\n  port: {port}\n  username: \"\"\n  chroot: \"\"\n  directory: \"{d}\"\n  pidfile: \"{d}/unbound.pid\"\n  use-syslog: no\n  do-ip6: no\n  do-not-query-localhost: no\n  module-config: \"iterator\"\n  cache-min-ttl: 0\n  prefetch: no\n  num-threads: 1\n  access-control: 127.0.0.0/8 allow\n  domain-insecure: \"{domain}\"\n  local-zone: \"test.\" nodefault\nstub-zone:\n  name: \"{domain}\"\n  stub-addr: {up_ip}@{up_port}\n"
                );
                std::fs::write(dir.path().join("unbound.conf"), conf).unwrap();
                let mut c = Command::new("unbound");
                c.args(["-d", "-c"]).arg(dir.path().join("unbound.conf"));
                c
            }
            Kind::Bind => {
                let conf = format!(
                    "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  recursion yes;\n  allow-query {{ any; }};\n  allow-recursion {{ any; }};\n  dnssec-validation no;\n  max-cache-ttl 60;\n}};\nzone \"{domain}\" {{ type forward; forward only; forwarders {{ {up_ip} port {up_port}; }}; }};\n"
                );
                std::fs::write(dir.path().join("named.conf"), conf).unwrap();
                let mut c = Command::new("named");
                c.args(["-g", "-u", "root", "-c"])
                    .arg(dir.path().join("named.conf"));
                c
            }
            Kind::KnotResolver => {
                let conf = format!(
                    "net.listen('127.0.0.1', {port}, {{ kind = 'dns' }})\nmodules.unload('ta_update')\nmodules.unload('priming')\ntrust_anchors.remove('.')\nmodules.unload('detect_time_skew')\ncache.size = 10 * MB\ncache.min_ttl(0)\npolicy.add(policy.suffix(policy.STUB({{'{up_ip}@{up_port}'}}), {{todname('{domain}')}}))\n"
                );
                std::fs::write(dir.path().join("kresd.conf"), conf).unwrap();
                let mut c = Command::new("kresd");
                c.args(["-n", "-c"])
                    .arg(dir.path().join("kresd.conf"))
                    .arg(dir.path());
                c
            }
        };
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} is installed: {e}", kind.name()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let q = recursive_query(probe);
        for _ in 0..100 {
            if let Some(r) = udp_exchange(addr, &q, Duration::from_millis(100))
                && r.len() > 12
                && r[3] & 0x0f == 0
                && u16::from_be_bytes([r[6], r[7]]) > 0
            {
                return Resolver {
                    child,
                    addr,
                    _dir: dir,
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("{} did not start or resolve {probe}", kind.name());
    }
}

/// A query with RD set, as a stub resolver sends it.
pub fn recursive_query(name: &str) -> Vec<u8> {
    let mut q = query_bytes(name, RecordType::A, Some(1232));
    q[2] |= 0x01;
    q
}
