//! Tokenizer for RFC 1035 §5.1 master files.
//!
//! Turns file text into *entries*: one logical line each, after comments are removed and
//! parenthesised groups are joined. Each entry remembers the line it started on (for
//! `FILE:LINE` errors) and whether it started with blank space (which, per RFC 1035 §5.1,
//! means "same owner as the previous record"). Nothing is dropped: every non-blank line
//! becomes part of exactly one entry or an error.

use std::fmt;

/// One token of an entry: a word or a quoted string (quotes removed, escapes kept raw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub quoted: bool,
}

impl Token {
    /// The token as it would be written in a master file (quoted strings re-quoted).
    pub fn to_source(&self) -> String {
        if self.quoted {
            format!("\"{}\"", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// One logical line of a master file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 1-based line where the entry starts.
    pub line: usize,
    /// True when the line began with blank space: the owner is inherited.
    pub blank_owner: bool,
    pub tokens: Vec<Token>,
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

struct State<'s> {
    /// Where each entry goes when it is complete.
    sink: &'s mut dyn FnMut(Entry),
    current: Option<Entry>,
    word: Option<String>,
    depth: usize,
    paren_line: usize,
}

impl State<'_> {
    fn flush_word(&mut self, line: usize) {
        if let Some(text) = self.word.take() {
            self.push(
                line,
                Token {
                    text,
                    quoted: false,
                },
            );
        }
    }

    fn push(&mut self, line: usize, token: Token) {
        self.current
            .get_or_insert_with(|| Entry {
                line,
                blank_owner: false,
                tokens: Vec::new(),
            })
            .tokens
            .push(token);
    }

    fn end_entry(&mut self) {
        if let Some(e) = self.current.take()
            && !e.tokens.is_empty()
        {
            (self.sink)(e);
        }
    }
}

/// Splits master-file text into entries.
pub fn lex(text: &str) -> Result<Vec<Entry>, LexError> {
    let mut entries = Vec::new();
    lex_each(text, &mut |e| entries.push(e))?;
    Ok(entries)
}

/// Splits master-file text into entries, handing each to `sink` as soon as it is complete
/// (a large zone is never held as entries). Entries before a lexical error have been
/// handed over when the error is returned.
///
/// The text is walked by byte: every character with a meaning here is ASCII, so a run of
/// other bytes (a word, or the inside of a quoted string) never splits a UTF-8 sequence,
/// and is copied in one piece rather than character by character.
pub fn lex_each(text: &str, sink: &mut dyn FnMut(Entry)) -> Result<(), LexError> {
    let mut st = State {
        sink,
        current: None,
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
                st.current = Some(Entry {
                    line,
                    blank_owner: true,
                    tokens: Vec::new(),
                });
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
                    st.current.get_or_insert_with(|| Entry {
                        line,
                        blank_owner: false,
                        tokens: Vec::new(),
                    });
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
                let mut s = String::new();
                loop {
                    let end = run_end(i, b"\"\\\n");
                    s.push_str(&text[i..end]);
                    i = end;
                    match bytes.get(i) {
                        None => return Err(unterminated()),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            // The escape is kept for the RDATA parser, which reads it.
                            let n = text[i + 1..].chars().next().ok_or_else(unterminated)?;
                            if n == '\n' {
                                line += 1;
                            }
                            s.push('\\');
                            s.push(n);
                            i += 1 + n.len_utf8();
                        }
                        Some(_) => {
                            line += 1;
                            s.push('\n');
                            i += 1;
                        }
                    }
                }
                st.push(
                    start,
                    Token {
                        text: s,
                        quoted: true,
                    },
                );
            }
            b'\\' => {
                let w = st.word.get_or_insert_with(String::new);
                w.push('\\');
                match text[i..].chars().next() {
                    Some('\n') | None => {
                        return Err(LexError {
                            line,
                            message: "backslash at end of line".into(),
                        });
                    }
                    Some(n) => {
                        w.push(n);
                        i += n.len_utf8();
                    }
                }
            }
            _ => {
                let end = run_end(i, b"\n\r \t;()\"\\");
                let piece = &text[i - 1..end];
                match &mut st.word {
                    Some(w) => w.push_str(piece),
                    None => st.word = Some(piece.to_string()),
                }
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

    fn texts(e: &Entry) -> Vec<&str> {
        e.tokens.iter().map(|t| t.text.as_str()).collect()
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
