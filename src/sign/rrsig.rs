//! An RRSIG over one RRset (RFC 4034 §3.1): its RDATA, and the data its signature is
//! computed over (§3.1.8.1) with the RRset in canonical form (§6.2, §6.3).

use hickory_proto::rr::{Name, RData};

/// The RRSIG fields before the signature.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub covered: u16,
    pub algorithm: u8,
    /// Labels of the signed owner name, without the root and without a leading `*`
    /// (§3.1.3): fewer than the answer's owner for a wildcard answer.
    pub labels: u8,
    pub original_ttl: u32,
    pub expiration: u32,
    pub inception: u32,
    pub key_tag: u16,
    /// The signer's name (the zone apex), in canonical wire form.
    pub signer: &'a [u8],
}

impl Fields<'_> {
    /// The RRSIG RDATA up to the signature, with the signer name uncompressed and in
    /// lowercase (§3.1.7, §6.2).
    pub fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(18 + self.signer.len() + 64);
        out.extend_from_slice(&self.covered.to_be_bytes());
        out.push(self.algorithm);
        out.push(self.labels);
        out.extend_from_slice(&self.original_ttl.to_be_bytes());
        out.extend_from_slice(&self.expiration.to_be_bytes());
        out.extend_from_slice(&self.inception.to_be_bytes());
        out.extend_from_slice(&self.key_tag.to_be_bytes());
        out.extend_from_slice(self.signer);
        out
    }

    /// What is signed (§3.1.8.1): the RDATA prefix, then every RR of the set as
    /// `owner | type | class | original TTL | RDLENGTH | RDATA`, in canonical order with
    /// duplicates removed (§6.3): a validator rebuilds exactly this from an answer that
    /// repeats an address for weight.
    pub fn signed_data(&self, owner: &[u8], rdatas: &mut Vec<&[u8]>) -> Vec<u8> {
        rdatas.sort_unstable();
        rdatas.dedup();
        let mut out = self.prefix();
        for rdata in rdatas.iter() {
            out.extend_from_slice(owner);
            out.extend_from_slice(&self.covered.to_be_bytes());
            out.extend_from_slice(&1u16.to_be_bytes()); // IN
            out.extend_from_slice(&self.original_ttl.to_be_bytes());
            out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            out.extend_from_slice(rdata);
        }
        out
    }

    /// The whole RRSIG RDATA over `rdatas` (canonical RDATA, any order) at `owner`
    /// (canonical wire form), signed with `key`.
    pub fn sign(&self, key: &super::Key, owner: &[u8], rdatas: &mut Vec<&[u8]>) -> Vec<u8> {
        let mut rdata = self.prefix();
        rdata.extend(key.sign(&self.signed_data(owner, rdatas)));
        rdata
    }
}

/// A record's RDATA in canonical form (RFC 4034 §6.2, RFC 6840 §5.1): names uncompressed
/// and, for the types listed there, in lowercase. hickory-proto's canonical encoding
/// covers the types it knows; the older types this server reads as RFC 3597 data
/// (MINFO, RP, AFSDB, RT, PX, KX, DNAME, …) have their names lowered here.
pub fn canonical_rdata(rdata: &RData) -> Vec<u8> {
    use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
    if let RData::Unknown { code, rdata } = rdata {
        let mut bytes = rdata.anything.clone();
        crate::zonefile::generic::lower_names(u16::from(*code), &mut bytes);
        return bytes;
    }
    let mut out = Vec::with_capacity(32);
    let mut encoder = BinEncoder::new(&mut out);
    encoder.set_canonical_form(true);
    // Only a record over 65,535 octets fails, and loading refuses those.
    let _ = rdata.emit(&mut encoder);
    out
}

/// `name` in canonical wire form (§6.2: uncompressed, lowercase), or for a wildcard
/// answer the name the signature covers: `*` and the rightmost `labels` labels (§3.1.3,
/// RFC 4035 §5.3.2).
pub fn canonical_owner(name: &Name, labels: u8) -> Vec<u8> {
    let all: Vec<&[u8]> = name.iter().collect();
    let keep = usize::from(labels).min(all.len());
    let mut out = Vec::with_capacity(name.len() + 2);
    if keep < all.len() {
        out.extend_from_slice(&[1, b'*']);
    }
    for label in &all[all.len() - keep..] {
        out.push(label.len() as u8);
        out.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::super::key::tests::*;
    use super::*;
    use data_encoding::BASE64;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    /// RFC 8080 §6.1 (with erratum 4935): Ed25519 is deterministic, so the signature is
    /// reproduced octet for octet, which proves the signed data too.
    #[test]
    fn the_rfc_8080_ed25519_signature_is_reproduced() {
        let key = key(ED25519_DNSKEY, ED25519_PRIVATE);
        let signer = canonical_owner(&name("example.com."), 2);
        let f = Fields {
            covered: 15, // MX
            algorithm: 15,
            labels: 2,
            original_ttl: 3600,
            expiration: 1440021600,
            inception: 1438207200,
            key_tag: key.tag,
            signer: &signer,
        };
        let mx = b"\x00\x0a\x04mail\x07example\x03com\x00";
        let data = f.signed_data(&canonical_owner(&name("Example.COM."), 2), &mut vec![mx]);
        assert_eq!(
            BASE64.encode(&key.sign(&data)),
            "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg=="
        );
    }

    /// RFC 6605 §6.1: ECDSA signatures are randomised, so the RFC's signature is
    /// verified over our signed data, and ours is verified with the RFC's public key.
    #[test]
    fn the_rfc_6605_p256_example_verifies_and_so_do_ours() {
        let key = key(P256_DNSKEY, P256_PRIVATE);
        let signer = canonical_owner(&name("example.net."), 2);
        let f = Fields {
            covered: 1,
            algorithm: 13,
            labels: 3,
            original_ttl: 3600,
            expiration: 1284026679,
            inception: 1281607479,
            key_tag: 55648,
            signer: &signer,
        };
        let owner = canonical_owner(&name("www.example.net."), 3);
        let data = f.signed_data(&owner, &mut vec![&[192, 0, 2, 1]]);
        let mut point = vec![4];
        point.extend_from_slice(&key.dnskey[4..]);
        let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point);
        let theirs = BASE64
            .decode(b"qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==")
            .unwrap();
        public.verify(&data, &theirs).expect("the RFC's signature");
        public.verify(&data, &key.sign(&data)).expect("ours");
        // A duplicate and another order sign the same data (RFC 4034 §6.3).
        let again = f.signed_data(&owner, &mut vec![&[192, 0, 2, 1], &[192, 0, 2, 1]]);
        assert_eq!(again, data);
    }

    #[test]
    fn sets_are_signed_in_canonical_order() {
        let signer = canonical_owner(&name("t."), 1);
        let f = Fields {
            covered: 1,
            algorithm: 13,
            labels: 2,
            original_ttl: 30,
            expiration: 2,
            inception: 1,
            key_tag: 7,
            signer: &signer,
        };
        let owner = canonical_owner(&name("w.t."), 2);
        let a = f.signed_data(
            &owner,
            &mut vec![&[10, 0, 0, 2], &[9, 0, 0, 1], &[10, 0, 0, 2]],
        );
        let b = f.signed_data(&owner, &mut vec![&[9, 0, 0, 1], &[10, 0, 0, 2]]);
        assert_eq!(a, b);
        let first = f.prefix().len() + owner.len() + 10;
        assert_eq!(&a[first..first + 4], &[9, 0, 0, 1]);
    }

    #[test]
    fn wildcard_owners_are_signed_as_the_wildcard() {
        assert_eq!(canonical_owner(&name("A.b.T."), 2), b"\x01*\x01b\x01t\x00");
        assert_eq!(canonical_owner(&name("A.b.T."), 3), b"\x01a\x01b\x01t\x00");
    }
}
