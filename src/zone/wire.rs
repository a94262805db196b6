//! Name maps that can be searched with a name straight from the wire.
//!
//! Zones key their maps by hickory [`Name`]. Building a `Name` for every query (and one
//! more for each ancestor tried) costs more than the rest of a fast answer, so the maps use
//! [`NameHasher`], whose hash of a `Name` depends only on its lowercased label bytes, and a
//! query looks itself up as a [`WireName`]: a slice of the lowercased question, hashed the
//! same way and compared label by label ([`hashbrown::Equivalent`]).
//!
//! The hasher relies on how `Name` hashes itself (hickory-proto, pinned): `write_u8` of
//! `is_fqdn`, the label ends as a slice (`write_usize` + `write`), then `write_u8` per
//! lowercased byte. It folds `write_u8` only and ignores the rest; the unit tests check that
//! both sides agree.

use hickory_proto::rr::Name;
use std::hash::{BuildHasher, Hash, Hasher};

/// A map keyed by domain name, searchable by [`WireName`].
pub type NameMap<V> = hashbrown::HashMap<Name, V, BuildNameHasher>;
/// A set of domain names, searchable by [`WireName`].
pub type NameSet = hashbrown::HashSet<Name, BuildNameHasher>;

/// Builds [`NameHasher`]s. Zone keys come from zone files and transfers, not from queries,
/// so a fixed hash function is safe from flooding: a query only looks up.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildNameHasher;

impl BuildHasher for BuildNameHasher {
    type Hasher = NameHasher;
    fn build_hasher(&self) -> NameHasher {
        NameHasher(0)
    }
}

/// FxHash-style folding of single bytes; other writes are ignored (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct NameHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        // Spread the low bits, which hashbrown uses to pick a bucket.
        self.0.rotate_left(26)
    }
    fn write(&mut self, _: &[u8]) {}
    fn write_usize(&mut self, _: usize) {}
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
    }
}

/// An absolute name in wire form, already lowercased, from a label boundary to the root.
#[derive(Debug, Clone, Copy)]
pub struct WireName<'a>(pub &'a [u8]);

impl WireName<'_> {
    fn labels(&self) -> impl Iterator<Item = &[u8]> {
        let b = self.0;
        let mut i = 0;
        std::iter::from_fn(move || {
            let len = *b.get(i)? as usize;
            if len == 0 {
                return None;
            }
            let label = b.get(i + 1..i + 1 + len)?;
            i += 1 + len;
            Some(label)
        })
    }
}

impl Hash for WireName<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(1); // is_fqdn
        for label in self.labels() {
            for &b in label {
                state.write_u8(b);
            }
        }
    }
}

impl hashbrown::Equivalent<Name> for WireName<'_> {
    fn equivalent(&self, name: &Name) -> bool {
        if !name.is_fqdn() {
            return false;
        }
        let mut ours = self.labels();
        for label in name.iter() {
            match ours.next() {
                Some(l) if l.eq_ignore_ascii_case(label) => {}
                _ => return false,
            }
        }
        ours.next().is_none()
    }
}

/// A question name, lowercased, with the offset of each label.
pub struct Lowered {
    buf: [u8; 255],
    len: usize,
    starts: [u8; 128],
    count: usize,
}

impl Lowered {
    /// Lowercases a wire name that [`crate::dns::request`] has checked (uncompressed, at
    /// most 255 bytes, terminal zero included).
    pub fn new(wire: &[u8]) -> Option<Lowered> {
        let mut l = Lowered {
            buf: [0; 255],
            len: wire.len(),
            starts: [0; 128],
            count: 0,
        };
        if wire.len() > 255 {
            return None;
        }
        for (d, s) in l.buf.iter_mut().zip(wire) {
            *d = s.to_ascii_lowercase();
        }
        // Length bytes are at most 63, below 'A', so lowercasing left them alone.
        let mut i = 0;
        while *wire.get(i)? != 0 {
            *l.starts.get_mut(l.count)? = i as u8;
            l.count += 1;
            i += 1 + wire[i] as usize;
        }
        Some(l)
    }

    /// The wire form of `name`, lowercased (`None` for a name too long for the wire).
    pub fn from_name(name: &Name) -> Option<Lowered> {
        let mut l = Lowered {
            buf: [0; 255],
            len: 0,
            starts: [0; 128],
            count: 0,
        };
        for label in name.iter() {
            let end = l.len + 1 + label.len();
            if end >= 255 || l.count >= 128 {
                return None;
            }
            *l.starts.get_mut(l.count)? = l.len as u8;
            l.count += 1;
            l.buf[l.len] = label.len() as u8;
            for (d, s) in l.buf[l.len + 1..end].iter_mut().zip(label) {
                *d = s.to_ascii_lowercase();
            }
            l.len = end;
        }
        l.buf[l.len] = 0;
        l.len += 1;
        Some(l)
    }

    /// The number of labels (the root has none).
    pub fn labels(&self) -> usize {
        self.count
    }

    /// The name without its first `skip` labels.
    pub fn suffix(&self, skip: usize) -> WireName<'_> {
        let from = if skip >= self.count {
            self.len - 1
        } else {
            self.starts[skip] as usize
        };
        WireName(&self.buf[from..self.len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::serialize::binary::BinEncodable;

    fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
        BuildNameHasher.hash_one(t)
    }

    #[test]
    fn wire_names_hash_and_compare_like_names() {
        for text in [
            "www.Example.TEST.",
            "example.test.",
            ".",
            "*.w.example.test.",
            "a.b.c.d.",
        ] {
            let name = Name::from_ascii(text).unwrap();
            let wire = name.to_bytes().unwrap();
            let low = Lowered::new(&wire).unwrap();
            assert_eq!(low.labels(), name.iter().count(), "{text}");
            let w = low.suffix(0);
            let from_name = Lowered::from_name(&name).unwrap();
            assert_eq!(from_name.suffix(0).0, w.0, "{text}");
            assert_eq!(from_name.labels(), low.labels(), "{text}");
            assert_eq!(hash_of(&w), hash_of(&name), "{text}");
            assert!(hashbrown::Equivalent::equivalent(&w, &name), "{text}");
            assert!(
                hashbrown::Equivalent::equivalent(&w, &name.to_lowercase()),
                "{text}"
            );
            for skip in 0..=low.labels() {
                let parent = name.trim_to(name.iter().count() - skip);
                assert_eq!(
                    hash_of(&low.suffix(skip)),
                    hash_of(&parent),
                    "{text} -{skip}"
                );
                assert!(hashbrown::Equivalent::equivalent(
                    &low.suffix(skip),
                    &parent
                ));
            }
        }
        let a = Lowered::new(b"\x03www\x07example\x04test\x00").unwrap();
        let other = Name::from_ascii("www.example.net.").unwrap();
        assert!(!hashbrown::Equivalent::equivalent(&a.suffix(0), &other));
        let shorter = Name::from_ascii("example.test.").unwrap();
        assert!(!hashbrown::Equivalent::equivalent(&a.suffix(0), &shorter));
    }

    #[test]
    fn maps_find_names_from_the_wire() {
        let mut m: NameMap<u32> = NameMap::default();
        m.insert(Name::from_ascii("Host.example.test.").unwrap(), 1);
        m.insert(Name::from_ascii("example.test.").unwrap(), 2);
        let q = Lowered::new(b"\x04HOST\x07example\x04test\x00").unwrap();
        assert_eq!(m.get(&q.suffix(0)), Some(&1));
        assert_eq!(m.get(&q.suffix(1)), Some(&2));
        assert_eq!(m.get(&q.suffix(2)), None);
        assert_eq!(
            m.get(&Name::from_ascii("host.EXAMPLE.test.").unwrap()),
            Some(&1)
        );
    }
}
