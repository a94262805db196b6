//! rrdns: an authoritative DNS server that load-balances by DNS.
//!
//! # Layers
//! Each module uses only modules of lower layers (`tests/layers.rs` holds this):
//! ```text
//! problem  wire  balance  metrics    leaves: a problem at FILE:LINE; the DNS wire format
//! noise sdnotify                     (header, names, request parser, answer images, TSIG);
//!                                    which addresses an answer carries; counters; logs
//!                                    of remotely caused events, rate-limited; readiness to
//!                                    the service manager
//! zonefile                           master-file text → records with their FILE:LINE
//! sign                               DNSSEC keys (BIND files) and online RRSIGs
//! config                             YAML → a validated, typed Config (keys built, checks typed)
//! zone                               Zone, ZoneSet, Store (the served set, swapped whole),
//!                                    lookup (RFC 1034 §4.3.2), history of changes (IXFR)
//! health   xfr                       probes → a health snapshot; transfers in (secondary zones)
//! dns                                engine: answers and transfers out; UDP, TCP, fast path
//! admin    resign                    HTTP status, metrics, drains; signatures renewed
//!                                    before they expire (zones rrdns signs)
//! app                                wiring, reload, shutdown
//! ```
//!
//! # The query path
//! A UDP socket thread ([`dns`]) reads a batch of datagrams and loads the zone set and the
//! health snapshot once for the batch (no lock). Each query goes first to the fast path:
//! a plain query whose answer has a precomputed wire image is copied out with the header
//! and question patched, and the addresses of a balanced RRset chosen per query by
//! [`balance`] from weights, health and drains. Anything else (EDNS options, ANY,
//! transfers, NOTIFY, names without an image) is decoded and answered in full by
//! [`zone::lookup`] and the same balancer. TCP answers through the same engine.
//!
//! # The health path
//! The prober ([`health`]) runs checks on a runtime of its own at lower priority; rise and
//! fall thresholds turn results into up/down, and each transition (batched a few
//! milliseconds) publishes a new snapshot that the next query batch reads. Drains are
//! operator overrides kept on disk. Zones and health never meet except in [`balance`].

pub mod app;
pub mod cli;
pub mod ctl;

mod admin;
mod balance;
mod config;
mod dns;
mod health;
mod metrics;
mod noise;
mod problem;
mod resign;
mod sdnotify;
mod sign;
mod wire;
mod xfr;
mod zone;
mod zonefile;

// What the integration tests drive directly, besides the binary.
pub use config::{Config, LogFormat, ZoneLimits, parse as parse_config};
pub use dns::engine::TcpReply;
pub use dns::{Engine, ImageLimits, Transport};
pub use health::Snapshot;
pub use problem::Problem;
pub use wire::tsig::Key as TsigKey;
pub use xfr::client::Receiver as TransferReceiver;
pub use zone::{Store, Zone, ZoneSet};
