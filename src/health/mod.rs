//! Health state as the query path sees it: an immutable snapshot of the addresses that
//! must not be served (down or drained).
//!
//! The snapshot is what plugs into [`crate::balance::select`]. Until probing runs, the
//! snapshot is empty and every address is served.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::balance::HealthView;

/// Addresses currently taken out of answers.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub unavailable: HashSet<IpAddr>,
}

impl HealthView for Snapshot {
    fn serving(&self, addr: &IpAddr) -> bool {
        // The common case (nothing down) costs no hashing.
        self.unavailable.is_empty() || !self.unavailable.contains(addr)
    }
}
