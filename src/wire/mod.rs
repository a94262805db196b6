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
/// TYPE OPT (RFC 6891 §6.1.1).
pub const TYPE_OPT: u16 = 41;

/// Our EDNS UDP payload size and the cap on any UDP answer (DNS Flag Day 2020).
pub const MAX_UDP_PAYLOAD: u16 = 1232;
/// The classic limit for clients without EDNS (RFC 1035 §4.2.1).
pub const PLAIN_UDP_PAYLOAD: usize = 512;

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
