//! rrdns: an authoritative DNS server that load-balances by DNS.
//!
//! Zones are loaded into immutable snapshots ([`zone`]); the [`dns`] engine answers from
//! them, and [`balance`] decides which addresses each answer carries, in which order,
//! according to weights and [`health`]. [`app`] wires it together and reloads on SIGHUP.

pub mod admin;
pub mod app;
pub mod balance;
pub mod cli;
pub mod config;
pub mod dns;
pub mod health;
pub mod metrics;
pub mod problem;
pub mod wire;
pub mod xfr;
pub mod zone;
pub mod zonefile;
