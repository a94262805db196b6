//! Broken zone files get errors, never a panic: the project's zone files, edited at random
//! many thousand times, are loaded, and every problem must name the file and a line of it.
//!
//! The reader slices tokens out of the text and builds names on the stack, so an edit that
//! splits a UTF-8 sequence, an escape or a name at the length limits must come back as a
//! problem, not an out-of-bounds slice or a failed `expect`.

use hickory_proto::rr::Name;
use rrdns::zone::Zone;

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

fn edit(text: &str, rng: &mut fastrand::Rng, pieces: &[String]) -> String {
    let mut s = text.to_string();
    for _ in 0..rng.usize(1..6) {
        // Edit at a char boundary: the text stays a string, as `read_to_string` gives it.
        let bounds: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
        let at = bounds[rng.usize(..bounds.len())];
        let to = bounds
            .iter()
            .copied()
            .find(|&b| b >= at + rng.usize(0..8))
            .unwrap_or(s.len());
        match rng.u8(0..3) {
            0 => s.insert_str(at, &pieces[rng.usize(..pieces.len())]),
            1 => s.replace_range(at..to, ""),
            _ => s.replace_range(at..to, &pieces[rng.usize(..pieces.len())]),
        }
    }
    s
}

#[test]
fn randomly_broken_zone_files_give_problems_with_lines_never_a_panic() {
    let files = [
        ("zones/example.test.zone", "example.test."),
        ("tests/fixtures/example.net.zone", "example.net."),
        ("tests/fixtures/generate.test.zone", "generate.test."),
    ];
    let pieces = pieces();
    let mut rng = fastrand::Rng::with_seed(20261128);
    let (mut loaded, mut refused) = (0, 0);
    for (path, origin) in files {
        let text = std::fs::read_to_string(path).unwrap();
        let origin = Name::from_ascii(origin).unwrap();
        assert!(
            Zone::from_text(&origin, &text, path).is_ok(),
            "{path} as written"
        );
        for round in 0..4000 {
            let broken = edit(&text, &mut rng, &pieces);
            let lines = broken.lines().count().max(1);
            match Zone::from_text(&origin, &broken, path) {
                Ok(_) => loaded += 1,
                Err(problems) => {
                    refused += 1;
                    assert!(!problems.is_empty());
                    for p in problems {
                        assert_eq!(p.file, path, "round {round}: {p}");
                        assert!(
                            (1..=lines).contains(&p.line),
                            "round {round}: {p} is not a line of the file ({lines} lines):\n{broken}"
                        );
                    }
                }
            }
        }
    }
    eprintln!("{loaded} loaded, {refused} refused");
    // Both outcomes must occur, or the edits test nothing.
    assert!(
        loaded > 100 && refused > 1000,
        "{loaded} loaded, {refused} refused"
    );
}
