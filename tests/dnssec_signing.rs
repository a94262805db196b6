//! Zones rrdns signs itself (`dnssec.keys` on an unsigned zone): the corpus zones signed
//! with keys from BIND's `dnssec-keygen`, NSEC and NSEC3 (RFC 9276: no iterations, no
//! salt), checked three ways by programs nobody here wrote. BIND's `dnssec-verify`
//! checks each zone whole as rrdns transfers it out (every RRset signed, the chain
//! complete); NSD serves those transferred copies and answers every question as rrdns
//! does at DO=1; and validating Unbounds in front of both find every answer secure.
//! Then the signatures are renewed without a reload and reach a Knot secondary, and a
//! zone received unsigned from a Knot primary is signed by rrdns as its secondary.

mod common;

use common::corpus::ZONES;
use common::dnssec::*;
use common::knot::{Knot, Role};
use common::nsd::Nsd;
use common::resolver::Resolver;
use common::signing::keys;
use common::*;
use hickory_proto::op::Message;
use hickory_proto::rr::{RData, Record, RecordType};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

/// The `dnssec:` block of a zone with `keys`, and more lines (indented under it).
fn dnssec_block(keys: &[std::path::PathBuf], more: &str) -> String {
    let list: Vec<String> = keys
        .iter()
        .map(|k| format!("\"{}\"", k.display()))
        .collect();
    format!("    dnssec:\n      keys: [{}]\n{more}", list.join(", "))
}

/// The zone `origin` as `dig` transfers it from `server`, without the closing SOA.
fn axfr(server: SocketAddr, origin: &str, into: &std::path::Path) -> String {
    let out = Command::new("dig")
        .args([
            &format!("@{}", server.ip()),
            "-p",
            &server.port().to_string(),
            origin,
            "AXFR",
            "+nocmd",
            "+nostats",
            "+nocomments",
        ])
        .output()
        .expect("dig is installed");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 2, "AXFR of {origin}: {text}");
    lines.pop();
    let text = lines.join("\n") + "\n";
    std::fs::write(into, &text).unwrap();
    text
}

/// BIND's verdict on a whole signed zone: every RRset signed by the zone's keys, the
/// NSEC or NSEC3 chain complete and right.
fn verify(origin: &str, file: &std::path::Path) {
    let out = Command::new("dnssec-verify")
        .args(["-o", origin])
        .arg(file)
        .output()
        .expect("dnssec-verify is installed (bind9-dnsutils / bind9)");
    assert!(
        out.status.success(),
        "dnssec-verify {origin}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

/// Takes out the RRSIGs over address RRsets of more than one record: rrdns signs the set
/// it serves with the TTL it serves it with (online, with the zone's key), so those
/// differ from the zone's in original TTL and times. What remains of them is compared:
/// key tag, type covered and labels. Their validity is the validators' part below.
fn online_signatures_aside(m: &mut Message) {
    fn aside(rs: &mut [Record]) {
        let owner = |r: &Record| (r.name.to_lowercase().to_string(), r.record_type());
        let addresses: Vec<(String, RecordType)> = (rs.iter())
            .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
            .map(owner)
            .collect();
        let balanced: BTreeSet<&(String, RecordType)> = (addresses.iter())
            .filter(|k| addresses.iter().filter(|o| o == k).count() > 1)
            .collect();
        for r in rs.iter_mut() {
            if let RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::RRSIG(sig)) = &r.data {
                let i = sig.input();
                let key = (r.name.to_lowercase().to_string(), i.type_covered);
                if balanced.contains(&&key) {
                    // Kept as a TXT record of what must match, in place of the RRSIG.
                    let what = format!("sig {} {} {}", i.type_covered, i.key_tag, i.num_labels);
                    r.data = RData::TXT(hickory_proto::rr::rdata::TXT::new(vec![what]));
                    r.ttl = 0;
                }
            }
        }
    }
    aside(&mut m.answers);
    aside(&mut m.authorities);
    aside(&mut m.additionals);
}

/// The corpus zones signed by rrdns with `denial` (extra `dnssec:` lines): complete as
/// BIND sees them, answered as NSD answers the same signed data, and validated.
fn corpus_signed_by_rrdns(label: &str, denial: &str) {
    let origins: Vec<&str> = ZONES.iter().map(|(o, _)| *o).collect();
    let k = keys(&origins, "ECDSAP256SHA256");
    let mut cfg =
        "listen: [\"127.0.0.1:{PORT}\"]\nadmin: \"127.0.0.1:{ADMIN}\"\nstate_dir: state\n\
defaults:\n  answers: 64\ntransfer:\n  allow: [\"127.0.0.1/32\"]\nzones:\n"
            .to_string();
    let mut files = Vec::new();
    for ((origin, file), (_, paths)) in ZONES.iter().zip(&k.keys) {
        let base = file.rsplit('/').next().unwrap();
        cfg += &format!("  - name: {origin}\n    file: {base}\n");
        cfg += &dnssec_block(paths, denial);
        files.push((base.to_string(), project_file(file)));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let ours = Server::start(&cfg, &refs);
    let (_, summary, err) = rrdns_check(&ours.path("rrdns.yaml"), &[]);
    assert!(summary.contains("dnssec signed by rrdns"), "{summary}{err}");
    assert_eq!(summary.matches(" IN DS ").count(), 3, "{summary}");
    let copies = tempfile::tempdir().unwrap();
    let mut served = Vec::new();
    for origin in &origins {
        let path = copies.path().join(format!("{origin}zone"));
        let text = axfr(ours.addr, origin, &path);
        assert!(text.contains("RRSIG"), "{text}");
        verify(origin, &path);
        served.push((origin.to_string(), path.display().to_string()));
    }
    let zones: Vec<(&str, &str)> = served
        .iter()
        .map(|(o, p)| (o.as_str(), p.as_str()))
        .collect();
    let nsd = Nsd::serve(&zones);
    let (diffs, signed) = differential(ours.addr, nsd.addr, label, online_signatures_aside);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    assert!(signed > 300, "{signed} signed answers");
    let on_ours = Resolver::validating(&k.anchors, &origins, ours.addr);
    let on_nsd = Resolver::validating(&k.anchors, &origins, nsd.addr);
    let (bad, secure) = validate_corpus(&on_ours, &on_nsd, true);
    assert_validated(label, &bad, secure, 200, &on_ours);
}

#[test]
fn zones_rrdns_signs_with_nsec_verify_and_validate() {
    corpus_signed_by_rrdns("NSEC", "");
}

#[test]
fn zones_rrdns_signs_with_nsec3_verify_and_validate() {
    corpus_signed_by_rrdns("NSEC3", "      nsec3: { iterations: 0, salt: \"\" }\n");
}

const ZONE: &str = "$TTL 300\n@ SOA ns hostmaster 41 3600 900 604800 60\n@ NS ns\nns A 127.0.0.53\n\
    www A 127.0.0.31\n A 127.0.0.32\n*.w A 127.0.0.41\nmail MX 10 www\n";

/// The SOA serial a server gives, and the expiration of the SOA's first RRSIG.
fn soa_state(server: SocketAddr) -> (u32, u32) {
    let r = Message::from_vec(
        &udp_exchange(
            server,
            &dnssec_query("s.test.", RecordType::SOA, 1232),
            Duration::from_secs(2),
        )
        .expect("an answer"),
    )
    .unwrap();
    let mut serial = 0;
    let mut expires = 0;
    for rec in &r.answers {
        match &rec.data {
            RData::SOA(s) => serial = s.serial,
            RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::RRSIG(sig)) => {
                expires = sig.input().sig_expiration.get()
            }
            _ => {}
        }
    }
    (serial, expires)
}

fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{what} within {secs} s");
}

/// Signatures valid for 3,610 s and renewed 1 h before they expire are renewed every
/// 10 s, with no reload: the serial goes up, the expiration moves on, a Knot secondary
/// is told by NOTIFY and transfers the new version, which BIND's `dnssec-verify` finds
/// complete, and answers through Knot and through rrdns validate.
#[test]
fn signatures_are_renewed_without_a_reload_and_reach_a_secondary() {
    let k = keys(&["s.test."], "ED25519");
    let port = free_port();
    let knot = Knot::start("s.test.", Role::Secondary { primary: port }, false);
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\n\
transfer:\n  allow: [\"127.0.0.1/32\"]\n  notify: [\"127.0.0.1:{}\"]\n\
zones:\n  - name: s.test.\n    file: s.zone\n{}",
        knot.port,
        dnssec_block(&k.keys[0].1, "      validity: 3610s\n      refresh: 1h\n")
    );
    let ours = Server::start_on(port, &cfg, &[("s.zone", ZONE)]);
    let knot_addr = SocketAddr::from(([127, 0, 0, 1], knot.port));
    let (serial, expires) = soa_state(ours.addr);
    assert_eq!(serial, 41, "the file's serial first");
    // Knot tried before rrdns was up; it is asked again rather than left to its retry timer.
    knot.ctl(&["zone-retransfer", "s.test."]);
    wait_for("a first transfer to Knot", 10, || {
        soa_state(knot_addr).0 == serial
    });
    wait_for("signatures renewed", 25, || {
        soa_state(ours.addr).0 == serial + 1
    });
    let (_, renewed) = soa_state(ours.addr);
    assert!(renewed > expires, "expiration {expires} → {renewed}");
    assert!(ours.log().contains("zone signed again"), "{}", ours.log());
    let (_, status) = ours.http("GET", "/status", None);
    assert!(status.contains("\"signed_by\": \"rrdns\""), "{status}");
    assert!(status.contains("\"resign_at\": "), "{status}");
    let (_, page) = ours.http("GET", "/", None);
    assert!(
        page.contains("signed by rrdns (NSEC), renewed in"),
        "{page}"
    );
    wait_for("Knot notified of the new serial", 10, || {
        soa_state(knot_addr).0 > serial
    });
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join("s.test.zone");
    axfr(knot_addr, "s.test.", &path);
    verify("s.test.", &path);
    for (addr, via) in [(ours.addr, "rrdns"), (knot_addr, "Knot")] {
        let unbound = Resolver::validating(&k.anchors, &["s.test."], addr);
        for (name, t) in [
            ("www.s.test.", RecordType::A),
            ("x.w.s.test.", RecordType::A),
            ("mail.s.test.", RecordType::MX),
            ("nope.s.test.", RecordType::A),
            ("www.s.test.", RecordType::TXT),
        ] {
            let (rcode, ad) = validated(&unbound, name, t);
            assert!(
                ad && rcode != 2,
                "{name} {t} through {via}: rcode {rcode} AD={ad}\n{}",
                unbound.log()
            );
        }
    }
}

/// rrdns as the secondary of a Knot primary that does not sign: with `dnssec.keys` the
/// received zone is signed here (NSEC3 with a salt and iterations, which are allowed
/// though RFC 9276 advises against them), validates, and a change at the primary (NOTIFY) is
/// transferred and signed too; the serial served is the primary's while it is newer.
#[test]
fn a_zone_received_unsigned_is_signed_by_rrdns() {
    let k = keys(&["s.test."], "ECDSAP256SHA256");
    let port = free_port();
    let knot = Knot::start(
        "s.test.",
        Role::Primary {
            zone_text: ZONE,
            notify: port,
        },
        false,
    );
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\n\
transfer:\n  allow: [\"127.0.0.1/32\"]\n\
zones:\n  - name: s.test.\n    primaries: [\"127.0.0.1:{}\"]\n{}",
        knot.port,
        dnssec_block(
            &k.keys[0].1,
            "      nsec3: { iterations: 3, salt: \"ab12\" }\n"
        )
    );
    let ours = Server::start_on(port, &cfg, &[]);
    wait_for("the first transfer", 10, || soa_state(ours.addr).0 == 41);
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join("s.test.zone");
    let text = axfr(ours.addr, "s.test.", &path);
    assert!(text.contains("NSEC3PARAM 1 0 3 AB12"), "{text}");
    verify("s.test.", &path);
    let unbound = Resolver::validating_uncached(&k.anchors, &["s.test."], ours.addr);
    let (rcode, ad) = validated(&unbound, "www.s.test.", RecordType::A);
    assert!(ad && rcode == 0, "rcode {rcode} AD={ad}\n{}", unbound.log());
    knot.update(
        "s.test.",
        &ZONE
            .replace(" 41 ", " 42 ")
            .replace("mail MX", "new A 127.0.0.77\nmail MX"),
    );
    wait_for("the change transferred", 10, || {
        soa_state(ours.addr).0 == 42
    });
    let (rcode, ad) = validated(&unbound, "new.s.test.", RecordType::A);
    assert!(ad && rcode == 0, "rcode {rcode} AD={ad}\n{}", unbound.log());
    let (rcode, ad) = validated(&unbound, "gone.s.test.", RecordType::A);
    assert!(
        ad && rcode == 3,
        "a proven NXDOMAIN: rcode {rcode} AD={ad}\n{}",
        unbound.log()
    );
    axfr(ours.addr, "s.test.", &path);
    verify("s.test.", &path);
}
