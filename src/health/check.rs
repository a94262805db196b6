//! How to probe: HTTP(S) GET with status and body checks, and TCP connect with optional
//! send/expect (the classic load-balancer check).
//!
//! HTTP and HTTPS without a `host` go through one shared `reqwest` client per TLS mode.
//! HTTPS with a `host` must send that name as SNI while connecting to the backend's own
//! address, which `reqwest` only supports per client (`resolve`), so such targets get a
//! client of their own, built once and reused.

use reqwest::Client;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::{CheckConfig, HttpProbe, Probe, TcpProbe};

/// How much of a body (or TCP reply) is searched for `expect_body`.
const BODY_LIMIT: usize = 64 * 1024;

/// Why a probe failed: the reason logged with a transition and shown on the status page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("connect failed: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Request(String),
    #[error("status {0}")]
    Status(u16),
    #[error("body does not contain {0:?}")]
    Body(String),
    #[error("send failed: {0}")]
    Send(String),
    #[error("read failed: {0}")]
    Read(String),
    #[error("reply does not start with {expect:?} (got {got:?})")]
    Reply { expect: String, got: String },
    #[error("timeout after {}", human(*.0))]
    Timeout(Duration),
    /// An HTTP client could not be built (a TLS setup error): no request was sent.
    #[error("HTTP client: {0}")]
    Client(String),
    /// The prober is shutting down.
    #[error("prober stopped")]
    Stopped,
}

/// Runs probes; shared by every target.
///
/// Only HTTPS with verification needs the system's CA certificates, and that client is
/// built at its first use: a server whose checks are all plain HTTP or TCP starts in an
/// image without a CA bundle (it refused to, with "HTTP client: builder error").
pub struct Checker {
    /// Plain HTTP: no TLS roots needed.
    plain: Client,
    /// HTTPS with the system's roots, built at first use (or why it cannot be).
    verify: OnceLock<Result<Client, String>>,
    /// HTTPS without verification (`tls_verify: false`): no roots needed.
    insecure: Client,
    sni: Mutex<HashMap<(String, SocketAddr, bool), Client>>,
}

fn builder() -> reqwest::ClientBuilder {
    Client::builder()
        .no_proxy()
        // A 3xx is a status to judge, not a place to go.
        .redirect(reqwest::redirect::Policy::none())
        // Every probe opens a fresh connection: a backend that accepts none must fail.
        .pool_max_idle_per_host(0)
        .user_agent(concat!("rrdns-health/", env!("CARGO_PKG_VERSION")))
}

impl Checker {
    pub fn new() -> Result<Checker, ProbeError> {
        // reqwest is built without a default crypto provider; ring is already in the tree.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = |e: reqwest::Error| ProbeError::Client(e.to_string());
        let plain = builder().tls_certs_only([]).build().map_err(client)?;
        let insecure = builder()
            .tls_certs_only([])
            .tls_danger_accept_invalid_certs(true)
            .build()
            .map_err(client)?;
        Ok(Checker {
            plain,
            verify: OnceLock::new(),
            insecure,
            sni: Mutex::new(HashMap::new()),
        })
    }

    /// Probes `addr` with `check`; `Ok(latency)` or why not, such as `status 500` or
    /// `timeout after 1s`. Never takes longer than the check's timeout.
    pub async fn probe(&self, check: &CheckConfig, addr: IpAddr) -> Result<Duration, ProbeError> {
        let start = Instant::now();
        let work = async {
            match &check.probe {
                Probe::Http(h) => self.http(h, addr).await,
                Probe::Tcp(t) => tcp(t, addr).await,
            }
        };
        match tokio::time::timeout(check.timeout, work).await {
            Ok(Ok(())) => Ok(start.elapsed()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ProbeError::Timeout(check.timeout)),
        }
    }

    /// The verifying HTTPS client, built at first use.
    fn verifying(&self) -> Result<Client, ProbeError> {
        let built = self.verify.get_or_init(|| {
            builder().build().map_err(|e| {
                format!("{e} (an https check with tls_verify needs the system's CA certificates, /etc/ssl/certs)")
            })
        });
        built.clone().map_err(ProbeError::Client)
    }

    fn client_for(&self, check: &HttpProbe, addr: IpAddr) -> Result<(Client, String), ProbeError> {
        let scheme = if check.tls.is_some() { "https" } else { "http" };
        let verify = check.tls.is_none_or(|t| t.verify);
        let sock = SocketAddr::new(addr, check.port);
        let generic = || -> Result<(Client, String), ProbeError> {
            let c = match (check.tls.is_some(), verify) {
                (false, _) => self.plain.clone(),
                (true, false) => self.insecure.clone(),
                (true, true) => self.verifying()?,
            };
            Ok((c, format!("{scheme}://{sock}{}", check.path)))
        };
        let Some(host) = check.host.as_deref().filter(|_| check.tls.is_some()) else {
            return generic();
        };
        let key = (host.to_string(), sock, verify);
        let mut cache = self.sni.lock().unwrap_or_else(|p| p.into_inner());
        if !cache.contains_key(&key) {
            let b = builder().resolve(host, sock);
            let b = if verify {
                b
            } else {
                b.tls_certs_only([]).tls_danger_accept_invalid_certs(true)
            };
            let c = b.build().map_err(|e| ProbeError::Client(e.to_string()))?;
            cache.insert(key.clone(), c);
        }
        Ok((
            cache[&key].clone(),
            format!("https://{host}:{}{}", check.port, check.path),
        ))
    }

    async fn http(&self, check: &HttpProbe, addr: IpAddr) -> Result<(), ProbeError> {
        let (client, url) = self.client_for(check, addr)?;
        let mut req = client.get(&url);
        if let Some(h) = &check.host {
            req = req.header(reqwest::header::HOST, h);
        }
        let mut resp = req.send().await.map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        if !check
            .expect_status
            .iter()
            .any(|(a, b)| (*a..=*b).contains(&status))
        {
            return Err(ProbeError::Status(status));
        }
        let Some(expect) = &check.expect_body else {
            return Ok(());
        };
        let mut body = Vec::new();
        while body.len() < BODY_LIMIT {
            match resp.chunk().await.map_err(|e| describe(&e))? {
                Some(c) => body.extend_from_slice(&c),
                None => break,
            }
        }
        body.truncate(BODY_LIMIT);
        if contains(&body, expect.as_bytes()) {
            Ok(())
        } else {
            Err(ProbeError::Body(expect.clone()))
        }
    }
}

/// TCP: connect; optionally send `send` and require the reply to start with `expect`.
async fn tcp(check: &TcpProbe, addr: IpAddr) -> Result<(), ProbeError> {
    let mut s = TcpStream::connect(SocketAddr::new(addr, check.port))
        .await
        .map_err(|e| ProbeError::Connect(e.to_string()))?;
    if let Some(send) = check.send.as_deref().filter(|s| !s.is_empty()) {
        s.write_all(send.as_bytes())
            .await
            .map_err(|e| ProbeError::Send(e.to_string()))?;
    }
    let Some(expect) = check.expect.as_deref().filter(|e| !e.is_empty()) else {
        if check.send.as_deref().is_none_or(str::is_empty) {
            close_with_reset(&s);
        }
        return Ok(());
    };
    let want = expect.len().min(BODY_LIMIT);
    let mut got = Vec::with_capacity(want);
    let mut buf = [0u8; 4096];
    while got.len() < want {
        let n = s
            .read(&mut buf)
            .await
            .map_err(|e| ProbeError::Read(e.to_string()))?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    if got.starts_with(&expect.as_bytes()[..want]) {
        // The reply came, so what was sent arrived: nothing is left to lose.
        close_with_reset(&s);
        Ok(())
    } else {
        Err(ProbeError::Reply {
            expect: expect.to_string(),
            got: String::from_utf8_lossy(&got[..got.len().min(32)]).into_owned(),
        })
    }
}

/// Ends a finished check with a reset rather than a FIN exchange, as HAProxy closes its
/// connections to backends: no `TIME_WAIT` is left on either side (at a check a second
/// to each of thousands of backends, thousands of sockets a second held for a minute,
/// past the kernel's default cap of 131,072), and closing takes one segment instead of
/// four. Only once nothing sent can still be in flight, since a reset discards unsent
/// data (RFC 9293 §3.10.5, ABORT).
fn close_with_reset(s: &TcpStream) {
    let _ = s.set_zero_linger();
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A short reason for a transport error: the innermost cause says most.
fn describe(e: &reqwest::Error) -> ProbeError {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    match e.is_connect() {
        true => ProbeError::Connect(cause.to_string()),
        false => ProbeError::Request(cause.to_string()),
    }
}

/// `1s`, `1.5s`, `300ms`.
pub fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpListener;

    fn tcp_check(port: u16, send: Option<&str>, expect: Option<&str>) -> CheckConfig {
        CheckConfig {
            probe: Probe::Tcp(TcpProbe {
                port,
                send: send.map(String::from),
                expect: expect.map(String::from),
            }),
            rise: 1,
            fall: 1,
            ..CheckConfig::tcp(port, Duration::from_secs(1), Duration::from_secs(2))
        }
    }

    /// Runs `check` against a backend on 127.0.0.1 that accepts, optionally replies, and
    /// then reads until the end: what the end was (EOF or reset) and what it read.
    async fn backend_sees(
        send: Option<&str>,
        expect: Option<&str>,
        reply: &'static [u8],
    ) -> (ErrorKind, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let check = tcp_check(listener.local_addr().unwrap().port(), send, expect);
        let backend = std::thread::spawn(move || {
            let (mut c, _) = listener.accept().unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let _ = c.write_all(reply);
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            loop {
                match c.read(&mut buf) {
                    Ok(0) => return (ErrorKind::UnexpectedEof, got),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => return (e.kind(), got),
                }
            }
        });
        let checker = Checker::new().unwrap();
        let r = checker.probe(&check, "127.0.0.1".parse().unwrap()).await;
        assert!(r.is_ok(), "{r:?}");
        backend.join().unwrap()
    }

    /// A connect check and a send/expect check end with a reset, so no `TIME_WAIT` is
    /// left on either side; with the default close the backend reads EOF instead.
    #[tokio::test]
    async fn a_finished_check_is_closed_with_a_reset() {
        let (end, _) = backend_sees(None, None, b"").await;
        assert_eq!(end, ErrorKind::ConnectionReset);
        let (end, got) = backend_sees(Some("PING\r\n"), Some("+PONG"), b"+PONG\r\n").await;
        assert_eq!(
            (end, got.as_slice()),
            (ErrorKind::ConnectionReset, &b"PING\r\n"[..])
        );
    }

    /// With something sent and no reply awaited, a reset could discard what was sent
    /// before it left: such a check closes gracefully, and the backend gets it all.
    #[tokio::test]
    async fn a_check_that_sends_without_a_reply_closes_gracefully() {
        let (end, got) = backend_sees(Some("QUIT\r\n"), None, b"").await;
        assert_eq!(
            (end, got.as_slice()),
            (ErrorKind::UnexpectedEof, &b"QUIT\r\n"[..])
        );
    }

    #[test]
    fn substring_search() {
        assert!(contains(b"hello OK there", b"OK"));
        assert!(!contains(b"hello", b"OK"));
        assert!(contains(b"", b""));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_secs(1)), "1s");
        assert_eq!(human(Duration::from_millis(300)), "300ms");
        assert_eq!(human(Duration::from_millis(1500)), "1.5s");
    }
}
