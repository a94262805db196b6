//! Wiring: loads configuration and zones, binds sockets, owns the long-lived tasks,
//! reloads on SIGHUP (build → validate → swap) and shuts down on SIGTERM/SIGINT.

use hickory_proto::rr::Name;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::admin::{self, Admin, ReloadOutcome};

/// A request for a reload over the admin API, answered with its outcome.
type ReloadRequest = tokio::sync::oneshot::Sender<ReloadOutcome>;
use crate::config::{self, CheckConfig, Config, LogFormat, TcpLimits, ZoneSource};
use crate::dns::conns::Conns;
use crate::dns::{Engine, tcp, udp};
use crate::health::check::Checker;
use crate::health::prober::{ProbeFn, Target};
use crate::health::{self, Drains, Prober};
use crate::problem::Problem;
use crate::xfr::notify::Announcer;
use crate::xfr::persist;
use crate::xfr::secondary::Secondaries;
use crate::zone::{Store, ZoneSet};

/// How long shutdown waits for in-flight TCP answers.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(3);

/// Loads the configuration from `path`, or the embedded default. Keeps what validates.
fn load_config(path: Option<&Path>) -> (Option<Config>, Vec<Problem>) {
    let Some(path) = path else {
        let cwd = std::env::current_dir().unwrap_or_default();
        let (cfg, problems) = config::parse_partial(config::EMBEDDED_CONFIG, "<embedded>", &cwd);
        let cfg = cfg.map(|mut c| {
            // Serve zones/example.test.zone when it is there (so edits and SIGHUP work),
            // else the copy compiled into the binary.
            for z in &mut c.zones {
                if let ZoneSource::File(p) = &z.source
                    && !p.exists()
                {
                    z.source = ZoneSource::Embedded(config::EMBEDDED_ZONE);
                }
            }
            c
        });
        return (cfg, problems);
    };
    config::load_partial(path)
}

/// Builds the zones of `cfg`; a secondary zone not in `previous` starts from its copy
/// saved under the state directory.
fn build_zones(cfg: &Config, previous: Option<&ZoneSet>) -> Result<ZoneSet, Vec<Problem>> {
    ZoneSet::build(cfg, previous, &|name| {
        persist::saved_zone(&cfg.state_dir, name)
    })
}

/// Loads configuration and zones, or every problem found.
fn load_all(path: Option<&Path>) -> Result<(Config, ZoneSet), Vec<Problem>> {
    let (cfg, mut problems) = load_config(path);
    let Some(cfg) = cfg else {
        return Err(problems);
    };
    match build_zones(&cfg, None) {
        Ok(zones) if problems.is_empty() => Ok((cfg, zones)),
        Ok(_) => Err(problems),
        Err(mut more) => {
            problems.append(&mut more);
            Err(problems)
        }
    }
}

/// `rrdns check --zone NAME FILE`: one zone file alone, as `named-checkzone` checks it.
pub fn check_zone(name: &str, file: &Path) -> ExitCode {
    // Read as zone files and the configuration read names: `_` and RFC 2317's `0/26`
    // are label octets like any other.
    let origin = match crate::zonefile::rdata::config_name(name) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("{name}: not a zone name: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::File::open(file) {
        eprintln!("{}: cannot read: {e}", file.display());
        return ExitCode::FAILURE;
    }
    match crate::zone::Zone::load(&origin, file) {
        Ok(z) => {
            summary(&z, "");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("{} problem(s) found", problems.len());
            ExitCode::FAILURE
        }
    }
}

/// `rrdns check`: validates everything, prints a summary per zone (or, with `print`, the
/// effective configuration), exit 1 on any problem.
pub fn check(path: Option<&Path>, print: bool) -> ExitCode {
    let (cfg, mut problems) = load_config(path);
    let zones = match &cfg {
        Some(cfg) => match build_zones(cfg, None) {
            Ok(z) => Some(z),
            Err(mut more) => {
                problems.append(&mut more);
                None
            }
        },
        None => None,
    };
    for p in &problems {
        eprintln!("{p}");
    }
    let (Some(cfg), Some(zones), true) = (cfg, zones, problems.is_empty()) else {
        eprintln!("{} problem(s) found", problems.len());
        return ExitCode::FAILURE;
    };
    if print {
        print!("{}", config::print::render(&cfg));
        return ExitCode::SUCCESS;
    }
    for zc in &cfg.zones {
        let pools: Vec<String> = cfg
            .pools
            .iter()
            .filter(|p| zc.name.zone_of(&p.name))
            .map(|p| p.name.to_string())
            .collect();
        let pools = if pools.is_empty() {
            "none".to_string()
        } else {
            pools.join(" ")
        };
        let Some(z) = zones.get(&zc.name) else {
            // A secondary zone with no persisted copy: fine, it is transferred at start.
            println!("{} secondary, no copy yet pools {pools}", zc.name);
            continue;
        };
        let by = match (
            z.signed_here,
            zc.dnssec.as_ref().and_then(|d| d.nsec3.as_ref()),
        ) {
            (Some(h), None) => format!(" by rrdns with NSEC ({} signatures)", h.signatures),
            (Some(h), Some(p)) => format!(
                " by rrdns with NSEC3 (iterations {}, salt {}; {} signatures)",
                p.iterations,
                if p.salt.is_empty() {
                    "none".to_string()
                } else {
                    data_encoding::HEXLOWER.encode(&p.salt)
                },
                h.signatures
            ),
            (None, _) => String::new(),
        };
        let dnssec = match (&z.signed, &z.signer) {
            (_, Some(s)) => format!(
                " dnssec signed{by}, balanced answers signed online with key {} (algorithm {})",
                s.key().tag,
                s.key().algorithm
            ),
            (Some(_), None) => format!(" dnssec signed{by}"),
            (None, None) => String::new(),
        };
        summary(z, &format!(" pools {pools}{dnssec}"));
        // The records to give the parent (RFC 4509: SHA-256), for the keys that sign the
        // DNSKEY RRset: the KSKs, or every key where none is marked as one.
        let keys = zc.dnssec.as_ref().map_or(&[][..], |d| &d.keys[..]);
        let has_ksk = keys.iter().any(|k| k.is_ksk());
        for k in keys.iter().filter(|k| k.is_ksk() || !has_ksk) {
            println!("{}", crate::sign::key::ds_record(k));
        }
    }
    weighting_notes(&cfg, &zones);
    for w in crate::zone::digest::changed_under_same_serial(&cfg, &zones) {
        eprintln!("{}:{}: warning: {}", w.file, w.line, w.message);
    }
    ExitCode::SUCCESS
}

/// How each configured pool's weights reach clients: the `k` that `spread` serves, and a
/// warning where unequal weights rely on a mode that caching resolvers undo.
fn weighting_notes(cfg: &Config, zones: &ZoneSet) {
    use crate::balance::Weighting;
    for (name, _, plan) in zones.balanced() {
        let Some(pool) = cfg
            .pools
            .iter()
            .find(|p| Some(&p.name) == plan.pool.as_ref())
        else {
            continue;
        };
        let family = if plan.addrs.first().is_some_and(std::net::IpAddr::is_ipv6) {
            "AAAA"
        } else {
            "A"
        };
        let unequal = plan.weights.iter().any(|&w| w != plan.weights[0]);
        match plan.policy.weighting {
            Weighting::Spread => {
                let k = crate::balance::spread_k(plan.weights.iter().copied(), plan.policy.answers);
                println!(
                    "pool {name} {family}: spread serves {k} of {} addresses",
                    plan.addrs.len()
                );
            }
            Weighting::Duplicate | Weighting::Order if unequal => eprintln!(
                "{}:{}: warning: pool {name} {family}: weights hold for direct clients only (resolvers drop copies and reshuffle); see weighting: spread",
                pool.file, pool.line
            ),
            _ => {}
        }
    }
}

/// A zone's warnings on stderr and its summary line on stdout, for `rrdns check`.
fn summary(z: &crate::zone::Zone, more: &str) {
    for w in &z.warnings {
        eprintln!("{}:{}: warning: {}", w.file, w.line, w.message);
    }
    println!(
        "{} serial {} records {}{more}",
        z.origin, z.serial, z.record_count
    );
}

/// `rrdns serve`: runs until SIGTERM/SIGINT.
pub fn serve(path: Option<&Path>) -> ExitCode {
    let (cfg, zones) = match load_all(path) {
        Ok(x) => x,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("not starting: {} problem(s) found", problems.len());
            return ExitCode::FAILURE;
        }
    };
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .and_then(|rt| Ok((rt, health::runtime::build()?)));
    let (rt, probes) = match built {
        Ok(rts) => rts,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(run(
        path.map(Path::to_path_buf),
        cfg,
        zones,
        probes.handle().clone(),
    ));
    // Every probe task has ended by now (or the shutdown deadline passed); what is left,
    // such as an HTTP client's idle connection, is dropped.
    probes.shutdown_timeout(SHUTDOWN_DEADLINE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Every (check, address) to probe: the addresses of every pool that has a check.
fn targets(cfg: &Config, zones: &ZoneSet) -> Vec<Target> {
    let checks: HashMap<&Name, &Arc<CheckConfig>> = (cfg.pools.iter())
        .filter_map(|p| Some((&p.name, p.check.as_ref()?)))
        .collect();
    let mut out = Vec::new();
    for (_, plan) in zones.plans() {
        let Some(c) = plan.pool.as_ref().and_then(|p| checks.get(p)) else {
            continue;
        };
        for addr in &plan.addrs {
            out.push(Target {
                check: Arc::clone(c),
                addr: *addr,
            });
        }
    }
    out
}

fn start_prober(
    cfg: &Config,
    store: &Store,
    engine: &Arc<Engine>,
    tracker: &TaskTracker,
    probes: Handle,
) -> anyhow::Result<Arc<Prober>> {
    let drains = Drains::load(&cfg.state_dir)?;
    let checker = Arc::new(Checker::new()?);
    let probe: ProbeFn = Arc::new(move |c, addr| {
        let checker = checker.clone();
        Box::pin(async move { checker.probe(&c, addr).await })
    });
    let e = engine.clone();
    let prober = Prober::new(
        probe,
        drains,
        Box::new(move |s| e.set_health(s)),
        tracker.clone(),
        probes,
    );
    prober.reconfigure(targets(cfg, &store.get()));
    Ok(prober)
}

#[allow(clippy::too_many_arguments)]
async fn start_admin(
    cfg: &Config,
    tcp: &Arc<Conns>,
    secondaries: &Arc<Secondaries>,
    reload: &tokio::sync::mpsc::Sender<ReloadRequest>,
    last_reload: &Arc<Mutex<Option<ReloadOutcome>>>,
    store: &Arc<Store>,
    engine: &Arc<Engine>,
    prober: &Arc<Prober>,
    stop: &CancellationToken,
    tracker: &TaskTracker,
) -> anyhow::Result<()> {
    let Some(addr) = cfg.admin else { return Ok(()) };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("failed to bind admin HTTP {addr}: {e}"))?;
    info!("admin HTTP on http://{}", listener.local_addr()?);
    let admin = Arc::new(Admin {
        zones: store.clone(),
        engine: engine.clone(),
        prober: prober.clone(),
        token: cfg.admin_token.clone(),
        started: std::time::Instant::now(),
        tcp: tcp.clone(),
        secondaries: secondaries.clone(),
        reload: reload.clone(),
        last_reload: last_reload.clone(),
        shares: Default::default(),
    });
    // Shares over the last minute need the counters sampled now and then.
    tracker.spawn({
        let (admin, stop) = (admin.clone(), stop.clone());
        async move {
            let mut every = tokio::time::interval(crate::admin::shares::EVERY);
            loop {
                tokio::select! {
                    _ = every.tick() => admin.shares.sample(&admin.zones.get()),
                    _ = stop.cancelled() => return,
                }
            }
        }
    });
    let stop = stop.clone();
    tracker.spawn(async move {
        let listener = admin::listen::Bounded::new(listener, stop.clone());
        let serve = axum::serve(listener, admin::router(admin))
            .with_graceful_shutdown(stop.cancelled_owned());
        if let Err(e) = serve.await {
            error!("admin HTTP stopped: {e}");
        }
    });
    Ok(())
}

/// The running parts that a reload touches.
struct Running {
    path: Option<std::path::PathBuf>,
    store: Arc<Store>,
    engine: Arc<Engine>,
    prober: Arc<Prober>,
    secondaries: Arc<Secondaries>,
    /// The configuration in force (what a restart would need to change is kept from the start).
    current: Arc<Mutex<Arc<Config>>>,
    announcer: Arc<Announcer>,
}

async fn run(
    path: Option<std::path::PathBuf>,
    cfg: Config,
    zones: ZoneSet,
    probes: Handle,
) -> anyhow::Result<()> {
    log_zones(&zones);
    let store = Arc::new(Store::new(zones));
    let engine = Engine::new(store.clone());
    engine.configure(&cfg);
    let stop = CancellationToken::new();
    let tracker = TaskTracker::new();
    // For `rrdns check`'s same-serial warning; off the way to the first answer (a digest
    // of a million records is a pass over all of them).
    tracker.spawn_blocking({
        let (cfg, store) = (cfg.clone(), store.clone());
        move || crate::zone::digest::record(&cfg, &store.get())
    });
    let prober = start_prober(&cfg, &store, &engine, &tracker, probes)?;
    let current = Arc::new(Mutex::new(Arc::new(cfg.clone())));
    let announcer = Arc::new(Announcer::default());
    announcer.prime(&store.get());
    let secondaries = {
        let (c, z, p, a) = (
            current.clone(),
            store.clone(),
            prober.clone(),
            announcer.clone(),
        );
        let on_change = Arc::new(move || {
            let cfg = c.lock().unwrap_or_else(|x| x.into_inner()).clone();
            p.reconfigure(targets(&cfg, &z.get()));
            a.announce(&z.get(), &cfg.transfer.notify, cfg.transfer.key.clone());
        });
        let c = current.clone();
        let o = on_change.clone();
        crate::resign::spawn(
            &tracker,
            stop.clone(),
            store.clone(),
            move || c.lock().unwrap_or_else(|x| x.into_inner()).clone(),
            move || o(),
        );
        Secondaries::new(
            store.clone(),
            Arc::new(cfg.clone()),
            Box::new(move || on_change()),
            tracker.clone(),
        )
    };
    let s2 = secondaries.clone();
    engine.set_notify_handler(Box::new(move |m, raw, peer| s2.notify(m, raw, peer)));
    // A listener that cannot be bound stops the server, and what started first is
    // stopped too: half a server (DNS without its admin interface) would look alive to a
    // service manager and never be restarted.
    let (reload_tx, mut reload_rx) = tokio::sync::mpsc::channel::<ReloadRequest>(4);
    let last_reload = Arc::new(Mutex::new(None));
    let started = async {
        let conns = Conns::new(tcp_connections(&cfg.tcp), cfg.tcp.max_per_client);
        for a in bind_all(&cfg, &conns, &engine, &stop, &tracker)? {
            info!("listening on {a} (udp, tcp)");
        }
        start_admin(
            &cfg,
            &conns,
            &secondaries,
            &reload_tx,
            &last_reload,
            &store,
            &engine,
            &prober,
            &stop,
            &tracker,
        )
        .await?;
        let hup = signal(SignalKind::hangup())?;
        Ok::<_, anyhow::Error>((
            hup,
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    };
    // Drains given for a while (`"for": "30m"`) end by themselves.
    tracker.spawn({
        let (stop, prober) = (stop.clone(), prober.clone());
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = every.tick() => prober.expire_drains(),
                    _ = stop.cancelled() => return,
                }
            }
        }
    });
    // Remotely caused events are logged once per window; the rest are summed up here.
    tracker.spawn({
        let stop = stop.clone();
        async move {
            let mut every = tokio::time::interval(crate::noise::WINDOW);
            every.tick().await;
            loop {
                tokio::select! {
                    _ = every.tick() => crate::noise::global().summarize(),
                    _ = stop.cancelled() => return,
                }
            }
        }
    });
    let (mut hup, mut term, mut int) = match started.await {
        Ok(signals) => signals,
        Err(e) => {
            shut_down(&prober, &secondaries, &stop, &tracker).await;
            return Err(e);
        }
    };
    crate::sdnotify::notify("READY=1");
    let running = Running {
        path,
        store,
        engine,
        prober,
        secondaries,
        current,
        announcer,
    };
    loop {
        let asked = tokio::select! {
            _ = hup.recv() => None,
            Some(reply) = reload_rx.recv() => Some(reply),
            _ = term.recv() => break,
            _ = int.recv() => break,
        };
        crate::sdnotify::reloading();
        let outcome = running.reload(&cfg).await;
        crate::sdnotify::notify("READY=1");
        *last_reload.lock().unwrap_or_else(|x| x.into_inner()) = Some(outcome.clone());
        if let Some(reply) = asked {
            let _ = reply.send(outcome);
        }
    }
    info!("shutting down");
    crate::sdnotify::notify("STOPPING=1");
    shut_down(&running.prober, &running.secondaries, &stop, &tracker).await;
    Ok(())
}

/// Stops probes, secondary zones and every listener, and waits for in-flight answers
/// until the deadline.
async fn shut_down(
    prober: &Prober,
    secondaries: &Secondaries,
    stop: &CancellationToken,
    tracker: &TaskTracker,
) {
    prober.stop();
    secondaries.stop();
    stop.cancel();
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_DEADLINE, tracker.wait())
        .await
        .is_err()
    {
        warn!("shutdown deadline passed with connections still open");
    }
}

/// Descriptors kept for everything but client TCP connections: listeners, probes,
/// transfers in and out, the admin interface, zone files and the state directory.
const RESERVED_DESCRIPTORS: u64 = 256;

/// Raises the soft limit on open descriptors to the hard limit (the default soft limit,
/// often 1,024, is far below what thousands of TCP clients need), logs it, and returns
/// the TCP connection bound that fits under it with the reserve kept free.
fn tcp_connections(limits: &TcpLimits) -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct we own.
    let ok = unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
            true
        }
    };
    if !ok {
        return limits.max_connections;
    }
    let fits = lim.rlim_cur.saturating_sub(RESERVED_DESCRIPTORS).max(16);
    let max = (limits.max_connections as u64).min(fits) as usize;
    if max < limits.max_connections {
        warn!(
            "open file limit {} leaves room for {max} TCP connections, not tcp.max_connections {}: raise the hard limit (ulimit -Hn, LimitNOFILE=)",
            lim.rlim_cur, limits.max_connections
        );
    } else {
        info!(
            "open file limit {}; up to {max} TCP connections",
            lim.rlim_cur
        );
    }
    max
}

/// Binds UDP (one socket per core) and TCP on every listen address; returns the bound
/// addresses (port 0 resolved).
fn bind_all(
    cfg: &Config,
    conns: &Arc<Conns>,
    engine: &Arc<Engine>,
    stop: &CancellationToken,
    tracker: &TaskTracker,
) -> anyhow::Result<Vec<SocketAddr>> {
    let listen = &cfg.listen;
    let shared = tcp::Shared {
        engine: engine.clone(),
        conns: conns.clone(),
        idle: cfg.tcp.idle_timeout,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut bound = Vec::new();
    for addr in listen {
        let (socks, listener) = bind_pair(*addr, cores)?;
        let actual = listener.local_addr()?;
        for s in socks {
            udp::spawn(s, engine.clone(), stop.clone(), tracker);
        }
        tracker.spawn(tcp::serve(
            listener,
            shared.clone(),
            stop.clone(),
            tracker.clone(),
        ));
        bound.push(actual);
    }
    Ok(bound)
}

/// How many ports are tried for a listen address with port 0.
const PORT_ZERO_TRIES: usize = 32;

/// UDP sockets and a TCP listener on one address and port. With port 0 the system picks
/// the UDP port, and that port may be taken for TCP: another is picked then.
fn bind_pair(
    addr: SocketAddr,
    cores: usize,
) -> anyhow::Result<(Vec<std::net::UdpSocket>, tokio::net::TcpListener)> {
    let tries = if addr.port() == 0 { PORT_ZERO_TRIES } else { 1 };
    let mut last = None;
    for _ in 0..tries {
        let socks = udp::bind(addr, cores)
            .map_err(|e| anyhow::anyhow!("failed to bind UDP {addr}: {e}"))?;
        let actual = socks[0].local_addr()?;
        match tcp::bind(actual) {
            Ok(listener) => return Ok((socks, listener)),
            Err(e) => last = Some((actual, e)),
        }
    }
    let (actual, e) = last.expect("at least one try");
    Err(anyhow::anyhow!("failed to bind TCP {actual}: {e}"))
}

/// The settings that take effect only at a restart. `Config` is destructured whole, so
/// that a new field must be sorted here: restart-only, or reloadable (`_`).
#[allow(clippy::type_complexity)]
fn restart_only(
    c: &Config,
) -> (
    &[SocketAddr],
    Option<SocketAddr>,
    Option<&str>,
    &Path,
    LogFormat,
    TcpLimits,
) {
    let Config {
        source: _,
        listen,
        admin,
        admin_token,
        state_dir,
        log_format,
        zones: _,
        defaults: _,
        pools: _,
        checks: _,
        transfer: _,
        keys: _,
        tcp,
        rrl: _,
        limits: _,
    } = c;
    (
        listen,
        *admin,
        admin_token.as_deref(),
        state_dir,
        *log_format,
        *tcp,
    )
}

/// The log format asked for: `RRDNS_LOG_FORMAT`, else the configuration's `log_format`
/// (read before logging starts; its problems are reported when it is loaded for real).
pub fn log_format(path: Option<&Path>) -> LogFormat {
    match std::env::var("RRDNS_LOG_FORMAT").ok().as_deref() {
        Some("json") => LogFormat::Json,
        Some("text") => LogFormat::Text,
        _ => load_config(path)
            .0
            .map_or(LogFormat::Text, |c| c.log_format),
    }
}

impl Running {
    /// SIGHUP: rebuild everything off the query path; swap only if all of it is good.
    async fn reload(&self, started: &Config) -> ReloadOutcome {
        info!("reloading configuration and zones");
        let (path, store) = (self.path.clone(), self.store.clone());
        let built = tokio::task::spawn_blocking(move || {
            let (cfg, problems) = load_config(path.as_deref());
            let Some(cfg) = cfg.filter(|_| problems.is_empty()) else {
                return Err(problems);
            };
            store.update(|prev| {
                let zones = build_zones(&cfg, Some(prev))?;
                log_zones(&zones);
                Ok::<_, Vec<Problem>>(zones)
            })?;
            // After the swap, outside the store's update lock.
            crate::zone::digest::record(&cfg, &store.get());
            Ok(cfg)
        })
        .await;
        let counters = &self.engine.counters;
        match built {
            Ok(Ok(cfg)) => {
                if restart_only(&cfg) != restart_only(started) {
                    warn!(
                        "listen, admin, admin_token, state_dir, log_format or tcp changed; they take effect after a restart"
                    );
                }
                let cfg = Arc::new(cfg);
                *self.current.lock().unwrap_or_else(|x| x.into_inner()) = cfg.clone();
                self.announcer.announce(
                    &self.store.get(),
                    &cfg.transfer.notify,
                    cfg.transfer.key.clone(),
                );
                self.engine.configure(&cfg);
                self.prober.reconfigure(targets(&cfg, &self.store.get()));
                self.secondaries.reconfigure(cfg);
                counters.reloads_ok.fetch_add(1, Ordering::Relaxed);
                info!("reload done");
                reloaded(Vec::new())
            }
            Ok(Err(problems)) => {
                for p in &problems {
                    error!("{p}");
                }
                counters.reloads_failed.fetch_add(1, Ordering::Relaxed);
                error!(
                    "reload failed with {} problem(s); still serving the previous zones",
                    problems.len()
                );
                reloaded(problems.iter().map(ToString::to_string).collect())
            }
            Err(e) => {
                counters.reloads_failed.fetch_add(1, Ordering::Relaxed);
                error!("reload failed: {e}; still serving the previous zones");
                reloaded(vec![format!("reload failed: {e}")])
            }
        }
    }
}

/// A reload's outcome: good when nothing went wrong.
fn reloaded(problems: Vec<String>) -> ReloadOutcome {
    ReloadOutcome {
        ok: problems.is_empty(),
        problems,
        at: crate::metrics::unix_now(),
    }
}

fn log_zones(zones: &ZoneSet) {
    for z in zones.zones() {
        info!(zone = %z.origin, serial = z.serial, records = z.record_count, "zone loaded");
        for w in &z.warnings {
            warn!("{}:{}: {}", w.file, w.line, w.message);
        }
    }
}
