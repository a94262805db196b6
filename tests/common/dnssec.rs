//! The DNSSEC corpus: the questions asked of signed corpus zones, the differential with
//! NSD at DO=1 over UDP and TCP, and what a validating resolver makes of each question.
#![allow(dead_code)]

use super::compare::compare;
use super::corpus::{ZONES, corpus};
use super::resolver::Resolver;
use super::*;
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use std::net::SocketAddr;
use std::time::Duration;

/// A DO=1 query over UDP with EDNS size `size`.
pub fn dnssec_query(name: &str, t: RecordType, size: u16) -> Vec<u8> {
    let mut m = query_message(name, t, Some(size));
    if let Some(e) = m.edns.as_mut() {
        e.enable_dnssec();
    }
    m.to_vec().unwrap()
}

/// More questions for signed zones: the denial cases each proof type has (RFC 5155
/// §7.2), asked of names the corpus has and of the zones' own DNSSEC records.
pub fn questions() -> Vec<(String, RecordType)> {
    let mut q = corpus();
    for (n, t) in [
        ("example.test.", RecordType::DNSKEY),
        ("example.net.", RecordType::DNSKEY),
        ("example.net.", RecordType::NSEC3PARAM),
        ("example.net.", RecordType::RRSIG),
        ("www.example.test.", RecordType::RRSIG),
        ("example.test.", RecordType::NSEC),
        ("www.example.test.", RecordType::NSEC),
        ("zzz.example.test.", RecordType::A),
        ("0.example.test.", RecordType::A),
        ("x.y.z.nope.example.net.", RecordType::TXT),
        ("a.x.apps.example.test.", RecordType::A),
        ("x.wc.example.net.", RecordType::MX),
        ("x.wcn.example.net.", RecordType::A),
        ("x.wcn.example.net.", RecordType::TXT),
        ("child.example.net.", RecordType::DS),
        ("nods.example.net.", RecordType::DS),
        ("nods.example.net.", RecordType::A),
        ("www.nods.example.net.", RecordType::A),
        ("sub.example.net.", RecordType::DS),
        ("b.c.d.example.net.", RecordType::NSEC),
    ] {
        q.push((n.to_string(), t));
    }
    q
}

/// Asks rrdns (`ours`) and NSD every question with DO=1, over UDP at 512, 1232 and 4096
/// bytes (so truncation is compared too) and over TCP, and compares the answers as sets
/// after `normalize` has seen each. Returns the differences and how many of rrdns's
/// answers were signed.
pub fn differential(
    ours: SocketAddr,
    nsd: SocketAddr,
    label: &str,
    normalize: impl Fn(&mut Message),
) -> (Vec<String>, usize) {
    let mut diffs = Vec::new();
    let mut signed_answers = 0;
    for (name, t) in questions() {
        for size in [512u16, 1232, 4096, 0] {
            let q = dnssec_query(&name, t, size.max(512));
            let (mine, theirs) = if size == 0 {
                (tcp_exchange(ours, &q), tcp_exchange(nsd, &q))
            } else {
                let a = udp_exchange(ours, &q, Duration::from_secs(2)).expect("rrdns answers");
                let b = udp_exchange(nsd, &q, Duration::from_secs(2)).expect("NSD answers");
                (a, b)
            };
            if size == 512 && mine.len() > 512 {
                diffs.push(format!(
                    "{name} {t}: {} bytes over a 512-byte limit",
                    mine.len()
                ));
            }
            let (mut mine, mut theirs) = (
                Message::from_vec(&mine).unwrap(),
                Message::from_vec(&theirs).unwrap(),
            );
            normalize(&mut mine);
            normalize(&mut theirs);
            if size == 512 {
                // At 512 bytes NSD leaves out additional RRsets that would still fit;
                // RFC 4035 §3.1.1 lets either keep them. NSD's must be among ours.
                let key = |r: &hickory_proto::rr::Record| format!("{r}").to_lowercase();
                let theirs_add: Vec<String> = theirs.additionals.iter().map(key).collect();
                if theirs_add
                    .iter()
                    .all(|k| mine.additionals.iter().any(|r| key(r) == *k))
                {
                    mine.additionals.retain(|r| theirs_add.contains(&key(r)));
                }
            }
            let sigs = |m: &Message| {
                (m.answers.iter().chain(&m.authorities))
                    .filter(|r| r.record_type() == RecordType::RRSIG)
                    .count()
            };
            if sigs(&mine) > 0 {
                signed_answers += 1;
            }
            let label = format!("{label} {name} {t} size={size}");
            if t == RecordType::ANY && size == 0 {
                // Over TCP rrdns gives every RRset (RFC 8482 §4.2 lets it), NSD one.
                let set = |m: &Message| -> std::collections::BTreeSet<String> {
                    (m.answers.iter())
                        .map(|r| {
                            format!("{} {} {}", r.name, r.record_type(), r.data).to_lowercase()
                        })
                        .collect()
                };
                if !set(&theirs).is_subset(&set(&mine)) {
                    diffs.push(format!("{label}: NSD's ANY answer is not in ours"));
                }
                continue;
            }
            diffs.extend(compare(&label, &mine, &theirs, t));
            if mine.edns.as_ref().is_none_or(|e| !e.flags().dnssec_ok) {
                diffs.push(format!("{label}: DO not echoed"));
            }
        }
    }
    (diffs, signed_answers)
}

/// True for a question a validator can follow without leaving the served zones: not
/// below a delegation (whose servers are not on loopback) and not through a CNAME out
/// of them.
pub fn stays_inside(name: &str, t: RecordType) -> bool {
    let in_zones = ZONES.iter().any(|(o, _)| name.to_lowercase().ends_with(o));
    let below_cut = [
        "sub.example.test.",
        "child.example.net.",
        "nods.example.net.",
    ]
    .iter()
    .any(|cut| name.to_lowercase().ends_with(cut) && !(name == *cut && t == RecordType::DS));
    in_zones && !below_cut && !name.starts_with("away.")
}

/// What a validator makes of one question: its RCODE and whether it was secure (AD).
pub fn validated(unbound: &Resolver, name: &str, t: RecordType) -> (u16, bool) {
    let r = unbound.ask_validated(name, t);
    (u16::from(r.response_code), r.authentic_data)
}

/// Asks two validating resolvers, one in front of rrdns and one in front of NSD (or
/// another reference) serving the same signed zones, every question a validator can
/// follow here. Returns the answers that validate differently through rrdns (or, with
/// `must_be_secure`, are not secure), and how many were secure. Left out: the apex DS
/// (the parent's), a CNAME loop (no resolver answers it), RRSIG queries (never
/// validated) and ANY.
pub fn validate_corpus(
    on_ours: &Resolver,
    on_theirs: &Resolver,
    must_be_secure: bool,
) -> (Vec<String>, usize) {
    let origins: Vec<&str> = ZONES.iter().map(|(o, _)| *o).collect();
    let mut bad = Vec::new();
    let mut secure = 0;
    for (name, t) in questions() {
        let skip = origins.contains(&name.as_str()) && t == RecordType::DS
            || name.starts_with("loop")
            || matches!(t, RecordType::RRSIG | RecordType::ANY);
        if skip || !stays_inside(&name, t) {
            continue;
        }
        let (mine, theirs) = (validated(on_ours, &name, t), validated(on_theirs, &name, t));
        if mine != theirs || (must_be_secure && (mine.0 == 2 || !mine.1)) {
            bad.push(format!(
                "{name} {t}: rcode {} AD={} (through the reference: rcode {} AD={})",
                mine.0, mine.1, theirs.0, theirs.1
            ));
        }
        secure += usize::from(mine.1);
    }
    (bad, secure)
}

/// Fails unless at least `min` answers were secure and none validated wrongly (`bad`),
/// with the validator's log (why an answer was bogus) in the message.
pub fn assert_validated(
    label: &str,
    bad: &[String],
    secure: usize,
    min: usize,
    on_ours: &Resolver,
) {
    eprintln!("{label}: {secure} secure answers through rrdns");
    assert!(secure >= min, "{label}: {secure} secure answers");
    assert!(
        bad.is_empty(),
        "{label}: {} answers validate wrongly:\n{}\n--- Unbound's log:\n{}",
        bad.len(),
        bad.join("\n"),
        on_ours.log()
    );
}
