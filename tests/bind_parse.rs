//! Zone files as BIND reads them. For every zone of the differential corpus and a zone of
//! `$GENERATE` forms, the records rrdns loads must be the records `named-checkzone -D`
//! (BIND 9, from Debian) dumps for the same file. rrdns's side is an AXFR printed by
//! `dig`, so both sides are in BIND's presentation format (tests/common/bind.rs): sorted
//! lines, owner names lowercased (RFC 4343), whitespace folded, every record once.

mod common;

use common::bind::{assert_same_records, axfr, bind_reading};
use common::corpus::ZONES;
use common::*;

const GENERATE: (&str, &str) = ("generate.test.", "tests/fixtures/generate.test.zone");

#[test]
fn zones_load_as_bind_loads_them() {
    let zones: Vec<(&str, &str)> = ZONES.iter().copied().chain([GENERATE]).collect();
    let server = serve_project_zones(&zones, "transfer:\n  allow: [\"127.0.0.0/8\"]\n");
    for zone in &zones {
        let bind = bind_reading(*zone);
        assert!(
            bind.len() > 2,
            "{}: {} records from BIND",
            zone.1,
            bind.len()
        );
        assert_same_records(&axfr(&server, zone.0), &bind, zone.1);
    }
    // Names with a slash are answered too: the CNAME, and a referral below the child.
    let cname = server.dig(&["+short", "2.rev.generate.test.", "CNAME"]);
    assert_eq!(cname.trim(), "2.0/26.rev.generate.test.");
    let below = server.dig(&["+norec", "9.0/26.rev.generate.test.", "PTR"]);
    assert!(below.contains("status: NOERROR"), "{below}");
    let folded: Vec<String> = (below.lines())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        folded
            .iter()
            .any(|l| l.starts_with("0/26.rev.generate.test. 300 IN NS")),
        "{below}"
    );
}

#[test]
fn a_classless_reverse_zone_is_served() {
    // RFC 2317 §4: the child zone of a /26 is named with a slash, in the configuration too.
    let zone = "$TTL 300\n@ SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60\n\
                @ NS ns1.example.test.\n1 PTR host1.example.test.\n2 PTR host2.example.test.\n";
    let origin = "0/26.2.0.192.in-addr.arpa.";
    let config = config_for(&[(origin, "rev.zone")], "");
    let server = Server::start(&config, &[("rev.zone", zone)]);
    let ptr = server.dig(&["+short", "2.0/26.2.0.192.in-addr.arpa.", "PTR"]);
    assert_eq!(ptr.trim(), "host2.example.test.");
    let aa = server.dig(&["+norec", "1.0/26.2.0.192.in-addr.arpa.", "PTR"]);
    assert!(aa.contains(" aa"), "authoritative: {aa}");
    let nx = server.dig(&["+norec", "3.0/26.2.0.192.in-addr.arpa.", "PTR"]);
    assert!(nx.contains("status: NXDOMAIN"), "{nx}");
}
