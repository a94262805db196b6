//! The zone-file reader against BIND on randomly edited zones: seeded edits of the
//! fixture zones (a byte deleted, a token swapped, duplicated or replaced by a tricky one,
//! a line dropped or repeated), each read by rrdns (in process) and by `named-checkzone`.
//! rrdns must never panic, and where the two disagree on accepting a zone the case must
//! be one of the kinds the README explains (BIND's integrity check refuses a zone whose
//! in-zone name server has no address; NSD, Knot and rrdns load it).
//!
//! Run longer: `FUZZ_EDITS=5000 FUZZ_SEED=7 cargo test --test zonefile_fuzz -- --nocapture`
//! (`FUZZ_DUMP=DIR` keeps the zones on which rrdns and BIND disagree).

mod common;

use common::*;
use hickory_proto::rr::Name;
use std::process::Command;

/// Zones edited, by default; `FUZZ_EDITS` asks for more.
const EDITS: usize = 240;
/// Tokens that sit where parsers break: syntax, numbers at limits, odd names and escapes.
const TRICKY: [&str; 18] = [
    "(",
    ")",
    "\"",
    "\\",
    "$ORIGIN",
    "$TTL",
    "256",
    "-1",
    "4294967296",
    "CNAME",
    "A",
    "@",
    "*",
    "..",
    "\\#",
    "0x",
    "\\999",
    "\"a\\\"",
];

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One random edit of `text`.
fn edit(text: &str, rng: &mut fastrand::Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = rng.usize(..lines.len());
    let mut words: Vec<String> = lines[at].split(' ').map(String::from).collect();
    match rng.u8(..6) {
        0 if !lines[at].is_empty() => {
            let mut bytes = lines[at].clone().into_bytes();
            bytes.remove(rng.usize(..bytes.len()));
            lines[at] = String::from_utf8_lossy(&bytes).into_owned();
        }
        1 if words.len() > 1 => {
            let (i, j) = (rng.usize(..words.len()), rng.usize(..words.len()));
            words.swap(i, j);
            lines[at] = words.join(" ");
        }
        2 => {
            let i = rng.usize(..words.len());
            words.insert(i, words[i].clone());
            lines[at] = words.join(" ");
        }
        3 => {
            let i = rng.usize(..words.len());
            words[i] = TRICKY[rng.usize(..TRICKY.len())].to_string();
            lines[at] = words.join(" ");
        }
        4 => drop(lines.remove(at)),
        _ => lines.insert(at, lines[at].clone()),
    }
    lines.join("\n") + "\n"
}

/// Whether BIND loads the zone, and what it said.
fn bind_reads(dir: &std::path::Path, origin: &str, text: &str) -> (bool, String) {
    let path = dir.join("z.zone");
    std::fs::write(&path, text).unwrap();
    let out = Command::new("named-checkzone")
        .arg(origin)
        .arg(&path)
        .output()
        .expect("named-checkzone is installed (apt-get install bind9-utils)");
    let said = String::from_utf8_lossy(&out.stdout);
    let first = said.lines().next().unwrap_or_default();
    (
        out.status.success(),
        first.replace(&path.display().to_string(), "z.zone"),
    )
}

#[test]
fn edited_zones_never_panic_and_mostly_agree_with_bind() {
    let edits = env_or("FUZZ_EDITS", EDITS as u64) as usize;
    let mut rng = fastrand::Rng::with_seed(env_or("FUZZ_SEED", 1));
    let seeds = [
        ("faithful.test.", "tests/fixtures/faithful.test.zone"),
        ("types.test.", "tests/fixtures/types.test.zone"),
        ("example.net.", "tests/fixtures/example.net.zone"),
        ("example.test.", "zones/example.test.zone"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let (mut agree, mut disagreements) = (0usize, Vec::new());
    for n in 0..edits {
        let (origin, file) = seeds[n % seeds.len()];
        let mut text = project_file(file);
        for _ in 0..=rng.usize(..3) {
            text = edit(&text, &mut rng);
        }
        let name = Name::from_ascii(origin).unwrap();
        let ours = std::panic::catch_unwind(|| rrdns::Zone::from_text(&name, &text, "z.zone"))
            .unwrap_or_else(|_| panic!("rrdns panicked on an edit of {file}:\n{text}"));
        let (theirs, complaint) = bind_reads(dir.path(), origin, &text);
        if ours.is_ok() == theirs {
            agree += 1;
        } else {
            let why = match &ours {
                Ok(_) => format!("rrdns accepts, BIND refuses: {complaint}"),
                Err(ps) => format!("BIND accepts, rrdns refuses: {}", ps[0]),
            };
            disagreements.push(format!("{file}: {why}"));
            // FUZZ_DUMP=DIR keeps each disagreeing zone, to look at.
            if let Ok(dump) = std::env::var("FUZZ_DUMP") {
                let _ = std::fs::write(format!("{dump}/{n}.zone"), &text);
            }
        }
    }
    for d in &disagreements {
        println!("{d}");
    }
    let share = agree as f64 / edits as f64;
    println!("{agree} of {edits} edited zones accepted or refused as BIND does ({share:.3})");
    // Measured 2026-12-04 with the default seed and count; a drop is a regression.
    assert!(
        share >= 0.9,
        "{share:.3} agree; disagreements:\n{}",
        disagreements.join("\n")
    );
}
