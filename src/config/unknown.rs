//! Unknown keys without stopping the check: the YAML reader refuses the first unknown
//! key it meets (`deny_unknown_fields`, so a typo never silently does nothing), and then
//! nothing else would be looked at. Each unknown key is reported, blanked out of the text
//! with what is nested under it, and the text read again, so that one run of `rrdns
//! check` shows every unknown key together with every other problem. Lines keep their
//! numbers: blanked lines stay as empty lines.

/// At most this many unknown keys are reported in one run.
pub const MAX_UNKNOWN: usize = 50;

/// Whether a YAML error (its message without the place) is an unknown key.
pub fn is_unknown_key(message: &str) -> bool {
    message.starts_with("unknown field")
}

/// `text` with the key on `line` (1-based) and every line nested under it blank: the
/// lines after it that are more indented, or list items at its indentation.
pub fn blank_key(text: &str, line: usize) -> Option<String> {
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let at = line.checked_sub(1).filter(|&i| i < lines.len())?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key_indent = indent(&lines[at]);
    let mut end = at + 1;
    while let Some(l) = lines.get(end) {
        let nested = l.trim().is_empty()
            || indent(l) > key_indent
            || (indent(l) == key_indent && l.trim_start().starts_with("- "));
        if !nested {
            break;
        }
        end += 1;
    }
    // The key's parent: the nearest line above that is less indented. When the key was
    // its only entry, the parent is left an empty mapping, not nothing (null).
    let parent = (lines[..at].iter().rev()).find(|l| !l.trim().is_empty());
    let next = (lines[end..].iter()).find(|l| !l.trim().is_empty());
    let only_child = parent
        .is_some_and(|p| indent(p) < key_indent && next.is_none_or(|n| indent(n) <= indent(p)));
    for l in &mut lines[at..end] {
        l.clear();
    }
    if only_child {
        lines[at] = format!("{}{{}}", " ".repeat(key_indent));
    }
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_and_what_is_nested_under_it_are_blanked_and_lines_keep_their_numbers() {
        let text = "zones: []\nlisten_on:\n  - a\n  - b\ndefaults:\n  ttl: 3\n";
        assert_eq!(
            blank_key(text, 2).unwrap(),
            "zones: []\n\n\n\ndefaults:\n  ttl: 3\n"
        );
        let text = "a: 1\nbad:\n- x\n- y\nb: 2\n";
        assert_eq!(blank_key(text, 2).unwrap(), "a: 1\n\n\n\nb: 2\n");
        let text = "pools:\n  w.:\n    wieghts: 3\n    ttl: 5\n";
        assert_eq!(blank_key(text, 3).unwrap(), "pools:\n  w.:\n\n    ttl: 5\n");
        // The only entry of a mapping: the mapping stays, empty.
        let text = "pools:\n  w.:\n    wieghts: 3\nchecks: {}\n";
        assert_eq!(
            blank_key(text, 3).unwrap(),
            "pools:\n  w.:\n    {}\nchecks: {}\n"
        );
        assert_eq!(blank_key("a: 1\n", 9), None);
    }
}
