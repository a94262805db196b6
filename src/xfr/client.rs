//! Transfers in: the primary's SOA serial, and AXFR (RFC 5936) or IXFR (RFC 1995) over
//! TCP, read message by message with per-message and overall timeouts, TSIG-verified
//! on every message when a key is set. Nothing is applied here: the result is checked
//! whole (first and closing SOA, serial chain) and handed back, or an error is.

use hickory_proto::op::{Header, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, DecodeError};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use super::error::TransferError as E;
use crate::config::ZoneLimits;
use crate::wire::serial_lt;
use crate::wire::tsig::Key;

/// How long one message of a transfer (or an SOA answer) may take.
pub const MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole transfer may take.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(300);

/// The outcome of a transfer.
#[derive(Debug)]
pub enum Fetched {
    /// The primary's serial is not newer (IXFR answered with its SOA alone).
    UpToDate,
    /// The whole zone: every record, SOA first, no closing SOA.
    Full(Vec<Record>),
    /// The zone after applying the primary's increments to ours.
    Incremental(Vec<Record>),
}

fn soa_serial(r: &Record) -> Option<u32> {
    match &r.data {
        RData::SOA(s) => Some(s.serial),
        _ => None,
    }
}

fn encode(msg: &Message, key: Option<&Key>) -> Result<(Vec<u8>, Option<Vec<u8>>), E> {
    let mut bytes = msg.to_vec().map_err(|e| E::Encode(e.to_string()))?;
    let mac = key.map(|k| k.sign(&mut bytes, None, true, None));
    Ok((bytes, mac))
}

fn check_response(
    bytes: &[u8],
    id: u16,
    key: Option<&Key>,
    prior: Option<&[u8]>,
    first: bool,
) -> Result<(Message, Option<Vec<u8>>), E> {
    let mac = match key {
        Some(k) => Some(k.verify(bytes, prior, first).map_err(E::Tsig)?),
        None => None,
    };
    let m = decode(bytes).map_err(|e| E::Malformed(e.to_string()))?;
    if m.id != id {
        return Err(E::WrongId);
    }
    if m.response_code != ResponseCode::NoError {
        return Err(E::Rcode(m.response_code));
    }
    Ok((m, mac))
}

/// Decodes an answer as hickory-proto does, but keeps records whose RDATA is empty:
/// hickory reads those as UPDATE prerequisites and refuses them outside an UPDATE, yet
/// RFC 3597 lets a record of any unknown type have none (`TYPE65000 \# 0`), and a
/// secondary must load what its primary sends. Only the header and the answers are
/// kept on that path: a transfer reads nothing else (its TSIG is checked on the octets).
fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
    match Message::from_vec(bytes) {
        Err(DecodeError::InvalidEmptyRecord) => {}
        other => return other,
    }
    let mut d = BinDecoder::new(bytes);
    let Header { metadata, counts } = Header::read(&mut d)?;
    for _ in 0..counts.queries {
        Query::read(&mut d)?;
    }
    let answers = counts.answers as usize;
    let (records, _, _) = Message::read_records(&mut d, answers, false, OpCode::Update)?;
    let mut m = Message::new(metadata.id, metadata.message_type, metadata.op_code);
    m.metadata.response_code = metadata.response_code;
    // The empty RDATA, read as `RData::Update0`, becomes RFC 3597 data in the zone
    // (`zone::rrsig::generic`).
    m.add_answers(records);
    Ok(m)
}

/// A UDP socket on an ephemeral port of the same family as `peer`.
pub async fn udp_socket_for(peer: SocketAddr) -> std::io::Result<UdpSocket> {
    let any: std::net::IpAddr = if peer.is_ipv4() {
        std::net::Ipv4Addr::UNSPECIFIED.into()
    } else {
        std::net::Ipv6Addr::UNSPECIFIED.into()
    };
    UdpSocket::bind(SocketAddr::new(any, 0)).await
}

/// Asks `primary` for the zone's SOA (UDP, then TCP if truncated).
pub async fn query_soa(primary: SocketAddr, zone: &Name, key: Option<&Key>) -> Result<Record, E> {
    let mut q = Message::query();
    q.add_query(Query::query(zone.clone(), RecordType::SOA));
    let (bytes, mac) = encode(&q, key)?;
    let sock = udp_socket_for(primary).await.map_err(E::Socket)?;
    // Connected: only the primary's answers arrive, and a port with nobody behind it is
    // reported at once ("Connection refused", from the ICMP error) instead of as a
    // timeout with its cause lost.
    sock.connect(primary)
        .await
        .map_err(|e| E::Connect(primary, e))?;
    sock.send(&bytes).await.map_err(|e| E::Send(primary, e))?;
    let mut buf = vec![0u8; 65535];
    let answer = loop {
        let n = tokio::time::timeout(MESSAGE_TIMEOUT, sock.recv(&mut buf))
            .await
            .map_err(|_| E::NoAnswer(primary))?
            .map_err(|e| E::Receive(primary, e))?;
        if n >= 2 && buf[..2] == bytes[..2] {
            break buf[..n].to_vec();
        }
    };
    let answer = if answer.len() > 2 && answer[2] & 0x02 != 0 {
        let mut msgs = Vec::new();
        tcp_exchange(primary, &bytes, |m| {
            msgs.push(m.to_vec());
            Ok(true)
        })
        .await?;
        msgs.pop().ok_or(E::EmptyAnswer)?
    } else {
        answer
    };
    let (m, _) = check_response(&answer, q.id, key, mac.as_deref(), true)?;
    m.answers
        .into_iter()
        .find(|r| r.record_type() == RecordType::SOA && r.name == *zone)
        .ok_or_else(|| E::NoSoa(primary, zone.clone()))
}

/// Sends `req` over TCP and feeds each answer message to `each` until it returns true.
async fn tcp_exchange(
    primary: SocketAddr,
    req: &[u8],
    mut each: impl FnMut(&[u8]) -> Result<bool, E>,
) -> Result<(), E> {
    let work = async {
        let mut s = tokio::time::timeout(MESSAGE_TIMEOUT, TcpStream::connect(primary))
            .await
            .map_err(|_| E::ConnectTimeout(primary))?
            .map_err(|e| E::Connect(primary, e))?;
        let mut framed = (req.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(req);
        s.write_all(&framed)
            .await
            .map_err(|e| E::Send(primary, e))?;
        let mut buf = vec![0u8; 65535];
        loop {
            let read = async {
                let len = s.read_u16().await? as usize;
                s.read_exact(&mut buf[..len]).await.map(|_| len)
            };
            let len = tokio::time::timeout(MESSAGE_TIMEOUT, read)
                .await
                .map_err(|_| E::Stalled(primary))?
                .map_err(|e| E::Closed(primary, e))?;
            if each(&buf[..len])? {
                return Ok(());
            }
        }
    };
    tokio::time::timeout(TRANSFER_TIMEOUT, work)
        .await
        .map_err(|_| E::TooLong(primary, TRANSFER_TIMEOUT))?
}

/// Transfers `zone` from `primary`: IXFR from `current` (our records, SOA first) when we
/// have a copy, else AXFR. A transfer past `limits` (records received, or octets of its
/// messages) is ended and fails; the copy served keeps serving.
pub async fn transfer(
    primary: SocketAddr,
    zone: &Name,
    current: Option<&[Record]>,
    key: Option<&Key>,
    limits: ZoneLimits,
) -> Result<Fetched, E> {
    let req = request(zone, current.and_then(|c| c.first()));
    let (bytes, mac) = encode(&req, key)?;
    let mut rx = Receiver::new(req.id, current, key, mac, limits);
    tcp_exchange(primary, &bytes, |raw| rx.take(raw)).await?;
    rx.finish()
}

/// The messages of one transfer as they arrive: each checked (ID, RCODE, TSIG chained to
/// the last, RFC 8945 §5.3.1), its records kept, and the whole read as AXFR or IXFR.
pub struct Receiver<'a> {
    id: u16,
    current: Option<&'a [Record]>,
    key: Option<&'a Key>,
    prior: Option<Vec<u8>>,
    limits: ZoneLimits,
    index: usize,
    octets: u64,
    records: Vec<Record>,
    result: Option<Interpreted>,
}

impl<'a> Receiver<'a> {
    /// For a request with `id` (signed with `key`, whose MAC is `mac`), from a secondary
    /// that holds `current`.
    pub fn new(
        id: u16,
        current: Option<&'a [Record]>,
        key: Option<&'a Key>,
        mac: Option<Vec<u8>>,
        limits: ZoneLimits,
    ) -> Receiver<'a> {
        Receiver {
            id,
            current,
            key,
            prior: mac,
            limits,
            index: 0,
            octets: 0,
            records: Vec::new(),
            result: None,
        }
    }

    /// Takes one message; true when the transfer is complete.
    pub fn take(&mut self, raw: &[u8]) -> Result<bool, E> {
        self.octets += raw.len() as u64;
        if self.octets > self.limits.bytes {
            let limit = self.limits.bytes;
            return Err(E::TooLarge(format!(
                "more than limits.zone_bytes ({limit} octets)"
            )));
        }
        let first = self.index == 0;
        let (m, mac) = check_response(raw, self.id, self.key, self.prior.as_deref(), first)?;
        if self.key.is_some() {
            self.prior = mac;
        }
        self.index += 1;
        self.records.extend(m.answers);
        if self.records.len() > self.limits.records.saturating_add(2) {
            let limit = self.limits.records;
            return Err(E::TooLarge(format!(
                "more than limits.zone_records ({limit})"
            )));
        }
        let ours = self.current.and_then(|c| c.first()).and_then(soa_serial);
        self.result = interpret(&self.records, ours)?;
        Ok(self.result.is_some())
    }

    /// What the transfer brought, once complete.
    pub fn finish(self) -> Result<Fetched, E> {
        let mut records = self.records;
        match self.result {
            Some(Interpreted::UpToDate) => Ok(Fetched::UpToDate),
            Some(Interpreted::Full) => {
                records.pop();
                Ok(Fetched::Full(records))
            }
            Some(Interpreted::Incremental(diffs)) => {
                let base = self.current.ok_or(E::UnaskedIncrement)?;
                let zone = apply(base, &records, &diffs)?;
                if zone.len() > self.limits.records {
                    let limit = self.limits.records;
                    return Err(E::TooLarge(format!(
                        "the zone would have more than limits.zone_records ({limit})"
                    )));
                }
                Ok(Fetched::Incremental(zone))
            }
            None => Err(E::EndedEarly),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Interpreted {
    UpToDate,
    Full,
    /// (start, end) index ranges of each difference sequence, RFC 1995 §4.
    Incremental(Vec<Diff>),
}

#[derive(Debug, PartialEq)]
struct Diff {
    old_soa: usize,
    new_soa: usize,
    end: usize,
}

/// Decides whether `records` form a complete answer yet; `None` while incomplete.
fn interpret(records: &[Record], ours: Option<u32>) -> Result<Option<Interpreted>, E> {
    let Some(first) = records.first() else {
        return Ok(None);
    };
    let framing = |what: &str| E::Framing(what.into());
    let n = soa_serial(first).ok_or_else(|| framing("transfer does not start with an SOA"))?;
    if records.len() == 1 {
        // IXFR: a lone SOA not newer than ours means "up to date" (RFC 1995 §2).
        return Ok(ours
            .filter(|o| !serial_lt(*o, n))
            .map(|_| Interpreted::UpToDate));
    }
    let last = &records[records.len() - 1];
    if soa_serial(last) != Some(n) {
        return Ok(None);
    }
    if soa_serial(&records[1]).is_none() {
        // AXFR form: the only other SOA is the closing one.
        return Ok(Some(Interpreted::Full));
    }
    // IXFR form: SOA(n) [SOA(old) deletions SOA(new) additions]+ SOA(n).
    let mut diffs = Vec::new();
    let mut i = 1;
    let mut expect = ours;
    loop {
        if i == records.len() - 1 {
            return Ok(Some(Interpreted::Incremental(diffs)));
        }
        let old = soa_serial(&records[i])
            .ok_or_else(|| framing("IXFR sequence does not start with an SOA"))?;
        if let Some(e) = expect
            && e != old
        {
            return Err(E::IxfrChain {
                got: old,
                expected: e,
            });
        }
        let Some(new_at) = (i + 1..records.len()).find(|&j| soa_serial(&records[j]).is_some())
        else {
            return Ok(None);
        };
        let Some(end) = (new_at + 1..records.len()).find(|&j| soa_serial(&records[j]).is_some())
        else {
            return Ok(None);
        };
        let new = soa_serial(&records[new_at]).unwrap_or(0);
        diffs.push(Diff {
            old_soa: i,
            new_soa: new_at,
            end,
        });
        expect = Some(new);
        i = end;
        if new == n {
            return Ok((i == records.len() - 1)
                .then(|| Interpreted::Incremental(std::mem::take(&mut diffs))));
        }
    }
}

fn same(a: &Record, b: &Record) -> bool {
    a.name == b.name && a.record_type() == b.record_type() && a.data == b.data
}

/// Applies IXFR differences to our records (SOA first).
fn apply(base: &[Record], records: &[Record], diffs: &[Diff]) -> Result<Vec<Record>, E> {
    let mut zone: Vec<Record> = base.to_vec();
    for d in diffs {
        for del in &records[d.old_soa + 1..d.new_soa] {
            let before = zone.len();
            zone.retain(|r| !same(r, del));
            if zone.len() == before {
                return Err(E::IxfrDelete(format!("{} {}", del.name, del.record_type())));
            }
        }
        zone.retain(|r| r.record_type() != RecordType::SOA);
        zone.insert(0, records[d.new_soa].clone());
        for add in &records[d.new_soa + 1..d.end] {
            if !zone.iter().any(|r| same(r, add)) {
                zone.push(add.clone());
            }
        }
    }
    Ok(zone)
}

/// Builds a transfer request for `zone` (AXFR, or IXFR from `serial`).
pub fn request(zone: &Name, ixfr_from: Option<&Record>) -> Message {
    let mut m = Message::new(fastrand::u16(..), MessageType::Query, OpCode::Query);
    let t = if ixfr_from.is_some() {
        RecordType::IXFR
    } else {
        RecordType::AXFR
    };
    m.add_query(Query::query(zone.clone(), t));
    if let Some(soa) = ixfr_from {
        m.add_authority(soa.clone());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, SOA};

    fn soa(serial: u32) -> Record {
        let n = Name::from_ascii("z.test.").unwrap();
        Record::from_rdata(
            n.clone(),
            60,
            RData::SOA(SOA::new(n.clone(), n, serial, 1, 1, 1, 1)),
        )
    }

    fn a(last: u8) -> Record {
        Record::from_rdata(
            Name::from_ascii("w.z.test.").unwrap(),
            60,
            RData::A(A::new(192, 0, 2, last)),
        )
    }

    #[test]
    fn axfr_is_complete_at_the_closing_soa() {
        assert_eq!(interpret(&[soa(5), a(1)], None).unwrap(), None);
        assert_eq!(
            interpret(&[soa(5), a(1), soa(5)], None).unwrap(),
            Some(Interpreted::Full)
        );
        assert!(interpret(&[a(1)], None).is_err());
    }

    #[test]
    fn ixfr_sequences_apply_in_order() {
        let base = vec![soa(1), a(1), a(2)];
        let recs = vec![
            soa(3),
            soa(1),
            a(1),
            soa(2),
            a(3),
            soa(2),
            a(2),
            soa(3),
            a(4),
            soa(3),
        ];
        let Some(Interpreted::Incremental(diffs)) = interpret(&recs, Some(1)).unwrap() else {
            panic!("complete IXFR expected");
        };
        assert_eq!(diffs.len(), 2);
        let z = apply(&base, &recs, &diffs).unwrap();
        let addrs: Vec<String> = z.iter().skip(1).map(|r| r.data.to_string()).collect();
        assert_eq!(addrs, ["192.0.2.3", "192.0.2.4"]);
        assert_eq!(soa_serial(&z[0]), Some(3));
        // Incomplete until the closing SOA arrives.
        assert_eq!(interpret(&recs[..8], Some(1)).unwrap(), None);
    }

    #[test]
    fn ixfr_with_a_wrong_starting_serial_is_refused() {
        let recs = vec![soa(3), soa(2), soa(3), soa(3)];
        assert!(interpret(&recs, Some(1)).is_err());
    }

    #[test]
    fn lone_soa_means_up_to_date_only_if_not_newer() {
        assert_eq!(
            interpret(&[soa(5)], Some(5)).unwrap(),
            Some(Interpreted::UpToDate)
        );
        assert_eq!(interpret(&[soa(6)], Some(5)).unwrap(), None);
    }
}
