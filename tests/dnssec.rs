//! Signed zones served as NSD serves them: the corpus zones signed by BIND's
//! `dnssec-signzone` (NSEC, NSEC3, NSEC3 with opt-out), served by NSD and rrdns side by
//! side, every question asked with DO=1 over UDP and TCP and the answers compared as sets
//! (RFC 4035 §3.1: signatures with every RRset, NSEC/NSEC3 proofs with every denial).

mod common;

use common::corpus::ZONES;
use common::dnssec::*;
use common::nsd::Nsd;
use common::signing::{Denial, Signed, Signer, sign, sign_by};
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

/// Serves the corpus zones signed with `denial` by NSD and rrdns and compares every
/// answer with DO=1 ([`differential`]).
fn answers_like_nsd(denial: Denial) {
    answers_like_nsd_for(&signed(denial), &format!("{denial:?}"));
}

/// [`answers_like_nsd`] for zones signed already.
fn answers_like_nsd_for(s: &Signed, label: &str) {
    let zones: Vec<(&str, &str)> = s
        .zones
        .iter()
        .map(|(o, f)| (o.as_str(), f.as_str()))
        .collect();
    let nsd = Nsd::serve(&zones);
    let ours = serve_project_zones(&zones, "defaults:\n  answers: 64\n");
    let (diffs, signed_answers) = differential(ours.addr, nsd.addr, label, |_| {});
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

/// Every answer validates: two validating Unbounds with the zones' keys as trust
/// anchors, one asking rrdns and one asking NSD serving the same signed files, get each
/// question. rrdns's answers must validate exactly as NSD's do (same RCODE, same AD), and
/// for NSEC and NSEC3 zones every answer must be secure, data and denial alike. Left
/// out: the apex DS (the parent's), a CNAME loop (no resolver answers it), RRSIG
/// queries (never validated) and ANY. Under opt-out (RFC 5155 §6) a denial whose NSEC3
/// has the opt-out flag is insecure by design: there NSD's verdict is the reference.
fn every_answer_validates(denial: Denial) {
    every_answer_validates_for(&signed(denial), denial);
}

/// [`every_answer_validates`] for zones signed already, with `denial`.
fn every_answer_validates_for(s: &Signed, denial: Denial) {
    let zones: Vec<(&str, &str)> = s
        .zones
        .iter()
        .map(|(o, f)| (o.as_str(), f.as_str()))
        .collect();
    let ours = serve_project_zones(&zones, "defaults:\n  answers: 64\n");
    let nsd = Nsd::serve(&zones);
    let origins: Vec<&str> = ZONES.iter().map(|(o, _)| *o).collect();
    let on_ours = common::resolver::Resolver::validating(&s.anchors, &origins, ours.addr);
    let on_nsd = common::resolver::Resolver::validating(&s.anchors, &origins, nsd.addr);
    let (bad, secure) = validate_corpus(&on_ours, &on_nsd, denial != Denial::Nsec3OptOut);
    assert_validated(&format!("{denial:?}"), &bad, secure, 200, &on_ours);
}

/// The corpus zones signed by NLnet Labs' `ldns-signzone` (with the same kind of keys):
/// answered as NSD answers them at DO=1, and every answer validates through Unbound as
/// through NSD, all secure.
#[test]
fn ldns_signed_zones_answer_like_nsd_and_validate() {
    let texts: Vec<(&str, String)> = ZONES.iter().map(|(o, f)| (*o, project_file(f))).collect();
    let refs: Vec<(&str, &str)> = texts.iter().map(|(o, t)| (*o, t.as_str())).collect();
    for denial in [Denial::Nsec, Denial::Nsec3] {
        let s = sign_by(&refs, denial, "ECDSAP256SHA256", Signer::Ldns);
        answers_like_nsd_for(&s, &format!("ldns {denial:?}"));
        every_answer_validates_for(&s, denial);
    }
}

#[test]
fn nsec_answers_validate() {
    every_answer_validates(Denial::Nsec);
}

#[test]
fn nsec3_answers_validate() {
    every_answer_validates(Denial::Nsec3);
}

#[test]
fn nsec3_opt_out_answers_validate() {
    every_answer_validates(Denial::Nsec3OptOut);
}

/// A balanced name in a signed zone, without a key to sign subsets, is served whole with
/// its own signature: `sample` with one answer, a drained address and a check that
/// finds three of four backends down change nothing, and every answer validates through
/// a validator that asks again each time. `rrdns check` and the status say so.
#[test]
fn balanced_names_without_a_key_are_served_whole() {
    let zone = "$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 60\n@ NS ns\nns A 127.0.0.53\n\
        www A 127.0.0.31\n A 127.0.0.32\n A 127.0.0.33\n A 127.0.0.34\n";
    let s = sign(&[("f.test.", zone)], Denial::Nsec);
    let signed_text = std::fs::read_to_string(&s.zones[0].1).unwrap();
    let (port, _backend) = common::backend::backends(&["127.0.0.31"], None);
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\n\
zones: [{{ name: f.test., file: f.zone }}]\n\
pools:\n  www.f.test.:\n    check: web\n    weighting: sample\n    answers: 1\n\
checks:\n  web: {{ type: http, port: {port}, path: /health, interval: 1s, timeout: 300ms, rise: 1, fall: 1 }}\n"
    );
    let ours = Server::start(&cfg, &[("f.zone", &signed_text)]);
    let (code, _) = ours.http("POST", "/api/backends/127.0.0.32/drain", None);
    assert_eq!(code, 200);
    // Two check intervals: the three backends without a server are down by now.
    std::thread::sleep(Duration::from_millis(2500));
    let all = ["127.0.0.31", "127.0.0.32", "127.0.0.33", "127.0.0.34"];
    let mut orders = std::collections::HashSet::new();
    for i in 0..200 {
        let mut q = query_message("www.f.test.", RecordType::A, Some(1232));
        if i % 2 == 0
            && let Some(e) = q.edns.as_mut()
        {
            e.enable_dnssec();
        }
        let r = udp_exchange(ours.addr, &q.to_vec().unwrap(), Duration::from_secs(2)).unwrap();
        let r = Message::from_vec(&r).unwrap();
        let order: Vec<String> = (r.answers.iter())
            .filter(|r| r.record_type() == RecordType::A)
            .map(|r| r.data.to_string())
            .collect();
        assert_eq!(
            order.len(),
            all.len(),
            "answer {i}: each address once: {order:?}"
        );
        assert_eq!(a_set(&r), all, "answer {i} is not the whole set");
        orders.insert(order);
        let sigs = r
            .answers
            .iter()
            .filter(|r| r.record_type() == RecordType::RRSIG)
            .count();
        assert_eq!(
            sigs,
            usize::from(i % 2 == 0),
            "answer {i}: {sigs} signatures"
        );
    }
    assert!(orders.len() > 1, "the order is still shuffled");
    let unbound =
        common::resolver::Resolver::validating_uncached(&s.anchors, &["f.test."], ours.addr);
    for i in 0..200 {
        let (rcode, ad) = validated(&unbound, "www.f.test.", RecordType::A);
        assert!(
            rcode == 0 && ad,
            "answer {i} through Unbound: rcode {rcode} AD={ad}\n{}",
            unbound.log()
        );
    }
    let (_, status) = ours.http("GET", "/status", None);
    assert!(status.contains("\"served_whole\": true"), "{status}");
    let (_, out, err) = rrdns_check(&ours.path("rrdns.yaml"), &[]);
    let text = out + &err;
    assert!(text.contains("served whole"), "{text}");
}

/// A zone that Knot signs itself (automatic signing: its own keys, NSEC3 without
/// iterations or salt), served by rrdns as Knot's secondary: every question about it
/// validates through Unbound exactly as it does when Unbound asks Knot, and all secure.
#[test]
fn a_zone_knot_signs_validates_through_rrdns_as_through_knot() {
    use common::knot::{Knot, Role};
    let text = project_file("tests/fixtures/example.net.zone");
    let knot = Knot::start(
        "example.net.",
        Role::SigningPrimary { zone_text: &text },
        false,
    );
    let kdig = std::process::Command::new("kdig")
        .args([
            "@127.0.0.1",
            "-p",
            &knot.port.to_string(),
            "example.net.",
            "DNSKEY",
            "+short",
        ])
        .output()
        .expect("kdig is installed (knot-dnsutils)");
    let anchors: String = String::from_utf8_lossy(&kdig.stdout)
        .lines()
        .filter(|l| l.starts_with("257 "))
        .map(|l| format!("example.net. IN DNSKEY {l}\n"))
        .collect();
    assert!(!anchors.is_empty(), "Knot made a KSK:\n{}", knot.log());
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nstate_dir: state\ndefaults:\n  answers: 64\n\
zones:\n  - name: example.net.\n    primaries: [\"127.0.0.1:{}\"]\n",
        knot.port
    );
    let ours = Server::start(&cfg, &[]);
    let loaded = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        !ours.udp("example.net.", RecordType::SOA).answers.is_empty()
    });
    assert!(loaded, "the zone was transferred:\n{}", ours.log());
    let knot_addr = std::net::SocketAddr::from(([127, 0, 0, 1], knot.port));
    let zones = ["example.net."];
    let on_ours = common::resolver::Resolver::validating(&anchors, &zones, ours.addr);
    let on_knot = common::resolver::Resolver::validating(&anchors, &zones, knot_addr);
    let (mut bad, mut secure) = (Vec::new(), 0);
    for (name, t) in questions() {
        let in_zone = name.to_lowercase().ends_with("example.net.")
            && !name.to_lowercase().ends_with("sub.example.net.");
        let skip = name == "example.net." && t == RecordType::DS
            || name.starts_with("loop")
            || matches!(
                t,
                RecordType::RRSIG | RecordType::ANY | RecordType::NSEC3PARAM
            );
        if !in_zone || skip || !stays_inside(&name, t) {
            continue;
        }
        let (mine, theirs) = (validated(&on_ours, &name, t), validated(&on_knot, &name, t));
        if mine != theirs || mine.0 == 2 || !mine.1 {
            bad.push(format!(
                "{name} {t}: rcode {} AD={} (through Knot: rcode {} AD={})",
                mine.0, mine.1, theirs.0, theirs.1
            ));
        }
        secure += usize::from(mine.1);
    }
    assert_validated("signed by Knot", &bad, secure, 100, &on_ours);
}
