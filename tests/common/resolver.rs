//! Real caching resolvers from Debian on loopback, each sending one domain to rrdns (a
//! stub zone): Unbound, BIND's named and Knot Resolver, to see what their clients get.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{free_port, query_bytes, query_message, udp_exchange};
use hickory_proto::op::Message;
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
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} is installed: {e}", kind.name()));
        let what = format!("{} resolving {probe}", kind.name());
        let ready = |r: &[u8]| r[3] & 0x0f == 0 && u16::from_be_bytes([r[6], r[7]]) > 0;
        Resolver::ready(child, port, dir, &recursive_query(probe), ready, &what)
    }

    /// Waits until the resolver started as `child` on `port` answers `q` with a reply
    /// that `ok` accepts; kills it and panics, naming `what`, if it never does.
    fn ready(
        mut child: Child,
        port: u16,
        dir: tempfile::TempDir,
        q: &[u8],
        ok: impl Fn(&[u8]) -> bool,
        what: &str,
    ) -> Resolver {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        for _ in 0..100 {
            if let Some(r) = udp_exchange(addr, q, Duration::from_millis(100))
                && r.len() > 12
                && ok(&r)
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
        panic!("{what} did not start");
    }
}

impl Resolver {
    /// A validating Unbound (RFC 4035 §5) that trusts `anchors` (DNSKEY or DS records,
    /// one per line) and sends each of `zones` and the root to `upstream`, so that no
    /// query leaves loopback; queries go out from 127.0.0.1 only. Waits until the SOA of
    /// the first zone resolves.
    pub fn validating(anchors: &str, zones: &[&str], upstream: SocketAddr) -> Resolver {
        Resolver::validating_with(anchors, zones, upstream, "")
    }

    /// [`Resolver::validating`] that caches nothing: every question is asked again, so
    /// that each answer of a balanced name is validated on its own.
    pub fn validating_uncached(anchors: &str, zones: &[&str], upstream: SocketAddr) -> Resolver {
        let more = "  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n";
        Resolver::validating_with(anchors, zones, upstream, more)
    }

    /// [`Resolver::validating`] with more `server:` lines (indented), such as
    /// `cache-max-ttl: 0` for a validator that asks again for every query.
    pub fn validating_with(
        anchors: &str,
        zones: &[&str],
        upstream: SocketAddr,
        more: &str,
    ) -> Resolver {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let port = free_port();
        std::fs::write(dir.path().join("anchors"), anchors).unwrap();
        let mut conf = format!(
            "server:\n  interface: 127.0.0.1\n  port: {port}\n  outgoing-interface: 127.0.0.1\n  username: \"\"\n  chroot: \"\"\n  directory: \"{d}\"\n  pidfile: \"{d}/unbound.pid\"\n  use-syslog: no\n  logfile: \"{d}/unbound.log\"\n  verbosity: 1\n  val-log-level: 2\n  do-ip6: no\n  do-not-query-localhost: no\n  module-config: \"validator iterator\"\n  trust-anchor-file: \"{d}/anchors\"\n  qname-minimisation: no\n  aggressive-nsec: no\n  prefetch: no\n  num-threads: 1\n  access-control: 127.0.0.0/8 allow\n  local-zone: \"test.\" nodefault\n{more}"
        );
        for z in zones.iter().chain(&["."]) {
            conf.push_str(&format!(
                "stub-zone:\n  name: \"{z}\"\n  stub-addr: {}@{}\n",
                upstream.ip(),
                upstream.port()
            ));
        }
        std::fs::write(dir.path().join("unbound.conf"), conf).unwrap();
        let child = Command::new("unbound")
            .args(["-d", "-c"])
            .arg(dir.path().join("unbound.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Unbound is installed (apt-get install unbound)");
        let mut q = query_bytes(zones[0], RecordType::SOA, Some(1232));
        q[2] |= 0x01;
        Resolver::ready(child, port, dir, &q, |_| true, "validating Unbound")
    }

    /// Asks with RD and DO set, as a validating stub does, and returns the answer.
    pub fn ask_validated(&self, name: &str, t: RecordType) -> Message {
        let mut q = query_message(name, t, Some(1232));
        q.metadata.recursion_desired = true;
        if let Some(e) = q.edns.as_mut() {
            e.enable_dnssec();
        }
        let r = udp_exchange(self.addr, &q.to_vec().unwrap(), Duration::from_secs(5))
            .expect("the resolver answers");
        Message::from_vec(&r).unwrap()
    }

    /// The validator's log (with `val-log-level: 2`, why an answer was bogus).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("unbound.log")).unwrap_or_default()
    }
}

/// A query with RD set, as a stub resolver sends it.
pub fn recursive_query(name: &str) -> Vec<u8> {
    let mut q = query_bytes(name, RecordType::A, Some(1232));
    q[2] |= 0x01;
    q
}
