//! Broken configuration files get errors, never a panic: the project's configurations,
//! edited at random thousands of times, are validated, and every problem must name the
//! file and a line of it.

mod common;

use common::edits::check_edits;
use rrdns::parse_config as parse;

/// Pieces an edit inserts: YAML syntax, the values with rules of their own (durations,
/// addresses, names, weights), and the limits of their types.
const PIECES: &[&str] = &[
    " ",
    "  ",
    "\n",
    "\t",
    ":",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "#",
    "&a",
    "*a",
    "!!str",
    "0",
    "-1",
    "65536",
    "4294967296",
    "1.5",
    "1s",
    "0s",
    "999999999999h",
    "ms",
    "127.0.0.1",
    "[::1]:53",
    "256.0.0.1",
    "example.test.",
    "@",
    "..",
    "a\\",
    "é",
    "😀",
    "weights: { \"192.0.2.20\": 0 }",
    "interval: 0s",
    "type: tcp",
    "answers: 0",
    "~",
    "null",
];

#[test]
fn randomly_broken_configurations_give_problems_with_lines_never_a_panic() {
    let base = std::env::current_dir().unwrap();
    let mut rng = fastrand::Rng::with_seed(20261128);
    let (mut valid, mut refused) = (0, 0);
    for path in ["src/config/embedded.yaml", "docker/rrdns.yaml"] {
        let text = std::fs::read_to_string(path).unwrap();
        let (v, r) = check_edits(path, &text, PIECES, 3000, &mut rng, |t| {
            parse(t, path, &base).map(drop).map_err(|ps| {
                ps.into_iter()
                    .map(|p| (p.file, p.line, p.message))
                    .collect()
            })
        });
        (valid, refused) = (valid + v, refused + r);
    }
    eprintln!("{valid} valid, {refused} refused");
    assert!(
        valid > 100 && refused > 1000,
        "{valid} valid, {refused} refused"
    );
}
