//! The `rrdns` binary: parse the command line, set up logging, run.

use clap::Parser;
use rrdns::LogFormat;
use rrdns::cli::{Cli, Command};
use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match &cli.command {
        Some(Command::Check { config, .. } | Command::Serve { config }) => config.clone(),
        Some(Command::Ctl { .. }) => None,
        None => None,
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RRDNS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match rrdns::app::log_format(config.as_deref()) {
        LogFormat::Json => logs.json().init(),
        // Colours only for a person at a terminal: a file, journald or `docker logs`
        // would keep the escape codes as text.
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    match cli.command {
        Some(Command::Check {
            zone: Some(zone),
            file: Some(file),
            ..
        }) => rrdns::app::check_zone(&zone, &file),
        Some(Command::Check { config, print, .. }) => rrdns::app::check(config.as_deref(), print),
        Some(Command::Serve { config }) => rrdns::app::serve(config.as_deref()),
        Some(Command::Ctl {
            admin,
            config,
            token,
            action,
        }) => rrdns::ctl::run(
            rrdns::ctl::Target {
                admin,
                config,
                token,
            },
            action,
        ),
        None => rrdns::app::serve(None),
    }
}
