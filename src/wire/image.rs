//! Wire images: an answer encoded once and then copied for every query that asks the same.
//!
//! An image is the part of a response after the question — answer, authority and
//! additional records, compressed — as the full answering path produced it for one owner
//! name and type. Answering from it is a copy plus three patches: the header (ID, RD/CD
//! echoed), the question (copied from the request, so the client's case is echoed and the
//! compression pointers into it stay valid), and an OPT record when the request had one.
//!
//! Balanced RRsets stay fresh per query: the image keeps every address record of such a set
//! as a fixed-size slot (owner pointer, type, class, TTL, address), and the writer emits the
//! slots the balancer picks, in its order, with the TTL it chooses. Nothing is cached about
//! order or health.
//!
//! A referral image can serve any name below the cut: a longer question moves everything
//! after it, so every compression pointer in the image moves by the same amount (RFC 1035
//! §4.1.4 pointers count from the start of the message).

use std::sync::Arc;

use super::{AA, HEADER, MAX_UDP_PAYLOAD, QR, RCODE, Section};
use crate::balance::Plan;
/// Offset of the TTL in an address slot: owner pointer (2), TYPE (2), CLASS (2).
const SLOT_TTL: usize = 6;

/// Where a balanced RRset's records sit in the full path's response, by record position.
#[derive(Debug, Clone)]
pub struct Balanced {
    pub section: Section,
    /// Position of the first record within its section.
    pub first: usize,
    pub count: usize,
    pub plan: Arc<Plan>,
    /// The TTL written in the template (the RRset's TTL capped by the policy).
    pub ttl: u32,
    pub in_answer: bool,
}

/// A balanced RRset inside an image: `count` slots of `slot` bytes from `start`.
#[derive(Debug, Clone)]
pub struct Segment {
    pub section: Section,
    start: usize,
    slot: usize,
    count: usize,
    pub plan: Arc<Plan>,
    pub ttl: u32,
    pub in_answer: bool,
}

/// A precomputed response body for one owner name and type.
#[derive(Debug, Clone)]
pub struct Image {
    /// Header flags of the response: QR, AA and RCODE (RD/CD come from the request).
    flags: u16,
    /// ANCOUNT, NSCOUNT, ARCOUNT of the body.
    counts: [u16; 3],
    /// Length of the question (name, type, class) the body was encoded after.
    question_len: usize,
    body: Box<[u8]>,
    /// Offsets in `body` of every compression pointer.
    pointers: Box<[u16]>,
    segments: Box<[Segment]>,
}

/// What the caller decides per query.
pub struct Patch<'a> {
    pub id: u16,
    pub copied_flags: u16,
    /// The request's question, echoed as is.
    pub question: &'a [u8],
    /// `Some(DO bit)` when the response carries an OPT record.
    pub opt: Option<bool>,
}

/// Our OPT record: root owner, TYPE 41, payload 1232, version 0 (RFC 6891 §6.1.2).
fn opt_record(dnssec_ok: bool) -> [u8; 11] {
    let size = MAX_UDP_PAYLOAD.to_be_bytes();
    let flags = if dnssec_ok { 0x80 } else { 0 };
    [0, 0, 41, size[0], size[1], 0, 0, flags, 0, 0, 0]
}

/// Writes a header with QDCOUNT 1 and the question; the other counts are set later.
pub fn start(out: &mut Vec<u8>, p: &Patch<'_>, flags: u16) {
    out.clear();
    out.extend_from_slice(&p.id.to_be_bytes());
    out.extend_from_slice(&(QR | flags | p.copied_flags).to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(p.question);
}

/// Appends the OPT record if the request had one and sets the section counts.
pub fn finish(out: &mut Vec<u8>, p: &Patch<'_>, mut counts: [u16; 3]) {
    if let Some(dnssec_ok) = p.opt {
        out.extend_from_slice(&opt_record(dnssec_ok));
        counts[2] += 1;
    }
    for (i, c) in counts.iter().enumerate() {
        out[6 + 2 * i..8 + 2 * i].copy_from_slice(&c.to_be_bytes());
    }
}

/// Size of an OPT record.
pub const OPT_LEN: usize = 11;

impl Image {
    /// Reads a response of the full path (one question, any records) into an image.
    /// `None` when its shape does not allow one (a balanced set that is not a run of
    /// equal slots, or a pointer that would move when slots are left out).
    pub fn from_response(msg: &[u8], balanced: &[Balanced]) -> Option<Image> {
        let at = |i: usize| Some(u16::from_be_bytes([*msg.get(i)?, *msg.get(i + 1)?]));
        if at(4)? != 1 {
            return None;
        }
        let flags = at(2)? & (AA | RCODE);
        let counts = [at(6)?, at(8)?, at(10)?];
        let mut w = Walker {
            msg,
            pos: HEADER,
            pointers: Vec::new(),
        };
        w.name()?;
        w.skip(4)?;
        let question_end = w.pos;
        if !w.pointers.is_empty() {
            return None;
        }
        // (start, end, type) of every record, per section.
        let mut spans: [Vec<(usize, usize, u16)>; 3] = Default::default();
        for (section, &count) in counts.iter().enumerate() {
            for _ in 0..count {
                let start = w.pos;
                w.name()?;
                let rtype = w.u16()?;
                w.skip(6)?;
                let rdlen = w.u16()? as usize;
                let rdata = w.pos;
                w.rdata(rtype, rdlen)?;
                if w.pos != rdata + rdlen {
                    return None;
                }
                spans[section].push((start, w.pos, rtype));
            }
        }
        if w.pos != msg.len() {
            return None;
        }
        let mut segments = Vec::with_capacity(balanced.len());
        for b in balanced {
            let run = spans[b.section.index()].get(b.first..b.first + b.count)?;
            let (start, end, _) = *run.first()?;
            let slot = end - start;
            let regular = run.iter().enumerate().all(|(i, &(s, e, t))| {
                s == start + i * slot && e - s == slot && msg[s] >= 0xc0 && matches!(t, 1 | 28)
            });
            if !regular {
                return None;
            }
            segments.push(Segment {
                section: b.section,
                start: start - question_end,
                slot,
                count: b.count,
                plan: b.plan.clone(),
                ttl: b.ttl,
                in_answer: b.in_answer,
            });
        }
        // Leaving slots out moves what follows them: nothing after the first slot may be
        // the target of a pointer.
        if let Some(first) = segments.iter().map(|s| s.start + question_end).min()
            && w.pointers.iter().any(|&(_, target)| target >= first)
        {
            return None;
        }
        let pointers = w
            .pointers
            .iter()
            .map(|&(pos, _)| u16::try_from(pos - question_end).ok())
            .collect::<Option<Vec<u16>>>()?;
        Some(Image {
            flags,
            counts,
            question_len: question_end - HEADER,
            body: msg[question_end..].into(),
            pointers: pointers.into(),
            segments: segments.into(),
        })
    }

    /// The response length for a question of `question_len` bytes before balancing leaves
    /// slots out, OPT not included.
    pub fn len(&self, question_len: usize) -> usize {
        HEADER + question_len + self.body.len()
    }

    /// The response code this image answers with.
    pub fn rcode(&self) -> u16 {
        self.flags & RCODE
    }

    /// Writes the response into `out`. `choose` picks slots for each balanced segment,
    /// filling the positions into its buffer and returning the TTL, or `None` when the
    /// answer cannot come from the image (then `write` returns false).
    pub fn write(
        &self,
        p: &Patch<'_>,
        out: &mut Vec<u8>,
        picks: &mut Vec<usize>,
        choose: &mut dyn FnMut(&Segment, &mut Vec<usize>) -> Option<u32>,
    ) -> bool {
        start(out, p, self.flags);
        let base = out.len();
        let mut counts = self.counts;
        if p.question.len() != self.question_len {
            // A longer name below a referral: move every pointer (only images without
            // balanced slots, whose layout is fixed).
            if !self.segments.is_empty() || p.question.len() < self.question_len {
                return false;
            }
            let delta = p.question.len() - self.question_len;
            out.extend_from_slice(&self.body);
            for &at in self.pointers.iter() {
                let i = base + at as usize;
                let target = (u16::from_be_bytes([out[i], out[i + 1]]) & 0x3fff) as usize + delta;
                if target >= 0x4000 {
                    return false;
                }
                out[i..i + 2].copy_from_slice(&(0xc000 | target as u16).to_be_bytes());
            }
            finish(out, p, counts);
            return true;
        }
        let mut pos = 0;
        for seg in self.segments.iter() {
            out.extend_from_slice(&self.body[pos..seg.start]);
            picks.clear();
            let Some(ttl) = choose(seg, picks) else {
                return false;
            };
            for &i in picks.iter() {
                if i >= seg.count {
                    return false;
                }
                let s = out.len();
                let from = seg.start + i * seg.slot;
                out.extend_from_slice(&self.body[from..from + seg.slot]);
                out[s + SLOT_TTL..s + SLOT_TTL + 4].copy_from_slice(&ttl.to_be_bytes());
            }
            // Weight by repetition may pick an address more than once.
            let Ok(picked) = u16::try_from(picks.len()) else {
                return false;
            };
            let c = &mut counts[seg.section.index()];
            *c = *c - seg.count as u16 + picked;
            pos = seg.start + seg.count * seg.slot;
        }
        out.extend_from_slice(&self.body[pos..]);
        finish(out, p, counts);
        true
    }
}

/// Reads names and fields of a message, noting every compression pointer.
struct Walker<'m> {
    msg: &'m [u8],
    pos: usize,
    /// (position, target) of each pointer.
    pointers: Vec<(usize, usize)>,
}

impl Walker<'_> {
    fn skip(&mut self, n: usize) -> Option<()> {
        self.pos += n;
        (self.pos <= self.msg.len()).then_some(())
    }

    fn u16(&mut self) -> Option<u16> {
        let v = u16::from_be_bytes([*self.msg.get(self.pos)?, *self.msg.get(self.pos + 1)?]);
        self.pos += 2;
        Some(v)
    }

    fn name(&mut self) -> Option<()> {
        loop {
            let len = *self.msg.get(self.pos)? as usize;
            match len {
                0 => {
                    self.pos += 1;
                    return Some(());
                }
                0xc0.. => {
                    let target = (self.u16()? & 0x3fff) as usize;
                    if target >= self.pos - 2 {
                        return None;
                    }
                    self.pointers.push((self.pos - 2, target));
                    return Some(());
                }
                1..=63 => self.skip(1 + len)?,
                _ => return None,
            }
        }
    }

    /// RDATA of `rtype`: the types whose names may be compressed (RFC 3597 §4: only those
    /// of RFC 1035) are read name by name; everything else is opaque.
    fn rdata(&mut self, rtype: u16, rdlen: usize) -> Option<()> {
        match rtype {
            // NS, CNAME, PTR
            2 | 5 | 12 => self.name(),
            // MX: preference, exchange
            15 => {
                self.skip(2)?;
                self.name()
            }
            // SOA: MNAME, RNAME, five 32-bit fields
            6 => {
                self.name()?;
                self.name()?;
                self.skip(20)
            }
            // MB, MD, MF, MG, MR, MINFO, and anything else that might hold compressed
            // names in some encoder: not ours to guess, so no image.
            3 | 4 | 7..=9 | 14 => None,
            _ => self.skip(rdlen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response for `www.t.` A with two A records (pointers to the question), and a
    /// referral-shaped one with NS and glue.
    fn two_a() -> Vec<u8> {
        let mut m = vec![0, 0, 0x84, 0, 0, 1, 0, 2, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03www\x01t\x00\x00\x01\x00\x01");
        for last in [1u8, 2] {
            m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, last]);
        }
        m
    }

    fn plan(n: usize) -> Arc<Plan> {
        use crate::balance::{AllDown, Policy, Weighting};
        Arc::new(Plan {
            pool: None,
            addrs: (0..n)
                .map(|i| format!("192.0.2.{}", i + 1).parse().unwrap())
                .collect(),
            weights: vec![1; n],
            policy: Policy {
                weighting: Weighting::Duplicate,
                answers: n,
                ttl: 300,
                all_down: AllDown::All,
            },
            check: None,
            served: (0..n).map(|_| Default::default()).collect(),
            tier_of: vec![0; n],
            tiers: 1,
            min_up: Default::default(),
            slow_start: None,
            whole: false,
        })
    }

    fn patch(question: &[u8]) -> Patch<'_> {
        Patch {
            id: 0xbeef,
            copied_flags: 0x0100,
            question,
            opt: Some(true),
        }
    }

    #[test]
    fn balanced_slots_are_written_in_the_chosen_order_with_the_chosen_ttl() {
        let msg = two_a();
        let b = Balanced {
            section: Section::Answer,
            first: 0,
            count: 2,
            plan: plan(2),
            ttl: 300,
            in_answer: true,
        };
        let img = Image::from_response(&msg, &[b]).unwrap();
        let q = b"\x03WWW\x01t\x00\x00\x01\x00\x01";
        let mut out = Vec::new();
        let mut picks = Vec::new();
        let ok = img.write(&patch(q), &mut out, &mut picks, &mut |_, p| {
            p.push(1);
            Some(7)
        });
        assert!(ok);
        assert_eq!(&out[..4], &[0xbe, 0xef, 0x85, 0x00], "ID, QR|AA|RD");
        assert_eq!(&out[4..12], &[0, 1, 0, 1, 0, 0, 0, 1], "one answer and OPT");
        assert_eq!(&out[12..12 + q.len()], q, "the question as asked");
        let rr = &out[12 + q.len()..];
        assert_eq!(
            &rr[..16],
            &[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 7, 0, 4, 192, 0, 2, 2]
        );
        assert_eq!(&rr[16..], &opt_record(true));
    }

    #[test]
    fn a_longer_question_moves_every_pointer() {
        // Referral for `sub.t.`: NS ns.sub.t. (pointer to the question) and glue.
        let mut m = vec![0, 0, 0x80, 0, 0, 1, 0, 0, 0, 1, 0, 1];
        m.extend_from_slice(b"\x03sub\x01t\x00\x00\x02\x00\x01");
        m.extend_from_slice(&[0xc0, 12, 0, 2, 0, 1, 0, 0, 1, 44, 0, 5]);
        m.extend_from_slice(b"\x02ns\xc0\x0c");
        m.extend_from_slice(&[0xc0, 35, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 9]);
        let img = Image::from_response(&m, &[]).unwrap();
        let q = b"\x01x\x03sub\x01t\x00\x00\x01\x00\x01";
        let mut out = Vec::new();
        let ok = img.write(&patch(q), &mut out, &mut Vec::new(), &mut |_, _| None);
        assert!(ok);
        let parsed = hickory_proto::op::Message::from_vec(&out).unwrap();
        assert_eq!(parsed.authorities[0].name.to_ascii(), "sub.t.");
        assert_eq!(parsed.additionals[0].name.to_ascii(), "ns.sub.t.");
        assert_eq!(
            parsed.authorities[0].data.to_string(),
            "ns.sub.t.",
            "pointer in RDATA moved too"
        );
    }

    #[test]
    fn irregular_or_unsafe_shapes_get_no_image() {
        let msg = two_a();
        let b = |first, count| Balanced {
            section: Section::Answer,
            first,
            count,
            plan: plan(count),
            ttl: 300,
            in_answer: true,
        };
        assert!(
            Image::from_response(&msg, &[b(1, 2)]).is_none(),
            "past the end"
        );
        assert!(
            Image::from_response(&msg[..msg.len() - 1], &[]).is_none(),
            "cut short"
        );
        let mut extra = msg.clone();
        extra.push(0);
        assert!(Image::from_response(&extra, &[]).is_none(), "trailing byte");
        // An opaque TXT after the slots is fine; an NS whose RDATA points into the slots
        // would break when a slot is left out.
        let with = |rtype: u8, rdata: &[u8]| {
            let mut m = msg.clone();
            m[9] = 1;
            m.extend_from_slice(&[0xc0, 12, 0, rtype, 0, 1, 0, 0, 1, 44, 0, rdata.len() as u8]);
            m.extend_from_slice(rdata);
            m
        };
        let first_slot = 12 + 11;
        let txt = with(16, &[1, b'x']);
        assert!(
            Image::from_response(&txt, &[b(0, 2)]).is_some(),
            "TXT after slots"
        );
        let ns = with(2, &[2, b'n', b's', 0xc0, first_slot as u8]);
        assert!(
            Image::from_response(&ns, &[]).is_some(),
            "no slots, no problem"
        );
        assert!(
            Image::from_response(&ns, &[b(0, 2)]).is_none(),
            "NS pointing into the slots"
        );
    }
}
