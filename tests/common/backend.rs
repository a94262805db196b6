//! Small HTTP(S) backends for health tests, on 127.0.0.x or ::1, whose behaviour the test
//! flips: healthy, HTTP 500, wrong body, hang after accept, connection refused, slow.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Healthy = 0,
    Status500 = 1,
    WrongBody = 2,
    Hang = 3,
    Refuse = 4,
    Slow = 5,
}

impl Mode {
    fn from(v: u8) -> Mode {
        [
            Mode::Healthy,
            Mode::Status500,
            Mode::WrongBody,
            Mode::Hang,
            Mode::Refuse,
            Mode::Slow,
        ][v as usize]
    }
}

pub struct Backend {
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    /// The Host header of the last request.
    pub last_host: Arc<Mutex<String>>,
}

type Tls = Arc<rustls::ServerConfig>;

impl Backend {
    pub fn start(addr: SocketAddr) -> std::io::Result<Backend> {
        Self::start_inner(addr, None)
    }

    /// An HTTPS backend with a self-signed certificate for `host`.
    pub fn start_tls(addr: SocketAddr, host: &str) -> std::io::Result<Backend> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cert = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
        let cfg = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        Self::start_inner(addr, Some(Arc::new(cfg)))
    }

    fn start_inner(addr: SocketAddr, tls: Option<Tls>) -> std::io::Result<Backend> {
        let first = TcpListener::bind(addr)?;
        first.set_nonblocking(true)?;
        let b = Backend {
            addr,
            mode: Arc::new(AtomicU8::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
            last_host: Arc::new(Mutex::new(String::new())),
        };
        let (mode, stop, host) = (b.mode.clone(), b.stop.clone(), b.last_host.clone());
        std::thread::spawn(move || serve(first, addr, mode, stop, host, tls));
        Ok(b)
    }

    pub fn set(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::SeqCst);
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    first: TcpListener,
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    host: Arc<Mutex<String>>,
    tls: Option<Tls>,
) {
    let mut listener = Some(first);
    while !stop.load(Ordering::SeqCst) {
        let m = Mode::from(mode.load(Ordering::SeqCst));
        if m == Mode::Refuse {
            listener = None; // closed: connections are refused
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        let Some(l) = &listener else {
            listener = TcpListener::bind(addr).ok();
            if let Some(l) = &listener {
                let _ = l.set_nonblocking(true);
            }
            continue;
        };
        match l.accept() {
            Ok((s, _)) => {
                let (host, tls) = (host.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
                    match tls {
                        None => handle(s, m, &host),
                        Some(cfg) => {
                            let conn = rustls::ServerConnection::new(cfg).unwrap();
                            handle(rustls::StreamOwned::new(conn, s), m, &host)
                        }
                    }
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn handle<S: Read + Write>(mut s: S, m: Mode, host: &Mutex<String>) {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&req).to_string();
    if let Some(h) = text
        .lines()
        .find_map(|l| l.strip_prefix("host: ").or(l.strip_prefix("Host: ")))
    {
        *host.lock().unwrap() = h.trim().to_string();
    }
    let (status, body) = match m {
        Mode::Healthy | Mode::Refuse => ("200 OK", "service OK"),
        Mode::Status500 => ("500 Internal Server Error", "service OK"),
        Mode::WrongBody => ("200 OK", "maintenance"),
        Mode::Hang => {
            std::thread::sleep(Duration::from_secs(5));
            return;
        }
        Mode::Slow => {
            std::thread::sleep(Duration::from_millis(1500));
            ("200 OK", "service OK")
        }
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(resp.as_bytes());
    let _ = s.flush();
}

/// Starts one backend on each address, all on one port (health checks name one port).
pub fn backends(ips: &[&str], tls_host: Option<&str>) -> (u16, Vec<Backend>) {
    'retry: for _ in 0..50 {
        let port = super::free_port();
        let mut out = Vec::new();
        for ip in ips {
            let addr = SocketAddr::new(ip.parse::<IpAddr>().unwrap(), port);
            let b = match tls_host {
                None => Backend::start(addr),
                Some(h) => Backend::start_tls(addr, h),
            };
            match b {
                Ok(b) => out.push(b),
                Err(_) => continue 'retry,
            }
        }
        return (port, out);
    }
    panic!("no free port for backends");
}

/// A plain TCP service that answers `reply` to anything.
pub fn tcp_service(addr: SocketAddr, reply: &'static [u8]) -> std::io::Result<()> {
    let l = TcpListener::bind(addr)?;
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s: TcpStream = s;
            let mut buf = [0u8; 256];
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply);
        }
    });
    Ok(())
}
