//! Zone files nobody here wrote: test zones of NSD's and BIND's own test suites
//! (tests/fixtures/real/, sources and licences in its SOURCES.md), read by rrdns as BIND
//! reads them, answered as NSD answers them with Knot as the tie-breaker, and loaded the
//! same when Knot sends them as a primary.

mod common;

use common::bind::{assert_same_records, axfr, bind_reading};
use common::generated::differences;
use common::knot::{Knot, Role};
use common::*;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

/// Zones BIND and rrdns load: origin, file, and the fewest corpus queries they give (300,
/// but for two zones of two and three names).
const LOADED: &[(&str, &str, usize)] = &[
    (
        "miek.nl.",
        "tests/fixtures/real/nsd/bug013_truncate.zone",
        300,
    ),
    (
        "example.",
        "tests/fixtures/real/nsd/nsec3param_detect.zone",
        300,
    ),
    ("example.", "tests/fixtures/real/nsd/nsec3_zone.zone", 300),
    (
        "example.com.",
        "tests/fixtures/real/nsd/nsec3_wildnodatads.zone.signed",
        300,
    ),
    (
        "types.wb.sidnlabs.nl.",
        "tests/fixtures/real/nsd/rr-wks.zone",
        300,
    ),
    (
        "text-test.nl.",
        "tests/fixtures/real/nsd/bug090_000_txt.zone",
        300,
    ),
    (
        "spf-test.nl.",
        "tests/fixtures/real/nsd/bug086_chars.zone",
        300,
    ),
    (
        "example.com.",
        "tests/fixtures/real/nsd/bug144_loc_defaults.zone",
        300,
    ),
    (
        "spf-test.nl.",
        "tests/fixtures/real/nsd/bug101_spf.zone",
        300,
    ),
    ("example.org.", "tests/fixtures/real/nsd/unsigned.zone", 300),
    ("example.", "tests/fixtures/real/nsd/nsec3_dname.zone", 150),
    (
        "bug236_rrs_before_soa.net.",
        "tests/fixtures/real/nsd/bug236_rrs_before_soa.zone2",
        300,
    ),
    (
        "victim.",
        "tests/fixtures/real/nsd/nxt_print_assert.zone",
        300,
    ),
    (
        "example.nil.",
        "tests/fixtures/real/bind/tsig-example.db",
        300,
    ),
    (
        "transfer1.",
        "tests/fixtures/real/bind/masterformat-example.db",
        300,
    ),
    (
        "example.",
        "tests/fixtures/real/bind/unknown-example-in.db",
        300,
    ),
    ("example.", "tests/fixtures/real/bind/dns64-example.db", 300),
    ("tld2.", "tests/fixtures/real/bind/rpz-tld2.db", 300),
    (
        "example.",
        "tests/fixtures/real/bind/redirect-example.db",
        300,
    ),
    ("net.", "tests/fixtures/real/bind/glue-net.db", 300),
    (
        "32/1.0.0.127-in-addr.example.",
        "tests/fixtures/real/bind/statistics-zone.db",
        50,
    ),
    ("big.", "tests/fixtures/real/bind/reclimit-big.db", 300),
];

/// Zones every server refuses, for a reason in the data: origin, file, and rrdns's
/// message (after FILE:LINE).
const REFUSED: &[(&str, &str, &str)] = &[
    (
        "interop3597.rfc.se.",
        "tests/fixtures/real/nsd/bug107_bad_hex_3597.zone",
        ":10: bad hex in generic data",
    ),
    (
        "example.com.",
        "tests/fixtures/real/nsd/bug077_dname_length.zone",
        ":8: bad name",
    ),
    (
        "example.com.",
        "tests/fixtures/real/nsd/cname_soa.zone",
        ":13: CNAME and other data at example.com.",
    ),
    (
        "example.",
        "tests/fixtures/real/bind/broken1.db",
        ":12: generic data length 5 does not match 4 bytes of hex",
    ),
    (
        "example.",
        "tests/fixtures/real/bind/broken2.db",
        ":12: generic data length 4 does not match 5 bytes of hex",
    ),
    (
        "example.",
        "tests/fixtures/real/bind/broken3.db",
        ":12: generic data is not valid A",
    ),
    (
        "example.",
        "tests/fixtures/real/bind/broken4.db",
        ":12: generic data is not valid SOA",
    ),
    (
        "example.",
        "tests/fixtures/real/bind/broken5.db",
        ":12: generic data is not valid ANY",
    ),
];

/// Zones BIND refuses to serve for a check of its own server (not the file's meaning),
/// which NSD and Knot load, and so does rrdns: origin, file, BIND's reason.
const BIND_POLICY: &[(&str, &str, &str)] = &[
    (
        "example.com.",
        "tests/fixtures/real/nsd/cname_ttl.com.zone",
        "has no address records",
    ),
    (
        "dnssec.",
        "tests/fixtures/real/nsd/copy_cd.zone",
        "signature has expired",
    ),
];

fn check_zone(origin: &str, file: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["check", "--zone", origin])
        .arg(root().join(file))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn named_checkzone(origin: &str, file: &str) -> (bool, String) {
    let out = Command::new("named-checkzone")
        .args(["-i", "none", "-k", "ignore", origin])
        .arg(root().join(file))
        .current_dir(root().join(file).parent().expect("a file in a directory"))
        .output()
        .expect("named-checkzone is installed (apt-get install bind9-utils)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Every zone is accepted or refused as BIND accepts or refuses it (its server policies
/// aside, each listed), a refusal names FILE:LINE, and what rrdns serves of a zone it
/// loads is what `named-checkzone -D` reads from the file, record for record.
#[test]
fn real_zones_are_read_as_bind_reads_them() {
    for &(origin, file, _) in LOADED {
        let (ok, text) = check_zone(origin, file);
        assert!(ok, "rrdns refuses {file}:\n{text}");
        let server =
            serve_project_zones(&[(origin, file)], "transfer:\n  allow: [\"127.0.0.0/8\"]\n");
        assert_same_records(&axfr(&server, origin), &bind_reading((origin, file)), file);
    }
    for &(origin, file, message) in REFUSED {
        let (ok, text) = check_zone(origin, file);
        assert!(!ok, "rrdns loads {file}:\n{text}");
        let at = format!("{}{message}", root().join(file).display());
        assert!(text.contains(&at), "'{at}' not in:\n{text}");
        let (bind_ok, bind) = named_checkzone(origin, file);
        assert!(!bind_ok, "BIND loads {file}:\n{bind}");
    }
    for &(origin, file, reason) in BIND_POLICY {
        let (ok, text) = check_zone(origin, file);
        assert!(ok, "rrdns refuses {file}:\n{text}");
        let (bind_ok, bind) = named_checkzone(origin, file);
        assert!(!bind_ok && bind.contains(reason), "BIND on {file}:\n{bind}");
        let nsd = Command::new("nsd-checkzone")
            .arg(origin)
            .arg(root().join(file))
            .output()
            .expect("nsd-checkzone is installed (apt-get install nsd)");
        assert!(nsd.status.success(), "NSD refuses {file}");
    }
}

/// Knot serving `file` as a primary, or `None` when Knot does not load it (the reason
/// is printed).
fn knot_primary(origin: &str, file: &str, notify: u16) -> Option<Knot> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let knot = Knot::start(
        origin,
        Role::Primary {
            zone_text: &text,
            notify,
        },
        false,
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], knot.port));
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let q = query_bytes(origin, hickory_proto::rr::RecordType::SOA, None);
        if let Some(r) = udp_exchange(addr, &q, Duration::from_millis(500))
            && r.get(3).is_some_and(|f| f & 0x0f == 0)
            && r.get(6..8) == Some(&[0, 1])
        {
            return Some(knot);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("Knot does not serve {file}:\n{}", knot.log());
    None
}

/// Zones NSD cannot load as they are: the words whose lines are left out of the copy
/// both servers answer from (types NSD does not know, and `NXT . ( 127 )`, which NSD
/// reads as type 0), or `None` where neither NSD nor Knot loads the zone at all (it is
/// still read as BIND reads it above).
fn nsd_copy(file: &str) -> Option<Vec<&'static str>> {
    let mut words = common::nsd::UNKNOWN_TO_NSD.to_vec();
    match file.rsplit('/').next() {
        Some("nxt_print_assert.zone") => None,
        Some("tsig-example.db") => {
            words.push("127");
            Some(words)
        }
        _ => Some(words),
    }
}

/// Each zone's generated corpus (every owner × its types and 20 common ones, names that
/// do not exist, below cuts, under wildcards, mixed case; with and without EDNS) is
/// answered as NSD answers it; where NSD and rrdns differ, Knot answering as rrdns does
/// breaks the tie.
#[test]
fn real_zones_are_answered_as_nsd_answers_with_knot_as_tie_breaker() {
    let mut all = Vec::new();
    let mut compared = 0;
    for &(origin, file, min) in LOADED {
        let Some(words) = nsd_copy(file) else {
            continue;
        };
        let (_dir, copy, _) = zone_without(file, &words);
        // Knot refuses NSEC3PARAM records it cannot choose between; the same zone
        // without the three extra ones (the test's point for NSD) is its copy.
        let knot_file = match file.rsplit('/').next() {
            Some("nsec3param_detect.zone") => "tests/fixtures/real/nsd/nsec3_zone.zone",
            _ => &copy,
        };
        let knot = knot_primary(origin, knot_file, free_port());
        let addr = knot
            .as_ref()
            .map(|k| SocketAddr::from(([127, 0, 0, 1], k.port)));
        all.extend(differences(origin, &copy, min, addr));
        compared += 1;
    }
    eprintln!("{compared} of {} zones compared with NSD", LOADED.len());
    assert!(
        all.is_empty(),
        "{} differences:\n{}",
        all.len(),
        all.join("\n")
    );
}

/// A secondary loads what its primary sends: each zone Knot loads, transferred from Knot
/// to rrdns (every type over the wire, unknown ones included), is what BIND reads from
/// the file, record for record.
#[test]
fn real_zones_from_a_knot_primary_load_as_written() {
    let mut transferred = 0;
    for &(origin, file, _) in LOADED {
        let port = free_port();
        let Some(knot) = knot_primary(origin, file, port) else {
            continue;
        };
        let cfg = format!(
            "listen: [\"127.0.0.1:{{PORT}}\"]\nstate_dir: state\ntransfer:\n  allow: [\"127.0.0.0/8\"]\n\
zones:\n  - name: \"{origin}\"\n    primaries: [\"127.0.0.1:{}\"]\n",
            knot.port
        );
        let ours = Server::start_on(port, &cfg, &[]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ours.log().contains("zone updated") {
            assert!(
                Instant::now() < deadline,
                "{file} not transferred:\n{}",
                ours.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_same_records(&axfr(&ours, origin), &bind_reading((origin, file)), file);
        transferred += 1;
    }
    // Knot 3.2 refuses 7 of these zones itself (WKS, NXT, GPOS and NSAP-PTR, names
    // with characters it does not take, NSEC3PARAM records it cannot choose between);
    // every zone it serves is transferred.
    eprintln!(
        "{transferred} of {} zones transferred from Knot",
        LOADED.len()
    );
    assert!(transferred >= 15, "{transferred} zones transferred");
}
