//! Online DNSSEC signing of the answers health and weights change (RFC 4035 §2.2).
//!
//! A balanced answer carries a subset of its RRset (some addresses are down, drained,
//! or not drawn), and the zone's own signature covers only the whole set: a validator
//! would reject the subset as bogus (RFC 4035 §5.3). With the zone's key, rrdns signs
//! the subset it serves, with the TTL it serves it with as the original TTL, and keeps
//! the signature for the next answer with the same subset ([`cache`]).

mod cache;
pub mod denial;
pub mod key;
pub mod rrsig;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use key::Key;
use rrsig::Fields;

/// Signature inception this far in the past: validators whose clocks are behind still
/// accept a fresh signature (BIND's dnssec-signzone uses one hour too).
pub const CLOCK_SKEW: u64 = 3600;

/// How online signatures are made: configured per zone under `dnssec`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub keys: Vec<Arc<Key>>,
    /// From inception to expiration.
    pub validity: Duration,
    /// A signature is made again once it has less than this left before expiry, so
    /// that no resolver holds one past its expiration.
    pub refresh: Duration,
    /// Signatures kept per answering thread.
    pub cache: usize,
    /// Denial of existence when rrdns signs the zone: NSEC3 with these parameters, or
    /// NSEC when `None`.
    pub nsec3: Option<denial::Nsec3Params>,
}

impl Settings {
    pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(7 * 86400);
    pub const DEFAULT_REFRESH: Duration = Duration::from_secs(2 * 86400);
    pub const DEFAULT_CACHE: usize = 10_000;
}

/// Signs subsets of one zone's RRsets with its zone-signing key.
#[derive(Debug)]
pub struct Signer {
    key: Arc<Key>,
    /// The zone apex in canonical wire form (RFC 4034 §3.1.7).
    signer_name: Vec<u8>,
    validity: u64,
    refresh: u64,
    capacity: usize,
    /// Tells this signer's cache entries from another zone's or an earlier load's.
    id: u64,
    /// Signatures made, and answers that reused one.
    pub made: AtomicU64,
    pub reused: AtomicU64,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Signer {
    /// The signer for `settings`: the zone-signing key (no SEP bit) signs answers, or a
    /// key-signing key when it is the only key (a combined signing key). `published`
    /// tells whether a key's DNSKEY is in the zone: an unpublished key is never used,
    /// since nothing could validate its signatures.
    pub fn new(settings: &Settings, published: impl Fn(&Key) -> bool) -> Option<Signer> {
        let usable: Vec<&Arc<Key>> = settings.keys.iter().filter(|k| published(k)).collect();
        let key = usable
            .iter()
            .find(|k| !k.is_ksk())
            .or_else(|| usable.first())?;
        Some(Signer {
            signer_name: rrsig::canonical_owner(&key.owner, key.owner.num_labels()),
            key: Arc::clone(key),
            validity: settings.validity.as_secs(),
            refresh: settings.refresh.as_secs(),
            capacity: settings.cache,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            made: AtomicU64::new(0),
            reused: AtomicU64::new(0),
        })
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The RDATA of an RRSIG over the records `rdatas` (duplicates allowed) of type
    /// `covered` at `owner` (canonical wire form, a wildcard's own name for a wildcard
    /// answer) with `labels` labels, served with `ttl`: from the cache, or signed now.
    pub fn rrsig(
        &self,
        owner: &[u8],
        labels: u8,
        covered: u16,
        ttl: u32,
        mut rdatas: Vec<&[u8]>,
    ) -> Arc<[u8]> {
        rdatas.sort_unstable();
        rdatas.dedup();
        let mut key = Vec::with_capacity(16 + owner.len() + rdatas.len() * 18);
        key.extend_from_slice(&self.id.to_be_bytes());
        key.extend_from_slice(&covered.to_be_bytes());
        key.push(labels);
        key.extend_from_slice(&ttl.to_be_bytes());
        key.extend_from_slice(owner);
        for r in &rdatas {
            key.extend_from_slice(&(r.len() as u16).to_be_bytes());
            key.extend_from_slice(r);
        }
        let now = crate::metrics::unix_now();
        let (entry, made) = cache::get_or_make(&key, now, self.capacity, || {
            let expiration = now + self.validity;
            let f = Fields {
                covered,
                algorithm: self.key.algorithm,
                labels,
                original_ttl: ttl,
                // RFC 4034 §3.1.5: serial number arithmetic on 32 bits.
                expiration: expiration as u32,
                inception: now.saturating_sub(CLOCK_SKEW) as u32,
                key_tag: self.key.tag,
                signer: &self.signer_name,
            };
            cache::Entry {
                rdata: Arc::from(f.sign(&self.key, owner, &mut rdatas)),
                refresh_at: expiration.saturating_sub(self.refresh),
            }
        });
        let counter = if made { &self.made } else { &self.reused };
        counter.fetch_add(1, Ordering::Relaxed);
        entry.rdata
    }
}

#[cfg(test)]
mod tests {
    use super::key::tests::*;
    use super::*;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    fn settings(cache: usize) -> Settings {
        Settings {
            keys: vec![Arc::new(key(P256_DNSKEY, P256_PRIVATE))],
            validity: Settings::DEFAULT_VALIDITY,
            refresh: Settings::DEFAULT_REFRESH,
            cache,
            nsec3: None,
        }
    }

    #[test]
    fn subsets_are_signed_once_and_verify() {
        let s = Signer::new(&settings(100), |_| true).unwrap();
        let owner = rrsig::canonical_owner(&"www.example.net.".parse().unwrap(), 3);
        let (a, b) = ([192, 0, 2, 1], [192, 0, 2, 2]);
        let one = s.rrsig(&owner, 3, 1, 30, vec![&a, &b, &a]);
        let two = s.rrsig(&owner, 3, 1, 30, vec![&b, &a]);
        assert_eq!(one, two, "the same subset reuses its signature");
        assert_eq!(s.made.load(Ordering::Relaxed), 1);
        let other_ttl = s.rrsig(&owner, 3, 1, 10, vec![&b, &a]);
        assert_ne!(one, other_ttl, "the served TTL is signed in");
        assert_eq!(u32::from_be_bytes(other_ttl[4..8].try_into().unwrap()), 10);
        // The signature verifies over the set as a validator rebuilds it.
        let prefix_len = 18 + s.signer_name.len();
        let f = Fields {
            covered: 1,
            algorithm: 13,
            labels: 3,
            original_ttl: 30,
            expiration: u32::from_be_bytes(one[8..12].try_into().unwrap()),
            inception: u32::from_be_bytes(one[12..16].try_into().unwrap()),
            key_tag: 55648,
            signer: &s.signer_name,
        };
        assert_eq!(&one[..prefix_len], &f.prefix()[..]);
        let data = f.signed_data(&owner, &mut vec![&b, &a]);
        let mut point = vec![4];
        point.extend_from_slice(&s.key().dnskey[4..]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
            .verify(&data, &one[prefix_len..])
            .unwrap();
        let (exp, inc) = (f.expiration, f.inception);
        assert_eq!(exp - inc, 7 * 86400 + 3600);
    }

    #[test]
    fn unpublished_keys_are_not_used_and_zone_keys_are_preferred() {
        assert!(Signer::new(&settings(10), |_| false).is_none());
        let mut st = settings(10);
        let zsk = P256_DNSKEY.replace("257 3 13", "256 3 13");
        st.keys.push(Arc::new(key(&zsk, P256_PRIVATE)));
        let s = Signer::new(&st, |_| true).unwrap();
        assert!(!s.key().is_ksk());
    }

    #[test]
    fn the_cache_holds_at_most_its_capacity() {
        let s = Signer::new(&settings(50), |_| true).unwrap();
        let owner = rrsig::canonical_owner(&"w.example.net.".parse().unwrap(), 3);
        std::thread::spawn(move || {
            for i in 0..500u32 {
                let a = i.to_be_bytes();
                s.rrsig(&owner, 3, 1, 30, vec![&a]);
                assert!(cache::held() <= 50);
            }
        })
        .join()
        .unwrap();
    }
}
