//! Random edits of a valid file, for tests that broken input gets problems that name a
//! line, never a panic.

/// `text` with one to five random edits: an insertion of one of `pieces`, a deletion of
/// up to 8 bytes, or a replacement of them by a piece. Edits fall on char boundaries, so the
/// text stays a string, as `read_to_string` gives it.
pub fn random_edit(text: &str, rng: &mut fastrand::Rng, pieces: &[&str]) -> String {
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

/// A problem as a loader reports it: file, line, message.
pub type Found = (String, usize, String);

/// Loads `rounds` random edits of `file`'s `text` with `load`; every problem must name
/// `file` and a line of the edited text. Returns how many edits loaded and how many were
/// refused; a caller checks that both happen, or the edits test nothing.
pub fn check_edits(
    file: &str,
    text: &str,
    pieces: &[&str],
    rounds: usize,
    rng: &mut fastrand::Rng,
    mut load: impl FnMut(&str) -> Result<(), Vec<Found>>,
) -> (usize, usize) {
    assert!(load(text).is_ok(), "{file} as written");
    let (mut loaded, mut refused) = (0, 0);
    for round in 0..rounds {
        let broken = random_edit(text, rng, pieces);
        let lines = broken.lines().count().max(1);
        match load(&broken) {
            Ok(()) => loaded += 1,
            Err(problems) => {
                refused += 1;
                assert!(!problems.is_empty());
                for (f, line, message) in problems {
                    let p = format!("{f}:{line}: {message}");
                    assert_eq!(f, file, "round {round}: {p}");
                    assert!(
                        (1..=lines).contains(&line),
                        "round {round}: {p} is not a line of the file ({lines} lines):\n{broken}"
                    );
                }
            }
        }
    }
    (loaded, refused)
}
