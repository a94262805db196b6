//! Secondary zones: one task per zone keeps the copy current.
//!
//! SOA timers per RFC 1035 §4.3.5: check the primaries every REFRESH seconds, every RETRY
//! seconds after a failure, and stop answering (SERVFAIL) once EXPIRE seconds pass without
//! reaching a primary. NOTIFY (RFC 1996) from a primary triggers a check at once; a burst of
//! them causes one check. A new copy is verified whole, persisted, then swapped in.

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{Name, RData, Record};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use super::client::{self, Fetched};
use super::error::TransferError;
use super::persist;
use crate::config::{Config, ZoneSource};
use crate::noise::{self, Kind};
use crate::wire::serial_lt;
use crate::wire::tsig::Key;
use crate::zone::history::zone_records;
use crate::zone::{Store, Zone};

/// Timers used before the first SOA is known.
const INITIAL_RETRY: Duration = Duration::from_secs(10);
/// The least time between the end of one refresh and a refresh that a NOTIFY asks for.
const NOTIFY_GAP: Duration = Duration::from_secs(1);

/// One secondary zone's settings; a change restarts its task (a new secret included).
#[derive(Debug, Clone, PartialEq)]
struct Spec {
    primaries: Vec<SocketAddr>,
    key: Option<Key>,
}

struct Running {
    spec: Spec,
    trigger: Arc<Notify>,
    /// Raised to make the next refresh a full transfer whatever the serials say.
    force: Arc<AtomicBool>,
    stop: CancellationToken,
}

/// How a secondary zone's refreshes went, for the status page.
#[derive(Debug, Clone, Default)]
pub struct RefreshState {
    /// When the last refresh ended (seconds since the Unix epoch).
    pub last_at: Option<u64>,
    /// `ok`, or why it failed.
    pub last_result: Option<String>,
    /// When the next refresh is due (sooner on a NOTIFY).
    pub next_at: Option<u64>,
    /// When a refresh last succeeded: the copy was current then.
    pub last_ok_at: Option<u64>,
    /// Refreshes that failed since start.
    pub failures: u64,
    /// The zone had data and expired (EXPIRE passed without reaching a primary).
    pub expired: bool,
}

/// How a zone task is woken: a NOTIFY or an operator's refresh, and whether the next
/// refresh must be a full transfer.
struct Trigger {
    notify: Arc<Notify>,
    force: Arc<AtomicBool>,
}

/// Owns the secondary-zone tasks.
pub struct Secondaries {
    zones: Arc<Store>,
    cfg: Mutex<Arc<Config>>,
    running: Mutex<HashMap<Name, Running>>,
    states: Mutex<HashMap<Name, RefreshState>>,
    /// Called after a transfer changed the zones (to re-target health checks).
    on_change: Box<dyn Fn() + Send + Sync>,
    tracker: TaskTracker,
}

impl Secondaries {
    pub fn new(
        zones: Arc<Store>,
        cfg: Arc<Config>,
        on_change: Box<dyn Fn() + Send + Sync>,
        tracker: TaskTracker,
    ) -> Arc<Secondaries> {
        let s = Arc::new(Secondaries {
            zones,
            cfg: Mutex::new(cfg.clone()),
            running: Mutex::new(HashMap::new()),
            states: Mutex::new(HashMap::new()),
            on_change,
            tracker,
        });
        s.reconfigure(cfg);
        s
    }

    fn cfg(&self) -> Arc<Config> {
        self.cfg.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Starts, stops or restarts zone tasks to match `cfg`.
    pub fn reconfigure(self: &Arc<Self>, cfg: Arc<Config>) {
        *self.cfg.lock().unwrap_or_else(|p| p.into_inner()) = cfg.clone();
        let wanted: HashMap<Name, Spec> = cfg
            .zones
            .iter()
            .filter_map(|z| match &z.source {
                ZoneSource::Secondary { primaries, key } => Some((
                    z.name.clone(),
                    Spec {
                        primaries: primaries.clone(),
                        key: key.clone(),
                    },
                )),
                _ => None,
            })
            .collect();
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.retain(|name, r| {
            let keep = wanted.get(name) == Some(&r.spec);
            if !keep {
                r.stop.cancel();
            }
            keep
        });
        for (name, spec) in wanted {
            if running.contains_key(&name) {
                continue;
            }
            let r = Running {
                spec: spec.clone(),
                trigger: Arc::new(Notify::new()),
                force: Arc::default(),
                stop: CancellationToken::new(),
            };
            let (me, trigger, stop, zone) = (
                self.clone(),
                Trigger {
                    notify: r.trigger.clone(),
                    force: r.force.clone(),
                },
                r.stop.clone(),
                name.clone(),
            );
            self.tracker
                .spawn(async move { me.run(zone, spec.primaries, spec.key, trigger, stop).await });
            running.insert(name, r);
        }
    }

    /// Asks for a refresh of secondary zone `name` now (`zone refresh`), or for a full
    /// transfer whatever the serials say (`force`: `zone retransfer`). False when `name`
    /// is not a secondary zone here.
    pub fn trigger(&self, name: &Name, force: bool) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let Some(r) = running.get(name) else {
            return false;
        };
        if force {
            r.force.store(true, Ordering::SeqCst);
        }
        r.trigger.notify_one();
        true
    }

    /// How each secondary zone's refreshes went.
    pub fn states(&self) -> HashMap<Name, RefreshState> {
        self.states.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn record(&self, name: &Name, ok: bool, result: String, wait: Duration) {
        let now = crate::metrics::unix_now();
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let s = states.entry(name.clone()).or_default();
        s.last_at = Some(now);
        s.last_result = Some(result);
        s.next_at = Some(now + wait.as_secs());
        if ok {
            s.last_ok_at = Some(now);
            s.expired = false;
        } else {
            s.failures += 1;
        }
    }

    /// Stops every zone task.
    pub fn stop(&self) {
        for r in self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            r.stop.cancel();
        }
    }

    /// Answers a NOTIFY (RFC 1996 §3): accepted only from one of the zone's primaries (and
    /// signed with its key when one is set); an accepted one triggers an SOA check.
    pub fn notify(&self, req: &Message, raw: &[u8], peer: IpAddr) -> Vec<u8> {
        let mut resp = Message::new(req.id, MessageType::Response, OpCode::Notify);
        resp.add_queries(req.queries.iter().cloned());
        let zone = req.queries.first().map(|q| q.name.clone());
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let Some((name, r)) = zone.as_ref().and_then(|z| running.get_key_value(z)) else {
            if noise::global().allow(Kind::NotifyRefused) {
                warn!(zone = ?zone, %peer, "NOTIFY for a zone that is not a secondary here refused");
            }
            resp.metadata.response_code = ResponseCode::NotAuth;
            return resp.to_vec().unwrap_or_default();
        };
        let from_primary = r.spec.primaries.iter().any(|p| same_ip(p.ip(), peer));
        let signed = match &r.spec.key {
            None => Ok(None),
            Some(k) => k.verify(raw, None, true).map(|mac| Some((k, mac))),
        };
        let accepted = from_primary && signed.is_ok();
        resp.metadata.authoritative = accepted;
        resp.metadata.response_code = match (&signed, from_primary) {
            (Err(_), _) => ResponseCode::NotAuth,
            (_, false) => ResponseCode::Refused,
            _ => ResponseCode::NoError,
        };
        if accepted {
            if noise::global().allow(Kind::NotifyAccepted) {
                info!(zone = %name, %peer, "NOTIFY accepted");
            }
            r.trigger.notify_one();
        } else if noise::global().allow(Kind::NotifyRefused) {
            warn!(zone = %name, %peer, rcode = %resp.metadata.response_code, "NOTIFY refused");
        }
        let mut bytes = resp.to_vec().unwrap_or_default();
        if let Ok(Some((k, mac))) = signed {
            k.sign(&mut bytes, Some(&mac), true, None);
        }
        bytes
    }

    async fn run(
        self: Arc<Self>,
        name: Name,
        primaries: Vec<SocketAddr>,
        key: Option<Key>,
        trigger: Trigger,
        stop: CancellationToken,
    ) {
        let path = persist::path(&self.cfg().state_dir, &name);
        // The persisted copy was last confirmed current when its file was written or touched.
        let mut last_ok: Option<SystemTime> =
            std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        loop {
            let force = trigger.force.swap(false, Ordering::SeqCst);
            let outcome = tokio::select! {
                r = self.refresh(&name, &primaries, key.as_ref(), &path, force) => r,
                _ = stop.cancelled() => return,
            };
            let (wait, result) = match outcome {
                Ok(()) => {
                    last_ok = Some(SystemTime::now());
                    persist::touch(&path);
                    (
                        self.timers(&name).map_or(INITIAL_RETRY, |t| t.0),
                        "ok".to_string(),
                    )
                }
                Err(e) => {
                    warn!(zone = %name, "refresh failed: {e}");
                    (
                        self.timers(&name).map_or(INITIAL_RETRY, |t| t.1),
                        e.to_string(),
                    )
                }
            };
            let wait = self
                .check_expiry(&name, last_ok)
                .map_or(wait, |left| wait.min(left));
            self.record(&name, result == "ok", result, wait);
            let ended = tokio::time::Instant::now();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = trigger.notify.notified() => {
                    // A NOTIFY flood (its source is easily forged) must not become a
                    // flood of SOA queries to the primary: one refresh per gap at most.
                    tokio::select! {
                        _ = tokio::time::sleep_until(ended + NOTIFY_GAP) => {}
                        _ = stop.cancelled() => return,
                    }
                }
                _ = stop.cancelled() => return,
            }
        }
    }

    /// (refresh, retry, expire) of the zone's current SOA.
    fn timers(&self, name: &Name) -> Option<(Duration, Duration, Duration)> {
        let zones = self.zones.get();
        let RData::SOA(soa) = &zones.get(name)?.soa.data else {
            return None;
        };
        let secs = |v: i32| Duration::from_secs(u64::from(v.max(1) as u32));
        Some((secs(soa.refresh), secs(soa.retry), secs(soa.expire)))
    }

    /// Marks the zone unavailable once EXPIRE passed since the last successful check;
    /// returns the time left before that happens.
    fn check_expiry(&self, name: &Name, last_ok: Option<SystemTime>) -> Option<Duration> {
        let (_, _, expire) = self.timers(name)?;
        let age = last_ok
            .and_then(|t| t.elapsed().ok())
            .unwrap_or(Duration::MAX);
        if age < expire {
            return Some(expire - age);
        }
        error!(zone = %name, "zone expired: no primary reached for {expire:?}; answering SERVFAIL");
        let _ = self.zones.update(|z| Ok::<_, ()>(z.without_zone(name)));
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        states.entry(name.clone()).or_default().expired = true;
        None
    }

    /// One SOA check (and transfer if needed), trying each primary in turn.
    async fn refresh(
        &self,
        name: &Name,
        primaries: &[SocketAddr],
        key: Option<&Key>,
        path: &std::path::Path,
        force: bool,
    ) -> Result<(), TransferError> {
        let mut last_err = TransferError::NoPrimaries;
        for p in primaries {
            match self.refresh_from(name, *p, key, path, force).await {
                Ok(()) => return Ok(()),
                Err(e) => last_err = TransferError::From(*p, Box::new(e)),
            }
        }
        Err(last_err)
    }

    async fn refresh_from(
        &self,
        name: &Name,
        primary: SocketAddr,
        key: Option<&Key>,
        path: &std::path::Path,
        force: bool,
    ) -> Result<(), TransferError> {
        let soa = client::query_soa(primary, name, key).await?;
        let RData::SOA(soa) = &soa.data else {
            return Err(TransferError::NoSoa(primary, name.clone()));
        };
        let theirs = soa.serial;
        // A forced transfer (`zone retransfer`) is a full one, as if we had no copy.
        let current = self.zones.get().get(name).cloned().filter(|_| !force);
        // A zone rrdns signs has a serial of its own; the primary's is compared with the
        // one it sent.
        if let Some(z) = &current
            && !serial_lt(z.source_serial(), theirs)
        {
            return Ok(()); // up to date (RFC 1982 comparison)
        }
        // IXFR from a zone signed here would start at a serial the primary never had: a
        // full transfer then.
        let ours = current
            .as_ref()
            .filter(|z| z.signed_here.is_none())
            .map(|z| {
                let mut r = zone_records(z);
                r.pop();
                r
            });
        let (records, how) =
            match client::transfer(primary, name, ours.as_deref(), key, self.cfg().limits).await? {
                Fetched::UpToDate => return Ok(()),
                Fetched::Full(r) => (r, "AXFR"),
                Fetched::Incremental(r) => (r, "IXFR"),
            };
        self.apply(name, records, primary, how, path)
    }

    /// Verifies the new copy whole, persists it, then swaps it in.
    fn apply(
        &self,
        name: &Name,
        records: Vec<Record>,
        primary: SocketAddr,
        how: &str,
        path: &std::path::Path,
    ) -> Result<(), TransferError> {
        let source = format!("{how} from {primary}");
        let zone = Zone::from_records(name, &records, &source).map_err(|ps| {
            let list: Vec<String> = ps.iter().map(|p| p.message.clone()).collect();
            TransferError::Rejected(list.join("; "))
        })?;
        let serial = zone.serial;
        let count = zone.record_count;
        if let Err(e) = persist::save(path, &records) {
            error!(zone = %name, "{e}; serving the new copy from memory only");
        }
        let cfg = self.cfg();
        // Signing (with `dnssec.keys`) is the one step that can refuse the copy.
        self.zones
            .update(|z| z.with_zone(&cfg, zone))
            .map_err(|ps| {
                let list: Vec<String> = ps.iter().map(|p| p.message.clone()).collect();
                TransferError::Rejected(list.join("; "))
            })?;
        info!(zone = %name, serial, records = count, "{source}: zone updated");
        (self.on_change)();
        Ok(())
    }
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    let canon = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    canon(a) == canon(b)
}
