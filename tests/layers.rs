//! The crate's layers point one way (see `src/lib.rs`): a module names only modules of
//! lower layers, so the top-level module graph has no cycle. This reads every `crate::`
//! path in `src/` (comments left out) and fails on an edge that points up or sideways,
//! and on any cycle, naming the files that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and its layer; a module may use modules of lower layers only.
const LAYERS: &[(&str, u32)] = &[
    ("problem", 0),
    ("balance", 0),
    ("metrics", 0),
    ("noise", 0),
    ("sdnotify", 0),
    ("cli", 0),
    ("wire", 1),
    ("zonefile", 2),
    ("sign", 3),
    ("config", 4),
    ("zone", 5),
    ("health", 6),
    ("xfr", 6),
    ("dns", 7),
    ("admin", 8),
    ("app", 9),
    ("ctl", 9),
    ("resign", 8),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/zone/set.rs` → `zone`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).expect("under src");
    let first = rel.components().next().expect("a component");
    let first = first.as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without `//` comments (doc comments included: a doc link is not
/// an import).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            // `//` inside a string is rare in this crate and never next to `crate::`.
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named by `crate::x` and `crate::{x, y::z}` paths in `code`.
fn uses(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at commas outside inner braces.
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.insert(ident(&group[start..j]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&group[start..j]));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// Module → (used module → the files that use it).
fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in files {
        let m = module_of(&f);
        let text = std::fs::read_to_string(&f).expect("readable");
        let name = f.strip_prefix(src()).unwrap().display().to_string();
        for used in uses(&code(&text)) {
            if used != m {
                let edge = g.entry(m.clone()).or_default().entry(used).or_default();
                edge.insert(name.clone());
            }
        }
    }
    g
}

#[test]
fn every_module_uses_only_lower_layers() {
    let layer: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (m, used) in graph() {
        if m == "lib" || m == "main" {
            continue;
        }
        let Some(&lm) = layer.get(m.as_str()) else {
            wrong.push(format!("module {m} has no layer in tests/layers.rs"));
            continue;
        };
        for (u, files) in used {
            match layer.get(u.as_str()) {
                Some(&lu) if lu < lm => {}
                Some(&lu) => wrong.push(format!(
                    "{m} (layer {lm}) uses {u} (layer {lu}) in {files:?}"
                )),
                None => wrong.push(format!("{m} uses {u}, which has no layer, in {files:?}")),
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    // Depth-first search; a module met again while on the path closes a cycle.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if !done.insert(m.to_string()) {
            return None;
        }
        path.push(m.to_string());
        for next in g.get(m).into_iter().flat_map(|u| u.keys()) {
            if let Some(c) = visit(next, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_reader_finds_grouped_and_nested_paths() {
    let text = "use crate::{wire::name::{A, B}, zone};\n// crate::dns in a comment\nlet x = crate::xfr::f();";
    let found: Vec<String> = uses(&code(text)).into_iter().collect();
    assert_eq!(found, ["wire", "xfr", "zone"]);
}
