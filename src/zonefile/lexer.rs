//! Tokenizer for RFC 1035 §5.1 master files.
//!
//! Turns file text into *entries*: one logical line each, after comments are removed and
//! parenthesised groups are joined. Each entry remembers the line it started on (for
//! `FILE:LINE` errors) and whether it started with blank space (which, per RFC 1035 §5.1,
//! means "same owner as the previous record"). Nothing is dropped: every non-blank line
//! becomes part of exactly one entry or an error.

use std::fmt;

/// One token of an entry: a word or a quoted string (quotes removed, escapes kept raw),
/// as a slice of the text read: tokens are never copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'t> {
    pub text: &'t str,
    pub quoted: bool,
}

impl Token<'_> {
    /// The token as it would be written in a master file (quoted strings re-quoted).
    pub fn to_source(self) -> String {
        if self.quoted {
            format!("\"{}\"", self.text)
        } else {
            self.text.to_string()
        }
    }
}

/// One logical line of a master file.
#[derive(Debug, Clone)]
pub struct Entry<'t> {
    /// 1-based line where the entry starts.
    pub line: usize,
    /// True when the line began with blank space: the owner is inherited.
    pub blank_owner: bool,
    pub tokens: Vec<Token<'t>>,
}

/// A lexical error with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

struct State<'s, 't> {
    text: &'t str,
    /// Where each entry goes when it is complete.
    sink: &'s mut dyn FnMut(&Entry<'t>),
    /// The entry being read, if one is open; its token vector is reused entry after entry.
    entry: Entry<'t>,
    open: bool,
    /// The word being read: where it starts and ends in the text.
    word: Option<(usize, usize)>,
    depth: usize,
    paren_line: usize,
}

impl<'t> State<'_, 't> {
    /// Opens an entry at `line` unless one is open.
    fn open(&mut self, line: usize, blank_owner: bool) {
        if !self.open {
            self.open = true;
            self.entry.line = line;
            self.entry.blank_owner = blank_owner;
            self.entry.tokens.clear();
        }
    }

    /// Extends the word being read (or starts one) over `from..to`.
    fn word(&mut self, from: usize, to: usize) {
        let start = self.word.map_or(from, |(start, _)| start);
        self.word = Some((start, to));
    }

    fn flush_word(&mut self, line: usize) {
        if let Some((from, to)) = self.word.take() {
            let text = &self.text[from..to];
            self.push(
                line,
                Token {
                    text,
                    quoted: false,
                },
            );
        }
    }

    fn push(&mut self, line: usize, token: Token<'t>) {
        self.open(line, false);
        self.entry.tokens.push(token);
    }

    fn end_entry(&mut self) {
        if std::mem::take(&mut self.open) && !self.entry.tokens.is_empty() {
            (self.sink)(&self.entry);
        }
    }
}

/// Splits master-file text into entries.
pub fn lex(text: &str) -> Result<Vec<Entry<'_>>, LexError> {
    let mut entries = Vec::new();
    lex_each(text, &mut |e| entries.push(e.clone()))?;
    Ok(entries)
}

/// Splits master-file text into entries, handing each to `sink` as soon as it is complete
/// (a large zone is never held as entries). Entries before a lexical error have been
/// handed over when the error is returned.
///
/// The text is walked by byte: every character with a meaning here is ASCII, so a run of
/// other bytes (a word, or the inside of a quoted string) never splits a UTF-8 sequence.
/// A token is a slice of the text: a word's escapes and a string's escapes and line
/// breaks are kept as written, so each is one run of it.
pub fn lex_each<'t>(text: &'t str, sink: &mut dyn FnMut(&Entry<'t>)) -> Result<(), LexError> {
    let mut st = State {
        text,
        sink,
        entry: Entry {
            line: 0,
            blank_owner: false,
            tokens: Vec::new(),
        },
        open: false,
        word: None,
        depth: 0,
        paren_line: 0,
    };
    let bytes = text.as_bytes();
    // The end of the run of bytes from `from` that are none of `stops`.
    let run_end = |from: usize, stops: &[u8]| {
        bytes[from..]
            .iter()
            .position(|b| stops.contains(b))
            .map_or(bytes.len(), |k| from + k)
    };
    let mut line = 1usize;
    let mut i = 0;
    let mut at_line_start = true;
    while i < bytes.len() {
        let c = bytes[i];
        i += 1;
        if at_line_start {
            at_line_start = false;
            if st.depth == 0 && (c == b' ' || c == b'\t') {
                st.open(line, true);
                continue;
            }
        }
        match c {
            b'\n' => {
                st.flush_word(line);
                if st.depth == 0 {
                    st.end_entry();
                }
                line += 1;
                at_line_start = true;
            }
            b'\r' if bytes.get(i) == Some(&b'\n') => {}
            b' ' | b'\t' | b'\r' => st.flush_word(line),
            b';' => {
                st.flush_word(line);
                i = run_end(i, b"\n");
            }
            b'(' => {
                st.flush_word(line);
                if st.depth == 0 {
                    st.paren_line = line;
                    st.open(line, false);
                }
                st.depth += 1;
            }
            b')' => {
                st.flush_word(line);
                if st.depth == 0 {
                    return Err(LexError {
                        line,
                        message: "')' without matching '('".into(),
                    });
                }
                st.depth -= 1;
            }
            b'"' => {
                st.flush_word(line);
                let start = line;
                let unterminated = || LexError {
                    line: start,
                    message: "unterminated quoted string".into(),
                };
                let from = i;
                loop {
                    i = run_end(i, b"\"\\\n");
                    match bytes.get(i) {
                        None => return Err(unterminated()),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            // The escape is kept for the RDATA parser, which reads it.
                            let n = text[i + 1..].chars().next().ok_or_else(unterminated)?;
                            if n == '\n' {
                                line += 1;
                            }
                            i += 1 + n.len_utf8();
                        }
                        Some(_) => {
                            line += 1;
                            i += 1;
                        }
                    }
                }
                let text = &text[from..i];
                i += 1; // the closing quote
                st.push(start, Token { text, quoted: true });
            }
            b'\\' => match text[i..].chars().next() {
                Some('\n') | None => {
                    return Err(LexError {
                        line,
                        message: "backslash at end of line".into(),
                    });
                }
                Some(n) => {
                    st.word(i - 1, i + n.len_utf8());
                    i += n.len_utf8();
                }
            },
            _ => {
                let end = run_end(i, b"\n\r \t;()\"\\");
                st.word(i - 1, end);
                i = end;
            }
        }
    }
    st.flush_word(line);
    if st.depth > 0 {
        return Err(LexError {
            line: st.paren_line,
            message: "'(' without matching ')'".into(),
        });
    }
    st.end_entry();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'t>(e: &Entry<'t>) -> Vec<&'t str> {
        e.tokens.iter().map(|t| t.text).collect()
    }

    #[test]
    fn joins_parentheses_and_strips_comments() {
        let src = "@ IN SOA ns1 host (\n 1 ; serial\n 2 3 4 5 )\nwww A 192.0.2.1 ; c\n";
        let es = lex(src).unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(
            texts(&es[0]),
            ["@", "IN", "SOA", "ns1", "host", "1", "2", "3", "4", "5"]
        );
        assert_eq!(es[1].line, 4);
    }

    #[test]
    fn blank_owner_and_quotes() {
        let es = lex("a TXT \"x ; y\" z\n  A 1.2.3.4\n").unwrap();
        assert!(es[0].tokens[2].quoted);
        assert_eq!(es[0].tokens[2].text, "x ; y");
        assert!(es[1].blank_owner);
        assert_eq!(es[1].line, 2);
    }

    #[test]
    fn closing_paren_after_indented_lines_keeps_the_entry() {
        // Regression: an indented continuation line used to start a new entry once the
        // parenthesis closed, silently dropping the SOA.
        let es = lex("@ SOA a b (\n    1 2\n    3 4 5 )\n  NS ns1\n").unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(es[0].tokens.len(), 9);
        assert!(es[1].blank_owner);
    }

    #[test]
    fn words_and_strings_keep_any_character_and_their_escapes() {
        let es = lex("é€.x TXT \"a\\\"b 😀\" w\\ x\\😀\r\n  A 1\r\n").unwrap();
        assert_eq!(es.len(), 2);
        assert_eq!(texts(&es[0]), ["é€.x", "TXT", "a\\\"b 😀", "w\\ x\\😀"]);
        assert!(es[0].tokens[2].quoted && !es[0].tokens[3].quoted);
        assert!(es[1].blank_owner);
        assert_eq!(texts(&es[1]), ["A", "1"]);
    }

    #[test]
    fn comment_only_and_blank_lines_make_no_entries() {
        let es = lex("; hello\n\n   \n\t; x\n").unwrap();
        assert!(es.is_empty());
    }

    #[test]
    fn unbalanced_parens_name_the_line() {
        assert_eq!(lex("a A (\n1.2.3.4\n").unwrap_err().line, 1);
        assert_eq!(lex("\n)\n").unwrap_err().line, 2);
        assert_eq!(lex("a TXT \"abc\n").unwrap_err().line, 1);
    }
}
