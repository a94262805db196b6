//! A request parser for the fast path: header, one question and an optional OPT record,
//! read straight from the wire without building a message.
//!
//! It accepts only the plain shape of a query (RFC 1035 §4.1: QR=0, OPCODE=QUERY, one
//! question with an uncompressed name, no answer or authority records, at most an OPT
//! record of EDNS version 0, RFC 6891 §6.1) and returns `None` for anything else, which
//! then takes the full decoder. So it never has to decide an error itself.

use super::{CD, HEADER, RD, TYPE_OPT as OPT};

/// Offset of the question in a message (after the 12-byte header).
pub const QUESTION: usize = HEADER;

/// The EDNS fields the answer depends on (RFC 6891 §6.1.2, RFC 3225 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub payload: u16,
    pub dnssec_ok: bool,
}

/// A query of the plain shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub id: u16,
    /// RD and CD, copied to the response (RFC 1035 §4.1.1, RFC 4035 §3.1.6).
    pub copied_flags: u16,
    /// The question name in wire form, terminal zero byte included.
    pub qname: &'a [u8],
    pub qtype: u16,
    pub qclass: u16,
    /// Where the question ends: the header and question are echoed up to here.
    pub question_end: usize,
    pub edns: Option<Edns>,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// Parses `req` if it has the plain shape; `None` sends it to the full decoder.
pub fn parse(req: &[u8]) -> Option<Request<'_>> {
    let flags = u16_at(req, 2)?;
    // QR=0 and OPCODE=0 (QUERY); the other flag bits of a query are ignored.
    if flags & 0xf800 != 0 {
        return None;
    }
    let counts = [
        u16_at(req, 4)?,
        u16_at(req, 6)?,
        u16_at(req, 8)?,
        u16_at(req, 10)?,
    ];
    if counts[0] != 1 || counts[1] != 0 || counts[2] != 0 || counts[3] > 1 {
        return None;
    }
    let name_end = name_end(req, QUESTION)?;
    let qtype = u16_at(req, name_end)?;
    let qclass = u16_at(req, name_end + 2)?;
    let question_end = name_end + 4;
    let mut edns = None;
    let mut end = question_end;
    if counts[3] == 1 {
        let (e, next) = opt(req, question_end)?;
        edns = Some(e);
        end = next;
    }
    // Trailing bytes are odd enough to leave to the full decoder.
    if end != req.len() {
        return None;
    }
    Some(Request {
        id: u16_at(req, 0)?,
        copied_flags: flags & (RD | CD),
        qname: &req[QUESTION..name_end],
        qtype,
        qclass,
        question_end,
        edns,
    })
}

/// The end of an uncompressed name starting at `i` (RFC 1035 §3.1: labels of at most 63
/// bytes, 255 bytes in all). Compressed names are refused: a question has nothing to
/// point back to.
pub fn name_end(b: &[u8], mut i: usize) -> Option<usize> {
    let start = i;
    loop {
        let len = *b.get(i)? as usize;
        if len > 63 {
            return None;
        }
        i += 1 + len;
        if i - start > 255 {
            return None;
        }
        if len == 0 {
            return Some(i);
        }
    }
}

/// An OPT pseudo-record at `i` (RFC 6891 §6.1.2): root owner, TYPE 41, CLASS = payload
/// size, TTL = extended RCODE, version and flags. Only version 0 with extended RCODE 0 is
/// taken (BADVERS is the full decoder's business); options are checked for shape and
/// otherwise ignored, as the full path does.
fn opt(b: &[u8], i: usize) -> Option<(Edns, usize)> {
    if *b.get(i)? != 0 || u16_at(b, i + 1)? != OPT {
        return None;
    }
    let payload = u16_at(b, i + 3)?;
    let (ext_rcode, version) = (*b.get(i + 5)?, *b.get(i + 6)?);
    if ext_rcode != 0 || version != 0 {
        return None;
    }
    let dnssec_ok = u16_at(b, i + 7)? & 0x8000 != 0;
    let rdlen = u16_at(b, i + 9)? as usize;
    let (mut j, end) = (i + 11, i + 11 + rdlen);
    if end > b.len() {
        return None;
    }
    while j < end {
        let olen = u16_at(b, j + 2)? as usize;
        j += 4 + olen;
    }
    if j != end {
        return None;
    }
    Some((Edns { payload, dnssec_ok }, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &[u8], qtype: u16, opt: Option<&[u8]>) -> Vec<u8> {
        let mut q = vec![
            0x12,
            0x34,
            0x01,
            0x10,
            0,
            1,
            0,
            0,
            0,
            0,
            0,
            opt.is_some() as u8,
        ];
        q.extend_from_slice(name);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        if let Some(o) = opt {
            q.extend_from_slice(o);
        }
        q
    }

    const NAME: &[u8] = b"\x03www\x07example\x04test\x00";

    #[test]
    fn reads_a_plain_query() {
        let q = query(NAME, 1, None);
        let r = parse(&q).unwrap();
        assert_eq!(r.id, 0x1234);
        assert_eq!(r.copied_flags, RD | CD);
        assert_eq!(r.qname, NAME);
        assert_eq!((r.qtype, r.qclass), (1, 1));
        assert_eq!(r.question_end, q.len());
        assert_eq!(r.edns, None);
    }

    #[test]
    fn reads_edns_with_options() {
        // Payload 4096, DO set, one COOKIE option (code 10) of 8 bytes.
        let opt = b"\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x0c\x00\x0a\x00\x08abcdefgh";
        let q = query(NAME, 28, Some(opt));
        let e = parse(&q).unwrap().edns.unwrap();
        assert_eq!(e.payload, 4096);
        assert!(e.dnssec_ok);
    }

    #[test]
    fn leaves_everything_else_to_the_full_decoder() {
        let opt_v1 = b"\x00\x00\x29\x04\xd0\x00\x01\x00\x00\x00\x00";
        let bad_option = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x03\x00\x0a\x00";
        let not_opt = b"\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00";
        let mut response = query(NAME, 1, None);
        response[2] |= 0x80;
        let mut notify = query(NAME, 6, None);
        notify[2] = 0x20;
        let mut two = query(NAME, 1, None);
        two[5] = 2;
        let mut trailing = query(NAME, 1, None);
        trailing.push(0);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("EDNS version 1", query(NAME, 1, Some(opt_v1))),
            ("option overruns", query(NAME, 1, Some(bad_option))),
            ("additional not OPT", query(NAME, 1, Some(not_opt))),
            ("compressed name", query(b"\xc0\x0c", 1, None)),
            ("label too long", query(b"\x40", 1, None)),
            ("truncated", query(NAME, 1, None)[..20].to_vec()),
            ("response", response),
            ("NOTIFY", notify),
            ("two questions", two),
            ("trailing bytes", trailing),
        ];
        for (what, q) in cases {
            assert_eq!(parse(&q), None, "{what}");
        }
        let label: Vec<u8> = std::iter::once(63u8).chain([b'x'; 63]).collect();
        let mut long: Vec<u8> = label.repeat(5);
        long.push(0);
        assert_eq!(parse(&query(&long, 1, None)), None, "name over 255 bytes");
    }
}
