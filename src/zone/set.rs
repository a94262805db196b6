//! The set of zones served at one moment, with balancing plans attached.
//!
//! Built whole from a [`Config`] off the query path and then never changed: a reload
//! builds a new set and swaps it in, so a broken zone never replaces a working one.

use hickory_proto::rr::{Name, RecordType};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::history;
use super::{Zone, labels};
use crate::balance::Plan;
use crate::config::{Config, PoolConfig, ZoneSource};
use crate::problem::Problem;
use crate::wire::name::{Lowered, NameMap, NameSet, WireMap};

/// A secondary zone's saved copy, as the caller found it: `None` when there is none.
/// The zone layer does not know where copies are kept; the secondary layer does.
pub type Saved<'a> = &'a dyn Fn(&Name) -> Option<Result<Zone, Vec<Problem>>>;

/// Up to this many origins are searched as a list on the fast path ([`ZoneSet::find_wire`]).
const FEW_ZONES: usize = 8;

/// The origins as the fast path searches them, each with its zone (`None` while it is
/// unavailable).
#[derive(Debug)]
enum Origins {
    /// A few, deepest first: comparing a question's suffix with each costs less than
    /// hashing it.
    Few(Vec<Origin>),
    /// More, by wire name; searched from the deepest possible suffix up.
    Many(WireMap<Option<Arc<Zone>>>),
}

/// An origin in wire form (lowercased), its label count, and its zone.
type Origin = (Box<[u8]>, usize, Option<Arc<Zone>>);

impl Default for Origins {
    fn default() -> Self {
        Origins::Few(Vec::new())
    }
}

/// Every zone served, keyed by origin. Lookup picks the longest matching origin.
#[derive(Debug, Default)]
pub struct ZoneSet {
    zones: NameMap<Arc<Zone>>,
    /// Secondary zones configured but without data (never transferred, or expired):
    /// names under them get SERVFAIL, not an answer from a parent zone.
    unavailable: NameSet,
    /// The same origins for the fast path ([`ZoneSet::find_wire`]).
    origins: Origins,
    /// The most labels of any origin above: a longer name starts its search there.
    deepest: usize,
}

enum Closest<'a> {
    Zone(&'a Arc<Zone>),
    Unavailable,
    None,
}

/// Where a secondary zone's data comes from at build time: the copy served now, else
/// none while it is unavailable, else its saved copy.
fn secondary(
    name: &Name,
    previous: Option<&ZoneSet>,
    saved: Saved<'_>,
) -> Option<Result<Zone, Vec<Problem>>> {
    if let Some(old) = previous.and_then(|p| p.zones.get(name)) {
        return Some(Ok(old.fresh_copy()));
    }
    if previous.is_some_and(|p| p.unavailable.contains(name)) {
        return None;
    }
    saved(name)
}

/// `zone` signed by rrdns when its configuration names keys and it is unsigned as
/// written or transferred (or rrdns signed it before: a re-sign). A zone signed by
/// others is served as it is, its keys used for the answers health and weights change.
fn sign_if_keyed(zone: Zone, cfg: &Config, previous: Option<&Zone>) -> Result<Zone, Vec<Problem>> {
    let zone_cfg = cfg.zones.iter().find(|z| z.name == zone.origin);
    let Some(settings) = zone_cfg.and_then(|z| z.dnssec.as_ref()) else {
        // Keys taken out of the configuration: the signatures rrdns made go too, before
        // they expire and make the zone bogus.
        return match zone.signed_here {
            Some(_) => super::signing::unsigned(&zone),
            None => Ok(zone),
        };
    };
    if zone.signed.is_some() && zone.signed_here.is_none() {
        return Ok(zone);
    }
    let serial = super::signing::next_serial(zone.source_serial(), previous);
    let now = crate::metrics::unix_now();
    // What goes wrong is said where the keys are configured.
    let line = zone_cfg.map_or(0, |z| z.line);
    super::signing::sign(&zone, settings, serial, now).map_err(|ps| {
        (ps.into_iter())
            .map(|p| Problem {
                file: cfg.source.clone(),
                line,
                message: format!("signing zone {}: {}", zone.origin, p.message),
            })
            .collect()
    })
}

/// What a new version of a zone keeps from the one it replaces: its query counters
/// and its history of changes, with the step between them added (for IXFR out).
fn carry_over(old: &Zone, new: &mut Zone) {
    new.counters = old.counters.clone();
    history::carry(old, new);
}

impl ZoneSet {
    fn new(zones: NameMap<Arc<Zone>>, unavailable: NameSet) -> ZoneSet {
        let deepest = zones
            .keys()
            .chain(&unavailable)
            .map(labels)
            .max()
            .unwrap_or(0);
        // A zone comes after the same name unavailable: a zone wins (there is only one
        // of the two, except while a transfer replaces the other).
        let all = (unavailable.iter().map(|n| (n, None)))
            .chain(zones.iter().map(|(n, z)| (n, Some(z.clone()))));
        let origins = if zones.len() + unavailable.len() <= FEW_ZONES {
            let mut list: Vec<_> = all
                .filter_map(|(n, z)| {
                    Some((Box::from(Lowered::from_name(n)?.suffix(0).0), labels(n), z))
                })
                .collect();
            // Deepest first: the longest origin wins.
            list.sort_by_key(|(_, l, z)| (std::cmp::Reverse(*l), z.is_none()));
            Origins::Few(list)
        } else {
            let mut map = WireMap::default();
            all.for_each(|(n, z)| map.insert(n, z));
            Origins::Many(map)
        };
        ZoneSet {
            zones,
            unavailable,
            origins,
            deepest,
        }
    }

    /// Loads every configured zone and attaches pools; all problems are returned. Query
    /// counters (and secondary zone data) of `previous` carry over; a secondary zone not
    /// in `previous` starts from its saved copy (`saved`), if any.
    pub fn build(
        cfg: &Config,
        previous: Option<&ZoneSet>,
        saved: Saved<'_>,
    ) -> Result<ZoneSet, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut zones = HashMap::new();
        let mut unavailable = NameSet::default();
        // Zones that did not load: their pools are not reported again (one cause, one
        // message).
        let mut failed = Vec::new();
        for zc in &cfg.zones {
            let at_config = |message: String| Problem {
                file: cfg.source.clone(),
                line: zc.line,
                message,
            };
            let loaded = match &zc.source {
                // A file that cannot be read is one problem, where the zone is configured,
                // not a line 0 of the file and its missing SOA besides.
                ZoneSource::File(path) => {
                    match std::fs::File::open(path).and_then(|f| f.metadata()) {
                        Err(e) => {
                            let what =
                                format!("zone {}: cannot read {}: {e}", zc.name, path.display());
                            Err(vec![at_config(what)])
                        }
                        Ok(m) if m.len() > cfg.limits.bytes => Err(vec![at_config(format!(
                            "zone {}: {} is {} octets, more than limits.zone_bytes ({})",
                            zc.name,
                            path.display(),
                            m.len(),
                            cfg.limits.bytes
                        ))]),
                        Ok(_) => Zone::load(&zc.name, path),
                    }
                }
                ZoneSource::Embedded(text) => {
                    Zone::from_text(&zc.name, text, &format!("<embedded>/{}zone", zc.name))
                }
                ZoneSource::Secondary { .. } => match secondary(&zc.name, previous, saved) {
                    Some(z) => z,
                    None => {
                        unavailable.insert(zc.name.clone());
                        continue;
                    }
                },
            };
            if zones.contains_key(&zc.name) || unavailable.contains(&zc.name) {
                problems.push(at_config(format!("zone {} is configured twice", zc.name)));
            }
            let loaded = loaded.and_then(|z| match z.record_count > cfg.limits.records {
                true => Err(vec![at_config(format!(
                    "zone {} has {} records, more than limits.zone_records ({})",
                    zc.name, z.record_count, cfg.limits.records
                ))]),
                false => Ok(z),
            });
            let old = previous.and_then(|p| p.zones.get(&zc.name));
            let loaded = loaded.and_then(|z| sign_if_keyed(z, cfg, old.map(|o| &**o)));
            match loaded {
                Ok(mut z) => {
                    if let Some(old) = old {
                        if old.serial == z.serial && history::differs(old, &z) {
                            // As BIND warns: secondaries compare serials, not contents.
                            z.warnings.push(at_config(format!(
                                "zone {}: content changed but serial {} did not; secondaries will not see the change until the serial is increased",
                                zc.name, z.serial
                            )));
                        }
                        carry_over(old, &mut z);
                    }
                    zones.insert(zc.name.clone(), z);
                }
                Err(mut ps) => {
                    failed.push(zc.name.clone());
                    problems.append(&mut ps);
                }
            }
        }
        let mut used = HashMap::new();
        for z in zones.values_mut() {
            attach_plans(z, cfg, &mut used);
        }
        check_pools(cfg, &used, &failed, &mut problems);
        super::release_freed_memory();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ZoneSet::new(
            zones.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
            unavailable,
        ))
    }

    /// A copy of this set with `zone` added or replaced (a completed transfer, or a
    /// zone rrdns signs, to be signed again): signed first when its keys are configured.
    pub fn with_zone(&self, cfg: &Config, zone: Zone) -> Result<ZoneSet, Vec<Problem>> {
        let old = self.zones.get(&zone.origin);
        let mut zone = sign_if_keyed(zone, cfg, old.map(|o| &**o))?;
        if let Some(old) = old {
            carry_over(old, &mut zone);
        }
        attach_plans(&mut zone, cfg, &mut HashMap::new());
        let mut zones = self.zones.clone();
        let mut unavailable = self.unavailable.clone();
        unavailable.remove(&zone.origin);
        zones.insert(zone.origin.clone(), Arc::new(zone));
        super::release_freed_memory();
        Ok(ZoneSet::new(zones, unavailable))
    }

    /// A copy of this set in which `name` is unavailable (an expired secondary zone).
    pub fn without_zone(&self, name: &Name) -> ZoneSet {
        let mut zones = self.zones.clone();
        zones.remove(name);
        let mut unavailable = self.unavailable.clone();
        unavailable.insert(name.clone());
        ZoneSet::new(zones, unavailable)
    }

    pub fn get(&self, name: &Name) -> Option<&Arc<Zone>> {
        self.zones.get(name)
    }

    /// Configured secondary zones without data now (never transferred, or expired).
    pub fn unavailable(&self) -> impl Iterator<Item = &Name> {
        self.unavailable.iter()
    }

    /// True when the closest configured zone of `name` has no data now.
    pub fn is_unavailable(&self, name: &Name) -> bool {
        matches!(self.walk(name), Closest::Unavailable)
    }

    /// The zone that is authoritative for `name`: the longest matching origin.
    pub fn find(&self, name: &Name) -> Option<&Arc<Zone>> {
        match self.walk(name) {
            Closest::Zone(z) => Some(z),
            _ => None,
        }
    }

    fn walk(&self, name: &Name) -> Closest<'_> {
        let total = labels(name);
        for n in (0..=total).rev() {
            let candidate = if n == total {
                name.clone()
            } else {
                name.trim_to(n)
            };
            if let Some(z) = self.zones.get(&candidate) {
                return Closest::Zone(z);
            }
            if self.unavailable.contains(&candidate) {
                return Closest::Unavailable;
            }
        }
        Closest::None
    }

    /// The zone for a name from the wire: the longest matching origin, `None` also when
    /// that zone is unavailable (the full path then answers SERVFAIL).
    pub fn find_wire(&self, name: &Lowered) -> Option<(&Arc<Zone>, usize)> {
        match &self.origins {
            Origins::Few(list) => {
                for (origin, labels, zone) in list {
                    let Some(skip) = name.labels().checked_sub(*labels) else {
                        continue;
                    };
                    if name.suffix(skip).0 == &origin[..] {
                        return zone.as_ref().map(|z| (z, skip));
                    }
                }
            }
            Origins::Many(map) => {
                for skip in name.labels().saturating_sub(self.deepest)..=name.labels() {
                    if let Some(found) = map.get(name.suffix(skip)) {
                        return found.as_ref().map(|z| (z, skip));
                    }
                }
            }
        }
        None
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
    pub fn plans(&self) -> impl Iterator<Item = (Name, &Arc<Plan>)> {
        self.balanced().map(|(name, _, plan)| (name, plan))
    }

    /// Every balanced RRset: its owner, its TTL in the zone, and its plan.
    pub fn balanced(&self) -> impl Iterator<Item = (Name, u32, &Arc<Plan>)> {
        self.zones.values().flat_map(|z| {
            z.nodes.iter().flat_map(|(owner, node)| {
                (node.rrsets.iter())
                    .filter_map(move |s| s.plan.as_ref().map(|p| (owner.to_name(), s.ttl, p)))
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

/// Gives every balanced A/AAAA RRset of `zone` its plan: more than one address, or a
/// pool. Records which addresses each pool got in `used`.
fn attach_plans(zone: &mut Zone, cfg: &Config, used: &mut HashMap<Name, Vec<IpAddr>>) {
    // Pools by lowercased wire name, so that a node's name is not built to look it up.
    let pools: HashMap<Vec<u8>, &PoolConfig> = cfg
        .pools
        .iter()
        .filter_map(|p| Some((Lowered::from_name(&p.name)?.suffix(0).0.to_vec(), p)))
        .collect();
    let signed = zone.signed.is_some();
    let zone_cfg = cfg.zones.iter().find(|z| z.name == zone.origin);
    let zone_line = zone_cfg.map_or(0, |z| z.line);
    zone.signer = attach_signer(zone, zone_cfg, cfg);
    let mut whole = Vec::new();
    for (owner, rrsets) in zone.nodes.iter_mut() {
        let pool = if pools.is_empty() {
            None
        } else {
            pools.get(owner.lowered().suffix(0).0).copied()
        };
        let signed_types: Vec<RecordType> = [RecordType::A, RecordType::AAAA]
            .into_iter()
            .filter(|&t| signed && super::signed::signatures_in(rrsets, t).is_some())
            .collect();
        for set in rrsets.iter_mut() {
            if !matches!(set.rtype, RecordType::A | RecordType::AAAA) {
                continue;
            }
            set.plan = None;
            if pool.is_none() && set.data.len() < 2 {
                continue;
            }
            // A signed set without a key to sign its subsets is served whole.
            let served_whole = signed_types.contains(&set.rtype) && zone.signer.is_none();
            if served_whole {
                whole.push((owner.to_name(), set.rtype, pool.map(|p| p.line)));
            }
            let addrs: Vec<IpAddr> = set.data.iter().filter_map(|d| d.ip()).collect();
            let configured = |ip: &IpAddr| {
                pool.and_then(|p| p.weights.iter().find(|(a, _)| a == ip))
                    .map_or(1, |(_, w)| *w)
            };
            let weights = addrs
                .iter()
                .enumerate()
                .map(|(i, ip)| configured(ip) + set.copies(i) - 1)
                .collect();
            if let Some(p) = pool {
                used.entry(p.name.clone())
                    .or_default()
                    .extend(addrs.iter().copied());
            }
            // An address in no tier (a secondary zone's new address, not yet listed)
            // goes last; `rrdns check` reports it for file zones.
            let tiers = pool.map_or(&[][..], |p| &p.tiers[..]);
            let tier_of = (addrs.iter())
                .map(|ip| {
                    tiers
                        .iter()
                        .position(|t| t.contains(ip))
                        .unwrap_or(tiers.len().saturating_sub(1)) as u8
                })
                .collect();
            set.plan = Some(Arc::new(Plan {
                tier_of,
                tiers: tiers.len().clamp(1, 255) as u8,
                min_up: pool.map_or(Default::default(), |p| p.min_up),
                slow_start: pool.and_then(|p| p.slow_start),
                served: addrs.iter().map(|_| AtomicU64::new(0)).collect(),
                pool: pool.map(|p| p.name.clone()),
                addrs,
                weights,
                policy: pool.map_or(cfg.defaults, |p| p.policy),
                check: pool.and_then(|p| p.check.as_ref()).map(|c| {
                    let interval = c.interval.as_secs_f64().ceil().max(1.0) as u32;
                    (c.name.clone(), interval)
                }),
                whole: served_whole,
            }));
        }
    }
    // Said once per set, where the pool (or else the zone) is configured: the check,
    // the log at load and the status page show it.
    for (name, t, pool_line) in whole {
        let message = format!(
            "{name} {t}: the zone is signed and rrdns has no key to sign a subset, so this set is served whole with its own signature (a subset would not validate, RFC 4035 §5.3): health checks, drains, tiers and weights are off for it"
        );
        warn_once(zone, cfg, pool_line.unwrap_or(zone_line), message);
    }
}

/// Adds a warning about the configuration at `line` to `zone`, unless the zone has it
/// already: a zone kept across a reload keeps its warnings.
fn warn_once(zone: &mut Zone, cfg: &Config, line: usize, message: String) {
    if !zone.warnings.iter().any(|w| w.message == message) {
        zone.warnings.push(Problem {
            file: cfg.source.clone(),
            line,
            message,
        });
    }
}

/// The signer of a signed zone with `dnssec.keys`, from a key whose DNSKEY the zone
/// publishes. A key the zone does not publish is reported as a warning (the zone is
/// still served, balanced names whole without another key).
fn attach_signer(
    zone: &mut Zone,
    zone_cfg: Option<&crate::config::ZoneConfig>,
    cfg: &Config,
) -> Option<Arc<crate::sign::Signer>> {
    let settings = zone_cfg.and_then(|z| z.dnssec.as_ref())?;
    let line = zone_cfg.map_or(0, |z| z.line);
    // A zone with keys is signed here when it comes unsigned ([`sign_if_keyed`]).
    zone.signed.as_ref()?;
    let apex_keys: Vec<Vec<u8>> = (zone.nodes.get(&zone.origin))
        .and_then(|n| n.get(RecordType::DNSKEY))
        .map(|set| {
            (set.data.iter())
                .filter_map(|d| match d.other()? {
                    hickory_proto::rr::RData::Unknown { rdata, .. } => Some(rdata.anything.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    for k in &settings.keys {
        if !apex_keys.contains(&k.dnskey) {
            let message = format!(
                "zone {}: dnssec key {} (tag {}, algorithm {}) is not in the zone's DNSKEY RRset, so its signatures could not validate: it is not used",
                zone.origin,
                k.path.display(),
                k.tag,
                k.algorithm
            );
            warn_once(zone, cfg, line, message);
        }
    }
    crate::sign::Signer::new(settings, |k| apex_keys.contains(&k.dnskey)).map(Arc::new)
}

/// A pool must name address records that exist, and weights must name its addresses.
/// Pools under secondary zones are not checked: their data may not be transferred yet.
fn check_pools(
    cfg: &Config,
    used: &HashMap<Name, Vec<IpAddr>>,
    failed: &[Name],
    problems: &mut Vec<Problem>,
) {
    let secondary = |n: &Name| {
        cfg.zones
            .iter()
            .any(|z| matches!(z.source, ZoneSource::Secondary { .. }) && z.name.zone_of(n))
    };
    for p in &cfg.pools {
        // A secondary zone's data comes later; a zone that failed was reported already.
        if secondary(&p.name) || failed.iter().any(|f| f.zone_of(&p.name)) {
            continue;
        }
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
        if p.tiers.is_empty() {
            continue;
        }
        for ip in p.tiers.iter().flatten() {
            if !addrs.contains(ip) {
                problems.push(problem(format!(
                    "pool {}: tier address {ip} is not an address of {}",
                    p.name, p.name
                )));
            }
        }
        let mut missing: Vec<&IpAddr> = (addrs.iter())
            .filter(|ip| !p.tiers.iter().any(|t| t.contains(ip)))
            .collect();
        missing.sort();
        missing.dedup();
        for ip in missing {
            problems.push(problem(format!(
                "pool {}: {ip} is in no tier: list every address of the pool in one tier",
                p.name
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(origin: &str) -> Arc<Zone> {
        let name = Name::from_ascii(origin).unwrap();
        let text = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
        Arc::new(Zone::from_text(&name, text, "t.zone").unwrap())
    }

    /// The fast path's search must pick the zone the full path picks, with few origins
    /// (a list) and with many (the map).
    #[test]
    fn wire_search_agrees_with_name_search() {
        for extra in [0, FEW_ZONES] {
            let mut zones = NameMap::default();
            for o in ["test.", "a.test.", "c.b.a.test.", "other."] {
                zones.insert(Name::from_ascii(o).unwrap(), zone(o));
            }
            for i in 0..extra {
                let o = format!("z{i}.example.");
                zones.insert(Name::from_ascii(&o).unwrap(), zone(&o));
            }
            let mut unavailable = NameSet::default();
            unavailable.insert(Name::from_ascii("gone.a.test.").unwrap());
            let set = ZoneSet::new(zones, unavailable);
            assert_eq!(matches!(set.origins, Origins::Few(_)), extra == 0);
            for q in [
                "test.",
                "x.test.",
                "a.test.",
                "WWW.A.test.",
                "b.a.test.",
                "c.b.a.test.",
                "d.c.b.a.test.",
                "gone.a.test.",
                "x.gone.a.test.",
                "other.",
                "nope.",
                ".",
                "z3.example.",
                "x.z1.example.",
            ] {
                let name = Name::from_ascii(q).unwrap();
                let wire = Lowered::from_name(&name).unwrap();
                let by_wire = set
                    .find_wire(&wire)
                    .map(|(z, skip)| (z.origin.clone(), skip));
                let by_name = set.find(&name).map(|z| {
                    let skip = labels(&name) - labels(&z.origin);
                    (z.origin.clone(), skip)
                });
                assert_eq!(by_wire, by_name, "{q} with {extra} more zones");
            }
        }
    }
}
