//! Authoritative resolution inside one zone (RFC 1034 §4.3.2), as a pure function.
//!
//! The result names RRsets by reference; turning them into records (and balancing the
//! address sets) is the engine's job. Covered here: exact matches, CNAME chains inside
//! the zone, wildcards (RFC 4592), empty non-terminals, referrals with glue, DS at a
//! delegation answered by the parent (RFC 4035 §3.1.4.1), NXDOMAIN/NODATA with the SOA
//! (RFC 2308), and ANY (RFC 8482).

use hickory_proto::rr::{Name, RData, RecordType};
use std::ops::Deref;
use std::sync::Arc;

use super::denial::Prover;
use super::signed::signatures;
use super::{Node, RRset, Zone, dname, labels};

/// The most CNAMEs followed in one answer; guards against loops.
const MAX_CHAIN: usize = 8;

/// One RRset to put in a section, with the owner name to write.
#[derive(Debug, Clone)]
pub struct Piece<'z> {
    pub owner: Name,
    pub rrset: SetRef<'z>,
}

/// An RRset of the zone, or one made for this answer (a CNAME synthesised from a DNAME).
#[derive(Debug, Clone)]
pub enum SetRef<'z> {
    Zone(&'z RRset),
    Made(Arc<RRset>),
}

impl Deref for SetRef<'_> {
    type Target = RRset;
    fn deref(&self) -> &RRset {
        match self {
            SetRef::Zone(s) => s,
            SetRef::Made(s) => s,
        }
    }
}

impl<'z> From<&'z RRset> for SetRef<'z> {
    fn from(s: &'z RRset) -> Self {
        SetRef::Zone(s)
    }
}

/// What the zone says about a question.
#[derive(Debug, Clone, PartialEq, Eq, Copy)]
pub enum Kind {
    /// The name exists (NOERROR), with or without data of the type.
    Found,
    /// NXDOMAIN: the (last) name does not exist.
    NxDomain,
    /// A referral to a child zone: not authoritative (AA=0).
    Referral,
    /// YXDOMAIN: a DNAME would make a name longer than 255 octets (RFC 6672 §2.2).
    YxDomain,
}

/// The sections of an answer.
#[derive(Debug, Clone)]
pub struct Resolution<'z> {
    pub kind: Kind,
    pub answer: Vec<Piece<'z>>,
    pub authority: Vec<Piece<'z>>,
    pub additional: Vec<Piece<'z>>,
    /// True when AUTHORITY holds the zone's SOA as a negative answer (NXDOMAIN/NODATA).
    pub negative: bool,
}

enum Found<'z> {
    /// The name exists, or a wildcard synthesises it: then `wild` is the closest
    /// encloser, whose `*` child is the node (RFC 4592 §3.3.1).
    Node(Node<'z>, Option<Name>),
    /// The name does not exist; its closest encloser is this.
    NxDomain(Name),
    Referral(Name, Node<'z>),
    /// A DNAME at this ancestor of the name redirects it (RFC 6672 §3.2).
    Dname(Name, Node<'z>, &'z RRset),
}

/// Resolves `qname`/`qtype` in `zone`. `any_all` chooses whether an ANY query gets every
/// RRset (TCP) or one (RFC 8482 §4.2, over UDP). With `dnssec` (the query's DO bit) a
/// signed zone's answer carries the RRSIGs of every RRset it holds and the NSEC or NSEC3
/// records that prove what does not exist (RFC 4035 §3.1, RFC 5155 §7.2).
pub fn resolve<'z>(
    zone: &'z Zone,
    qname: &Name,
    qtype: RecordType,
    any_all: bool,
    dnssec: bool,
) -> Resolution<'z> {
    let mut res = Resolution {
        kind: Kind::Found,
        answer: Vec::new(),
        authority: Vec::new(),
        additional: Vec::new(),
        negative: false,
    };
    let prove = dnssec.then(|| Prover::new(zone)).flatten();
    let prove = prove.as_ref();
    let mut name = qname.clone();
    for _ in 0..=MAX_CHAIN {
        match find(zone, &name, qtype) {
            Found::NxDomain(encloser) => {
                res.kind = Kind::NxDomain;
                negative(zone, prove, &mut res);
                if let Some(p) = prove {
                    p.nxdomain(&name, &encloser, &mut res.authority);
                }
                return res;
            }
            Found::Referral(cut, node) => {
                referral(zone, prove, &cut, node, &mut res);
                return res;
            }
            Found::Dname(owner, node, set) => {
                let Some(next) = redirect(zone, prove, &name, owner, node, set, &mut res) else {
                    return res;
                };
                name = next;
            }
            Found::Node(node, wild) => {
                if qtype == RecordType::ANY {
                    any(node, &name, any_all, prove, &mut res);
                    return res;
                }
                if qtype == RecordType::RRSIG {
                    // Every signature at the name, a set per type covered ([`super::rrsig`]).
                    let sigs = node.rrsets.iter().filter(|s| s.rtype == RecordType::RRSIG);
                    let before = res.answer.len();
                    res.answer.extend(sigs.map(|s| Piece {
                        owner: name.clone(),
                        rrset: s.into(),
                    }));
                    if res.answer.len() > before {
                        return res;
                    }
                }
                // NSEC3 records are the denial chain's, never an answer (RFC 5155
                // §7.2.8): a name that owns one beside other data answers NODATA for
                // them, as NSD answers.
                let set = node.get(qtype).filter(|_| qtype != RecordType::NSEC3);
                if let Some(set) = set {
                    push(&mut res.answer, &name, set, &node, prove);
                    if let (Some(p), Some(encloser)) = (prove, &wild) {
                        p.wildcard_answer(&name, encloser, &mut res.authority);
                    }
                    additional_for(zone, prove, set, &mut res);
                    return res;
                }
                let Some(cname) = node.get(RecordType::CNAME) else {
                    negative(zone, prove, &mut res);
                    if let Some(p) = prove {
                        // A wildcard owner asked for by name proves NODATA as the
                        // wildcard answer would (as NSD proves it).
                        let literal = name.iter().next() == Some(b"*");
                        match &wild {
                            Some(encloser) => {
                                p.wildcard_nodata(&name, encloser, &mut res.authority)
                            }
                            None if literal => {
                                p.wildcard_nodata(&name, &name.base_name(), &mut res.authority)
                            }
                            None => p.nodata(&name, &mut res.authority),
                        }
                    }
                    return res;
                };
                // A loop: this CNAME was sent already ([`sent`]).
                if sent(&res, &name, cname) {
                    return res;
                }
                push(&mut res.answer, &name, cname, &node, prove);
                if let (Some(p), Some(encloser)) = (prove, &wild) {
                    p.wildcard_answer(&name, encloser, &mut res.authority);
                }
                let Some(RData::CNAME(target)) = cname.data.first().and_then(|d| d.other()) else {
                    return res;
                };
                // RFC 1034 §4.3.2 step 3a: restart at the target, but only inside this
                // zone; a resolver follows the rest.
                if !zone.origin.zone_of(&target.0) {
                    return res;
                }
                name = target.0.clone();
            }
        }
    }
    res
}

/// Puts `set` of `node` in a section under `owner`, followed by its signatures when the
/// answer is signed (RFC 4035 §3.1.1).
fn push<'z>(
    to: &mut Vec<Piece<'z>>,
    owner: &Name,
    set: &'z RRset,
    node: &Node<'z>,
    prove: Option<&Prover<'z>>,
) {
    to.push(Piece {
        owner: owner.clone(),
        rrset: set.into(),
    });
    if prove.is_some()
        && let Some(sigs) = signatures(node, set.rtype)
    {
        to.push(Piece {
            owner: owner.clone(),
            rrset: sigs.into(),
        });
    }
}

/// True when `set` was put in the answer for `owner` already: a loop, where each RR goes
/// out once, as NSD and Knot send it; the resolver sees the loop from the chain itself.
fn sent(res: &Resolution, owner: &Name, set: &RRset) -> bool {
    (res.answer.iter()).any(|p| std::ptr::eq(&*p.rrset, set) && p.owner == *owner)
}

/// Answers a name below a DNAME (RFC 6672 §3.2): the DNAME, then the CNAME synthesised
/// for `name`; the name to go on with when it is in this zone.
fn redirect<'z>(
    zone: &'z Zone,
    prove: Option<&Prover<'z>>,
    name: &Name,
    owner: Name,
    node: Node<'z>,
    set: &'z RRset,
    res: &mut Resolution<'z>,
) -> Option<Name> {
    if sent(res, &owner, set) {
        return None;
    }
    let target = dname::target(set)?;
    // The synthesised CNAME is not signed: a validator checks it against the signed
    // DNAME (RFC 6672 §5.3.1).
    push(&mut res.answer, &owner, set, &node, prove);
    let Some(new_name) = dname::substitute(name, &owner, &target) else {
        res.kind = Kind::YxDomain;
        return None;
    };
    res.answer.push(Piece {
        owner: name.clone(),
        rrset: SetRef::Made(dname::synthesised(new_name.clone(), set.ttl)),
    });
    zone.origin.zone_of(&new_name).then_some(new_name)
}

/// Walks down from the apex to `name` (RFC 1034 §4.3.2 step 3): a delegation or a DNAME
/// above the name ends the walk.
fn find<'z>(zone: &'z Zone, name: &Name, qtype: RecordType) -> Found<'z> {
    let apex = labels(&zone.origin);
    let total = labels(name);
    // From the apex itself: a DNAME there redirects the whole zone below it.
    for n in apex..=total {
        let anc = if n == total {
            name.clone()
        } else {
            name.trim_to(n)
        };
        match zone.nodes.get(&anc).filter(|node| !hashed_only(node)) {
            None => return wildcard(zone, name.trim_to(n - 1)),
            // A DS query for the cut itself is answered from the parent side (RFC 4035
            // §3.1.4.1); anything at or below a cut is a referral.
            Some(node) if node.cut && !(n == total && qtype == RecordType::DS) => {
                return Found::Referral(anc, node);
            }
            Some(node) if n < total => {
                if let Some(d) = node.get(RecordType::DNAME) {
                    return Found::Dname(anc, node, d);
                }
            }
            Some(_) => {}
        }
    }
    match zone.nodes.get(name).filter(|node| !hashed_only(node)) {
        Some(node) => Found::Node(node, None),
        None => Found::NxDomain(name.base_name()),
    }
}

/// An NSEC3 owner name (a node of NSEC3 records and their signatures only): answered as
/// if it did not exist (RFC 5155 §7.2.8), as NSD and Knot answer.
fn hashed_only(node: &Node) -> bool {
    node.rrsets.iter().any(|s| s.rtype == RecordType::NSEC3)
        && (node.rrsets.iter()).all(|s| matches!(s.rtype, RecordType::NSEC3 | RecordType::RRSIG))
}

/// RFC 4592 §3.3.1: the source of synthesis is the `*` child of the closest encloser.
fn wildcard<'z>(zone: &'z Zone, closest_encloser: Name) -> Found<'z> {
    let Ok(star) = closest_encloser.prepend_label("*") else {
        return Found::NxDomain(closest_encloser);
    };
    match zone.nodes.get(&star) {
        Some(node) => Found::Node(node, Some(closest_encloser)),
        None => Found::NxDomain(closest_encloser),
    }
}

fn negative<'z>(zone: &'z Zone, prove: Option<&Prover<'z>>, res: &mut Resolution<'z>) {
    let Some(apex) = zone.nodes.get(&zone.origin) else {
        return;
    };
    if let Some(soa) = apex.get(RecordType::SOA) {
        push(&mut res.authority, &zone.origin, soa, &apex, prove);
        res.negative = true;
    }
}

fn referral<'z>(
    zone: &'z Zone,
    prove: Option<&Prover<'z>>,
    cut: &Name,
    node: Node<'z>,
    res: &mut Resolution<'z>,
) {
    let Some(ns) = node.get(RecordType::NS) else {
        return;
    };
    if res.answer.is_empty() {
        res.kind = Kind::Referral;
    }
    // The NS RRset of a cut is the child's, not signed here (RFC 4035 §2.2).
    res.authority.push(Piece {
        owner: cut.clone(),
        rrset: ns.into(),
    });
    // A signed referral carries the DS RRset, or the proof that there is none (RFC 4035
    // §3.1.4; RFC 5155 §7.2.7).
    if let Some(p) = prove {
        match node.get(RecordType::DS) {
            Some(ds) => push(&mut res.authority, cut, ds, &node, prove),
            None => p.nodata(cut, &mut res.authority),
        }
    }
    additional_for(zone, prove, ns, res);
}

/// RFC 8482 §4.2: over UDP one RRset is enough; over TCP every RRset is given.
fn any<'z>(
    node: Node<'z>,
    name: &Name,
    all: bool,
    prove: Option<&Prover<'z>>,
    res: &mut Resolution<'z>,
) {
    if all {
        // The signatures are RRsets of the node too.
        for set in node.rrsets {
            res.answer.push(Piece {
                owner: name.clone(),
                rrset: set.into(),
            });
        }
    } else if let Some(set) = node.rrsets.iter().find(|s| s.rtype != RecordType::RRSIG) {
        push(&mut res.answer, name, set, &node, prove);
    }
}

/// Additional-section processing (RFC 1035 §3.3.9, §3.3.11, RFC 2782): addresses of the
/// NS, MX and SRV targets that this zone holds, glue included.
fn additional_for<'z>(
    zone: &'z Zone,
    prove: Option<&Prover<'z>>,
    set: &'z RRset,
    res: &mut Resolution<'z>,
) {
    for d in set.data.iter() {
        let target = match d.other() {
            Some(RData::NS(ns)) => &ns.0,
            Some(RData::MX(mx)) => &mx.exchange,
            Some(RData::SRV(srv)) => &srv.target,
            _ => continue,
        };
        if !zone.origin.zone_of(target) {
            continue;
        }
        // The target's own node, else (when no name of the zone is the target or lies
        // on its way) the wildcard that would answer for it (RFC 4592 §4: glue and
        // other additional data may be synthesised), as NSD and Knot add it.
        let node = match zone.nodes.get(target) {
            Some(node) => node,
            None => match find(zone, target, RecordType::A) {
                Found::Node(node, _) => node,
                _ => continue,
            },
        };
        for t in [RecordType::A, RecordType::AAAA] {
            if let Some(addr) = node.get(t)
                && !res.additional.iter().any(|p| std::ptr::eq(&*p.rrset, addr))
            {
                // Glue has no signatures; authoritative addresses do (RFC 4035 §3.1.1).
                push(&mut res.additional, target, addr, &node, prove);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zonefile::master::read_master_str;

    const ZONE: &str = "$TTL 300\n@ SOA ns1 host 1 2 3 4 60\n@ NS ns1\nns1 A 192.0.2.53\n\
        www A 192.0.2.1\n A 192.0.2.2\nalias CNAME www\nloop1 CNAME loop2\nloop2 CNAME loop1\n\
        out CNAME www.other.test.\n*.wild A 192.0.2.9\nx.wild TXT \"x\"\na.b TXT \"t\"\n\
        *.only A 192.0.2.8\nsub NS ns.sub\nns.sub A 192.0.2.99\nsub DS 1 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118D0A1B3A1D1E0A1B2C3D4E5F6\nmx MX 10 ns1\n";

    fn zone() -> Zone {
        let origin = Name::from_ascii("example.test.").unwrap();
        let (rs, ps) = read_master_str(ZONE, "t", &origin);
        assert!(ps.is_empty(), "{ps:?}");
        Zone::build(&origin, rs, "t").unwrap()
    }

    fn q<'a>(z: &'a Zone, name: &str, t: RecordType) -> Resolution<'a> {
        resolve(z, &Name::from_ascii(name).unwrap(), t, false, false)
    }

    fn owners(p: &[Piece<'_>]) -> Vec<String> {
        p.iter()
            .map(|p| format!("{} {}", p.owner, p.rrset.rtype))
            .collect()
    }

    #[test]
    fn exact_nodata_nxdomain() {
        let z = zone();
        let r = q(&z, "www.example.test.", RecordType::A);
        assert_eq!((r.kind, r.answer[0].rrset.data.len()), (Kind::Found, 2));
        let r = q(&z, "www.example.test.", RecordType::MX);
        assert!(r.answer.is_empty() && r.negative && r.kind == Kind::Found);
        let r = q(&z, "nope.example.test.", RecordType::A);
        assert!(r.kind == Kind::NxDomain && r.negative);
        assert_eq!(z.negative_ttl(), 60);
    }

    #[test]
    fn empty_non_terminal_is_nodata() {
        let z = zone();
        let r = q(&z, "b.example.test.", RecordType::A);
        assert!(r.kind == Kind::Found && r.negative);
    }

    #[test]
    fn cname_chains_and_loops() {
        let z = zone();
        let r = q(&z, "alias.example.test.", RecordType::A);
        assert_eq!(
            owners(&r.answer),
            ["alias.example.test. CNAME", "www.example.test. A"]
        );
        let r = q(&z, "loop1.example.test.", RecordType::A);
        assert!(r.answer.len() <= MAX_CHAIN + 1);
        let r = q(&z, "out.example.test.", RecordType::A);
        assert_eq!(r.answer.len(), 1);
        assert!(!r.negative);
    }

    #[test]
    fn wildcards_per_rfc4592() {
        let z = zone();
        let r = q(&z, "any.wild.example.test.", RecordType::A);
        assert_eq!(owners(&r.answer), ["any.wild.example.test. A"]);
        // x.wild exists with other data: NODATA, no synthesis.
        let r = q(&z, "x.wild.example.test.", RecordType::A);
        assert!(r.answer.is_empty() && r.negative && r.kind == Kind::Found);
        // Below an existing name without a `*` child: NXDOMAIN.
        let r = q(&z, "y.x.wild.example.test.", RecordType::A);
        assert_eq!(r.kind, Kind::NxDomain);
        // Regression: a wildcard whose parent is an empty non-terminal.
        let r = q(&z, "any.only.example.test.", RecordType::A);
        assert_eq!(owners(&r.answer), ["any.only.example.test. A"]);
        let r = q(&z, "only.example.test.", RecordType::A);
        assert!(r.kind == Kind::Found && r.negative);
        // Wildcard without the type: NODATA.
        let r = q(&z, "z.wild.example.test.", RecordType::MX);
        assert!(r.kind == Kind::Found && r.negative);
    }

    #[test]
    fn referrals_with_glue_and_ds_at_parent() {
        let z = zone();
        let r = q(&z, "host.sub.example.test.", RecordType::A);
        assert_eq!(r.kind, Kind::Referral);
        // DS goes into referrals only for DNSSEC-signed answers (RFC 4035 §3.1.4).
        assert_eq!(owners(&r.authority), ["sub.example.test. NS"]);
        assert_eq!(owners(&r.additional), ["ns.sub.example.test. A"]);
        let r = q(&z, "sub.example.test.", RecordType::DS);
        assert_eq!(owners(&r.answer), ["sub.example.test. DS"]);
        assert_eq!(r.kind, Kind::Found);
    }

    #[test]
    fn additional_addresses_for_mx() {
        let z = zone();
        let r = q(&z, "mx.example.test.", RecordType::MX);
        assert_eq!(owners(&r.additional), ["ns1.example.test. A"]);
    }
}
