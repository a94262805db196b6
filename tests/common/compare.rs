//! Comparing an answer of rrdns with NSD's answer to the same query: rcode, AA/TC flags
//! and every section as sorted sets, with the differences NSD, Knot and BIND differ on too
//! allowed: NSD's extra NS/glue in positive answers, the content of ANY answers (RFC 8482),
//! rrdns's TTL cap on balanced address sets and its `answers` cap (64), and addresses NSD
//! leaves out of a full additional section. A non-address record sent twice is
//! always a difference.

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Record, RecordType};
use std::collections::{BTreeMap, BTreeSet};

/// The most addresses rrdns serves of one set (`answers` is at most 64).
pub const MAX_ANSWERS: usize = 64;

/// The TTL cap rrdns applies to balanced address sets (the default `ttl`).
pub const TTL_CAP: u32 = 30;

/// A record without its TTL, lowercased: sections are compared as sets of these.
fn key(r: &Record) -> String {
    format!("{} {} {}", r.name.to_lowercase(), r.record_type(), r.data).to_lowercase()
}

fn set(rs: &[Record]) -> BTreeSet<String> {
    rs.iter().map(key).collect()
}

fn ttls(rs: &[Record]) -> BTreeMap<String, u32> {
    rs.iter().map(|r| (key(r), r.ttl)).collect()
}

/// The type an RRSIG record covers.
fn covered(r: &Record) -> Option<RecordType> {
    let text = r.data.to_string();
    let first = text.split(' ').next()?;
    first.parse().ok()
}

/// Compares one answer pair; returns a description of every unexplained difference.
pub fn compare(q: &str, ours: &Message, theirs: &Message, qtype: RecordType) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut d = |what: String| diffs.push(format!("{q}: {what}"));
    if ours.response_code != theirs.response_code {
        d(format!(
            "rcode {} vs NSD {}",
            ours.response_code, theirs.response_code
        ));
        return diffs;
    }
    // Sections are compared as sets below, so a record sent twice is caught here: only
    // address records may repeat (weights given as copies, `weighting: duplicate`).
    for (name, rs) in [
        ("answer", &ours.answers),
        ("authority", &ours.authorities),
        ("additional", &ours.additionals),
    ] {
        let mut seen = BTreeSet::new();
        for r in rs
            .iter()
            .filter(|r| !matches!(r.record_type(), RecordType::A | RecordType::AAAA))
        {
            if !seen.insert(key(r)) {
                d(format!("{name} has {} more than once", key(r)));
            }
        }
    }
    if ours.authoritative != theirs.authoritative {
        d(format!(
            "AA {} vs NSD {}",
            ours.authoritative, theirs.authoritative
        ));
    }
    // An address set larger than `answers` (64 at most) is served 64 at a time: where
    // NSD truncates the whole set, rrdns's answer fits.
    let capped = theirs.truncation
        && (ours.answers.iter())
            .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
            .count()
            == MAX_ANSWERS;
    if ours.truncation != theirs.truncation && !capped {
        d(format!(
            "TC {} vs NSD {}",
            ours.truncation, theirs.truncation
        ));
    }
    if capped {
        return diffs;
    }
    if ours.recursion_available {
        d("RA set".into());
    }
    if ours.truncation || theirs.truncation {
        return diffs;
    }
    let (oa, ta) = (set(&ours.answers), set(&theirs.answers));
    if qtype == RecordType::ANY {
        // RFC 8482: any non-empty subset of the RRsets is a correct ANY answer.
        if !oa.is_subset(&ta) || (oa.is_empty() != ta.is_empty()) {
            d(format!("ANY answer {oa:?} not a subset of NSD {ta:?}"));
        }
    } else if oa != ta {
        d(format!("answer {oa:?} vs NSD {ta:?}"));
    }
    let their_ttls = ttls(&theirs.answers);
    for r in &ours.answers {
        let Some(&t) = their_ttls.get(&key(r)) else {
            continue;
        };
        // A balanced set is capped, and so are its signatures (served with the set's TTL).
        let t_addr = match &r.data {
            _ if matches!(r.record_type(), RecordType::A | RecordType::AAAA) => {
                Some(r.record_type())
            }
            _ if r.record_type() == RecordType::RRSIG => covered(r),
            _ => None,
        };
        let balanced = t_addr.is_some_and(|ta| {
            matches!(ta, RecordType::A | RecordType::AAAA)
                && (ours.answers.iter())
                    .filter(|x| x.name == r.name && x.record_type() == ta)
                    .count()
                    > 1
        });
        let ok = r.ttl == t || (balanced && r.ttl == t.min(TTL_CAP));
        if !ok {
            d(format!("TTL of {} is {} vs NSD {t}", key(r), r.ttl));
        }
    }
    let positive = !ours.answers.is_empty() && ours.response_code == ResponseCode::NoError;
    for (name, o, t) in [
        ("authority", &ours.authorities, &theirs.authorities),
        ("additional", &ours.additionals, &theirs.additionals),
    ] {
        let (os, ts) = (set(o), set(t));
        if os == ts {
            if ttls(o) != ttls(t) && name == "authority" {
                d(format!("{name} TTLs {:?} vs NSD {:?}", ttls(o), ttls(t)));
            }
            continue;
        }
        // NSD adds the zone's NS RRset (and its addresses) to positive answers; Knot
        // does not. Both are correct (FACTS.md).
        let extra: Vec<&String> = ts.difference(&os).collect();
        let only_ns_and_glue = extra.iter().all(|k| {
            // With DO=1, their signatures too.
            let mut words = k.split(' ').skip(1);
            let t = match words.next().unwrap_or("") {
                "rrsig" => words.next().unwrap_or(""),
                t => t,
            };
            t == "ns" || t == "a" || t == "aaaa"
        });
        // NSD stops adding addresses part-way where the answer nears its size limit;
        // RFC 2181 §9 lets a server leave out additional data, so ours may hold more
        // of the same addresses than NSD's.
        let more_addresses = name == "additional"
            && !ts.is_empty()
            && ts.is_subset(&os)
            && os
                .difference(&ts)
                .all(|k| matches!(k.split(' ').nth(1), Some("a" | "aaaa")));
        let nsd_adds_glue = positive && os.is_subset(&ts) && only_ns_and_glue;
        if !(nsd_adds_glue || more_addresses) {
            d(format!("{name} {os:?} vs NSD {ts:?}"));
        }
    }
    diffs
}
