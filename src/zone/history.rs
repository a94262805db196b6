//! A zone as transfers see it: its records in AXFR order, and its recent changes, kept
//! so that IXFR (RFC 1995) can send differences instead of the whole zone. A change is
//! recorded whenever a zone is replaced by a version with another serial (a reload of
//! its file, or a transfer in).

use hickory_proto::rr::{Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;
use std::collections::HashSet;
use std::sync::Arc;

use super::Zone;

/// How many changes are kept per zone.
pub const MAX_CHANGES: usize = 16;
/// Above this many changed records a change is not kept: AXFR is as cheap then.
pub const MAX_CHANGED_RECORDS: usize = 100_000;

/// One version step: SOA before and after, records removed and added.
#[derive(Debug, Clone)]
pub struct Change {
    pub from: Record,
    pub to: Record,
    pub removed: Vec<Record>,
    pub added: Vec<Record>,
}

/// The zone's records in AXFR order: SOA, every other record, SOA (RFC 5936 §2.2).
pub fn zone_records(zone: &Zone) -> Vec<Record> {
    let mut out = Vec::with_capacity(zone.record_count + 2);
    out.push(zone.soa.clone());
    let mut nodes: Vec<_> = zone.nodes.iter().map(|(o, n)| (o.to_name(), n)).collect();
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, node) in &nodes {
        for set in node.rrsets {
            if set.rtype == RecordType::SOA {
                continue;
            }
            out.extend(set.records(name, set.ttl));
        }
    }
    out.push(zone.soa.clone());
    out
}

/// A record's identity for comparison: its wire form with the owner in lower case.
fn key(r: &Record) -> Vec<u8> {
    let mut r = r.clone();
    r.name = r.name.to_lowercase();
    r.to_bytes().unwrap_or_default()
}

fn body(z: &Zone) -> Vec<Record> {
    let mut r = zone_records(z);
    r.pop();
    r.remove(0);
    r
}

/// Whether two versions of a zone hold different records (SOA included), compared as
/// sets: a change that keeps the serial never reaches secondaries (RFC 1996 §2.1).
pub fn differs(old: &Zone, new: &Zone) -> bool {
    if old.record_count != new.record_count {
        return true;
    }
    let keys = |z: &Zone| -> HashSet<Vec<u8>> { zone_records(z).iter().map(key).collect() };
    keys(old) != keys(new)
}

/// Gives `new` the history of `old` plus the step from `old` to `new`.
pub fn carry(old: &Zone, new: &mut Zone) {
    if old.serial == new.serial {
        new.history = old.history.clone();
        return;
    }
    let (before, after) = (body(old), body(new));
    let before_keys: HashSet<Vec<u8>> = before.iter().map(key).collect();
    let after_keys: HashSet<Vec<u8>> = after.iter().map(key).collect();
    let removed: Vec<Record> = before
        .into_iter()
        .filter(|r| !after_keys.contains(&key(r)))
        .collect();
    let added: Vec<Record> = after
        .into_iter()
        .filter(|r| !before_keys.contains(&key(r)))
        .collect();
    let mut h: Vec<Change> = old.history.iter().cloned().collect();
    if removed.len() + added.len() > MAX_CHANGED_RECORDS {
        h.clear(); // the chain is broken: older clients get AXFR
    } else {
        h.push(Change {
            from: old.soa.clone(),
            to: new.soa.clone(),
            removed,
            added,
        });
    }
    let excess = h.len().saturating_sub(MAX_CHANGES);
    h.drain(..excess);
    new.history = Arc::new(h);
}

/// The changes that lead from `serial` to the zone's current serial, if all are kept.
pub fn chain(zone: &Zone, serial: u32) -> Option<Vec<&Change>> {
    let start = zone
        .history
        .iter()
        .position(|c| soa_serial(&c.from) == Some(serial))?;
    let steps: Vec<&Change> = zone.history[start..].iter().collect();
    let linked = steps
        .windows(2)
        .all(|w| soa_serial(&w[0].to) == soa_serial(&w[1].from));
    let ends = steps.last().and_then(|c| soa_serial(&c.to)) == Some(zone.serial);
    (linked && ends).then_some(steps)
}

fn soa_serial(r: &Record) -> Option<u32> {
    match &r.data {
        hickory_proto::rr::RData::SOA(s) => Some(s.serial),
        _ => None,
    }
}

/// IXFR answer records: SOA(new), then per step SOA(old) removed… SOA(new) added…, then
/// SOA(new) (RFC 1995 §4).
pub fn ixfr_records(zone: &Zone, steps: &[&Change]) -> Vec<Record> {
    let mut out = vec![zone.soa.clone()];
    for c in steps {
        out.push(c.from.clone());
        out.extend(c.removed.iter().cloned());
        out.push(c.to.clone());
        out.extend(c.added.iter().cloned());
    }
    out.push(zone.soa.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;

    fn zone(serial: u32, www: &str) -> Zone {
        let origin = Name::from_ascii("h.test.").unwrap();
        let text = format!(
            "$TTL 60\n@ SOA ns h {serial} 1 1 1 1\n@ NS ns\nns A 192.0.2.53\nwww A {www}\n"
        );
        Zone::from_text(&origin, &text, "t").unwrap()
    }

    #[test]
    fn changes_chain_from_an_old_serial_to_the_current_one() {
        let z1 = zone(1, "192.0.2.1");
        let mut z2 = zone(2, "192.0.2.2");
        carry(&z1, &mut z2);
        let mut z3 = zone(3, "192.0.2.3");
        carry(&z2, &mut z3);
        assert_eq!(z3.history.len(), 2);
        let steps = chain(&z3, 1).expect("1 → 2 → 3 kept");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].removed[0].data.to_string(), "192.0.2.1");
        assert_eq!(steps[1].added[0].data.to_string(), "192.0.2.3");
        assert_eq!(chain(&z3, 2).map(|s| s.len()), Some(1));
        assert!(chain(&z3, 7).is_none(), "unknown serial: AXFR instead");
        let recs = ixfr_records(&z3, &steps);
        assert_eq!(
            recs.len(),
            1 + 2 * 4 + 1,
            "SOA, 2 × (SOA, -1, SOA, +1), SOA"
        );
    }

    #[test]
    fn the_same_serial_keeps_the_history_and_it_is_bounded() {
        let mut prev = zone(1, "192.0.2.1");
        for s in 2..(MAX_CHANGES as u32 + 5) {
            let mut next = zone(s, &format!("192.0.2.{s}"));
            carry(&prev, &mut next);
            prev = next;
        }
        assert_eq!(prev.history.len(), MAX_CHANGES);
        let mut same = zone(prev.serial, "192.0.2.250");
        carry(&prev, &mut same);
        assert_eq!(same.history.len(), MAX_CHANGES);
    }
}
