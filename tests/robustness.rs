//! Malformed input never takes the server down: thousands of broken datagrams and TCP
//! streams, then normal queries still work. Some inputs get FORMERR, none a panic.

mod common;

use common::*;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

fn server() -> Server {
    Server::start(
        &config_for(&[("example.test.", "z.zone")], ""),
        &[("z.zone", &project_file("zones/example.test.zone"))],
    )
}

/// A valid query for www.example.test. A, to mutate.
fn base() -> Vec<u8> {
    query_bytes("www.example.test.", RecordType::A, Some(1232))
}

fn malformed(i: usize) -> Vec<u8> {
    let mut q = base();
    match i % 10 {
        // Random bytes of random length.
        0 => (0..fastrand::usize(0..600))
            .map(|_| fastrand::u8(..))
            .collect(),
        // Truncated anywhere, the header included.
        1 => {
            q.truncate(fastrand::usize(0..q.len()));
            q
        }
        // Absurd section counts.
        2 => {
            q[4..12].iter_mut().for_each(|b| *b = fastrand::u8(..));
            q
        }
        // A compression pointer to itself: a label loop.
        3 => {
            q.truncate(12);
            q.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
            q
        }
        // Pointer forward past the end.
        4 => {
            q.truncate(12);
            q.extend_from_slice(&[0xc0, 0xff, 0, 1, 0, 1]);
            q
        }
        // Random bit flips in a valid query.
        5..=7 => {
            for _ in 0..3 {
                let k = fastrand::usize(0..q.len());
                q[k] ^= 1 << fastrand::u8(0..8);
            }
            q
        }
        // Label longer than 63, and a name longer than 255.
        8 => {
            q.truncate(12);
            q.push(64);
            q.extend(std::iter::repeat_n(b'a', 64));
            q.extend_from_slice(&[0, 0, 1, 0, 1]);
            q
        }
        _ => {
            q.truncate(12);
            for _ in 0..5 {
                q.push(63);
                q.extend(std::iter::repeat_n(b'b', 63));
            }
            q.extend_from_slice(&[0, 0, 1, 0, 1]);
            q
        }
    }
}

#[test]
fn thousands_of_malformed_datagrams_leave_the_server_answering() {
    let s = server();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..6000 {
        let _ = sock.send_to(&malformed(i), s.addr);
        if i % 500 == 0 {
            // Pace slightly so that the kernel queue never overflows in debug builds.
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let m = s.udp("www.example.test.", RecordType::A);
    assert_eq!(m.answers.len(), 4, "still answering correctly");
    assert!(!s.log().contains("panicked"), "{}", s.log());
}

#[test]
fn undecodable_requests_get_formerr_with_their_id() {
    let s = server();
    let mut q = base();
    q.truncate(12);
    q.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    let r = udp_exchange(s.addr, &q, Duration::from_secs(2)).expect("an answer");
    assert_eq!(r[..2], q[..2]);
    let m = Message::from_vec(&r).unwrap();
    assert_eq!(m.response_code, ResponseCode::FormErr);
    // Two questions: FORMERR too.
    let mut m2 = query_message("www.example.test.", RecordType::A, None);
    m2.add_query(m2.queries[0].clone());
    let r = udp_exchange(s.addr, &m2.to_vec().unwrap(), Duration::from_secs(2)).unwrap();
    assert_eq!(
        Message::from_vec(&r).unwrap().response_code,
        ResponseCode::FormErr
    );
    // Responses are never answered (no reflection loops).
    let mut resp = base();
    resp[2] |= 0x80;
    assert!(udp_exchange(s.addr, &resp, Duration::from_millis(300)).is_none());
}

#[test]
fn broken_tcp_streams_do_not_hurt_other_clients() {
    let s = server();
    for i in 0..200 {
        // Ten connections from each of twenty clients: within the per-client bound.
        let from = std::net::Ipv4Addr::new(127, 0, 1, (i / 10) as u8 + 1).into();
        let mut c = connect_from(from, s.addr).unwrap();
        let junk = malformed(i);
        let mut framed = ((junk.len() + (i % 3)) as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&junk);
        let _ = c.write_all(&framed);
    }
    let m = s.tcp("www.example.test.", RecordType::A);
    assert_eq!(m.answers.len(), 4);
    // An idle connection that never sends does not block a new one.
    let _idle = TcpStream::connect(s.addr).unwrap();
    assert_eq!(s.tcp("mail.example.test.", RecordType::A).answers.len(), 1);
}

/// An RRset too large for any message (one TXT record of 65,520 octets of RDATA): over
/// TCP too the answer is a short one with TC set that parses, as NSD sends it, never a
/// 65,535-octet reply that does not.
#[test]
fn a_record_too_large_for_a_tcp_message_gets_tc() {
    let strings: Vec<String> = (0..260)
        .map(|_| format!("\"{}\"", "y".repeat(251)))
        .collect();
    let zone = format!(
        "$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\nhuge TXT {}\n",
        strings.join(" ")
    );
    let s = Server::start(
        &config_for(&[("b.test.", "b.zone")], ""),
        &[("b.zone", &zone)],
    );
    let m = s.tcp("huge.b.test.", RecordType::TXT);
    assert!(m.truncation && m.answers.is_empty(), "{m:?}");
    assert_eq!(m.response_code, ResponseCode::NoError);
}
