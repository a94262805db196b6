//! The nodes of a zone, stored flat: names in one byte arena, RRsets in one vector, and a
//! small index to find them.
//!
//! A map of hickory `Name` → node spends about 260 bytes on a name with one address: an
//! 80-byte `Name`, a vector of RRsets on the heap, a vector of records on the heap, and a
//! table slot. Here a name is its labels above the zone's name in wire form (9 bytes for
//! `h123456`), a node is a 12-byte [`Entry`] pointing into one vector of RRsets, and the
//! table holds a 4-byte position per slot. A full pass (transfers, plans) is a sequential
//! read.
//!
//! Lookups take the lowercased wire form of the whole name ([`WireName`]), as the fast
//! path has it from the question; a [`Name`] is turned into one on the stack first.

use hashbrown::HashTable;
use hickory_proto::rr::{Name, RecordType};
use std::collections::HashSet;

use super::RRset;
use crate::wire::name::{Lowered, WireName, hash, spread};
use crate::wire::namebuf::{NameBuf, name_of};

/// One name: where its labels and its RRsets are.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Offset in `names` of a length byte and the labels above the zone's name.
    name: u32,
    /// The node's RRsets: `rrsets[first..first + count]`.
    first: u32,
    count: u16,
    cut: bool,
    below_cut: bool,
}

/// Names and their nodes, searchable by name.
#[derive(Debug)]
pub struct Nodes {
    origin: Name,
    /// The zone's name in wire form, lowercased: the end of every name here.
    origin_wire: Box<[u8]>,
    /// Position in `entries` per name. The hash is not kept in the slot: a 4-byte slot
    /// instead of 8 saves 8 MB on a million names (the table has 2^21 slots there), and a
    /// lookup is told apart by the control byte's 7 hash bits and then the name itself.
    index: HashTable<u32>,
    /// The hash of each entry's lowercased wire name while the zone is being built, for
    /// the table to grow by; freed once it is complete ([`Nodes::shrink_to_fit`]).
    hashes: Vec<u32>,
    /// Per name, a length byte and its labels above the zone's name, as written.
    names: Vec<u8>,
    entries: Vec<Entry>,
    rrsets: Vec<RRset>,
}

/// The RRsets of one owner name (none for an empty non-terminal) and where it stands.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    pub rrsets: &'a [RRset],
    /// True for a delegation point: NS records below the apex (RFC 1034 §4.2.1).
    pub cut: bool,
    /// True below a delegation point (glue and occluded names): answered by referral.
    pub below_cut: bool,
}

impl<'a> Node<'a> {
    pub fn get(&self, t: RecordType) -> Option<&'a RRset> {
        self.rrsets.iter().find(|r| r.rtype == t)
    }
}

/// The owner name of a node, as stored: its labels above the zone's name.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    labels: &'a [u8],
    origin: &'a Name,
    origin_wire: &'a [u8],
}

impl<'a> Owner<'a> {
    /// The name as written in the zone (the zone's own labels as the zone is named).
    pub fn to_name(self) -> Name {
        let ours = labels_of(self.labels);
        name_of(ours.chain(self.origin.iter())).expect("stored names were valid names when added")
    }

    /// The labels above the zone's name in wire form, spelt as written.
    pub fn labels_as_written(&self) -> &'a [u8] {
        self.labels
    }

    /// The name in wire form, lowercased.
    pub fn lowered(&self) -> Lowered {
        let mut wire = [0u8; 255];
        let len = self.labels.len() + self.origin_wire.len();
        wire[..self.labels.len()].copy_from_slice(self.labels);
        wire[self.labels.len()..len].copy_from_slice(self.origin_wire);
        Lowered::new(&wire[..len]).expect("stored names fit the wire")
    }
}

/// The labels of a wire name without its terminal zero.
fn labels_of(wire: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let len = *wire.get(i)? as usize;
        let label = wire.get(i + 1..i + 1 + len)?;
        i += 1 + len;
        Some(label).filter(|l| !l.is_empty())
    })
}

/// Whether a label starts at `at` of the wire name `wire` (walked from its start).
fn starts_label(wire: &[u8], at: usize) -> bool {
    let mut i = 0;
    while i < at {
        i += 1 + usize::from(wire[i]);
    }
    i == at
}

impl Nodes {
    /// No names yet, for a zone named `origin`.
    pub fn new(origin: &Name) -> Nodes {
        let origin_wire = Lowered::from_name(origin)
            .map_or_else(|| Box::from(&[0u8][..]), |l| Box::from(l.suffix(0).0));
        Nodes {
            origin: origin.clone(),
            origin_wire,
            index: HashTable::new(),
            hashes: Vec::new(),
            names: Vec::new(),
            entries: Vec::new(),
            rrsets: Vec::new(),
        }
    }

    /// The same names and records, every RRset a fresh copy ([`RRset::fresh_copy`]).
    pub fn fresh_copy(&self) -> Nodes {
        Nodes {
            origin: self.origin.clone(),
            origin_wire: self.origin_wire.clone(),
            index: self.index.clone(),
            hashes: self.hashes.clone(),
            names: self.names.clone(),
            entries: self.entries.clone(),
            rrsets: self.rrsets.iter().map(RRset::fresh_copy).collect(),
        }
    }

    /// The stored labels of entry `i`, with their length byte in front.
    fn stored(&self, i: usize) -> &[u8] {
        let at = self.entries[i].name as usize;
        let len = self.names[at] as usize;
        &self.names[at + 1..at + 1 + len]
    }

    fn owner(&self, i: usize) -> Owner<'_> {
        Owner {
            labels: self.stored(i),
            origin: &self.origin,
            origin_wire: &self.origin_wire,
        }
    }

    fn node(&self, i: usize) -> Node<'_> {
        let e = &self.entries[i];
        let first = e.first as usize;
        Node {
            rrsets: self
                .rrsets
                .get(first..first + usize::from(e.count))
                .unwrap_or_default(),
            cut: e.cut,
            below_cut: e.below_cut,
        }
    }

    fn find(&self, wire: &[u8]) -> Option<usize> {
        self.find_hashed(wire, hash(wire))
    }

    fn find_hashed(&self, wire: &[u8], h: u32) -> Option<usize> {
        let tail = self.origin_wire.len();
        let ours = wire.len().checked_sub(tail)?;
        if wire[ours..] != *self.origin_wire {
            return None;
        }
        self.index
            .find(spread(h), |&i| {
                // Most names are written in lower case: a plain compare first.
                let stored = self.stored(i as usize);
                stored == &wire[..ours] || stored.eq_ignore_ascii_case(&wire[..ours])
            })
            .map(|&i| i as usize)
    }

    /// The node of a name given as a lowercased wire name.
    pub fn get_wire(&self, name: WireName) -> Option<Node<'_>> {
        self.find(name.0).map(|i| self.node(i))
    }

    /// The node of `name`, however it is spelled.
    pub fn get(&self, name: &Name) -> Option<Node<'_>> {
        self.get_wire(Lowered::from_name(name)?.suffix(0))
    }

    /// The stored owner name and node of a lowercased wire name.
    pub fn entry_wire(&self, name: WireName) -> Option<(Owner<'_>, Node<'_>)> {
        self.find(name.0).map(|i| (self.owner(i), self.node(i)))
    }

    pub fn contains_wire(&self, name: WireName) -> bool {
        self.find(name.0).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Name and node number `i` (in the order the names were first seen), for a walk
    /// that must hold no borrow between steps (a streamed transfer).
    pub fn at(&self, i: usize) -> Option<(Owner<'_>, Node<'_>)> {
        (i < self.entries.len()).then(|| (self.owner(i), self.node(i)))
    }

    /// Every name and node, in the order the names were first seen.
    pub fn iter(&self) -> impl Iterator<Item = (Owner<'_>, Node<'_>)> {
        (0..self.entries.len()).map(|i| (self.owner(i), self.node(i)))
    }

    /// Every name with its RRsets, to change their plans.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Owner<'_>, &mut [RRset])> {
        let (names, origin, origin_wire) = (&self.names, &self.origin, &self.origin_wire[..]);
        let mut rest = &mut self.rrsets[..];
        self.entries.iter().map(move |e| {
            // RRsets are stored in entry order (see `fill`).
            let (now, later) = std::mem::take(&mut rest).split_at_mut(usize::from(e.count));
            rest = later;
            let at = e.name as usize;
            let labels = &names[at + 1..at + 1 + names[at] as usize];
            let owner = Owner {
                labels,
                origin,
                origin_wire,
            };
            (owner, now)
        })
    }

    // Building, for [`super::Builder`].

    /// The position of `name`'s entry, added without RRsets if it is new; `None` for a
    /// name outside the zone.
    pub(super) fn intern(&mut self, name: &Name) -> Option<usize> {
        self.intern_written(NameBuf::from_name(name).ok()?.wire())
    }

    /// As [`Nodes::intern`], for a name in wire form as written (case kept).
    pub(super) fn intern_written(&mut self, wire: &[u8]) -> Option<usize> {
        let len = wire.len();
        // Inside the zone: the last labels are the zone's own (in any case, RFC 4343),
        // starting on a label boundary.
        let ours = len.checked_sub(self.origin_wire.len())?;
        let mut lowered = [0u8; 255];
        let lowered = lowered.get_mut(..len)?;
        lowered.copy_from_slice(wire);
        lowered.make_ascii_lowercase();
        if lowered[ours..] != *self.origin_wire || !starts_label(wire, ours) {
            return None;
        }
        Some(self.intern_wire(&wire[..ours], lowered))
    }

    /// The zone's name in wire form, lowercased.
    pub(super) fn origin_wire(&self) -> &[u8] {
        &self.origin_wire
    }

    /// As [`Nodes::intern`], with the labels as written and the lowercased whole name.
    fn intern_wire(&mut self, labels: &[u8], lowered: &[u8]) -> usize {
        let h = hash(lowered);
        if let Some(i) = self.find_hashed(lowered, h) {
            return i;
        }
        if self.hashes.len() < self.entries.len() {
            self.hashes = (0..self.entries.len()).map(|i| self.hash_of(i)).collect();
        }
        let i = self.entries.len();
        self.entries.push(Entry {
            name: self.names.len() as u32,
            first: 0,
            count: 0,
            cut: false,
            below_cut: false,
        });
        self.names.push(labels.len() as u8);
        self.names.extend_from_slice(labels);
        self.hashes.push(h);
        let hashes = &self.hashes;
        self.index
            .insert_unique(spread(h), i as u32, |&i| spread(hashes[i as usize]));
        i
    }

    /// The hash of entry `i`'s lowercased wire name, from its stored labels.
    fn hash_of(&self, i: usize) -> u32 {
        hash(self.owner(i).lowered().suffix(0).0)
    }

    /// Stores the RRsets of every entry: `counts[i]` of them, in entry order, are entry
    /// `i`'s.
    pub(super) fn fill(&mut self, rrsets: Vec<RRset>, counts: &[u16]) {
        let mut first = 0u32;
        for (e, &count) in self.entries.iter_mut().zip(counts) {
            (e.first, e.count) = (first, count);
            first += u32::from(count);
        }
        debug_assert_eq!(first as usize, rrsets.len());
        self.rrsets = rrsets;
    }

    /// Adds the empty non-terminals (RFC 4592 §2.2.2): every ancestor of an owner name, up
    /// to the apex, exists. Ancestors are looked up as wire suffixes. True when one of
    /// them is a wildcard (`a.*.example.`).
    pub(super) fn add_empty_non_terminals(&mut self) -> bool {
        let mut wildcard = false;
        // Entries added here are ancestors of earlier ones, so they need no pass of their own.
        for i in 0..self.entries.len() {
            let ours = labels_of(self.stored(i)).count();
            if ours < 2 {
                continue; // a child of the apex: its one ancestor is the apex
            }
            let low = self.owner(i).lowered();
            for up in 1..ours {
                let ancestor = low.suffix(up);
                if self.contains_wire(ancestor) {
                    break;
                }
                let stored = self.stored(i);
                let skip: usize = labels_of(stored).take(up).map(|l| 1 + l.len()).sum();
                let labels = stored[skip..].to_vec();
                wildcard |= labels.starts_with(b"\x01*");
                self.intern_wire(&labels, ancestor.0);
            }
        }
        let first = self.rrsets.len() as u32;
        for e in &mut self.entries {
            if e.count == 0 {
                e.first = first;
            }
        }
        wildcard
    }

    /// Marks the delegation points among `cuts` (names with NS records below the apex,
    /// lowercased wire) and every name below one (RFC 1034 §4.2.1).
    pub(super) fn mark_cuts(&mut self, cuts: &HashSet<Box<[u8]>>) {
        for cut in cuts {
            if let Some(i) = self.find(cut)
                && self.node(i).get(RecordType::NS).is_some()
            {
                self.entries[i].cut = true;
            }
        }
        if cuts.is_empty() {
            return;
        }
        for i in 0..self.entries.len() {
            let ours = labels_of(self.stored(i)).count();
            if ours < 2 {
                continue;
            }
            let low = self.owner(i).lowered();
            self.entries[i].below_cut = (1..ours).any(|up| cuts.contains(low.suffix(up).0));
        }
    }

    /// Frees the spare capacity left by growth and the build's hashes, once the zone is
    /// complete. (A name interned later has them computed again from the stored names.)
    pub(super) fn shrink_to_fit(&mut self) {
        self.names.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.rrsets.shrink_to_fit();
        let hashes = &self.hashes;
        self.index.shrink_to_fit(|&i| spread(hashes[i as usize]));
        self.hashes = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::compact::Data;

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn set(t: RecordType) -> RRset {
        RRset::new(t, 300, Data::new(vec![], vec![]))
    }

    #[test]
    fn finds_names_however_they_are_spelled() {
        let mut n = Nodes::new(&name("Example.test."));
        let names: Vec<Name> = (0..5000)
            .map(|i| name(&format!("H{i}.Example.test.")))
            .collect();
        for nm in &names {
            n.intern(nm).unwrap();
        }
        assert_eq!(
            n.intern(&names[7]),
            Some(7),
            "adding a name twice keeps one node"
        );
        assert_eq!(n.intern(&name("h1.example.net.")), None, "outside the zone");
        assert_eq!(n.intern(&name("test.")), None, "above the zone");
        // Ends in the zone's wire form, but inside a label: `x\007example.test.`.
        let inside = Name::from_labels([&b"x\x07example"[..], b"test"]).unwrap();
        assert_eq!(n.intern(&inside), None, "not under the zone");
        let mut counts = vec![0; 5000];
        counts[7] = 1;
        n.fill(vec![set(RecordType::TXT)], &counts);
        n.shrink_to_fit();
        assert_eq!(n.len(), 5000);
        let wire = Lowered::new(b"\x02h7\x07EXAMPLE\x04test\x00").unwrap();
        let (owner, node) = n.entry_wire(wire.suffix(0)).unwrap();
        assert_eq!(
            owner.to_name().to_ascii(),
            "H7.Example.test.",
            "the stored spelling"
        );
        assert_eq!(owner.lowered().suffix(0).0, wire.suffix(0).0);
        assert!(node.get(RecordType::TXT).is_some());
        assert!(n.get(&names[8]).unwrap().rrsets.is_empty());
        assert!(!n.contains_wire(wire.suffix(1)), "the apex was never added");
        assert!(n.get(&name("h5000.example.test.")).is_none());
        assert!(n.get(&name("h7.example.net.")).is_none());
        let first = n.iter().next().unwrap().0.to_name();
        assert_eq!(first, names[0], "insertion order");
        let counts: Vec<usize> = n.iter_mut().map(|(_, s)| s.len()).collect();
        assert_eq!(counts.iter().sum::<usize>(), 1);
        assert_eq!(counts[7], 1);
    }

    #[test]
    fn a_name_interned_after_the_build_finds_its_place() {
        // The build's hashes are freed at the end; a later name makes the table grow,
        // which needs every name's hash again.
        let mut n = Nodes::new(&name("example.test."));
        let names: Vec<Name> = (0..100)
            .map(|i| name(&format!("H{i}.example.test.")))
            .collect();
        for nm in &names {
            n.intern(nm).unwrap();
        }
        n.shrink_to_fit();
        for i in 100..3000 {
            assert_eq!(n.intern(&name(&format!("h{i}.Example.test."))), Some(i));
        }
        for (i, nm) in names.iter().enumerate() {
            assert_eq!(n.intern(nm), Some(i), "{nm} kept its entry");
        }
        assert_eq!(n.len(), 3000);
    }

    #[test]
    fn entries_and_rrsets_stay_small() {
        // The per-name budget the module docs and the README count on.
        assert_eq!(std::mem::size_of::<Entry>(), 12);
        assert!(std::mem::size_of::<RRset>() <= 48);
    }

    #[test]
    fn adds_ancestors_and_marks_cuts() {
        let mut n = Nodes::new(&name("example.test."));
        for s in [
            "example.test.",
            "a.B.*.c.example.test.",
            "x.sub.example.test.",
            "sub.example.test.",
        ] {
            n.intern(&name(s)).unwrap();
        }
        n.fill(vec![set(RecordType::NS)], &[0, 0, 0, 1]);
        assert!(n.add_empty_non_terminals(), "*.c is a wildcard");
        for s in [
            "b.*.c.example.test.",
            "*.c.example.test.",
            "c.example.test.",
        ] {
            let node = n.get(&name(s)).unwrap_or_else(|| panic!("{s}"));
            assert!(node.rrsets.is_empty());
        }
        assert_eq!(n.len(), 7);
        let cut = Lowered::from_name(&name("sub.example.test.")).unwrap();
        let cuts = [Box::from(cut.suffix(0).0)].into_iter().collect();
        n.mark_cuts(&cuts);
        assert!(n.get(&name("SUB.example.test.")).unwrap().cut);
        assert!(n.get(&name("x.sub.example.test.")).unwrap().below_cut);
        assert!(!n.get(&name("c.example.test.")).unwrap().below_cut);
        assert!(!n.get(&name("example.test.")).unwrap().cut);
    }
}
