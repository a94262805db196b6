//! Signatures renewed before they expire, without a reload (RFC 4035 §2: a zone rrdns
//! signs stays signed for as long as it is served).
//!
//! Once a second the zones rrdns signed ([`crate::zone::signing`]) are looked at; a zone
//! past its re-sign time (`refresh` before its signatures expire) is signed again from
//! the copy served, with a serial one higher, and swapped in like a completed transfer,
//! so that secondaries are notified and transfer the new signatures. Signing runs off the
//! async workers; a failure keeps the current copy and is tried again a minute later.

use hickory_proto::rr::Name;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info};

use crate::config::Config;
use crate::zone::Store;

/// How long a zone whose re-sign failed waits before the next try.
const RETRY: u64 = 60;

/// Starts the re-signing task. `config` gives the configuration in force; `on_change`
/// runs after a zone was replaced (health targets, NOTIFY to secondaries).
pub fn spawn(
    tracker: &TaskTracker,
    stop: CancellationToken,
    store: Arc<Store>,
    config: impl Fn() -> Arc<Config> + Send + 'static,
    on_change: impl Fn() + Send + 'static,
) {
    tracker.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        let mut retry_at: HashMap<Name, u64> = HashMap::new();
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.cancelled() => return,
            }
            let now = crate::metrics::unix_now();
            let due: Vec<Name> = (store.get().zones().into_iter())
                .filter(|z| z.signed_here.is_some_and(|h| h.resign_at <= now))
                .filter(|z| retry_at.get(&z.origin).is_none_or(|&t| t <= now))
                .map(|z| z.origin.clone())
                .collect();
            let mut changed = false;
            for name in due {
                let (store, cfg, n) = (store.clone(), config(), name.clone());
                let done = tokio::task::spawn_blocking(move || resign(&store, &cfg, &n)).await;
                match done {
                    Ok(Ok(())) => {
                        retry_at.remove(&name);
                        changed = true;
                    }
                    Ok(Err(e)) => {
                        error!(zone = %name, "signing again failed: {e}; the current signatures stay until {RETRY} s from now");
                        retry_at.insert(name, now + RETRY);
                    }
                    Err(e) => {
                        error!(zone = %name, "signing again failed: {e}");
                        retry_at.insert(name, now + RETRY);
                    }
                }
            }
            if changed {
                on_change();
            }
        }
    });
}

/// Signs the zone `name` again and swaps it in.
fn resign(store: &Store, cfg: &Config, name: &Name) -> Result<(), String> {
    let mut outcome = None;
    store
        .update(|set| {
            let Some(zone) = set.get(name) else {
                return Err(vec![]);
            };
            let next = set.with_zone(cfg, zone.fresh_copy())?;
            outcome = next.get(name).map(|z| (z.serial, z.signed_here));
            Ok(next)
        })
        .map_err(|ps| {
            let list: Vec<String> = ps.iter().map(ToString::to_string).collect();
            if list.is_empty() {
                "the zone is no longer served".to_string()
            } else {
                list.join("; ")
            }
        })?;
    if let Some((serial, Some(h))) = outcome {
        info!(zone = %name, serial, signatures = h.signatures, expires = h.expires_at, "zone signed again");
    }
    Ok(())
}
