//! TSIG (RFC 8945): signing and verifying requests, responses and multi-message chains.
//!
//! hickory-proto builds the to-be-signed data (`signed_bitmessage_to_buf`,
//! `emit_tsig_for_mac`); the MAC itself is computed here with `ring`, because hickory
//! supports only the SHA-2 HMACs and old peers still use hmac-sha1.

use hickory_proto::rr::rdata::tsig::{
    TSIG, TsigAlgorithm, TsigError, make_tsig_record, signed_bitmessage_to_buf,
};
use hickory_proto::rr::{Name, Record};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use ring::hmac;
use std::time::{SystemTime, UNIX_EPOCH};

/// Allowed clock difference, seconds (RFC 8945 §10 recommends 300).
pub const FUDGE: u16 = 300;

/// A TSIG key.
#[derive(Clone)]
pub struct Key {
    pub name: Name,
    pub algorithm: TsigAlgorithm,
    /// The secret, kept to tell two keys apart (a reload that changes it).
    secret: std::sync::Arc<[u8]>,
    /// Shared: ring's key is a few hundred bytes, and configurations and tasks copy keys.
    ring: std::sync::Arc<hmac::Key>,
}

/// Keys are equal when name, algorithm and secret are.
impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.name == other.name && self.algorithm == other.algorithm && self.secret == other.secret
    }
}

impl Eq for Key {}

/// Why a key cannot be built; each names the key as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "key {0}: algorithm '{1}' is not one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha1"
    )]
    Algorithm(String, String),
    #[error("key {0}: secret is empty")]
    EmptySecret(String),
    #[error("key {0}: secret is not base64")]
    Secret(String),
    /// The name goes on the wire in every TSIG record (RFC 8945 §4.2), so it must be a
    /// DNS name.
    #[error("key {0}: '{0}' is not a DNS name: {1}")]
    Name(String, String),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({} {})", self.name, self.algorithm)
    }
}

/// Why a signed message was not accepted (the TSIG error to send back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No TSIG where one is required, or a malformed one.
    Missing,
    BadKey,
    BadSig,
    BadTime,
}

impl Failure {
    pub fn tsig_error(&self) -> Option<TsigError> {
        match self {
            Failure::Missing => None,
            Failure::BadKey => Some(TsigError::BadKey),
            Failure::BadSig => Some(TsigError::BadSig),
            Failure::BadTime => Some(TsigError::BadTime),
        }
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Key {
    /// Builds a key: `name` is the key's name (its DNS name), `algorithm` one of
    /// `hmac-sha256`, `hmac-sha384`, `hmac-sha512`, `hmac-sha1` (any case), `secret`
    /// base64. Every problem is returned, not only the first.
    pub fn new(name: &str, algorithm: &str, secret: &str) -> Result<Key, Vec<KeyError>> {
        let mut problems = Vec::new();
        let alg = match algorithm.to_ascii_lowercase().as_str() {
            "hmac-sha256" => Some((TsigAlgorithm::HmacSha256, hmac::HMAC_SHA256)),
            "hmac-sha384" => Some((TsigAlgorithm::HmacSha384, hmac::HMAC_SHA384)),
            "hmac-sha512" => Some((TsigAlgorithm::HmacSha512, hmac::HMAC_SHA512)),
            "hmac-sha1" => Some((TsigAlgorithm::HmacSha1, hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY)),
            other => {
                problems.push(KeyError::Algorithm(name.into(), other.into()));
                None
            }
        };
        let bytes = match data_encoding::BASE64.decode(secret.trim().as_bytes()) {
            _ if secret.trim().is_empty() => {
                problems.push(KeyError::EmptySecret(name.into()));
                None
            }
            Ok(b) => Some(b),
            Err(_) => {
                problems.push(KeyError::Secret(name.into()));
                None
            }
        };
        let n = match Name::from_ascii(name) {
            Ok(mut n) => {
                n.set_fqdn(true);
                Some(n)
            }
            Err(e) => {
                // hickory names the character; a space would print as nothing.
                let why = match name.contains(char::is_whitespace) {
                    true => "it contains white space".to_string(),
                    false => e.to_string(),
                };
                problems.push(KeyError::Name(name.into(), why));
                None
            }
        };
        let (Some((algorithm, ring_alg)), Some(secret), Some(name)) = (alg, bytes, n) else {
            return Err(problems);
        };
        Ok(Key {
            name,
            algorithm,
            ring: hmac::Key::new(ring_alg, &secret).into(),
            secret: secret.into(),
        })
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        hmac::sign(&self.ring, data).as_ref().to_vec()
    }

    /// Appends a TSIG record to an encoded message and bumps ARCOUNT. `prior` is the
    /// request MAC (for a response) or the previous message's MAC (later messages of a
    /// chain, which are signed over timers only, RFC 8945 §5.3.1). Returns the MAC.
    pub fn sign(
        &self,
        msg: &mut Vec<u8>,
        prior: Option<&[u8]>,
        first: bool,
        error: Option<TsigError>,
    ) -> Vec<u8> {
        let id = u16::from_be_bytes([msg[0], msg[1]]);
        let time = now();
        let mut tsig = TSIG::new(
            self.algorithm.clone(),
            time,
            FUDGE,
            Vec::new(),
            id,
            error,
            Vec::new(),
        );
        let mut tbs = Vec::with_capacity(msg.len() + 128);
        if let Some(p) = prior {
            tbs.extend_from_slice(&(p.len() as u16).to_be_bytes());
            tbs.extend_from_slice(p);
        }
        tbs.extend_from_slice(msg);
        if first {
            // BinEncoder writes from offset 0 of its buffer: encode apart, then append.
            let mut vars = Vec::with_capacity(96);
            let _ = tsig.emit_tsig_for_mac(&mut BinEncoder::new(&mut vars), &self.name);
            tbs.extend_from_slice(&vars);
        } else {
            tbs.extend_from_slice(&((time >> 32) as u16).to_be_bytes());
            tbs.extend_from_slice(&(time as u32).to_be_bytes());
            tbs.extend_from_slice(&FUDGE.to_be_bytes());
        }
        let mac = self.mac(&tbs);
        tsig = tsig.set_mac(mac.clone());
        append(msg, make_tsig_record(self.name.clone(), tsig));
        mac
    }

    /// Verifies the TSIG of an encoded message (see [`Key::sign`] for `prior`/`first`);
    /// returns its MAC, to chain the next message.
    pub fn verify(
        &self,
        msg: &[u8],
        prior: Option<&[u8]>,
        first: bool,
    ) -> Result<Vec<u8>, Failure> {
        let (tbs, rr) = to_be_signed(msg, prior, first).ok_or(Failure::Missing)?;
        if rr.name != self.name || rr.data.algorithm != self.algorithm {
            return Err(Failure::BadKey);
        }
        hmac::verify(&self.ring, &tbs, &rr.data.mac).map_err(|_| Failure::BadSig)?;
        let t = now();
        if rr.data.time.abs_diff(t) > u64::from(rr.data.fudge) {
            return Err(Failure::BadTime);
        }
        Ok(rr.data.mac.clone())
    }
}

/// The signed data and TSIG record of a message (RFC 8945 §4.3.3). The records before the
/// TSIG are skipped on the wire alone, the TSIG is read from a message holding nothing
/// else, and the signed data is put together from the real message. hickory's reader is
/// not given the whole message: it refuses valid ones (a record of empty RDATA, which RFC
/// 3597 allows as `TYPE65000 \# 0`, reads only in UPDATE), and a TSIG record before the
/// last trips an assertion of its debug builds (found by tests/fuzz.rs).
fn to_be_signed(
    msg: &[u8],
    prior: Option<&[u8]>,
    first: bool,
) -> Option<(Vec<u8>, Box<Record<TSIG>>)> {
    let count = |at: usize| -> Option<usize> {
        Some(usize::from(u16::from_be_bytes([
            *msg.get(at)?,
            *msg.get(at + 1)?,
        ])))
    };
    let (qd, records) = (count(4)?, count(6)? + count(8)? + count(10)?);
    let mut at = 12;
    for _ in 0..qd {
        at = skip_name(msg, at)? + 4;
    }
    for _ in 0..records.checked_sub(1)? {
        at = skip_name(msg, at)? + 10;
        at += count(at - 2)?;
    }
    let tsig = msg.get(at..)?;
    let mut alone = vec![0u8; 12];
    alone[..4].copy_from_slice(msg.get(..4)?);
    alone[11] = 1;
    alone.extend_from_slice(tsig);
    let (tbs_alone, rr) = signed_bitmessage_to_buf(&alone, prior, first).ok()?;
    let before = prior.map_or(0, |p| p.len() + 2);
    let mut tbs = tbs_alone.get(..before)?.to_vec();
    let mut header = msg.get(..12)?.to_vec();
    header[..2].copy_from_slice(&rr.data.oid.to_be_bytes());
    let ar = u16::from_be_bytes([header[10], header[11]]).checked_sub(1)?;
    header[10..12].copy_from_slice(&ar.to_be_bytes());
    tbs.extend_from_slice(&header);
    tbs.extend_from_slice(msg.get(12..at)?);
    tbs.extend_from_slice(tbs_alone.get(before + 12..)?);
    Some((tbs, rr))
}

/// The offset just past the wire name at `at`.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *msg.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l if l & 0xc0 != 0 => return None,
            l => at += 1 + usize::from(l),
        }
    }
}

/// Appends a record to an encoded message's additional section.
pub fn append(msg: &mut Vec<u8>, rr: Record<TSIG>) {
    let mut tail = Vec::with_capacity(128);
    {
        let mut enc = BinEncoder::new(&mut tail);
        let _ = rr.emit(&mut enc);
    }
    msg.extend_from_slice(&tail);
    let ar = u16::from_be_bytes([msg[10], msg[11]]).wrapping_add(1);
    msg[10..12].copy_from_slice(&ar.to_be_bytes());
}

/// An unsigned TSIG error record for a rejected request (BADKEY/BADSIG, RFC 8945 §5.3.2).
pub fn unsigned_error(
    msg: &mut Vec<u8>,
    key_name: &Name,
    algorithm: TsigAlgorithm,
    error: TsigError,
) {
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let tsig = TSIG::new(
        algorithm,
        now(),
        FUDGE,
        Vec::new(),
        id,
        Some(error),
        Vec::new(),
    );
    append(msg, make_tsig_record(key_name.clone(), tsig));
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Message, MessageType, OpCode, Query};
    use hickory_proto::rr::RecordType;

    fn key(alg: &str) -> Key {
        Key::new("xfr", alg, "c2VjcmV0LXNlY3JldC1zZWNyZXQ=").unwrap()
    }

    fn query() -> Vec<u8> {
        let mut m = Message::new(7, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(
            Name::from_ascii("example.test.").unwrap(),
            RecordType::AXFR,
        ));
        m.to_vec().unwrap()
    }

    #[test]
    fn sign_and_verify_a_chain_with_every_algorithm() {
        for alg in ["hmac-sha256", "hmac-sha512", "hmac-sha1", "hmac-sha384"] {
            let k = key(alg);
            let mut q = query();
            let qmac = k.sign(&mut q, None, true, None);
            assert_eq!(k.verify(&q, None, true).unwrap(), qmac, "{alg}");
            let mut r1 = query();
            r1[2] |= 0x80;
            let m1 = k.sign(&mut r1, Some(&qmac), true, None);
            assert_eq!(k.verify(&r1, Some(&qmac), true).unwrap(), m1);
            let mut r2 = query();
            let m2 = k.sign(&mut r2, Some(&m1), false, None);
            assert_eq!(k.verify(&r2, Some(&m1), false).unwrap(), m2);
            assert_eq!(
                k.verify(&r2, Some(&qmac), false),
                Err(Failure::BadSig),
                "wrong chain"
            );
        }
    }

    #[test]
    fn a_key_that_cannot_be_built_says_every_reason() {
        // Regression: a name that is not a DNS name was dropped at run time, and a
        // transfer policy requiring that key then required nothing (TSIG failed open).
        let e = Key::new("bad key", "HMAC-MD5", "").unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(matches!(&e[0], KeyError::Algorithm(n, a) if n == "bad key" && a == "hmac-md5"));
        assert_eq!(e[1], KeyError::EmptySecret("bad key".into()));
        assert!(
            matches!(&e[2], KeyError::Name(n, _) if n == "bad key"),
            "{e:?}"
        );
        assert_eq!(
            Key::new("k", "hmac-sha256", "not base64!").unwrap_err(),
            [KeyError::Secret("k".into())]
        );
        let k = Key::new("xfr", "HMAC-SHA256", "c2VjcmV0").unwrap();
        assert_eq!(k.name.to_ascii(), "xfr.");
        assert_eq!(k, Key::new("xfr.", "hmac-sha256", " c2VjcmV0 ").unwrap());
        assert_ne!(k, Key::new("xfr", "hmac-sha256", "b3RoZXI=").unwrap());
    }

    #[test]
    fn wrong_key_or_tampering_is_refused() {
        let k = key("hmac-sha256");
        let mut q = query();
        k.sign(&mut q, None, true, None);
        let other = Key::new("other", "hmac-sha256", "b3RoZXI=").unwrap();
        assert_eq!(other.verify(&q, None, true), Err(Failure::BadKey));
        let mut t = q.clone();
        t[13] ^= 1;
        assert!(k.verify(&t, None, true).is_err());
        assert_eq!(k.verify(&query(), None, true), Err(Failure::Missing));
    }
}
