//! Signing a zone rrdns serves (RFC 4035 §2, RFC 5155 §7.1): a primary zone read from
//! a file, or a secondary zone received unsigned, when `dnssec.keys` names its keys.
//!
//! The signed zone is built anew from the unsigned one: the keys' DNSKEYs added to the
//! apex, an RRSIG over every authoritative RRset (the DNSKEY RRset by the key-signing
//! keys, the rest by the zone-signing keys; a lone key of either kind signs both), and
//! the NSEC chain, or with `nsec3` the NSEC3 chain and its NSEC3PARAM. Records of those
//! types in the source are dropped and made again, so that signing a zone rrdns signed
//! before (a re-sign before the signatures expire) gives the same zone with new
//! signatures. Delegations are signed as RFC 4035 §2.2 says: their DS RRset and their
//! NSEC, never their NS RRset or glue.

use hickory_proto::rr::{Name, RData, RecordType};
use std::sync::Arc;

use super::{Builder, Zone};
use crate::problem::Problem;
use crate::sign::denial::{self, Nsec3Params};
use crate::sign::rrsig::{self, Fields};
use crate::sign::{Key, Settings};
use crate::wire::name::Lowered;
use crate::wire::namebuf::{NameBuf, name_of};
use crate::zonefile::master;

/// What rrdns knows of a zone it signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Here {
    /// The serial of the data as written or transferred, before signing.
    pub source_serial: u32,
    /// When the zone is signed again (Unix seconds): `refresh` before its signatures
    /// expire.
    pub resign_at: u64,
    /// When its signatures expire (Unix seconds).
    pub expires_at: u64,
    /// Signatures made.
    pub signatures: usize,
    /// True for NSEC3 denial, false for NSEC.
    pub nsec3: bool,
}

/// The types rrdns makes when it signs a zone: those in the source are made again.
fn made_here(t: RecordType) -> bool {
    matches!(
        t,
        RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3 | RecordType::NSEC3PARAM
    )
}

/// The serial of a zone about to be signed: the source's, unless rrdns served a signed
/// version of it that is as new, then one more than that one (a re-sign is a new
/// version, which secondaries must see: RFC 1996 §2.1).
pub fn next_serial(source: u32, previous: Option<&Zone>) -> u32 {
    match previous {
        Some(p) if p.signed_here.is_some() && !crate::wire::serial_lt(p.serial, source) => {
            p.serial.wrapping_add(1)
        }
        _ => source,
    }
}

/// The zone signed with `settings`' keys at `now` (Unix seconds), its SOA serial set to
/// `serial`.
pub fn sign(zone: &Zone, settings: &Settings, serial: u32, now: u64) -> Result<Zone, Vec<Problem>> {
    let unsigned;
    let base = if (zone.nodes.iter()).any(|(_, n)| n.rrsets.iter().any(|s| made_here(s.rtype))) {
        unsigned = copy_without_signing_records(zone)?;
        &unsigned
    } else {
        zone
    };
    let (ksks, zsks): (Vec<&Key>, Vec<&Key>) =
        settings.keys.iter().map(|k| &**k).partition(|k| k.is_ksk());
    let expiration = now + settings.validity.as_secs();
    let mut s = Signing {
        b: Builder::new(&base.origin),
        file: Arc::from("<signing>"),
        signer: rrsig::canonical_owner(&base.origin, base.origin.num_labels()),
        // A zone with keys of one kind signs everything with them.
        key_signers: if ksks.is_empty() {
            zsks.clone()
        } else {
            ksks.clone()
        },
        data_signers: if zsks.is_empty() { ksks } else { zsks },
        // RFC 4034 §3.1.5: 32-bit serial number arithmetic, so the times wrap in 2106.
        inception: now.saturating_sub(crate::sign::CLOCK_SKEW) as u32,
        expiration: expiration as u32,
        signatures: 0,
    };
    let owners: Vec<Owner> = (base.nodes.iter())
        .filter_map(|(owner, node)| s.node(owner, node, settings, serial, base.soa.ttl))
        .collect();
    // RFC 9077 §3: the TTL of denial records is the negative-answer TTL.
    let ttl = base.negative_ttl();
    match &settings.nsec3 {
        None => s.nsec_chain(owners, ttl),
        Some(params) => s.nsec3_chain(owners, ttl, params, &base.origin)?,
    }
    let signatures = s.signatures;
    let mut signed = s.b.finish_checked(Vec::new(), "<signing>")?;
    // Warnings were given for the source; its copies of addresses are not news.
    signed.warnings = zone.warnings.clone();
    signed.counters = zone.counters.clone();
    signed.history = zone.history.clone();
    signed.signed_here = Some(Here {
        source_serial: zone.source_serial(),
        resign_at: expiration.saturating_sub(settings.refresh.as_secs()),
        expires_at: expiration,
        signatures,
        nsec3: settings.nsec3.is_some(),
    });
    Ok(signed)
}

/// A name of the zone in its denial chain.
struct Owner {
    /// Its labels above the zone's name, as written (for canonical order).
    labels: Vec<u8>,
    name: Name,
    /// The types at the name; none for an empty non-terminal.
    types: Vec<u16>,
    /// It has signed RRsets: anything but a delegation without DS or an empty name.
    signed: bool,
}

/// A zone being signed: the builder of the signed zone, and how signatures are made.
struct Signing<'k> {
    b: Builder,
    file: Arc<str>,
    /// The zone's name in canonical wire form.
    signer: Vec<u8>,
    /// Keys that sign the DNSKEY RRset (and CDS/CDNSKEY), and keys that sign the rest.
    key_signers: Vec<&'k Key>,
    data_signers: Vec<&'k Key>,
    inception: u32,
    expiration: u32,
    signatures: usize,
}

impl Signing<'_> {
    fn add(&mut self, owner: &NameBuf, ttl: u32, data: RData) {
        self.b.add_read(master::Read {
            owner,
            ttl,
            data,
            file: &self.file,
            line: 0,
        });
    }

    /// Adds an RRset that rrdns makes, with its signatures.
    fn add_set(&mut self, name: &Name, owner: &NameBuf, t: RecordType, ttl: u32, rdatas: &[RData]) {
        for r in rdatas {
            self.add(owner, ttl, r.clone());
        }
        self.sign(name, owner, t, ttl, rdatas);
    }

    /// Adds the records of one node of the unsigned zone and their signatures, the apex
    /// its DNSKEYs (and NSEC3PARAM) besides; returns its place in the denial chain, or
    /// `None` below a cut. `serial` goes into the SOA.
    fn node(
        &mut self,
        owner: super::Owner<'_>,
        node: super::Node<'_>,
        settings: &Settings,
        serial: u32,
        soa_ttl: u32,
    ) -> Option<Owner> {
        let name = owner.to_name();
        let buf = NameBuf::from_name(&name).expect("stored names fit the wire");
        let at_apex = owner.labels_as_written().is_empty();
        let mut types = Vec::with_capacity(node.rrsets.len() + 3);
        let mut has_keys = false;
        for set in node.rrsets {
            let mut rdatas = Vec::with_capacity(set.data.len());
            for (i, d) in set.data.iter().enumerate() {
                let mut rdata = d.to_rdata();
                if let RData::SOA(soa) = &mut rdata {
                    soa.serial = serial;
                }
                // Copies of an address are weight: kept, and signed once (RFC 4034 §6.3).
                for _ in 0..set.copies(i) {
                    self.add(&buf, set.ttl, rdata.clone());
                }
                rdatas.push(rdata);
            }
            if at_apex && set.rtype == RecordType::DNSKEY {
                has_keys = true;
                for key in &settings.keys {
                    let dnskey = generic(RecordType::DNSKEY, key.dnskey.clone());
                    if !rdatas.contains(&dnskey) {
                        self.add(&buf, set.ttl, dnskey.clone());
                        rdatas.push(dnskey);
                    }
                }
            }
            types.push(u16::from(set.rtype));
            if !node.below_cut && (!node.cut || set.rtype == RecordType::DS) {
                self.sign(&name, &buf, set.rtype, set.ttl, &rdatas);
            }
        }
        if at_apex && !has_keys {
            // Published with the SOA's TTL, as dnssec-signzone does without `-T`.
            let keys: Vec<RData> = (settings.keys.iter())
                .map(|k| generic(RecordType::DNSKEY, k.dnskey.clone()))
                .collect();
            self.add_set(&name, &buf, RecordType::DNSKEY, soa_ttl, &keys);
            types.push(u16::from(RecordType::DNSKEY));
        }
        if at_apex && let Some(params) = &settings.nsec3 {
            // TTL 0, as BIND publishes it: only servers read it (RFC 5155 §4).
            let param = generic(RecordType::NSEC3PARAM, denial::nsec3param(params));
            self.add_set(&name, &buf, RecordType::NSEC3PARAM, 0, &[param]);
            types.push(u16::from(RecordType::NSEC3PARAM));
        }
        // Names below a cut are not the zone's (glue); they are in no chain. At a cut,
        // only the delegation's own types are the zone's (RFC 4035 §2.3).
        if node.cut {
            types.retain(|&t| t == u16::from(RecordType::NS) || t == u16::from(RecordType::DS));
        }
        if node.below_cut {
            return None;
        }
        let signed = !types.is_empty() && (!node.cut || types.contains(&u16::from(RecordType::DS)));
        Some(Owner {
            labels: owner.labels_as_written().to_vec(),
            name,
            types,
            signed,
        })
    }

    /// Adds the RRSIGs over the RRset `rdatas` of type `t` at `name` (RFC 4034 §3.1).
    fn sign(&mut self, name: &Name, owner: &NameBuf, t: RecordType, ttl: u32, rdatas: &[RData]) {
        let canonical: Vec<Vec<u8>> = rdatas.iter().map(rrsig::canonical_rdata).collect();
        // hickory leaves a wildcard's `*` out of the count, as §3.1.3 asks.
        let labels = name.num_labels();
        let wire = rrsig::canonical_owner(name, labels);
        let keys = match t {
            RecordType::DNSKEY | RecordType::CDS | RecordType::CDNSKEY => &self.key_signers,
            _ => &self.data_signers,
        };
        let mut sigs = Vec::with_capacity(keys.len());
        for key in keys {
            let f = Fields {
                covered: t.into(),
                algorithm: key.algorithm,
                labels,
                original_ttl: ttl,
                expiration: self.expiration,
                inception: self.inception,
                key_tag: key.tag,
                signer: &self.signer,
            };
            let mut refs: Vec<&[u8]> = canonical.iter().map(|c| &c[..]).collect();
            sigs.push(f.sign(key, &wire, &mut refs));
        }
        for sig in sigs {
            self.signatures += 1;
            self.add(owner, ttl, generic(RecordType::RRSIG, sig));
        }
    }

    /// The NSEC chain (RFC 4034 §4, RFC 4035 §2.3): every name with data, in canonical
    /// order, pointing to the next and back from the last to the apex.
    fn nsec_chain(&mut self, mut owners: Vec<Owner>, ttl: u32) {
        owners.retain(|o| !o.types.is_empty());
        owners.sort_by(|a, b| super::signed::canonical(&a.labels, &b.labels));
        for i in 0..owners.len() {
            let next = &owners[(i + 1) % owners.len()].name;
            let next = Lowered::from_name(next).expect("stored names fit the wire");
            let o = &owners[i];
            let mut types = o.types.clone();
            types.extend([RecordType::RRSIG, RecordType::NSEC].map(u16::from));
            let rdata = generic(RecordType::NSEC, denial::nsec(next.suffix(0).0, &types));
            let name = o.name.clone();
            let buf = NameBuf::from_name(&name).expect("stored names fit the wire");
            self.add_set(&name, &buf, RecordType::NSEC, ttl, &[rdata]);
        }
    }

    /// The NSEC3 chain (RFC 5155 §7.1): every name of the zone, empty non-terminals
    /// included, by hash; without opt-out, so insecure delegations are in it too.
    fn nsec3_chain(
        &mut self,
        owners: Vec<Owner>,
        ttl: u32,
        params: &Nsec3Params,
        origin: &Name,
    ) -> Result<(), Vec<Problem>> {
        let mut hashed: Vec<([u8; 20], Vec<u16>)> = owners
            .into_iter()
            .map(|o| {
                let wire = Lowered::from_name(&o.name).expect("stored names fit the wire");
                let hash = denial::nsec3_hash(wire.suffix(0).0, &params.salt, params.iterations);
                let mut types = o.types;
                if o.signed {
                    types.push(RecordType::RRSIG.into());
                }
                (hash, types)
            })
            .collect();
        hashed.sort_unstable_by_key(|h| h.0);
        hashed.dedup_by(|a, b| a.0 == b.0);
        for i in 0..hashed.len() {
            let next = hashed[(i + 1) % hashed.len()].0;
            let (hash, types) = &hashed[i];
            let label = data_encoding::BASE32HEX_NOPAD
                .encode(hash)
                .to_ascii_lowercase();
            let name =
                name_of(std::iter::once(label.as_bytes()).chain(origin.iter())).map_err(|e| {
                    vec![Problem {
                        file: "<signing>".into(),
                        line: 0,
                        message: format!("zone {origin}: NSEC3 owner names do not fit: {e}"),
                    }]
                })?;
            let buf = NameBuf::from_name(&name).expect("checked above");
            let rdata = generic(RecordType::NSEC3, denial::nsec3(params, &next, types));
            self.add_set(&name, &buf, RecordType::NSEC3, ttl, &[rdata]);
        }
        Ok(())
    }
}

/// RDATA of a DNSSEC type in the RFC 3597 form zone files give it here.
fn generic(t: RecordType, bytes: Vec<u8>) -> RData {
    RData::Unknown {
        code: t,
        rdata: crate::wire::opaque(bytes),
    }
}

/// A zone rrdns signed, without what signing added but the DNSKEYs: served unsigned
/// once its keys are no longer configured.
pub fn unsigned(zone: &Zone) -> Result<Zone, Vec<Problem>> {
    let mut z = copy_without_signing_records(zone)?;
    z.warnings = zone.warnings.clone();
    z.counters = zone.counters.clone();
    z.history = zone.history.clone();
    Ok(z)
}

/// The zone without RRSIG, NSEC, NSEC3 and NSEC3PARAM records: what is signed again.
fn copy_without_signing_records(zone: &Zone) -> Result<Zone, Vec<Problem>> {
    let mut b = Builder::new(&zone.origin);
    let file: Arc<str> = Arc::from("<signing>");
    for (owner, node) in zone.nodes.iter() {
        let buf = NameBuf::from_name(&owner.to_name()).expect("stored names fit the wire");
        for set in node.rrsets.iter().filter(|s| !made_here(s.rtype)) {
            for (i, d) in set.data.iter().enumerate() {
                for _ in 0..set.copies(i) {
                    b.add_read(master::Read {
                        owner: &buf,
                        ttl: set.ttl,
                        data: d.to_rdata(),
                        file: &file,
                        line: 0,
                    });
                }
            }
        }
    }
    b.finish_checked(Vec::new(), "<signing>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::key::tests::{P256_DNSKEY, P256_PRIVATE, key};
    use std::time::Duration;

    const TEXT: &str = "$TTL 300\n@ SOA ns h 5 3600 900 604800 60\n@ NS ns\nns A 192.0.2.1\n\
        www A 192.0.2.2\n A 192.0.2.3\n A 192.0.2.3\na.b.c TXT x\n*.w A 192.0.2.4\n\
        sub NS ns.sub\nns.sub A 192.0.2.5\n";

    fn settings(nsec3: Option<Nsec3Params>) -> Settings {
        Settings {
            keys: vec![Arc::new(key(P256_DNSKEY, P256_PRIVATE))],
            validity: Duration::from_secs(86400),
            refresh: Duration::from_secs(3600),
            cache: 10,
            nsec3,
        }
    }

    fn zone() -> Zone {
        Zone::from_text(&"example.net.".parse().unwrap(), TEXT, "t.zone").unwrap()
    }

    /// The RRsets at `name`: (type, TTL, number of records; RRSIGs by type covered).
    fn sets(z: &Zone, name: &str) -> Vec<(String, usize)> {
        let n = z.nodes.get(&name.parse().unwrap());
        let mut out: Vec<(String, usize)> = (n.iter().flat_map(|n| n.rrsets.iter()))
            .map(|s| {
                let t = match s
                    .data
                    .first()
                    .and_then(|d| d.other().and_then(super::super::rrsig::covered))
                {
                    Some(c) => format!("RRSIG/{}", RecordType::from(c)),
                    None => s.rtype.to_string(),
                };
                (t, s.data.len())
            })
            .collect();
        out.sort();
        out
    }

    fn s(v: &[(&str, usize)]) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = v.iter().map(|(t, n)| (t.to_string(), *n)).collect();
        out.sort();
        out
    }

    #[test]
    fn every_authoritative_set_is_signed_and_chained_with_nsec() {
        let z = sign(&zone(), &settings(None), 9, 1_800_000_000).unwrap();
        assert_eq!(z.serial, 9);
        assert_eq!(z.source_serial(), 5);
        assert!(z.signed.is_some() && !z.signed.as_ref().unwrap().is_nsec3());
        let apex = ["SOA", "NS", "DNSKEY", "NSEC"];
        let mut want: Vec<(&str, usize)> = apex.iter().map(|t| (*t, 1)).collect();
        want.extend(
            apex.iter()
                .map(|t| (["RRSIG/", t].concat().leak() as &str, 1)),
        );
        assert_eq!(sets(&z, "example.net."), s(&want));
        // Weight kept: three records written, two distinct, one signature.
        let www = z.nodes.get(&"www.example.net.".parse().unwrap()).unwrap();
        let a = www.get(RecordType::A).unwrap();
        assert_eq!((a.data.len(), a.copies(1)), (2, 2));
        // A delegation: its NSEC signed, its NS not; glue neither signed nor chained.
        assert_eq!(
            sets(&z, "sub.example.net."),
            s(&[("NS", 1), ("NSEC", 1), ("RRSIG/NSEC", 1)])
        );
        assert_eq!(sets(&z, "ns.sub.example.net."), s(&[("A", 1)]));
        // An empty non-terminal has no NSEC.
        assert_eq!(sets(&z, "c.example.net."), vec![]);
        let h = z.signed_here.unwrap();
        assert_eq!(h.expires_at, 1_800_000_000 + 86400);
        assert_eq!(h.resign_at, h.expires_at - 3600);
    }

    #[test]
    fn nsec3_chains_empty_non_terminals_and_insecure_delegations() {
        let p = Nsec3Params::default();
        let z = sign(&zone(), &settings(Some(p.clone())), 5, 1_800_000_000).unwrap();
        assert!(z.signed.as_ref().unwrap().is_nsec3());
        let owners: Vec<String> = (z.nodes.iter())
            .filter(|(_, n)| n.get(RecordType::NSEC3).is_some())
            .map(|(o, _)| o.to_name().to_string())
            .collect();
        // apex, ns, www, a.b.c, b.c, c, *.w, w, sub: glue below the cut has none.
        assert_eq!(owners.len(), 9, "{owners:?}");
        let hash = |n: &str| {
            let name: Name = n.parse().unwrap();
            let h = crate::zone::signed::nsec3_hash(&name, &[], 0).unwrap();
            data_encoding::BASE32HEX_NOPAD
                .encode(&h)
                .to_ascii_lowercase()
        };
        let ent = format!("{}.example.net.", hash("c.example.net."));
        let node = z.nodes.get(&ent.parse().unwrap()).unwrap();
        let rdata = node.get(RecordType::NSEC3).unwrap().data[0].to_rdata();
        let RData::Unknown { rdata, .. } = rdata else {
            panic!()
        };
        assert_eq!(
            rdata.anything.len(),
            26,
            "no types at an empty non-terminal"
        );
        assert!(!owners.contains(&format!("{}.example.net.", hash("ns.sub.example.net."))));
        assert!(owners.contains(&format!("{}.example.net.", hash("sub.example.net."))));
    }

    #[test]
    fn signing_again_gives_the_same_zone_with_new_signatures() {
        let st = settings(Some(Nsec3Params::default()));
        let once = sign(&zone(), &st, 5, 1_800_000_000).unwrap();
        let twice = sign(&once, &st, 6, 1_800_000_100).unwrap();
        assert_eq!(twice.source_serial(), 5, "the source's serial is kept");
        assert_eq!(twice.serial, 6);
        assert_eq!(once.record_count, twice.record_count);
        for (owner, node) in once.nodes.iter() {
            let name = owner.to_name().to_string();
            assert_eq!(sets(&once, &name), sets(&twice, &name), "{name}");
            let _ = node;
        }
        assert_eq!(twice.signed_here.unwrap().expires_at, 1_800_000_100 + 86400);
        // Without keys it is served unsigned again.
        let plain = unsigned(&twice).unwrap();
        assert!(plain.signed.is_none());
        assert!(
            plain
                .nodes
                .iter()
                .all(|(_, n)| n.rrsets.iter().all(|s| !made_here(s.rtype)))
        );
    }

    #[test]
    fn the_serial_moves_on_from_a_version_signed_here() {
        let signed = sign(&zone(), &settings(None), 5, 1_800_000_000).unwrap();
        assert_eq!(next_serial(5, None), 5);
        assert_eq!(next_serial(5, Some(&zone())), 5, "not signed here");
        assert_eq!(next_serial(5, Some(&signed)), 6);
        assert_eq!(next_serial(7, Some(&signed)), 7, "the source is newer");
    }
}
