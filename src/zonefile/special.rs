//! Types whose RDATA is not a list of fixed fields, into wire form: APL (RFC 3123 §4),
//! WKS (RFC 1035 §3.4.2), IPSECKEY (RFC 4025 §3) and HIP (RFC 8005 §5).

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

/// Services WKS may name; others are given by number.
const SERVICES: [(&str, u16); 14] = [
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

/// Address, protocol (`tcp`, `udp` or a number), then services as a bitmap.
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
            None => number(s.text, 0xffff, "service")? as u16,
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
    let bad = || format!("gateway '{}' is not of type {kind_n}", gateway.text);
    match (kind_n, gateway.text.parse::<IpAddr>()) {
        (0, _) if gateway.text == "." => {}
        (1, Ok(IpAddr::V4(v4))) => out.extend(v4.octets()),
        (2, Ok(IpAddr::V6(v6))) => out.extend(v6.octets()),
        (3, _) => {
            let mut name = NameBuf::default();
            absolute_wire(gateway.text, origin, &mut name)?;
            out.extend_from_slice(name.wire());
        }
        _ => return Err(bad()),
    }
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
        let w = hip(&toks("2 0011 AQID rvs"), &origin).unwrap();
        assert_eq!(
            w,
            b"\x02\x02\x00\x03\x00\x11\x01\x02\x03\x03rvs\x07example\x00"
        );
    }
}
