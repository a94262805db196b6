//! Signed zones served as NSD serves them: the corpus zones signed by BIND's
//! `dnssec-signzone` (NSEC, NSEC3, NSEC3 with opt-out), served by NSD and rrdns side by
//! side, every question asked with DO=1 over UDP and TCP and the answers compared as sets
//! (RFC 4035 §3.1: signatures with every RRset, NSEC/NSEC3 proofs with every denial).

mod common;

use common::compare::compare;
use common::corpus::{ZONES, corpus};
use common::nsd::Nsd;
use common::signing::{Denial, Signed, sign};
use common::*;
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use std::time::Duration;

/// The corpus zones, signed.
fn signed(denial: Denial) -> Signed {
    let texts: Vec<(&str, String)> = ZONES.iter().map(|(o, f)| (*o, project_file(f))).collect();
    let refs: Vec<(&str, &str)> = texts.iter().map(|(o, t)| (*o, t.as_str())).collect();
    sign(&refs, denial)
}

/// A DO=1 query over UDP with EDNS size `size`.
fn dnssec_query(name: &str, t: RecordType, size: u16) -> Vec<u8> {
    let mut m = query_message(name, t, Some(size));
    if let Some(e) = m.edns.as_mut() {
        e.enable_dnssec();
    }
    m.to_vec().unwrap()
}

/// More questions for signed zones: the denial cases each proof type has (RFC 5155
/// §7.2), asked of names the corpus has and of the zones' own DNSSEC records.
fn questions() -> Vec<(String, RecordType)> {
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

/// Serves the corpus zones signed with `denial` by NSD and rrdns and compares every
/// answer with DO=1: over UDP at 1232 and 4096 bytes (so truncation is compared too) and
/// over TCP.
fn answers_like_nsd(denial: Denial) {
    let s = signed(denial);
    let zones: Vec<(&str, &str)> = s
        .zones
        .iter()
        .map(|(o, f)| (o.as_str(), f.as_str()))
        .collect();
    let nsd = Nsd::serve(&zones);
    let ours = serve_project_zones(&zones, "defaults:\n  answers: 64\n");
    let mut diffs = Vec::new();
    let mut signed_answers = 0;
    for (name, t) in questions() {
        for size in [1232u16, 4096, 0] {
            let q = dnssec_query(&name, t, size.max(512));
            let (mine, theirs) = if size == 0 {
                (tcp_exchange(ours.addr, &q), tcp_exchange(nsd.addr, &q))
            } else {
                let a = udp_exchange(ours.addr, &q, Duration::from_secs(2)).expect("rrdns answers");
                let b = udp_exchange(nsd.addr, &q, Duration::from_secs(2)).expect("NSD answers");
                (a, b)
            };
            let (mine, theirs) = (
                Message::from_vec(&mine).unwrap(),
                Message::from_vec(&theirs).unwrap(),
            );
            let sigs = |m: &Message| {
                (m.answers.iter().chain(&m.authorities))
                    .filter(|r| r.record_type() == RecordType::RRSIG)
                    .count()
            };
            if sigs(&mine) > 0 {
                signed_answers += 1;
            }
            let label = format!("{denial:?} {name} {t} size={size}");
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
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    assert!(signed_answers > 300, "{signed_answers} signed answers");
}

#[test]
fn nsec_zones_answer_like_nsd() {
    answers_like_nsd(Denial::Nsec);
}

#[test]
fn nsec3_zones_answer_like_nsd() {
    answers_like_nsd(Denial::Nsec3);
}

#[test]
fn nsec3_opt_out_zones_answer_like_nsd() {
    answers_like_nsd(Denial::Nsec3OptOut);
}
