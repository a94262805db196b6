//! Proofs of non-existence for signed answers: which NSEC or NSEC3 records (with their
//! signatures) go in AUTHORITY for each kind of answer (RFC 4035 §3.1.3, RFC 5155 §7.2).
//!
//! | answer | NSEC (RFC 4035) | NSEC3 (RFC 5155) |
//! |---|---|---|
//! | NXDOMAIN | covers the name; covers `*.encloser` | encloser proof; covers `*.encloser` (§7.2.2) |
//! | NODATA | owned by the name (covers an empty non-terminal) | matches the name (§7.2.3), else an opt-out encloser proof (§7.2.4) |
//! | wildcard answer | covers the name | covers the next closer name (§7.2.6) |
//! | wildcard NODATA | covers the name; owned by the wildcard | encloser proof; matches the wildcard (§7.2.5) |
//! | referral without DS | owned by the cut | matches the cut, else an opt-out encloser proof (§7.2.7) |
//!
//! The closest encloser proof (§7.2.1) is the NSEC3 matching the closest provable
//! encloser and the one covering the next closer name; under opt-out the closest
//! provable encloser may lie above the closest encloser, and the validator then treats
//! the name as insecure, as RFC 5155 §6 intends.

use hickory_proto::rr::{Name, RecordType};

use super::lookup::Piece;
use super::signed::{Link, Signed, signatures};
use super::{Zone, labels};

/// Adds proofs to a section for one zone's signed answers.
pub struct Prover<'z> {
    zone: &'z Zone,
    signed: &'z Signed,
}

impl<'z> Prover<'z> {
    /// A prover for `zone`, when it is signed.
    pub fn new(zone: &'z Zone) -> Option<Prover<'z>> {
        let signed = zone.signed.as_deref()?;
        Some(Prover { zone, signed })
    }

    /// NXDOMAIN: `name` does not exist, and `encloser` is its closest encloser.
    pub fn nxdomain(&self, name: &Name, encloser: &Name, out: &mut Vec<Piece<'z>>) {
        let star = encloser.prepend_label("*").ok();
        if self.signed.is_nsec3() {
            self.encloser_proof(name, out);
            if let Some(star) = &star {
                self.link(self.signed.nsec3(&self.zone.nodes, star), out);
            }
        } else {
            self.link(self.nsec(name), out);
            if let Some(star) = &star {
                self.link(self.nsec(star), out);
            }
        }
    }

    /// NODATA: `name` exists (a node of the zone, maybe an empty non-terminal or a
    /// delegation point) without the type asked for.
    pub fn nodata(&self, name: &Name, out: &mut Vec<Piece<'z>>) {
        if !self.signed.is_nsec3() {
            return self.link(self.nsec(name), out);
        }
        match self.signed.nsec3(&self.zone.nodes, name) {
            Some(l) if l.matches => self.link(Some(l), out),
            // No NSEC3 for the name: an insecure delegation (or what lies on the way to
            // one) in an opt-out span.
            _ => self.encloser_proof(name, out),
        }
    }

    /// An answer synthesised from the wildcard `*.encloser`: proof that `name` itself
    /// does not exist.
    pub fn wildcard_answer(&self, name: &Name, encloser: &Name, out: &mut Vec<Piece<'z>>) {
        if self.signed.is_nsec3() {
            let next = next_closer(name, encloser);
            self.link(self.signed.nsec3(&self.zone.nodes, &next), out);
        } else {
            self.link(self.nsec(name), out);
        }
    }

    /// NODATA from the wildcard `*.encloser`: `name` does not exist and the wildcard
    /// has no data of the type.
    pub fn wildcard_nodata(&self, name: &Name, encloser: &Name, out: &mut Vec<Piece<'z>>) {
        let star = encloser.prepend_label("*").ok();
        if self.signed.is_nsec3() {
            self.encloser_proof(name, out);
            if let Some(star) = &star {
                self.link(self.signed.nsec3(&self.zone.nodes, star), out);
            }
        } else {
            self.link(self.nsec(name), out);
            if let Some(star) = &star {
                self.link(self.nsec(star), out);
            }
        }
    }

    /// The closest encloser proof of RFC 5155 §7.2.1 for a name without an NSEC3 of its
    /// own: the NSEC3 of its nearest ancestor that has one, and the NSEC3 covering the
    /// next closer name below that ancestor.
    fn encloser_proof(&self, name: &Name, out: &mut Vec<Piece<'z>>) {
        let nodes = &self.zone.nodes;
        let (mut child, mut ancestor) = (name.clone(), name.base_name());
        while labels(&ancestor) >= labels(&self.zone.origin) {
            if let Some(l) = self.signed.nsec3(nodes, &ancestor).filter(|l| l.matches) {
                self.link(Some(l), out);
                self.link(self.signed.nsec3(nodes, &child), out);
                return;
            }
            child = ancestor.clone();
            ancestor = ancestor.base_name();
        }
    }

    fn nsec(&self, name: &Name) -> Option<Link<'z>> {
        let zone = self.zone;
        self.signed.nsec(&zone.nodes, &zone.origin, name)
    }

    /// Adds a link's NSEC or NSEC3 set and its signatures, once.
    fn link(&self, link: Option<Link<'z>>, out: &mut Vec<Piece<'z>>) {
        let Some(l) = link else { return };
        let t = match l.node.get(RecordType::NSEC3) {
            Some(_) if self.signed.is_nsec3() => RecordType::NSEC3,
            _ => RecordType::NSEC,
        };
        let Some(set) = l.node.get(t) else { return };
        if out
            .iter()
            .any(|p| std::ptr::eq(&*p.rrset, set) && p.owner == l.owner)
        {
            return;
        }
        out.push(Piece {
            owner: l.owner.clone(),
            rrset: set.into(),
        });
        if let Some(sigs) = signatures(&l.node, t) {
            out.push(Piece {
                owner: l.owner,
                rrset: sigs.into(),
            });
        }
    }
}

/// The next closer name (RFC 5155 §1.3): the ancestor of `name` one label longer than
/// its closest encloser `encloser`.
fn next_closer(name: &Name, encloser: &Name) -> Name {
    let n = labels(encloser) + 1;
    if labels(name) <= n {
        name.clone()
    } else {
        name.trim_to(n)
    }
}
