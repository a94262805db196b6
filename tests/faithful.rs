//! Zone data served as written: TXT and HINFO octet for octet as BIND reads them, the
//! 255-octet limit of a string, each record of a CNAME loop sent once, glue that only a
//! wildcard covers, and QCLASS ANY. BIND's `named-checkzone -D` is the oracle for what
//! the file means; NSD, serving the same file, for what the answers are.

mod common;

use common::nsd::Nsd;
use common::*;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, Record, RecordType};
use std::process::Command;
use std::time::Duration;

const ZONE: (&str, &str) = ("faithful.test.", "tests/fixtures/faithful.test.zone");

fn rrdns() -> Server {
    let extra = "transfer:\n  allow: [\"127.0.0.1/32\"]\n";
    serve_project_zones(&[ZONE], extra)
}

/// A zone-file line in one form: fields separated by one space.
fn fields(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// BIND's reading of the fixture, one record per line, sorted.
fn bind_reading() -> Vec<String> {
    let out = Command::new("named-checkzone")
        .args(["-D", "-o", "-", ZONE.0])
        .arg(root().join(ZONE.1))
        .output()
        .expect("named-checkzone is installed (apt-get install bind9-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("zone ") && *l != "OK")
        .map(fields)
        .collect();
    lines.sort();
    lines
}

#[test]
fn axfr_of_every_record_reads_as_bind_reads_the_file() {
    let s = rrdns();
    let out = s.dig(&["AXFR", ZONE.0, "+noall", "+answer"]);
    let mut got: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .map(fields)
        .collect();
    got.sort();
    // AXFR closes with the SOA again (RFC 5936 §2.2).
    let soa = got
        .iter()
        .position(|l| l.contains(" SOA "))
        .expect("an SOA");
    got.remove(soa);
    assert_eq!(got, bind_reading());
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
    let nsd = Nsd::serve(&[ZONE]);
    let s = rrdns();
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
            rest.iter()
                .all(|r| r.contains(" in ns ") || r.starts_with("ns1.faithful.test. "))
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
