//! Zones: immutable, validated snapshots of authoritative data.
//!
//! A [`Zone`] is built once from master-file records (see [`master`]) and never changes;
//! a reload builds a new one. Building checks what peers check (SOA at the apex, data
//! inside the zone, CNAME alone at its name, NS at the apex) and adds empty nodes for
//! empty non-terminals so that lookup can tell NODATA from NXDOMAIN (RFC 4592 §2.2.2).

pub mod compact;
pub mod denial;
pub mod digest;
pub mod dname;
pub mod history;
pub mod lookup;
pub mod nodes;
pub mod rrsig;
pub mod set;
pub mod signed;
pub mod signing;
pub mod store;
pub mod walk;

use hickory_proto::rr::{Name, RData, Record, RecordType};
use once_cell::race::OnceBox;
use std::path::Path;
use std::sync::Arc;

use crate::balance::Plan;
use crate::metrics::QueryCounters;
use crate::problem::Problem;
use crate::wire::name as wire;
use crate::wire::namebuf::NameBuf;
use crate::wire::{CLASS_IN, TYPE_SOA, image};
use crate::zonefile::master::{self, SourceRecord};

use compact::{Data, Rdata};
pub use nodes::{Node, Nodes, Owner};
pub use set::ZoneSet;
pub use store::Store;

/// The number of labels of a name, a leading `*` included (hickory's `num_labels` leaves
/// it out, which would make a wildcard owner look like its parent).
pub fn labels(name: &Name) -> usize {
    name.iter().count()
}

/// All records of one name and type. Records are unique (RFC 2181 §5); for address
/// records [`Data::copies`] counts how often each was written, which is extra weight.
#[derive(Debug)]
pub struct RRset {
    pub rtype: RecordType,
    pub ttl: u32,
    /// The records' data, in the order first written; owner and TTL are the node's and
    /// the set's (a full `Record` per entry would repeat them).
    pub data: Data,
    /// Set for balanced address RRsets (more than one address, or a configured pool).
    pub plan: Option<Arc<Plan>>,
    /// The answer to a query for this owner and type ([`image`]), encoded at load for
    /// small zones or on first use; `None` inside when the answer has no image. One
    /// pointer, not `OnceLock`'s two words: every RRset of a million-record zone has one
    /// (8 MB there). Two threads that race to encode it both do, and one copy is kept.
    pub image: OnceBox<Images>,
}

/// The wire images of one RRset's answer.
#[derive(Debug)]
pub struct Images {
    /// Without DNSSEC records; `None` when the answer has no image.
    pub plain: Option<image::Image>,
    /// With DO=1 to a signed zone (RRSIGs with every RRset, DS or its proof in a
    /// referral), encoded on first use; `None` inside where the signatures depend on the
    /// query (a subset signed online). Inside the same box, so that every RRset of an
    /// unsigned zone pays one pointer, not two.
    pub signed: OnceBox<Option<image::Image>>,
}

impl Images {
    pub fn new(plain: Option<image::Image>) -> Box<Images> {
        Box::new(Images {
            plain,
            signed: OnceBox::new(),
        })
    }
}

impl RRset {
    pub fn new(rtype: RecordType, ttl: u32, data: Data) -> RRset {
        RRset {
            rtype,
            ttl,
            data,
            plan: None,
            image: OnceBox::new(),
        }
    }

    /// Record `i` with an owner and TTL.
    pub fn record(&self, owner: &Name, i: usize, ttl: u32) -> Record {
        Record::from_rdata(owner.clone(), ttl, self.data[i].to_rdata())
    }

    /// Every record with an owner and TTL.
    pub fn records<'a>(&'a self, owner: &'a Name, ttl: u32) -> impl Iterator<Item = Record> + 'a {
        (0..self.data.len()).map(move |i| self.record(owner, i, ttl))
    }

    /// How often record `i` was written.
    pub fn copies(&self, i: usize) -> u32 {
        self.data.copies(i)
    }

    /// The same records without plan or image: both depend on the configuration and the
    /// zone set the copy will be served in (see [`Zone::fresh_copy`]). Not `Clone`, so
    /// that no copy drops them unawares.
    pub fn fresh_copy(&self) -> RRset {
        RRset::new(self.rtype, self.ttl, self.data.clone())
    }
}

/// One authoritative zone.
#[derive(Debug)]
pub struct Zone {
    pub origin: Name,
    /// Searchable with a name from the wire ([`wire`]), for the fast path.
    pub nodes: Nodes,
    pub soa: Record,
    pub serial: u32,
    /// Records as written, copies included.
    pub record_count: usize,
    /// Non-fatal findings (duplicate records, TTL mismatches), each with FILE:LINE.
    pub warnings: Vec<Problem>,
    /// Queries answered from this zone; carried over across reloads.
    pub counters: Arc<QueryCounters>,
    /// Recent changes, for IXFR out.
    pub history: Arc<Vec<history::Change>>,
    /// True when some owner name starts with a `*` label (RFC 4592).
    pub has_wildcards: bool,
    /// The negative-answer SOA record after its owner name: TYPE, CLASS, TTL (RFC 2308
    /// §3), RDLENGTH and uncompressed RDATA, for answers written without an image.
    pub negative_soa: Box<[u8]>,
    /// Wire images encoded on first use so far ([`image`]); bounded per zone.
    pub lazy_images: LazyImages,
    /// The denial chains of a signed zone (its apex has an RRSIG); `None` when unsigned.
    pub signed: Option<Arc<signed::Signed>>,
    /// Signs the balanced subsets of a signed zone with the zone's key (`dnssec.keys`);
    /// `None` when the zone is unsigned or has no usable key. Set with the plans.
    pub signer: Option<Arc<crate::sign::Signer>>,
    /// Set when rrdns signed the zone itself ([`signing`]): `None` for a zone served
    /// as written or transferred, signed or not.
    pub signed_here: Option<signing::Here>,
}

/// How many wire images a zone has encoded on first use. A client asking for every name
/// of a huge zone would otherwise grow the server by an image per name; past the limit
/// the full path answers names without one. A fresh copy of a zone starts at zero, as
/// its RRsets start without images.
#[derive(Debug, Default)]
pub struct LazyImages(std::sync::atomic::AtomicUsize);

impl LazyImages {
    /// Takes one image from a budget of `limit`; false once it is spent.
    pub fn take(&self, limit: usize) -> bool {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < limit).then_some(n + 1)
            })
            .is_ok()
    }
}

impl Zone {
    /// The same zone for a new zone set (a secondary zone kept across a reload): data,
    /// query counters and history shared or copied; balancing plans, wire images and the
    /// image budget start anew, to be built for the configuration the copy serves under.
    pub fn fresh_copy(&self) -> Zone {
        Zone {
            origin: self.origin.clone(),
            nodes: self.nodes.fresh_copy(),
            soa: self.soa.clone(),
            serial: self.serial,
            record_count: self.record_count,
            warnings: self.warnings.clone(),
            counters: self.counters.clone(),
            history: self.history.clone(),
            has_wildcards: self.has_wildcards,
            negative_soa: self.negative_soa.clone(),
            lazy_images: LazyImages::default(),
            signed: self.signed.clone(),
            signer: None,
            signed_here: self.signed_here,
        }
    }

    /// Loads and validates a zone from a master file.
    pub fn load(origin: &Name, path: &Path) -> Result<Zone, Vec<Problem>> {
        // Records go to the builder as they are read: a large zone is never held twice.
        let mut b = Builder::new(origin);
        let problems = master::read_master_with(path, origin, &mut |r| b.add_read(r));
        b.finish_checked(problems, &path.display().to_string())
    }

    /// Loads and validates a zone from master-file text; `file` names it in errors.
    pub fn from_text(origin: &Name, text: &str, file: &str) -> Result<Zone, Vec<Problem>> {
        let mut b = Builder::new(origin);
        let problems = master::read_master_str_with(text, file, origin, &mut |r| b.add_read(r));
        b.finish_checked(problems, file)
    }

    /// Builds and validates a zone from transferred records; `source` names them in errors.
    /// The records are read one at a time, not copied whole: a large transfer is held
    /// once, as received, while its zone is built.
    pub fn from_records(
        origin: &Name,
        records: &[Record],
        source: &str,
    ) -> Result<Zone, Vec<Problem>> {
        let file: Arc<str> = Arc::from(source);
        let mut b = Builder::new(origin);
        for record in records {
            b.add(SourceRecord {
                record: record.clone(),
                file: file.clone(),
                line: 0,
            });
        }
        b.finish_checked(Vec::new(), source)
    }

    /// Builds the zone and reports read problems and build problems together.
    fn build_checked(
        origin: &Name,
        records: Vec<SourceRecord>,
        problems: Vec<Problem>,
        file: &str,
    ) -> Result<Zone, Vec<Problem>> {
        let mut b = Builder::new(origin);
        records.into_iter().for_each(|sr| b.add(sr));
        b.finish_checked(problems, file)
    }

    /// The serial of the data as written or transferred: the SOA's, or for a zone rrdns
    /// signed, the serial before signing.
    pub fn source_serial(&self) -> u32 {
        self.signed_here.map_or(self.serial, |h| h.source_serial)
    }

    /// The negative-answer TTL: min(SOA TTL, SOA MINIMUM) (RFC 2308 §3).
    pub fn negative_ttl(&self) -> u32 {
        match &self.soa.data {
            RData::SOA(soa) => self.soa.ttl.min(soa.minimum),
            _ => self.soa.ttl,
        }
    }

    /// Builds a zone from records, validating it.
    pub fn build(
        origin: &Name,
        records: Vec<SourceRecord>,
        file: &str,
    ) -> Result<Zone, Vec<Problem>> {
        Zone::build_checked(origin, records, Vec::new(), file)
    }
}

/// An RRset while its zone is read: a link in its node's chain of sets.
struct BuildSet {
    rtype: RecordType,
    ttl: u32,
    /// The first record, held apart so that a lone record (most sets of a large zone)
    /// needs no vector; taken when the zone is laid out.
    first: Option<Rdata>,
    /// The records after the first.
    more: Vec<Rdata>,
    /// How often each record was written; empty while each was written once.
    copies: Vec<u32>,
    /// The node's next set, or [`NONE`].
    next: u32,
}

const NONE: u32 = u32::MAX;

struct Builder {
    origin: Name,
    nodes: Nodes,
    /// Per node, its first set in `sets`, or [`NONE`].
    heads: Vec<u32>,
    sets: Vec<BuildSet>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    soa: Option<Record>,
    count: usize,
    /// The line of the first record: whole-zone problems are reported there.
    first_line: Option<usize>,
    /// Owners of NS records below the apex, lowercased wire: the delegation points.
    cuts: std::collections::HashSet<Box<[u8]>>,
    has_wildcards: bool,
}

impl Builder {
    fn new(origin: &Name) -> Builder {
        Builder {
            origin: origin.clone(),
            nodes: Nodes::new(origin),
            heads: Vec::new(),
            sets: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            soa: None,
            count: 0,
            first_line: None,
            cuts: Default::default(),
            has_wildcards: false,
        }
    }

    /// Finishes the zone; read problems come first, then build problems.
    fn finish_checked(self, mut problems: Vec<Problem>, file: &str) -> Result<Zone, Vec<Problem>> {
        match self.finish(file) {
            Ok(z) if problems.is_empty() => Ok(z),
            Ok(_) => Err(problems),
            Err(mut more) => {
                problems.append(&mut more);
                Err(problems)
            }
        }
    }

    fn problem(&mut self, file: &str, line: usize, message: String) {
        self.problems.push(Problem {
            file: file.to_string(),
            line,
            message,
        });
    }

    /// The sets of node `node`, in the order first written.
    fn chain(&self, node: usize) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.heads[node];
        std::iter::from_fn(move || {
            let i = (at != NONE).then_some(at as usize)?;
            at = self.sets[i].next;
            Some(i)
        })
    }

    /// Adds a record from a transfer or a test: its owner is put in wire form.
    fn add(&mut self, sr: SourceRecord) {
        let SourceRecord { record, file, line } = sr;
        let owner = match NameBuf::from_name(&record.name) {
            Ok(owner) => owner,
            Err(e) => {
                let msg = format!("bad owner name {}: {e}", record.name);
                return self.problem(&file, line, msg);
            }
        };
        let ttl = record.ttl;
        self.add_read(master::Read {
            owner: &owner,
            ttl,
            data: rrsig::generic(record.data),
            file: &file,
            line,
        });
    }

    /// Adds a record; its owner's `Name` is built only for a message or the SOA.
    fn add_read(&mut self, r: master::Read<'_>) {
        let master::Read {
            owner,
            ttl,
            data: rdata,
            file,
            line,
        } = r;
        self.first_line.get_or_insert(line);
        let t = rdata.record_type();
        let Some(node) = self.nodes.intern_written(owner.wire()) else {
            // As BIND reads a zone file (NSD refuses the zone): the record could never
            // be served from this zone, and the rest of the zone can.
            return self.warnings.push(Problem {
                file: file.to_string(),
                line,
                message: format!(
                    "ignoring out-of-zone data: {} is outside the zone {}",
                    owner.to_name(),
                    self.origin
                ),
            });
        };
        self.heads.resize(self.nodes.len(), NONE);
        // Names compare in any case (RFC 4343); length octets (at most 63) are below 'A'.
        let at_apex = owner.wire().eq_ignore_ascii_case(self.nodes.origin_wire());
        if t == RecordType::SOA {
            if !at_apex {
                let msg = format!("SOA record for {} is not at the zone apex", owner.to_name());
                return self.problem(file, line, msg);
            }
            // The same SOA written twice is one record (RFC 2181 §5), as BIND takes it.
            match &self.soa {
                Some(soa) if soa.data != rdata => {
                    let msg = "second SOA record at the zone apex".into();
                    return self.problem(file, line, msg);
                }
                Some(_) => {}
                None => self.soa = Some(Record::from_rdata(owner.to_name(), ttl, rdata.clone())),
            }
        }
        let wildcard = owner.wire().starts_with(b"\x01*");
        if wildcard && t == RecordType::NS {
            // RFC 4592 §4.2: what a wildcard delegation means is undefined; BIND refuses it.
            let msg = format!("NS record at the wildcard name {}", owner.to_name());
            return self.problem(file, line, msg);
        }
        self.has_wildcards |= wildcard;
        if t == RecordType::NS
            && !at_apex
            && let Some(wire) = wire::Lowered::new(owner.wire())
        {
            self.cuts.insert(Box::from(wire.suffix(0).0));
        }
        // RFC 1034 §3.6.2 / RFC 2181 §10.1: a CNAME cannot coexist with other data, but
        // for its signatures and NSEC (RFC 4035 §2.5).
        let signing = |rt: RecordType| matches!(rt, RecordType::RRSIG | RecordType::NSEC);
        let (mut found, mut last, mut has_cname, mut has_other, mut sets) =
            (None, None, false, false, 0);
        // RRSIGs make one set per type covered ([`rrsig`]).
        let covered = rrsig::covered(&rdata);
        for i in self.chain(node) {
            let rt = self.sets[i].rtype;
            last = Some(i);
            sets += 1;
            has_cname |= rt == RecordType::CNAME;
            has_other |= rt != RecordType::CNAME && !signing(rt);
            let same_covered = || {
                let first = self.sets[i].first.as_ref().and_then(|d| d.other());
                first.and_then(rrsig::covered) == covered
            };
            if rt == t && (t != RecordType::RRSIG || same_covered()) {
                found = Some(i);
            }
        }
        // The same CNAME written twice is one record, not a second CNAME.
        let repeated = t == RecordType::CNAME
            && found.is_some_and(|i| {
                let d = Rdata::from(rdata.clone());
                self.sets[i].first.as_ref() == Some(&d) || self.sets[i].more.contains(&d)
            });
        let conflict = if t == RecordType::CNAME && has_cname && !repeated {
            Some("more than one CNAME at")
        } else if (t == RecordType::CNAME && has_other)
            || (t != RecordType::CNAME && !signing(t) && has_cname)
        {
            Some("CNAME and other data at")
        } else {
            None
        };
        if let Some(what) = conflict {
            let msg = format!("{what} {}", owner.to_name());
            return self.problem(file, line, msg);
        }
        if found.is_none() && sets >= usize::from(u16::MAX) {
            // A node keeps its RRset count in 16 bits (`nodes::Entry`).
            let msg = format!("more than {} record types at {}", u16::MAX, owner.to_name());
            return self.problem(file, line, msg);
        }
        self.count += 1;
        let Some(i) = found else {
            let at = self.sets.len() as u32;
            match last {
                Some(l) => self.sets[l].next = at,
                None => self.heads[node] = at,
            }
            self.sets.push(BuildSet {
                rtype: t,
                ttl,
                first: Some(rdata.into()),
                more: Vec::new(),
                copies: Vec::new(),
                next: NONE,
            });
            return;
        };
        let set = &mut self.sets[i];
        let set_ttl = set.ttl;
        let is_addr = matches!(t, RecordType::A | RecordType::AAAA);
        let mut warnings = Vec::new();
        let data = Rdata::from(rdata);
        match set.first.iter().chain(&set.more).position(|d| *d == data) {
            Some(i) => {
                if set.copies.is_empty() {
                    set.copies = vec![1; 1 + set.more.len()];
                }
                set.copies[i] += 1;
                let (n, d) = (owner.to_name(), data.to_rdata());
                warnings.push(if is_addr {
                    format!("duplicate record {n} {t} {d}: counted as one more unit of weight")
                } else {
                    format!("duplicate record {n} {t} {d} ignored (RFC 2181 §5)")
                });
                if !is_addr {
                    self.count -= 1;
                }
            }
            None => {
                set.more.push(data);
                if !set.copies.is_empty() {
                    set.copies.push(1);
                }
            }
        }
        // RFC 2181 §5.2: all records of an RRset have one TTL; keep the first, as BIND does.
        if ttl != set_ttl {
            warnings.push(format!(
                "TTL {ttl} differs from the RRset's TTL {set_ttl} for {} {t}; using {set_ttl}",
                owner.to_name()
            ));
        }
        for w in warnings {
            self.warnings.push(Problem {
                file: file.to_string(),
                line,
                message: w,
            });
        }
    }

    fn finish(mut self, file: &str) -> Result<Zone, Vec<Problem>> {
        let first_line = self.first_line.unwrap_or(1);
        let whole = |message: String| Problem {
            file: file.to_string(),
            line: first_line,
            message,
        };
        let Some(soa) = self.soa.clone() else {
            self.problems
                .push(whole(format!("zone {} has no SOA record", self.origin)));
            return Err(self.problems);
        };
        // The SOA is at the apex, so the apex is a node already.
        let apex = self.nodes.intern(&self.origin).unwrap_or(0);
        let apex_ns = self
            .chain(apex)
            .any(|i| self.sets[i].rtype == RecordType::NS);
        if !apex_ns {
            self.problems.push(whole(format!(
                "zone {} has no NS records at the apex",
                self.origin
            )));
        }
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        // Flatten the chains into one vector, node by node.
        let mut rrsets = Vec::with_capacity(self.sets.len());
        let mut counts = Vec::with_capacity(self.heads.len());
        for &head in &self.heads {
            let (mut at, before) = (head, rrsets.len());
            while let Some(s) = self.sets.get_mut(at as usize) {
                at = s.next;
                let (more, copies) = (std::mem::take(&mut s.more), std::mem::take(&mut s.copies));
                let data = Data::with_first(s.first.take(), more, copies);
                rrsets.push(RRset::new(s.rtype, s.ttl, data));
            }
            counts.push((rrsets.len() - before) as u16);
        }
        (self.sets, self.heads) = (Vec::new(), Vec::new());
        self.nodes.fill(rrsets, &counts);
        drop(counts);
        self.has_wildcards |= self.nodes.add_empty_non_terminals();
        self.nodes.mark_cuts(&self.cuts);
        self.nodes.shrink_to_fit();
        let serial = match &soa.data {
            RData::SOA(s) => s.serial,
            _ => 0,
        };
        let has_wildcards = self.has_wildcards;
        let negative_soa = negative_soa(&soa);
        let signed = signed::Signed::build(&self.nodes, &self.origin).map(Arc::new);
        Ok(Zone {
            signed,
            signer: None,
            signed_here: None,
            has_wildcards,
            negative_soa,
            origin: self.origin,
            nodes: self.nodes,
            soa,
            serial,
            record_count: self.count,
            warnings: self.warnings,
            counters: Arc::default(),
            history: Arc::default(),
            lazy_images: LazyImages::default(),
        })
    }
}

/// Hands memory freed while building zones (parser and builder scratch, grown-out
/// tables) back to the system. glibc keeps freed heap memory for reuse; after loading a
/// large zone that is a hundred megabytes or more the server would hold and never use.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The SOA record of negative answers without its owner (see [`Zone::negative_soa`]):
/// TTL min(TTL, MINIMUM) as RFC 2308 §3 asks, names uncompressed.
fn negative_soa(soa: &Record) -> Box<[u8]> {
    use hickory_proto::serialize::binary::BinEncodable;
    let RData::SOA(s) = &soa.data else {
        return Box::default();
    };
    let mut rdata = Vec::new();
    for name in [&s.mname, &s.rname] {
        rdata.extend(name.to_bytes().unwrap_or_else(|_| vec![0]));
    }
    for v in [
        s.serial,
        s.refresh as u32,
        s.retry as u32,
        s.expire as u32,
        s.minimum,
    ] {
        rdata.extend_from_slice(&v.to_be_bytes());
    }
    let mut out = Vec::with_capacity(10 + rdata.len());
    out.extend_from_slice(&TYPE_SOA.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&soa.ttl.min(s.minimum).to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend(rdata);
    out.into()
}
