//! Command-line interface: `rrdns [serve] [-c FILE]` and `rrdns check -c FILE`.

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
    Check {
        /// YAML configuration file (default: the embedded configuration).
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}
