//! DNSSEC private keys as BIND's `dnssec-keygen` (and Knot's `keymgr … export`) write
//! them: `K<zone>+<alg>+<tag>.private` with the public DNSKEY in the `.key` file beside
//! it. Algorithms 8 (RSA/SHA-256, RFC 5702), 13 (ECDSA P-256/SHA-256, RFC 6605) and 15
//! (Ed25519, RFC 8080), signed through `ring`. rrdns reads keys; it never makes or rolls
//! them.

use std::fmt;
use std::path::{Path, PathBuf};

use data_encoding::BASE64;
use hickory_proto::rr::{Name, RData, RecordType};
use ring::rand::SystemRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};

/// DNSKEY flags (RFC 4034 §2.1.1): the Zone Key bit, and the Secure Entry Point bit that
/// marks a key-signing key.
const ZONE_KEY: u16 = 0x0100;
const SEP: u16 = 0x0001;

/// A DNSSEC key pair: its public DNSKEY and what signs with it.
pub struct Key {
    /// The zone the key belongs to (the DNSKEY's owner).
    pub owner: Name,
    pub flags: u16,
    pub algorithm: u8,
    /// RFC 4034 Appendix B.
    pub tag: u16,
    /// The DNSKEY RDATA, as it must appear in the zone's apex DNSKEY RRset.
    pub dnskey: Vec<u8>,
    /// Where it was read from, for messages.
    pub path: PathBuf,
    pair: Pair,
    rng: SystemRandom,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Key({} {} alg {} tag {})",
            self.owner, self.flags, self.algorithm, self.tag
        )
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.owner == other.owner && self.dnskey == other.dnskey
    }
}

impl Key {
    /// True for a key-signing key (SEP bit set): used for answers only when the zone has
    /// no other key (a combined signing key).
    pub fn is_ksk(&self) -> bool {
        self.flags & SEP != 0
    }

    /// Signs `data`: the signature field of an RRSIG (RFC 3110 §3 / RFC 5702 §3, RFC 6605
    /// §4: r and s, 32 octets each; RFC 8080 §4).
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        match &self.pair {
            Pair::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                // Fails only for a buffer of the wrong length, which this is not.
                k.sign(&RSA_PKCS1_SHA256, &self.rng, data, &mut sig)
                    .expect("RSA signature");
                sig
            }
            Pair::Ecdsa(k) => k
                .sign(&self.rng, data)
                .expect("ECDSA signature")
                .as_ref()
                .to_vec(),
            Pair::Ed25519(k) => k.sign(data).as_ref().to_vec(),
        }
    }

    /// The key from BIND's private-key text and DNSKEY RDATA.
    pub fn from_parts(owner: Name, dnskey: Vec<u8>, private: &str) -> Result<Key, String> {
        if dnskey.len() < 5 {
            return Err("the DNSKEY record is too short".into());
        }
        let flags = u16::from_be_bytes([dnskey[0], dnskey[1]]);
        let algorithm = dnskey[3];
        let public = &dnskey[4..];
        if flags & ZONE_KEY == 0 || dnskey[2] != 3 {
            return Err("the DNSKEY is not a zone key (flags bit 7, protocol 3)".into());
        }
        let fields = private_fields(private)?;
        let field = |name: &str| -> Result<Vec<u8>, String> {
            let text = fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .ok_or(format!("the private key has no '{name}' field"))?;
            BASE64
                .decode(text.as_bytes())
                .map_err(|e| format!("'{name}' is not base64: {e}"))
        };
        let stated: u8 = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Algorithm"))
            .and_then(|(_, v)| v.split_whitespace().next()?.parse().ok())
            .ok_or("the private key has no 'Algorithm' field")?;
        if stated != algorithm {
            return Err(format!(
                "the private key is algorithm {stated} but its DNSKEY is algorithm {algorithm}"
            ));
        }
        let rejected = |e: ring::error::KeyRejected| {
            format!("the private key does not match its DNSKEY ({e})")
        };
        let pair = match algorithm {
            8 => {
                let (e, n) = rsa_public(public)?;
                let c = KeyPairComponents {
                    public_key: PublicKeyComponents { n, e },
                    d: field("PrivateExponent")?,
                    p: field("Prime1")?,
                    q: field("Prime2")?,
                    dP: field("Exponent1")?,
                    dQ: field("Exponent2")?,
                    qInv: field("Coefficient")?,
                };
                Pair::Rsa(RsaKeyPair::from_components(&c).map_err(rejected)?)
            }
            13 => {
                let mut point = vec![4];
                point.extend_from_slice(public);
                let k = EcdsaKeyPair::from_private_key_and_public_key(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &field("PrivateKey")?,
                    &point,
                    &SystemRandom::new(),
                )
                .map_err(rejected)?;
                Pair::Ecdsa(k)
            }
            15 => Pair::Ed25519(
                Ed25519KeyPair::from_seed_and_public_key(&field("PrivateKey")?, public)
                    .map_err(rejected)?,
            ),
            a => {
                return Err(format!(
                    "algorithm {a} is not supported: use 13 (ECDSAP256SHA256), 15 (ED25519) or 8 (RSASHA256)"
                ));
            }
        };
        Ok(Key {
            owner,
            flags,
            algorithm,
            tag: key_tag(&dnskey),
            dnskey,
            path: PathBuf::new(),
            pair,
            rng: SystemRandom::new(),
        })
    }
}

/// Reads the key pair named by `path`: the `.private` file, the `.key` file, or their
/// common stem (`Kexample.test.+013+12345`), as dnssec-signzone and Knot accept them.
pub fn load(path: &Path) -> Result<Key, String> {
    let text = path.to_string_lossy();
    let stem = text
        .strip_suffix(".private")
        .or_else(|| text.strip_suffix(".key"))
        .unwrap_or(&text);
    let (private_path, public_path) = (format!("{stem}.private"), format!("{stem}.key"));
    let private = std::fs::read_to_string(&private_path)
        .map_err(|e| format!("cannot read {private_path}: {e}"))?;
    let public = std::fs::read_to_string(&public_path)
        .map_err(|e| format!("cannot read {public_path}: {e}"))?;
    let (owner, dnskey) = dnskey_of(&public, &public_path)?;
    let mut key =
        Key::from_parts(owner, dnskey, &private).map_err(|e| format!("{private_path}: {e}"))?;
    key.path = PathBuf::from(private_path);
    Ok(key)
}

/// The one DNSKEY record of a `.key` file (comments and other lines aside).
fn dnskey_of(text: &str, file: &str) -> Result<(Name, Vec<u8>), String> {
    let mut found = None;
    let mut problems = Vec::new();
    // dnssec-keygen writes the record without a TTL (unless -L): a default is given on
    // a line of its own, taken off the line numbers again below. The owner is absolute.
    let text = format!("$TTL 0\n{text}");
    let problems_read =
        crate::zonefile::master::read_master_str_with(&text, file, &Name::root(), &mut |r| {
            if let RData::Unknown { code, rdata } = &r.data
                && *code == RecordType::DNSKEY
            {
                if found.is_some() {
                    problems.push(format!("{file}: more than one DNSKEY record"));
                }
                found = Some((r.owner.to_name(), rdata.anything.clone()));
            }
        });
    if let Some(p) = problems_read.into_iter().next() {
        let line = p.line.saturating_sub(1);
        return Err(crate::problem::Problem { line, ..p }.to_string());
    }
    if let Some(p) = problems.into_iter().next() {
        return Err(p);
    }
    found.ok_or_else(|| format!("{file}: no DNSKEY record"))
}

/// `Field: value` lines of a BIND private-key file.
fn private_fields(text: &str) -> Result<Vec<(String, String)>, String> {
    let fields: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let format = fields
        .iter()
        .find(|(k, _)| k == "Private-key-format")
        .map(|(_, v)| v.as_str());
    match format {
        Some(v) if v.starts_with("v1.") => Ok(fields),
        Some(v) => Err(format!("private-key format {v} is not supported (v1.x is)")),
        None => Err("not a BIND private-key file (no 'Private-key-format' line)".into()),
    }
}

/// The exponent and modulus of an RSA DNSKEY's public key (RFC 3110 §2).
fn rsa_public(public: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let short = || "the RSA public key is truncated".to_string();
    let (len, rest) = match public.first() {
        Some(0) => {
            let l = public.get(1..3).ok_or_else(short)?;
            (usize::from(u16::from_be_bytes([l[0], l[1]])), &public[3..])
        }
        Some(&l) => (usize::from(l), &public[1..]),
        None => return Err(short()),
    };
    if rest.len() <= len {
        return Err(short());
    }
    Ok((rest[..len].to_vec(), rest[len..].to_vec()))
}

/// The DS record of `key` with a SHA-256 digest (RFC 4034 §5.1.4, RFC 4509), in
/// zone-file form, for the parent zone.
pub fn ds_record(key: &Key) -> String {
    let mut data = super::rrsig::canonical_owner(&key.owner, key.owner.num_labels());
    data.extend_from_slice(&key.dnskey);
    let digest = ring::digest::digest(&ring::digest::SHA256, &data);
    format!(
        "{} IN DS {} {} 2 {}",
        key.owner,
        key.tag,
        key.algorithm,
        data_encoding::HEXUPPER.encode(digest.as_ref())
    )
}

/// The key tag of DNSKEY RDATA (RFC 4034 Appendix B; algorithm 1 is not signed with).
pub fn key_tag(rdata: &[u8]) -> u16 {
    let mut ac: u32 = 0;
    for (i, &b) in rdata.iter().enumerate() {
        ac += if i & 1 == 1 {
            u32::from(b)
        } else {
            u32::from(b) << 8
        };
    }
    ac += (ac >> 16) & 0xffff;
    (ac & 0xffff) as u16
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// RFC 6605 §6.1: the P-256 key of example.net.
    pub const P256_PRIVATE: &str = "Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=\n";
    pub const P256_DNSKEY: &str = "example.net. 3600 IN DNSKEY 257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==\n";
    /// RFC 8080 §6.1: the Ed25519 key of example.com.
    pub const ED25519_PRIVATE: &str = "Private-key-format: v1.2\nAlgorithm: 15 (ED25519)\nPrivateKey: ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=\n";
    pub const ED25519_DNSKEY: &str =
        "example.com. 3600 IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=\n";

    pub fn key(dnskey: &str, private: &str) -> Key {
        let (owner, rdata) = dnskey_of(dnskey, "test.key").unwrap();
        Key::from_parts(owner, rdata, private).unwrap()
    }

    #[test]
    fn key_tags_are_the_rfcs() {
        assert_eq!(key(P256_DNSKEY, P256_PRIVATE).tag, 55648);
        assert_eq!(key(ED25519_DNSKEY, ED25519_PRIVATE).tag, 3613);
        assert!(key(P256_DNSKEY, P256_PRIVATE).is_ksk());
    }

    /// RFC 6605 §6.1 gives the DS of its P-256 key.
    #[test]
    fn the_ds_record_is_the_rfcs() {
        assert_eq!(
            ds_record(&key(P256_DNSKEY, P256_PRIVATE)),
            "example.net. IN DS 55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"
        );
    }

    #[test]
    fn mismatched_and_unsupported_keys_are_refused() {
        let (owner, rdata) = dnskey_of(P256_DNSKEY, "t").unwrap();
        let wrong = P256_PRIVATE.replace("GU6SnQ", "GU6SnR");
        let e = Key::from_parts(owner.clone(), rdata.clone(), &wrong).unwrap_err();
        assert!(e.contains("does not match"), "{e}");
        let e = Key::from_parts(owner.clone(), rdata.clone(), ED25519_PRIVATE).unwrap_err();
        assert!(
            e.contains("algorithm 15 but its DNSKEY is algorithm 13"),
            "{e}"
        );
        let e = Key::from_parts(owner, rdata, "Algorithm: 13\n").unwrap_err();
        assert!(e.contains("Private-key-format"), "{e}");
        let dsa = "x. IN DNSKEY 256 3 3 AAAA\n";
        let (owner, rdata) = dnskey_of(dsa, "t").unwrap();
        let e = Key::from_parts(owner, rdata, "Private-key-format: v1.3\nAlgorithm: 3\n");
        assert!(e.unwrap_err().contains("not supported"));
    }

    #[test]
    fn rsa_exponents_of_both_lengths_are_read() {
        assert_eq!(
            rsa_public(&[1, 3, 0xaa, 0xbb]).unwrap(),
            (vec![3], vec![0xaa, 0xbb])
        );
        assert_eq!(
            rsa_public(&[0, 0, 1, 3, 0xaa]).unwrap(),
            (vec![3], vec![0xaa])
        );
        assert!(rsa_public(&[3, 1, 0, 1]).is_err());
    }
}
