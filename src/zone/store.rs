//! The zone set being served, swappable whole.
//!
//! Queries read it without a lock (`arc-swap`); reloads and transfers replace it through
//! [`Store::update`], one at a time, so that a transfer and a reload never undo each
//! other. Whoever keeps caches derived from the zones (the answering engine's wire
//! images) registers a [`Prepare`] hook, which sees every new set before it is served.

use arc_swap::{ArcSwap, Guard};
use std::sync::{Arc, Mutex, OnceLock};

use super::ZoneSet;

/// Runs on a new zone set before it is swapped in.
pub type Prepare = Box<dyn Fn(&ZoneSet) + Send + Sync>;

/// The zone set served now.
pub struct Store {
    zones: ArcSwap<ZoneSet>,
    /// Serialises changes (reloads, transfers); never taken by queries.
    update: Mutex<()>,
    prepare: OnceLock<Prepare>,
}

impl Store {
    pub fn new(zones: ZoneSet) -> Store {
        Store {
            zones: ArcSwap::from_pointee(zones),
            update: Mutex::new(()),
            prepare: OnceLock::new(),
        }
    }

    /// The zones now, for the query path: no lock, no reference count touched.
    pub fn load(&self) -> Guard<Arc<ZoneSet>> {
        self.zones.load()
    }

    /// The zones now, to keep.
    pub fn get(&self) -> Arc<ZoneSet> {
        self.zones.load_full()
    }

    /// Installs the hook that sees every new set before it is served, and runs it on the
    /// set served now. Only the first hook is kept.
    pub fn set_prepare(&self, prepare: Prepare) {
        let _g = self.lock();
        if self.prepare.set(prepare).is_ok()
            && let Some(p) = self.prepare.get()
        {
            p(&self.zones.load());
        }
    }

    /// Builds a new zone set from the current one and swaps it in, with no other change
    /// in between; on an error the current set stays.
    pub fn update<E>(&self, f: impl FnOnce(&ZoneSet) -> Result<ZoneSet, E>) -> Result<(), E> {
        let _g = self.lock();
        let new = f(&self.zones.load())?;
        if let Some(p) = self.prepare.get() {
            p(&new);
        }
        self.zones.store(Arc::new(new));
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.update.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_failed_update_keeps_the_set_and_prepare_sees_every_new_one() {
        let store = Store::new(ZoneSet::default());
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        store.set_prepare(Box::new(move |_| {
            s.fetch_add(1, Ordering::Relaxed);
        }));
        assert_eq!(seen.load(Ordering::Relaxed), 1, "the set served now");
        let before = store.get();
        assert_eq!(store.update(|_| Err::<ZoneSet, _>("broken")), Err("broken"));
        assert!(Arc::ptr_eq(&before, &store.get()), "kept");
        assert_eq!(seen.load(Ordering::Relaxed), 1);
        store.update(|_| Ok::<_, ()>(ZoneSet::default())).unwrap();
        assert!(!Arc::ptr_eq(&before, &store.get()), "swapped");
        assert_eq!(seen.load(Ordering::Relaxed), 2);
    }
}
