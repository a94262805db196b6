//! Types whose RDATA is not a list of fixed fields, into wire form: APL (RFC 3123 §4),
//! WKS (RFC 1035 §3.4.2), IPSECKEY (RFC 4025 §3), HIP (RFC 8005 §5), A6 (RFC 2874 §3.1),
//! AMTRELAY (RFC 8777 §4), DOA (draft-durand-doa-over-dns) and ATMA (ATM Forum
//! AF-DANS-0152), as BIND 9.18 reads them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::fields::{base64, hex, number};
use super::lexer::Token;
use super::rdata::{Origin, absolute_wire};
use crate::wire::namebuf::NameBuf;

/// `[!]afi:address/prefix` items: family, prefix, negation bit and length, and the
/// address without its trailing zero octets.
pub fn apl(tokens: &[Token]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for t in tokens {
        let bad = || format!("bad APL item '{}'", t.text);
        let (negated, item) = match t.text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, t.text),
        };
        let (afi, rest) = item.split_once(':').ok_or_else(bad)?;
        let (addr, prefix) = rest.split_once('/').ok_or_else(bad)?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let (afi, octets, max) = match afi {
            "1" => (
                1u16,
                addr.parse::<Ipv4Addr>()
                    .map_err(|_| bad())?
                    .octets()
                    .to_vec(),
                32,
            ),
            "2" => (
                2,
                addr.parse::<Ipv6Addr>()
                    .map_err(|_| bad())?
                    .octets()
                    .to_vec(),
                128,
            ),
            _ => return Err(bad()),
        };
        if prefix > max {
            return Err(bad());
        }
        let len = octets.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        out.extend(afi.to_be_bytes());
        out.push(prefix);
        out.push(len as u8 | if negated { 0x80 } else { 0 });
        out.extend(&octets[..len]);
    }
    Ok(out)
}

/// The common services WKS may name, known without the system's services file.
const SERVICES: [(&str, u16); 15] = [
    ("tcpmux", 1),
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("http", 80),
    ("pop3", 110),
    ("sunrpc", 111),
    ("nntp", 119),
    ("ntp", 123),
    ("imap", 143),
    ("snmp", 161),
    ("https", 443),
];

/// A service name of the system's `/etc/services` for protocol 6 (tcp) or 17 (udp), as
/// BIND finds it (`getservbyname`): names and aliases, read once.
fn system_service(name: &str, proto: u8) -> Option<u16> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static TABLE: OnceLock<HashMap<(String, u8), u16>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let text = std::fs::read_to_string("/etc/services").unwrap_or_default();
        let mut t = HashMap::new();
        for line in text.lines() {
            let mut words = line.split('#').next().unwrap_or("").split_whitespace();
            let (Some(first), Some(port)) = (words.next(), words.next()) else {
                continue;
            };
            let Some((port, p)) = port.split_once('/') else {
                continue;
            };
            let (Ok(port), Some(p)) = (
                port.parse::<u16>(),
                [("tcp", 6), ("udp", 17)].iter().find(|(n, _)| *n == p),
            ) else {
                continue;
            };
            for n in std::iter::once(first).chain(words) {
                t.entry((n.to_ascii_lowercase(), p.1)).or_insert(port);
            }
        }
        t
    });
    table.get(&(name.to_string(), proto)).copied()
}

/// Address, protocol (`tcp`, `udp` or a number), then services as a bitmap: the common
/// names built in, others from the system's services file as BIND reads them, or numbers.
pub fn wks(tokens: &[Token]) -> Result<Vec<u8>, String> {
    let [addr, proto, services @ ..] = tokens else {
        return Err("WKS needs an address and a protocol".into());
    };
    let ip: Ipv4Addr =
        (addr.text.parse()).map_err(|_| format!("bad IPv4 address '{}'", addr.text))?;
    let proto = match proto.text.to_ascii_lowercase().as_str() {
        "tcp" => 6,
        "udp" => 17,
        p => number(p, 255, "protocol")? as u8,
    };
    let mut bits = Vec::new();
    for s in services {
        let lower = s.text.to_ascii_lowercase();
        let port = match SERVICES.iter().find(|(n, _)| *n == lower) {
            Some(&(_, p)) => p,
            None => match system_service(&lower, proto) {
                Some(p) => p,
                None => number(s.text, 0xffff, "service")? as u16,
            },
        };
        let byte = usize::from(port / 8);
        if bits.len() <= byte {
            bits.resize(byte + 1, 0u8);
        }
        bits[byte] |= 0x80 >> (port % 8);
    }
    Ok([ip.octets().to_vec(), vec![proto], bits].concat())
}

/// Precedence, gateway type, algorithm, the gateway (none `.`, IPv4, IPv6 or a name)
/// and the base64 public key, which BIND requires although RFC 4025 lets it be empty.
pub fn ipseckey(tokens: &[Token], origin: &Origin) -> Result<Vec<u8>, String> {
    let [prec, kind, alg, gateway, key @ ..] = tokens else {
        return Err("IPSECKEY needs precedence, gateway type, algorithm and gateway".into());
    };
    if key.is_empty() {
        return Err("IPSECKEY needs a public key".into());
    }
    let kind_n = number(kind.text, 3, "gateway type")? as u8;
    let mut out = vec![
        number(prec.text, 255, "precedence")? as u8,
        kind_n,
        number(alg.text, 255, "algorithm")? as u8,
    ];
    self::gateway(kind_n, gateway.text, origin, &mut out)?;
    let words: Vec<&str> = key.iter().map(|t| t.text).collect();
    out.extend(base64(&words)?);
    Ok(out)
}

/// PK algorithm, HIT (hex), public key (base64), then rendezvous servers.
pub fn hip(tokens: &[Token], origin: &Origin) -> Result<Vec<u8>, String> {
    let [alg, hit, key, servers @ ..] = tokens else {
        return Err("HIP needs an algorithm, a HIT and a public key".into());
    };
    let hit = hex(&[hit.text])?;
    let key = base64(&[key.text])?;
    let hit_len = u8::try_from(hit.len()).map_err(|_| "HIT too long".to_string())?;
    let key_len = u16::try_from(key.len()).map_err(|_| "public key too long".to_string())?;
    let mut out = vec![hit_len, number(alg.text, 255, "algorithm")? as u8];
    out.extend(key_len.to_be_bytes());
    out.extend(hit);
    out.extend(key);
    let mut name = NameBuf::default();
    for s in servers {
        absolute_wire(s.text, origin, &mut name)?;
        out.extend_from_slice(name.wire());
    }
    Ok(out)
}

/// The gateway or relay of IPSECKEY and AMTRELAY by its type: none (`.`), IPv4, IPv6
/// or a name.
fn gateway(kind: u8, text: &str, origin: &Origin, out: &mut Vec<u8>) -> Result<(), String> {
    match (kind, text.parse::<IpAddr>()) {
        (0, _) if text == "." => {}
        (1, Ok(IpAddr::V4(v4))) => out.extend(v4.octets()),
        (2, Ok(IpAddr::V6(v6))) => out.extend(v6.octets()),
        (3, _) => {
            let mut name = NameBuf::default();
            absolute_wire(text, origin, &mut name)?;
            out.extend_from_slice(name.wire());
        }
        _ => return Err(format!("gateway '{text}' is not of type {kind}")),
    }
    Ok(())
}

/// Precedence, discovery-optional bit, relay type, relay.
pub fn amtrelay(tokens: &[Token], origin: &Origin) -> Result<Vec<u8>, String> {
    let [prec, d, kind, rest @ ..] = tokens else {
        return Err("AMTRELAY needs precedence, D bit, type and relay".into());
    };
    let kind_n = number(kind.text, 0x7f, "relay type")? as u8;
    let d = number(d.text, 1, "discovery-optional bit")? as u8;
    let mut out = vec![number(prec.text, 255, "precedence")? as u8, d << 7 | kind_n];
    match rest {
        [] if kind_n == 0 => {}
        [relay] => gateway(kind_n, relay.text, origin, &mut out)?,
        _ => return Err("AMTRELAY needs one relay".into()),
    }
    Ok(out)
}

/// Prefix length, the address bits below it, and the prefix's name when there is one.
pub fn a6(tokens: &[Token], origin: &Origin) -> Result<Vec<u8>, String> {
    let (len, addr, name) = match tokens {
        [len, addr] => (len, addr, None),
        [len, addr, name] => (len, addr, Some(name)),
        _ => return Err("A6 needs a prefix length, an address and a prefix name".into()),
    };
    let len = number(len.text, 128, "prefix length")? as usize;
    let ip: Ipv6Addr =
        (addr.text.parse()).map_err(|_| format!("bad IPv6 address '{}'", addr.text))?;
    // The suffix holds the address's last (128 - len) bits, in whole octets.
    let octets = (128 - len).div_ceil(8);
    let mut out = vec![len as u8];
    out.extend(&ip.octets()[16 - octets..]);
    match (len, name) {
        (0, None) => {}
        (1.., Some(n)) => {
            let mut name = NameBuf::default();
            absolute_wire(n.text, origin, &mut name)?;
            out.extend_from_slice(name.wire());
        }
        _ => return Err("A6 has a prefix name exactly when its prefix length is not 0".into()),
    }
    Ok(out)
}

/// Enterprise, type, location, media type, then the data in base64 (`-` for none).
pub fn doa(tokens: &[Token]) -> Result<Vec<u8>, String> {
    let [ent, kind, loc, media, data @ ..] = tokens else {
        return Err("DOA needs enterprise, type, location, media type and data".into());
    };
    let mut out = Vec::new();
    out.extend((number(ent.text, 0xffff_ffff, "enterprise")? as u32).to_be_bytes());
    out.extend((number(kind.text, 0xffff_ffff, "type")? as u32).to_be_bytes());
    out.push(number(loc.text, 255, "location")? as u8);
    let media = super::strings::character_string(media)?;
    out.push(media.len() as u8);
    out.extend(media);
    match data {
        [dash] if dash.text == "-" => {}
        _ => out.extend(base64(&data.iter().map(|t| t.text).collect::<Vec<_>>())?),
    }
    Ok(out)
}

/// `+digits` (E.164, format 1) or hex digits with optional dots (AESA, format 0).
pub fn atma(tokens: &[Token]) -> Result<Vec<u8>, String> {
    let [t] = tokens else {
        return Err("ATMA needs one address".into());
    };
    match t.text.strip_prefix('+') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Ok([&[1u8][..], digits.as_bytes()].concat())
        }
        Some(_) => Err(format!("bad E.164 address '{}'", t.text)),
        None => Ok([vec![0u8], hex(&[&t.text.replace('.', "")])?].concat()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token<'_>> {
        (s.split_whitespace())
            .map(|text| Token {
                text,
                quoted: false,
            })
            .collect()
    }

    #[test]
    fn rfc_examples() {
        // RFC 3123 §5: 1:192.168.32.0/21 !1:192.168.38.0/28
        let w = apl(&toks("1:192.168.32.0/21 !1:192.168.38.0/28")).unwrap();
        assert_eq!(w, [0, 1, 21, 3, 192, 168, 32, 0, 1, 28, 0x83, 192, 168, 38]);
        assert_eq!(apl(&toks("1:0.0.0.0/0")).unwrap(), [0, 1, 0, 0]);
        assert!(apl(&toks("1:192.168.0.0/33")).is_err());
        let w = wks(&toks("192.0.2.1 TCP smtp 80")).unwrap();
        assert_eq!(&w[..5], [192, 0, 2, 1, 6]);
        assert_eq!((w.len(), w[5 + 3], w[5 + 10]), (5 + 11, 0x40, 0x80));
        let origin = Origin::new(hickory_proto::rr::Name::from_ascii("example.").unwrap()).unwrap();
        let w = ipseckey(&toks("10 1 2 192.0.2.38 AQID"), &origin).unwrap();
        assert_eq!(w, [10, 1, 2, 192, 0, 2, 38, 1, 2, 3]);
        let w = ipseckey(&toks("10 0 2 . AQID"), &origin).unwrap();
        assert_eq!(w, [10, 0, 2, 1, 2, 3]);
        assert!(ipseckey(&toks("10 0 2 ."), &origin).is_err(), "as BIND");
        assert!(ipseckey(&toks("10 1 2 ::1 AQID"), &origin).is_err());
        assert_eq!(a6(&toks("0 2001:db8::1"), &origin).unwrap()[..2], [0, 0x20]);
        let w = a6(&toks("64 ::1 p"), &origin).unwrap();
        assert_eq!(w, b"\x40\0\0\0\0\0\0\0\x01\x01p\x07example\0");
        assert!(a6(&toks("64 ::1"), &origin).is_err());
        let w = amtrelay(&toks("10 1 3 amt."), &origin).unwrap();
        assert_eq!(w, b"\x0a\x83\x03amt\0");
        assert_eq!(amtrelay(&toks("10 0 0 ."), &origin).unwrap(), [10, 0]);
        assert_eq!(atma(&toks("+1617")).unwrap(), b"\x011617");
        assert_eq!(atma(&toks("39.24")).unwrap(), [0, 0x39, 0x24]);
        let mut t = toks("0 1 2 media -");
        t[3] = Token {
            text: "",
            quoted: true,
        };
        let w = doa(&t).unwrap();
        assert_eq!(w, [0, 0, 0, 0, 0, 0, 0, 1, 2, 0]);
        let w = hip(&toks("2 0011 AQID rvs"), &origin).unwrap();
        assert_eq!(
            w,
            b"\x02\x02\x00\x03\x00\x11\x01\x02\x03\x03rvs\x07example\x00"
        );
    }
}
