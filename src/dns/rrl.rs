//! Response rate limiting (RRL), as NSD, Knot and BIND do it: an authoritative server
//! answers a forged-source flood with responses sent to the victim, so each client
//! prefix gets at most `responses_per_second` responses of one kind per second over UDP.
//! Past that, responses are dropped, except every `slip`th, which is sent truncated
//! (TC=1, no records): a real client behind the prefix retries over TCP, which a forged
//! source cannot, so real clients are still served and the flood is not amplified.
//!
//! A kind is what the response says: a positive answer or NODATA counts per query name
//! and type; NXDOMAIN and errors count per prefix alone, so that a flood of random names
//! (each asked once) is limited too; and as NSD counts them, answers synthesised from a
//! wildcard count per wildcard and referrals per delegation, whatever name was asked.
//! TCP is never limited: its source is proven.
//!
//! Counts live in a fixed table of atomics indexed by a keyed hash (a collision only
//! makes two kinds share a count): no lock, no allocation, bounded memory whatever the
//! number of clients.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::config::RrlConfig;
use crate::wire::name::{Lowered, hash};
use crate::zone::ZoneSet;

/// Slots in the table: 2^16 of 8 bytes.
const SLOTS: usize = 1 << 16;

/// What to do with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Send it truncated, with no records.
    Slip,
    Drop,
}

pub struct Rrl {
    cfg: RrlConfig,
    epoch: Instant,
    /// Per slot: the second it counts (high 32 bits) and the responses in it.
    slots: Box<[AtomicU64]>,
    seed: u32,
    pub dropped: AtomicU64,
    pub slipped: AtomicU64,
}

impl Rrl {
    pub fn new(cfg: RrlConfig) -> Rrl {
        Rrl {
            cfg,
            epoch: Instant::now(),
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            seed: fastrand::u32(..),
            dropped: AtomicU64::new(0),
            slipped: AtomicU64::new(0),
        }
    }

    pub fn config(&self) -> &RrlConfig {
        &self.cfg
    }

    /// Counts `response` (wire form) to `client` and says what to do with it.
    #[cfg(test)]
    pub fn check(&self, client: IpAddr, response: &[u8]) -> Verdict {
        self.check_in(None, client, response)
    }

    /// [`Rrl::check`] with the zones answered from, which tell a referral or an answer
    /// synthesised from a wildcard, counted by the delegation or the wildcard's parent
    /// as NSD counts them, from an answer for the name itself.
    pub fn check_in(&self, zones: Option<&ZoneSet>, client: IpAddr, response: &[u8]) -> Verdict {
        let Some(key) = self.key(zones, client, response) else {
            return Verdict::Send;
        };
        let now = self.epoch.elapsed().as_secs() as u32;
        let slot = &self.slots[key as usize % SLOTS];
        let mut cur = slot.load(Ordering::Relaxed);
        let count = loop {
            let (second, count) = ((cur >> 32) as u32, cur as u32);
            let count = if second == now {
                count.saturating_add(1)
            } else {
                1
            };
            let next = (u64::from(now) << 32) | u64::from(count);
            match slot.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break count,
                Err(actual) => cur = actual,
            }
        };
        let over = count.saturating_sub(self.cfg.responses_per_second);
        if over == 0 {
            Verdict::Send
        } else if self.cfg.slip > 0 && over % self.cfg.slip == 0 {
            self.slipped.fetch_add(1, Ordering::Relaxed);
            Verdict::Slip
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            Verdict::Drop
        }
    }

    /// The hash of (client prefix, kind) for a response; `None` for one not limited.
    /// The seed goes in first, so that a client cannot aim collisions at another.
    fn key(&self, zones: Option<&ZoneSet>, client: IpAddr, response: &[u8]) -> Option<u32> {
        let (flags, qdcount) = (response.get(3)?, response.get(4..6)?);
        let mut buf = [0u8; 4 + 17 + 255 + 2];
        buf[..4].copy_from_slice(&self.seed.to_le_bytes());
        self.prefix(client, &mut buf[4..21]);
        // 0: answer or NODATA, by name and type; 1: NXDOMAIN; 2: errors.
        buf[21] = match flags & 0x0f {
            0 => 0,
            3 => 1,
            _ => 2,
        };
        let mut len = 22;
        if buf[21] == 0 && qdcount == [0, 1] {
            let q = question(response)?;
            let mut low = Lowered::empty();
            // 3: synthesised from a wildcard, by the wildcard's parent; 4: a referral,
            // by the delegation. A flood of random names under either is one kind.
            // The question is the name and its type (two octets).
            let by = zones.and_then(|z| source(z, &q[..q.len() - 2], &mut low));
            let name = match by {
                Some((kind, at)) => {
                    buf[21] = kind;
                    low.suffix(at).0
                }
                None => q,
            };
            for (i, b) in name.iter().enumerate() {
                buf[len + i] = b.to_ascii_lowercase();
            }
            len += name.len();
        }
        Some(hash(&buf[..len]))
    }

    /// Writes the client's family and prefix into `out` (17 bytes).
    fn prefix(&self, client: IpAddr, out: &mut [u8]) {
        let client = match client {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(client, IpAddr::V4),
            v4 => v4,
        };
        let (octets, bits) = match client {
            IpAddr::V4(a) => {
                out[1..5].copy_from_slice(&a.octets());
                (4, self.cfg.ipv4_prefix)
            }
            IpAddr::V6(a) => {
                out[0] = 1;
                out[1..17].copy_from_slice(&a.octets());
                (16, self.cfg.ipv6_prefix)
            }
        };
        let bits = usize::from(bits).min(octets * 8);
        for (i, b) in out[1..1 + octets].iter_mut().enumerate() {
            let keep = bits.saturating_sub(i * 8).min(8);
            *b &= !(0xffu16 >> keep) as u8;
        }
    }
}

/// Where a positive response for `qname` (wire form) comes from, when not from the name
/// itself: `(3, k)` for an answer synthesised from the wildcard below the closest
/// encloser, `(4, k)` for a referral from the delegation point, `k` labels above the
/// name (a suffix of `low`, which is set to the name). `None` for a name of the zone.
fn source(zones: &ZoneSet, qname: &[u8], low: &mut Lowered) -> Option<(u8, usize)> {
    if !low.set(qname) {
        return None;
    }
    let (zone, skip) = zones.find_wire(low)?;
    let mut closest = None;
    for k in 0..=skip {
        let Some(node) = zone.nodes.get_wire(low.suffix(k)) else {
            continue;
        };
        if node.cut && k < skip {
            return Some((4, k));
        }
        closest.get_or_insert(k);
        if !node.below_cut {
            break;
        }
    }
    match closest {
        Some(0) | None => None,
        Some(k) => Some((3, k)),
    }
}

/// The question of a response (name and type, uncompressed as it is written back).
fn question(msg: &[u8]) -> Option<&[u8]> {
    let mut i = 12;
    loop {
        let len = usize::from(*msg.get(i)?);
        if len == 0 {
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        i += 1 + len;
    }
    msg.get(12..i + 3)
}

/// Turns `response` into its truncated form: the header with TC set and the question,
/// no records.
pub fn truncate(response: &mut Vec<u8>) {
    let end = question(response).map_or(12, |q| 12 + q.len() + 2);
    if response.len() < end {
        return;
    }
    response.truncate(end);
    response[2] |= 0x02;
    response[6..12].fill(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(name: &[u8], rcode: u8) -> Vec<u8> {
        let mut m = vec![0, 1, 0x84, rcode, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(name);
        m.extend_from_slice(&[0, 1, 0, 1]);
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        m
    }

    fn rrl(rate: u32, slip: u32) -> Rrl {
        Rrl::new(RrlConfig {
            responses_per_second: rate,
            slip,
            ..RrlConfig::default()
        })
    }

    #[test]
    fn past_the_rate_every_slipth_is_truncated_and_the_rest_dropped() {
        let r = rrl(5, 2);
        let m = response(b"\x03www\x04test\x00", 0);
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let verdicts: Vec<Verdict> = (0..11).map(|_| r.check(a, &m)).collect();
        assert!(verdicts[..5].iter().all(|v| *v == Verdict::Send));
        assert_eq!(
            &verdicts[5..],
            &[
                Verdict::Drop,
                Verdict::Slip,
                Verdict::Drop,
                Verdict::Slip,
                Verdict::Drop,
                Verdict::Slip
            ]
        );
        // Another address of the same /24 shares the count; another /24 does not.
        assert_eq!(r.check("192.0.2.200".parse().unwrap(), &m), Verdict::Drop);
        assert_eq!(r.check("192.0.3.7".parse().unwrap(), &m), Verdict::Send);
        // Another name has a count of its own; NXDOMAINs share one whatever the name.
        assert_eq!(
            r.check(a, &response(b"\x04mail\x04test\x00", 0)),
            Verdict::Send
        );
        let nx = |n: &[u8]| r.check("198.51.100.1".parse().unwrap(), &response(n, 3));
        let sent = (0..20)
            .filter(|i| nx(format!("\x02r{}\x04test\x00", i % 10).as_bytes()) == Verdict::Send)
            .count();
        assert_eq!(sent, 5);
    }

    #[test]
    fn slip_zero_drops_everything_past_the_rate() {
        let r = rrl(1, 0);
        let m = response(b"\x01a\x00", 0);
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(r.check(a, &m), Verdict::Send);
        assert!((0..10).all(|_| r.check(a, &m) == Verdict::Drop));
        // The same /56 shares it.
        assert_eq!(
            r.check("2001:db8:0:ff::1".parse().unwrap(), &m),
            Verdict::Drop
        );
    }

    #[test]
    fn a_truncated_response_keeps_header_and_question() {
        let mut m = response(b"\x03www\x04test\x00", 0);
        truncate(&mut m);
        assert_eq!(m.len(), 12 + 10 + 4);
        assert_eq!(m[2] & 0x02, 0x02);
        assert_eq!(&m[4..12], &[0, 1, 0, 0, 0, 0, 0, 0]);
    }

    /// As NSD counts them: every answer synthesised from one wildcard is one kind, and so
    /// is every referral from one delegation, whatever random name was asked; names of
    /// the zone keep a count each.
    #[test]
    fn wildcard_answers_and_referrals_count_per_source() {
        let text = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n\
            *.apps A 192.0.2.3\nsub NS ns.sub\nns.sub A 192.0.2.4\n";
        let origin: hickory_proto::rr::Name = "example.test.".parse().unwrap();
        let zone = crate::zone::Zone::from_text(&origin, text, "t").unwrap();
        let yaml = "zones: [{ name: example.test., file: t.zone }]\n";
        let cfg = crate::config::parse(yaml, "t", std::path::Path::new("."));
        let cfg = cfg.unwrap_or_else(|p| panic!("{p:?}"));
        let zones = ZoneSet::default().with_zone(&cfg, zone).unwrap();
        let r = rrl(3, 0);
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let ask = |name: &str| {
            let mut wire = Vec::new();
            for l in name.split('.').filter(|l| !l.is_empty()) {
                wire.push(l.len() as u8);
                wire.extend_from_slice(l.as_bytes());
            }
            wire.push(0);
            r.check_in(Some(&zones), a, &response(&wire, 0))
        };
        for (names, what) in [
            (
                [
                    "a.apps.example.test.",
                    "b.apps.example.test.",
                    "c.x.apps.example.test.",
                ],
                "wildcard",
            ),
            (
                [
                    "a.sub.example.test.",
                    "b.sub.example.test.",
                    "ns.sub.example.test.",
                ],
                "referral",
            ),
        ] {
            for n in names {
                assert_eq!(ask(n), Verdict::Send, "{what} {n}");
            }
            assert_eq!(
                ask(&format!("d.{}", names[0])),
                Verdict::Drop,
                "the 4th {what}"
            );
        }
        for _ in 0..3 {
            assert_eq!(ask("www.example.test."), Verdict::Send);
        }
        assert_eq!(ask("www.example.test."), Verdict::Drop, "a name of its own");
        assert_eq!(ask("ns.example.test."), Verdict::Send, "another name");
    }
}
