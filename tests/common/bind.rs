//! Zone data in BIND's presentation format, to compare rrdns with BIND's reading of a
//! file: `named-checkzone -D` on one side, rrdns's AXFR printed by `dig` on the other,
//! one record per line, the owner lowercased (RFC 4343), whitespace folded, sorted.

use std::process::Command;

use super::{Server, root};

/// A record line in one form: owner lowercased, fields separated by one space.
fn record(line: &str) -> String {
    let mut fields = line.split_whitespace();
    let owner = fields.next().unwrap_or_default().to_ascii_lowercase();
    std::iter::once(owner)
        .chain(fields.map(str::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

/// BIND's reading of a zone file (`named-checkzone -D`), sorted; fails if BIND refuses it.
pub fn bind_reading((origin, file): (&str, &str)) -> Vec<String> {
    let out = Command::new("named-checkzone")
        // BIND's own server policies (in-zone name servers with addresses, host names
        // in owner names) are not what a file means.
        .args(["-D", "-i", "none", "-k", "ignore", "-o", "-", origin])
        .arg(root().join(file))
        // `$INCLUDE` names a file from named's directory: the zone's own here.
        .current_dir(root().join(file).parent().expect("a file in a directory"))
        .output()
        .expect("named-checkzone is installed (apt-get install bind9-utils)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "BIND refuses {file}: {text}");
    // The dump follows BIND's own log lines ("zone …: loaded serial …") and comments.
    let mut lines: Vec<String> = (text.lines().map(str::trim))
        .filter(|l| !l.is_empty() && !l.starts_with("zone ") && !l.starts_with(';'))
        .filter(|l| *l != "OK")
        .map(record)
        .collect();
    lines.sort();
    lines
}

/// The zone as rrdns transfers it out, sorted, the closing SOA of AXFR (RFC 5936 §2.2)
/// left out.
pub fn axfr(s: &Server, origin: &str) -> Vec<String> {
    let out = s.dig(&["AXFR", origin, "+noall", "+answer"]);
    let mut got: Vec<String> = (out.lines().map(str::trim))
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .map(record)
        .collect();
    got.sort();
    let soa = (got.iter())
        .position(|l| l.split(' ').nth(3) == Some("SOA"))
        .expect("an SOA");
    got.remove(soa);
    got
}

/// Fails with the records that differ, not the whole zone twice.
pub fn assert_same_records(got: &[String], want: &[String], what: &str) {
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|r| !b.contains(r)).cloned().collect()
    };
    let (extra, missing) = (only(got, want), only(want, got));
    assert!(
        extra.is_empty() && missing.is_empty() && got.len() == want.len(),
        "{what}: served but not in BIND's reading:\n{}\nin BIND's reading but not served:\n{}",
        extra.join("\n"),
        missing.join("\n")
    );
}
