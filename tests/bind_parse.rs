//! Zone files as BIND reads them. For every zone of the differential corpus and a zone of
//! `$GENERATE` forms, the records rrdns loads must be the records `named-checkzone -D`
//! (BIND 9, from Debian) dumps for the same file. rrdns's side is an AXFR printed by
//! `dig`, so both sides are in BIND's presentation format; they are compared as sorted
//! sets of lines, owner names lowercased (RFC 4343) and whitespace folded.

mod common;

use common::corpus::ZONES;
use common::*;
use std::collections::BTreeSet;
use std::process::Command;

const GENERATE: (&str, &str) = ("generate.test.", "tests/fixtures/generate.test.zone");

/// One record per line: owner (lowercased), TTL, class, type, RDATA, single spaces.
fn records(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .map(|l| {
            let mut fields = l.split_whitespace();
            let owner = fields.next().unwrap_or_default().to_ascii_lowercase();
            std::iter::once(owner)
                .chain(fields.map(str::to_string))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn bind_view(origin: &str, file: &str) -> BTreeSet<String> {
    let out = Command::new("named-checkzone")
        .args(["-D", "-o", "-", origin])
        .arg(root().join(file))
        .output()
        .expect("named-checkzone is installed (apt-get install bind9-utils)");
    assert!(
        out.status.success(),
        "BIND refuses {file}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The dump follows BIND's own log lines ("zone …: loaded serial …").
    let text = String::from_utf8_lossy(&out.stdout);
    records(
        &text
            .lines()
            .filter(|l| !l.starts_with("zone ") && *l != "OK")
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[test]
fn zones_load_as_bind_loads_them() {
    let zones: Vec<(&str, &str)> = ZONES.iter().copied().chain([GENERATE]).collect();
    let server = serve_project_zones(&zones, "transfer:\n  allow: [\"127.0.0.0/8\"]\n");
    for (origin, file) in &zones {
        let ours = records(&server.dig(&["+nocmd", "+nostats", "AXFR", origin]));
        let bind = bind_view(origin, file);
        assert!(bind.len() > 2, "{file}: {} records from BIND", bind.len());
        let missing: Vec<_> = bind.difference(&ours).collect();
        let extra: Vec<_> = ours.difference(&bind).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{file}: records BIND has and rrdns lacks: {missing:#?}\nrecords rrdns has and BIND lacks: {extra:#?}"
        );
    }
    // Names with a slash are answered too: the CNAME, and a referral below the child.
    let cname = server.dig(&["+short", "2.rev.generate.test.", "CNAME"]);
    assert_eq!(cname.trim(), "2.0/26.rev.generate.test.");
    let below = server.dig(&["+norec", "9.0/26.rev.generate.test.", "PTR"]);
    assert!(below.contains("status: NOERROR"), "{below}");
    assert!(
        records(&below)
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
