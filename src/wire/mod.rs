//! The DNS wire format: what every layer above shares about bytes on the wire.
//!
//! A leaf: it imports nothing of the crate but [`crate::balance`] (an [`image::Image`]
//! keeps the plan of each balanced RRset it holds). Here live the header layout and size
//! limits, names in wire form ([`name`], [`namebuf`]), the fast request parser
//! ([`request`]), precomputed answers ([`image`]), TSIG ([`tsig`]) and RFC 1982 serial
//! arithmetic.

pub mod image;
pub mod name;
pub mod namebuf;
pub mod request;
pub mod tsig;

/// The message header is 12 bytes (RFC 1035 §4.1.1); the question follows it.
pub const HEADER: usize = 12;
/// QR=1 in the header flags: a response.
pub const QR: u16 = 0x8000;
/// The AA flag (RFC 1035 §4.1.1).
pub const AA: u16 = 0x0400;
/// RD, copied from the request (RFC 1035 §4.1.1).
pub const RD: u16 = 0x0100;
/// CD, copied from the request (RFC 4035 §3.1.6).
pub const CD: u16 = 0x0010;
/// The RCODE bits of the header flags.
pub const RCODE: u16 = 0x000f;
/// RCODE NOERROR (RFC 1035 §4.1.1).
pub const NOERROR: u16 = 0;
/// RCODE NXDOMAIN (RFC 1035 §4.1.1).
pub const NXDOMAIN: u16 = 3;
/// TYPE SOA (RFC 1035 §3.2.2).
pub const TYPE_SOA: u16 = 6;
/// TYPE OPT (RFC 6891 §6.1.1).
pub const TYPE_OPT: u16 = 41;
/// TYPE DS (RFC 4034 §5).
pub const TYPE_DS: u16 = 43;
/// QTYPE IXFR (RFC 1995 §2).
pub const TYPE_IXFR: u16 = 251;
/// QTYPE AXFR (RFC 5936 §2).
pub const TYPE_AXFR: u16 = 252;
/// CLASS IN (RFC 1035 §3.2.4).
pub const CLASS_IN: u16 = 1;

/// The sections of a message after the question (RFC 1035 §4.1), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Answer = 0,
    Authority = 1,
    Additional = 2,
}

impl Section {
    /// The position of the section's count after QDCOUNT (ANCOUNT, NSCOUNT, ARCOUNT).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Our EDNS UDP payload size and the cap on any UDP answer (DNS Flag Day 2020).
pub const MAX_UDP_PAYLOAD: u16 = 1232;
/// The classic limit for clients without EDNS (RFC 1035 §4.2.1).
pub const PLAIN_UDP_PAYLOAD: usize = 512;

/// RDATA kept as opaque octets (RFC 3597), empty allowed: hickory's `NULL::with` asserts
/// in debug builds that there is data, and `TYPE65000 \# 0` has none.
pub fn opaque(bytes: Vec<u8>) -> hickory_proto::rr::rdata::NULL {
    let mut null = hickory_proto::rr::rdata::NULL::new();
    null.anything = bytes;
    null
}

/// The type bitmap of NSEC, NSEC3 and CSYNC (RFC 4034 §4.1.2): per window of 256 types
/// that has any, its number, the length of its bitmap, and the bitmap without trailing
/// zero octets. `types` in any order, repeats allowed.
pub fn type_bitmap(types: &[u16]) -> Vec<u8> {
    let mut types = types.to_vec();
    types.sort_unstable();
    types.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while i < types.len() {
        let window = (types[i] >> 8) as u8;
        let mut bits = [0u8; 32];
        let mut len = 0;
        while i < types.len() && (types[i] >> 8) as u8 == window {
            let low = (types[i] & 0xff) as usize;
            bits[low / 8] |= 0x80 >> (low % 8);
            len = low / 8 + 1;
            i += 1;
        }
        out.push(window);
        out.push(len as u8);
        out.extend_from_slice(&bits[..len]);
    }
    out
}

/// RFC 1982 serial number arithmetic: `a < b`.
pub fn serial_lt(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1982_serials() {
        assert!(serial_lt(1, 2));
        assert!(!serial_lt(2, 1));
        assert!(serial_lt(0xffff_fff0, 5), "wraps");
        assert!(!serial_lt(5, 5));
    }
}
