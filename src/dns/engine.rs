//! The answering engine: request bytes in, response bytes out.
//!
//! Transport-free, so that any front end (tokio sockets today, a batched `recvmmsg` path
//! later) can drive it. Reads the current zones and health through lock-free snapshots
//! (`arc-swap`). Malformed input gets FORMERR or is dropped, never a panic.

use arc_swap::{ArcSwap, ArcSwapOption};
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use super::fast::ImageLimits;
use super::rrl::Rrl;
use super::transfer;
use crate::balance::{self, Scratch, ThreadRandom, Verdict};
use crate::config::RrlConfig;
use crate::health::Snapshot;
use crate::metrics::{QueryCounters, ServerCounters};
use crate::noise;
use crate::sign::Signer;
use crate::wire::image::{Balanced, Image};
use crate::wire::{MAX_UDP_PAYLOAD, PLAIN_UDP_PAYLOAD, Section, TYPE_AXFR, TYPE_IXFR};
use crate::zone::lookup::{Kind, Piece, resolve};
use crate::zone::{RRset, Store, Zone, ZoneSet};

/// Which transport a request came over: it decides size limits and ANY handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// What a request over TCP gets.
pub enum TcpReply {
    /// Nothing: the request is dropped.
    None,
    One(Vec<u8>),
    /// A zone transfer, sent message by message.
    Transfer(Box<transfer::Outgoing>),
}

/// The engine: shared by every socket, swapped into by reloads.
pub struct Engine {
    pub(super) zones: Arc<Store>,
    pub(super) health: ArcSwap<Snapshot>,
    xfr: ArcSwap<transfer::Policy>,
    /// Full transfers out under way.
    transfers: Arc<AtomicUsize>,
    /// The tier each tiered pool was last served from, to log changes.
    tiers: std::sync::Mutex<std::collections::HashMap<(Name, &'static str), Option<u8>>>,
    /// Response rate limiting over UDP, when configured.
    pub rrl: ArcSwapOption<Rrl>,
    notify: OnceLock<NotifyHandler>,
    pub counters: ServerCounters,
    pub(super) image_limits: ImageLimits,
}

/// The zones and health as they are now, loaded once for a batch of queries: a load per
/// query costs more than the lookup it serves.
pub struct Current {
    pub(super) zones: arc_swap::Guard<Arc<ZoneSet>>,
    pub(super) health: arc_swap::Guard<Arc<Snapshot>>,
}

/// Answers a NOTIFY request: (request, its bytes, sender) → response bytes.
pub type NotifyHandler = Box<dyn Fn(&Message, &[u8], IpAddr) -> Vec<u8> + Send + Sync>;

impl Engine {
    /// An engine answering from `zones`.
    pub fn new(zones: Arc<Store>) -> Arc<Engine> {
        Engine::with_image_limits(zones, ImageLimits::default())
    }

    /// An engine that encodes wire images within `limits` (see [`ImageLimits`]). Every
    /// zone set the store swaps in has its eager images encoded first.
    pub fn with_image_limits(zones: Arc<Store>, limits: ImageLimits) -> Arc<Engine> {
        let engine = Arc::new(Engine {
            zones: zones.clone(),
            health: ArcSwap::from_pointee(Snapshot::default()),
            xfr: ArcSwap::from_pointee(transfer::Policy::default()),
            transfers: Arc::default(),
            rrl: ArcSwapOption::empty(),
            tiers: Default::default(),
            notify: OnceLock::new(),
            counters: ServerCounters::default(),
            image_limits: limits,
        });
        // Weak: the engine holds the store, and the store holds this hook; a strong
        // reference back would be a cycle that is never freed.
        let weak = Arc::downgrade(&engine);
        zones.set_prepare(Box::new(move |set| {
            if let Some(e) = weak.upgrade() {
                e.prepare(set);
            }
        }));
        engine
    }

    /// Installs the NOTIFY handler (the secondary-zone manager); NOTIMP until then.
    pub fn set_notify_handler(&self, h: NotifyHandler) {
        let _ = self.notify.set(h);
    }

    /// Replaces the health snapshot atomically, and logs each tiered pool whose served
    /// tier changed with it (once per change, like a transition; never per query).
    pub fn set_health(&self, health: Snapshot) {
        let health = Arc::new(health);
        self.health.store(health.clone());
        let zones = self.zones.load();
        let mut last = self.tiers.lock().unwrap_or_else(|p| p.into_inner());
        for (name, _, plan) in zones.balanced() {
            if plan.tiers < 2 {
                continue;
            }
            let family = if plan.addrs.first().is_some_and(IpAddr::is_ipv6) {
                "ipv6"
            } else {
                "ipv4"
            };
            let now = balance::served_tier(plan, &*health).map(|(t, _)| t + 1);
            let before = last.insert((name.clone(), family), now);
            if before.is_some_and(|b| b != now) || (before.is_none() && now != Some(1)) {
                match now {
                    Some(t) => {
                        tracing::warn!(pool = %name, family, tier = t, "failover: tier {t} served now")
                    }
                    None => {
                        tracing::warn!(pool = %name, family, "failover: no tier has an address up; all_down applies")
                    }
                }
            }
        }
    }

    pub fn zones(&self) -> Arc<ZoneSet> {
        self.zones.get()
    }

    /// Applies the settings of `cfg` that the engine holds: who may transfer zones out,
    /// and response rate limiting (at start and on reload).
    pub fn configure(&self, cfg: &crate::config::Config) {
        self.set_xfr_policy(transfer::Policy::from_config(cfg));
        self.set_rrl(cfg.rrl);
    }

    /// Sets response rate limiting (start and reload); counts are kept when the
    /// settings are unchanged.
    pub fn set_rrl(&self, cfg: Option<RrlConfig>) {
        let current = self.rrl.load();
        if current.as_ref().map(|r| r.config()) == cfg.as_ref() {
            return;
        }
        self.rrl.store(cfg.map(|c| Arc::new(Rrl::new(c))));
    }

    /// Replaces who may transfer zones out (reload).
    pub fn set_xfr_policy(&self, policy: transfer::Policy) {
        self.xfr.store(Arc::new(policy));
    }

    /// Answers one request that came over TCP: a transfer request may need many messages.
    pub fn handle_tcp(&self, req: &[u8], peer: IpAddr) -> TcpReply {
        if let Some(t) = self.transfer(req, peer, false) {
            return TcpReply::Transfer(Box::new(t));
        }
        match self.handle(req, Transport::Tcp, peer) {
            Some(m) => TcpReply::One(m),
            None => TcpReply::None,
        }
    }

    /// AXFR/IXFR requests go to [`transfer`]; `None` for anything else.
    fn transfer(&self, req: &[u8], peer: IpAddr, udp: bool) -> Option<transfer::Outgoing> {
        if req.len() < 12 || req[2] & 0xf8 != 0 {
            return None; // a response, or an opcode other than QUERY
        }
        // Most requests are not transfers: look at the raw QTYPE before decoding anything.
        if !matches!(raw_qtype(req), Some(TYPE_IXFR | TYPE_AXFR)) {
            return None;
        }
        let msg = Message::from_vec(req).ok()?;
        let q = msg.queries.first()?;
        if !matches!(q.query_type, RecordType::AXFR | RecordType::IXFR)
            || q.query_class != DNSClass::IN
        {
            return None;
        }
        if udp && q.query_type == RecordType::AXFR {
            // RFC 5936 §4.2: AXFR is a TCP-only exchange.
            let m = transfer::error(&msg, ResponseCode::FormErr);
            return Some(transfer::Outgoing::single(m));
        }
        let zones = self.zones.load();
        let zone = zones.find(&q.name);
        let policy = self.xfr.load();
        let out = transfer::answer(&msg, req, zone, peer, &policy, udp, &self.transfers);
        zone.map_or(&self.counters.no_zone, |z| &*z.counters)
            .count(q.query_type, out.rcode);
        Some(out)
    }

    pub fn health(&self) -> Arc<Snapshot> {
        self.health.load_full()
    }

    /// Answers one request. Returns `None` when the request must be dropped (too short to
    /// carry a header, or itself a response).
    pub fn handle(&self, req: &[u8], transport: Transport, peer: IpAddr) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.handle_into(req, transport, peer, &mut out)
            .then_some(out)
    }

    /// Answers one request into `out` (a buffer the caller reuses). Returns false when the
    /// request must be dropped. Plain queries whose answer has a wire image take the fast
    /// path ([`super::fast`]); everything else is decoded in full.
    pub fn handle_into(
        &self,
        req: &[u8],
        transport: Transport,
        peer: IpAddr,
        out: &mut Vec<u8>,
    ) -> bool {
        self.handle_with(&self.current(), req, transport, peer, out)
    }

    /// The zones and health to answer the next queries from.
    pub fn current(&self) -> Current {
        Current {
            zones: self.zones.load(),
            health: self.health.load(),
        }
    }

    /// [`Engine::handle_into`] with zones and health loaded by the caller (the UDP loop
    /// loads them once per batch).
    pub fn handle_with(
        &self,
        now: &Current,
        req: &[u8],
        transport: Transport,
        peer: IpAddr,
        out: &mut Vec<u8>,
    ) -> bool {
        if req.len() < 12 {
            return false;
        }
        // Defence in depth: a bug must cost one SERVFAIL, not a socket thread.
        let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if self.fast(now, req, transport, out) {
                return Some(true);
            }
            if transport == Transport::Udp
                && let Some(mut t) = self.transfer(req, peer, true)
            {
                return t.next_message().map(|m| {
                    *out = m;
                    true
                });
            }
            self.handle_inner(req, transport, peer).map(|m| {
                *out = m;
                true
            })
        }));
        match answered {
            Ok(r) => r.unwrap_or(false),
            Err(_) => {
                tracing::error!("internal error while answering a query; sent SERVFAIL");
                *out = servfail(req);
                true
            }
        }
    }

    /// The fast path alone: `None` when it leaves the request to the full path. For tests
    /// and comparisons; servers call [`Engine::handle_into`].
    pub fn handle_fast(&self, req: &[u8], transport: Transport) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        (req.len() >= 12 && self.fast(&self.current(), req, transport, &mut out)).then_some(out)
    }

    /// The full path alone (no wire images). For tests and comparisons.
    pub fn handle_full(&self, req: &[u8], transport: Transport, peer: IpAddr) -> Option<Vec<u8>> {
        if req.len() < 12 {
            return None;
        }
        self.handle_inner(req, transport, peer)
    }

    fn handle_inner(&self, req: &[u8], transport: Transport, peer: IpAddr) -> Option<Vec<u8>> {
        if req[2] & 0x80 != 0 {
            return None;
        }
        let msg = match Message::from_vec(req) {
            Ok(m) => m,
            Err(e) => {
                if noise::global().allow(noise::Kind::Malformed) {
                    tracing::info!(%peer, "malformed request answered FORMERR: {e}");
                }
                self.counters
                    .no_zone
                    .count(RecordType::Unknown(0), ResponseCode::FormErr);
                return Some(formerr(req));
            }
        };
        if msg.op_code == OpCode::Notify
            && let Some(handler) = self.notify.get()
        {
            return Some(handler(&msg, req, peer));
        }
        let (resp, counters) = self.respond(&msg, transport);
        let qtype = msg
            .queries
            .first()
            .map_or(RecordType::Unknown(0), |q| q.query_type);
        counters
            .as_deref()
            .unwrap_or(&self.counters.no_zone)
            .count(qtype, resp.response_code);
        let bytes = encode(&resp, &msg, transport)?;
        if bytes.len() > 2 && bytes[2] & 0x02 != 0 {
            self.counters.truncated.fetch_add(1, Ordering::Relaxed);
        }
        Some(bytes)
    }

    /// Builds the response; also returns the counters of the zone that answered.
    fn respond(
        &self,
        req: &Message,
        transport: Transport,
    ) -> (Message, Option<Arc<QueryCounters>>) {
        let mut resp = Message::new(req.id, MessageType::Response, req.op_code);
        resp.metadata.recursion_desired = req.recursion_desired;
        resp.metadata.checking_disabled = req.checking_disabled;
        resp.add_queries(req.queries.iter().cloned());
        if let Some(e) = &req.edns {
            resp.set_edns(response_edns(e));
            // RFC 6891 §6.1.3: an unknown EDNS version gets BADVERS and nothing else.
            if e.version() > 0 {
                resp.metadata.response_code = ResponseCode::BADVERS;
                return (resp, None);
            }
        }
        if req.op_code != OpCode::Query {
            resp.metadata.response_code = ResponseCode::NotImp;
            return (resp, None);
        }
        let [q] = req.queries.as_slice() else {
            // RFC 9619: a query has one question. The FORMERR is the header alone, as NSD
            // sends it: echoing 3,000 questions made a reply larger than the request.
            resp.metadata.response_code = ResponseCode::FormErr;
            resp.queries.clear();
            return (resp, None);
        };
        let mut counters = None;
        // QCLASS ANY (255) asks for every class; our zones are all IN, so it gets the IN
        // data (RFC 1035 §3.2.5), as NSD answers.
        match (q.query_class, q.query_type) {
            (DNSClass::CH, _) => chaos(q, &mut resp),
            (DNSClass::IN | DNSClass::ANY, RecordType::AXFR | RecordType::IXFR) => {
                // Only reached for a question [`raw_qtype`] could not read: refuse.
                resp.metadata.response_code = ResponseCode::Refused;
            }
            (DNSClass::IN | DNSClass::ANY, RecordType::OPT) => {
                resp.metadata.response_code = ResponseCode::FormErr;
            }
            (DNSClass::IN | DNSClass::ANY, _) => {
                counters = self.answer(q, transport, &mut resp);
                if q.query_class == DNSClass::ANY {
                    // Not authoritative for every class (RFC 6895 §3.3.1), so AA=0 and
                    // no SOA to vouch for a negative answer, as NSD answers.
                    resp.metadata.authoritative = false;
                    resp.authorities
                        .retain(|r| r.record_type() != RecordType::SOA);
                }
            }
            _ => resp.metadata.response_code = ResponseCode::Refused,
        }
        (resp, counters)
    }

    fn answer(
        &self,
        q: &Query,
        transport: Transport,
        resp: &mut Message,
    ) -> Option<Arc<QueryCounters>> {
        let zones = self.zones.load();
        let Some(zone) = zones.find_for(&q.name, q.query_type) else {
            // A secondary zone without data (not yet transferred, or expired) fails
            // rather than being refused (RFC 1035 §4.3.5).
            resp.metadata.response_code = if zones.is_unavailable(&q.name) {
                ResponseCode::ServFail
            } else {
                ResponseCode::Refused
            };
            return None;
        };
        let counters = zone.counters.clone();
        // RFC 3225 §3: DO (copied to the response's OPT) asks for the DNSSEC records.
        let dnssec = resp.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok);
        self.fill(zone, q, transport, dnssec, resp, None);
        Some(counters)
    }

    /// Encodes the answer for `owner`/`rtype` once, as a wire image for the fast path:
    /// the same path as any query, with every address of a balanced set kept in place so
    /// that each query can pick its own.
    pub(super) fn image(
        &self,
        zone: &Zone,
        owner: &Name,
        rtype: RecordType,
        dnssec: bool,
    ) -> Box<Option<Image>> {
        let q = Query::query(owner.clone(), rtype);
        let mut resp = Message::new(0, MessageType::Response, OpCode::Query);
        resp.add_query(q.clone());
        let mut balanced = Vec::new();
        self.fill(
            zone,
            &q,
            Transport::Tcp,
            dnssec,
            &mut resp,
            Some(&mut balanced),
        );
        // A subset signed online has a signature of its own per answer: no image.
        if dnssec && zone.signer.is_some() && balanced.iter().any(|b| !b.plan.whole) {
            return Box::new(None);
        }
        let bytes = resp.to_vec().ok();
        Box::new(bytes.and_then(|b| Image::from_response(&b, &balanced)))
    }

    /// Fills the sections of `resp`, signed with `dnssec`. With `template`, balanced sets
    /// are written whole and their places recorded instead of being balanced.
    fn fill(
        &self,
        zone: &Zone,
        q: &Query,
        transport: Transport,
        dnssec: bool,
        resp: &mut Message,
        template: Option<&mut Vec<Balanced>>,
    ) {
        let health = self.health.load();
        let tcp = transport == Transport::Tcp;
        let res = resolve(zone, &q.name, q.query_type, tcp, dnssec);
        resp.metadata.authoritative = res.kind != Kind::Referral;
        match res.kind {
            Kind::NxDomain => resp.metadata.response_code = ResponseCode::NXDomain,
            Kind::YxDomain => resp.metadata.response_code = ResponseCode::YXDomain,
            Kind::Found | Kind::Referral => {}
        }
        let mut w = Writer {
            health: &health,
            failed: false,
            emptied: false,
            template,
            section: Section::Answer,
            base: 0,
            scratch: Scratch::default(),
            served: None,
            signer: zone.signer.as_deref(),
        };
        let answers = w.records(&res.answer, true);
        let mut authority = Vec::new();
        let negative_ttl = zone.negative_ttl();
        w.section = Section::Authority;
        for p in &res.authority {
            w.base = authority.len();
            let mut rs = w.records(std::slice::from_ref(p), false);
            if res.negative && covers(p, RecordType::SOA) {
                // RFC 2308 §3: the SOA of a negative answer (and so its signature) has
                // TTL min(TTL, MINIMUM).
                rs.iter_mut().for_each(|r| r.ttl = r.ttl.min(negative_ttl));
            }
            authority.extend(rs);
        }
        (w.section, w.base) = (Section::Additional, 0);
        let additional = w.records(&res.additional, false);
        if w.failed {
            resp.metadata.response_code = ResponseCode::ServFail;
            return;
        }
        resp.add_answers(answers);
        if w.emptied && resp.answers.is_empty() && !res.negative {
            // `all_down: none`: every address is down, so answer NODATA with the SOA.
            if let Some(soa) = zone
                .nodes
                .get(&zone.origin)
                .and_then(|n| n.get(RecordType::SOA))
            {
                authority.push(soa.record(&zone.origin, 0, soa.ttl.min(negative_ttl)));
            }
        }
        resp.add_authorities(authority);
        resp.add_additionals(additional);
    }
}

/// Turns pieces into records, balancing address RRsets that have a plan.
struct Writer<'h, 't> {
    health: &'h Snapshot,
    /// An `all_down: servfail` pool had no address to serve.
    failed: bool,
    /// An `all_down: none` pool had no address to serve.
    emptied: bool,
    /// Building an image: balanced sets are written whole and noted here.
    template: Option<&'t mut Vec<Balanced>>,
    /// The section being written and how many records it already holds.
    section: Section,
    base: usize,
    scratch: Scratch,
    /// The last balanced set served: its signatures follow it.
    served: Option<Served>,
    /// Signs balanced subsets when the zone is signed and has a key.
    signer: Option<&'h Signer>,
}

/// A balanced set as served: its type, the TTL it was served with, and with a signer,
/// the RDATA of the addresses served (4 or 16 octets each) to sign.
struct Served {
    rtype: RecordType,
    ttl: u32,
    rdata: Option<Vec<u8>>,
}

impl Writer<'_, '_> {
    fn records(&mut self, pieces: &[Piece<'_>], in_answer: bool) -> Vec<Record> {
        let mut out = Vec::new();
        for p in pieces {
            let set: &RRset = &p.rrset;
            // The signatures of a balanced set served with a lower TTL (the cap, or the
            // health-aware TTL) get that TTL: a validator takes the lowest of the two
            // and the RRSIG's original TTL anyway (RFC 4035 §5.3.3).
            if let Some(served) = self.served.take()
                && set.rtype == RecordType::RRSIG
                && covers(p, served.rtype)
            {
                match (self.signer, &served.rdata) {
                    (Some(signer), Some(rdata)) => out.push(sign_subset(signer, p, &served, rdata)),
                    _ => out.extend(set.records(&p.owner, set.ttl.min(served.ttl))),
                }
                continue;
            }
            if let (Some(plan), Some(template)) = (&set.plan, self.template.as_deref_mut()) {
                let ttl = set.ttl.min(plan.policy.ttl);
                template.push(Balanced {
                    section: self.section,
                    first: self.base + out.len(),
                    count: set.data.len(),
                    plan: plan.clone(),
                    ttl,
                    in_answer,
                });
                out.extend(set.records(&p.owner, ttl));
                self.served = Some(Served {
                    rtype: set.rtype,
                    ttl,
                    rdata: None,
                });
                continue;
            }
            let Some(plan) = &set.plan else {
                out.extend(set.records(&p.owner, set.ttl));
                continue;
            };
            let s = &mut self.scratch;
            match balance::select_into(plan, self.health, &mut ThreadRandom, s) {
                Verdict::Serve { degraded, .. } => {
                    let ttl = set.ttl.min(plan.policy.ttl);
                    let ttl = plan.served(ttl, degraded, in_answer, s.picks.first().copied());
                    out.extend(s.picks.iter().map(|&i| set.record(&p.owner, i, ttl)));
                    // A subset is signed by us; a set served whole keeps the zone's own
                    // signature.
                    let rdata = (self.signer.is_some() && !plan.whole).then(|| {
                        let mut bytes = Vec::with_capacity(s.picks.len() * 16);
                        for ip in s.picks.iter().filter_map(|&i| set.data[i].ip()) {
                            match ip {
                                IpAddr::V4(a) => bytes.extend_from_slice(&a.octets()),
                                IpAddr::V6(a) => bytes.extend_from_slice(&a.octets()),
                            }
                        }
                        bytes
                    });
                    self.served = Some(Served {
                        rtype: set.rtype,
                        ttl,
                        rdata,
                    });
                }
                Verdict::NoData if in_answer => self.emptied = true,
                Verdict::ServFail if in_answer => self.failed = true,
                Verdict::NoData | Verdict::ServFail => {}
            }
        }
        out
    }
}

/// The RRSIG over a balanced subset, made (or reused) with the zone's key, in place of
/// the zone's own signatures over the whole set (`p`): same labels, the served TTL as
/// its original TTL (RFC 4034 §3.1.4), so that a validator accepts the subset.
fn sign_subset(signer: &Signer, p: &Piece<'_>, served: &Served, rdata: &[u8]) -> Record {
    // The zone's RRSIG gives the label count, which tells a wildcard answer (RFC 4035
    // §5.3.2); every RRSIG over one RRset has the same.
    let labels = (p.rrset.data.first())
        .and_then(|d| match d.other()? {
            RData::Unknown { rdata, .. } => rdata.anything.get(3).copied(),
            _ => None,
        })
        .unwrap_or(p.owner.num_labels());
    let owner = crate::sign::rrsig::canonical_owner(&p.owner, labels);
    let size = if served.rtype == RecordType::A { 4 } else { 16 };
    let rrsig = signer.rrsig(
        &owner,
        labels,
        u16::from(served.rtype),
        served.ttl,
        rdata.chunks(size).collect(),
    );
    let rdata = RData::Unknown {
        code: RecordType::RRSIG,
        rdata: crate::wire::opaque(rrsig.to_vec()),
    };
    Record::from_rdata(p.owner.clone(), served.ttl, rdata)
}

/// True when piece `p` is the RRset of type `t` or the signatures over it.
fn covers(p: &Piece<'_>, t: RecordType) -> bool {
    p.rrset.rtype == t
        || (p.rrset.rtype == RecordType::RRSIG
            && (p.rrset.data.first())
                .and_then(|d| crate::zone::rrsig::covered(d.other()?))
                .is_some_and(|c| c == u16::from(t)))
}

/// The type of a record, or for an RRSIG the type it covers: an RRset and its
/// signatures go together.
fn covered_type(r: &Record) -> u16 {
    match r.record_type() {
        RecordType::RRSIG => crate::zone::rrsig::covered(&r.data).unwrap_or(0),
        t => u16::from(t),
    }
}

/// The QTYPE of the first question, read from the wire without decoding the message
/// (`None` when there is no plain, uncompressed question).
fn raw_qtype(req: &[u8]) -> Option<u16> {
    if u16::from_be_bytes([*req.get(4)?, *req.get(5)?]) == 0 {
        return None;
    }
    let i = crate::wire::request::name_end(req, crate::wire::request::QUESTION)?;
    Some(u16::from_be_bytes([*req.get(i)?, *req.get(i + 1)?]))
}

/// RFC 6891 §6.1.1: a request with OPT gets an OPT back; DO is copied (RFC 3225 §3).
fn response_edns(req: &Edns) -> Edns {
    let mut e = Edns::new();
    e.set_max_payload(MAX_UDP_PAYLOAD);
    e.set_version(0);
    e.set_dnssec_ok(req.flags().dnssec_ok);
    e
}

/// CHAOS class: `version.bind` / `version.server` TXT (RFC 4892 style); the rest REFUSED.
fn chaos(q: &Query, resp: &mut Message) {
    let name = q.name.to_lowercase().to_ascii();
    let is_version = matches!(name.as_str(), "version.bind." | "version.server.");
    if !is_version || !matches!(q.query_type, RecordType::TXT | RecordType::ANY) {
        resp.metadata.response_code = ResponseCode::Refused;
        return;
    }
    let text = format!("rrdns {}", env!("CARGO_PKG_VERSION"));
    let mut r = Record::from_rdata(q.name.clone(), 0, RData::TXT(TXT::new(vec![text])));
    r.dns_class = DNSClass::CH;
    resp.metadata.authoritative = true;
    resp.add_answer(r);
}

/// FORMERR for a request whose header is readable but whose body is not (RFC 1035
/// §4.1.1): the header with ID, opcode and RD echoed, no sections.
fn formerr(req: &[u8]) -> Vec<u8> {
    header_only(req, ResponseCode::FormErr)
}

fn servfail(req: &[u8]) -> Vec<u8> {
    header_only(req, ResponseCode::ServFail)
}

fn header_only(req: &[u8], rcode: ResponseCode) -> Vec<u8> {
    let id = u16::from_be_bytes([req[0], req[1]]);
    let op = OpCode::from_u8((req[2] >> 3) & 0x0f);
    let mut m = Message::new(id, MessageType::Response, op);
    m.metadata.recursion_desired = req[2] & 0x01 != 0;
    m.metadata.response_code = rcode;
    m.to_vec().unwrap_or_default()
}

/// The largest response for a request over `transport` that advertised `edns_payload`
/// (`None`: no OPT record): 512 bytes without EDNS (RFC 1035 §4.2.1), the client's size
/// within 512..=1232 with it, and the TCP message limit over TCP.
pub(super) fn size_limit(transport: Transport, edns_payload: Option<u16>) -> usize {
    match (transport, edns_payload) {
        (Transport::Tcp, _) => u16::MAX as usize,
        (Transport::Udp, Some(size)) => {
            usize::from(size).clamp(PLAIN_UDP_PAYLOAD, usize::from(MAX_UDP_PAYLOAD))
        }
        (Transport::Udp, None) => PLAIN_UDP_PAYLOAD,
    }
}

/// Encodes a response within the transport's size limit. Over UDP an answer larger than
/// min(client size, 1232) is truncated: additional RRsets are dropped from the last (A
/// records last of all), each with its signatures (RFC 4035 §3.1.1: no TC for those), but never the glue below a
/// referral's cut (RFC 9471 §3); if it still does not fit, TC is set with only the
/// question and OPT kept.
fn encode(resp: &Message, req: &Message, transport: Transport) -> Option<Vec<u8>> {
    let bytes = resp.to_vec().ok()?;
    let limit = size_limit(transport, req.edns.as_ref().map(Edns::max_payload));
    if bytes.len() <= limit {
        return Some(bytes);
    }
    let cut = match resp.authoritative {
        true => None,
        false => (resp.authorities.iter())
            .find(|r| r.record_type() == RecordType::NS)
            .map(|r| r.name.clone()),
    };
    let required = |r: &Record| cut.as_ref().is_some_and(|c| c.zone_of(&r.name));
    let mut slim = resp.clone();
    // Other types go before A records, so that each server named keeps an address
    // longest, as NSD does.
    let a = u16::from(RecordType::A);
    let next = |add: &[Record]| {
        (add.iter()
            .rposition(|r| !required(r) && covered_type(r) != a))
        .or_else(|| add.iter().rposition(|r| !required(r)))
    };
    while let Some(last) = next(&slim.additionals) {
        let (name, t) = (
            slim.additionals[last].name.clone(),
            covered_type(&slim.additionals[last]),
        );
        slim.additionals
            .retain(|r| !(r.name == name && covered_type(r) == t && !required(r)));
        if let Ok(b) = slim.to_vec()
            && b.len() <= limit
        {
            return Some(b);
        }
    }
    let mut tc = Message::new(resp.id, MessageType::Response, resp.op_code);
    tc.metadata = resp.metadata;
    tc.metadata.truncation = true;
    tc.add_queries(resp.queries.iter().cloned());
    if let Some(e) = &resp.edns {
        tc.set_edns(e.clone());
    }
    tc.to_vec().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_qtype_reads_the_question_type() {
        let mut q = vec![0u8, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x04test\x00\x00\xfc\x00\x01");
        assert_eq!(raw_qtype(&q), Some(252));
        q[5] = 0;
        assert_eq!(raw_qtype(&q), None, "no question");
        assert_eq!(raw_qtype(&q[..14]), None);
        let compressed = [0u8, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 252, 0, 1];
        assert_eq!(raw_qtype(&compressed), None);
    }
}
