//! One validation step from the YAML structs to a typed [`Config`], collecting every
//! problem as `FILE:LINE: message` instead of stopping at the first.

use hickory_proto::rr::Name;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::file::{
    BalanceEntry, CheckEntry, CountOrShare, DnssecEntry, FileConfig, PoolEntry, S, ZoneEntry,
};
use super::unknown;
use super::{
    CheckConfig, Config, HttpProbe, LogFormat, MinUp, PoolConfig, Prefix, Probe, TcpProbe, Tls,
    TransferConfig, ZoneConfig, ZoneSource,
};
use crate::balance::{AllDown, Policy, Weighting};
use crate::problem::Problem;
use crate::wire::tsig::Key;

/// Reads a configuration file, keeping what validates (see [`parse_partial`]).
pub fn load_partial(path: &Path) -> (Option<Config>, Vec<Problem>) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let problem = Problem {
                file: path.display().to_string(),
                line: 0,
                message: format!("cannot read configuration: {e}"),
            };
            return (None, vec![problem]);
        }
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_partial(&text, &path.display().to_string(), &base)
}

/// Validates configuration text; `source` names it in errors, relative paths are
/// resolved against `base`.
pub fn parse(text: &str, source: &str, base: &Path) -> Result<Config, Vec<Problem>> {
    match parse_partial(text, source, base) {
        (Some(cfg), problems) if problems.is_empty() => Ok(cfg),
        (_, problems) => Err(problems),
    }
}

/// Like [`parse`], but also returns what could be validated despite problems, so that
/// `rrdns check` can go on to check the zones and report everything at once. `None`
/// when the YAML itself cannot be read.
pub fn parse_partial(text: &str, source: &str, base: &Path) -> (Option<Config>, Vec<Problem>) {
    let mut text = text.to_string();
    let mut problems = Vec::new();
    // Every unknown key is reported, then left out, and the rest is still checked.
    let raw: FileConfig = loop {
        let e = match serde_saphyr::from_str(&text) {
            Ok(r) => break r,
            Err(e) => e,
        };
        let line = e.location().map_or(1, |l| l.line() as usize).max(1);
        let message = yaml_message(&e.to_string());
        let unknown = unknown::is_unknown_key(&message);
        problems.push(Problem {
            file: source.to_string(),
            line,
            message,
        });
        match unknown::blank_key(&text, line) {
            Some(rest) if unknown && problems.len() < unknown::MAX_UNKNOWN => text = rest,
            _ => return (None, problems),
        }
    };
    let mut v = Validator {
        source: source.to_string(),
        base: base.to_path_buf(),
        problems,
    };
    let cfg = v.config(raw);
    (Some(cfg), v.problems)
}

/// The YAML reader's message without its own "error: line N column M: " prefix: the
/// place is in FILE:LINE already.
fn yaml_message(s: &str) -> String {
    let first = s.lines().next().unwrap_or("").trim();
    let rest = first.strip_prefix("error: ").unwrap_or(first);
    match rest.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((place, message)) if place.contains("column") => message.to_string(),
        _ => rest.to_string(),
    }
}

pub(super) struct Validator {
    source: String,
    base: PathBuf,
    problems: Vec<Problem>,
}

pub(super) fn line_of<T>(s: &S<T>) -> usize {
    s.referenced.line() as usize
}

impl Validator {
    pub(super) fn err(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.source.clone(),
            line,
            message: message.into(),
        });
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn config(&mut self, raw: FileConfig) -> Config {
        let FileConfig {
            listen,
            admin,
            admin_token,
            state_dir,
            log_format,
            zones,
            transfer,
            keys,
            defaults,
            pools,
            checks,
            tcp,
            rrl,
            limits,
        } = raw;
        let log_format = match log_format.as_ref().map(|f| (line_of(f), f.value.as_str())) {
            None | Some((_, "text")) => LogFormat::Text,
            Some((_, "json")) => LogFormat::Json,
            Some((line, other)) => {
                self.err(
                    line,
                    format!("log_format '{other}' is not one of text, json"),
                );
                LogFormat::Text
            }
        };
        let listen = match listen {
            Some(l) => l.iter().filter_map(|a| self.socket(a, 53)).collect(),
            None => vec!["127.0.0.1:5353".parse().expect("literal")],
        };
        let admin_line = admin.as_ref().map_or(1, line_of);
        let admin = admin.and_then(|a| self.socket(&a, 8053));
        // Drains change answers for every client: an admin interface other hosts can reach
        // must ask for a token.
        if let Some(a) = admin
            && !a.ip().is_loopback()
            && admin_token.is_none()
        {
            self.err(
                admin_line,
                format!("admin {a} is reachable from other hosts: set admin_token, or listen on a loopback address"),
            );
        }
        let keys = self.keys(keys);
        let checks = self.checks(checks);
        let defaults = match defaults {
            Some(d) => self.policy(line_of(&d), &d.value, None, Policy::default()),
            None => Policy::default(),
        };
        if zones.is_empty() {
            self.err(
                1,
                "no zones configured: add at least one entry under 'zones'",
            );
        }
        let zones = zones.iter().filter_map(|z| self.zone(z, &keys)).collect();
        let pools = pools
            .into_iter()
            .filter_map(|(name, p)| self.pool(&name, &p, &defaults, &checks))
            .collect();
        let transfer = match transfer {
            Some(t) => self.transfer(&t, &keys),
            None => TransferConfig::default(),
        };
        Config {
            source: self.source.clone(),
            listen,
            admin,
            admin_token,
            state_dir: self.path(state_dir.as_deref().unwrap_or("state")),
            zones,
            defaults,
            pools,
            checks: checks
                .into_iter()
                .filter_map(|(n, c)| Some((n, c?)))
                .collect(),
            transfer,
            keys: keys
                .into_iter()
                .filter_map(|(n, k)| Some((n, k?)))
                .collect(),
            log_format,
            tcp: tcp.map(|t| self.tcp(&t)).unwrap_or_default(),
            rrl: rrl.and_then(|r| self.rrl(&r)),
            limits: limits.map(|l| self.limits(&l)).unwrap_or_default(),
        }
    }

    fn socket(&mut self, s: &S<String>, default_port: u16) -> Option<SocketAddr> {
        if let Ok(a) = s.value.parse::<SocketAddr>() {
            return Some(a);
        }
        if let Ok(ip) = s.value.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Some(SocketAddr::new(ip, default_port));
        }
        self.err(
            line_of(s),
            format!(
                "'{}' is not an address with port (e.g. 127.0.0.1:53 or [::1]:53)",
                s.value
            ),
        );
        None
    }

    fn name(&mut self, line: usize, s: &str) -> Option<Name> {
        match crate::zonefile::rdata::config_name(s) {
            Ok(n) => Some(n),
            Err(e) => {
                self.err(line, e); // "bad name 'x..y': empty label"
                None
            }
        }
    }

    /// The key named `k` where `what` refers to it. A key that is defined but broken was
    /// reported where it is defined; only an undefined one is reported here.
    fn key_ref(&mut self, line: usize, what: &str, k: &str, keys: &Keys) -> Option<Key> {
        match keys.get(k) {
            Some(key) => key.clone(),
            None => {
                self.err(line, format!("{what}: key '{k}' is not defined under keys"));
                None
            }
        }
    }

    fn zone(&mut self, z: &S<ZoneEntry>, keys: &Keys) -> Option<ZoneConfig> {
        let line = line_of(z);
        let name = self.name(line, &z.value.name)?;
        let key = z.value.key.as_ref().and_then(|k| {
            let what = format!("zone {name}");
            self.key_ref(line, &what, k, keys)
        });
        let dnssec = (z.value.dnssec.as_ref()).and_then(|d| self.dnssec(d, &name));
        match (&z.value.file, &z.value.primaries) {
            (Some(f), None) => Some(ZoneConfig {
                name,
                source: ZoneSource::File(self.path(f)),
                line,
                dnssec,
            }),
            (None, Some(prims)) => {
                let mut primaries = Vec::new();
                for p in prims {
                    let sock = p.parse::<SocketAddr>().ok().or_else(|| {
                        let ip = p.trim_matches(['[', ']']).parse::<IpAddr>().ok()?;
                        Some(SocketAddr::new(ip, 53))
                    });
                    match sock {
                        Some(a) => primaries.push(a),
                        None => self.err(
                            line,
                            format!("zone {name}: primary '{p}' is not an address"),
                        ),
                    }
                }
                if prims.is_empty() {
                    self.err(line, format!("zone {name}: 'primaries' is empty"));
                }
                Some(ZoneConfig {
                    name,
                    source: ZoneSource::Secondary { primaries, key },
                    line,
                    dnssec,
                })
            }
            _ => {
                self.err(
                    line,
                    format!("zone {name}: give exactly one of 'file' or 'primaries'"),
                );
                None
            }
        }
    }

    /// `zones[].dnssec`: every key read and matched to the zone now, so that a missing
    /// file or a key of another zone is reported at the zone's line.
    fn dnssec(&mut self, d: &S<DnssecEntry>, zone: &Name) -> Option<Arc<crate::sign::Settings>> {
        let line = line_of(d);
        let mut ok = true;
        let mut keys = Vec::new();
        for k in &d.value.keys {
            match crate::sign::key::load(&self.path(k)) {
                Ok(key) if key.owner == *zone => keys.push(Arc::new(key)),
                Ok(key) => {
                    let what = format!("zone {zone}: key {k} belongs to {}", key.owner);
                    self.err(line, what);
                    ok = false;
                }
                Err(e) => {
                    self.err(line, format!("zone {zone}: dnssec key: {e}"));
                    ok = false;
                }
            }
        }
        if d.value.keys.is_empty() {
            self.err(
                line,
                format!("zone {zone}: 'dnssec' needs at least one key under 'keys'"),
            );
        }
        let mut duration = |what: &str, v: &Option<String>, default: Duration| match v {
            None => Some(default),
            Some(text) => parse_duration(text).or_else(|| {
                self.err(
                    line,
                    format!(
                        "zone {zone}: dnssec {what} '{text}' is not a duration such as 7d or 12h"
                    ),
                );
                None
            }),
        };
        let validity = duration(
            "validity",
            &d.value.validity,
            crate::sign::Settings::DEFAULT_VALIDITY,
        )?;
        let refresh = duration(
            "refresh",
            &d.value.refresh,
            crate::sign::Settings::DEFAULT_REFRESH,
        )?;
        if refresh < Duration::from_secs(3600) || refresh >= validity {
            self.err(
                line,
                format!(
                    "zone {zone}: dnssec refresh must be at least 1h and less than validity ({}s)",
                    validity.as_secs()
                ),
            );
            return None;
        }
        let cache = d
            .value
            .cache
            .unwrap_or(crate::sign::Settings::DEFAULT_CACHE)
            .max(2);
        let nsec3 = match &d.value.nsec3 {
            None => None,
            Some(n) => Some(self.nsec3(n, zone, line)?),
        };
        (ok && !keys.is_empty()).then(|| {
            Arc::new(crate::sign::Settings {
                keys,
                validity,
                refresh,
                cache,
                nsec3,
            })
        })
    }

    /// `zones[].dnssec.nsec3`: iterations and a salt in hex (`""` or `"-"` for none).
    fn nsec3(
        &mut self,
        n: &super::file::Nsec3Entry,
        zone: &Name,
        line: usize,
    ) -> Option<crate::sign::denial::Nsec3Params> {
        let iterations = n.iterations.unwrap_or(0);
        // RFC 9276 §3.2: validators may treat more iterations as insecure (Unbound
        // above 150, BIND above 50 by default), which would undo the signing.
        if iterations > 50 {
            let what = format!(
                "zone {zone}: dnssec nsec3 iterations {iterations} is more than 50; validators treat such zones as insecure (RFC 9276 §3.2): use 0"
            );
            self.err(line, what);
            return None;
        }
        let text = n.salt.as_deref().unwrap_or("").trim();
        let text = if text == "-" { "" } else { text };
        let salt = data_encoding::HEXLOWER_PERMISSIVE.decode(text.as_bytes());
        match salt {
            Ok(salt) if salt.len() <= 255 => {
                Some(crate::sign::denial::Nsec3Params { iterations, salt })
            }
            _ => {
                let what = format!(
                    "zone {zone}: dnssec nsec3 salt '{text}' is not hex of at most 255 octets (RFC 9276 §3.1 advises none: \"\")"
                );
                self.err(line, what);
                None
            }
        }
    }

    fn policy(
        &mut self,
        line: usize,
        b: &BalanceEntry,
        all_down: Option<&str>,
        base: Policy,
    ) -> Policy {
        let mut p = base;
        if let Some(t) = b.ttl {
            p.ttl = t;
        }
        if let Some(a) = b.answers {
            if a == 0 || a > 64 {
                self.err(line, format!("answers must be between 1 and 64, not {a}"));
            }
            p.answers = a.clamp(1, 64) as usize;
        }
        if let Some(w) = &b.weighting {
            match w.as_str() {
                "duplicate" => p.weighting = Weighting::Duplicate,
                "order" => p.weighting = Weighting::Order,
                "sample" => p.weighting = Weighting::Sample,
                "spread" => p.weighting = Weighting::Spread,
                other => self.err(
                    line,
                    format!("weighting '{other}' is not one of duplicate, order, sample, spread"),
                ),
            }
        }
        match all_down {
            None => {}
            Some("all") => p.all_down = AllDown::All,
            Some("none") => p.all_down = AllDown::None,
            Some("servfail") => p.all_down = AllDown::Servfail,
            Some(o) => self.err(
                line,
                format!("all_down '{o}' is not one of all, none, servfail"),
            ),
        }
        p
    }

    fn pool(
        &mut self,
        name: &str,
        p: &S<PoolEntry>,
        defaults: &Policy,
        checks: &Checks,
    ) -> Option<PoolConfig> {
        let line = line_of(p);
        let owner = self.name(line, name)?;
        let v = &p.value;
        let b = BalanceEntry {
            ttl: v.ttl,
            weighting: v.weighting.clone(),
            answers: v.answers,
        };
        let policy = self.policy(line, &b, v.all_down.as_deref(), *defaults);
        let check = v.check.as_ref().and_then(|c| match checks.get(c) {
            Some(check) => check.clone(),
            None => {
                self.err(
                    line,
                    format!("pool {owner}: check '{c}' is not defined under checks"),
                );
                None
            }
        });
        let mut weights = Vec::new();
        for (addr, &w) in &v.weights {
            match addr.parse::<IpAddr>() {
                Ok(ip) if (1..=1000).contains(&w) => weights.push((ip, w)),
                Ok(_) => self.err(
                    line,
                    format!("pool {owner}: weight of {addr} must be between 1 and 1000, not {w}"),
                ),
                Err(_) => self.err(line, format!("pool {owner}: '{addr}' is not an IP address")),
            }
        }
        let mut tiers: Vec<Vec<IpAddr>> = Vec::new();
        for tier in v.tiers.iter().flatten() {
            let mut parsed = Vec::new();
            for a in tier {
                match a.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
                    Ok(ip) if tiers.iter().chain([&parsed]).any(|t| t.contains(&ip)) => {
                        self.err(line, format!("pool {owner}: {ip} is listed in tiers twice"))
                    }
                    Ok(ip) => parsed.push(ip),
                    Err(_) => self.err(
                        line,
                        format!("pool {owner}: tier address '{a}' is not an IP address"),
                    ),
                }
            }
            if tier.is_empty() {
                self.err(
                    line,
                    format!("pool {owner}: a tier must list at least one address"),
                );
            }
            tiers.push(parsed);
        }
        let min_up = match &v.min_up {
            None => MinUp::default(),
            Some(CountOrShare::Count(0)) => {
                self.err(line, format!("pool {owner}: min_up must be at least 1"));
                MinUp::default()
            }
            Some(CountOrShare::Count(n)) => MinUp::Count(*n),
            Some(CountOrShare::Text(t)) => {
                match t.trim().strip_suffix('%').map(|p| p.trim().parse::<f64>()) {
                    Some(Ok(p)) if p > 0.0 && p <= 100.0 => MinUp::Share(p / 100.0),
                    _ => {
                        self.err(
                            line,
                            format!(
                                "pool {owner}: min_up '{t}' is not a count or a share like \"50%\""
                            ),
                        );
                        MinUp::default()
                    }
                }
            }
        };
        let slow_start = v.slow_start.as_deref().and_then(|d| match parse_duration(d) {
            Some(t) if t <= Duration::from_secs(3600) => Some(t),
            _ => {
                self.err(line, format!("pool {owner}: slow_start '{d}' is not a duration of at most 1h, like 30s"));
                None
            }
        });
        if v.min_up.is_some() && tiers.is_empty() {
            self.err(line, format!("pool {owner}: min_up needs tiers"));
        }
        Some(PoolConfig {
            name: owner,
            check,
            weights,
            policy,
            tiers,
            min_up,
            slow_start,
            file: self.source.clone(),
            line,
        })
    }

    /// Builds every check; a broken one is reported and kept as `None`, so that a pool
    /// naming it is not reported again.
    fn checks(&mut self, checks: BTreeMap<String, S<CheckEntry>>) -> Checks {
        checks
            .into_iter()
            .map(|(name, c)| {
                let line = line_of(&c);
                let check = self.check(&name, line, &c.value).map(Arc::new);
                (name, check)
            })
            .collect()
    }

    fn check(&mut self, name: &str, line: usize, c: &CheckEntry) -> Option<CheckConfig> {
        let (before, kind) = (self.problems.len(), c.kind.as_str());
        if !matches!(kind, "http" | "https" | "tcp") {
            self.err(
                line,
                format!("check {name}: type '{kind}' is not one of http, https, tcp"),
            );
            return None;
        }
        let dur = |v: &mut Self, s: &Option<String>, default: Duration, what: &str| match s {
            None => default,
            Some(s) => parse_duration(s).unwrap_or_else(|| {
                v.err(
                    line,
                    format!("check {name}: {what} '{s}' is not a duration like 2s or 500ms"),
                );
                default
            }),
        };
        let interval = dur(self, &c.interval, Duration::from_secs(2), "interval");
        let timeout = dur(self, &c.timeout, Duration::from_secs(1), "timeout");
        let expect_status =
            match parse_status_ranges(c.expect_status.as_deref().unwrap_or("200-399")) {
                Some(r) => r,
                None => {
                    self.err(
                        line,
                        format!(
                            "check {name}: expect_status must look like \"200-399\" or \"200,204\""
                        ),
                    );
                    Vec::new()
                }
            };
        let initial_up = match c.initial.as_deref() {
            None | Some("up") => true,
            Some("down") => false,
            Some(o) => {
                self.err(
                    line,
                    format!("check {name}: initial '{o}' is not up or down"),
                );
                true
            }
        };
        for (what, v) in [("rise", c.rise), ("fall", c.fall)] {
            if v == Some(0) {
                self.err(line, format!("check {name}: {what} must be at least 1"));
            }
        }
        let probe = match (kind, c.port) {
            ("tcp", None) => {
                self.err(line, format!("check {name}: a tcp check needs a port"));
                return None;
            }
            ("tcp", Some(port)) => Probe::Tcp(TcpProbe {
                port,
                send: c.send.clone(),
                expect: c.expect_body.clone(),
            }),
            (_, port) => {
                let tls = (kind == "https").then(|| Tls {
                    verify: c.tls_verify.unwrap_or(true),
                });
                Probe::Http(HttpProbe {
                    port: port.unwrap_or(if tls.is_some() { 443 } else { 80 }),
                    tls,
                    path: c.path.clone().unwrap_or_else(|| "/".into()),
                    host: c.host.clone(),
                    expect_status,
                    expect_body: c.expect_body.clone(),
                })
            }
        };
        if self.problems.len() > before {
            return None;
        }
        Some(CheckConfig {
            name: Arc::from(name),
            probe,
            interval,
            timeout,
            rise: c.rise.unwrap_or(2).max(1),
            fall: c.fall.unwrap_or(3).max(1),
            initial_up,
        })
    }

    /// Builds every key; a broken one is reported and kept as `None`.
    fn keys(&mut self, keys: BTreeMap<String, S<super::file::KeyEntry>>) -> Keys {
        let mut out = BTreeMap::new();
        for (name, k) in keys {
            let key = Key::new(&name, &k.value.algorithm, &k.value.secret);
            for p in key.as_ref().err().into_iter().flatten() {
                self.err(line_of(&k), p.to_string());
            }
            out.insert(name, key.ok());
        }
        out
    }

    fn transfer(&mut self, t: &S<super::file::TransferEntry>, keys: &Keys) -> TransferConfig {
        let line = line_of(t);
        let mut out = TransferConfig::default();
        for a in &t.value.allow {
            match parse_prefix(a) {
                Some(p) => out.allow.push(p),
                None => self.err(
                    line,
                    format!("transfer: '{a}' is not an address or prefix like 127.0.0.1/32"),
                ),
            }
        }
        for n in &t.value.notify {
            match n.parse::<SocketAddr>() {
                Ok(a) => out.notify.push(a),
                Err(_) => self.err(
                    line,
                    format!("transfer: notify target '{n}' is not an address with port"),
                ),
            }
        }
        out.key = (t.value.key.as_ref()).and_then(|k| self.key_ref(line, "transfer", k, keys));
        match t.value.max_concurrent {
            Some(0) => self.err(line, "transfer: max_concurrent must be at least 1"),
            Some(n) => out.max_concurrent = n,
            None => {}
        }
        out
    }
}

/// The configured keys by name; `None` for one that could not be built.
type Keys = BTreeMap<String, Option<Key>>;

/// The configured checks by name; `None` for one that could not be built.
type Checks = BTreeMap<String, Option<Arc<CheckConfig>>>;

/// `2s`, `500ms`, `1m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => return None,
    };
    (secs > 0.0 && secs.is_finite()).then(|| Duration::from_secs_f64(secs))
}

/// `"200-399"`, `"200,204"`, `"200-299,301"`.
fn parse_status_ranges(s: &str) -> Option<Vec<(u16, u16)>> {
    s.split(',')
        .map(|part| {
            let part = part.trim();
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b): (u16, u16) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (100..=599).contains(&a).then_some(())?;
            (a <= b && b <= 599).then_some((a, b))
        })
        .collect()
}

fn parse_prefix(s: &str) -> Option<Prefix> {
    let (a, l) = s.split_once('/').unwrap_or((s, ""));
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = if l.is_empty() { max } else { l.parse().ok()? };
    (len <= max).then_some(Prefix { addr, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Config, Vec<Problem>> {
        parse(text, "c.yaml", Path::new("/etc/rrdns"))
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = p("zones:\n  - name: example.test.\n    file: z.zone\n").unwrap();
        assert_eq!(c.listen, ["127.0.0.1:5353".parse::<SocketAddr>().unwrap()]);
        assert_eq!(c.defaults, Policy::default());
        assert_eq!(
            c.zones[0].source,
            ZoneSource::File("/etc/rrdns/z.zone".into())
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let e = p("zones: [{ name: a., file: a }]\nlisten: [\"nope\"]\ndefaults:\n  weighting: heavy\npools:\n  www.example.test.:\n    check: missing\n").unwrap_err();
        let lines: Vec<usize> = e.iter().map(|x| x.line).collect();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(lines.contains(&2) && lines.contains(&4), "{e:?}");
        assert!(e.iter().all(|x| x.file == "c.yaml"));
    }

    #[test]
    fn checks_are_typed_by_kind_and_pools_hold_theirs() {
        let c = p("zones: [{ name: a., file: a }]\nchecks:\n  web: { type: https, host: w.test, tls_verify: false }\n  db: { type: tcp, port: 5432, send: \"PING\", expect_body: \"+PONG\", rise: 4 }\npools:\n  www.example.test.: { check: web }\n  db.example.test.: { check: db }\n").unwrap();
        let web = c
            .pools
            .iter()
            .find(|p| p.name.to_ascii() == "www.example.test.");
        let web = web.and_then(|p| p.check.as_ref()).unwrap();
        assert_eq!(&*web.name, "web");
        let Probe::Http(h) = &web.probe else {
            panic!("{web:?}")
        };
        assert_eq!(
            (h.port, h.tls, h.host.as_deref()),
            (443, Some(Tls { verify: false }), Some("w.test"))
        );
        assert_eq!(h.expect_status, [(200, 399)]);
        let db = &c.checks["db"];
        assert_eq!(db.rise, 4);
        assert_eq!(
            db.probe,
            Probe::Tcp(TcpProbe {
                port: 5432,
                send: Some("PING".into()),
                expect: Some("+PONG".into()),
            })
        );
        // A broken check is reported once, where it is defined, not again by its pool.
        let e = p("zones: [{ name: a., file: a }]\nchecks:\n  db: { type: tcp }\npools:\n  db.example.test.: { check: db }\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            (e[0].line, e[0].message.as_str()),
            (3, "check db: a tcp check needs a port")
        );
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = p("listne: []\n").unwrap_err();
        assert_eq!(e[0].line, 1);
        assert!(e[0].message.contains("listne"), "{e:?}");
    }

    #[test]
    fn pool_settings_override_defaults() {
        let c = p("zones: [{ name: a., file: a }]\ndefaults: { ttl: 10 }\npools:\n  www.example.test.:\n    weights: { \"192.0.2.1\": 3 }\n    weighting: order\n    answers: 2\n    all_down: servfail\n").unwrap();
        let pool = &c.pools[0];
        assert_eq!(pool.policy.ttl, 10);
        assert_eq!(pool.policy.answers, 2);
        assert_eq!(pool.policy.weighting, Weighting::Order);
        assert_eq!(pool.policy.all_down, AllDown::Servfail);
        assert_eq!(pool.weights, [("192.0.2.1".parse().unwrap(), 3)]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("x"), None);
    }
}
