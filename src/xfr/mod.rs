//! Zone transfers: AXFR/IXFR out, secondary zones (AXFR/IXFR in, SOA timers, NOTIFY),
//! and TSIG.

pub mod out;
pub mod tsig;

use std::collections::HashMap;

use crate::config::Config;

/// The transfer-out policy of a configuration. Keys were validated with the configuration.
pub fn policy(cfg: &Config) -> out::Policy {
    let keys: HashMap<_, _> = cfg
        .keys
        .iter()
        .filter_map(|(name, k)| tsig::Key::new(name, k).ok())
        .map(|k| (k.name.clone(), k))
        .collect();
    let required = cfg.transfer.key.as_ref().and_then(|n| {
        keys.values()
            .find(|k| k.name.to_ascii().trim_end_matches('.') == n.trim_end_matches('.'))
            .cloned()
    });
    out::Policy {
        allow: cfg.transfer.allow.clone(),
        required,
        keys,
    }
}
pub mod client;
pub mod history;
pub mod notify;
pub mod persist;
pub mod secondary;
