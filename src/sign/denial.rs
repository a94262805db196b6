//! The RDATA of the records that prove non-existence in a zone rrdns signs: NSEC
//! (RFC 4034 §4), NSEC3 and NSEC3PARAM (RFC 5155 §3, §4) with their type bitmaps, and
//! the NSEC3 hash (RFC 5155 §5).

use ring::digest::{SHA1_FOR_LEGACY_USE_ONLY as SHA1, digest};

/// The NSEC3 hash algorithm: SHA-1, the only one defined (RFC 5155 §11).
pub const SHA1_ALGORITHM: u8 = 1;

/// NSEC3 parameters (RFC 5155 §3.1.3, §3.1.5): RFC 9276 §3.1 asks for no extra
/// iterations and no salt, which is the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nsec3Params {
    pub iterations: u16,
    pub salt: Vec<u8>,
}

/// IH(salt, name, iterations) of RFC 5155 §5 with SHA-1, over `name` in lowercased wire
/// form.
pub fn nsec3_hash(name: &[u8], salt: &[u8], iterations: u16) -> [u8; 20] {
    let mut input = Vec::with_capacity(255 + salt.len());
    input.extend_from_slice(name);
    input.extend_from_slice(salt);
    let mut h = digest(&SHA1, &input);
    for _ in 0..iterations {
        input.clear();
        input.extend_from_slice(h.as_ref());
        input.extend_from_slice(salt);
        h = digest(&SHA1, &input);
    }
    let mut out = [0; 20];
    out.copy_from_slice(h.as_ref());
    out
}

pub use crate::wire::type_bitmap;

/// NSEC RDATA: the next owner name (wire form) and the types at this owner.
pub fn nsec(next: &[u8], types: &[u16]) -> Vec<u8> {
    let mut out = next.to_vec();
    out.extend(type_bitmap(types));
    out
}

/// NSEC3 RDATA without opt-out: hash algorithm, flags, iterations, salt, the next hashed
/// owner and the types at the original owner name.
pub fn nsec3(params: &Nsec3Params, next: &[u8; 20], types: &[u16]) -> Vec<u8> {
    let mut out = nsec3param(params);
    out.push(next.len() as u8);
    out.extend_from_slice(next);
    out.extend(type_bitmap(types));
    out
}

/// NSEC3PARAM RDATA: hash algorithm, flags (zero: RFC 5155 §4.1.2), iterations, salt.
pub fn nsec3param(params: &Nsec3Params) -> Vec<u8> {
    let mut out = vec![SHA1_ALGORITHM, 0];
    out.extend_from_slice(&params.iterations.to_be_bytes());
    out.push(params.salt.len() as u8);
    out.extend_from_slice(&params.salt);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4034 §4.3: `alfa.example.com. NSEC host.example.com. A MX RRSIG NSEC TYPE1234`.
    #[test]
    fn the_rfc_4034_bitmap_is_reproduced() {
        let bitmap = type_bitmap(&[1, 15, 46, 47, 1234]);
        // Window 0: A, MX, RRSIG, NSEC; window 4: 27 octets, the last with bit 2 set.
        let mut expected = vec![0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b];
        expected.extend([0; 26]);
        expected.push(0x20);
        assert_eq!(bitmap, expected);
        assert!(
            type_bitmap(&[]).is_empty(),
            "an empty non-terminal has no types"
        );
    }

    /// RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
    #[test]
    fn nsec3_hashes_of_rfc_5155_appendix_a() {
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        for (name, hash) in [
            (&b"\x07example\x00"[..], "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            (b"\x01a\x07example\x00", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            (
                b"\x01*\x01w\x07example\x00",
                "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
            ),
        ] {
            let h = nsec3_hash(name, &salt, 12);
            let text = data_encoding::BASE32HEX_NOPAD.encode(&h);
            assert_eq!(text.to_ascii_lowercase(), hash);
        }
    }

    #[test]
    fn nsec3_rdata_has_its_fields_in_order() {
        let p = Nsec3Params {
            iterations: 0,
            salt: vec![],
        };
        assert_eq!(nsec3param(&p), [1, 0, 0, 0, 0]);
        let r = nsec3(&p, &[7; 20], &[1]);
        assert_eq!(&r[..6], &[1, 0, 0, 0, 0, 20]);
        assert_eq!(&r[6..26], &[7; 20]);
        assert_eq!(&r[26..], &[0, 1, 0x40]);
    }
}
