//! The set of zones served at one moment, with balancing plans attached.
//!
//! Built whole from a [`Config`] off the query path and then never changed: a reload
//! builds a new set and swaps it in, so a broken zone never replaces a working one.

use hickory_proto::rr::{Name, RData, RecordType};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::{Problem, Zone, labels};
use crate::balance::Plan;
use crate::config::{Config, PoolConfig, ZoneSource};

/// Every zone served, keyed by origin. Lookup picks the longest matching origin.
#[derive(Debug, Default)]
pub struct ZoneSet {
    zones: HashMap<Name, Arc<Zone>>,
}

impl ZoneSet {
    /// Loads every configured zone and attaches pools; all problems are returned. Query
    /// counters of zones in `previous` carry over.
    pub fn build(cfg: &Config, previous: Option<&ZoneSet>) -> Result<ZoneSet, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut zones = HashMap::new();
        for zc in &cfg.zones {
            let loaded = match &zc.source {
                ZoneSource::File(path) => Zone::load(&zc.name, path),
                ZoneSource::Embedded(text) => {
                    Zone::from_text(&zc.name, text, &format!("<embedded>/{}zone", zc.name))
                }
            };
            match loaded {
                Ok(mut z) => {
                    if let Some(old) = previous.and_then(|p| p.zones.get(&zc.name)) {
                        z.counters = old.counters.clone();
                    }
                    if zones.contains_key(&zc.name) {
                        problems.push(Problem {
                            file: cfg.source.clone(),
                            line: 0,
                            message: format!("zone {} is configured twice", zc.name),
                        });
                    }
                    zones.insert(zc.name.clone(), z);
                }
                Err(mut ps) => problems.append(&mut ps),
            }
        }
        attach_plans(&mut zones, cfg, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ZoneSet {
            zones: zones.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
        })
    }

    /// The zone that is authoritative for `name`: the longest matching origin.
    pub fn find(&self, name: &Name) -> Option<&Arc<Zone>> {
        let mut n = labels(name);
        loop {
            let candidate = if n == labels(name) {
                name.clone()
            } else {
                name.trim_to(n)
            };
            if let Some(z) = self.zones.get(&candidate) {
                return Some(z);
            }
            if n == 0 {
                return None;
            }
            n -= 1;
        }
    }

    /// The zone that answers `qname`/`qtype`. A DS RRset lives in the parent (RFC 4035
    /// §3.1.4.1), so a DS query for a zone's apex goes to the parent zone when we serve it.
    pub fn find_for(&self, qname: &Name, qtype: RecordType) -> Option<&Arc<Zone>> {
        let zone = self.find(qname)?;
        if qtype == RecordType::DS && zone.origin == *qname && !qname.is_root() {
            return self.find(&qname.base_name()).or(Some(zone));
        }
        Some(zone)
    }

    /// Every balanced RRset of every zone, with its owner name.
    pub fn plans(&self) -> impl Iterator<Item = (&Name, &Arc<Plan>)> {
        self.zones.values().flat_map(|z| {
            z.nodes.iter().flat_map(|(name, node)| {
                node.rrsets
                    .iter()
                    .filter_map(move |s| s.plan.as_ref().map(|p| (name, p)))
            })
        })
    }

    /// The zones, sorted by name.
    pub fn zones(&self) -> Vec<&Arc<Zone>> {
        let mut v: Vec<_> = self.zones.values().collect();
        v.sort_by(|a, b| a.origin.cmp(&b.origin));
        v
    }
}

/// Gives every balanced A/AAAA RRset its plan: more than one address, or a pool.
fn attach_plans(zones: &mut HashMap<Name, Zone>, cfg: &Config, problems: &mut Vec<Problem>) {
    let pools: HashMap<&Name, &PoolConfig> = cfg.pools.iter().map(|p| (&p.name, p)).collect();
    let mut used: HashMap<&Name, Vec<IpAddr>> = HashMap::new();
    for zone in zones.values_mut() {
        for (name, node) in zone.nodes.iter_mut() {
            let pool = pools.get(name).copied();
            for set in node.rrsets.iter_mut() {
                if !matches!(set.rtype, RecordType::A | RecordType::AAAA) {
                    continue;
                }
                if pool.is_none() && set.records.len() < 2 {
                    continue;
                }
                let addrs: Vec<IpAddr> = set
                    .records
                    .iter()
                    .filter_map(|r| match r.data {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                        _ => None,
                    })
                    .collect();
                let configured = |ip: &IpAddr| {
                    pool.and_then(|p| p.weights.iter().find(|(a, _)| a == ip))
                        .map_or(1, |(_, w)| *w)
                };
                let weights = addrs
                    .iter()
                    .zip(&set.copies)
                    .map(|(ip, copies)| configured(ip) + copies - 1)
                    .collect();
                if let Some(p) = pool {
                    used.entry(&p.name)
                        .or_default()
                        .extend(addrs.iter().copied());
                }
                set.plan = Some(Arc::new(Plan {
                    served: addrs.iter().map(|_| AtomicU64::new(0)).collect(),
                    pool: pool.map(|p| p.name.clone()),
                    addrs,
                    weights,
                    policy: pool.map_or(cfg.defaults, |p| p.policy),
                    check: pool.and_then(|p| p.check.as_ref()).and_then(|c| {
                        let interval = cfg.checks.get(c)?.interval;
                        Some((
                            Arc::from(c.as_str()),
                            interval.as_secs_f64().ceil().max(1.0) as u32,
                        ))
                    }),
                }));
            }
        }
    }
    check_pools(cfg, &used, problems);
}

/// A pool must name address records that exist, and weights must name its addresses.
fn check_pools(cfg: &Config, used: &HashMap<&Name, Vec<IpAddr>>, problems: &mut Vec<Problem>) {
    for p in &cfg.pools {
        let problem = |message: String| Problem {
            file: p.file.clone(),
            line: p.line,
            message,
        };
        let Some(addrs) = used.get(&p.name) else {
            problems.push(problem(format!(
                "pool {}: no A or AAAA records at this name in any zone",
                p.name
            )));
            continue;
        };
        for (ip, _) in &p.weights {
            if !addrs.contains(ip) {
                problems.push(problem(format!(
                    "pool {}: weight given for {ip}, which is not an address of {}",
                    p.name, p.name
                )));
            }
        }
    }
}
