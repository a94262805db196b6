//! Weight distributions measured over thousands of real queries to the binary.

mod common;

use common::*;
use hickory_proto::op::Message;
use hickory_proto::rr::{RData, RecordType};
use std::collections::HashMap;

const ZONE: &str = "$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 60\n@ NS ns\nns A 192.0.2.53\n\
ord A 192.0.2.1\n A 192.0.2.2\n A 192.0.2.3\n\
smp A 192.0.2.1\n A 192.0.2.2\n\
dup A 192.0.2.1\n A 192.0.2.2\n A 192.0.2.3\n\
rep A 192.0.2.1\n A 192.0.2.1\n A 192.0.2.1\n A 192.0.2.2\n\
cap A 192.0.2.1\n A 192.0.2.2\n A 192.0.2.3\n A 192.0.2.4\n A 192.0.2.5\n\
v6 AAAA 2001:db8::1\n AAAA 2001:db8::2\n";

const POOLS: &str = "pools:
  ord.w.test.:
    weighting: order
    weights: { \"192.0.2.1\": 3 }
  smp.w.test.:
    weighting: sample
    answers: 1
    weights: { \"192.0.2.1\": 3 }
  dup.w.test.:
    weighting: duplicate
    weights: { \"192.0.2.1\": 3 }
  cap.w.test.:
    answers: 2
    ttl: 5
  v6.w.test.:
    weighting: order
    weights: { \"2001:db8::1\": 4 }
";

fn server() -> Server {
    Server::start(
        &config_for(&[("w.test.", "w.zone")], POOLS),
        &[("w.zone", ZONE)],
    )
}

fn addrs(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.to_string()),
            RData::AAAA(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

/// Share of answers whose first address is each address.
fn first_shares(s: &Server, name: &str, t: RecordType, n: usize) -> HashMap<String, f64> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for _ in 0..n {
        let first = addrs(&s.udp(name, t))
            .into_iter()
            .next()
            .expect("an address");
        *counts.entry(first).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(k, v)| (k, v as f64 / n as f64))
        .collect()
}

#[test]
fn order_mode_weights_3_1_1_give_the_heavy_address_first_60_percent() {
    let s = server();
    let shares = first_shares(&s, "ord.w.test.", RecordType::A, 4000);
    let heavy = shares["192.0.2.1"];
    assert!((heavy - 0.60).abs() <= 0.04, "{shares:?}");
    for light in ["192.0.2.2", "192.0.2.3"] {
        assert!((shares[light] - 0.20).abs() <= 0.04, "{shares:?}");
    }
    // Every address is still in every answer.
    assert_eq!(addrs(&s.udp("ord.w.test.", RecordType::A)).len(), 3);
}

#[test]
fn sample_mode_serves_one_address_drawn_by_weight() {
    let s = server();
    for _ in 0..50 {
        assert_eq!(addrs(&s.udp("smp.w.test.", RecordType::A)).len(), 1);
    }
    let shares = first_shares(&s, "smp.w.test.", RecordType::A, 4000);
    assert!((shares["192.0.2.1"] - 0.75).abs() <= 0.04, "{shares:?}");
}

#[test]
fn duplicate_mode_repeats_addresses_by_weight() {
    let s = server();
    let a = addrs(&s.udp("dup.w.test.", RecordType::A));
    assert_eq!(a.len(), 5, "{a:?}");
    assert_eq!(a.iter().filter(|x| *x == "192.0.2.1").count(), 3, "{a:?}");
    // Weight from repeated records in the zone, without configuration: 3 copies vs 1.
    let a = addrs(&s.udp("rep.w.test.", RecordType::A));
    assert_eq!(a.iter().filter(|x| *x == "192.0.2.1").count(), 3, "{a:?}");
    let shares = first_shares(&s, "rep.w.test.", RecordType::A, 4000);
    assert!((shares["192.0.2.1"] - 0.75).abs() <= 0.04, "{shares:?}");
}

#[test]
fn answers_cap_and_ttl_cap() {
    let s = server();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let m = s.udp("cap.w.test.", RecordType::A);
        assert_eq!(m.answers.len(), 2);
        assert!(m.answers.iter().all(|r| r.ttl == 5));
        seen.extend(addrs(&m));
    }
    assert_eq!(seen.len(), 5, "every address gets its turn: {seen:?}");
    // Not in a pool: the default cap of 30 s applies to any multi-address RRset.
    let m = s.udp("ord.w.test.", RecordType::A);
    assert!(m.answers.iter().all(|r| r.ttl == 30));
    // A single address is not balanced and keeps its TTL.
    assert_eq!(s.udp("ns.w.test.", RecordType::A).answers[0].ttl, 300);
}

#[test]
fn aaaa_pools_are_weighted_like_a_pools() {
    let s = server();
    let shares = first_shares(&s, "v6.w.test.", RecordType::AAAA, 4000);
    assert!((shares["2001:db8::1"] - 0.80).abs() <= 0.04, "{shares:?}");
}

#[test]
fn tcp_answers_are_shuffled_and_weighted_too() {
    let s = server();
    let mut heavy_first = 0;
    let n = 1000;
    for _ in 0..n {
        if addrs(&s.tcp("ord.w.test.", RecordType::A))[0] == "192.0.2.1" {
            heavy_first += 1;
        }
    }
    let share = heavy_first as f64 / n as f64;
    assert!((share - 0.60).abs() <= 0.06, "{share}");
}
