//! A hostile primary: answers SOA queries with the serial it is set to, and AXFR with a
//! small zone at serial 1 and, past it, a transfer that never ends (fresh records, message
//! after message, until the client hangs up).

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, SOA};
use hickory_proto::rr::{Name, RData, Record};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub struct Hostile {
    pub addr: SocketAddr,
    pub serial: Arc<AtomicU32>,
    /// Records sent in endless transfers so far.
    pub sent: Arc<AtomicU64>,
}

fn soa(zone: &Name, serial: u32) -> Record {
    let n = |s: &str| Name::from_ascii(s).unwrap().append_domain(zone).unwrap();
    Record::from_rdata(
        zone.clone(),
        60,
        RData::SOA(SOA::new(n("ns"), n("h"), serial, 1, 1, 3600, 60)),
    )
}

fn response(req: &Message) -> Message {
    let mut m = Message::new(req.id, MessageType::Response, OpCode::Query);
    m.metadata.authoritative = true;
    m.metadata.response_code = ResponseCode::NoError;
    m.add_queries(req.queries.iter().cloned());
    m
}

fn framed(m: &Message) -> Vec<u8> {
    let b = m.to_vec().unwrap();
    let mut out = (b.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&b);
    out
}

impl Hostile {
    /// Serves `zone` on 127.0.0.1 (UDP and TCP on one port).
    pub fn start(zone: &str) -> Hostile {
        let zone = Name::from_ascii(zone).unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = tcp.local_addr().unwrap();
        let udp = UdpSocket::bind(addr).unwrap();
        let serial = Arc::new(AtomicU32::new(1));
        let sent = Arc::new(AtomicU64::new(0));
        let (z, s) = (zone.clone(), serial.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, peer)) = udp.recv_from(&mut buf) {
                let Ok(req) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let mut m = response(&req);
                m.add_answer(soa(&z, s.load(Ordering::SeqCst)));
                let _ = udp.send_to(&m.to_vec().unwrap(), peer);
            }
        });
        let (s, count) = (serial.clone(), sent.clone());
        std::thread::spawn(move || {
            for conn in tcp.incoming() {
                let Ok(mut c) = conn else { continue };
                let (zone, s, count) = (zone.clone(), s.clone(), count.clone());
                std::thread::spawn(move || {
                    let mut len = [0u8; 2];
                    if c.read_exact(&mut len).is_err() {
                        return;
                    }
                    let mut q = vec![0u8; u16::from_be_bytes(len).into()];
                    if c.read_exact(&mut q).is_err() {
                        return;
                    }
                    let Ok(req) = Message::from_vec(&q) else {
                        return;
                    };
                    let serial = s.load(Ordering::SeqCst);
                    let mut m = response(&req);
                    m.add_answer(soa(&zone, serial));
                    let ns = Name::from_ascii("ns")
                        .unwrap()
                        .append_domain(&zone)
                        .unwrap();
                    m.add_answer(Record::from_rdata(
                        zone.clone(),
                        60,
                        RData::NS(hickory_proto::rr::rdata::NS(ns.clone())),
                    ));
                    m.add_answer(Record::from_rdata(ns, 60, RData::A(A::new(192, 0, 2, 1))));
                    if serial == 1 {
                        m.add_answer(soa(&zone, serial));
                        let _ = c.write_all(&framed(&m));
                        return;
                    }
                    // Never ends: 500 new names a message until the client hangs up.
                    let mut i: u64 = 0;
                    loop {
                        if c.write_all(&framed(&m)).is_err() {
                            return;
                        }
                        m = response(&req);
                        m.queries.clear();
                        for _ in 0..500 {
                            let name = Name::from_ascii(format!("h{i}"))
                                .unwrap()
                                .append_domain(&zone)
                                .unwrap();
                            m.add_answer(Record::from_rdata(
                                name,
                                60,
                                RData::A(A::new(10, (i >> 16) as u8, (i >> 8) as u8, i as u8)),
                            ));
                            i += 1;
                        }
                        count.fetch_add(500, Ordering::Relaxed);
                    }
                });
            }
        });
        Hostile { addr, serial, sent }
    }
}
