//! Types that hickory-proto cannot read from text, or reads unlike BIND, read here by
//! their field layout straight into RFC 3597 wire form (`RData::Unknown` with the type's
//! code): the old RFC 1035/1183 types (MB, MINFO, RP, AFSDB, X25, ISDN, RT, PX, …), the
//! DNSSEC types (DNSKEY, RRSIG, NSEC, NSEC3, DS, …, with base64 and hex split across
//! tokens as BIND allows), and later ones (URI, EUI48, NID, ZONEMD, SPF, …). Names in
//! these records are written uncompressed, which RFC 3597 §4 asks of every type after
//! RFC 1035 and is always valid on the wire.

use hickory_proto::rr::{RData, RecordType};

use super::fields::{
    algorithm, base32hex, base64, covered, hex, mnemonic, number, rrsig_time, salt, type_bitmap,
};
use super::lexer::Token;
use super::rdata::{Origin, absolute_wire};
use super::strings::{character_string, octets};
use super::{loc, special, svcb};
use crate::wire::namebuf::NameBuf;

/// One field of a layout, in presentation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    /// A domain name, completed with the origin.
    Name,
    U8,
    U16,
    U32,
    /// A DNSSEC algorithm, number or mnemonic (one octet).
    Alg,
    /// A `<character-string>`, and one that may be left out.
    Str,
    OptStr,
    /// One or more `<character-string>`s, to the end.
    Strs,
    /// The rest of the tokens as base64, or hex.
    Base64,
    Hex,
    /// NSAP: `0x` and hex, dots allowed (RFC 1706 §5).
    Nsap,
    Ipv4,
    /// EUI-48 and EUI-64: hex pairs joined by `-` (RFC 7043 §3.2, §4.2).
    Eui48,
    Eui64,
    /// An ILNP 64-bit locator or node ID: four groups of four hex digits (RFC 6742).
    Ilnp64,
    /// The URI target: one string's octets, no length octet (RFC 7553 §4.4).
    Uri,
    /// RRSIG's type covered, and its times.
    Covered,
    Time,
    /// A type bitmap, to the end.
    Bitmap,
    /// NXT's older bitmap (types 1 to 127), to the end.
    NxtBitmap,
    /// A record type, by mnemonic or `TYPEnnn` (two octets).
    RrType,
    /// DSYNC's scheme: `NOTIFY` or a number (one octet).
    Scheme,
    /// NSEC3's salt and next hashed owner (with their length octets).
    Salt,
    Hash32,
    /// CERT's certificate type, number or mnemonic (RFC 4398 §2.2).
    CertType,
}

use F::*;

/// Every type read here: mnemonic, code, fields. LOC has a reader of its own.
const LAYOUTS: &[(&str, u16, &[F])] = &[
    ("MD", 3, &[Name]),
    ("MF", 4, &[Name]),
    ("MB", 7, &[Name]),
    ("MG", 8, &[Name]),
    ("MR", 9, &[Name]),
    ("MINFO", 14, &[Name, Name]),
    ("RP", 17, &[Name, Name]),
    ("AFSDB", 18, &[U16, Name]),
    ("X25", 19, &[Str]),
    ("ISDN", 20, &[Str, OptStr]),
    ("RT", 21, &[U16, Name]),
    ("NSAP", 22, &[Nsap]),
    ("NSAP-PTR", 23, &[Name]),
    (
        "SIG",
        24,
        &[Covered, Alg, U8, U32, Time, Time, U16, Name, Base64],
    ),
    ("KEY", 25, &[U16, U8, Alg, Base64]),
    ("PX", 26, &[U16, Name, Name]),
    // RFC 2535's NXT, obsoleted by NSEC (RFC 3755) but still read by BIND.
    ("NXT", 30, &[Name, NxtBitmap]),
    ("GPOS", 27, &[Str, Str, Str]),
    ("EID", 31, &[Hex]),
    ("NIMLOC", 32, &[Hex]),
    ("KX", 36, &[U16, Name]),
    ("DNAME", 39, &[Name]),
    ("SINK", 40, &[U8, U8, U8, Base64]),
    ("CERT", 37, &[CertType, U16, Alg, Base64]),
    ("DS", 43, &[U16, Alg, U8, Hex]),
    ("SSHFP", 44, &[U8, U8, Hex]),
    (
        "RRSIG",
        46,
        &[Covered, Alg, U8, U32, Time, Time, U16, Name, Base64],
    ),
    ("NSEC", 47, &[Name, Bitmap]),
    ("DNSKEY", 48, &[U16, U8, Alg, Base64]),
    ("DHCID", 49, &[Base64]),
    ("NSEC3", 50, &[U8, U8, U16, Salt, Hash32, Bitmap]),
    ("NSEC3PARAM", 51, &[U8, U8, U16, Salt]),
    ("TLSA", 52, &[U8, U8, U8, Hex]),
    ("SMIMEA", 53, &[U8, U8, U8, Hex]),
    ("NINFO", 56, &[Strs]),
    ("RKEY", 57, &[U16, U8, Alg, Base64]),
    ("TALINK", 58, &[Name, Name]),
    ("CDS", 59, &[U16, Alg, U8, Hex]),
    ("CDNSKEY", 60, &[U16, U8, Alg, Base64]),
    ("OPENPGPKEY", 61, &[Base64]),
    ("CSYNC", 62, &[U32, U16, Bitmap]),
    ("ZONEMD", 63, &[U32, U8, U8, Hex]),
    ("SPF", 99, &[Strs]),
    ("NID", 104, &[U16, Ilnp64]),
    ("L32", 105, &[U16, Ipv4]),
    ("L64", 106, &[U16, Ilnp64]),
    ("LP", 107, &[U16, Name]),
    ("EUI48", 108, &[Eui48]),
    ("EUI64", 109, &[Eui64]),
    ("URI", 256, &[U16, U16, Uri]),
    ("AVC", 258, &[Strs]),
    ("RESINFO", 261, &[Strs]),
    ("WALLET", 262, &[Strs]),
    ("DSYNC", 66, &[RrType, Scheme, U16, Name]),
    ("HHIT", 67, &[Base64]),
    ("BRID", 68, &[Base64]),
    // BIND's private type for managed trust anchors (managed-keys.bind): refresh, add
    // hold-down and remove hold-down times, then a DNSKEY.
    ("KEYDATA", 65533, &[Time, Time, Time, U16, U8, Alg, Base64]),
    ("TA", 32768, &[U16, Alg, U8, Hex]),
    ("DLV", 32769, &[U16, Alg, U8, Hex]),
];

/// Types with readers of their own: LOC ([`loc`]); WKS, ATMA, A6, APL, IPSECKEY, HIP,
/// DOA and AMTRELAY ([`special`]); SVCB and HTTPS ([`svcb`]) are named by hickory.
const OWN: [(&str, u16); 10] = [
    // RFC 1035's UNSPEC: written only as RFC 3597 data, as BIND reads it.
    ("UNSPEC", 103),
    ("LOC", 29),
    ("WKS", 11),
    ("ATMA", 34),
    ("A6", 38),
    ("APL", 42),
    ("IPSECKEY", 45),
    ("HIP", 55),
    ("DOA", 259),
    ("AMTRELAY", 260),
];

/// The type named `mnemonic` (upper case) when it is read here.
pub fn type_of(mnemonic: &str) -> Option<RecordType> {
    if let Some(&(_, code)) = OWN.iter().find(|(name, _)| *name == mnemonic) {
        return Some(RecordType::from(code));
    }
    LAYOUTS
        .iter()
        .find(|(name, _, _)| *name == mnemonic)
        .map(|&(_, code, _)| RecordType::from(code))
}

/// Reads the RDATA of `t` when it is a type read here; `None` leaves it to hickory.
pub fn read(t: RecordType, tokens: &[Token], origin: &Origin) -> Option<Result<RData, String>> {
    let code = u16::from(t);
    let bytes = match code {
        29 => loc::read(tokens),
        11 => special::wks(tokens),
        42 => special::apl(tokens),
        45 => special::ipseckey(tokens, origin),
        55 => special::hip(tokens, origin),
        34 => special::atma(tokens),
        38 => special::a6(tokens, origin),
        259 => special::doa(tokens),
        260 => special::amtrelay(tokens, origin),
        64 | 65 => svcb::read(tokens, origin),
        _ => {
            let (name, _, layout) = LAYOUTS.iter().find(|(_, c, _)| *c == code)?;
            encode(name, layout, tokens, origin).and_then(|rdata| digest_length(code, rdata))
        }
    };
    Some(bytes.map(|rdata| RData::Unknown {
        code: t,
        rdata: crate::wire::opaque(rdata),
    }))
}

/// DS, CDS, TA and DLV with a digest type whose length is known must hold a digest of
/// that length (RFC 4509 §5, RFC 6605 §2), as BIND requires: SHA-1 20 octets, SHA-256
/// and GOST 32, SHA-384 48; and ZONEMD's digest its hash algorithm's.
fn digest_length(code: u16, rdata: Vec<u8>) -> Result<Vec<u8>, String> {
    if code == 63 {
        // ZONEMD (RFC 8976 §2.2.4): SHA-384 48 octets, SHA-512 64, any other at least 12.
        let got = rdata.len().saturating_sub(6);
        let ok = match rdata.get(5) {
            Some(1) => got == 48,
            Some(2) => got == 64,
            _ => got >= 12,
        };
        if !ok {
            return Err(format!(
                "a ZONEMD digest of {got} octets does not fit its hash algorithm"
            ));
        }
        return Ok(rdata);
    }
    if !matches!(code, 43 | 59 | 32768 | 32769) || rdata.len() < 4 {
        return Ok(rdata);
    }
    let want = match rdata[3] {
        1 => 20,
        2 | 3 => 32,
        4 => 48,
        _ => return Ok(rdata),
    };
    let got = rdata.len() - 4;
    if got != want {
        return Err(format!(
            "a digest of type {} is {want} octets, not {got}",
            rdata[3]
        ));
    }
    Ok(rdata)
}

/// The types of RFC 4034 §6.2 (as RFC 6840 §5.1 corrects it) read here, whose names
/// are lowered in the canonical form a signature covers: MD, MF, MB, MG, MR, MINFO, RP,
/// AFSDB, RT, SIG, PX, NXT, KX, DNAME.
const LOWERED_IN_CANONICAL_FORM: &[u16] = &[3, 4, 7, 8, 9, 14, 17, 18, 21, 24, 26, 30, 36, 39];

/// Lowers the names of `rdata`, the wire RDATA of a type read here, in place when the
/// type is one whose canonical form has lowercase names; other types are left as they
/// are. Stops at a field it cannot walk (nothing after a name is a name then).
pub fn lower_names(code: u16, rdata: &mut [u8]) {
    if !LOWERED_IN_CANONICAL_FORM.contains(&code) {
        return;
    }
    let Some((_, _, layout)) = LAYOUTS.iter().find(|(_, c, _)| *c == code) else {
        return;
    };
    let mut at = 0;
    for field in layout.iter() {
        match field {
            U8 | Alg => at += 1,
            U16 | Covered => at += 2,
            U32 | Time => at += 4,
            Name => {
                // Stored names are uncompressed: length-prefixed labels, then a zero.
                while let Some(&len) = rdata.get(at) {
                    let end = at + 1 + usize::from(len);
                    if len == 0 || end > rdata.len() {
                        break;
                    }
                    rdata[at + 1..end].make_ascii_lowercase();
                    at = end;
                }
                at += 1;
            }
            _ => return,
        }
        if at >= rdata.len() {
            return;
        }
    }
}

fn encode(
    type_name: &str,
    layout: &[F],
    tokens: &[Token],
    origin: &Origin,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut name = NameBuf::default();
    let all: Vec<&str> = tokens.iter().map(|t| t.text).collect();
    for (i, &field) in layout.iter().enumerate() {
        let rest = &tokens[at.min(tokens.len())..];
        // The words from here on, for the fields that take the rest of the record.
        let texts = &all[at.min(all.len())..];
        let Some(tok) = rest.first() else {
            if matches!(field, OptStr | Bitmap | NxtBitmap) {
                break;
            }
            return Err(format!(
                "{type_name} record needs {} data field(s), found {}",
                layout.len(),
                tokens.len()
            ));
        };
        let text = tok.text;
        at += 1;
        match field {
            Name => {
                absolute_wire(text, origin, &mut name)?;
                out.extend_from_slice(name.wire());
            }
            U8 => out.push(number(text, 0xff, "number")? as u8),
            U16 => out.extend((number(text, 0xffff, "number")? as u16).to_be_bytes()),
            U32 => out.extend((number(text, 0xffff_ffff, "number")? as u32).to_be_bytes()),
            Alg => out.push(algorithm(text)?),
            Str | OptStr => {
                let s = character_string(tok)?;
                out.push(s.len() as u8);
                out.extend(s);
            }
            Strs => {
                for t in rest {
                    let s = character_string(t)?;
                    out.push(s.len() as u8);
                    out.extend(s);
                }
                at = tokens.len();
            }
            Base64 | Hex => {
                let all = if field == Base64 {
                    base64(texts)?
                } else {
                    hex(texts)?
                };
                out.extend(all);
                at = tokens.len();
            }
            Nsap => {
                let digits = text
                    .strip_prefix("0x")
                    .or_else(|| text.strip_prefix("0X"))
                    .ok_or_else(|| format!("NSAP '{text}' does not start with 0x"))?;
                out.extend(hex(&[&digits.replace('.', "")])?);
            }
            Ipv4 => {
                let ip: std::net::Ipv4Addr = text
                    .parse()
                    .map_err(|_| format!("bad IPv4 address '{text}'"))?;
                out.extend(ip.octets());
            }
            Eui48 | Eui64 => out.extend(eui(text, if field == Eui48 { 6 } else { 8 })?),
            Ilnp64 => out.extend(ilnp64(text)?),
            Uri => {
                if !tok.quoted {
                    return Err(format!(
                        "URI target '{text}' must be quoted (RFC 7553 §4.4)"
                    ));
                }
                out.extend(octets(tok)?);
            }
            Covered => out.extend(covered(text)?.to_be_bytes()),
            Time => out.extend(rrsig_time(text)?.to_be_bytes()),
            Bitmap => {
                out.extend(type_bitmap(texts)?);
                at = tokens.len();
            }
            NxtBitmap => {
                out.extend(super::fields::nxt_bitmap(texts)?);
                at = tokens.len();
            }
            RrType => {
                let t = super::rdata::parse_type(text)
                    .ok_or_else(|| format!("unknown type '{text}'"))?;
                out.extend(u16::from(t).to_be_bytes());
            }
            Scheme => out.push(match text.to_ascii_uppercase().as_str() {
                "NOTIFY" => 1,
                _ => number(text, 0xff, "scheme")? as u8,
            }),
            Salt => out.extend(salt(text)?),
            Hash32 => {
                let h = base32hex(text)?;
                out.push(u8::try_from(h.len()).map_err(|_| "hash too long".to_string())?);
                out.extend(h);
            }
            CertType => out.extend(cert_type(text)?.to_be_bytes()),
        }
        if at > tokens.len() || (i + 1 == layout.len() && at < tokens.len()) {
            return Err(format!(
                "{type_name} record needs {} data field(s), found {}",
                layout.len(),
                tokens.len()
            ));
        }
    }
    Ok(out)
}

/// `xx-xx-…`: `n` groups of one or two hex digits (BIND reads `0-0-5e-…` too).
fn eui(text: &str, n: usize) -> Result<Vec<u8>, String> {
    groups(text, '-', n, 2).ok_or_else(|| format!("bad EUI-{} address '{text}'", n * 8))
}

/// `x:x:x:x`: four groups of one to four hex digits (RFC 6742 §2.3, like IPv6 groups).
fn ilnp64(text: &str) -> Result<Vec<u8>, String> {
    groups(text, ':', 4, 4).ok_or_else(|| format!("bad 64-bit locator '{text}'"))
}

/// `count` groups of 1 to `digits` hex digits split by `sep`, each left-padded.
fn groups(text: &str, sep: char, count: usize, digits: usize) -> Option<Vec<u8>> {
    let parts: Vec<&str> = text.split(sep).collect();
    let ok = |p: &&str| (1..=digits).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit());
    if parts.len() != count || !parts.iter().all(ok) {
        return None;
    }
    let padded: Vec<String> = parts.iter().map(|p| format!("{p:0>digits$}")).collect();
    hex(&padded.iter().map(String::as_str).collect::<Vec<_>>()).ok()
}

fn cert_type(text: &str) -> Result<u16, String> {
    let known = [
        ("PKIX", 1),
        ("SPKI", 2),
        ("PGP", 3),
        ("IPKIX", 4),
        ("ISPKI", 5),
        ("IPGP", 6),
        ("ACPKIX", 7),
        ("IACPKIX", 8),
        ("URI", 253),
        ("OID", 254),
    ];
    mnemonic(text, &known, 0xffff, "certificate type").map(|n| n as u16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;

    fn wire(t: &str, text: &str) -> Result<Vec<u8>, String> {
        let origin = Origin::new(Name::from_ascii("example.").unwrap()).unwrap();
        let tokens: Vec<Token> = text
            .split_whitespace()
            .map(
                |w| match w.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
                    Some(q) => Token {
                        text: q,
                        quoted: true,
                    },
                    None => Token {
                        text: w,
                        quoted: false,
                    },
                },
            )
            .collect();
        let rt = type_of(t).unwrap();
        match read(rt, &tokens, &origin).unwrap()? {
            RData::Unknown { rdata, .. } => Ok(rdata.anything.to_vec()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn old_types_as_rfc_1183_lays_them_out() {
        assert_eq!(
            wire("RP", "a.b. t").unwrap(),
            b"\x01a\x01b\x00\x01t\x07example\x00"
        );
        assert_eq!(wire("AFSDB", "1 db.").unwrap(), b"\x00\x01\x02db\x00");
        assert_eq!(
            wire("ISDN", "\"150862028003217\"").unwrap(),
            b"\x0f150862028003217"
        );
        assert_eq!(wire("ISDN", "\"1\" \"2\"").unwrap(), b"\x011\x012");
        assert_eq!(wire("NSAP", "0x47.0005").unwrap(), [0x47, 0x00, 0x05]);
        assert!(wire("RP", "a.").is_err(), "too few fields");
        let mut px = wire("PX", "10 Map.Example. X400.Example.").unwrap();
        lower_names(26, &mut px);
        assert_eq!(px, wire("PX", "10 map.example. x400.example.").unwrap());
        let mut lp = wire("LP", "10 Loc.Example.").unwrap();
        lower_names(107, &mut lp);
        assert_eq!(
            lp,
            wire("LP", "10 Loc.Example.").unwrap(),
            "LP is not in the list"
        );
        assert!(wire("AFSDB", "1 db. extra").is_err(), "too many fields");
    }

    #[test]
    fn newer_and_dnssec_types() {
        assert_eq!(
            wire("EUI48", "00-00-5e-00-53-2a").unwrap(),
            [0, 0, 0x5e, 0, 0x53, 0x2a]
        );
        assert_eq!(
            wire("EUI48", "0-0-5e-0-53-2a").unwrap(),
            [0, 0, 0x5e, 0, 0x53, 0x2a]
        );
        assert!(wire("EUI48", "000-00-5e-00-53-2a").is_err());
        assert_eq!(
            wire("L64", "10 0:0:0:1").unwrap(),
            [0, 10, 0, 0, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(
            wire("NID", "10 0014:4fff:ff20:ee64").unwrap(),
            [0, 10, 0, 0x14, 0x4f, 0xff, 0xff, 0x20, 0xee, 0x64]
        );
        assert_eq!(
            wire("URI", "10 1 \"ftp://a/\"").unwrap(),
            b"\x00\x0a\x00\x01ftp://a/"
        );
        assert!(wire("URI", "10 1 ftp://a/").is_err());
        // Hex and base64 may be split into several tokens.
        let digest = "2BB183AF5F22588179A53B0A98631FAD1A292118";
        let mut ds = vec![0xec, 0x45, 5, 1];
        ds.extend(data_encoding::HEXUPPER.decode(digest.as_bytes()).unwrap());
        let split = format!("60485 RSASHA1 1 {} {}", &digest[..4], &digest[4..]);
        assert_eq!(wire("DS", &split).unwrap(), ds);
        // A digest of its type's length, as BIND requires (SHA-1: 20 octets).
        let short = wire("DS", "60485 RSASHA1 1 2BB1 83AF").unwrap_err();
        assert!(short.contains("20 octets, not 4"), "{short}");
        assert!(wire("CDS", "0 0 0 00").is_ok(), "the CDS delete form");
        assert_eq!(
            wire("DNSKEY", "256 3 8 AQID BA==").unwrap(),
            [1, 0, 3, 8, 1, 2, 3, 4]
        );
        assert_eq!(wire("NSEC", "b. A").unwrap(), b"\x01b\x00\x00\x01\x40");
        assert_eq!(wire("NSEC3PARAM", "1 0 10 -").unwrap(), [1, 0, 0, 10, 0]);
        assert_eq!(
            wire("SPF", "\"v=spf1\" \"-all\"").unwrap(),
            b"\x06v=spf1\x04-all"
        );
    }
}
