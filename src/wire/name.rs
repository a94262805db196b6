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

use super::namebuf::NameBuf;

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

/// The table's hash, from the 32 bits a table keeps per entry: both ends of the 64-bit
/// value are used by hashbrown (low bits pick the bucket, high bits the control byte).
pub fn spread(h32: u32) -> u64 {
    u64::from(h32) | (u64::from(h32) << 32)
}

/// FxHash-style folding of a lowercased wire name, eight bytes at a time. Zone data comes
/// from zone files, transfers and configuration, not from queries, so a fixed function is
/// safe from flooding: a query only looks up.
pub fn hash(wire: &[u8]) -> u32 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = wire.len() as u64;
    let mut chunks = wire.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        h = (h.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
    // The tail byte by byte: a copy of a variable length would be a call to memcpy.
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let word = tail
            .iter()
            .rev()
            .fold(0u64, |w, &b| (w << 8) | u64::from(b));
        h = (h.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
    (h >> 32) as u32
}

/// A small map keyed by lowercased wire names, compared as bytes: cheaper to search with
/// a question name than a [`NameMap`], whose keys compare label by label.
#[derive(Debug, Clone)]
pub struct WireMap<V> {
    table: hashbrown::HashTable<(Box<[u8]>, u32, V)>,
}

impl<V> Default for WireMap<V> {
    fn default() -> Self {
        WireMap {
            table: hashbrown::HashTable::new(),
        }
    }
}

impl<V> WireMap<V> {
    /// Adds `name` (`None` for a name too long for the wire) or replaces its value.
    pub fn insert(&mut self, name: &Name, value: V) {
        let Some(low) = Lowered::from_name(name) else {
            return;
        };
        let key = low.suffix(0).0;
        let h = hash(key);
        match self
            .table
            .find_mut(spread(h), |(k, kh, _)| *kh == h && **k == *key)
        {
            Some(slot) => slot.2 = value,
            None => {
                let entry = (Box::from(key), h, value);
                self.table
                    .insert_unique(spread(h), entry, |(_, h, _)| spread(*h));
            }
        }
    }

    pub fn get(&self, name: WireName) -> Option<&V> {
        let h = hash(name.0);
        self.table
            .find(spread(h), |(k, kh, _)| *kh == h && **k == *name.0)
            .map(|(_, _, v)| v)
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
    /// Lowercases a wire name that [`crate::wire::request`] has checked (uncompressed, at
    /// most 255 bytes, terminal zero included).
    pub fn new(wire: &[u8]) -> Option<Lowered> {
        let mut l = Lowered::empty();
        l.set(wire).then_some(l)
    }

    /// No name yet; [`Lowered::set`] gives it one.
    pub fn empty() -> Lowered {
        Lowered {
            buf: [0; 255],
            len: 0,
            starts: [0; 128],
            count: 0,
        }
    }

    /// Makes this the lowercased `wire` (see [`Lowered::new`]), in place: the fast path
    /// keeps it on its stack rather than moving 400 bytes out of a constructor. False for
    /// a name too long.
    pub fn set(&mut self, wire: &[u8]) -> bool {
        if wire.len() > 255 {
            return false;
        }
        self.len = wire.len();
        self.count = 0;
        for (d, s) in self.buf.iter_mut().zip(wire) {
            *d = s.to_ascii_lowercase();
        }
        // Length bytes are at most 63, below 'A', so lowercasing left them alone.
        let mut i = 0;
        loop {
            match wire.get(i) {
                Some(0) => return true,
                Some(&len) if self.count < self.starts.len() => {
                    self.starts[self.count] = i as u8;
                    self.count += 1;
                    i += 1 + len as usize;
                }
                _ => return false,
            }
        }
    }

    /// The wire form of `name`, lowercased (`None` for a name too long for the wire).
    pub fn from_name(name: &Name) -> Option<Lowered> {
        Lowered::new(NameBuf::from_name(name).ok()?.wire())
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
    fn wire_maps_find_names_however_spelled() {
        let mut m: WireMap<u32> = WireMap::default();
        m.insert(&Name::from_ascii("Host.example.test.").unwrap(), 1);
        m.insert(&Name::from_ascii("example.TEST.").unwrap(), 2);
        m.insert(&Name::from_ascii("example.test.").unwrap(), 3);
        let q = Lowered::new(b"\x04HOST\x07example\x04test\x00").unwrap();
        assert_eq!(m.get(q.suffix(0)), Some(&1));
        assert_eq!(m.get(q.suffix(1)), Some(&3), "replaced, not added");
        assert_eq!(m.get(q.suffix(2)), None);
        assert_ne!(hash(q.suffix(0).0), hash(q.suffix(1).0));
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
