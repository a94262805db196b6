//! Zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995) answered over TCP in as many
//! messages as the zone needs, to addresses in `transfer.allow` only, optionally signed
//! with TSIG on every message. The zone is sent as written, not the balanced view.

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::tsig::TsigError;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;
use std::collections::HashMap;
use std::net::IpAddr;

use crate::config::{Config, Prefix};
use crate::wire::serial_lt;
use crate::wire::tsig::{Failure, Key};
use crate::zone::Zone;
use crate::zone::history::{self, zone_records};

/// Records per message are added until this many bytes (RFC 5936 §2.2 leaves the size to
/// the server; 16 KiB keeps messages well under the 64 KiB TCP limit).
const MESSAGE_BUDGET: usize = 16 * 1024;

/// Who may transfer, and with which key.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub allow: Vec<Prefix>,
    /// When set, requests must be signed with this key.
    pub required: Option<Key>,
    /// Every configured key, by name, to verify signed requests.
    pub keys: HashMap<Name, Key>,
}

impl Policy {
    /// The transfer-out policy of a configuration; its keys were built at validation,
    /// so a required key is never lost on the way (which would fail open).
    pub fn from_config(cfg: &Config) -> Policy {
        let keys = (cfg.keys.values())
            .map(|k| (k.name.clone(), k.clone()))
            .collect();
        Policy {
            allow: cfg.transfer.allow.clone(),
            required: cfg.transfer.key.clone(),
            keys,
        }
    }
}

/// Splits `records` into response messages to `req`; the question goes in the first.
pub fn pack(req: &Message, records: &[Record]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut msg = response(req, true);
    let mut size = 0;
    for r in records {
        let len = r.to_bytes().map_or(0, |b| b.len());
        if size + len > MESSAGE_BUDGET && !msg.answers.is_empty() {
            out.push(msg.to_vec().unwrap_or_default());
            msg = response(req, false);
            size = 0;
        }
        size += len;
        msg.add_answer(r.clone());
    }
    out.push(msg.to_vec().unwrap_or_default());
    out
}

fn response(req: &Message, with_question: bool) -> Message {
    let mut m = Message::new(req.id, MessageType::Response, OpCode::Query);
    m.metadata.authoritative = true;
    if with_question {
        m.add_queries(req.queries.iter().cloned());
    }
    m
}

/// One error message (REFUSED, NOTAUTH, FORMERR) to a transfer request.
pub fn error(req: &Message, rcode: ResponseCode) -> Vec<u8> {
    let mut m = response(req, true);
    m.metadata.authoritative = false;
    m.metadata.response_code = rcode;
    m.to_vec().unwrap_or_default()
}

/// Answers an AXFR or IXFR request from `peer`. Over UDP (`udp`) an IXFR gets the current
/// SOA alone, which tells the client to come back over TCP (RFC 1995 §2).
pub fn answer(
    req: &Message,
    raw: &[u8],
    zone: Option<&Zone>,
    peer: IpAddr,
    policy: &Policy,
    udp: bool,
) -> Vec<Vec<u8>> {
    // TSIG first: a signed request gets a signed answer, even a refusal.
    let signer = match verify_request(req, raw, policy) {
        Ok(s) => s,
        Err(rejection) => return vec![rejection],
    };
    let refuse = |rcode| {
        let mut m = error(req, rcode);
        if let Some((k, mac)) = &signer {
            k.sign(&mut m, Some(mac), true, None);
        }
        vec![m]
    };
    let key_ok = match (&policy.required, &signer) {
        (None, _) => true,
        (Some(need), Some((k, _))) => need.name == k.name,
        (Some(_), None) => false,
    };
    if !key_ok || !policy.allow.iter().any(|p| p.contains(&peer)) {
        return refuse(ResponseCode::Refused);
    }
    let (Some(zone), [q]) = (zone, req.queries.as_slice()) else {
        return refuse(ResponseCode::NotAuth);
    };
    if zone.origin != q.name {
        return refuse(ResponseCode::NotAuth);
    }
    let records = match ixfr_serial(req) {
        // RFC 1995 §2: a client that is up to date gets the current SOA alone.
        Some(s) if q.query_type == RecordType::IXFR && !serial_lt(s, zone.serial) => {
            vec![zone.soa.clone()]
        }
        _ if udp => vec![zone.soa.clone()],
        Some(s) if q.query_type == RecordType::IXFR => match history::chain(zone, s) {
            Some(steps) => history::ixfr_records(zone, &steps),
            None => zone_records(zone),
        },
        _ => zone_records(zone),
    };
    let mut msgs = pack(req, &records);
    if let Some((k, mac)) = &signer {
        let mut prior = mac.clone();
        for (i, m) in msgs.iter_mut().enumerate() {
            prior = k.sign(m, Some(&prior), i == 0, None);
        }
    }
    msgs
}

/// Verifies a request's TSIG, if it has one: the key and the request MAC for signing.
/// A failure is answered NOTAUTH with an unsigned TSIG error (RFC 8945 §5.2).
fn verify_request(
    req: &Message,
    raw: &[u8],
    policy: &Policy,
) -> Result<Option<(Key, Vec<u8>)>, Vec<u8>> {
    let Some(sig) = &req.signature else {
        return Ok(None);
    };
    let failure = match policy.keys.get(&sig.name) {
        None => Failure::BadKey,
        Some(key) => match key.verify(raw, None, true) {
            Ok(mac) => return Ok(Some((key.clone(), mac))),
            Err(f) => f,
        },
    };
    let mut m = error(req, ResponseCode::NotAuth);
    let code = failure.tsig_error().unwrap_or(TsigError::BadSig);
    crate::wire::tsig::unsigned_error(&mut m, &sig.name, sig.data.algorithm.clone(), code);
    Err(m)
}

/// The client's serial from an IXFR request's authority SOA (RFC 1995 §3).
pub fn ixfr_serial(req: &Message) -> Option<u32> {
    req.authorities.iter().find_map(|r| match &r.data {
        RData::SOA(s) => Some(s.serial),
        _ => None,
    })
}
