//! Zone transfers out: AXFR (RFC 5936) and IXFR (RFC 1995) answered over TCP in as many
//! messages as the zone needs, to addresses in `transfer.allow` only, optionally signed
//! with TSIG on every message. The zone is sent as written, not the balanced view.

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::tsig::TsigError;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::config::{Config, Prefix};
use crate::noise::{self, Kind};
use crate::wire::serial_lt;
use crate::wire::tsig::{Failure, Key};
use crate::zone::Zone;
use crate::zone::history;
use crate::zone::walk::{Cursor, Walk, write_record};

/// Who may transfer, and with which key.
#[derive(Debug, Clone)]
pub struct Policy {
    pub allow: Vec<Prefix>,
    /// When set, requests must be signed with this key.
    pub required: Option<Key>,
    /// Every configured key, by name, to verify signed requests.
    pub keys: HashMap<Name, Key>,
    /// Full transfers (AXFR, or IXFR answered with the zone) under way at once.
    pub max_concurrent: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            allow: Vec::new(),
            required: None,
            keys: HashMap::new(),
            max_concurrent: crate::config::DEFAULT_MAX_TRANSFERS,
        }
    }
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
            max_concurrent: cfg.transfer.max_concurrent,
        }
    }
}

/// A transfer answer, encoded one message at a time as the client reads (RFC 5936 §2.2):
/// memory per transfer is a message and a cursor, whatever the zone's size.
pub struct Outgoing {
    id: u16,
    /// RD copied from the request (RFC 1035 §4.1.1); AA set on every message.
    flags: [u8; 2],
    question: Option<Query>,
    source: Source,
    /// The key to sign with and the MAC the next signature chains to (RFC 8945 §5.3.1).
    signer: Option<(Key, Vec<u8>)>,
    first: bool,
    /// An error message sent instead of records (a refusal), then nothing.
    ready: Option<Vec<u8>>,
    /// The response code of the first message, for the counters.
    pub rcode: ResponseCode,
    /// Held until the transfer ends: counts it among the transfers under way.
    _slot: Option<Slot>,
}

/// Where a transfer's records come from.
enum Source {
    /// A few records (an IXFR's differences, a lone SOA), and how many are sent.
    List(Vec<Record>, usize),
    /// The whole zone.
    Zone(Walk),
}

/// A position in a [`Source`], to go back to when a record did not fit.
#[derive(Clone, Copy)]
enum Mark {
    List(usize),
    Zone(Cursor),
}

impl Source {
    fn mark(&self) -> Mark {
        match self {
            Source::List(_, at) => Mark::List(*at),
            Source::Zone(w) => Mark::Zone(w.cursor()),
        }
    }

    fn restore(&mut self, m: Mark) {
        match (self, m) {
            (Source::List(_, at), Mark::List(to)) => *at = to,
            (Source::Zone(w), Mark::Zone(c)) => w.restore(c),
            _ => {}
        }
    }

    /// Writes the next record; false at the end.
    fn write_next(&mut self, msg: &mut Vec<u8>, origin_at: &mut Option<u16>) -> bool {
        match self {
            Source::List(records, at) => {
                let Some(r) = records.get(*at) else {
                    return false;
                };
                *at += 1;
                write_record(msg, r);
                true
            }
            Source::Zone(w) => w.write_next(msg, origin_at),
        }
    }
}

/// The size one message is filled to: RFC 5936 §2.2 leaves it to the server; NSD fills
/// to about 16 KiB, well under the 64 KiB a TCP message may hold.
const MESSAGE_BUDGET: usize = 16 * 1024;
/// The most one message may hold before its TSIG record is added.
const MESSAGE_MAX: usize = 65535 - 512;

impl Outgoing {
    /// One message and nothing more.
    pub fn single(msg: Vec<u8>) -> Outgoing {
        let rcode = ResponseCode::from_low(msg.get(3).map_or(2, |b| b & 0x0f));
        Outgoing {
            id: 0,
            flags: [0; 2],
            question: None,
            source: Source::List(Vec::new(), 0),
            signer: None,
            first: false,
            ready: Some(msg),
            rcode,
            _slot: None,
        }
    }

    fn records(
        req: &Message,
        source: Source,
        signer: Option<(Key, Vec<u8>)>,
        slot: Option<Slot>,
    ) -> Outgoing {
        let rd = if req.metadata.recursion_desired {
            0x01
        } else {
            0
        };
        Outgoing {
            id: req.id,
            flags: [0x84 | rd, 0],
            question: req.queries.first().cloned(),
            source,
            signer,
            first: true,
            ready: None,
            rcode: ResponseCode::NoError,
            _slot: slot,
        }
    }

    /// The next message to send, signed when the request was; `None` at the end.
    pub fn next_message(&mut self) -> Option<Vec<u8>> {
        if let Some(m) = self.ready.take() {
            return Some(m);
        }
        let first = std::mem::replace(&mut self.first, false);
        let question = self.question.as_ref().filter(|_| first);
        let mut msg = Vec::with_capacity(MESSAGE_BUDGET + 1024);
        msg.extend_from_slice(&self.id.to_be_bytes());
        msg.extend_from_slice(&self.flags);
        msg.extend_from_slice(&u16::from(question.is_some()).to_be_bytes());
        msg.extend_from_slice(&[0; 6]);
        if let Some(q) = question {
            q.emit(&mut BinEncoder::with_offset(&mut msg, 12)).ok()?;
        }
        let mut count: u16 = 0;
        let mut origin_at = None;
        while msg.len() < MESSAGE_BUDGET {
            let (before, mark) = (msg.len(), self.source.mark());
            if !self.source.write_next(&mut msg, &mut origin_at) {
                break;
            }
            if msg.len() > MESSAGE_MAX {
                // The record opens the next message instead.
                msg.truncate(before);
                self.source.restore(mark);
                if count == 0 {
                    // Loading refuses records that cannot be encoded; this one is
                    // larger than any message can be.
                    tracing::error!("a record too large for a transfer message; transfer ended");
                    self.source = Source::List(Vec::new(), 0);
                    return None;
                }
                break;
            }
            count += 1;
        }
        if count == 0 && !first {
            return None;
        }
        msg[6..8].copy_from_slice(&count.to_be_bytes());
        if let Some((k, prior)) = &mut self.signer {
            *prior = k.sign(&mut msg, Some(prior), first, None);
        }
        Some(msg)
    }
}

/// One of the transfers under way, counted until it is dropped.
pub struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(running: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(running.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
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
/// SOA alone, which tells the client to come back over TCP (RFC 1995 §2). `running`
/// counts the transfers under way; past the policy's bound a request gets SERVFAIL, which
/// secondaries retry later.
pub fn answer(
    req: &Message,
    raw: &[u8],
    zone: Option<&Arc<Zone>>,
    peer: IpAddr,
    policy: &Policy,
    udp: bool,
    running: &Arc<AtomicUsize>,
) -> Outgoing {
    // TSIG first: a signed request gets a signed answer, even a refusal.
    let signer = match verify_request(req, raw, policy) {
        Ok(s) => s,
        Err(rejection) => return Outgoing::single(rejection),
    };
    let zone_name = req.queries.first().map(|q| q.name.to_string());
    let refuse = |rcode, why: &str| {
        if noise::global().allow(Kind::TransferRefused) {
            tracing::warn!(%peer, zone = ?zone_name, %rcode, "transfer refused: {why}");
        }
        let mut m = error(req, rcode);
        if let Some((k, mac)) = &signer {
            k.sign(&mut m, Some(mac), true, None);
        }
        Outgoing::single(m)
    };
    let key_ok = match (&policy.required, &signer) {
        (None, _) => true,
        (Some(need), Some((k, _))) => need.name == k.name,
        (Some(_), None) => false,
    };
    if !policy.allow.iter().any(|p| p.contains(&peer)) {
        return refuse(ResponseCode::Refused, "the client is not in transfer.allow");
    }
    if !key_ok {
        return refuse(ResponseCode::Refused, "not signed with transfer.key");
    }
    let (Some(zone), [q]) = (zone, req.queries.as_slice()) else {
        return refuse(ResponseCode::NotAuth, "no such zone here");
    };
    if zone.origin != q.name {
        return refuse(ResponseCode::NotAuth, "not the name of a zone here");
    }
    let soa_only = match ixfr_serial(req) {
        // RFC 1995 §2: a client that is up to date gets the current SOA alone.
        Some(s) if q.query_type == RecordType::IXFR => udp || !serial_lt(s, zone.serial),
        _ => udp,
    };
    if soa_only {
        let soa = Source::List(vec![zone.soa.clone()], 0);
        return Outgoing::records(req, soa, signer, None);
    }
    let Some(slot) = Slot::take(running, policy.max_concurrent) else {
        return refuse(
            ResponseCode::ServFail,
            "transfer.max_concurrent transfers under way",
        );
    };
    let steps = ixfr_serial(req)
        .filter(|_| q.query_type == RecordType::IXFR)
        .and_then(|s| history::chain(zone, s));
    let source = match steps {
        Some(steps) => Source::List(history::ixfr_records(zone, &steps), 0),
        None => Source::Zone(Walk::new(zone.clone())),
    };
    Outgoing::records(req, source, signer, Some(slot))
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
    if noise::global().allow(Kind::TransferRefused) {
        tracing::warn!(key = %sig.name, "transfer refused: TSIG verification failed ({failure:?})");
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::history::zone_records;
    use hickory_proto::op::Query;

    fn zone(n: usize) -> Arc<Zone> {
        let mut text = String::from(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n@ MX 10 mail.other.test.\n\
             Mixed.Case TXT \"a b\" c\nv6 AAAA 2001:db8::1\nalias CNAME ns\n",
        );
        for i in 0..n {
            text.push_str(&format!("h{i} A 10.0.{}.{}\n", i / 256, i % 256));
        }
        let origin = Name::from_ascii("x.test.").unwrap();
        Arc::new(Zone::from_text(&origin, &text, "x.zone").unwrap())
    }

    fn axfr(z: &Arc<Zone>) -> Vec<Vec<u8>> {
        let mut req = Message::new(7, MessageType::Query, OpCode::Query);
        req.add_query(Query::query(z.origin.clone(), RecordType::AXFR));
        let policy = Policy {
            allow: vec![crate::config::Prefix {
                addr: "127.0.0.1".parse().unwrap(),
                len: 32,
            }],
            ..Policy::default()
        };
        let raw = req.to_vec().unwrap();
        let running = Arc::default();
        let mut out = answer(
            &req,
            &raw,
            Some(z),
            "127.0.0.1".parse().unwrap(),
            &policy,
            false,
            &running,
        );
        std::iter::from_fn(|| out.next_message()).collect()
    }

    #[test]
    fn a_streamed_transfer_holds_every_record_once_in_full_messages() {
        let z = zone(5000);
        let msgs = axfr(&z);
        assert!(msgs.len() > 3, "{} messages", msgs.len());
        let mut got = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            assert!(
                m.len() <= MESSAGE_BUDGET + 512,
                "message {i}: {} bytes",
                m.len()
            );
            let d = Message::from_vec(m).unwrap();
            assert_eq!((d.id, d.metadata.authoritative), (7, true));
            assert_eq!(d.queries.len(), usize::from(i == 0));
            got.extend(d.answers);
        }
        let want = zone_records(&z);
        assert_eq!(got.first(), want.first());
        assert_eq!(got.last(), want.last());
        // Owners keep their spelling.
        assert!(
            got.iter()
                .any(|r| r.name.to_string() == "Mixed.Case.x.test.")
        );
        let key = |r: &Record| r.to_string();
        got.sort_by_key(key);
        let mut want = want;
        want.sort_by_key(key);
        assert_eq!(got, want);
        // Owners point to the zone's name: about 23 octets per address record.
        let bytes: usize = msgs.iter().map(Vec::len).sum();
        assert!(bytes < 5000 * 24, "{bytes} octets");
    }

    #[test]
    fn transfers_past_the_bound_get_servfail_until_one_ends() {
        let z = zone(10);
        let running = Arc::new(AtomicUsize::new(0));
        let held: Vec<Slot> = (0..3).filter_map(|_| Slot::take(&running, 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(Slot::take(&running, 3).is_none());
        drop(held);
        assert_eq!(running.load(Ordering::Relaxed), 0);
        assert!(axfr(&z).len() == 1);
    }
}
