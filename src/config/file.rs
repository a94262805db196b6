//! The YAML configuration file as written: serde structs that mirror the contract's keys.
//!
//! Unknown keys are errors (`deny_unknown_fields`), so a typo never silently does
//! nothing. Values that need checking carry their YAML position ([`Spanned`]) so that
//! validation can report `FILE:LINE`.

use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<Vec<S<String>>>,
    pub admin: Option<S<String>>,
    pub admin_token: Option<String>,
    pub state_dir: Option<String>,
    pub log_format: Option<S<String>>,
    #[serde(default)]
    pub zones: Vec<S<ZoneEntry>>,
    pub transfer: Option<S<TransferEntry>>,
    #[serde(default)]
    pub keys: BTreeMap<String, S<KeyEntry>>,
    pub defaults: Option<S<BalanceEntry>>,
    #[serde(default)]
    pub pools: BTreeMap<String, S<PoolEntry>>,
    #[serde(default)]
    pub checks: BTreeMap<String, S<CheckEntry>>,
    pub tcp: Option<S<TcpEntry>>,
    pub rrl: Option<S<RrlEntry>>,
    pub limits: Option<S<LimitsEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsEntry {
    pub zone_records: Option<usize>,
    pub zone_bytes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpEntry {
    pub idle_timeout: Option<String>,
    pub max_connections: Option<usize>,
    pub max_per_client: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RrlEntry {
    pub enabled: Option<bool>,
    pub responses_per_second: Option<u32>,
    pub slip: Option<u32>,
    pub ipv4_prefix: Option<u8>,
    pub ipv6_prefix: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneEntry {
    pub name: String,
    pub file: Option<String>,
    pub primaries: Option<Vec<String>>,
    pub key: Option<String>,
    pub dnssec: Option<S<DnssecEntry>>,
}

/// `zones[].dnssec`: the zone's keys and how online signatures are made.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnssecEntry {
    #[serde(default)]
    pub keys: Vec<String>,
    pub validity: Option<String>,
    pub refresh: Option<String>,
    pub cache: Option<usize>,
    /// Denial of existence with NSEC3 when rrdns signs the zone (NSEC without it).
    pub nsec3: Option<Nsec3Entry>,
}

/// `zones[].dnssec.nsec3`: RFC 9276 §3.1's advice (no extra iterations, no salt) is the
/// default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nsec3Entry {
    pub iterations: Option<u16>,
    pub salt: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferEntry {
    #[serde(default)]
    pub allow: Vec<String>,
    pub key: Option<String>,
    #[serde(default)]
    pub notify: Vec<String>,
    pub max_concurrent: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub algorithm: String,
    pub secret: String,
}

/// `defaults:` and the balance keys of a pool.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BalanceEntry {
    pub ttl: Option<u32>,
    pub weighting: Option<String>,
    pub answers: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolEntry {
    pub check: Option<String>,
    #[serde(default)]
    pub weights: BTreeMap<String, u32>,
    pub all_down: Option<String>,
    pub ttl: Option<u32>,
    pub weighting: Option<String>,
    pub answers: Option<u32>,
    /// Failover tiers: ordered groups of the pool's addresses.
    pub tiers: Option<Vec<Vec<String>>>,
    /// A count (`2`) or a share of a tier (`"50%"`).
    pub min_up: Option<CountOrShare>,
    pub slow_start: Option<String>,
}

/// A YAML integer or string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CountOrShare {
    Count(u32),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub port: Option<u16>,
    pub path: Option<String>,
    pub host: Option<String>,
    pub expect_status: Option<String>,
    pub expect_body: Option<String>,
    pub send: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub rise: Option<u32>,
    pub fall: Option<u32>,
    pub initial: Option<String>,
    pub tls_verify: Option<bool>,
}
