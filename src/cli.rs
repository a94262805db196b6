//! Command-line interface: `rrdns [serve] [-c FILE]`, `rrdns check [-c FILE] [--print]` and
//! `rrdns check --zone NAME FILE`.

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
}
