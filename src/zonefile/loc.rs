//! LOC (RFC 1876 §3): `d1 [m1 [s1]] N|S d2 [m2 [s2]] E|W alt[m] [siz[m] [hp[m] [vp[m]]]]`
//! into its 16 octets, rounding as BIND does.

use super::lexer::Token;

/// Defaults of the optional sizes, centimetres (RFC 1876 §3): 1 m, 10 km, 10 m.
const DEFAULT_SIZE: u64 = 100;
const DEFAULT_HORIZ: u64 = 1_000_000;
const DEFAULT_VERT: u64 = 1_000;
/// Latitude and longitude are 2^31 plus thousandths of an arc second.
const EQUATOR: i64 = 1 << 31;
/// Altitude is centimetres above 100 km below the reference spheroid.
const ALT_BASE: i64 = 10_000_000;

pub fn read(tokens: &[Token]) -> Result<Vec<u8>, String> {
    let words: Vec<&str> = tokens.iter().map(|t| t.text).collect();
    let bad = || format!("bad LOC data '{}'", words.join(" "));
    let mut i = 0;
    let lat = angle(&words, &mut i, ("N", "S"), 90).ok_or_else(bad)?;
    let lon = angle(&words, &mut i, ("E", "W"), 180).ok_or_else(bad)?;
    let alt = words
        .get(i)
        .and_then(|w| centimetres(w, true))
        .ok_or_else(bad)?;
    i += 1;
    let mut sizes = [DEFAULT_SIZE, DEFAULT_HORIZ, DEFAULT_VERT];
    for size in &mut sizes {
        let Some(w) = words.get(i) else { break };
        let cm = centimetres(w, false).ok_or_else(bad)?;
        *size = u64::try_from(cm).map_err(|_| bad())?;
        i += 1;
    }
    if i != words.len() || !(-10_000_000..=4_284_967_295).contains(&alt) {
        return Err(bad());
    }
    let mut out = vec![0u8];
    for s in sizes {
        out.push(precision(s).ok_or_else(bad)?);
    }
    out.extend((lat as u32).to_be_bytes());
    out.extend((lon as u32).to_be_bytes());
    out.extend(((alt + ALT_BASE) as u32).to_be_bytes());
    Ok(out)
}

/// Degrees, optional minutes and seconds, then a hemisphere letter: the wire value.
fn angle(words: &[&str], i: &mut usize, (pos, neg): (&str, &str), max: i64) -> Option<i64> {
    let deg: i64 = words.get(*i)?.parse().ok()?;
    *i += 1;
    let (mut min, mut msec) = (0i64, 0i64);
    for part in 0..2 {
        let w = *words.get(*i)?;
        if w.eq_ignore_ascii_case(pos) || w.eq_ignore_ascii_case(neg) {
            break;
        }
        if part == 0 {
            min = w.parse().ok().filter(|m| (0..60).contains(m))?;
        } else {
            msec = thousandths(w).filter(|s| (0..60_000).contains(s))?;
        }
        *i += 1;
    }
    let hemi = *words.get(*i)?;
    *i += 1;
    let sign = if hemi.eq_ignore_ascii_case(pos) {
        1
    } else if hemi.eq_ignore_ascii_case(neg) {
        -1
    } else {
        return None;
    };
    let value = (deg * 3600 + min * 60) * 1000 + msec;
    (0..=max).contains(&deg).then_some(())?;
    (value <= max * 3_600_000).then_some(EQUATOR + sign * value)
}

/// `12.345` as 12345 (at most three decimals).
fn thousandths(w: &str) -> Option<i64> {
    let (int, frac) = w.split_once('.').unwrap_or((w, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: i64 = int.parse().ok()?;
    let frac: i64 = format!("{frac:0<3}").parse().ok()?;
    Some(int * 1000 + frac)
}

/// `4.00m`, `-12m` or `10`: centimetres (at most two decimals).
fn centimetres(w: &str, signed: bool) -> Option<i64> {
    let w = w.strip_suffix(['m', 'M']).unwrap_or(w);
    let (neg, w) = match w.strip_prefix('-') {
        Some(rest) if signed => (true, rest),
        Some(_) => return None,
        None => (false, w),
    };
    let (int, frac) = w.split_once('.').unwrap_or((w, ""));
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) || int.is_empty() {
        return None;
    }
    let cm = int.parse::<i64>().ok()? * 100 + format!("{frac:0<2}").parse::<i64>().ok()?;
    Some(if neg { -cm } else { cm })
}

/// A size in centimetres as mantissa (high nibble) and power of ten (low nibble), the
/// mantissa truncated as BIND truncates it; `None` above 9 × 10^9 cm.
fn precision(cm: u64) -> Option<u8> {
    let mut exp = 0u32;
    while exp < 9 && cm >= 10u64.pow(exp + 1) {
        exp += 1;
    }
    let mantissa = cm / 10u64.pow(exp);
    (mantissa <= 9).then_some(((mantissa as u8) << 4) | exp as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(text: &str) -> Result<Vec<u8>, String> {
        let tokens: Vec<Token> = text
            .split_whitespace()
            .map(|w| Token {
                text: w,
                quoted: false,
            })
            .collect();
        read(&tokens)
    }

    #[test]
    fn rfc_1876_example_and_defaults() {
        // RFC 1876 §4's example (BIND's reading: 0x00 0x12 0x16 0x13, then the angles).
        let w = loc("42 21 54 N 71 06 18 W -24m 30m").unwrap();
        assert_eq!(&w[..4], [0x00, 0x33, 0x16, 0x13]);
        let lat = EQUATOR + (42 * 3600 + 21 * 60 + 54) * 1000;
        let lon = EQUATOR - (71 * 3600 + 6 * 60 + 18) * 1000;
        assert_eq!(&w[4..8], (lat as u32).to_be_bytes());
        assert_eq!(&w[8..12], (lon as u32).to_be_bytes());
        assert_eq!(&w[12..], ((ALT_BASE - 2400) as u32).to_be_bytes());
        let d = loc("52 N 4 E 0").unwrap();
        assert_eq!(&d[..4], [0x00, 0x12, 0x16, 0x13]);
        assert!(loc("91 N 4 E 0").is_err());
        assert!(loc("52 N 4 E").is_err());
        assert!(loc("52 N 4 E 0 1 2 3 4").is_err());
    }
}
