//! Command-line interface: `rrdns [serve] [-c FILE]`, `rrdns check [-c FILE] [--print]` and
//! `rrdns check --zone NAME FILE`, and `rrdns ctl …` for a running server.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// An authoritative DNS server that load-balances: shuffled, weighted and health-checked
/// address sets with short TTLs.
#[derive(Debug, Parser)]
#[command(name = "rrdns", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default). Without --config, serves the embedded example.
    Serve {
        /// YAML configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Validate the configuration and every zone; print a summary line per zone.
    ///
    /// With --zone NAME FILE, check one zone file alone, without a configuration (like
    /// named-checkzone).
    Check {
        /// YAML configuration file (default: the embedded configuration).
        #[arg(short, long, value_name = "FILE", conflicts_with = "zone")]
        config: Option<PathBuf>,
        /// Check the zone file FILE as zone NAME, without a configuration.
        #[arg(long, value_name = "NAME", requires = "file")]
        zone: Option<String>,
        /// The zone file to check with --zone.
        #[arg(value_name = "FILE", requires = "zone")]
        file: Option<PathBuf>,
        /// Print the effective configuration, every default filled in, as YAML.
        #[arg(long, conflicts_with = "zone")]
        print: bool,
    },
    /// Steer a running server through its admin interface.
    ///
    /// Exit codes: 0 done; 1 the server refused or the action failed (the reason is
    /// printed); 2 a command-line mistake; 69 the admin interface cannot be reached.
    Ctl {
        /// The admin interface, HOST:PORT (default: `admin` of --config, else 127.0.0.1:8053).
        #[arg(long, value_name = "HOST:PORT")]
        admin: Option<String>,
        /// Take `admin` and `admin_token` from this configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The admin token (default: RRDNS_ADMIN_TOKEN, else `admin_token` of --config).
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
        #[command(subcommand)]
        action: CtlAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum CtlAction {
    /// Zones, pools and every backend's state, as a table.
    Status,
    /// Exit 0 when the server is ready (every zone has data, first probe round done),
    /// else 1 with the reason: a container health check.
    Ready,
    /// Take an address out of every answer.
    Drain {
        address: String,
        /// Why, shown on the status page and in the log.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// End the drain by itself after this long (90s, 30m, 2h).
        #[arg(long = "for", value_name = "DURATION")]
        duration: Option<String>,
    },
    /// Put a drained address back (subject to its health).
    Undrain { address: String },
    /// Reload configuration and zones; prints the result and every problem.
    Reload,
    /// Secondary zones: refresh now, or transfer in full.
    Zone {
        #[command(subcommand)]
        action: ZoneAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ZoneAction {
    /// Check the primary's serial now and transfer if it is newer (like `knotc zone-refresh`).
    Refresh { name: String },
    /// Transfer the whole zone now, whatever the serials (like `knotc zone-retransfer`).
    Retransfer { name: String },
}
