//! Zone data served as written: TXT and HINFO octet for octet as BIND reads them, the
//! 255-octet limit of a string, every type BIND reads (old, DNSSEC and recent ones),
//! DNAME, each record of a CNAME loop sent once, glue that only a wildcard covers, and
//! QCLASS ANY. BIND's `named-checkzone -D` is the oracle for what a file means; NSD,
//! serving the same file, for what the answers are.

mod common;

use common::bind::{assert_same_records, axfr, bind_reading};
use common::knot::{Knot, Role};
use common::nsd::{self, Nsd};
use common::*;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, Record, RecordType};
use std::process::Command;
use std::time::Duration;

const ZONE: (&str, &str) = ("faithful.test.", "tests/fixtures/faithful.test.zone");
const TYPES: (&str, &str) = ("types.test.", "tests/fixtures/types.test.zone");

fn rrdns() -> Server {
    let extra = "transfer:\n  allow: [\"127.0.0.1/32\"]\n";
    serve_project_zones(&[ZONE, TYPES], extra)
}

/// Regression: 51 type mnemonics that BIND reads were unknown to rrdns, DNSSEC types in
/// text, quoted SvcParams and DNAME were refused, and RRSIG/NSEC beside a CNAME was
/// "CNAME and other data".
#[test]
fn axfr_of_every_record_reads_as_bind_reads_the_file() {
    let s = rrdns();
    for zone in [ZONE, TYPES] {
        assert_same_records(&axfr(&s, zone.0), &bind_reading(zone), zone.0);
    }
}

/// Every section as a sorted list (repeats kept) of `name TTL class type data`.
fn sections(m: &Message) -> [Vec<String>; 3] {
    let list = |rs: &[Record]| {
        let mut v: Vec<String> = rs.iter().map(|r| r.to_string().to_lowercase()).collect();
        v.sort();
        v
    };
    [list(&m.answers), list(&m.authorities), list(&m.additionals)]
}

fn ask(addr: std::net::SocketAddr, name: &str, t: RecordType, class: DNSClass) -> Message {
    let mut m = Message::new(0x5151, MessageType::Query, OpCode::Query);
    let mut q = Query::query(Name::from_ascii(name).unwrap(), t);
    q.set_query_class(class);
    m.add_query(q);
    let bytes = udp_exchange(addr, &m.to_vec().unwrap(), Duration::from_secs(2))
        .unwrap_or_else(|| panic!("no answer to {name} {t} from {addr}"));
    Message::from_vec(&bytes).unwrap()
}

#[test]
fn answers_are_nsds_record_for_record() {
    // NSD 4.6 does not know 16 of the types: it gets the file without them.
    let (_dir, path) = nsd::readable_copy(TYPES.1);
    let nsd = Nsd::serve(&[ZONE, (TYPES.0, path.as_str())]);
    let s = rrdns();
    // 255 octets in all: with d2 for d, one too many (YXDOMAIN, RFC 6672 §2.2).
    let long = format!(
        "{}.{}.d.types.test.",
        vec!["a".repeat(63); 3].join("."),
        "b".repeat(48)
    );
    let questions = [
        ("esc.faithful.test.", RecordType::TXT, DNSClass::IN),
        ("max.faithful.test.", RecordType::TXT, DNSClass::IN),
        ("dkim.faithful.test.", RecordType::TXT, DNSClass::IN),
        ("hinfo.faithful.test.", RecordType::HINFO, DNSClass::IN),
        // Regression: a loop was cut after 8 hops with each CNAME sent three times.
        ("loop-a.faithful.test.", RecordType::A, DNSClass::IN),
        ("self.faithful.test.", RecordType::TXT, DNSClass::IN),
        // Regression: the referral lacked the address of ns.wild, covered by *.wild.
        ("host.deleg.faithful.test.", RecordType::A, DNSClass::IN),
        ("mxw.faithful.test.", RecordType::MX, DNSClass::IN),
        // Regression: QCLASS ANY was REFUSED; it gets the IN data (RFC 1035 §3.2.5).
        ("ns1.faithful.test.", RecordType::A, DNSClass::ANY),
        ("esc.faithful.test.", RecordType::TXT, DNSClass::ANY),
        ("nope.faithful.test.", RecordType::A, DNSClass::ANY),
        // Regression: DNAME was refused at load (RFC 6672): the DNAME, a synthesised
        // CNAME, and the target's data when it is in the zone.
        ("x.d.types.test.", RecordType::A, DNSClass::IN),
        ("nope.d.types.test.", RecordType::A, DNSClass::IN),
        ("a.b.out.types.test.", RecordType::A, DNSClass::IN),
        ("d.types.test.", RecordType::DNAME, DNSClass::IN),
        ("d.types.test.", RecordType::A, DNSClass::IN),
        (long.as_str(), RecordType::A, DNSClass::IN),
        // RRSIG and NSEC beside a CNAME (RFC 4035 §2.5).
        ("alias.types.test.", RecordType::A, DNSClass::IN),
        ("alias.types.test.", RecordType::RRSIG, DNSClass::IN),
        ("rp.types.test.", RecordType::Unknown(17), DNSClass::IN),
        ("loc.types.test.", RecordType::Unknown(29), DNSClass::IN),
        ("dnskey.types.test.", RecordType::DNSKEY, DNSClass::IN),
        // Regression: quoted SvcParam values, ech= and dohpath= were refused.
        ("https.types.test.", RecordType::HTTPS, DNSClass::IN),
        ("doh.types.test.", RecordType::SVCB, DNSClass::IN),
    ];
    let mut diffs = Vec::new();
    for (name, t, class) in questions {
        let (ours, theirs) = (ask(s.addr, name, t, class), ask(nsd.addr, name, t, class));
        let what = format!("{name} {t} {class}");
        let head = |m: &Message| (m.response_code, m.authoritative, m.truncation);
        if head(&ours) != head(&theirs) {
            diffs.push(format!(
                "{what}: {:?} vs NSD {:?}",
                head(&ours),
                head(&theirs)
            ));
        }
        // NSD adds the zone's NS RRset and its addresses to positive answers; Knot does
        // not, and both are correct (as in tests/differential.rs).
        let [oa, oau, oad] = sections(&ours);
        let [ta, tau, tad] = sections(&theirs);
        let positive = !ta.is_empty() && theirs.response_code == ResponseCode::NoError;
        let extra_ns_only = |o: &[String], t: &[String]| {
            let mut rest = t.to_vec();
            for r in o {
                match rest.iter().position(|x| x == r) {
                    Some(i) => drop(rest.remove(i)),
                    None => return false,
                }
            }
            let glue = |r: &String| {
                r.starts_with("ns1.faithful.test. ") || r.starts_with("ns1.types.test. ")
            };
            rest.iter().all(|r| r.contains(" in ns ") || glue(r))
        };
        let same = oa == ta
            && (oau == tau || (positive && extra_ns_only(&oau, &tau)))
            && (oad == tad || (positive && extra_ns_only(&oad, &tad)));
        if !same {
            diffs.push(format!(
                "{what}:\n  rrdns {:?}\n  NSD   {:?}",
                sections(&ours),
                sections(&theirs)
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn txt_octets_are_exact() {
    let s = rrdns();
    let m = ask(s.addr, "esc.faithful.test.", RecordType::TXT, DNSClass::IN);
    let mut got: Vec<Vec<Vec<u8>>> = m
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            hickory_proto::rr::RData::TXT(t) => {
                Some(t.txt_data.iter().map(|s| s.to_vec()).collect())
            }
            _ => None,
        })
        .collect();
    got.sort();
    let mut want: Vec<Vec<Vec<u8>>> = vec![
        vec![b"foo bar".to_vec()],
        vec![vec![195, 133]],
        vec![b"foo bar".to_vec()],
        vec![
            b"say \"hi\"".to_vec(),
            b"semi;colon".to_vec(),
            b"back\\slash".to_vec(),
        ],
        vec!["café".as_bytes().to_vec(), vec![]],
        vec![vec![0, 255]],
    ];
    want.sort();
    want.dedup(); // "foo\032bar" and foo\ bar are one record (RFC 2181 §5)
    assert_eq!(got, want);
}

/// Regression: a 256-octet string passed `check`, then its name answered nothing and
/// AXFR of the zone failed. BIND refuses it; so does rrdns, at its line.
#[test]
fn a_string_over_255_octets_is_refused_at_its_line_as_bind_refuses_it() {
    let d = tempfile::tempdir().unwrap();
    let zone = format!(
        "$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nok TXT \"{}\"\nbad TXT \"{}\"\n",
        "x".repeat(255),
        "x".repeat(256)
    );
    let path = d.path().join("z.zone");
    std::fs::write(&path, zone).unwrap();
    std::fs::write(
        d.path().join("rrdns.yaml"),
        "zones:\n  - name: z.test.\n    file: z.zone\n",
    )
    .unwrap();
    let bind = Command::new("named-checkzone")
        .args(["z.test"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!bind.status.success(), "BIND refuses it too");
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["check", "-c"])
        .arg(d.path().join("rrdns.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line6 = format!("{}:6: ", path.display());
    assert!(err.contains(&line6) && err.contains("256 octets"), "{err}");
    assert!(!err.contains(":5: "), "the 255-octet string loads: {err}");
}

/// A secondary must load what its primary sends: the zone of every type that Knot 3.2
/// reads (it knows none of MB MG MR X25 ISDN NSAP NSAP-PTR PX GPOS NINFO RESINFO WALLET
/// AVC TA DLV HIP EID NIMLOC SINK RKEY TALINK A6 AMTRELAY DOA ATMA NULL, reads no WKS,
/// nor an escaped alpn or dohpath), transferred from a Knot primary, is served out again
/// exactly as BIND reads the same file, and again from the copy saved on disk after a
/// restart. Regression: a record with empty RDATA (`TYPE65000 \# 0`) failed the whole
/// transfer ("unexpected record with length 0"). (Knot serves an RRSIG with its original TTL; the
/// fixture's signatures have that TTL, so the three agree.)
#[test]
fn a_secondary_loads_every_type_a_knot_primary_sends() {
    // The types, and the owners of the SvcParams, that Knot cannot read.
    let unknown_to_knot = [
        "MB", "MG", "MR", "X25", "ISDN", "NSAP", "NSAP-PTR", "PX", "GPOS", "NINFO", "RESINFO",
        "WALLET", "AVC", "TA", "DLV", "HIP", "WKS", "EID", "NIMLOC", "SINK", "RKEY", "TALINK",
        "A6", "AMTRELAY", "DOA", "ATMA", "NULL", "NXT", "DSYNC", "HHIT", "BRID", "UNSPEC",
        "KEYDATA", "svc", "doh", "txthash",
    ];
    let (_dir, file, text) = zone_without(TYPES.1, &unknown_to_knot);
    let port = free_port();
    let role = Role::Primary {
        zone_text: &text,
        notify: port,
    };
    let knot = Knot::start(TYPES.0, role, false);
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nstate_dir: state\nzones:\n  - name: {}\n    primaries: [\"127.0.0.1:{}\"]\ntransfer:\n  allow: [\"127.0.0.1/32\"]\n",
        TYPES.0, knot.port
    );
    let s = Server::start_on(port, &cfg, &[]);
    let t = std::time::Instant::now();
    while s.udp(TYPES.0, RecordType::SOA).response_code != ResponseCode::NoError {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no transfer; log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = axfr(&s, TYPES.0);
    let what = format!("received from Knot; log:\n{}", s.log());
    assert_same_records(&got, &bind_reading((TYPES.0, &file)), &what);
    // The copy saved on disk is served the same after a restart, with no primary.
    drop(knot);
    let (dir, cfg) = s.stop();
    let s = Server::spawn(dir, cfg);
    let what = format!("restarted from its saved copy; log:\n{}", s.log());
    assert_same_records(&axfr(&s, TYPES.0), &bind_reading((TYPES.0, &file)), &what);
}

/// Runs a BIND tool in `dir`, failing the test with its output when it fails.
fn bind_tool(dir: &std::path::Path, tool: &str, args: &[&str]) {
    let out = Command::new(tool)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is installed (apt-get install bind9-utils): {e}"));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?}: {text}");
}

/// A zone signed by BIND's `dnssec-signzone` with NSEC3: read as BIND reads it, and
/// (regression) an NSEC3 owner name answers NXDOMAIN as if it did not exist (RFC 5155
/// §7.2.8), as NSD answers, where rrdns answered NODATA.
#[test]
fn a_zone_signed_with_nsec3_reads_and_answers_as_peers_do() {
    let d = tempfile::tempdir().unwrap();
    let zone = "$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n";
    std::fs::write(d.path().join("s.zone"), zone).unwrap();
    for flags in [&["-f", "KSK"][..], &[]] {
        let mut args = flags.to_vec();
        args.extend(["-q", "-a", "ECDSAP256SHA256", "-K", ".", "signed.test"]);
        bind_tool(d.path(), "dnssec-keygen", &args);
    }
    let sign = [
        "-S",
        "-K",
        ".",
        "-3",
        "-",
        "-o",
        "signed.test",
        "-f",
        "s.signed",
        "s.zone",
    ];
    bind_tool(d.path(), "dnssec-signzone", &sign);
    let path = d.path().join("s.signed").display().to_string();
    let signed = ("signed.test.", path.as_str());
    // Every RRSIG, NSEC3, NSEC3PARAM and DNSKEY record as BIND reads them.
    let extra = "transfer:\n  allow: [\"127.0.0.1/32\"]\n";
    let s = serve_project_zones(&[signed], extra);
    let got = axfr(&s, signed.0);
    assert_same_records(&got, &bind_reading(signed), signed.0);
    // The hashed owner names, and the answers NSD gives for them.
    let owners: Vec<String> = (got.iter())
        .filter(|l| l.split(' ').nth(3) == Some("NSEC3"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert!(owners.len() >= 3, "{got:?}");
    let nsd = Nsd::serve(&[signed]);
    for owner in &owners {
        for t in [RecordType::A, RecordType::NSEC3, RecordType::TXT] {
            let (ours, theirs) = (
                ask(s.addr, owner, t, DNSClass::IN),
                ask(nsd.addr, owner, t, DNSClass::IN),
            );
            assert_eq!(ours.response_code, ResponseCode::NXDomain, "{owner} {t}");
            let head = |m: &Message| (m.response_code, m.authoritative, sections(m)[0].clone());
            assert_eq!(head(&ours), head(&theirs), "{owner} {t}");
        }
    }
}
