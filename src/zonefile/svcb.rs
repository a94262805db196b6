//! SVCB and HTTPS (RFC 9460 §2.1) into wire form: priority, target, and the SvcParams
//! sorted by key. Values may be quoted (`alpn="h2,h3"`) and carry escapes; lists split at
//! unescaped commas (RFC 9460 App. A.1). Keys: mandatory, alpn, no-default-alpn, port,
//! ipv4hint, ech, ipv6hint, dohpath (RFC 9461), ohttp (RFC 9540), keyNNNNN.

use super::fields::{base64, number};
use super::lexer::Token;
use super::rdata::{Origin, absolute_wire};
use super::strings::octets;
use crate::wire::namebuf::NameBuf;

const KEYS: [&str; 9] = [
    "mandatory",
    "alpn",
    "no-default-alpn",
    "port",
    "ipv4hint",
    "ech",
    "ipv6hint",
    "dohpath",
    "ohttp",
];

pub fn read(tokens: &[Token], origin: &Origin) -> Result<Vec<u8>, String> {
    let [priority, target, rest @ ..] = tokens else {
        return Err("SVCB/HTTPS needs a priority and a target name".into());
    };
    let mut out = (number(priority.text, 0xffff, "priority")? as u16)
        .to_be_bytes()
        .to_vec();
    let mut name = NameBuf::default();
    absolute_wire(target.text, origin, &mut name)?;
    out.extend_from_slice(name.wire());
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let tok = rest[i];
        i += 1;
        if tok.quoted {
            return Err(format!("SvcParam key \"{}\" must not be quoted", tok.text));
        }
        let (key, value) = match tok.text.split_once('=') {
            // `key="value"`: the lexer gives the quoted value as the next token.
            Some((key, "")) => match rest.get(i) {
                Some(v) if v.quoted => {
                    i += 1;
                    (key, Some(v.text))
                }
                _ => (key, Some("")),
            },
            Some((key, value)) => (key, Some(value)),
            None => (tok.text, None),
        };
        let (code, wire) = param(key, value)?;
        if params.iter().any(|(c, _)| *c == code) {
            return Err(format!("SvcParam key '{key}' given twice"));
        }
        params.push((code, wire));
    }
    params.sort_by_key(|(c, _)| *c);
    for (code, wire) in params {
        out.extend(code.to_be_bytes());
        let len = u16::try_from(wire.len()).map_err(|_| "SvcParam value too long".to_string())?;
        out.extend(len.to_be_bytes());
        out.extend(wire);
    }
    Ok(out)
}

/// A key's number: a name of [`KEYS`] or `keyNNNNN`.
fn key_code(key: &str) -> Result<u16, String> {
    if let Some(i) = KEYS.iter().position(|k| k.eq_ignore_ascii_case(key)) {
        return Ok(i as u16);
    }
    key.strip_prefix("key")
        .and_then(|n| n.parse::<u16>().ok())
        .ok_or_else(|| format!("unknown SvcParam key '{key}'"))
}

fn param<'a>(key: &str, value: Option<&'a str>) -> Result<(u16, Vec<u8>), String> {
    let code = key_code(key)?;
    let need = |v: Option<&'a str>| v.ok_or_else(|| format!("SvcParam '{key}' needs a value"));
    let text = |v: &str| {
        octets(&Token {
            text: v,
            quoted: true,
        })
    };
    let wire = match code {
        0 => {
            let mut keys = Vec::new();
            for k in list(need(value)?)? {
                keys.push(key_code(&String::from_utf8_lossy(&k))?);
            }
            keys.sort_unstable();
            keys.iter().flat_map(|k| k.to_be_bytes()).collect()
        }
        1 => {
            let mut wire = Vec::new();
            for id in list(need(value)?)? {
                let len = u8::try_from(id.len()).map_err(|_| "alpn id too long".to_string())?;
                wire.push(len);
                wire.extend(id);
            }
            wire
        }
        2 | 8 => match value {
            None | Some("") => Vec::new(),
            Some(_) => return Err(format!("SvcParam '{key}' takes no value")),
        },
        3 => (number(need(value)?, 0xffff, "port")? as u16)
            .to_be_bytes()
            .to_vec(),
        4 | 6 => {
            let mut wire = Vec::new();
            for a in list(need(value)?)? {
                let a = String::from_utf8_lossy(&a).to_string();
                match (code, a.parse::<std::net::IpAddr>()) {
                    (4, Ok(std::net::IpAddr::V4(v4))) => wire.extend(v4.octets()),
                    (6, Ok(std::net::IpAddr::V6(v6))) => wire.extend(v6.octets()),
                    _ => return Err(format!("bad address '{a}' in {key}")),
                }
            }
            wire
        }
        5 => base64(&[need(value)?])?,
        _ => text(value.unwrap_or(""))?,
    };
    Ok((code, wire))
}

/// A comma-separated value list (RFC 9460 App. A.1): the value is first read as a
/// `<character-string>`, then split at commas, where `\,` is a comma inside an item and
/// `\\` a backslash (so `"f\\\\oo\\,bar,h2"` is the items `f\oo,bar` and `h2`).
fn list(raw: &str) -> Result<Vec<Vec<u8>>, String> {
    let decoded = octets(&Token {
        text: raw,
        quoted: true,
    })?;
    let mut items = vec![Vec::new()];
    let mut bytes = decoded.into_iter();
    while let Some(b) = bytes.next() {
        let byte = match b {
            b',' => {
                items.push(Vec::new());
                continue;
            }
            b'\\' => bytes.next().ok_or("a value list ends in a backslash")?,
            other => other,
        };
        if let Some(item) = items.last_mut() {
            item.push(byte);
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;

    fn svcb(tokens: &[(&str, bool)]) -> Result<Vec<u8>, String> {
        let origin = Origin::new(Name::from_ascii("example.").unwrap()).unwrap();
        let toks: Vec<Token> = (tokens.iter())
            .map(|&(text, quoted)| Token { text, quoted })
            .collect();
        read(&toks, &origin)
    }

    #[test]
    fn rfc_9460_appendix_d_forms() {
        // D.2 figure 4: 1 foo.example.com. port=53
        let w = svcb(&[
            ("16", false),
            ("foo.example.com.", false),
            ("port=53", false),
        ])
        .unwrap();
        let mut want = vec![0, 16, 3, b'f', b'o', b'o', 7];
        want.extend(b"example\x03com\x00");
        want.extend([0, 3, 0, 2, 0, 53]);
        assert_eq!(w, want);
        // Quoted and escaped lists, and keys sorted on the wire.
        let w = svcb(&[
            ("1", false),
            (".", false),
            ("alpn=", false),
            (r"f\\\\oo\\,bar,h2", true),
            ("ipv4hint=192.0.2.1", false),
            ("mandatory=alpn,ipv4hint", false),
        ])
        .unwrap();
        let mut want = vec![0, 1, 0];
        want.extend([0, 0, 0, 4, 0, 1, 0, 4]);
        want.extend([0, 1, 0, 12, 8]);
        want.extend(br"f\oo,bar");
        want.extend([2, b'h', b'2']);
        want.extend([0, 4, 0, 4, 192, 0, 2, 1]);
        assert_eq!(w, want);
        assert!(
            svcb(&[
                ("1", false),
                (".", false),
                ("port=1", false),
                ("port=2", false)
            ])
            .is_err()
        );
        assert!(svcb(&[("1", false), (".", false), ("bogus=1", false)]).is_err());
        let w = svcb(&[
            ("1", false),
            (".", false),
            ("dohpath=", false),
            ("/q{?dns}", true),
        ])
        .unwrap();
        assert_eq!(&w[3..], b"\x00\x07\x00\x08/q{?dns}");
    }
}
