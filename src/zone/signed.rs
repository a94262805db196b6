//! A signed zone's denial chains, indexed for answers with DNSSEC (RFC 4035 §3.1.3,
//! RFC 5155 §7.2).
//!
//! A pre-signed zone (made by `dnssec-signzone`, `kzonesign`, …, or received from a
//! signing primary) carries its proofs of non-existence as NSEC or NSEC3 records. To
//! prove that a name does not exist the server finds the NSEC whose owner precedes the
//! name in canonical order (RFC 4034 §6.1), or the NSEC3 whose hashed owner precedes
//! the name's hash. Both are found here by binary search over positions of the zone's
//! nodes, built once at load: 4 bytes per NSEC owner, 24 per NSEC3 owner.

use hickory_proto::rr::{Name, RData, RecordType};
use std::cmp::Ordering;

use super::{Node, Nodes, RRset};
use crate::wire::name::Lowered;

/// The denial chains of a signed zone.
#[derive(Debug, Default)]
pub struct Signed {
    /// Positions (in [`Nodes`]) of the names owning an NSEC record, in canonical order.
    nsec: Box<[u32]>,
    nsec3: Option<Nsec3Chain>,
}

/// The NSEC3 chain of the zone's NSEC3PARAM (RFC 5155 §4): its hash parameters, and
/// per NSEC3 owner of those parameters its hash and node position, sorted by hash.
#[derive(Debug)]
struct Nsec3Chain {
    iterations: u16,
    salt: Box<[u8]>,
    hashes: Box<[([u8; 20], u32)]>,
}

/// Where a name stands in a denial chain: the record that owns it, or the one whose
/// span covers it (RFC 4034 §4.1.1, RFC 5155 §3.1.7).
pub struct Link<'z> {
    pub owner: Name,
    pub node: Node<'z>,
    /// The record's owner is the name itself (or its hash is the name's hash).
    pub matches: bool,
}

impl Signed {
    /// The chains of the zone whose nodes are `nodes`, when it is signed: its apex has
    /// an RRSIG. `None` for an unsigned zone.
    pub fn build(nodes: &Nodes, origin: &Name) -> Option<Signed> {
        let apex = nodes.get(origin)?;
        apex.get(RecordType::RRSIG)?;
        let params = apex
            .get(RecordType::NSEC3PARAM)
            .and_then(|s| s.data.iter().find_map(|d| nsec3param(d.other()?)));
        let mut nsec = Vec::new();
        let mut hashes = Vec::new();
        for (i, (owner, node)) in nodes.iter().enumerate() {
            if node.get(RecordType::NSEC).is_some() {
                nsec.push(i as u32);
            }
            let Some((params, _)) = &params else { continue };
            let ours = node.get(RecordType::NSEC3).is_some_and(|s| {
                (s.data.iter()).any(|d| d.other().and_then(nsec3_params).as_ref() == Some(params))
            });
            if let Some(hash) = ours
                .then(|| first_label_hash(owner.labels_as_written()))
                .flatten()
            {
                hashes.push((hash, i as u32));
            }
        }
        let labels = |i: u32| nodes.at(i as usize).map(|(o, _)| o.labels_as_written());
        nsec.sort_by(|&a, &b| canonical(labels(a).unwrap_or(&[]), labels(b).unwrap_or(&[])));
        hashes.sort_unstable();
        let nsec3 = params.map(|((_, iterations, salt), _)| Nsec3Chain {
            iterations,
            salt,
            hashes: hashes.into(),
        });
        Some(Signed {
            nsec: nsec.into(),
            nsec3,
        })
    }

    /// True when the zone's denials are NSEC3 records (it has an NSEC3PARAM).
    pub fn is_nsec3(&self) -> bool {
        self.nsec3.is_some()
    }

    /// The NSEC that owns `name` or covers it: the last NSEC owner at or before it in
    /// canonical order (RFC 4035 §3.1.3.2). `name` is in the zone.
    pub fn nsec<'z>(&self, nodes: &'z Nodes, origin: &Name, name: &Name) -> Option<Link<'z>> {
        let ours = labels_above(name, origin)?;
        let at = |i: u32| {
            nodes
                .at(i as usize)
                .expect("positions index the zone's nodes")
        };
        let after = self.nsec.partition_point(|&i| {
            canonical(at(i).0.labels_as_written(), &ours) != Ordering::Greater
        });
        // Every name of the zone sorts after the apex, which owns the first NSEC.
        let i = *self.nsec.get(after.checked_sub(1)?)?;
        let (owner, node) = at(i);
        let matches = canonical(owner.labels_as_written(), &ours) == Ordering::Equal;
        Some(Link {
            owner: owner.to_name(),
            node,
            matches,
        })
    }

    /// The NSEC3 whose hash is `name`'s, or whose span covers that hash: the last hash at
    /// or before it, wrapping round to the last of the chain (RFC 5155 §7.2).
    pub fn nsec3<'z>(&self, nodes: &'z Nodes, name: &Name) -> Option<Link<'z>> {
        let chain = self.nsec3.as_ref()?;
        let hash = nsec3_hash(name, &chain.salt, chain.iterations)?;
        let after = chain.hashes.partition_point(|(h, _)| *h <= hash);
        let (h, i) = match after.checked_sub(1) {
            Some(k) => chain.hashes[k],
            None => *chain.hashes.last()?,
        };
        let (owner, node) = nodes.at(i as usize)?;
        Some(Link {
            owner: owner.to_name(),
            node,
            matches: h == hash,
        })
    }
}

/// The RRSIG set of `node` over type `t` (RRSIGs make one set per type covered).
pub fn signatures<'z>(node: &Node<'z>, t: RecordType) -> Option<&'z RRset> {
    signatures_in(node.rrsets, t)
}

/// The RRSIG set over type `t` among a node's RRsets.
pub fn signatures_in(rrsets: &[RRset], t: RecordType) -> Option<&RRset> {
    rrsets.iter().find(|s| {
        s.rtype == RecordType::RRSIG
            && (s.data.first()).and_then(|d| super::rrsig::covered(d.other()?)) == Some(t.into())
    })
}

/// NSEC3 hash parameters: algorithm, iterations, salt (RFC 5155 §3.1).
type HashParams = (u8, u16, Box<[u8]>);

/// The hash parameters of an NSEC3.
fn nsec3_params(rdata: &RData) -> Option<HashParams> {
    let RData::Unknown { code, rdata } = rdata else {
        return None;
    };
    (*code == RecordType::NSEC3).then_some(())?;
    hash_params(&rdata.anything).map(|(p, _)| p)
}

/// An NSEC3PARAM's hash parameters, when its algorithm is SHA-1 (the only one defined,
/// RFC 5155 §11) and its flags are zero (§4.1.2: a nonzero flag is not for servers).
fn nsec3param(rdata: &RData) -> Option<(HashParams, u8)> {
    let RData::Unknown { code, rdata } = rdata else {
        return None;
    };
    (*code == RecordType::NSEC3PARAM).then_some(())?;
    let (params, flags) = hash_params(&rdata.anything)?;
    (params.0 == 1 && flags == 0).then_some((params, flags))
}

/// Algorithm, flags, iterations and salt: the start of NSEC3 and NSEC3PARAM RDATA.
fn hash_params(b: &[u8]) -> Option<(HashParams, u8)> {
    let (&alg, &flags) = (b.first()?, b.get(1)?);
    let iterations = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    let len = usize::from(*b.get(4)?);
    let salt = b.get(5..5 + len)?;
    Some(((alg, iterations, salt.into()), flags))
}

/// The hash written in an NSEC3 owner's first label (base32hex, RFC 5155 §3.3).
fn first_label_hash(labels: &[u8]) -> Option<[u8; 20]> {
    let len = usize::from(*labels.first()?);
    let text = labels.get(1..1 + len)?.to_ascii_uppercase();
    let bytes = data_encoding::BASE32HEX_NOPAD.decode(&text).ok()?;
    bytes.try_into().ok()
}

/// IH(salt, name, iterations) of RFC 5155 §5 over `name` lowercased.
pub fn nsec3_hash(name: &Name, salt: &[u8], iterations: u16) -> Option<[u8; 20]> {
    let wire = Lowered::from_name(name)?;
    Some(crate::sign::denial::nsec3_hash(
        wire.suffix(0).0,
        salt,
        iterations,
    ))
}

/// The labels of `name` above `origin` in wire form, lowercased.
fn labels_above(name: &Name, origin: &Name) -> Option<Vec<u8>> {
    let wire = Lowered::from_name(name)?;
    let all = wire.suffix(0).0;
    let keep = all
        .len()
        .checked_sub(Lowered::from_name(origin)?.suffix(0).0.len())?;
    Some(all[..keep].to_vec())
}

/// RFC 4034 §6.1 canonical order of two names given by their labels above the same zone
/// name (wire form): label by label from the right, each as a lowercased octet string
/// where a shorter label sorts first.
pub(crate) fn canonical(a: &[u8], b: &[u8]) -> Ordering {
    let (la, lb) = (split(a), split(b));
    for (x, y) in la.iter().rev().zip(lb.iter().rev()) {
        let o = (x.iter().map(u8::to_ascii_lowercase)).cmp(y.iter().map(u8::to_ascii_lowercase));
        if o != Ordering::Equal {
            return o;
        }
    }
    la.len().cmp(&lb.len())
}

/// The labels of a wire name (without the terminal zero), left to right.
fn split(mut wire: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(4);
    while let Some((&len, rest)) = wire.split_first() {
        let len = usize::from(len);
        if len == 0 || rest.len() < len {
            break;
        }
        out.push(&rest[..len]);
        wire = &rest[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(labels: &[&str]) -> Vec<u8> {
        let mut w = Vec::new();
        for l in labels {
            w.push(l.len() as u8);
            w.extend_from_slice(l.as_bytes());
        }
        w
    }

    #[test]
    fn canonical_order_of_rfc4034_section_6_1() {
        // RFC 4034 §6.1's example, above the zone `example.`.
        let names: Vec<Vec<u8>> = [
            &[][..],
            &["a"],
            &["yljkjljk", "a"],
            &["Z", "a"],
            &["zABC", "a"],
            &["z"],
            &["\u{1}", "z"],
            &["*", "z"],
            &["\u{7f}"],
        ]
        .iter()
        .map(|l| wire(l))
        .collect();
        for pair in names.windows(2) {
            assert_eq!(canonical(&pair[0], &pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(canonical(&wire(&["A"]), &wire(&["a"])), Ordering::Equal);
    }
}
