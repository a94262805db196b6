//! Balanced answers in signed zones, signed online with the zone's key (`dnssec.keys`):
//! a zone signed by BIND's `dnssec-signzone` (or by rrdns at load) with keys from `dnssec-keygen`, a pool with
//! a real health check on 127.0.0.x, a drain that is lifted half way, and every answer
//! checked twice: directly (only healthy, undrained addresses; one RRSIG by the zone's
//! ZSK with the served TTL as its original TTL) and through a validating Unbound that
//! asks again for every query (secure, never bogus). For ECDSA P-256, Ed25519 and
//! RSA/SHA-256 keys and for `sample`, `duplicate` and `spread` weighting.

mod common;

use common::signing::{Denial, keys, sign_with};
use common::*;
use hickory_proto::op::Message;
use hickory_proto::rr::{RData, RecordType};
use std::collections::BTreeSet;
use std::time::Duration;

const ZONE: &str = "$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 60\n@ NS ns\nns A 127.0.0.53\n\
    www A 127.0.0.31\n A 127.0.0.32\n A 127.0.0.33\n A 127.0.0.34\n\
    *.w A 127.0.0.41\n A 127.0.0.42\n A 127.0.0.43\n";

/// The RRSIGs over A in an answer: (key tag, labels, original TTL).
fn a_signatures(r: &Message) -> Vec<(u16, u8, u32)> {
    (r.answers.iter())
        .filter_map(|rec| match &rec.data {
            RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::RRSIG(sig))
                if sig.input().type_covered == RecordType::A =>
            {
                let i = sig.input();
                Some((i.key_tag, i.num_labels, i.original_ttl))
            }
            _ => None,
        })
        .collect()
}

/// The key tag in a dnssec-keygen file name (`K<zone>+<alg>+<tag>.private`).
fn tag_of(path: &std::path::Path) -> u16 {
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    name.rsplit('+').next().unwrap().parse().unwrap()
}

/// With `presigned`, the zone is signed by `dnssec-signzone`; without, rrdns signs it.
fn answers_are_signed_online(algorithm: &str, pool: &str, presigned: bool) {
    let s = if presigned {
        sign_with(&[("f.test.", ZONE)], Denial::Nsec, algorithm)
    } else {
        let k = keys(&["f.test."], algorithm);
        common::signing::Signed {
            zones: vec![],
            anchors: k.anchors,
            keys: k.keys,
            dir: k.dir,
        }
    };
    let signed_text = match s.zones.first() {
        Some((_, file)) => std::fs::read_to_string(file).unwrap(),
        None => ZONE.to_string(),
    };
    let keys = &s.keys[0].1;
    let zsk = tag_of(&keys[0]);
    let (port, _backends) =
        common::backend::backends(&["127.0.0.31", "127.0.0.32", "127.0.0.33"], None);
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\n\
zones:\n  - name: f.test.\n    file: f.zone\n    dnssec:\n      keys: [\"{}\", \"{}\"]\n\
pools:\n  www.f.test.:\n    check: web\n{pool}\
checks:\n  web: {{ type: http, port: {port}, path: /health, interval: 1s, timeout: 300ms, rise: 1, fall: 1 }}\n",
        keys[0].display(),
        keys[1].display()
    );
    let ours = Server::start(&cfg, &[("f.zone", &signed_text)]);
    let (code, _) = ours.http("POST", "/api/backends/127.0.0.32/drain", None);
    assert_eq!(code, 200);
    // Two check intervals: .34, which has no server, is down by now.
    std::thread::sleep(Duration::from_millis(2500));
    let unbound =
        common::resolver::Resolver::validating_uncached(&s.anchors, &["f.test."], ours.addr);
    let mut seen = BTreeSet::new();
    for (phase, allowed) in [
        (0, &["127.0.0.31", "127.0.0.33"][..]),
        (1, &["127.0.0.31", "127.0.0.32", "127.0.0.33"][..]),
    ] {
        if phase == 1 {
            let (code, _) = ours.http("DELETE", "/api/backends/127.0.0.32/drain", None);
            assert_eq!(code, 200);
        }
        let allowed: BTreeSet<String> = allowed.iter().map(|a| a.to_string()).collect();
        for i in 0..100 {
            let q = common::query_message("www.f.test.", RecordType::A, Some(1232));
            let mut q = q;
            q.edns.as_mut().unwrap().enable_dnssec();
            let r = udp_exchange(ours.addr, &q.to_vec().unwrap(), Duration::from_secs(2))
                .expect("an answer");
            let r = Message::from_vec(&r).unwrap();
            let served = a_set(&r);
            assert!(
                !served.is_empty() && served.iter().all(|a| allowed.contains(a)),
                "{algorithm} phase {phase} answer {i}: {served:?} is not within {allowed:?}"
            );
            seen.extend(served);
            let ttl = r.answers[0].ttl;
            assert_eq!(
                a_signatures(&r),
                vec![(zsk, 3, ttl)],
                "{algorithm} answer {i}: one signature by the ZSK {zsk} over the served TTL"
            );
            let v = unbound.ask_validated("www.f.test.", RecordType::A);
            let through = a_set(&v);
            assert!(
                v.response_code == hickory_proto::op::ResponseCode::NoError
                    && v.authentic_data
                    && !through.is_empty()
                    && through.iter().all(|a| allowed.contains(a)),
                "{algorithm} phase {phase} answer {i} through Unbound: {:?} AD={} {through:?}\n{}",
                v.response_code,
                v.authentic_data,
                unbound.log()
            );
        }
    }
    assert!(
        seen.contains("127.0.0.32"),
        "the undrained address is served again: {seen:?}"
    );
    // A wildcard's balanced set is signed as the wildcard (RFC 4035 §5.3.2).
    for name in ["a.w.f.test.", "b.c.w.f.test."] {
        let v = unbound.ask_validated(name, RecordType::A);
        assert!(
            v.authentic_data && a_set(&v).len() == 3,
            "{name} through Unbound: {:?} AD={}\n{}",
            v.response_code,
            v.authentic_data,
            unbound.log()
        );
    }
    // `rrdns check` names the signing key and gives the parent's DS as BIND does.
    let (ok, text, _) = rrdns_check(&ours.path("rrdns.yaml"), &[]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("balanced answers signed online with key {zsk}")),
        "{text}"
    );
    let ksk = keys[1].with_extension("key");
    let ds = std::process::Command::new("dnssec-dsfromkey")
        .args(["-2"])
        .arg(&ksk)
        .output()
        .unwrap();
    let ds = String::from_utf8_lossy(&ds.stdout);
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.lines().any(|l| words(l) == words(&ds)),
        "the DS {ds} is not in:\n{text}"
    );
    let (_, status) = ours.http("GET", "/status", None);
    assert!(!status.contains("\"served_whole\": true"), "{status}");
    let (_, metrics) = ours.http("GET", "/metrics", None);
    assert!(
        metrics.contains("rrdns_dnssec_signatures_total{zone=\"f.test.\",reused=\"false\"}"),
        "{metrics}"
    );
}

#[test]
fn ecdsa_signed_samples_validate() {
    answers_are_signed_online(
        "ECDSAP256SHA256",
        "    weighting: sample\n    answers: 1\n",
        true,
    );
}

#[test]
fn ed25519_signed_duplicates_validate() {
    answers_are_signed_online(
        "ED25519",
        "    weighting: duplicate\n    weights: { \"127.0.0.31\": 3 }\n",
        true,
    );
}

#[test]
fn rsa_signed_spreads_validate() {
    answers_are_signed_online(
        "RSASHA256",
        "    weighting: spread\n    answers: 2\n    weights: { \"127.0.0.33\": 2 }\n",
        true,
    );
}

/// The same with the zone signed by rrdns at load (no `dnssec-signzone`): health, a
/// drain and `sample` change the answers, and each validates.
#[test]
fn balanced_answers_in_a_zone_rrdns_signs_validate() {
    answers_are_signed_online(
        "ECDSAP256SHA256",
        "    weighting: sample\n    answers: 2\n",
        false,
    );
}

/// Runs `rrdns check` on `config` (with the zone file beside it): exit status and output.
fn check(config: &str, zone: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.zone"), zone).unwrap();
    std::fs::write(dir.path().join("rrdns.yaml"), config).unwrap();
    let (ok, out, err) = rrdns_check(&dir.path().join("rrdns.yaml"), &[]);
    (ok, out + &err)
}

/// A key that cannot be read, a key of another zone and a bad duration are errors at
/// the zone's `dnssec` line; a key the zone does not publish is a warning, and the
/// zone's balanced names are then served whole.
#[test]
fn key_mistakes_are_reported_at_their_line() {
    let s = sign_with(&[("f.test.", ZONE)], Denial::Nsec, "ECDSAP256SHA256");
    let other = sign_with(&[("g.test.", ZONE)], Denial::Nsec, "ECDSAP256SHA256");
    let stray = sign_with(&[("f.test.", ZONE)], Denial::Nsec, "ECDSAP256SHA256");
    let signed = std::fs::read_to_string(&s.zones[0].1).unwrap();
    let config = |keys: &str, more: &str| {
        format!(
            "zones:\n  - name: f.test.\n    file: f.zone\n    dnssec:\n      keys: [{keys}]\n{more}"
        )
    };
    let (ok, text) = check(&config("\"nowhere/Kf.test.+013+1.private\"", ""), &signed);
    assert!(!ok, "{text}");
    assert!(
        text.contains("rrdns.yaml:5: zone f.test.: dnssec key: cannot read")
            && text.contains("Kf.test.+013+1.private"),
        "{text}"
    );
    let g = other.keys[0].1[0].display().to_string();
    let (ok, text) = check(&config(&format!("\"{g}\""), ""), &signed);
    assert!(!ok && text.contains("belongs to g.test."), "{text}");
    let f = s.keys[0].1[0].display().to_string();
    let (ok, text) = check(&config(&format!("\"{f}\""), "      refresh: 9d\n"), &signed);
    assert!(
        !ok && text.contains("refresh must be at least 1h and less than validity"),
        "{text}"
    );
    // The effective configuration keeps the keys and reads back the same.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.zone"), &signed).unwrap();
    let cfg = config(&format!("\"{f}\""), "      validity: 3d\n");
    std::fs::write(dir.path().join("rrdns.yaml"), cfg).unwrap();
    let print = |path: &std::path::Path| {
        let (ok, out, err) = rrdns_check(path, &["--print"]);
        assert!(ok, "{err}");
        // Without the first line, a comment that names the file.
        out.split_once('\n').unwrap().1.to_string()
    };
    let printed = print(&dir.path().join("rrdns.yaml"));
    assert!(
        printed.contains(&f) && printed.contains("validity: 259200s"),
        "{printed}"
    );
    std::fs::write(dir.path().join("again.yaml"), &printed).unwrap();
    assert_eq!(print(&dir.path().join("again.yaml")), printed);
    let unpublished = stray.keys[0].1[0].display().to_string();
    let (ok, text) = check(&config(&format!("\"{unpublished}\""), ""), &signed);
    assert!(ok, "{text}");
    assert!(
        text.contains("is not in the zone's DNSKEY RRset") && text.contains("served whole"),
        "{text}"
    );
}

/// A signed zone transferred from a **Knot primary** (which serves it as signed by
/// `dnssec-signzone`): without a key its balanced name is served whole and validates;
/// with the zone's keys rrdns serves only the healthy address and signs that, and it
/// validates too.
#[test]
fn a_signed_zone_from_a_knot_primary_validates_with_and_without_a_key() {
    use common::knot::{Knot, Role};
    let s = sign_with(&[("f.test.", ZONE)], Denial::Nsec3, "ECDSAP256SHA256");
    let signed = std::fs::read_to_string(&s.zones[0].1).unwrap();
    let knot = Knot::start(
        "f.test.",
        Role::Primary {
            zone_text: &signed,
            notify: free_port(),
        },
        false,
    );
    let (port, _backend) = common::backend::backends(&["127.0.0.31"], None);
    let keys = &s.keys[0].1;
    for with_key in [false, true] {
        let dnssec = if with_key {
            format!(
                "    dnssec: {{ keys: [\"{}\", \"{}\"] }}\n",
                keys[0].display(),
                keys[1].display()
            )
        } else {
            String::new()
        };
        let cfg = format!(
            "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\n\
zones:\n  - name: f.test.\n    primaries: [\"127.0.0.1:{}\"]\n{dnssec}\
pools:\n  www.f.test.:\n    check: web\n    weighting: sample\n    answers: 2\n\
checks:\n  web: {{ type: http, port: {port}, path: /health, interval: 1s, timeout: 300ms, rise: 1, fall: 1 }}\n",
            knot.port
        );
        let ours = Server::start(&cfg, &[]);
        let loaded = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            !ours.udp("f.test.", RecordType::SOA).answers.is_empty()
        });
        assert!(
            loaded,
            "the zone was transferred:\n{}\n{}",
            ours.log(),
            knot.log()
        );
        // Two check intervals: the three addresses without a server are down.
        std::thread::sleep(Duration::from_millis(2500));
        let unbound =
            common::resolver::Resolver::validating_uncached(&s.anchors, &["f.test."], ours.addr);
        let want: Vec<String> = if with_key {
            vec!["127.0.0.31".to_string()]
        } else {
            (31..=34).map(|i| format!("127.0.0.{i}")).collect()
        };
        for i in 0..100 {
            let v = unbound.ask_validated("www.f.test.", RecordType::A);
            assert!(
                v.authentic_data && a_set(&v) == want,
                "with key {with_key}, answer {i}: {:?} AD={} {:?}\n{}",
                v.response_code,
                v.authentic_data,
                a_set(&v),
                unbound.log()
            );
        }
        // A name that does not exist: proven by NSEC3 from the transferred chain.
        let v = unbound.ask_validated("nothere.f.test.", RecordType::A);
        assert!(
            v.authentic_data && v.response_code == hickory_proto::op::ResponseCode::NXDomain,
            "{:?} AD={}",
            v.response_code,
            v.authentic_data
        );
    }
}
