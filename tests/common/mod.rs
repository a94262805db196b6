//! Test harness: starts the real `rrdns` binary on loopback with a configuration in a
//! temporary directory, and speaks DNS to it over UDP and TCP with hickory-proto.
#![allow(dead_code)]

pub mod attack;
pub mod corpus;
pub mod edits;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free on 127.0.0.1 and ::1 for both UDP and TCP, for a peer that must be told
/// a port before it starts. It is drawn below the kernel's ephemeral range (32768 and up),
/// so that no connection or socket bound to port 0 meanwhile can take it before the
/// peer binds it (ports from the ephemeral range were taken that way on a busy machine).
pub fn free_port() -> u16 {
    loop {
        let port = fastrand::u16(20_000..32_000);
        let Ok(_held) = UdpSocket::bind(("127.0.0.1", port)) else {
            continue;
        };
        if TcpListener::bind(("127.0.0.1", port)).is_ok()
            && UdpSocket::bind(("::1", port)).is_ok()
            && TcpListener::bind(("::1", port)).is_ok()
        {
            return port;
        }
    }
}

/// The project's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running rrdns process.
pub struct Server {
    pub child: Child,
    /// The first listen address on 127.0.0.1, as the server bound it.
    pub addr: SocketAddr,
    pub port: u16,
    /// The first listen address on ::1, when one is configured.
    pub addr6: Option<SocketAddr>,
    /// The admin HTTP port, when admin is configured.
    pub admin: u16,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Server {
    /// Writes `files` (name, content) into a temp dir, replaces `{PORT}` and `{ADMIN}` in
    /// the configuration with 0, starts `rrdns serve -c`, reads the addresses it bound from
    /// its log and waits until it answers. No port is chosen ahead, so none can be taken
    /// in between by another test.
    pub fn start(config: &str, files: &[(&str, &str)]) -> Server {
        Self::start_on(0, config, files)
    }

    /// Like [`Server::start`] on a port chosen by the caller (to tell peers beforehand).
    pub fn start_on(port: u16, config: &str, files: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        let cfg = dir.path().join("rrdns.yaml");
        let text = config
            .replace("{PORT}", &port.to_string())
            .replace("{ADMIN}", "0");
        std::fs::write(&cfg, text).unwrap();
        Self::spawn(dir, cfg)
    }

    /// Starts rrdns on an existing directory and configuration (e.g. to test a restart).
    pub fn spawn(dir: tempfile::TempDir, cfg: PathBuf) -> Server {
        Self::spawn_env(dir, cfg, &[])
    }

    /// [`Server::spawn`] with more environment variables.
    pub fn spawn_env(dir: tempfile::TempDir, cfg: PathBuf, env: &[(&str, &str)]) -> Server {
        let log_path = dir.path().join("rrdns.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap();
        // This run's lines start here (a restart appends to the same log).
        let from = log.metadata().unwrap().len() as usize;
        let child = Command::new(env!("CARGO_BIN_EXE_rrdns"))
            .args(["serve", "-c"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(log)
            .env("RRDNS_LOG", "info")
            .envs(env.iter().copied())
            .spawn()
            .expect("start rrdns");
        let mut s = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            port: 0,
            addr6: None,
            admin: 0,
            dir,
            config: cfg,
        };
        s.read_bound(from);
        s.wait_ready();
        s
    }

    /// Reads the addresses this run bound from its log: `listening on ADDR (udp, tcp)`
    /// per listen address, then `admin HTTP on http://ADDR` when admin is configured.
    fn read_bound(&mut self, from: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let log = self.log();
            let run = log.get(from..).unwrap_or_default();
            let listening: Vec<SocketAddr> = run
                .lines()
                .filter_map(|l| l.split_once("listening on ")?.1.split_once(" (udp, tcp)"))
                .filter_map(|(a, _)| a.parse().ok())
                .collect();
            let admin = run
                .lines()
                .find_map(|l| l.split_once("admin HTTP on http://")?.1.trim().parse().ok());
            // The admin line follows the listen lines; without admin, the server is
            // up once it answers.
            let done = admin.is_some() || (!listening.is_empty() && self.answers(listening[0]));
            if done {
                if let Some(a) = listening.iter().find(|a| a.is_ipv4()) {
                    (self.addr, self.port) = (*a, a.port());
                }
                self.addr6 = listening.iter().find(|a| a.is_ipv6()).copied();
                self.admin = admin.map_or(0, |a: SocketAddr| a.port());
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("rrdns exited with {status}; log:\n{run}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("rrdns did not report its addresses; log:\n{}", self.log());
    }

    fn answers(&self, addr: SocketAddr) -> bool {
        let q = query_bytes(".", RecordType::SOA, None);
        udp_exchange(addr, &q, Duration::from_millis(200)).is_some()
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.answers(self.addr) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("rrdns did not start; log:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rrdns.log")).unwrap_or_default()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Stops the process and hands back its directory, for a restart.
    pub fn stop(mut self) -> (tempfile::TempDir, PathBuf) {
        signal(&self.child, "TERM");
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (dir, self.config.clone())
    }

    /// An HTTP request to the admin server: (status, body).
    pub fn http(&self, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
        http(
            SocketAddr::from(([127, 0, 0, 1], self.admin)),
            method,
            path,
            token,
        )
    }

    /// Sends SIGHUP.
    pub fn hup(&self) {
        signal(&self.child, "HUP");
    }

    pub fn udp(&self, name: &str, t: RecordType) -> Message {
        self.udp_edns(name, t, Some(1232))
    }

    pub fn udp_edns(&self, name: &str, t: RecordType, edns: Option<u16>) -> Message {
        let q = query_bytes(name, t, edns);
        let r = udp_exchange(self.addr, &q, Duration::from_secs(2))
            .unwrap_or_else(|| panic!("no answer to {name} {t}; log:\n{}", self.log()));
        Message::from_vec(&r).expect("parse response")
    }

    pub fn tcp(&self, name: &str, t: RecordType) -> Message {
        let q = query_bytes(name, t, Some(1232));
        Message::from_vec(&tcp_exchange(self.addr, &q)).expect("parse response")
    }

    /// Runs dig against this server; returns stdout.
    pub fn dig(&self, args: &[&str]) -> String {
        dig(self.addr, args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} failed");
}

/// A name in presentation format (RFC 1035 §5.1), any octet in a label written as itself
/// or escaped (`\X`, `\DDD`), as `named-checkzone -D` prints owner names.
pub fn presentation_name(text: &str) -> Name {
    if text == "." {
        return Name::root();
    }
    let mut labels: Vec<Vec<u8>> = vec![Vec::new()];
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\'
                if b.get(i + 1..i + 4)
                    .is_some_and(|d| d.iter().all(u8::is_ascii_digit)) =>
            {
                let d = std::str::from_utf8(&b[i + 1..i + 4]).unwrap();
                labels.last_mut().unwrap().push(d.parse::<u8>().unwrap());
                i += 4;
            }
            b'\\' => {
                labels.last_mut().unwrap().push(b[i + 1]);
                i += 2;
            }
            b'.' => {
                labels.push(Vec::new());
                i += 1;
            }
            c => {
                labels.last_mut().unwrap().push(c);
                i += 1;
            }
        }
    }
    if labels.last().is_some_and(Vec::is_empty) {
        labels.pop();
    }
    let mut n = Name::from_labels(labels).unwrap_or_else(|e| panic!("{text}: {e}"));
    n.set_fqdn(true);
    n
}

/// A query message; `edns` is the advertised UDP size (None: no OPT record).
pub fn query_message(name: &str, t: RecordType, edns: Option<u16>) -> Message {
    let mut m = Message::new(fastrand::u16(..), MessageType::Query, OpCode::Query);
    m.add_query(Query::query(presentation_name(name), t));
    if let Some(size) = edns {
        let mut e = Edns::new();
        e.set_max_payload(size);
        m.set_edns(e);
    }
    m
}

pub fn query_bytes(name: &str, t: RecordType, edns: Option<u16>) -> Vec<u8> {
    query_message(name, t, edns).to_vec().unwrap()
}

/// One UDP request/response; `None` on timeout.
pub fn udp_exchange(addr: SocketAddr, q: &[u8], timeout: Duration) -> Option<Vec<u8>> {
    let bind = if addr.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let s = UdpSocket::bind(bind).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s.send_to(q, addr).ok()?;
    let mut buf = vec![0u8; 65535];
    loop {
        let (n, _) = s.recv_from(&mut buf).ok()?;
        // Ignore stray datagrams that do not answer this query.
        if n >= 2 && buf[..2] == q[..2] {
            return Some(buf[..n].to_vec());
        }
    }
}

/// One TCP request/response on a fresh connection.
pub fn tcp_exchange(addr: SocketAddr, q: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write_framed(&mut s, q);
    read_framed(&mut s)
}

/// A TCP connection to `to` from the loopback address `from` (any 127.0.0.0/8 address
/// works without setup): a distinct client to rrdns's per-client bounds.
pub fn connect_from(from: std::net::IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    connect_from_with(from, to, None)
}

/// [`connect_from`] with a receive buffer of `rcvbuf` bytes: an attacker on loopback
/// whose unread data would otherwise fill the test machine's TCP memory (on a network
/// it would fill the attacker's).
pub fn connect_from_with(
    from: std::net::IpAddr,
    to: SocketAddr,
    rcvbuf: Option<usize>,
) -> std::io::Result<TcpStream> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(to),
        socket2::Type::STREAM,
        None,
    )?;
    if let Some(n) = rcvbuf {
        s.set_recv_buffer_size(n)?;
    }
    s.bind(&SocketAddr::new(from, 0).into())?;
    s.connect(&to.into())?;
    Ok(s.into())
}

/// The distinct IPv4 addresses of an answer, sorted: the set a balanced answer served.
pub fn a_set(m: &Message) -> Vec<String> {
    let mut a: Vec<String> = (m.answers.iter())
        .filter_map(|r| match &r.data {
            hickory_proto::rr::RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect();
    a.sort();
    a.dedup();
    a
}

pub fn write_framed(s: &mut TcpStream, q: &[u8]) {
    let mut out = (q.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(q);
    s.write_all(&out).unwrap();
}

pub fn read_framed(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).unwrap();
    buf
}

/// Runs `dig @addr -p port ARGS`.
pub fn dig(addr: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg(format!("@{}", addr.ip()))
        .args(["-p", &addr.port().to_string()])
        .args(args)
        .output()
        .expect("dig is installed (apt-get install bind9-dnsutils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A configuration serving the given zone files on 127.0.0.1:{PORT} and [::1]:{PORT}.
pub fn config_for(zones: &[(&str, &str)], extra: &str) -> String {
    let mut c = String::from("listen: [\"127.0.0.1:{PORT}\", \"[::1]:{PORT}\"]\nzones:\n");
    for (name, file) in zones {
        c.push_str(&format!("  - name: {name}\n    file: {file}\n"));
    }
    c.push_str(extra);
    c
}

/// Starts rrdns serving project zone files, given as (origin, path in the project), each
/// copied into the server's directory under its file name; `extra` ends the configuration.
pub fn serve_project_zones(zones: &[(&str, &str)], extra: &str) -> Server {
    let files: Vec<(String, String)> = zones
        .iter()
        .map(|(_, f)| (f.rsplit('/').next().unwrap().to_string(), project_file(f)))
        .collect();
    let served: Vec<(&str, &str)> = zones
        .iter()
        .zip(&files)
        .map(|((origin, _), (name, _))| (*origin, name.as_str()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    Server::start(&config_for(&served, extra), &refs)
}

/// A copy of project zone file `file` without its lines that hold any of `words` as a
/// whole word (a type a peer cannot read, an owner): its directory, path and text.
pub fn zone_without(file: &str, words: &[&str]) -> (tempfile::TempDir, String, String) {
    let d = tempfile::tempdir().unwrap();
    let text: String = (project_file(file).lines())
        .filter(|l| !l.split_whitespace().any(|w| words.contains(&w)))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = d.path().join(file.rsplit('/').next().unwrap_or("zone"));
    std::fs::write(&path, &text).unwrap();
    (d, path.display().to_string(), text)
}

/// Reads a file of the project (zones, fixtures).
pub fn project_file(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
pub mod backend;
pub mod bind;
pub mod compare;
pub mod dnssec;
pub mod generated;
pub mod hostile;
pub mod knot;
pub mod nsd;
pub mod resolver;
pub mod signing;

/// A minimal HTTP/1.1 client for the admin API: (status, body).
pub fn http(addr: SocketAddr, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Runs `rrdns check` (with `extra` flags such as `--print`) on the configuration at
/// `config`: whether it passed, its standard output and its standard error.
pub fn rrdns_check(config: &std::path::Path, extra: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .arg("check")
        .args(extra)
        .arg("-c")
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
