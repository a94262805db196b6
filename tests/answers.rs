//! The real binary on loopback, queried with `dig` and with a DNS library: flags, rcodes,
//! EDNS, truncation, TCP pipelining, ANY, CHAOS, case echo, shuffling.

mod common;

use common::*;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use std::collections::HashSet;
use std::net::TcpStream;
use std::time::Duration;

fn example() -> Server {
    let zone = project_file("zones/example.test.zone");
    let net = project_file("tests/fixtures/example.net.zone");
    Server::start(
        &config_for(
            &[
                ("example.test.", "example.test.zone"),
                ("example.net.", "example.net.zone"),
            ],
            "",
        ),
        &[("example.test.zone", &zone), ("example.net.zone", &net)],
    )
}

fn addrs(m: &hickory_proto::op::Message) -> Vec<String> {
    m.answers
        .iter()
        .filter(|r| matches!(r.data, RData::A(_) | RData::AAAA(_)))
        .map(|r| r.data.to_string())
        .collect()
}

#[test]
fn dig_sees_a_weighted_shuffled_round_robin_with_capped_ttl() {
    let s = example();
    let out = s.dig(&["www.example.test", "A", "+norec"]);
    assert!(out.contains("status: NOERROR"), "{out}");
    assert!(out.contains("flags: qr aa;"), "AA set, RA/RD not: {out}");
    // 192.0.2.10 is written twice in the zone: weight 2 in duplicate mode.
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("www.example.test."))
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(
        lines.iter().filter(|l| l.ends_with("192.0.2.10")).count(),
        2,
        "{out}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.split_whitespace().nth(1) == Some("30")),
        "TTL capped at 30: {out}"
    );
}

#[test]
fn order_is_fresh_per_response_over_udp_and_tcp() {
    let s = example();
    let udp: HashSet<Vec<String>> = (0..60)
        .map(|_| addrs(&s.udp("www.example.test.", RecordType::A)))
        .collect();
    let tcp: HashSet<Vec<String>> = (0..60)
        .map(|_| addrs(&s.tcp("www.example.test.", RecordType::A)))
        .collect();
    assert!(udp.len() >= 4, "UDP orders seen: {udp:?}");
    assert!(tcp.len() >= 4, "TCP orders seen: {tcp:?}");
}

#[test]
fn negative_answers_carry_the_soa_with_negative_ttl() {
    let s = example();
    let out = s.dig(&["nope.example.test", "A"]);
    assert!(out.contains("status: NXDOMAIN"), "{out}");
    assert!(out.contains("example.test.\t\t60\tIN\tSOA"), "{out}");
    let m = s.udp("www.example.test.", RecordType::MX);
    assert_eq!(m.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    assert_eq!(m.authorities[0].ttl, 60);
}

#[test]
fn other_zones_are_refused_and_recursion_is_never_offered() {
    let s = example();
    let m = s.udp("www.example.com.", RecordType::A);
    assert_eq!(m.response_code, ResponseCode::Refused);
    assert!(!m.recursion_available && !m.authoritative);
    let out = s.dig(&["www.example.org", "+rec"]);
    assert!(out.contains("status: REFUSED"), "{out}");
    assert!(
        out.contains("recursion requested but not available"),
        "{out}"
    );
}

#[test]
fn edns_version_above_zero_gets_badvers() {
    let s = example();
    let out = s.dig(&["+edns=1", "+noednsneg", "www.example.test"]);
    assert!(out.contains("status: BADVERS"), "{out}");
    assert!(out.contains("EDNS: version: 0"), "{out}");
}

#[test]
fn question_case_is_echoed() {
    let s = example();
    let out = s.dig(&["WwW.ExAmPlE.TeSt", "A"]);
    assert!(out.contains(";WwW.ExAmPlE.TeSt.\t\tIN\tA"), "{out}");
}

#[test]
fn large_udp_answers_are_truncated_with_opt_kept_and_whole_over_tcp() {
    let s = example();
    let m = s.udp_edns("big.example.net.", RecordType::TXT, Some(4096));
    assert!(
        m.truncation,
        "1232-byte cap applies even when 4096 is offered"
    );
    assert!(m.edns.is_some(), "OPT kept in truncated answer");
    assert!(m.answers.is_empty());
    let m = s.udp_edns("big.example.net.", RecordType::TXT, None);
    assert!(m.truncation && m.edns.is_none());
    let m = s.tcp("big.example.net.", RecordType::TXT);
    assert!(!m.truncation);
    assert_eq!(m.answers.len(), 10);
    let out = s.dig(&["big.example.net", "TXT"]);
    assert!(out.contains("Truncated, retrying in TCP mode"), "{out}");
    assert!(out.contains("ANSWER: 10"), "{out}");
}

#[test]
fn any_gets_one_rrset_over_udp_and_all_over_tcp() {
    let s = example();
    let m = s.udp("example.test.", RecordType::ANY);
    let types: HashSet<RecordType> = m.answers.iter().map(|r| r.record_type()).collect();
    assert_eq!(types.len(), 1, "RFC 8482: one RRset over UDP");
    let m = s.tcp("example.test.", RecordType::ANY);
    let types: HashSet<RecordType> = m.answers.iter().map(|r| r.record_type()).collect();
    assert!(types.len() >= 5, "{types:?}");
}

#[test]
fn chaos_version_bind() {
    let s = example();
    let out = s.dig(&["version.bind", "TXT", "CH"]);
    assert!(out.contains("\"rrdns "), "{out}");
    let out = s.dig(&["foo.bind", "TXT", "CH"]);
    assert!(out.contains("status: REFUSED"), "{out}");
}

#[test]
fn tcp_pipelined_queries_are_all_answered_on_one_connection() {
    let s = example();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let names = [
        "www.example.test.",
        "mail.example.test.",
        "nope.example.test.",
    ];
    let qs: Vec<Vec<u8>> = names
        .iter()
        .map(|n| query_bytes(n, RecordType::A, None))
        .collect();
    for q in &qs {
        write_framed(&mut c, q);
    }
    let mut ids: HashSet<[u8; 2]> = qs.iter().map(|q| [q[0], q[1]]).collect();
    for _ in 0..3 {
        let r = read_framed(&mut c);
        assert!(ids.remove(&[r[0], r[1]]), "answer to a query that was sent");
    }
    // The connection stays usable for another query.
    write_framed(&mut c, &qs[0]);
    assert_eq!(read_framed(&mut c)[..2], qs[0][..2]);
}

#[test]
fn ipv6_listener_answers_aaaa() {
    let s = example();
    let out = dig(
        s.addr6.expect("a listener on ::1"),
        &["www.example.test", "AAAA"],
    );
    assert!(
        out.contains("2001:db8::10") && out.contains("2001:db8::11"),
        "{out}"
    );
}

#[test]
fn referral_has_no_aa_ns_in_authority_and_glue() {
    let s = example();
    let out = s.dig(&["host.sub.example.test", "A", "+norec"]);
    assert!(out.contains("flags: qr;"), "AA clear on a referral: {out}");
    assert!(
        out.contains("sub.example.test.\t300\tIN\tNS\tns1.sub.example.test."),
        "{out}"
    );
    assert!(
        out.contains("ns1.sub.example.test.\t300\tIN\tA\t192.0.2.100"),
        "{out}"
    );
    let out = s.dig(&["sub.example.test", "DS", "+norec"]);
    assert!(
        out.contains("flags: qr aa;") && out.contains("IN\tDS\t12345"),
        "{out}"
    );
}

#[test]
fn default_command_serves_the_embedded_example_and_exits_cleanly_on_sigterm() {
    // Runs from an empty directory: the zone compiled into the binary is served.
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .current_dir(dir.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:5353".parse().unwrap();
    let q = query_bytes("www.example.test.", RecordType::A, None);
    let mut answer = None;
    for _ in 0..100 {
        answer = udp_exchange(addr, &q, Duration::from_millis(100));
        if answer.is_some() {
            break;
        }
    }
    let answer = answer.expect("rrdns with no arguments answers on 127.0.0.1:5353");
    let m = hickory_proto::op::Message::from_vec(&answer).unwrap();
    assert_eq!(m.answers.len(), 4);
    signal(&child, "TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_batched_udp_path_and_tcp_give_the_same_answers() {
    let s = example();
    let names = [
        "example.test.",
        "www.example.test.",
        "api.example.test.",
        "blog.example.test.",
        "x.apps.example.test.",
        "b.example.test.",
        "host.sub.example.test.",
        "nope.example.test.",
        "_sip._tcp.example.test.",
        "c1.example.net.",
        "q.wc.example.net.",
        "dangle.example.net.",
        "www.child.example.net.",
        "example.com.",
    ];
    let types = [
        RecordType::A,
        RecordType::AAAA,
        RecordType::MX,
        RecordType::TXT,
        RecordType::NS,
        RecordType::SRV,
    ];
    let set = |m: &hickory_proto::op::Message| -> (ResponseCode, Vec<HashSet<String>>) {
        let key = |rs: &[hickory_proto::rr::Record]| {
            rs.iter()
                .map(|r| format!("{} {} {}", r.name.to_lowercase(), r.ttl, r.data))
                .collect()
        };
        (
            m.response_code,
            vec![key(&m.answers), key(&m.authorities), key(&m.additionals)],
        )
    };
    for n in names {
        for t in types {
            let (u, c) = (s.udp(n, t), s.tcp(n, t));
            assert!(!u.truncation, "{n} {t}");
            assert_eq!(set(&u), set(&c), "{n} {t}");
        }
    }
}
