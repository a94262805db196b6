//! Signatures already made, per answering thread: a balanced answer is one of a few
//! subsets of its addresses, so nearly every answer reuses a signature. Two generations
//! bound the memory (at most `capacity` entries per thread): entries are added to the
//! young one; when it holds half the capacity it becomes the old one and the previous
//! old one is dropped, and a hit in the old generation moves back to the young one. Per
//! thread, so the query path takes no lock; a subset first asked on two threads is
//! signed twice, which costs a signature, never a wrong answer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// A signature (an RRSIG's RDATA) and when it is to be made again.
#[derive(Clone)]
pub struct Entry {
    pub rdata: Arc<[u8]>,
    /// Seconds since the epoch after which it is not served again.
    pub refresh_at: u64,
}

#[derive(Default)]
struct Generations {
    young: HashMap<Box<[u8]>, Entry>,
    old: HashMap<Box<[u8]>, Entry>,
}

thread_local! {
    static CACHE: RefCell<Generations> = RefCell::new(Generations::default());
}

/// The entry for `key` that is still good at `now`, or a new one from `make`, kept.
/// Returns the entry and whether it was made.
pub fn get_or_make(
    key: &[u8],
    now: u64,
    capacity: usize,
    make: impl FnOnce() -> Entry,
) -> (Entry, bool) {
    CACHE.with(|c| c.borrow_mut().get_or_make(key, now, capacity, make))
}

/// How many signatures this thread holds (for tests).
#[cfg(test)]
pub fn held() -> usize {
    CACHE.with(|c| {
        let c = c.borrow();
        c.young.len() + c.old.len()
    })
}

impl Generations {
    fn get_or_make(
        &mut self,
        key: &[u8],
        now: u64,
        capacity: usize,
        make: impl FnOnce() -> Entry,
    ) -> (Entry, bool) {
        if let Some(e) = self.young.get(key)
            && now < e.refresh_at
        {
            return (e.clone(), false);
        }
        let (entry, made) = match self.old.remove(key) {
            Some(e) if now < e.refresh_at => (e, false),
            _ => (make(), true),
        };
        let half = (capacity / 2).max(1);
        if self.young.len() >= half && !self.young.contains_key(key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key.into(), entry.clone());
        (entry, made)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8, refresh_at: u64) -> Entry {
        Entry {
            rdata: Arc::from(vec![n]),
            refresh_at,
        }
    }

    #[test]
    fn entries_are_reused_until_their_refresh_point() {
        let mut g = Generations::default();
        let (e, made) = g.get_or_make(b"k", 10, 100, || entry(1, 20));
        assert!(made);
        assert_eq!(&*e.rdata, &[1]);
        let (e, made) = g.get_or_make(b"k", 19, 100, || entry(2, 30));
        assert!(!made);
        assert_eq!(&*e.rdata, &[1]);
        let (e, made) = g.get_or_make(b"k", 20, 100, || entry(3, 40));
        assert!(made);
        assert_eq!(&*e.rdata, &[3]);
    }

    #[test]
    fn memory_is_bounded_and_recent_entries_survive() {
        let mut g = Generations::default();
        for i in 0..10_000u32 {
            g.get_or_make(&i.to_be_bytes(), 0, 100, || entry(0, 10));
            // One key asked all along stays cached.
            let (_, made) = g.get_or_make(b"hot", 0, 100, || entry(1, 10));
            assert!(!made || i == 0, "hot key made again at {i}");
            assert!(g.young.len() + g.old.len() <= 100);
        }
        // The last entries added are still there.
        let (_, made) = g.get_or_make(&9_999u32.to_be_bytes(), 0, 100, || entry(2, 10));
        assert!(!made);
    }

    #[test]
    fn the_thread_cache_is_per_thread() {
        get_or_make(b"x", 0, 10, || entry(1, 10));
        assert!(held() >= 1);
        let other = std::thread::spawn(held).join().unwrap();
        assert_eq!(other, 0);
    }
}
