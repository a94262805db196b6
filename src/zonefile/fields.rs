//! Readers for the RDATA field forms of RFC 3597-era and DNSSEC types, each straight to
//! wire octets: decimal integers, base64 and hex (which BIND lets span several tokens),
//! base32hex (RFC 4648 §7, NSEC3 hashes), the type bitmap of NSEC, NSEC3 and CSYNC
//! (RFC 4034 §4.1.2), RRSIG times (RFC 4034 §3.2) and DNSSEC algorithm mnemonics.

use hickory_proto::rr::RecordType;

use super::rdata::parse_type;

/// A decimal integer of at most `max`.
pub fn number(text: &str, max: u64, what: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("bad {what} '{text}' (a number up to {max})")),
    }
}

/// Base64 over the tokens joined (white space inside is allowed, RFC 4034 §2.2).
pub fn base64(tokens: &[&str]) -> Result<Vec<u8>, String> {
    let text: String = tokens.concat();
    data_encoding::BASE64
        .decode(text.as_bytes())
        .map_err(|e| format!("bad base64 '{text}': {e}"))
}

/// Hex over the tokens joined.
pub fn hex(tokens: &[&str]) -> Result<Vec<u8>, String> {
    let text: String = tokens.concat();
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|_| format!("bad hex '{text}'"))
}

/// Base32 with the extended hex alphabet, no padding (RFC 5155 §3.3, RFC 4648 §7).
pub fn base32hex(text: &str) -> Result<Vec<u8>, String> {
    data_encoding::BASE32HEX_NOPAD
        .decode(text.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("bad base32hex '{text}'"))
}

/// A salt (NSEC3, NSEC3PARAM): `-` for none, else hex; with its length octet.
pub fn salt(text: &str) -> Result<Vec<u8>, String> {
    let bytes = if text == "-" {
        Vec::new()
    } else {
        hex(&[text])?
    };
    let len = u8::try_from(bytes.len()).map_err(|_| format!("salt '{text}' is too long"))?;
    Ok([vec![len], bytes].concat())
}

/// The type bitmap of NSEC, NSEC3 and CSYNC (RFC 4034 §4.1.2): window blocks of the
/// types present, in order.
pub fn type_bitmap(tokens: &[&str]) -> Result<Vec<u8>, String> {
    Ok(crate::wire::type_bitmap(&type_codes(tokens)?))
}

/// The type codes of mnemonics or `TYPEnnn`s.
fn type_codes(tokens: &[&str]) -> Result<Vec<u16>, String> {
    (tokens.iter())
        .map(|t| {
            parse_type(t)
                .map(u16::from)
                .ok_or_else(|| format!("unknown type '{t}' in a type bitmap"))
        })
        .collect()
}

/// NXT's bitmap (RFC 2535 §5.2): one bit per type from 0 to 127, bit 0 always clear,
/// trailing zero octets left out; written as mnemonics or numbers.
pub fn nxt_bitmap(tokens: &[&str]) -> Result<Vec<u8>, String> {
    let mut bits = [0u8; 16];
    let mut len = 0;
    // BIND writes a type it has no mnemonic for as its number here.
    let codes: Result<Vec<u16>, String> = (tokens.iter())
        .map(|t| t.parse::<u16>().or_else(|_| type_codes(&[t]).map(|c| c[0])))
        .collect();
    for (code, t) in codes?.into_iter().zip(tokens) {
        if code == 0 || code > 127 {
            return Err(format!(
                "type '{t}' cannot be in an NXT bitmap (1 to 127 only)"
            ));
        }
        let i = usize::from(code);
        bits[i / 8] |= 0x80 >> (i % 8);
        len = len.max(i / 8 + 1);
    }
    Ok(bits[..len].to_vec())
}

/// A DNSSEC algorithm, as a number or its mnemonic (RFC 4034 App. A.1, RFC 8624).
pub fn algorithm(text: &str) -> Result<u8, String> {
    let known = [
        ("RSAMD5", 1),
        ("DH", 2),
        ("DSA", 3),
        ("RSASHA1", 5),
        ("DSA-NSEC3-SHA1", 6),
        ("RSASHA1-NSEC3-SHA1", 7),
        ("RSASHA256", 8),
        ("RSASHA512", 10),
        ("ECC-GOST", 12),
        ("ECDSAP256SHA256", 13),
        ("ECDSAP384SHA384", 14),
        ("ED25519", 15),
        ("ED448", 16),
        ("INDIRECT", 252),
        ("PRIVATEDNS", 253),
        ("PRIVATEOID", 254),
    ];
    mnemonic(text, &known, 255, "algorithm").map(|n| n as u8)
}

/// A value given by one of the mnemonics `known` (any case), or as a number up to `max`.
pub fn mnemonic(text: &str, known: &[(&str, u64)], max: u64, what: &str) -> Result<u64, String> {
    let up = text.to_ascii_uppercase();
    match known.iter().find(|(name, _)| *name == up) {
        Some(&(_, n)) => Ok(n),
        None => number(text, max, what),
    }
}

/// An RRSIG time: `YYYYMMDDHHmmSS` (UTC), or seconds since the epoch (RFC 4034 §3.2).
pub fn rrsig_time(text: &str) -> Result<u32, String> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return number(text, u64::from(u32::MAX), "signature time").map(|n| n as u32);
    }
    let part = |from: usize, to: usize| text[from..to].parse::<i64>().unwrap_or(0);
    let (y, mo, d) = (part(0, 4), part(4, 6), part(6, 8));
    let (h, mi, s) = (part(8, 10), part(10, 12), part(12, 14));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(format!("bad signature time '{text}'"));
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    // Serial number arithmetic on 32 bits (RFC 4034 §3.1.5): the time modulo 2^32.
    Ok(secs.rem_euclid(1 << 32) as u32)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The type a signature covers, by mnemonic or `TYPEnnn`.
pub fn covered(text: &str) -> Result<u16, String> {
    parse_type(text)
        .map(u16::from)
        .or_else(|| (text.eq_ignore_ascii_case("ANY")).then_some(u16::from(RecordType::ANY)))
        .ok_or_else(|| format!("unknown type covered '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_as_rfc_4034_encodes_them() {
        // RFC 4034 §4.3's example: A MX RRSIG NSEC TYPE1234.
        let b = type_bitmap(&["A", "MX", "RRSIG", "NSEC", "TYPE1234"]).unwrap();
        let mut want = vec![0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b];
        want.extend([0u8; 26]);
        want.push(0x20);
        assert_eq!(b, want);
        assert!(type_bitmap(&[]).unwrap().is_empty());
    }

    #[test]
    fn times_encodings_and_mnemonics() {
        // RFC 4034 §3.3's example: 20030322173103 is 1048354263.
        assert_eq!(rrsig_time("20030322173103").unwrap(), 1_048_354_263);
        assert_eq!(rrsig_time("1048354263").unwrap(), 1_048_354_263);
        assert!(rrsig_time("20031322173103").is_err());
        assert_eq!(algorithm("ecdsap256sha256").unwrap(), 13);
        assert_eq!(algorithm("8").unwrap(), 8);
        assert_eq!(base32hex("cls2sr35").unwrap(), b"ex.le");
        assert_eq!(salt("-").unwrap(), [0]);
        assert_eq!(salt("AABB").unwrap(), [2, 0xaa, 0xbb]);
        assert_eq!(hex(&["0a", "0B"]).unwrap(), [10, 11]);
        assert_eq!(base64(&["AQID", "BA=="]).unwrap(), [1, 2, 3, 4]);
    }
}
