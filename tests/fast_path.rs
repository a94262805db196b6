//! The fast path (wire images, direct negative answers) against the full path, on the
//! same engine: every question of the corpus, in several spellings, with and without
//! EDNS, over UDP and TCP, and with addresses drained. Wherever the fast path answers, its
//! answer must equal the full path's: header, question, and each section as a sorted set
//! (order is the balancer's to shuffle). It must also answer the common questions itself,
//! or the benchmark would be measuring the wrong path.

mod common;

use common::corpus::{ZONES, corpus};
use common::*;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, Record, RecordType};
use rrdns::Snapshot;
use rrdns::{Engine, Transport};
use rrdns::{Store, ZoneSet};
use std::net::IpAddr;
use std::sync::Arc;

const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn engine(extra: &str) -> Arc<Engine> {
    engine_for(&corpus_zones(), extra)
}

/// The differential corpus's zones and their files.
fn corpus_zones() -> Vec<(&'static str, std::path::PathBuf)> {
    ZONES.iter().map(|(n, f)| (*n, root().join(f))).collect()
}

fn engine_for(zones: &[(&str, std::path::PathBuf)], extra: &str) -> Arc<Engine> {
    Engine::new(Arc::new(Store::new(zone_set(zones, extra))))
}

fn zone_set(zones: &[(&str, std::path::PathBuf)], extra: &str) -> ZoneSet {
    let mut text = String::from("zones:\n");
    for (name, path) in zones {
        text.push_str(&format!("  - name: {name}\n    file: {}\n", path.display()));
    }
    text.push_str(extra);
    let cfg = rrdns::parse_config(&text, "test.yaml", &root()).expect("config");
    ZoneSet::build(&cfg, None, &|_| None).expect("zones")
}

fn request(name: &str, t: RecordType, edns: Option<(u16, bool)>) -> Vec<u8> {
    let mut m = Message::new(0x4242, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.metadata.checking_disabled = name.len().is_multiple_of(2);
    m.add_query(Query::query(Name::from_ascii(name).unwrap(), t));
    if let Some((size, dnssec_ok)) = edns {
        let mut e = Edns::new();
        e.set_max_payload(size);
        e.set_dnssec_ok(dnssec_ok);
        m.set_edns(e);
    }
    m.to_vec().unwrap()
}

fn section(rs: &[Record]) -> Vec<String> {
    let mut v: Vec<String> = rs
        .iter()
        .map(|r| {
            // Lowercased whole: a name in RDATA compressed against the question takes the
            // question's case on the fast path (RFC 4343: the same name).
            format!(
                "{} {} {} {} {}",
                r.name,
                r.ttl,
                r.dns_class,
                r.record_type(),
                r.data
            )
            .to_lowercase()
        })
        .collect();
    v.sort();
    v
}

/// Everything a client can see, with sections as sorted lists.
fn view(bytes: &[u8]) -> String {
    let m = Message::from_vec(bytes).expect("a well-formed response");
    let edns = m
        .edns
        .as_ref()
        .map(|e| (e.max_payload(), e.version(), e.flags().dnssec_ok));
    format!(
        "id {} {:?} rcode {:?} question {:?} edns {:?}\nanswer {:?}\nauthority {:?}\nadditional {:?}",
        m.id,
        m.metadata,
        m.response_code,
        m.queries
            .iter()
            .map(|q| format!("{} {} {}", q.name, q.query_type, q.query_class))
            .collect::<Vec<_>>(),
        edns,
        section(&m.answers),
        section(&m.authorities),
        section(&m.additionals),
    )
}

/// The corpus with case variants and names below delegations and below nothing.
fn questions() -> Vec<(String, RecordType)> {
    let mut qs = corpus();
    for (name, t) in corpus() {
        qs.push((name.to_uppercase(), t));
    }
    for name in [
        "deep.nope.example.test.",
        "a.b.x.sub.example.test.",
        "under.ns1.sub.example.test.",
        "x.y.apps.example.test.",
        "q.c.a.b.example.test.",
        "nothing.sub.example.net.",
    ] {
        for t in [
            RecordType::A,
            RecordType::AAAA,
            RecordType::TXT,
            RecordType::DS,
        ] {
            qs.push((name.to_string(), t));
        }
    }
    qs
}

/// Compares the paths over all questions; returns (fast answers, questions).
fn compare(e: &Engine) -> (usize, usize) {
    let mut fast_count = 0;
    let mut total = 0;
    for (name, t) in questions() {
        for edns in [
            None,
            Some((1232, false)),
            Some((4096, true)),
            Some((512, false)),
        ] {
            for transport in [Transport::Udp, Transport::Tcp] {
                let req = request(&name, t, edns);
                total += 1;
                let Some(fast) = e.handle_fast(&req, transport) else {
                    continue;
                };
                fast_count += 1;
                let full = e.handle_full(&req, transport, PEER).unwrap();
                assert_eq!(
                    view(&fast),
                    view(&full),
                    "{name} {t} edns {edns:?} over {transport:?}"
                );
            }
        }
    }
    (fast_count, total)
}

#[test]
fn fast_answers_equal_full_answers() {
    // Large `answers` so that a balanced set is served whole and compares as a set.
    let e = engine("defaults:\n  answers: 64\n");
    // A small zone has its images encoded at load, before the first query.
    let zones = e.zones();
    let zone = zones
        .get(&Name::from_ascii("example.test.").unwrap())
        .unwrap();
    let www = zone
        .nodes
        .get(&Name::from_ascii("www.example.test.").unwrap())
        .unwrap();
    let a = www.get(RecordType::A).unwrap();
    assert!(
        a.image.get().is_some_and(|i| i.plain.is_some()),
        "image built at load"
    );
    let (fast, total) = compare(&e);
    eprintln!("fast path answered {fast} of {total}");
    assert!(total > 2000, "{total} questions");
    // Most of the corpus is plain: data, NODATA, NXDOMAIN and referrals.
    assert!(fast * 2 > total, "fast path answered {fast} of {total}");
    // The kinds the benchmark mix is made of all take the fast path.
    for (name, t, what) in [
        ("www.example.test.", RecordType::A, "balanced"),
        ("mail.example.test.", RecordType::A, "plain A"),
        ("example.test.", RecordType::MX, "MX with additional"),
        ("www.example.test.", RecordType::TXT, "NODATA"),
        ("nope.example.test.", RecordType::A, "NXDOMAIN"),
        (
            "a.b.x.sub.example.test.",
            RecordType::A,
            "referral below a cut",
        ),
        ("sub.example.test.", RecordType::NS, "referral at a cut"),
    ] {
        let req = request(name, t, Some((1232, false)));
        assert!(e.handle_fast(&req, Transport::Udp).is_some(), "{what}");
    }
    // And the rare kinds keep the full path.
    for (name, t, what) in [
        ("www.example.test.", RecordType::ANY, "ANY"),
        ("sub.example.test.", RecordType::DS, "DS"),
        ("under.ns1.sub.example.test.", RecordType::A, "below glue"),
        ("x.y.apps.example.test.", RecordType::A, "wildcard"),
    ] {
        let req = request(name, t, Some((1232, false)));
        assert!(e.handle_fast(&req, Transport::Udp).is_none(), "{what}");
    }
}

#[test]
fn fast_answers_follow_drains_and_all_down_policies() {
    let e = engine("defaults:\n  answers: 64\npools:\n  www.example.test.:\n    all_down: none\n");
    let www = "www.example.test.";
    let req = request(www, RecordType::A, Some((1232, false)));
    let before = Message::from_vec(&e.handle_fast(&req, Transport::Udp).unwrap()).unwrap();
    let addrs: Vec<IpAddr> = before
        .answers
        .iter()
        .filter_map(|r| r.data.ip_addr())
        .collect();
    assert!(addrs.len() > 1, "{www} is balanced");
    // One address drained: it leaves the fast answer, which still equals the full one.
    let mut s = Snapshot::default();
    s.drained.insert(addrs[0]);
    e.set_health(s.clone());
    let (fast, _) = compare(&e);
    assert!(fast > 0);
    let after = Message::from_vec(&e.handle_fast(&req, Transport::Udp).unwrap()).unwrap();
    assert!(
        after
            .answers
            .iter()
            .all(|r| r.data.ip_addr() != Some(addrs[0]))
    );
    // Every address drained with `all_down: none`: NODATA, which the full path writes.
    s.drained.extend(addrs.iter().copied());
    e.set_health(s);
    assert!(e.handle_fast(&req, Transport::Udp).is_none());
    let full = Message::from_vec(&e.handle(&req, Transport::Udp, PEER).unwrap()).unwrap();
    assert!(full.answers.is_empty());
    assert_eq!(full.authorities[0].record_type(), RecordType::SOA);
}

#[test]
fn an_empty_wildcard_is_still_a_wildcard() {
    // `*.w.test.` exists only as the parent of `a.*.w.test.` (RFC 4592 §2.2.2): a name it
    // covers is NODATA, not NXDOMAIN, and the fast path must not say otherwise.
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("w.zone");
    std::fs::write(
        &zone,
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\na.*.w.test. TXT \"x\"\n",
    )
    .unwrap();
    let e = engine_for(&[("w.test.", zone)], "");
    for name in ["b.w.test.", "c.b.w.test.", "nope.ns.w.test."] {
        let req = request(name, RecordType::A, None);
        let full = e.handle_full(&req, Transport::Udp, PEER).unwrap();
        if let Some(fast) = e.handle_fast(&req, Transport::Udp) {
            assert_eq!(view(&fast), view(&full), "{name}");
        }
        let m = Message::from_vec(&e.handle(&req, Transport::Udp, PEER).unwrap()).unwrap();
        let want = if name == "nope.ns.w.test." {
            hickory_proto::op::ResponseCode::NXDomain
        } else {
            hickory_proto::op::ResponseCode::NoError
        };
        assert_eq!(m.response_code, want, "{name}");
    }
}

#[test]
fn images_on_first_use_stop_at_the_budget() {
    // No images at load and a budget of four: the first four RRsets asked for get an image,
    // every later one is answered by the full path, and every answer stays the same.
    let limits = rrdns::ImageLimits { eager: 0, lazy: 4 };
    let set = zone_set(&corpus_zones(), "defaults:\n  answers: 64\n");
    let e = Engine::with_image_limits(Arc::new(Store::new(set)), limits);
    let images = |e: &Engine| -> usize {
        e.zones()
            .zones()
            .iter()
            .map(|z| {
                z.nodes
                    .iter()
                    .flat_map(|(_, n)| n.rrsets.iter())
                    .filter(|s| s.image.get().is_some())
                    .count()
            })
            .sum()
    };
    assert_eq!(images(&e), 0, "nothing encoded at load");
    let mail = request("mail.example.test.", RecordType::A, None);
    assert!(
        e.handle_fast(&mail, Transport::Udp).is_some(),
        "first use encodes"
    );
    let (fast, total) = compare(&e);
    assert!(total > 2000);
    let per_zone = ZONES.len() * 4;
    assert!(images(&e) <= per_zone, "{} images", images(&e));
    assert!(images(&e) >= 4, "the budget was used");
    // NODATA and NXDOMAIN need no image, and the four encoded RRsets stay fast.
    assert!(fast > 0, "fast path answered {fast} of {total}");
    assert!(
        e.handle_fast(&mail, Transport::Udp).is_some(),
        "kept its image"
    );
    let www = request("www.example.test.", RecordType::AAAA, None);
    let full = e.handle_full(&www, Transport::Udp, PEER).unwrap();
    assert_eq!(
        view(&e.handle(&www, Transport::Udp, PEER).unwrap()),
        view(&full)
    );
}

/// Signed zones: with DO=1 the fast path answers from images that carry the RRSIGs
/// (and referrals with DS or its proof), equal to the full path's answers; denials,
/// whose proofs depend on the name asked, are left to the full path. A balanced set
/// without a key is served whole with its signature on both paths.
#[test]
fn signed_zones_answer_alike_on_both_paths() {
    use common::signing::{Denial, sign};
    for denial in [Denial::Nsec, Denial::Nsec3] {
        let texts: Vec<(&str, String)> = ZONES.iter().map(|(o, f)| (*o, project_file(f))).collect();
        let refs: Vec<(&str, &str)> = texts.iter().map(|(o, t)| (*o, t.as_str())).collect();
        let s = sign(&refs, denial);
        let zones: Vec<(&str, std::path::PathBuf)> = (s.zones.iter())
            .map(|(o, f)| (o.as_str(), std::path::PathBuf::from(f)))
            .collect();
        let e = engine_for(&zones, "defaults:\n  answers: 64\n");
        let (fast, total) = compare(&e);
        eprintln!("{denial:?}: fast path answered {fast} of {total}");
        assert!(fast * 3 > total, "fast path answered {fast} of {total}");
        let with_do = |name: &str, t| request(name, t, Some((1232, true)));
        for (name, t, what) in [
            ("www.example.test.", RecordType::A, "balanced, whole"),
            ("mail.example.test.", RecordType::A, "plain A"),
            ("example.test.", RecordType::MX, "MX with additional"),
            ("sub.example.test.", RecordType::NS, "referral"),
        ] {
            let r = e.handle_fast(&with_do(name, t), Transport::Udp);
            let r = r.unwrap_or_else(|| panic!("{denial:?} {what}: not on the fast path"));
            let m = Message::from_vec(&r).unwrap();
            assert!(
                m.edns.as_ref().unwrap().flags().dnssec_ok,
                "{what}: DO echoed"
            );
            if t != RecordType::NS {
                let sigs = (m.answers.iter())
                    .filter(|r| r.record_type() == RecordType::RRSIG)
                    .count();
                assert!(sigs > 0, "{what}: signed");
            }
        }
        for (name, t, what) in [
            ("nope.example.test.", RecordType::A, "NXDOMAIN"),
            ("www.example.test.", RecordType::TXT, "NODATA"),
        ] {
            let r = e.handle_fast(&with_do(name, t), Transport::Udp);
            assert!(r.is_none(), "{denial:?} {what} with DO takes the full path");
        }
    }
}
