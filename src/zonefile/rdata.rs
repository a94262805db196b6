//! Record types and RDATA in master-file text → hickory `RData`.
//!
//! The dispatch: RFC 3597 generic data (`TYPEnnn \# len hex`) is decoded here; the types
//! hickory-proto lacks or reads unlike BIND go to [`super::generic`] (field layouts into
//! wire form), TXT and HINFO to [`super::strings`]; addresses and the name-bearing types
//! NS, CNAME, PTR, MX and SRV are built directly; the rest (SOA, CAA, NAPTR) is parsed
//! by hickory with every name field made absolute here first. Whatever the path, a record
//! that cannot be encoded is refused at load ([`parse_rdata`]).

use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, BinEncodable, Restrict};
use std::str::FromStr;

use super::lexer::Token;
use super::{generic, strings};
use crate::wire::namebuf::NameBuf;

/// Parses a type mnemonic (`A`, `mx`) or RFC 3597 `TYPEnnn`.
pub fn parse_type(s: &str) -> Option<RecordType> {
    // Uppercased on the stack: a type is read per record of a zone. No type name is
    // longer than 16 bytes, and a longer word is no type.
    let mut buf = [0u8; 16];
    let up = buf.get_mut(..s.len())?;
    up.copy_from_slice(s.as_bytes());
    up.make_ascii_uppercase();
    let up = std::str::from_utf8(up).ok()?;
    if let Some(t) = generic::type_of(up) {
        return Some(t);
    }
    if let Some(num) = up.strip_prefix("TYPE") {
        return num.parse::<u16>().ok().map(RecordType::from);
    }
    match RecordType::from_str(up) {
        // Meta and query-only types never appear in zone data.
        Ok(RecordType::ANY | RecordType::AXFR | RecordType::IXFR | RecordType::OPT) => None,
        Ok(RecordType::TSIG) => None,
        // Known to hickory but not to BIND, which refuses the mnemonics: ANAME (a draft's
        // type, 65305) and type 0. `TYPE65305 \# …` still reads as unknown data.
        Ok(RecordType::ANAME | RecordType::ZERO) => None,
        Ok(t) => Some(t),
        Err(_) => None,
    }
}

/// Indices of the RDATA fields that are domain names (RFC 1035 §3.3, RFC 2782, RFC 3403),
/// so that relative names can be completed with the origin.
fn name_fields(t: RecordType) -> &'static [usize] {
    match t {
        RecordType::NS | RecordType::CNAME | RecordType::PTR | RecordType::ANAME => &[0],
        RecordType::MX => &[1],
        RecordType::SRV => &[3],
        RecordType::SOA => &[0, 1],
        RecordType::NAPTR => &[5],
        _ => &[],
    }
}

/// A zone file's current origin, which relative names end in (RFC 1035 §5.1), also in
/// wire form as written so that a name read is completed by one copy.
#[derive(Debug, Clone)]
pub struct Origin {
    pub name: Name,
    wire: NameBuf,
}

impl Origin {
    pub fn new(name: Name) -> Result<Origin, String> {
        let wire = NameBuf::from_name(&name).map_err(|e| format!("bad origin {name}: {e}"))?;
        Ok(Origin { name, wire })
    }

    /// The origin written as `text` in a `$ORIGIN` or `$INCLUDE` line, relative to
    /// `current` unless it ends in a dot (RFC 1035 §5.1).
    pub fn read(text: &str, current: &Origin) -> Result<Origin, String> {
        let mut wire = NameBuf::default();
        absolute_wire(text, current, &mut wire)?;
        Ok(Origin {
            name: wire.to_name(),
            wire,
        })
    }

    /// The root, for names that are always absolute.
    pub fn root() -> Origin {
        Origin::new(Name::root()).expect("the root is a name")
    }
}

/// Makes a master-file name absolute: `@` is the origin, a name without a final dot is
/// relative to the origin (RFC 1035 §5.1).
pub fn absolute_name(text: &str, origin: &Origin) -> Result<Name, String> {
    if text == "@" {
        return Ok(origin.name.clone());
    }
    let mut b = NameBuf::default();
    absolute_wire(text, origin, &mut b)?;
    Ok(b.to_name())
}

/// As [`absolute_name`], into `b` in wire form as written: owner names are read into this
/// form, in place, and never become a `Name` unless a message needs one.
pub fn absolute_wire(text: &str, origin: &Origin, b: &mut NameBuf) -> Result<(), String> {
    b.clear();
    if text == "@" {
        return b.end_with(origin.wire.wire()).map_err(String::from);
    }
    let bad = |e: &str| format!("bad name '{text}': {e}");
    // Most names have no escapes: their labels are slices of the text, with no allocation
    // per label (a million-record zone reads a million owner names).
    let bytes = text.as_bytes();
    let body = bytes.strip_suffix(b".").unwrap_or(bytes);
    let labels = || body.split(|&c| c == b'.');
    let absolute = if !body.is_empty() && !bytes.contains(&b'\\') && labels().all(|l| !l.is_empty())
    {
        for label in labels() {
            b.push_label(label).map_err(bad)?;
        }
        body.len() < bytes.len()
    } else {
        let (labels, absolute) = presentation_labels(text).map_err(|e| bad(&e))?;
        for label in &labels {
            b.push_label(label).map_err(bad)?;
        }
        absolute
    };
    let suffix = if absolute {
        &[0][..]
    } else {
        origin.wire.wire()
    };
    b.end_with(suffix).map_err(bad)
}

/// A name from a configuration file, always taken as absolute (`example.test` is
/// `example.test.`), read as zone files read names.
pub fn config_name(text: &str) -> Result<Name, String> {
    if text == "@" {
        return Err("'@' means a zone's origin only inside a zone file".into());
    }
    absolute_name(text, &Origin::root())
}

/// The labels of a name in presentation format (RFC 1035 §5.1), and whether it ends in
/// a dot. A label may hold any octet, written as itself or escaped as `\X` or `\DDD`;
/// only an unescaped `.` ends one. BIND reads names such as RFC 2317's `0/26` this way,
/// where hickory's parser allows only letters, digits, `-` and `_`.
fn presentation_labels(text: &str) -> Result<(Vec<Vec<u8>>, bool), String> {
    if text == "." {
        return Ok((Vec::new(), true));
    }
    let bytes = text.as_bytes();
    let (mut labels, mut label) = (Vec::new(), Vec::new());
    let mut i = 0;
    let mut absolute = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let digits = bytes
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                if let Some(d) = digits {
                    let v = d.iter().fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
                    label.push(u8::try_from(v).map_err(|_| format!("escape \\{v} is over 255"))?);
                    i += 4;
                } else {
                    let c = *bytes.get(i + 1).ok_or("a trailing backslash")?;
                    label.push(c);
                    i += 2;
                }
            }
            b'.' => {
                if label.is_empty() {
                    return Err("empty label".into());
                }
                labels.push(std::mem::take(&mut label));
                absolute = i + 1 == bytes.len();
                i += 1;
            }
            c => {
                label.push(c);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        labels.push(label);
    } else if !absolute {
        return Err("empty name".into());
    }
    Ok((labels, absolute))
}

/// Parses the RDATA tokens of one record of type `t`. A record that loads can always be
/// put on the wire: what cannot (a name field too long once completed, hickory's limits)
/// is refused here, at its line, never dropped when a query asks for it.
pub fn parse_rdata(t: RecordType, tokens: &[Token], origin: &Origin) -> Result<RData, String> {
    let rdata = read_rdata(t, tokens, origin)?;
    // Types built field by field above encode by construction; a large zone is mostly them.
    let built = matches!(
        t,
        RecordType::A
            | RecordType::AAAA
            | RecordType::NS
            | RecordType::CNAME
            | RecordType::PTR
            | RecordType::MX
            | RecordType::SRV
    );
    if !built && let Err(e) = rdata.to_bytes() {
        return Err(format!("{t} record cannot be put on the wire: {e}"));
    }
    Ok(rdata)
}

fn read_rdata(t: RecordType, tokens: &[Token], origin: &Origin) -> Result<RData, String> {
    // `\#` starts RFC 3597 data when a length follows; otherwise it is the text `#`, as
    // BIND reads `TXT \# text` (two strings, "#" and "text").
    let generic = tokens.first().is_some_and(|t| !t.quoted && t.text == "\\#")
        && tokens
            .get(1)
            .is_none_or(|l| !l.quoted && l.text.parse::<u32>().is_ok());
    if generic {
        return parse_generic(t, &tokens[1..]);
    }
    if tokens.is_empty() {
        return Err(format!("{t} record has no data"));
    }
    if let Some(rdata) = generic::read(t, tokens, origin) {
        return rdata;
    }
    if matches!(
        t,
        RecordType::Unknown(_) | RecordType::NULL | RecordType::ANAME
    ) {
        let name = match t {
            RecordType::Unknown(n) => format!("TYPE{n}"),
            t => t.to_string(),
        };
        return Err(format!(
            "type {name} needs RFC 3597 generic data: {name} \\# <length> <hex>"
        ));
    }
    match t {
        RecordType::TXT => return strings::txt(tokens),
        RecordType::HINFO => return strings::hinfo(tokens),
        _ => {}
    }
    if let Some(rdata) = address(t, tokens) {
        return rdata;
    }
    if let Some(rdata) = with_names(t, tokens, origin) {
        return rdata;
    }
    // hickory's text parser refuses names BIND takes (RFC 2317's `0/26`, escaped dots in
    // a label), so each name field is read by our reader, hickory parses the rest with a
    // root name in its place, and the name is put back in the parsed record.
    let fields = name_fields(t);
    let (mut parts, mut shown, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for (i, tok) in tokens.iter().enumerate() {
        shown.push(tok.to_source());
        if fields.contains(&i) && !tok.quoted {
            names.push((i, absolute_name(tok.text, origin)?));
            parts.push(".".to_string());
        } else {
            parts.push(tok.to_source());
        }
    }
    let bad = |e: &dyn std::fmt::Display| format!("bad {t} data '{}': {e}", shown.join(" "));
    let mut rdata = RData::try_from_str(t, &parts.join(" ")).map_err(|e| bad(&e))?;
    check_consumed(t, tokens)?;
    for (i, name) in names {
        put_name(&mut rdata, i, name);
    }
    Ok(rdata)
}

/// Sets name field `i` (as numbered by [`name_fields`]) of a parsed record.
fn put_name(rdata: &mut RData, i: usize, name: Name) {
    match (rdata, i) {
        (RData::NS(ns), 0) => ns.0 = name,
        (RData::CNAME(cname), 0) => cname.0 = name,
        (RData::PTR(ptr), 0) => ptr.0 = name,
        (RData::ANAME(aname), 0) => aname.0 = name,
        (RData::MX(mx), 1) => mx.exchange = name,
        (RData::SRV(srv), 3) => srv.target = name,
        (RData::SOA(soa), 0) => soa.mname = name,
        (RData::SOA(soa), 1) => soa.rname = name,
        (RData::NAPTR(naptr), 5) => naptr.replacement = name,
        (rdata, i) => unreachable!("{} has no name field {i}", rdata.record_type()),
    }
}

/// Records whose names are built here rather than by hickory's text parser, which refuses
/// names BIND takes, such as RFC 2317's `CNAME 1.0/26.2.0.192.in-addr.arpa.`: NS, CNAME,
/// PTR, MX and SRV. Other shapes go to hickory.
fn with_names(t: RecordType, tokens: &[Token], origin: &Origin) -> Option<Result<RData, String>> {
    if tokens.iter().any(|tok| tok.quoted)
        || !matches!(
            (t, tokens.len()),
            (RecordType::NS | RecordType::CNAME | RecordType::PTR, 1)
                | (RecordType::MX, 2)
                | (RecordType::SRV, 4)
        )
    {
        return None;
    }
    Some(build_with_names(t, tokens, origin))
}

fn build_with_names(t: RecordType, tokens: &[Token], origin: &Origin) -> Result<RData, String> {
    use hickory_proto::rr::rdata::{CNAME, MX, NS, PTR, SRV};
    let name = |i: usize| absolute_name(tokens[i].text, origin);
    let number = |i: usize, what: &str| {
        let text = &tokens[i].text;
        text.parse::<u16>()
            .map_err(|_| format!("bad {t} {what} '{text}'"))
    };
    Ok(match t {
        RecordType::NS => RData::NS(NS(name(0)?)),
        RecordType::CNAME => RData::CNAME(CNAME(name(0)?)),
        RecordType::PTR => RData::PTR(PTR(name(0)?)),
        RecordType::MX => RData::MX(MX::new(number(0, "preference")?, name(1)?)),
        // SRV: the only shape `with_names` lets through besides the ones above.
        _ => {
            let (prio, weight, port) = (
                number(0, "priority")?,
                number(1, "weight")?,
                number(2, "port")?,
            );
            RData::SRV(SRV::new(prio, weight, port, name(3)?))
        }
    })
}

/// Addresses, most of a large zone, are parsed directly rather than through hickory's
/// text lexer (a third of the load time of a 1M-record zone).
fn address(t: RecordType, tokens: &[Token]) -> Option<Result<RData, String>> {
    let bad = |what: &str, text: &str| Err(format!("bad {what} address '{text}'"));
    match (t, tokens) {
        (RecordType::A, [tok]) if !tok.quoted => {
            Some(match tok.text.parse::<std::net::Ipv4Addr>() {
                Ok(ip) => Ok(RData::A(ip.into())),
                Err(_) => bad("IPv4", tok.text),
            })
        }
        (RecordType::AAAA, [tok]) if !tok.quoted => {
            Some(match tok.text.parse::<std::net::Ipv6Addr>() {
                Ok(ip) => Ok(RData::AAAA(ip.into())),
                Err(_) => bad("IPv6", tok.text),
            })
        }
        _ => None,
    }
}

/// hickory ignores trailing tokens for fixed-size types; peers reject them.
fn check_consumed(t: RecordType, tokens: &[Token]) -> Result<(), String> {
    let expected = match t {
        RecordType::A | RecordType::AAAA => 1,
        RecordType::NS | RecordType::CNAME | RecordType::PTR => 1,
        RecordType::MX => 2,
        RecordType::SRV => 4,
        RecordType::SOA => 7,
        RecordType::NAPTR => 6,
        RecordType::CAA => 3,
        _ => return Ok(()),
    };
    if tokens.len() != expected {
        return Err(format!(
            "{t} record needs {expected} data field(s), found {}",
            tokens.len()
        ));
    }
    Ok(())
}

/// RFC 3597 §5: `\# <length> <hex...>`.
fn parse_generic(t: RecordType, tokens: &[Token]) -> Result<RData, String> {
    let len_tok = tokens
        .first()
        .ok_or("generic data needs a length after \\#")?;
    let len: u16 = len_tok
        .text
        .parse()
        .map_err(|_| format!("bad generic data length '{}'", len_tok.text))?;
    let hex: String = tokens[1..].iter().map(|t| t.text).collect();
    let bytes = decode_hex(&hex)?;
    if bytes.len() != len as usize {
        return Err(format!(
            "generic data length {len} does not match {} bytes of hex",
            bytes.len()
        ));
    }
    // hickory's ANAME (65305) is a draft's type that BIND and RFC 3597 see as unknown:
    // its data is kept as written.
    if let RecordType::Unknown(_) | RecordType::ANAME = t {
        return Ok(RData::Unknown {
            code: t,
            rdata: crate::wire::opaque(bytes),
        });
    }
    let mut dec = BinDecoder::new(&bytes);
    let rdata = RData::read(&mut dec, t, Restrict::new(len))
        .map_err(|e| format!("generic data is not valid {t}: {e}"))?;
    Ok(rdata)
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("generic data has an odd number of hex digits".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad hex in generic data: '{s}'"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::namebuf::name_of;

    fn toks(s: &str) -> Vec<Token<'_>> {
        s.split_whitespace()
            .map(|text| Token {
                text,
                quoted: false,
            })
            .collect()
    }

    fn origin() -> Origin {
        Origin::new(Name::from_ascii("example.test.").unwrap()).unwrap()
    }

    #[test]
    fn relative_names_in_rdata_are_completed() {
        let r = parse_rdata(RecordType::MX, &toks("10 mail"), &origin()).unwrap();
        assert_eq!(r.to_string(), "10 mail.example.test.");
        let r = parse_rdata(RecordType::CNAME, &toks("@"), &origin()).unwrap();
        assert_eq!(r.to_string(), "example.test.");
    }

    #[test]
    fn names_take_any_octet_as_bind_does() {
        let o = origin();
        let n = |t: &str| absolute_name(t, &o);
        // RFC 2317 classless delegation names, and escapes (RFC 1035 §5.1).
        assert_eq!(n("0/26").unwrap().to_ascii(), "0\\/26.example.test.");
        let spaced = n("a\\032b.x.").unwrap();
        assert_eq!(spaced.iter().next(), Some(&b"a b"[..]));
        assert_eq!(spaced.iter().count(), 2, "absolute: no origin added");
        assert_eq!(n("x\\.y").unwrap().iter().next(), Some(&b"x.y"[..]));
        assert_eq!(n("lit$1").unwrap().iter().next(), Some(&b"lit$1"[..]));
        assert_eq!(n("Mixed.Case.").unwrap().to_ascii(), "Mixed.Case.");
        assert!(n(".").unwrap().is_root());
        let too_long = vec!["z".repeat(63); 4].join(".") + ".";
        for bad in ["a..b", ".a", "\\300x", "x\\", &"y".repeat(64), &too_long] {
            assert!(n(bad).is_err(), "{bad}");
        }
        let r = parse_rdata(RecordType::CNAME, &toks("1.0/26.2.0.192.in-addr.arpa."), &o).unwrap();
        assert_eq!(r.to_string(), "1.0\\/26.2.0.192.in-addr.arpa.");
        assert_eq!(
            config_name("0/26.2.0.192.in-addr.arpa").unwrap().to_ascii(),
            "0\\/26.2.0.192.in-addr.arpa."
        );
        assert!(config_name("@").is_err());
        // Names with no escapes take a shortcut; it reads them as the general reader does.
        for t in [
            "www",
            "a.b.c",
            "a.b.c.",
            "0/26",
            "x_y-z.",
            "UPPER.lower",
            "a.b.*",
        ] {
            let (labels, absolute) = presentation_labels(t).unwrap();
            let labels = labels.iter().map(Vec::as_slice);
            let expected = if absolute {
                name_of(labels)
            } else {
                name_of(labels.chain(o.name.iter()))
            };
            assert_eq!(
                n(t).unwrap().to_ascii(),
                expected.unwrap().to_ascii(),
                "{t}"
            );
            // Case is kept as written, in the wire form as in the name.
            let mut wire = NameBuf::default();
            absolute_wire(t, &o, &mut wire).unwrap();
            assert_eq!(wire.to_name().to_ascii(), n(t).unwrap().to_ascii());
        }
        let r = parse_rdata(RecordType::MX, &toks("10 0/26"), &o).unwrap();
        assert_eq!(r.to_string(), "10 0\\/26.example.test.");
        let r = parse_rdata(RecordType::SRV, &toks("1 2 80 x/y."), &o).unwrap();
        assert_eq!(r.to_string(), "1 2 80 x\\/y.");
        assert!(parse_rdata(RecordType::MX, &toks("ten mail"), &o).is_err());
        assert!(parse_rdata(RecordType::SRV, &toks("1 2 70000 mail"), &o).is_err());
        let r = parse_rdata(RecordType::PTR, &toks("host"), &o).unwrap();
        assert_eq!(r.to_string(), "host.example.test.");
    }

    /// SOA, NAPTR, SVCB and HTTPS go through hickory's parser for their other fields; their
    /// names are read as BIND reads them all the same (and relative ones completed).
    #[test]
    fn names_in_records_parsed_by_hickory_take_any_octet() {
        let o = origin();
        fn quoted(s: &str) -> Vec<Token<'_>> {
            let mut t = toks(s);
            for tok in &mut t {
                if let Some(inner) = tok.text.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                    tok.text = inner;
                    tok.quoted = true;
                }
            }
            t
        }
        let soa = "ns.0/26. host\\.master 1 1h 15m 1w 5m";
        let r = parse_rdata(RecordType::SOA, &toks(soa), &o).unwrap();
        let RData::SOA(soa) = &r else { panic!("{r:?}") };
        assert_eq!(soa.mname.to_ascii(), "ns.0\\/26.");
        assert_eq!(soa.rname.iter().next(), Some(&b"host.master"[..]));
        assert_eq!(soa.rname.to_ascii(), "host\\.master.example.test.");
        assert_eq!((soa.serial, soa.refresh, soa.minimum), (1, 3600, 300));
        let naptr = quoted("100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.0/26");
        let r = parse_rdata(RecordType::NAPTR, &naptr, &o).unwrap();
        assert_eq!(
            r.to_string(),
            "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.0\\/26.example.test."
        );
        for t in [RecordType::SVCB, RecordType::HTTPS] {
            let RData::Unknown { rdata, .. } =
                parse_rdata(t, &toks("1 0/26.x. alpn=h2"), &o).unwrap()
            else {
                panic!("{t}")
            };
            // Priority 1, the name's first label the four octets 0/26, alpn (1) = h2.
            assert_eq!(
                rdata.anything, b"\0\x01\x040/26\x01x\0\0\x01\0\x03\x02h2",
                "{t}"
            );
        }
        // Errors quote the record as written, not the placeholder given to hickory.
        let e = parse_rdata(RecordType::SOA, &toks("ns.0/26. h x 1 1 1 1"), &o).unwrap_err();
        assert!(e.contains("ns.0/26."), "{e}");
    }

    #[test]
    fn generic_syntax() {
        let r = parse_rdata(RecordType::from(65280), &toks("\\# 3 abcdef"), &origin()).unwrap();
        assert!(matches!(r, RData::Unknown { .. }));
        let r = parse_rdata(RecordType::A, &toks("\\# 4 C0000201"), &origin()).unwrap();
        assert_eq!(r.to_string(), "192.0.2.1");
        assert!(parse_rdata(RecordType::A, &toks("\\# 5 C0000201"), &origin()).is_err());
    }

    #[test]
    fn type_names() {
        assert_eq!(parse_type("aaaa"), Some(RecordType::AAAA));
        assert_eq!(parse_type("TYPE1"), Some(RecordType::A));
        assert_eq!(parse_type("BOGUS"), None);
        assert_eq!(parse_type("3600"), None);
    }

    #[test]
    fn trailing_garbage_is_rejected() {
        assert!(parse_rdata(RecordType::A, &toks("192.0.2.1 x"), &origin()).is_err());
        assert!(parse_rdata(RecordType::A, &toks("300.0.2.1"), &origin()).is_err());
    }
}
