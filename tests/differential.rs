//! Differential test: NSD (from Debian) and rrdns serve the same zones on loopback and
//! answer the same corpus of queries. rcode, AA/TC flags and every section are compared
//! as sorted sets. The only differences allowed are the ones NSD, Knot and BIND differ on
//! too: NSD's extra NS/glue in positive answers, the content of ANY answers (RFC 8482),
//! and rrdns's TTL cap on balanced address sets.

mod common;

use common::compare::compare;
use common::corpus::{ZONES, corpus};
use common::nsd::Nsd;
use common::*;
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use std::time::Duration;

fn start_nsd() -> Nsd {
    Nsd::serve(&ZONES)
}

fn start_rrdns() -> Server {
    serve_project_zones(&ZONES, "defaults:\n  answers: 64\n")
}

/// The corpus: every owner of interest crossed with the common types, plus names that
/// exercise NXDOMAIN, wildcards, ENTs, delegations, CNAME chains, case and other zones.
#[test]
fn rrdns_answers_like_nsd() {
    let nsd = start_nsd();
    let ours = start_rrdns();
    let corpus = corpus();
    assert!(corpus.len() >= 150, "corpus has {} queries", corpus.len());
    let mut diffs = Vec::new();
    for (name, t) in &corpus {
        for edns in [Some(1232), None] {
            let q = query_bytes(name, *t, edns);
            let mine = udp_exchange(ours.addr, &q, Duration::from_secs(2)).expect("rrdns answers");
            let theirs = udp_exchange(nsd.addr, &q, Duration::from_secs(2)).expect("NSD answers");
            let (mine, theirs) = (
                Message::from_vec(&mine).unwrap(),
                Message::from_vec(&theirs).unwrap(),
            );
            let label = format!("{name} {t} edns={edns:?}");
            diffs.extend(compare(&label, &mine, &theirs, *t));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn edns_and_opcode_edge_cases_match_nsd() {
    let nsd = start_nsd();
    let ours = start_rrdns();
    // EDNS version 1 → BADVERS (RFC 6891 §6.1.3).
    let mut m = query_message("www.example.test.", RecordType::A, Some(1232));
    if let Some(e) = m.edns.as_mut() {
        e.set_version(1);
    }
    let q = m.to_vec().unwrap();
    let ra = udp_exchange(ours.addr, &q, Duration::from_secs(2)).unwrap();
    let rb = udp_exchange(nsd.addr, &q, Duration::from_secs(2)).unwrap();
    let a = Message::from_vec(&ra).unwrap();
    let b = Message::from_vec(&rb).unwrap();
    assert_eq!(a.response_code, b.response_code);
    // hickory decodes the shared value 16 as BADSIG; on the wire it is BADVERS.
    assert_eq!(u16::from(a.response_code), 16);
    assert_eq!(a.edns.is_some(), b.edns.is_some());
    // A small advertised size (below 512) is treated as 512 by both.
    let q = query_bytes("many.example.net.", RecordType::A, Some(100));
    let a =
        Message::from_vec(&udp_exchange(ours.addr, &q, Duration::from_secs(2)).unwrap()).unwrap();
    let b =
        Message::from_vec(&udp_exchange(nsd.addr, &q, Duration::from_secs(2)).unwrap()).unwrap();
    assert_eq!(a.truncation, b.truncation);
    // Regression: a query of several questions got a FORMERR echoing every one (over
    // 1,232 octets for a few hundred); NSD sends the header alone.
    let mut m = query_message("www.example.test.", RecordType::A, None);
    for i in 0..300 {
        let name = format!("q{i}.example.test.");
        m.add_query(hickory_proto::op::Query::query(
            name.parse().unwrap(),
            RecordType::A,
        ));
    }
    let q = m.to_vec().unwrap();
    let ra = udp_exchange(ours.addr, &q, Duration::from_secs(2)).unwrap();
    let rb = udp_exchange(nsd.addr, &q, Duration::from_secs(2)).unwrap();
    assert_eq!((ra.len(), rb.len()), (12, 12), "header only");
    assert_eq!(ra[2..], rb[2..], "flags and counts as NSD's");
}
