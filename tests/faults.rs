//! A misbehaving primary (written here, on loopback): it closes the connection
//! mid-transfer, sends garbage, ends with a wrong serial, signs with the wrong key, or goes
//! silent. The old copy keeps serving through all of it; EXPIRE finally stops it; NOTIFY
//! is accepted only from the primary.

mod common;

use common::*;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use rrdns::TsigKey as Key;
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    CloseMidway,
    Garbage,
    WrongClosingSerial,
    BadTsig,
    Silent,
}

const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";

fn key(secret: &str) -> Key {
    Key::new("xfr", "hmac-sha256", secret).unwrap()
}

struct Fake {
    port: u16,
    state: Arc<Mutex<(u32, Fault)>>,
    /// Transfer connections accepted so far.
    transfers: Arc<std::sync::atomic::AtomicUsize>,
}

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn soa(serial: u32) -> Record {
    // refresh 1 s, retry 1 s, expire 4 s: fast timers for the test.
    Record::from_rdata(
        name("f.test."),
        60,
        RData::SOA(SOA::new(
            name("ns.f.test."),
            name("h.f.test."),
            serial,
            1,
            1,
            4,
            60,
        )),
    )
}

fn records(serial: u32) -> Vec<Record> {
    vec![
        soa(serial),
        Record::from_rdata(name("f.test."), 60, RData::NS(NS(name("ns.f.test.")))),
        Record::from_rdata(name("ns.f.test."), 60, RData::A(A::new(127, 0, 0, 53))),
        Record::from_rdata(
            name("www.f.test."),
            60,
            RData::A(A::new(192, 0, 2, serial as u8)),
        ),
        soa(serial),
    ]
}

fn reply(req: &Message, answers: &[Record]) -> Vec<u8> {
    let mut m = Message::new(req.id, MessageType::Response, OpCode::Query);
    m.metadata.authoritative = true;
    m.add_queries(req.queries.iter().cloned());
    m.add_answers(answers.iter().cloned());
    m.to_vec().unwrap()
}

impl Fake {
    fn start(signing: Option<Key>) -> Fake {
        let state = Arc::new(Mutex::new((1u32, Fault::None)));
        // Bound here rather than through `free_port`, so that no other test can take the
        // port between choosing and binding it.
        let (udp, tcp, port) = loop {
            let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = udp.local_addr().unwrap().port();
            if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
                break (udp, tcp, port);
            }
        };
        let (st, k) = (state.clone(), signing.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok((n, from)) = udp.recv_from(&mut buf) {
                let (serial, fault) = *st.lock().unwrap();
                if fault == Fault::Silent {
                    continue;
                }
                let Ok(req) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let mut out = reply(&req, &[soa(serial)]);
                if let Some(k) = &k {
                    let mac = k.verify(&buf[..n], None, true).unwrap_or_default();
                    k.sign(&mut out, Some(&mac), true, None);
                }
                let _ = udp.send_to(&out, from);
            }
        });
        let st = state.clone();
        let transfers = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = transfers.clone();
        std::thread::spawn(move || {
            for s in tcp.incoming().flatten() {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (serial, fault) = *st.lock().unwrap();
                let k = signing.clone();
                std::thread::spawn(move || serve_transfer(s, serial, fault, k));
            }
        });
        Fake {
            port,
            state,
            transfers,
        }
    }

    fn set(&self, serial: u32, fault: Fault) {
        *self.state.lock().unwrap() = (serial, fault);
    }
}

fn serve_transfer(mut s: std::net::TcpStream, serial: u32, fault: Fault, k: Option<Key>) {
    if fault == Fault::Silent {
        return;
    }
    let mut len = [0u8; 2];
    if s.read_exact(&mut len).is_err() {
        return;
    }
    let mut raw = vec![0u8; u16::from_be_bytes(len) as usize];
    if s.read_exact(&mut raw).is_err() {
        return;
    }
    let req = Message::from_vec(&raw).unwrap();
    let all = records(serial);
    let mut msgs = vec![reply(&req, &all[..2]), reply(&req, &all[2..])];
    match fault {
        Fault::CloseMidway => msgs.truncate(1),
        Fault::Garbage => msgs[1] = (0..300).map(|_| fastrand::u8(..)).collect(),
        Fault::WrongClosingSerial => {
            let mut bad = all.clone();
            bad[4] = soa(serial + 1);
            msgs[1] = reply(&req, &bad[2..]);
        }
        _ => {}
    }
    if let Some(k) = &k {
        let signer = if fault == Fault::BadTsig {
            key("d3Jvbmcta2V5LXdyb25nLWtleQ==")
        } else {
            k.clone()
        };
        let mut prior = k.verify(&raw, None, true).unwrap_or_default();
        for (i, m) in msgs.iter_mut().enumerate() {
            prior = signer.sign(m, Some(&prior), i == 0, None);
        }
    }
    for m in msgs {
        let mut framed = (m.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&m);
        let _ = s.write_all(&framed);
    }
}

fn config(primary: u16, with_key: bool) -> String {
    let key = if with_key {
        format!("    key: xfr\nkeys:\n  xfr: {{ algorithm: hmac-sha256, secret: \"{SECRET}\" }}\n")
    } else {
        String::new()
    };
    format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\nzones:\n  - name: f.test.\n    primaries: [\"127.0.0.1:{primary}\"]\n{key}"
    )
}

fn www(s: &Server) -> (ResponseCode, Option<String>) {
    let m = s.udp("www.f.test.", RecordType::A);
    (
        m.response_code,
        m.answers.first().map(|r| r.data.to_string()),
    )
}

fn wait_for(s: &Server, limit: Duration, want: (ResponseCode, Option<&str>)) {
    let start = Instant::now();
    loop {
        let (rc, a) = www(s);
        if rc == want.0 && a.as_deref() == want.1 {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "wanted {want:?}, have {rc} {a:?}; log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a NOTIFY for f.test. from `from` (an address on this machine) and returns the rcode.
fn notify(s: &Server, from: &str) -> ResponseCode {
    let sock = UdpSocket::bind((from, 0)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut m = Message::new(fastrand::u16(..), MessageType::Query, OpCode::Notify);
    m.add_query(Query::query(name("f.test."), RecordType::SOA));
    sock.send_to(&m.to_vec().unwrap(), s.addr).unwrap();
    let mut buf = [0u8; 512];
    let n = sock.recv(&mut buf).unwrap();
    Message::from_vec(&buf[..n]).unwrap().response_code
}

/// A fake primary (signing with the key when `tsig`) and rrdns as its secondary, once
/// the first transfer (serial 1) is served.
fn started(tsig: bool) -> (Fake, Server) {
    let fake = Fake::start(tsig.then(|| key(SECRET)));
    let s = Server::start(&config(fake.port, tsig), &[]);
    wait_for(
        &s,
        Duration::from_secs(5),
        (ResponseCode::NoError, Some("192.0.2.1")),
    );
    (fake, s)
}

#[test]
fn broken_transfers_keep_the_old_copy_and_expiry_stops_answers() {
    let (fake, s) = started(false);

    for (fault, sign) in [
        (Fault::CloseMidway, "closed the connection mid-transfer"),
        (Fault::Garbage, "malformed"),
        (
            Fault::WrongClosingSerial,
            "closed the connection mid-transfer",
        ),
    ] {
        let before = s.log().matches(sign).count();
        fake.set(2, fault);
        assert_eq!(notify(&s, "127.0.0.1"), ResponseCode::NoError);
        let start = Instant::now();
        while s.log().matches(sign).count() <= before {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{fault:?} not reported; log:\n{}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            www(&s),
            (ResponseCode::NoError, Some("192.0.2.1".into())),
            "{fault:?}: old copy serves"
        );
    }
    // NOTIFY from an address that is not a primary is refused.
    assert_eq!(notify(&s, "127.0.0.9"), ResponseCode::Refused);

    fake.set(3, Fault::None);
    wait_for(
        &s,
        Duration::from_secs(5),
        (ResponseCode::NoError, Some("192.0.2.3")),
    );

    // The primary goes silent: after EXPIRE (4 s) the zone answers SERVFAIL ...
    fake.set(3, Fault::Silent);
    wait_for(&s, Duration::from_secs(20), (ResponseCode::ServFail, None));
    let status = s.http("GET", "/status", None).1;
    assert!(status.contains("\"state\": \"expired\""), "{status}");
    // ... until a transfer succeeds again.
    fake.set(4, Fault::None);
    wait_for(
        &s,
        Duration::from_secs(20),
        (ResponseCode::NoError, Some("192.0.2.4")),
    );
}

#[test]
fn a_transfer_signed_with_the_wrong_key_is_refused() {
    let (fake, s) = started(true);
    fake.set(2, Fault::BadTsig);
    let start = Instant::now();
    while !s.log().contains("TSIG check failed") {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(www(&s), (ResponseCode::NoError, Some("192.0.2.1".into())));
    // An unsigned NOTIFY is not accepted when the zone has a key.
    assert_eq!(notify(&s, "127.0.0.1"), ResponseCode::NotAuth);
}

#[test]
fn a_burst_of_notifies_causes_one_transfer() {
    let (fake, s) = started(false);
    let before = fake.transfers.load(std::sync::atomic::Ordering::SeqCst);
    fake.set(2, Fault::None);
    for _ in 0..10 {
        assert_eq!(notify(&s, "127.0.0.1"), ResponseCode::NoError);
    }
    wait_for(
        &s,
        Duration::from_secs(5),
        (ResponseCode::NoError, Some("192.0.2.2")),
    );
    // Later SOA checks (NOTIFYs that arrived during the transfer, the 1 s refresh) find
    // the serial current and transfer nothing.
    std::thread::sleep(Duration::from_millis(2500));
    let after = fake.transfers.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after - before, 1, "transfers for a burst of 10 NOTIFYs");
}
