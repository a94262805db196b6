//! Broken zone files get errors, never a panic: the project's zone files, edited at random
//! many thousand times, are loaded, and every problem must name the file and a line of it.
//!
//! The reader slices tokens out of the text and builds names on the stack, so an edit that
//! splits a UTF-8 sequence, an escape or a name at the length limits must come back as a
//! problem, not an out-of-bounds slice or a failed `expect`.

mod common;

use common::edits::check_edits;
use hickory_proto::rr::Name;
use rrdns::Zone;

/// Pieces an edit inserts: the characters with a meaning in master files, multi-byte
/// characters, and names at and over the limits of RFC 1035 §3.1.
fn pieces() -> Vec<String> {
    let mut p: Vec<String> = [
        " ",
        "\t",
        "\n",
        "\r\n",
        "(",
        ")",
        "\"",
        "\\",
        "\\0",
        "\\255",
        "\\256",
        ";",
        ".",
        "..",
        "@",
        "$ORIGIN",
        "$TTL",
        "$GENERATE 1-3 h$ A 10.0.0.$",
        "IN",
        "CH",
        "CLASS1",
        "TYPE1",
        "\\#",
        "A",
        "MX",
        "SOA",
        "CNAME",
        "*",
        "1",
        "65536",
        "4294967295",
        "é",
        "😀",
        "x",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    p.push("a".repeat(63));
    p.push("b".repeat(64));
    p.push(vec!["c".repeat(63); 4].join("."));
    p.push(vec!["d".repeat(63); 3].join(".") + "." + &"e".repeat(61) + ".");
    p
}

#[test]
fn randomly_broken_zone_files_give_problems_with_lines_never_a_panic() {
    let files = [
        ("zones/example.test.zone", "example.test."),
        ("tests/fixtures/example.net.zone", "example.net."),
        ("tests/fixtures/generate.test.zone", "generate.test."),
    ];
    let pieces = pieces();
    let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let mut rng = fastrand::Rng::with_seed(20261128);
    let (mut loaded, mut refused) = (0, 0);
    for (path, origin) in files {
        let text = std::fs::read_to_string(path).unwrap();
        let origin = Name::from_ascii(origin).unwrap();
        let (l, r) = check_edits(path, &text, &pieces, 4000, &mut rng, |t| {
            Zone::from_text(&origin, t, path).map(drop).map_err(|ps| {
                ps.into_iter()
                    .map(|p| (p.file, p.line, p.message))
                    .collect()
            })
        });
        (loaded, refused) = (loaded + l, refused + r);
    }
    eprintln!("{loaded} loaded, {refused} refused");
    assert!(
        loaded > 100 && refused > 1000,
        "{loaded} loaded, {refused} refused"
    );
}
