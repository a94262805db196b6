//! A walk over every record of a zone for AXFR (RFC 5936 §2.2): the SOA, every other
//! record, the SOA again, written straight into wire form. It owns its zone snapshot
//! and a cursor, so that a transfer is encoded a message at a time as the client reads
//! rather than all at once, and it writes from the zone's own storage: an owner is its
//! stored labels and a pointer to the zone's name, an address is its octets. Going
//! through hickory's `Record` and its name compressor cost six times the time and made
//! every owner name uncompressed.

use hickory_proto::rr::{Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use std::sync::Arc;

use super::Zone;
use super::compact::Rdata;

/// Where a walk is; saved before a record is written, restored when it did not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    stage: Stage,
    node: usize,
    set: usize,
    record: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    First,
    Body,
    Last,
    Done,
}

/// The records of one zone, in the order the names were first seen.
pub struct Walk {
    zone: Arc<Zone>,
    at: Cursor,
    /// The zone's name in wire form, spelt as the zone names itself.
    origin: Vec<u8>,
}

impl Walk {
    pub fn new(zone: Arc<Zone>) -> Walk {
        let origin = zone.origin.to_bytes().unwrap_or_else(|_| vec![0]);
        Walk {
            zone,
            at: Cursor {
                stage: Stage::First,
                node: 0,
                set: 0,
                record: 0,
            },
            origin,
        }
    }

    pub fn cursor(&self) -> Cursor {
        self.at
    }

    pub fn restore(&mut self, c: Cursor) {
        self.at = c;
    }

    /// Writes the next record at the end of `msg`; false at the end of the zone.
    /// `origin_at` is where the zone's name is written in this message, for owners to
    /// point to; the first owner written in a message writes it and sets it.
    pub fn write_next(&mut self, msg: &mut Vec<u8>, origin_at: &mut Option<u16>) -> bool {
        match self.at.stage {
            Stage::First | Stage::Last => {
                self.at.stage = if self.at.stage == Stage::First {
                    Stage::Body
                } else {
                    Stage::Done
                };
                write_record(msg, &self.zone.soa);
                true
            }
            Stage::Body => {
                if !self.body(msg, origin_at) {
                    self.at.stage = Stage::Last;
                    return self.write_next(msg, origin_at);
                }
                true
            }
            Stage::Done => false,
        }
    }

    /// Writes the next record of the body (every RRset but the apex SOA), if any.
    fn body(&mut self, msg: &mut Vec<u8>, origin_at: &mut Option<u16>) -> bool {
        loop {
            let Some((owner, node)) = self.zone.nodes.at(self.at.node) else {
                return false;
            };
            let Some(set) = node.rrsets.get(self.at.set) else {
                (self.at.node, self.at.set, self.at.record) = (self.at.node + 1, 0, 0);
                continue;
            };
            let Some(data) = set.data.get(self.at.record) else {
                (self.at.set, self.at.record) = (self.at.set + 1, 0);
                continue;
            };
            if set.rtype == RecordType::SOA {
                (self.at.set, self.at.record) = (self.at.set + 1, 0);
                continue;
            }
            self.at.record += 1;
            msg.extend_from_slice(owner.labels_as_written());
            match origin_at {
                Some(p) => msg.extend_from_slice(&(0xc000 | *p).to_be_bytes()),
                None => {
                    *origin_at = u16::try_from(msg.len()).ok().filter(|&p| p < 0x4000);
                    msg.extend_from_slice(&self.origin);
                }
            }
            msg.extend_from_slice(&u16::from(set.rtype).to_be_bytes());
            msg.extend_from_slice(&1u16.to_be_bytes()); // IN
            msg.extend_from_slice(&set.ttl.to_be_bytes());
            let len_at = msg.len();
            msg.extend_from_slice(&[0, 0]);
            match data {
                Rdata::A(a) => msg.extend_from_slice(&a.octets()),
                Rdata::Aaaa(a) => msg.extend_from_slice(&a.octets()),
                Rdata::Other(d) => {
                    // Names inside RDATA are written whole: compressing them would need
                    // the name table of the whole message.
                    let at = msg.len();
                    let mut enc = BinEncoder::with_offset(msg, at as u32);
                    let _ = d.emit(&mut enc);
                }
            }
            let len = (msg.len() - len_at - 2) as u16;
            msg[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
            return true;
        }
    }
}

/// Writes one record whole, names uncompressed.
pub fn write_record(msg: &mut Vec<u8>, r: &Record) {
    let at = msg.len();
    let mut enc = BinEncoder::with_offset(msg, at as u32);
    let _ = r.emit(&mut enc);
}
