//! The nodes of a zone: names and their RRsets in one vector, found through a small
//! index.
//!
//! A hash map of `Name → Node` keeps every entry in its table, and a table is sized to a
//! power of two at most 7/8 full: for a million names that is two million 112-byte slots,
//! mostly empty. Here the table holds only an 8-byte (position, hash) pair per slot and the
//! entries sit densely in insertion order, which halves the memory of a large zone and makes
//! a full pass (transfers, plans) a sequential read. Lookups take a [`Name`] or a
//! [`WireName`](super::wire::WireName) from the question, as [`NameMap`] does.

use hashbrown::{Equivalent, HashTable};
use hickory_proto::rr::Name;
use std::hash::{BuildHasher, Hash};

use super::Node;
use super::wire::BuildNameHasher;

/// Names and their nodes, searchable by name.
#[derive(Debug, Clone, Default)]
pub struct Nodes {
    /// (position in `entries`, 32-bit hash) per name.
    index: HashTable<(u32, u32)>,
    entries: Vec<(Name, Node)>,
}

/// The table's hash, from the 32 bits kept in each slot: both ends of the 64-bit value are
/// used by hashbrown (low bits pick the bucket, high bits the control byte).
fn spread(h32: u32) -> u64 {
    u64::from(h32) | (u64::from(h32) << 32)
}

fn hash32<Q: Hash + ?Sized>(q: &Q) -> u32 {
    BuildNameHasher.hash_one(q) as u32
}

impl Nodes {
    fn find<Q: Hash + Equivalent<Name> + ?Sized>(&self, q: &Q) -> Option<usize> {
        self.find_hashed(q, hash32(q))
    }

    fn find_hashed<Q: Hash + Equivalent<Name> + ?Sized>(&self, q: &Q, h: u32) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(spread(h), |&(i, eh)| {
                eh == h && q.equivalent(&entries[i as usize].0)
            })
            .map(|&(i, _)| i as usize)
    }

    pub fn get<Q: Hash + Equivalent<Name> + ?Sized>(&self, q: &Q) -> Option<&Node> {
        self.find(q).map(|i| &self.entries[i].1)
    }

    pub fn get_key_value<Q: Hash + Equivalent<Name> + ?Sized>(
        &self,
        q: &Q,
    ) -> Option<(&Name, &Node)> {
        self.find(q).map(|i| {
            let (k, v) = &self.entries[i];
            (k, v)
        })
    }

    pub fn get_mut<Q: Hash + Equivalent<Name> + ?Sized>(&mut self, q: &Q) -> Option<&mut Node> {
        self.find(q).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q: Hash + Equivalent<Name> + ?Sized>(&self, q: &Q) -> bool {
        self.find(q).is_some()
    }

    /// The node of `name`, added empty if it is not there yet.
    pub fn get_or_default(&mut self, name: Name) -> &mut Node {
        let h = hash32(&name);
        let i = match self.find_hashed(&name, h) {
            Some(i) => i,
            None => {
                let i = self.entries.len();
                self.entries.push((name, Node::default()));
                self.index
                    .insert_unique(spread(h), (i as u32, h), |&(_, h)| spread(h));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Frees the spare capacity left by growth, once the zone is complete.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        self.index.shrink_to_fit(|&(_, h)| spread(h));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every name and node, in the order the names were first seen.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Node)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Name, &mut Node)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Name> {
        self.entries.iter().map(|(k, _)| k)
    }
}

impl std::ops::Index<&Name> for Nodes {
    type Output = Node;
    fn index(&self, name: &Name) -> &Node {
        self.get(name).expect("a name of this zone")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::wire::Lowered;

    #[test]
    fn finds_names_however_they_are_spelled() {
        let mut n = Nodes::default();
        let names: Vec<Name> = (0..5000)
            .map(|i| Name::from_ascii(format!("H{i}.Example.test.")).unwrap())
            .collect();
        for name in &names {
            n.get_or_default(name.clone()).cut = true;
        }
        n.get_or_default(names[7].clone()).below_cut = true;
        n.shrink_to_fit();
        assert_eq!(n.len(), 5000, "adding a name twice keeps one node");
        assert!(n.get(&names[7]).unwrap().below_cut);
        let wire = Lowered::new(b"\x02h7\x07EXAMPLE\x04test\x00").unwrap();
        let (k, v) = n.get_key_value(&wire.suffix(0)).unwrap();
        assert_eq!(k.to_ascii(), "H7.Example.test.", "the stored spelling");
        assert!(v.below_cut);
        assert!(!n.contains_key(&wire.suffix(1)));
        assert!(
            n.get(&Name::from_ascii("h5000.example.test.").unwrap())
                .is_none()
        );
        assert_eq!(n.keys().next(), Some(&names[0]), "insertion order");
        assert!(n.iter().all(|(_, v)| v.cut));
    }
}
