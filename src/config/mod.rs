//! Configuration: the YAML file ([`file`]) validated into typed values ([`validate`]).
//!
//! Runtime code only sees [`Config`]: socket addresses, names, durations and policies,
//! never raw YAML.

pub mod file;
mod limits;
pub mod print;
mod unknown;
pub mod validate;

use hickory_proto::rr::Name;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use crate::balance::MinUp;
use crate::balance::Policy;
use crate::wire::tsig::Key;

pub use limits::{RrlConfig, TcpLimits, ZoneLimits};
pub use validate::{load_partial, parse, parse_partial};

/// The configuration `rrdns` runs with when given none: the example zone on loopback.
pub const EMBEDDED_CONFIG: &str = include_str!("embedded.yaml");
/// The example zone, embedded so that `rrdns` works from any directory.
pub const EMBEDDED_ZONE: &str = include_str!("../../zones/example.test.zone");

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this came from (`<embedded>` for the default).
    pub source: String,
    pub listen: Vec<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub admin_token: Option<String>,
    pub state_dir: PathBuf,
    pub zones: Vec<ZoneConfig>,
    pub defaults: Policy,
    pub pools: Vec<PoolConfig>,
    pub checks: BTreeMap<String, Arc<CheckConfig>>,
    pub transfer: TransferConfig,
    /// TSIG keys by their name as configured, built and checked at validation.
    pub keys: BTreeMap<String, Key>,
    pub log_format: LogFormat,
    pub tcp: TcpLimits,
    /// Response rate limiting; off (`None`) unless configured.
    pub rrl: Option<RrlConfig>,
    pub limits: ZoneLimits,
}

/// How log lines are written (`log_format`, or `RRDNS_LOG_FORMAT` which wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Where a zone's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneSource {
    /// A master file on disk.
    File(PathBuf),
    /// Master-file text compiled into the binary (the embedded example).
    Embedded(&'static str),
    /// A secondary zone, transferred from these primaries, optionally with a TSIG key.
    Secondary {
        primaries: Vec<SocketAddr>,
        key: Option<Key>,
    },
}

#[derive(Debug, Clone)]
pub struct ZoneConfig {
    pub name: Name,
    pub source: ZoneSource,
    /// The line of the configuration that names the zone, for problems of the zone as a
    /// whole (its file cannot be read).
    pub line: usize,
    /// Keys to sign the answers rrdns changes (balanced subsets) with.
    pub dnssec: Option<Arc<crate::sign::Settings>>,
}

/// A pool: balancing policy, weights and health check for one owner name.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub name: Name,
    pub check: Option<Arc<CheckConfig>>,
    pub weights: Vec<(IpAddr, u32)>,
    pub policy: Policy,
    /// Failover tiers, first preferred: every address of the pool in exactly one.
    /// Empty: no tiers, every address served together.
    pub tiers: Vec<Vec<IpAddr>>,
    /// How many addresses of a tier (of one family) must be up for it to be served.
    pub min_up: MinUp,
    /// An address that comes back has its share ramped in over this long.
    pub slow_start: Option<Duration>,
    /// Where the pool is written, for errors found when zones are loaded.
    pub file: String,
    pub line: usize,
}

/// A health check definition: how to probe, and how often and how results count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConfig {
    /// The check's name under `checks:`, as logs, the status page and metrics show it.
    pub name: Arc<str>,
    pub probe: Probe,
    pub interval: Duration,
    pub timeout: Duration,
    /// Consecutive passes that bring a down address up.
    pub rise: u32,
    /// Consecutive failures that take an up address down.
    pub fall: u32,
    /// The state assumed before the first result.
    pub initial_up: bool,
}

/// How a check probes an address; each kind holds only its own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// `type: http` or `type: https`: a GET judged by status and body.
    Http(HttpProbe),
    /// `type: tcp`: a connection, with an optional send/expect exchange.
    Tcp(TcpProbe),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProbe {
    /// Set for HTTPS.
    pub tls: Option<Tls>,
    /// Default 80, or 443 with TLS.
    pub port: u16,
    pub path: String,
    /// The Host header (and the TLS server name) instead of the address.
    pub host: Option<String>,
    /// Status ranges that pass, inclusive (default 200-399).
    pub expect_status: Vec<(u16, u16)>,
    /// Text the first 64 KiB of the body must contain.
    pub expect_body: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls {
    /// Whether the backend's certificate must verify (default true).
    pub verify: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpProbe {
    pub port: u16,
    /// Sent once connected.
    pub send: Option<String>,
    /// The reply must start with this (`expect_body` in the file).
    pub expect: Option<String>,
}

impl CheckConfig {
    /// What a probe of `addr` reaches, as the status page shows it:
    /// `https://192.0.2.10:443/health (Host www.example.test)` or `tcp 192.0.2.10:5432`.
    pub fn target(&self, addr: std::net::IpAddr) -> String {
        let at = SocketAddr::new(addr, 0).to_string();
        let host = at.trim_end_matches(":0");
        match &self.probe {
            Probe::Http(h) => {
                let scheme = if h.tls.is_some() { "https" } else { "http" };
                let via = (h.host.as_deref()).map_or(String::new(), |n| format!(" (Host {n})"));
                format!("{scheme}://{host}:{}{}{via}", h.port, h.path)
            }
            Probe::Tcp(t) => format!("tcp {host}:{}", t.port),
        }
    }
}

#[cfg(test)]
impl CheckConfig {
    /// A TCP connect check named `web` with the defaults a configuration gives, for tests.
    pub fn tcp(port: u16, interval: Duration, timeout: Duration) -> CheckConfig {
        CheckConfig {
            name: Arc::from("web"),
            probe: Probe::Tcp(TcpProbe {
                port,
                send: None,
                expect: None,
            }),
            interval,
            timeout,
            rise: 2,
            fall: 3,
            initial_up: true,
        }
    }
}

/// An address prefix such as `127.0.0.1/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

/// Full transfers out at once, by default: enough for a handful of secondaries, few
/// enough that transfers cannot take every connection.
pub const DEFAULT_MAX_TRANSFERS: usize = 10;

/// Zone transfers out of rrdns (default: refused to everyone).
#[derive(Debug, Clone)]
pub struct TransferConfig {
    pub allow: Vec<Prefix>,
    /// When set, transfers out must be signed with this key, and NOTIFY out is.
    pub key: Option<Key>,
    pub notify: Vec<SocketAddr>,
    /// Full transfers (AXFR, or IXFR answered in full) under way at once.
    pub max_concurrent: usize,
}

impl Default for TransferConfig {
    fn default() -> TransferConfig {
        TransferConfig {
            allow: Vec::new(),
            key: None,
            notify: Vec::new(),
            max_concurrent: DEFAULT_MAX_TRANSFERS,
        }
    }
}

impl Prefix {
    /// True when `ip` is inside this prefix; an IPv4-mapped IPv6 address counts as its
    /// IPv4 address.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(*ip),
            _ => *ip,
        };
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => mask(&a.octets(), &b.octets(), self.len),
            (IpAddr::V6(a), IpAddr::V6(b)) => mask(&a.octets(), &b.octets(), self.len),
            _ => false,
        }
    }
}

fn mask(a: &[u8], b: &[u8], len: u8) -> bool {
    let full = (len / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = len % 8;
    rest == 0 || (a[full] ^ b[full]) & (0xffu8 << (8 - rest)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let p = Prefix {
            addr: "127.0.0.0".parse().unwrap(),
            len: 8,
        };
        assert!(p.contains(&"127.1.2.3".parse().unwrap()));
        assert!(!p.contains(&"128.0.0.1".parse().unwrap()));
        assert!(p.contains(&"::ffff:127.0.0.1".parse().unwrap()));
        let p = Prefix {
            addr: "::1".parse().unwrap(),
            len: 128,
        };
        assert!(p.contains(&"::1".parse().unwrap()));
        assert!(!p.contains(&"::2".parse().unwrap()));
        let p = Prefix {
            addr: "10.0.0.0".parse().unwrap(),
            len: 12,
        };
        assert!(p.contains(&"10.15.0.1".parse().unwrap()));
        assert!(!p.contains(&"10.16.0.1".parse().unwrap()));
    }
}
