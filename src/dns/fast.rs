//! The fast path: a plain query answered by copying a wire image.
//!
//! Most queries to a load-balancing authority are the same few questions. For a query of
//! the plain shape ([`crate::wire::request`]) this path finds the node as the full path would
//! (RFC 1034 §4.3.2) and then answers with:
//! - the image of the RRset asked for ([`crate::wire::image`]), built by the full path
//!   itself (at load for small zones, else on first use: [`ImageLimits`]), so both paths
//!   give the same answer;
//! - at a delegation point or below it, the image of the cut's NS RRset: a referral;
//! - NODATA or NXDOMAIN (RFC 2308 §2), written directly: header, question, the zone's SOA.
//!
//! Anything rarer — CNAME chains, wildcards, DS, ANY, names under glue, answers that do
//! not fit, pools with every address down — returns false and takes the full path.

use hickory_proto::rr::RecordType;

use super::engine::{Current, Engine, Transport, size_limit};
use crate::balance::{self, Scratch, Verdict};
use crate::health::Snapshot;
use crate::wire::image::{self, Image, OPT_LEN, Patch};
use crate::wire::name::{Lowered, WireName};
use crate::wire::request;
use crate::wire::{AA, CLASS_IN, HEADER, NOERROR, NXDOMAIN, TYPE_DS, TYPE_OPT};
use crate::zone::{Images, Node, Owner, RRset, Zone, ZoneSet};

thread_local! {
    /// Buffers for balancing, reused by every query on this thread.
    static SCRATCH: std::cell::RefCell<(Scratch, Vec<usize>, fastrand::Rng)> =
        Default::default();
}

/// Query types answered here: data types, except OPT (never a question), DS (answered
/// from the parent side at a cut, RFC 4035 §3.1.4.1) and the meta types 128–255 (ANY,
/// AXFR, IXFR, TKEY, TSIG, MAILA/MAILB), whose rules the full path keeps.
fn plain_type(t: u16) -> bool {
    !matches!(t, 0 | TYPE_OPT | TYPE_DS | 128..=255)
}

/// When wire images are encoded. Zones of at most `eager` records get every image at
/// load; larger ones build them on first use, so that a million-record zone neither
/// doubles its load time nor holds images of names nobody asks for, and at most `lazy`
/// of them per zone (about 100 bytes each): a client walking every name of a huge zone
/// cannot grow the server by an image per name. Names past that take the full path.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    pub eager: usize,
    pub lazy: usize,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            eager: 100_000,
            lazy: 100_000,
        }
    }
}

impl Engine {
    /// Encodes the wire images of every RRset the fast path can answer from, for zones up
    /// to [`ImageLimits::eager`] records, before the zones are swapped in: the first
    /// queries then cost what later ones do.
    pub(super) fn prepare(&self, zones: &ZoneSet) {
        for zone in zones.zones() {
            if zone.record_count > self.image_limits.eager {
                continue;
            }
            for (owner, node) in zone.nodes.iter() {
                if node.below_cut {
                    continue;
                }
                let owner = owner.to_name();
                for set in node.rrsets {
                    // At a cut only the NS set answers (the referral).
                    if !node.cut || set.rtype == RecordType::NS {
                        let images = set.image.get_or_init(|| {
                            Images::new(*self.image(zone, &owner, set.rtype, false))
                        });
                        if zone.signed.is_some() {
                            (images.signed)
                                .get_or_init(|| self.image(zone, &owner, set.rtype, true));
                        }
                    }
                }
            }
        }
    }

    /// Answers `req` into `out` if it can; false leaves the request to the full path.
    pub(super) fn fast(
        &self,
        now: &Current,
        req: &[u8],
        transport: Transport,
        out: &mut Vec<u8>,
    ) -> bool {
        let Some(q) = request::parse(req) else {
            return false;
        };
        if q.qclass != CLASS_IN || !plain_type(q.qtype) {
            return false;
        }
        let mut name = Lowered::empty();
        if !name.set(q.qname) {
            return false;
        }
        let Some((zone, above_apex)) = now.zones.find_wire(&name) else {
            return false;
        };
        // DO=1 for a signed zone: answers with their signatures come from images of
        // their own; denials, whose proofs depend on the name asked, from the full path.
        let dnssec = zone.signed.is_some() && q.edns.is_some_and(|e| e.dnssec_ok);
        // The OPT record, if any, is appended after the room checked here.
        let opt_len = if q.edns.is_some() { OPT_LEN } else { 0 };
        let limit = size_limit(transport, q.edns.map(|e| e.payload)) - opt_len;
        let p = Patch {
            id: q.id,
            copied_flags: q.copied_flags,
            question: &req[HEADER..q.question_end],
            opt: q.edns.map(|e| e.dnssec_ok),
        };
        let rtype = RecordType::from(q.qtype);
        let answer = Answer {
            engine: self,
            health: &now.health,
            zone,
            p: &p,
            room: limit,
            apex_len: name.suffix(above_apex).0.len(),
            dnssec,
        };
        let rcode = match zone.nodes.entry_wire(name.suffix(0)) {
            Some((owner, node)) => answer.at(owner, node, rtype, out),
            None => answer.below(&name, above_apex, out),
        };
        let Some(rcode) = rcode else {
            return false;
        };
        zone.counters.count_raw(q.qtype, rcode);
        true
    }
}

/// One query being answered on the fast path.
struct Answer<'a> {
    engine: &'a Engine,
    health: &'a Snapshot,
    zone: &'a Zone,
    p: &'a Patch<'a>,
    /// The most bytes the response may take, OPT left out.
    room: usize,
    /// Wire length of the zone's name, which ends the question name.
    apex_len: usize,
    /// DO=1 to a signed zone: images with signatures, no direct denials.
    dnssec: bool,
}

impl Answer<'_> {
    /// The question names a node of the zone. Returns the RCODE written, or `None`.
    fn at(&self, owner: Owner, node: Node, rtype: RecordType, out: &mut Vec<u8>) -> Option<u16> {
        if node.below_cut {
            return None;
        }
        let set = if node.cut {
            // Any type at a delegation point gets the referral (DS is not taken here).
            node.get(RecordType::NS)?
        } else if let Some(set) = node.get(rtype) {
            set
        } else if node.get(RecordType::CNAME).is_some() || node.get(RecordType::NSEC3).is_some() {
            // A CNAME to follow, or an NSEC3 owner, which answers as a name that does not
            // exist (RFC 5155 §7.2.8): the full path decides.
            return None;
        } else {
            return self.negative(NOERROR, out);
        };
        self.image(owner, set, out)
    }

    /// The question names no node: find the closest encloser (RFC 4592 §3.3.1). Every
    /// ancestor of a node exists (empty non-terminals are nodes), so the deepest existing
    /// ancestor is the one the top-down walk of RFC 1034 §4.3.2 stops at.
    fn below(&self, name: &Lowered, above_apex: usize, out: &mut Vec<u8>) -> Option<u16> {
        for skip in 1..=above_apex {
            let ancestor = name.suffix(skip);
            let Some((owner, node)) = self.zone.nodes.entry_wire(ancestor) else {
                continue;
            };
            // An NSEC3 owner (RFC 5155 §7.2.8) or a DNAME above the name (RFC 6672):
            // the full path answers.
            if node.below_cut
                || node.get(RecordType::NSEC3).is_some()
                || node.get(RecordType::DNAME).is_some()
            {
                return None;
            }
            if node.cut {
                return self.image(owner, node.get(RecordType::NS)?, out);
            }
            if self.zone.has_wildcards {
                // The source of synthesis would be `*.<closest encloser>`.
                let mut star = [0u8; 257];
                star[..2].copy_from_slice(b"\x01*");
                let len = 2 + ancestor.0.len();
                star[2..len].copy_from_slice(ancestor.0);
                if self.zone.nodes.contains_wire(WireName(&star[..len])) {
                    return None;
                }
            }
            return self.negative(NXDOMAIN, out);
        }
        None
    }

    /// Writes the image of `set` (encoded now if this is its first use).
    fn image(&self, owner: Owner, set: &RRset, out: &mut Vec<u8>) -> Option<u16> {
        // Encoded on first use, while the zone's budget lasts (see `ImageLimits`).
        let budget = || self.zone.lazy_images.take(self.engine.image_limits.lazy);
        let encode = |dnssec| {
            let name = owner.to_name();
            self.engine.image(self.zone, &name, set.rtype, dnssec)
        };
        let images = match set.image.get() {
            Some(images) => images,
            None if budget() => set.image.get_or_init(|| Images::new(*encode(false))),
            None => return None,
        };
        let image = match (self.dnssec, images.signed.get()) {
            (false, _) => &images.plain,
            (true, Some(image)) => image,
            (true, None) if budget() => images.signed.get_or_init(|| encode(true)),
            (true, None) => return None,
        };
        let image: &Image = image.as_ref()?;
        if image.len(self.p.question.len()) > self.room {
            return None; // the full path truncates
        }
        let written = SCRATCH.with_borrow_mut(|(scratch, picks, rng)| {
            image.write(self.p, out, picks, &mut |seg, buf| {
                let Verdict::Serve { degraded, .. } =
                    balance::select_into(&seg.plan, self.health, rng, scratch)
                else {
                    return None; // every address down: NODATA or SERVFAIL by the full path
                };
                std::mem::swap(buf, &mut scratch.picks);
                let first = buf.first().copied();
                Some(seg.plan.served(seg.ttl, degraded, seg.in_answer, first))
            })
        });
        written.then(|| image.rcode())
    }

    /// NODATA (`rcode` 0) or NXDOMAIN (3): the zone's SOA in AUTHORITY (RFC 2308 §2),
    /// its owner a pointer to the zone's name at the end of the question.
    fn negative(&self, rcode: u16, out: &mut Vec<u8>) -> Option<u16> {
        if self.dnssec {
            return None; // NSEC/NSEC3 proofs come from the full path
        }
        let soa = &self.zone.negative_soa;
        let (qname_len, apex_len) = (self.p.question.len() - 4, self.apex_len);
        if soa.is_empty() || apex_len > qname_len {
            return None;
        }
        if HEADER + self.p.question.len() + 2 + soa.len() > self.room {
            return None;
        }
        image::start(out, self.p, AA | rcode);
        let target = (HEADER + qname_len - apex_len) as u16;
        out.extend_from_slice(&(0xc000 | target).to_be_bytes());
        out.extend_from_slice(soa);
        image::finish(out, self.p, [0, 1, 0]);
        Some(rcode)
    }
}
