//! Reads RFC 1035 §5 master files (BIND syntax) into records with their source line.
//!
//! Handles `$ORIGIN` (relative to the current origin, unlike hickory's parser), `$TTL`
//! (RFC 2308 §4), `$INCLUDE` (relative to the including file), BIND's `$GENERATE`,
//! `@`, owner inheritance, TTL/class in either order, and RFC 3597 generic RDATA. Every
//! problem is collected with `FILE:LINE`; no line is ever dropped silently.

use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::parse_ttl;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::lexer::{Entry, Token, lex, lex_each};
use super::rdata::{Origin, absolute_wire, parse_rdata, parse_type};
use crate::problem::Problem;
use crate::wire::namebuf::NameBuf;

/// A record and where it was written.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    pub record: Record,
    pub file: Arc<str>,
    pub line: usize,
}

#[cfg(test)]
impl SourceRecord {
    fn from_read(r: Read<'_>) -> SourceRecord {
        SourceRecord {
            record: Record::from_rdata(r.owner.to_name(), r.ttl, r.data),
            file: r.file.clone(),
            line: r.line,
        }
    }
}

/// A record as read, its owner in wire form as written: the zone builder takes it so,
/// and no `Name` is built for the owner of every record of a large zone.
pub struct Read<'a> {
    pub owner: &'a NameBuf,
    pub ttl: u32,
    pub data: RData,
    pub file: &'a Arc<str>,
    pub line: usize,
}

/// The most records one `$GENERATE` may produce: a typo in a range must not eat memory.
const MAX_GENERATE: u64 = 1_000_000;
/// `$INCLUDE` nesting limit, against include loops.
const MAX_INCLUDE_DEPTH: usize = 16;

struct Reader<'s> {
    /// Where each record goes as soon as it is read.
    sink: &'s mut dyn FnMut(Read<'_>),
    problems: Vec<Problem>,
}

/// Per-file parsing context (RFC 1035 §5.1: `$INCLUDE` does not change the parent's origin).
struct Ctx {
    file: Arc<str>,
    dir: PathBuf,
    origin: Origin,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    /// The owner of the last record, `owners[i]`, for the next line that starts blank;
    /// a name is read into the other slot, so a bad one leaves it in place, and neither
    /// is copied per record.
    last_owner: Option<usize>,
    owners: [NameBuf; 2],
    depth: usize,
}

impl Ctx {
    /// The context at the start of a file (or text) named `file`.
    fn new(
        file: Arc<str>,
        dir: PathBuf,
        origin: Origin,
        default_ttl: Option<u32>,
        depth: usize,
    ) -> Ctx {
        Ctx {
            file,
            dir,
            origin,
            default_ttl,
            last_ttl: None,
            last_owner: None,
            owners: Default::default(),
            depth,
        }
    }
}

/// Reads a master file, handing each record to `sink` in file order; returns the problems.
pub fn read_master_with(
    path: &Path,
    origin: &Name,
    sink: &mut dyn FnMut(Read<'_>),
) -> Vec<Problem> {
    let mut r = Reader {
        sink,
        problems: Vec::new(),
    };
    match Origin::new(origin.clone()) {
        Ok(origin) => r.read_file(path, origin, None, 0, None),
        Err(e) => r.problem(&Arc::from(path.display().to_string()), 0, e),
    }
    r.problems
}

/// Reads master-file text into records (for tests); `file` names it in errors.
#[cfg(test)]
pub fn read_master_str(text: &str, file: &str, origin: &Name) -> (Vec<SourceRecord>, Vec<Problem>) {
    let mut records = Vec::new();
    let problems = read_master_str_with(text, file, origin, &mut |r| {
        records.push(SourceRecord::from_read(r));
    });
    (records, problems)
}

/// As [`read_master_with`], for master-file text; `file` names it in errors.
pub fn read_master_str_with(
    text: &str,
    file: &str,
    origin: &Name,
    sink: &mut dyn FnMut(Read<'_>),
) -> Vec<Problem> {
    let file: Arc<str> = Arc::from(file);
    let mut r = Reader {
        sink,
        problems: Vec::new(),
    };
    let origin = match Origin::new(origin.clone()) {
        Ok(o) => o,
        Err(message) => {
            r.problem(&file, 0, message);
            return r.problems;
        }
    };
    let mut ctx = Ctx::new(file, PathBuf::from("."), origin, None, 0);
    r.read_text(text, &mut ctx);
    r.problems
}

impl Reader<'_> {
    fn problem(&mut self, file: &Arc<str>, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_string(),
            line,
            message: message.into(),
        });
    }

    fn read_file(
        &mut self,
        path: &Path,
        origin: Origin,
        default_ttl: Option<u32>,
        depth: usize,
        from: Option<(&Arc<str>, usize)>,
    ) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!("cannot read zone file {}: {e}", path.display());
                match from {
                    Some((f, l)) => self.problem(f, l, msg),
                    None => self.problem(&Arc::from(path.display().to_string()), 0, msg),
                }
                return;
            }
        };
        let file = Arc::from(path.display().to_string());
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut ctx = Ctx::new(file, dir, origin, default_ttl, depth);
        self.read_text(&text, &mut ctx);
    }

    fn read_text(&mut self, text: &str, ctx: &mut Ctx) {
        let lexed = lex_each(text, &mut |entry| {
            let first = &entry.tokens[0];
            let result = if !entry.blank_owner && !first.quoted && first.text.starts_with('$') {
                self.directive(entry, ctx)
            } else {
                self.record(entry, ctx)
            };
            if let Err(msg) = result {
                self.problem(&ctx.file, entry.line, msg);
            }
        });
        if let Err(e) = lexed {
            self.problem(&ctx.file, e.line, e.message);
        }
    }

    fn directive(&mut self, e: &Entry, ctx: &mut Ctx) -> Result<(), String> {
        let args = &e.tokens[1..];
        match e.tokens[0].text.to_ascii_uppercase().as_str() {
            "$ORIGIN" => {
                let [name] = args else {
                    return Err("$ORIGIN needs exactly one name".into());
                };
                // A relative $ORIGIN is relative to the current origin (RFC 1035 §5.1).
                ctx.origin = Origin::read(name.text, &ctx.origin)?;
                Ok(())
            }
            "$TTL" => {
                let [ttl] = args else {
                    return Err("$TTL needs exactly one TTL".into());
                };
                ctx.default_ttl = Some(ttl_value(ttl.text)?);
                Ok(())
            }
            "$INCLUDE" => self.include(e, args, ctx),
            "$GENERATE" => self.generate(e, args, ctx),
            other => Err(format!("unknown directive {other}")),
        }
    }

    fn include(&mut self, e: &Entry, args: &[Token], ctx: &mut Ctx) -> Result<(), String> {
        let (file, origin) = match args {
            [f] => (f, ctx.origin.clone()),
            [f, o] => (f, Origin::read(o.text, &ctx.origin)?),
            _ => return Err("$INCLUDE needs a file name and an optional origin".into()),
        };
        if ctx.depth >= MAX_INCLUDE_DEPTH {
            return Err(format!(
                "$INCLUDE nested more than {MAX_INCLUDE_DEPTH} deep"
            ));
        }
        let path = ctx.dir.join(file.text);
        let file_name = ctx.file.clone();
        self.read_file(
            &path,
            origin,
            ctx.default_ttl,
            ctx.depth + 1,
            Some((&file_name, e.line)),
        );
        Ok(())
    }

    fn record(&mut self, e: &Entry, ctx: &mut Ctx) -> Result<(), String> {
        let mut toks = &e.tokens[..];
        let owner = if e.blank_owner {
            ctx.last_owner
                .ok_or("record has no owner name and there is no previous owner")?
        } else {
            let slot = ctx.last_owner.map_or(0, |i| 1 - i);
            absolute_wire(toks[0].text, &ctx.origin, &mut ctx.owners[slot])?;
            toks = &toks[1..];
            slot
        };
        ctx.last_owner = Some(owner);
        let (ttl, rtype, rest) = ttl_class_type(toks)?;
        let rdata = parse_rdata(rtype, rest, &ctx.origin)?;
        let ttl = match ttl {
            Some(t) => {
                ctx.last_ttl = Some(t);
                t
            }
            None => match (ctx.default_ttl, ctx.last_ttl, &rdata) {
                (Some(t), _, _) => t,
                (None, Some(t), _) => t,
                // Old BIND behaviour: a zone without $TTL takes the SOA MINIMUM.
                (None, None, RData::SOA(soa)) => {
                    ctx.last_ttl = Some(soa.minimum);
                    soa.minimum
                }
                (None, None, _) => {
                    return Err("record has no TTL and no $TTL precedes it".into());
                }
            },
        };
        (self.sink)(Read {
            owner: &ctx.owners[owner],
            ttl,
            data: rdata,
            file: &ctx.file,
            line: e.line,
        });
        Ok(())
    }

    fn generate(&mut self, e: &Entry, args: &[Token], ctx: &mut Ctx) -> Result<(), String> {
        if args.len() < 4 {
            return Err("$GENERATE needs: range lhs [ttl] [class] type rhs".into());
        }
        let (start, stop, step) = parse_range(args[0].text)?;
        if (stop - start) / step >= MAX_GENERATE {
            return Err(format!(
                "$GENERATE range makes more than {MAX_GENERATE} records"
            ));
        }
        let lhs = &args[1].text;
        let mut i = start;
        while i <= stop {
            let owner_text = substitute(lhs, i)?;
            let mut line = owner_text;
            for t in &args[2..] {
                line.push(' ');
                let s = substitute(t.text, i)?;
                // A quoted right-hand side holds several fields: re-tokenise it.
                line.push_str(&s);
            }
            let entries = lex(&line).map_err(|x| x.message)?;
            for entry in entries {
                let entry = Entry {
                    line: e.line,
                    ..entry
                };
                self.record(&entry, ctx)?;
            }
            i += step;
        }
        Ok(())
    }
}

/// Parses `[ttl] [class]` in either order followed by a type (RFC 1035 §5.1).
fn ttl_class_type<'a, 't>(
    toks: &'a [Token<'t>],
) -> Result<(Option<u32>, RecordType, &'a [Token<'t>]), String> {
    let mut ttl = None;
    let mut class_seen = false;
    for (i, t) in toks.iter().enumerate() {
        // A quoted string is never a TTL, class or type (BIND: syntax error).
        if t.quoted {
            return Err(format!("\"{}\" where a TTL, class or type belongs", t.text));
        }
        if ttl.is_none() && t.text.starts_with(|c: char| c.is_ascii_digit()) {
            ttl = Some(ttl_value(t.text)?);
            continue;
        }
        if !class_seen && is_class(t.text) {
            let up = t.text.to_ascii_uppercase();
            if !matches!(up.as_str(), "IN" | "CLASS1") {
                return Err(format!("class {up} is not supported (only IN)"));
            }
            class_seen = true;
            continue;
        }
        return match parse_type(t.text) {
            Some(rt) => Ok((ttl, rt, &toks[i + 1..])),
            None => Err(format!("unknown record type '{}'", t.text)),
        };
    }
    Err("record has no type".into())
}

/// Whether `text` names a class (in any case, as BIND reads it).
fn is_class(text: &str) -> bool {
    let is = |c: &str| text.eq_ignore_ascii_case(c);
    is("IN")
        || is("CH")
        || is("HS")
        || is("CS")
        || text
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("CLASS") && text[5..].parse::<u16>().is_ok())
}

fn ttl_value(s: &str) -> Result<u32, String> {
    let v = parse_ttl(s).map_err(|_| format!("bad TTL '{s}'"))?;
    // RFC 2181 §8: a TTL is an unsigned 31-bit number.
    if v > i32::MAX as u32 {
        return Err(format!("TTL '{s}' is larger than 2^31-1"));
    }
    Ok(v)
}

fn parse_range(s: &str) -> Result<(u64, u64, u64), String> {
    let bad = || format!("bad $GENERATE range '{s}'");
    let (range, step) = match s.split_once('/') {
        Some((r, st)) => (r, st.parse::<u64>().map_err(|_| bad())?),
        None => (s, 1),
    };
    let (a, b) = range.split_once('-').ok_or_else(bad)?;
    let a: u64 = a.parse().map_err(|_| bad())?;
    let b: u64 = b.parse().map_err(|_| bad())?;
    if step == 0 || a > b {
        return Err(bad());
    }
    Ok((a, b, step))
}

/// BIND `$GENERATE` substitution: `$`, `${offset[,width[,base]]}`, `\$` and `$$` for a
/// literal dollar sign. Bases: d, o, x, X, and n/N (nibbles, for ip6.arpa).
fn substitute(tmpl: &str, i: u64) -> Result<String, String> {
    let mut out = String::with_capacity(tmpl.len() + 8);
    let mut chars = tmpl.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'$') => {
                chars.next();
                out.push('$');
            }
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                out.push('$');
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let spec: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push_str(&format_modifier(&spec, i)?);
            }
            '$' => out.push_str(&i.to_string()),
            o => out.push(o),
        }
    }
    Ok(out)
}

fn format_modifier(spec: &str, i: u64) -> Result<String, String> {
    let bad = || format!("bad $GENERATE modifier '${{{spec}}}'");
    let mut parts = spec.split(',');
    let offset: i64 = parts
        .next()
        .unwrap_or("0")
        .trim()
        .parse()
        .map_err(|_| bad())?;
    let width: usize = match parts.next() {
        Some(w) => w.trim().parse().map_err(|_| bad())?,
        None => 0,
    };
    // A field wider than a whole name (255 octets) is a typo; unchecked, a width of
    // 4294967295 would fill memory (or overflow `format!`'s width).
    if width > 255 {
        return Err(format!("{}: width {width} is over 255", bad()));
    }
    let base = parts.next().unwrap_or("d").trim();
    // As BIND computes it: the offset read as a C int (wider values wrap, so
    // ${4294967295} is -1), the sum an int that must not overflow, a negative value
    // written with its sign in decimal and as its 32-bit pattern in the other bases.
    let v = (i as i64) + i64::from(offset as i32);
    let v = i32::try_from(v).map_err(|_| format!("{}: out of range", bad()))?;
    let bits = u64::from(v as u32);
    Ok(match base {
        "d" => format!("{v:0width$}"),
        "o" => format!("{bits:0width$o}"),
        "x" => format!("{bits:0width$x}"),
        "X" => format!("{bits:0width$X}"),
        "n" | "N" => nibbles(bits, width, base == "N"),
        _ => return Err(bad()),
    })
}

/// BIND's nibble format for reverse zones, as its `nibbles()` writes it: hex digits,
/// least significant first, each followed by a dot while `width` (which counts dots too)
/// has room left or digits remain. Never cut short, so an even width ends in a dot.
fn nibbles(mut v: u64, mut width: usize, upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::new();
    loop {
        out.push(char::from(digits[(v & 0xf) as usize]));
        v >>= 4;
        width = width.saturating_sub(1);
        if width > 0 || v != 0 {
            out.push('.');
            width = width.saturating_sub(1);
        }
        if v == 0 && width == 0 {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Name {
        Name::from_ascii("example.test.").unwrap()
    }

    fn read(text: &str) -> (Vec<SourceRecord>, Vec<Problem>) {
        read_master_str(text, "t.zone", &origin())
    }

    #[test]
    fn relative_origin_is_relative_to_current_origin() {
        let (rs, ps) = read("$TTL 60\n$ORIGIN sub\nwww A 192.0.2.1\n");
        assert!(ps.is_empty(), "{ps:?}");
        assert_eq!(rs[0].record.name.to_ascii(), "www.sub.example.test.");
    }

    #[test]
    fn a_line_missing_its_type_is_an_error_not_dropped() {
        let (rs, ps) = read("$TTL 60\nwww 300 IN\nb A 192.0.2.2\n");
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].line, 2);
        // The TTL of the broken line must not leak into the next record.
        assert_eq!(rs[0].record.ttl, 60);
    }

    #[test]
    fn ttl_and_class_in_either_order_and_owner_inheritance() {
        let (rs, ps) = read("$TTL 60\na IN 30 A 192.0.2.1\n  30m IN TXT \"x\"\n");
        assert!(ps.is_empty(), "{ps:?}");
        assert_eq!(rs[0].record.ttl, 30);
        assert_eq!(rs[1].record.ttl, 1800);
        assert_eq!(rs[1].record.name, rs[0].record.name);
    }

    #[test]
    fn a_bad_owner_leaves_the_previous_owner_for_blank_lines() {
        let (rs, ps) = read("$TTL 60\nok A 192.0.2.1\nbad..name A 192.0.2.2\n  A 192.0.2.3\n");
        assert_eq!(ps.len(), 1, "{ps:?}");
        assert_eq!(
            (ps[0].line, ps[0].message.as_str()),
            (3, "bad name 'bad..name': empty label")
        );
        let owners: Vec<_> = rs.iter().map(|r| r.record.name.to_ascii()).collect();
        assert_eq!(owners, ["ok.example.test.", "ok.example.test."]);
    }

    #[test]
    fn classes_and_types_in_any_case() {
        let (rs, ps) =
            read("$TTL 60\na in a 192.0.2.1\nb class1 30 Aaaa ::1\nc 5 In type16 \"t\"\n");
        assert!(ps.is_empty(), "{ps:?}");
        let types: Vec<_> = rs.iter().map(|r| r.record.record_type()).collect();
        assert_eq!(types, [RecordType::A, RecordType::AAAA, RecordType::TXT]);
        let (_, ps) =
            read("$TTL 60\na ch A 192.0.2.1\nb class3 A 192.0.2.1\nc IN VERYLONGTYPENAMEX 1\n");
        let msgs: Vec<_> = ps.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "class CH is not supported (only IN)",
                "class CLASS3 is not supported (only IN)",
                "unknown record type 'VERYLONGTYPENAMEX'",
            ]
        );
    }

    #[test]
    fn generate_with_modifiers() {
        let (rs, ps) = read("$TTL 60\n$GENERATE 1-3 host$ A 10.0.0.${10}\n");
        assert!(ps.is_empty(), "{ps:?}");
        assert_eq!(rs.len(), 3);
        assert_eq!(rs[2].record.name.to_ascii(), "host3.example.test.");
        assert_eq!(rs[2].record.data.to_string(), "10.0.0.13");
        let (rs, _) = read("$TTL 60\n$GENERATE 0-1 h${0,2,x} MX \"10 m$\"\n");
        assert_eq!(rs[1].record.data.to_string(), "10 m1.example.test.");
        assert_eq!(rs[1].record.name.to_ascii(), "h01.example.test.");
    }

    /// Regression: a negative value was refused and an overflowing offset accepted;
    /// named-checkzone gives h-1/h0/h1, h000/h001, h0/h1 and "out of range" here.
    #[test]
    fn generate_offsets_are_ints_as_in_bind() {
        let names = |text: &str| -> Vec<String> {
            let (rs, ps) = read(text);
            assert!(ps.is_empty(), "{text}: {ps:?}");
            rs.iter().map(|r| r.record.name.to_ascii()).collect()
        };
        assert_eq!(
            names("$TTL 60\n$GENERATE 0-2 h${-1} A 10.0.0.1\n"),
            ["h-1.example.test.", "h0.example.test.", "h1.example.test."]
        );
        assert_eq!(
            names("$TTL 60\n$GENERATE 1-2 h${-1,3,x} A 10.0.0.1\n"),
            ["h000.example.test.", "h001.example.test."]
        );
        assert_eq!(
            names("$TTL 60\n$GENERATE 1-2 h${4294967295} A 10.0.0.1\n"),
            ["h0.example.test.", "h1.example.test."]
        );
        let (rs, ps) = read("$TTL 60\n$GENERATE 1-2 h${2147483647} A 10.0.0.1\n");
        assert!(
            rs.is_empty() && ps[0].message.contains("out of range"),
            "{ps:?}"
        );
    }

    #[test]
    fn generate_widths_past_a_name_are_refused() {
        for w in ["256", "65536", "4294967295", "18446744073709551615"] {
            for base in ["d", "x", "n"] {
                let (_, ps) = read(&format!(
                    "$TTL 60\n$GENERATE 1-2 h${{0,{w},{base}}} A 10.0.0.1\n"
                ));
                assert_eq!(ps.len(), 1, "{w} {base}: {ps:?}");
                assert_eq!(ps[0].line, 2);
                assert!(ps[0].message.contains("is over 255"), "{}", ps[0].message);
            }
        }
        let (rs, ps) = read("$TTL 60\n$GENERATE 1-1 h${0,255,d} A 10.0.0.1\n");
        assert!(
            rs.is_empty() && ps.len() == 1,
            "a 255-digit label is too long: {ps:?}"
        );
    }

    #[test]
    fn generate_nibbles_for_reverse_zones() {
        // Checked against named-checkzone by tests/bind_parse.rs.
        assert_eq!(nibbles(0x1a, 0, false), "a.1");
        assert_eq!(nibbles(0x1a, 7, false), "a.1.0.0");
        assert_eq!(nibbles(0xab, 3, true), "B.A");
        // As BIND: an even width ends in a dot, and a value wider than `width` is whole.
        assert_eq!(nibbles(0x11, 4, false), "1.1.");
        assert_eq!(nibbles(0x123, 3, false), "3.2.1");
        assert_eq!(nibbles(0, 0, false), "0");
        let (rs, ps) = read("$TTL 60\n$GENERATE 10-11 ${0,3,n} PTR h$\n");
        assert!(ps.is_empty(), "{ps:?}");
        assert_eq!(rs[0].record.name.to_ascii(), "a.0.example.test.");
    }

    #[test]
    fn every_problem_is_reported() {
        let (_, ps) = read("$TTL 60\na A 1.2.3\nb BOGUS x\n$FOO\nc CH TXT x\n");
        let lines: Vec<usize> = ps.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
    }

    #[test]
    fn no_ttl_anywhere_is_an_error() {
        let (_, ps) = read("a A 192.0.2.1\n");
        assert_eq!(ps.len(), 1);
    }
}
