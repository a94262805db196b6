//! Weights as clients behind real caching resolvers see them: Unbound, BIND and Knot
//! Resolver from Debian, on loopback, each stubbing the test domain to rrdns, TTL 1 and
//! many names so that caches refetch. A client takes the first address of its answer; the
//! share of clients on the heavy address (weight 3 of 3:1:1:1) is measured for every
//! weighting mode behind each resolver and printed (the README's table comes from this).
//! `spread` must give 0.50 ± 0.06 behind every resolver, as it does to direct clients.

mod common;

use common::resolver::{Kind, Resolver, recursive_query};
use common::*;
use hickory_proto::op::Message;
use hickory_proto::rr::RData;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const NAMES: usize = 100;
const HEAVY: &str = "192.0.2.1";

fn zone() -> String {
    let mut z =
        String::from("$TTL 60\n@ SOA ns h 1 3600 900 604800 60\n@ NS ns\nns A 192.0.2.53\n");
    for i in 0..NAMES {
        // Written three times: weight 3.
        z.push_str(&format!("w{i} A 192.0.2.1\n A 192.0.2.1\n A 192.0.2.1\n A 192.0.2.2\n A 192.0.2.3\n A 192.0.2.4\n"));
    }
    z
}

/// The share of answers from `via` whose first address is the heavy one, over `secs`.
fn heavy_share(via: SocketAddr, secs: f64) -> (f64, usize) {
    let start = Instant::now();
    let (mut heavy, mut total) = (0usize, 0usize);
    let mut i = 0;
    while start.elapsed().as_secs_f64() < secs {
        let q = recursive_query(&format!("w{}.r.test.", i % NAMES));
        i += 1;
        let Some(r) = udp_exchange(via, &q, Duration::from_secs(2)) else {
            continue;
        };
        let Ok(m) = Message::from_vec(&r) else {
            continue;
        };
        let first = m.answers.iter().find_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        });
        if let Some(f) = first {
            total += 1;
            heavy += usize::from(f == HEAVY);
        }
    }
    (heavy as f64 / total.max(1) as f64, total)
}

#[test]
fn spread_weights_survive_caching_resolvers() {
    let modes = [("duplicate", 8), ("order", 8), ("sample", 2), ("spread", 2)];
    let mut table = String::from(
        "| mode (answers) | direct | Unbound | BIND | Knot Resolver |\n|---|---|---|---|---|\n",
    );
    let mut spread = Vec::new();
    for (mode, answers) in modes {
        let cfg = format!(
            "listen: [\"127.0.0.1:{{PORT}}\"]\nzones: [{{ name: r.test., file: r.zone }}]\ndefaults: {{ weighting: {mode}, answers: {answers}, ttl: 1 }}\n"
        );
        let s = Server::start(&cfg, &[("r.zone", &zone())]);
        let (direct, _) = heavy_share(s.addr, 1.0);
        let mut row = format!("| {mode} ({answers}) | {direct:.2} |");
        for kind in [Kind::Unbound, Kind::Bind, Kind::KnotResolver] {
            let r = Resolver::start(kind, "r.test.", s.addr, "w0.r.test.");
            let (share, n) = heavy_share(r.addr, 4.0);
            eprintln!("{mode} via {}: {share:.3} of {n} answers", kind.name());
            row.push_str(&format!(" {share:.2} |"));
            if mode == "spread" {
                spread.push((kind.name(), share, n));
            }
        }
        table.push_str(&row);
        table.push('\n');
    }
    eprintln!("heavy address (weight 3 of 3:1:1:1) first, share of clients:\n{table}");
    for (who, share, n) in spread {
        assert!(n > 1000, "{who}: only {n} answers");
        assert!(
            (share - 0.5).abs() <= 0.06,
            "spread via {who}: {share:.3}, not 0.50 ± 0.06"
        );
    }
}
