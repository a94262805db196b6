//! `<character-string>`s in master files (RFC 1035 §3.3, §5.1), read octet for octet as
//! BIND reads them: `\DDD` is the octet of decimal value DDD (exactly three digits, at
//! most 255), `\X` is X itself, every other byte stands for itself (UTF-8 text stays the
//! same octets), and a string holds at most 255 octets. Quoted or not, a token is one
//! string: `foo\ bar` is the seven octets `foo bar`.
//!
//! DKIM and SPF records are written with exactly these escapes, so TXT, SPF and HINFO
//! are read here rather than by hickory's text parser, which took `\DDD` for a Unicode
//! code point and split `foo\ bar` in two.

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{HINFO, TXT};

use super::lexer::Token;

/// The most octets in one `<character-string>`: its length is one octet (RFC 1035 §3.3).
pub const MAX_STRING: usize = 255;

/// Decodes one token into the octets of a `<character-string>`.
pub fn character_string(tok: &Token) -> Result<Vec<u8>, String> {
    let out = octets(tok)?;
    if out.len() > MAX_STRING {
        return Err(format!(
            "a character string of {} octets is longer than {MAX_STRING} (RFC 1035 §3.3); split it into several quoted strings",
            out.len()
        ));
    }
    Ok(out)
}

/// Decodes one token's escapes into octets, with no limit on their number (a URI
/// target, RFC 7553 §4.4, has no length octet).
pub fn octets(tok: &Token) -> Result<Vec<u8>, String> {
    let b = tok.text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let escaped = &b[i + 1..];
        match escaped.first() {
            None => return Err(format!("'{}' ends in a lone backslash", tok.text)),
            Some(d) if d.is_ascii_digit() => {
                let digits = escaped
                    .get(..3)
                    .filter(|ds| ds.iter().all(u8::is_ascii_digit));
                let Some(ds) = digits else {
                    return Err(format!(
                        "bad escape in '{}': \\ and a digit must be followed by three digits",
                        tok.text
                    ));
                };
                let value = ds.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
                let octet = u8::try_from(value)
                    .map_err(|_| format!("bad escape \\{value} in '{}': above 255", tok.text))?;
                out.push(octet);
                i += 4;
            }
            Some(&c) => {
                out.push(c);
                i += 2;
            }
        }
    }
    Ok(out)
}

/// TXT (RFC 1035 §3.3.14) and SPF (RFC 7208 §3.1, the same RDATA): one or more strings.
pub fn txt(tokens: &[Token]) -> Result<RData, String> {
    let strings = strings(tokens)?;
    Ok(RData::TXT(TXT::from_bytes(
        strings.iter().map(Vec::as_slice).collect(),
    )))
}

/// HINFO (RFC 1035 §3.3.2): exactly two strings, CPU and OS.
pub fn hinfo(tokens: &[Token]) -> Result<RData, String> {
    let [cpu, os] = tokens else {
        return Err(format!(
            "HINFO needs 2 strings (CPU and OS), found {}",
            tokens.len()
        ));
    };
    Ok(RData::HINFO(HINFO::from_bytes(
        character_string(cpu)?.into(),
        character_string(os)?.into(),
    )))
}

fn strings(tokens: &[Token]) -> Result<Vec<Vec<u8>>, String> {
    tokens.iter().map(character_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Token<'_> {
        Token {
            text,
            quoted: false,
        }
    }

    fn quoted(text: &str) -> Token<'_> {
        Token { text, quoted: true }
    }

    #[test]
    fn escapes_are_octets_as_bind_reads_them() {
        // Regression: "foo\032bar" was served as foo\204\130bar, \195\133 as 8 octets.
        assert_eq!(
            character_string(&quoted(r"foo\032bar")).unwrap(),
            b"foo bar"
        );
        assert_eq!(character_string(&quoted(r"\195\133")).unwrap(), [195, 133]);
        assert_eq!(character_string(&word(r"foo\ bar")).unwrap(), b"foo bar");
        assert_eq!(character_string(&word(r#"\"q\""#)).unwrap(), b"\"q\"");
        assert_eq!(character_string(&quoted(r"a\\b\;c")).unwrap(), b"a\\b;c");
        assert_eq!(character_string(&quoted("é")).unwrap(), "é".as_bytes());
        assert_eq!(character_string(&quoted(r"\000\255")).unwrap(), [0, 255]);
        assert!(character_string(&quoted(r"\256")).is_err());
        assert!(character_string(&quoted(r"\1x")).is_err());
        assert!(character_string(&quoted(r"\12")).is_err());
        assert!(character_string(&word("a\\")).is_err());
    }

    #[test]
    fn a_string_holds_at_most_255_octets() {
        let long = "x".repeat(255);
        assert_eq!(character_string(&quoted(&long)).unwrap().len(), 255);
        let e = character_string(&quoted(&format!("{long}x"))).unwrap_err();
        assert!(e.contains("256 octets"), "{e}");
        // Escapes count as the octets they stand for.
        let escaped = r"\120".repeat(255);
        assert_eq!(character_string(&quoted(&escaped)).unwrap().len(), 255);
    }

    #[test]
    fn txt_and_hinfo() {
        let RData::TXT(t) = txt(&[quoted("v=spf1 -all"), word(r"a\ b")]).unwrap() else {
            panic!()
        };
        let got: Vec<&[u8]> = t.txt_data.iter().map(|s| &s[..]).collect();
        assert_eq!(got, [&b"v=spf1 -all"[..], b"a b"]);
        assert!(hinfo(&[quoted("PC")]).is_err());
        assert!(hinfo(&[quoted("PC"), word("Linux")]).is_ok());
    }
}
