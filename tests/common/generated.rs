//! Generated query corpora: for a zone file, every owner name (as BIND reads the file)
//! crossed with its own types and the common ones, a child name that does not exist, and
//! the owner in mixed case, each without EDNS, with it and with DO=1, answered by rrdns and by NSD
//! serving the same file, compared as in tests/differential.rs.
#![allow(dead_code)]

use super::compare::compare;
use super::nsd::Nsd;
use super::*;
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// Asked at every owner besides its own types.
const COMMON: [RecordType; 20] = [
    RecordType::A,
    RecordType::AAAA,
    RecordType::TXT,
    RecordType::MX,
    RecordType::NS,
    RecordType::SOA,
    RecordType::CNAME,
    RecordType::SRV,
    RecordType::PTR,
    RecordType::DS,
    RecordType::DNSKEY,
    RecordType::HTTPS,
    RecordType::SVCB,
    RecordType::NAPTR,
    RecordType::CAA,
    RecordType::SSHFP,
    RecordType::TLSA,
    RecordType::HINFO,
    RecordType::RRSIG,
    RecordType::NSEC,
];

/// Owner names and their types, as `named-checkzone -D` reads the file.
pub fn owners(origin: &str, file: &str) -> BTreeMap<String, BTreeSet<RecordType>> {
    let mut owners: BTreeMap<String, BTreeSet<RecordType>> = BTreeMap::new();
    for line in super::bind::bind_reading((origin, file)) {
        let f: Vec<&str> = line.split(' ').collect();
        if f.len() < 4 || f[2] != "IN" {
            continue;
        }
        let t = RecordType::from_str(f[3]).ok().or_else(|| {
            let n = f[3].strip_prefix("TYPE")?.parse::<u16>().ok()?;
            Some(RecordType::from(n))
        });
        let types = owners.entry(f[0].to_string()).or_default();
        types.extend(t);
    }
    owners
}

/// A name in alternating case (RFC 4343: answers must match it case-insensitively).
pub fn mixed_case(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| match i % 2 {
            0 => c.to_ascii_uppercase(),
            _ => c,
        })
        .collect()
}

pub fn corpus(owners: &BTreeMap<String, BTreeSet<RecordType>>) -> Vec<(String, RecordType)> {
    let mut out = Vec::new();
    for (owner, types) in owners {
        for t in types.iter().chain(&COMMON) {
            if *t != RecordType::ANY {
                out.push((owner.clone(), *t));
            }
        }
        if !owner.starts_with('*') {
            // Names that do not exist (or a wildcard covers), below each owner.
            for t in [RecordType::A, RecordType::AAAA, RecordType::TXT] {
                out.push((format!("nope.{owner}"), t));
            }
            out.push((format!("x.y.{owner}"), RecordType::TXT));
            out.push((format!("x.y.{owner}"), RecordType::MX));
        }
        out.push((mixed_case(owner), RecordType::A));
        // A type no zone holds (RFC 3597 §2: unknown types are answered like others).
        out.push((owner.clone(), RecordType::Unknown(65280)));
    }
    out.sort();
    out.dedup();
    out
}

/// One zone, its corpus, rrdns and NSD: every unexplained difference. With `knot` (the
/// same zone served by Knot), a difference from NSD where Knot answers as rrdns does is
/// not one: NSD and Knot disagree there, and Knot breaks the tie.
pub fn differences(origin: &str, file: &str, min: usize, knot: Option<SocketAddr>) -> Vec<String> {
    let corpus = corpus(&owners(origin, file));
    eprintln!("{origin}: {} queries", corpus.len() * 3);
    assert!(
        corpus.len() * 3 >= min,
        "{origin}: {} queries",
        corpus.len() * 3
    );
    let nsd = Nsd::serve(&[(origin, file)]);
    let ours = serve_project_zones(&[(origin, file)], "defaults:\n  answers: 64\n");
    let mut diffs = Vec::new();
    for (name, t) in &corpus {
        // Without EDNS, with it, and with DO=1 (signatures and proofs in signed zones).
        for (edns, dnssec) in [(Some(1232), false), (None, false), (Some(1232), true)] {
            let mut m = query_message(name, *t, edns);
            if let (true, Some(e)) = (dnssec, m.edns.as_mut()) {
                e.enable_dnssec();
            }
            let q = m.to_vec().expect("a query encodes");
            let exchange =
                |addr| udp_exchange(addr, &q, Duration::from_secs(2)).expect("an answer");
            let (mine, theirs) = (exchange(ours.addr), exchange(nsd.addr));
            let label = format!("{name} {t} edns={edns:?} do={dnssec}");
            let (Ok(mine), Ok(theirs)) = (Message::from_vec(&mine), Message::from_vec(&theirs))
            else {
                // hickory-proto cannot decode a record with empty RDATA outside an UPDATE
                // (`TYPE65000 \# 0`): compare flags, RCODE and ANCOUNT from the octets.
                if mine.get(2..8) != theirs.get(2..8) {
                    diffs.push(format!(
                        "{label}: header {:?} vs NSD {:?}",
                        &mine[..8],
                        &theirs[..8]
                    ));
                }
                continue;
            };
            let found = compare(&label, &mine, &theirs, *t);
            let tie_broken = !found.is_empty()
                && knot.is_some_and(|k| {
                    let knots = Message::from_vec(&exchange(k));
                    knots.is_ok_and(|k| compare(&label, &mine, &k, *t).is_empty())
                });
            if !tie_broken {
                diffs.extend(found);
            }
        }
    }
    diffs
}
