//! Broken configuration files get errors, never a panic: the project's configurations,
//! edited at random thousands of times, are validated, and every problem must name the
//! file and a line of it.

use rrdns::config::validate::parse;

/// Pieces an edit inserts: YAML syntax, the values with rules of their own (durations,
/// addresses, names, weights), and the limits of their types.
fn pieces() -> Vec<&'static str> {
    vec![
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
    ]
}

fn edit(text: &str, rng: &mut fastrand::Rng, pieces: &[&str]) -> String {
    let mut s = text.to_string();
    for _ in 0..rng.usize(1..6) {
        let bounds: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
        let at = bounds[rng.usize(..bounds.len())];
        let to = bounds
            .iter()
            .copied()
            .find(|&b| b >= at + rng.usize(0..8))
            .unwrap_or(s.len());
        match rng.u8(0..3) {
            0 => s.insert_str(at, pieces[rng.usize(..pieces.len())]),
            1 => s.replace_range(at..to, ""),
            _ => s.replace_range(at..to, pieces[rng.usize(..pieces.len())]),
        }
    }
    s
}

#[test]
fn randomly_broken_configurations_give_problems_with_lines_never_a_panic() {
    let base = std::env::current_dir().unwrap();
    let pieces = pieces();
    let mut rng = fastrand::Rng::with_seed(20261128);
    let (mut valid, mut refused) = (0, 0);
    for path in ["src/config/embedded.yaml", "docker/rrdns.yaml"] {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(parse(&text, path, &base).is_ok(), "{path} as written");
        for round in 0..3000 {
            let broken = edit(&text, &mut rng, &pieces);
            let lines = broken.lines().count().max(1);
            match parse(&broken, path, &base) {
                Ok(_) => valid += 1,
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
    eprintln!("{valid} valid, {refused} refused");
    // Both outcomes must occur, or the edits test nothing.
    assert!(
        valid > 100 && refused > 1000,
        "{valid} valid, {refused} refused"
    );
}
