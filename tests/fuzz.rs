//! Fuzzing in the tree, on the stable toolchain: a seeded mutation loop over the real
//! entry points — the request path (UDP and TCP, transfers included), the zone-file
//! reader, the YAML configuration, the transfer client's message handling and TSIG
//! verification. Seeds are real: queries of every type with and without EDNS, the
//! project's zones and test fixtures, the example configurations, and AXFR streams that
//! rrdns itself sends, signed and not.
//!
//! Each target runs `FUZZ_ITERS` mutated inputs (default 3,000: a few seconds in CI);
//! `FUZZ_SEED` picks the run. Run longer with, e.g.,
//! `FUZZ_ITERS=1000000 FUZZ_SEED=$RANDOM cargo test --release --test fuzz -- --nocapture`.
//! A failure prints the seed and the input that failed.
//!
//! The properties: no input panics (the engine catches panics to answer SERVFAIL, so a
//! panic hook counts them here); every answer parses and carries the request's ID; and a
//! signed transfer message changed in any way fails TSIG verification.

mod common;

use common::*;
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;
use hickory_proto::serialize::binary::DecodeError;
use rrdns::{
    Engine, Store, TcpReply, TransferReceiver, Transport, TsigKey, Zone, ZoneLimits, ZoneSet,
};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn iterations() -> usize {
    std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn rng() -> fastrand::Rng {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    eprintln!("FUZZ_SEED={seed}");
    fastrand::Rng::with_seed(seed)
}

/// Counts panics, wherever they are caught.
fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default(info);
    }));
}

const INTERESTING: [u8; 8] = [0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff];

/// One to eight random edits of `input`, some spliced from `others`.
fn mutate(rng: &mut fastrand::Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.usize(1..=8) {
        let len = v.len();
        match rng.u8(0..9) {
            0 if len > 0 => v[rng.usize(..len)] ^= 1 << rng.u8(0..8),
            1 if len > 0 => v[rng.usize(..len)] = rng.u8(..),
            2 if len > 0 => v[rng.usize(..len)] = INTERESTING[rng.usize(..INTERESTING.len())],
            3 => {
                let at = rng.usize(..=len);
                let n = rng.usize(1..16);
                v.splice(at..at, (0..n).map(|_| rng.u8(..)));
            }
            4 if len > 1 => {
                let a = rng.usize(..len);
                let b = (a + rng.usize(1..32)).min(len);
                v.drain(a..b);
            }
            5 if len > 1 => {
                let a = rng.usize(..len);
                let b = (a + rng.usize(1..64)).min(len);
                let chunk = v[a..b].to_vec();
                let at = rng.usize(..=v.len());
                v.splice(at..at, chunk);
            }
            6 if !others.is_empty() => {
                let o = &others[rng.usize(..others.len())];
                if !o.is_empty() {
                    let a = rng.usize(..o.len());
                    let b = (a + rng.usize(1..64)).min(o.len());
                    let at = rng.usize(..=v.len());
                    v.splice(at..at, o[a..b].iter().copied());
                }
            }
            7 if len > 2 => {
                let at = rng.usize(..len - 1);
                let x: u16 = [0, 1, 2, 255, 256, 0x3fff, 0xc00c, 0xffff][rng.usize(..8)];
                v[at..at + 2].copy_from_slice(&x.to_be_bytes());
            }
            8 => v.truncate(rng.usize(..=len)),
            _ => {}
        }
    }
    v
}

const ZONES: &[(&str, &str)] = &[
    ("example.test.", "zones/example.test.zone"),
    ("faithful.test.", "tests/fixtures/faithful.test.zone"),
    ("types.test.", "tests/fixtures/types.test.zone"),
];

fn config() -> String {
    let mut text = String::from("zones:\n");
    for (name, file) in ZONES {
        text.push_str(&format!(
            "  - name: {name}\n    file: {}\n",
            root().join(file).display()
        ));
    }
    text.push_str(
        "transfer: { allow: [\"127.0.0.0/8\"] }\nkeys: { xfr: { algorithm: hmac-sha256, secret: \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\" } }\n\
pools:\n  www.example.test.:\n    weights: { \"192.0.2.10\": 3 }\n",
    );
    text
}

fn engine() -> Arc<Engine> {
    let cfg = rrdns::parse_config(&config(), "fuzz.yaml", &root()).expect("config");
    let set = ZoneSet::build(&cfg, None, &|_| None).expect("zones");
    let e = Engine::new(Arc::new(Store::new(set)));
    e.configure(&cfg);
    e
}

/// Queries of many types for names of every zone, with and without EDNS.
fn query_seeds() -> Vec<Vec<u8>> {
    let names = [
        "example.test.",
        "www.example.test.",
        "nothere.example.test.",
        "a.b.example.test.",
        "x.wild.example.test.",
        "faithful.test.",
        "types.test.",
        "mail.example.test.",
    ];
    let types = [
        RecordType::A,
        RecordType::AAAA,
        RecordType::ANY,
        RecordType::MX,
        RecordType::TXT,
        RecordType::NS,
        RecordType::SOA,
        RecordType::CNAME,
        RecordType::AXFR,
        RecordType::IXFR,
        RecordType::DNSKEY,
        RecordType::SRV,
    ];
    let mut out = Vec::new();
    for n in names {
        for t in types {
            out.push(query_bytes(n, t, None));
            out.push(query_bytes(n, t, Some(1232)));
        }
    }
    out
}

fn check_answer(req: &[u8], out: &[u8]) {
    let m = match Message::from_vec(out) {
        Ok(m) => m,
        // hickory refuses a record with empty RDATA outside UPDATE, which RFC 3597
        // allows (`TYPE65000 \# 0` in a fixture): the answer is right, the reader strict.
        Err(DecodeError::InvalidEmptyRecord) => return,
        Err(e) => panic!("answer does not parse ({e}): request {req:02x?}\nanswer {out:02x?}"),
    };
    assert_eq!(
        &out[..2],
        &req[..2],
        "the answer carries the request's ID: {req:02x?}"
    );
    assert!(m.metadata.message_type == hickory_proto::op::MessageType::Response);
}

#[test]
fn the_request_path_never_panics_and_every_answer_parses() {
    count_panics();
    let e = engine();
    let seeds = query_seeds();
    let mut rng = rng();
    let peer: IpAddr = "127.0.0.1".parse().unwrap();
    let mut out = Vec::new();
    for _ in 0..iterations() {
        let seed = &seeds[rng.usize(..seeds.len())];
        let req = mutate(&mut rng, seed, &seeds);
        out.clear();
        if e.handle_into(&req, Transport::Udp, peer, &mut out) {
            check_answer(&req, &out);
            assert!(out.len() <= 65535);
        }
        match e.handle_tcp(&req, peer) {
            TcpReply::None => {}
            TcpReply::One(m) => check_answer(&req, &m),
            TcpReply::Transfer(mut t) => {
                for _ in 0..4 {
                    let Some(m) = t.next_message() else { break };
                    check_answer(&req, &m);
                }
            }
        }
    }
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "a request panicked (see above)"
    );
}

#[test]
fn the_zone_reader_never_panics() {
    let seeds: Vec<Vec<u8>> = ZONES
        .iter()
        .map(|(_, f)| project_file(f).into_bytes())
        .collect();
    let origins: Vec<_> = ZONES
        .iter()
        .map(|(n, _)| hickory_proto::rr::Name::from_ascii(n).unwrap())
        .collect();
    let mut rng = rng();
    for _ in 0..iterations() / 3 {
        let i = rng.usize(..seeds.len());
        // Zone files are long: mutate a window of lines, as an editor would.
        let text = String::from_utf8_lossy(&mutate(&mut rng, &seeds[i], &seeds)).into_owned();
        let input = text.clone();
        let r =
            std::panic::catch_unwind(|| Zone::from_text(&origins[i], &text, "fuzz.zone").is_ok());
        assert!(r.is_ok(), "the zone reader panicked on:\n{input}");
    }
}

#[test]
fn the_configuration_reader_never_panics() {
    let seeds: Vec<Vec<u8>> = [
        config(),
        project_file("docker/rrdns.yaml"),
        project_file("src/config/embedded.yaml"),
        "listen: [\"127.0.0.1:0\"]\nzones: [{ name: x., file: x.zone }]\ntcp: { idle_timeout: 2s, max_connections: 5 }\nrrl: { responses_per_second: 5, slip: 1 }\nlimits: { zone_records: 10, zone_bytes: 1M }\nchecks:\n  web: { type: https, port: 8443, interval: 1s, rise: 1, fall: 1 }\n".to_string(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    let mut rng = rng();
    for _ in 0..iterations() {
        let text = String::from_utf8_lossy(&{
            let seed = &seeds[rng.usize(..seeds.len())];
            mutate(&mut rng, seed, &seeds)
        })
        .into_owned();
        let input = text.clone();
        let r =
            std::panic::catch_unwind(|| rrdns::parse_config(&text, "fuzz.yaml", &root()).is_ok());
        assert!(r.is_ok(), "the configuration reader panicked on:\n{input}");
    }
}

/// The AXFR messages rrdns sends for `zone`, signed with `key` when given.
fn axfr_stream(e: &Engine, zone: &str, key: Option<&TsigKey>) -> (u16, Vec<u8>, Vec<Vec<u8>>) {
    let mut req = query_bytes(zone, RecordType::AXFR, None);
    let mac = key
        .map(|k| k.sign(&mut req, None, true, None))
        .unwrap_or_default();
    let TcpReply::Transfer(mut t) = e.handle_tcp(&req, "127.0.0.1".parse().unwrap()) else {
        panic!("no transfer of {zone}");
    };
    let msgs: Vec<Vec<u8>> = std::iter::from_fn(|| t.next_message()).collect();
    (u16::from_be_bytes([req[0], req[1]]), mac, msgs)
}

#[test]
fn the_transfer_client_never_panics_and_a_changed_signed_message_fails() {
    let e = engine();
    let key = TsigKey::new("xfr", "hmac-sha256", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0").unwrap();
    let streams: Vec<_> = ZONES
        .iter()
        .flat_map(|(z, _)| [axfr_stream(&e, z, None), axfr_stream(&e, z, Some(&key))])
        .collect();
    let all: Vec<Vec<u8>> = streams.iter().flat_map(|s| s.2.clone()).collect();
    // The streams as sent are received whole.
    for (i, (id, mac, msgs)) in streams.iter().enumerate() {
        let signed = i % 2 == 1;
        let mut rx = TransferReceiver::new(
            *id,
            None,
            signed.then_some(&key),
            signed.then(|| mac.clone()),
            ZoneLimits::default(),
        );
        let done = msgs.iter().map(|m| rx.take(m).unwrap()).last();
        assert_eq!(done, Some(true));
        assert!(rx.finish().is_ok());
    }
    let mut rng = rng();
    for _ in 0..iterations() {
        let i = rng.usize(..streams.len());
        let (id, mac, msgs) = &streams[i];
        let signed = i % 2 == 1;
        let at = rng.usize(..msgs.len());
        let changed = mutate(&mut rng, &msgs[at], &all);
        let mut rx = TransferReceiver::new(
            *id,
            None,
            signed.then_some(&key),
            signed.then(|| mac.clone()),
            ZoneLimits::default(),
        );
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for (j, m) in msgs.iter().enumerate() {
                let m = if j == at { &changed } else { m };
                match rx.take(m) {
                    Ok(true) | Err(_) => return j,
                    Ok(false) => {}
                }
            }
            msgs.len()
        }));
        let stopped = r.unwrap_or_else(|_| {
            panic!("the transfer client panicked on message {at}: {changed:02x?}")
        });
        if signed && changed != msgs[at] {
            assert!(
                stopped <= at,
                "a changed signed message was accepted: {changed:02x?}"
            );
        }
    }
}
