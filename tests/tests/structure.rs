//! The shape of the code, checked: no module imports one that imports it
//! back (directly or around a loop), and no source file grows past the size
//! where it holds several jobs.
//!
//! Imports are read from the text: every `crate::…` and `super::…` path in a
//! file (in `use` lines or inline) is an arrow from the file's module to the
//! deepest module the path names, and so is a module's use of its own
//! child (`child::f(…)`). `mod` declarations and re-exports (`pub use`) are
//! not arrows.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library crates whose modules are checked.
const CRATES: [&str; 6] = [
    "oauth-core",
    "as-service",
    "rp-service",
    "orchestrator",
    "proto",
    "serve",
];

/// Files allowed past the size limit: the story catalog is a table of data.
const LARGE_BY_DESIGN: [&str; 1] = ["orchestrator/src/catalog.rs"];

/// More lines than this and a file is doing several jobs.
const MAX_LINES: usize = 500;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src`: `lib.rs` is the root (empty),
/// `a/mod.rs` and `a.rs` are `a`, `a/b.rs` is `a::b`. Binaries are skipped.
fn module_of(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        "main.rs" => return None,
        name if parts.first().is_some_and(|p| p == "bin") => {
            let _ = name;
            return None;
        }
        name => parts.push(name.trim_end_matches(".rs").to_owned()),
    }
    Some(parts)
}

/// The `crate::…` and `super::…` paths in a text, as segment lists
/// (`super` kept as a segment), with `use` groups (`{a, b::c}`) expanded.
fn paths_in(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let starts = (rest.starts_with(b"crate::") || rest.starts_with(b"super::"))
            && (i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':');
        if !starts {
            i += 1;
            continue;
        }
        // Read `seg::seg::…`, stopping at anything else; a `{` starts a group.
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < bytes.len() && is_ident(bytes[j]) {
                j += 1;
            }
            if start == j {
                break;
            }
            segments.push(text[start..j].to_owned());
            if text[j..].starts_with("::") {
                j += 2;
                if j < bytes.len() && bytes[j] == b'{' {
                    let end = text[j..].find('}').map_or(bytes.len(), |e| j + e);
                    for item in text[j + 1..end].split(',') {
                        let item: Vec<String> = item
                            .trim()
                            .split("::")
                            .map(|s| {
                                s.trim()
                                    .trim_start_matches('{')
                                    .split_whitespace()
                                    .next()
                                    .unwrap_or("")
                                    .to_owned()
                            })
                            .filter(|s| !s.is_empty())
                            .collect();
                        let mut path = segments.clone();
                        path.extend(item);
                        found.push(path);
                    }
                    j = end;
                    segments.clear();
                    break;
                }
            } else {
                break;
            }
        }
        if !segments.is_empty() {
            found.push(segments);
        }
        i = j.max(i + 1);
    }
    found
}

/// Names used as the first segment of a relative path (`name::…`, not
/// preceded by `::` or part of a longer name): a module using its child.
fn children_used(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':') {
            let start = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            if bytes[i..].starts_with(b"::") {
                found.insert(text[start..i].to_owned());
            }
        } else {
            i += 1;
        }
    }
    found
}

/// The deepest known module a path names, from the module `from`.
fn target(
    from: &[String],
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut base: Vec<String> = Vec::new();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => rest = &rest[1..],
        Some("super") => {
            base = from.to_vec();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    let mut best = base.clone();
    for segment in rest {
        base.push(segment.clone());
        if modules.contains(&base) {
            best = base.clone();
        } else {
            break;
        }
    }
    Some(best)
}

/// The import arrows between the modules of one crate.
fn arrows(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .filter_map(|f| Some((module_of(src, f)?, f.clone())))
        .collect();
    let known: BTreeSet<Vec<String>> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        // Tests inside a file may reach anywhere; only the code counts. A
        // re-export (`pub use child::X`) is a facade, not a use.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("pub use "))
            .collect::<Vec<_>>()
            .join("\n");
        let code = code.as_str();
        let mut targets: BTreeSet<Vec<String>> = paths_in(code)
            .iter()
            .filter_map(|p| target(module, p, &known))
            .filter(|t| t != module && !t.starts_with(module))
            .collect();
        // A parent using its child (`child::f(…)`) points at the child too.
        for child in children_used(code) {
            let mut path = module.clone();
            path.push(child);
            if known.contains(&path) {
                targets.insert(path);
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// The cycles of a graph: its strongly connected components of more than
/// one module (Tarjan).
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a Vec<String>) {
        w.index.insert(v, w.next);
        w.low.insert(v, w.next);
        w.next += 1;
        w.stack.push(v);
        w.on_stack.insert(v);
        let graph = w.graph;
        for t in graph.get(v).into_iter().flatten() {
            let Some((t, _)) = graph.get_key_value(t) else {
                continue;
            };
            if !w.index.contains_key(t) {
                visit(w, t);
                let low = w.low[t].min(w.low[v]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(t) {
                let low = w.index[t].min(w.low[v]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(m) = w.stack.pop() {
                w.on_stack.remove(m);
                component.push(if m.is_empty() {
                    "crate".to_owned()
                } else {
                    m.join("::")
                });
                if m == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

#[test]
fn the_cycle_finder_finds_a_loop_and_reads_use_groups() {
    let paths = paths_in("use super::{a, b::C};\nlet x = crate::c::d(1);");
    assert_eq!(
        paths,
        vec![
            vec!["super".to_owned(), "a".into()],
            vec!["super".to_owned(), "b".into(), "C".into()],
            vec!["crate".to_owned(), "c".into(), "d".into()],
        ]
    );
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
    let graph = BTreeMap::from([
        (m("a"), BTreeSet::from([m("b")])),
        (m("b"), BTreeSet::from([m("c")])),
        (m("c"), BTreeSet::from([m("a")])),
        (m("d"), BTreeSet::from([m("a")])),
    ]);
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let mut found = Vec::new();
    for krate in CRATES {
        let src = workspace().join(krate).join("src");
        for cycle in cycles(&arrows(&src)) {
            found.push(format!("{krate}: {}", cycle.join(" <-> ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn no_source_file_holds_more_than_one_job_by_size() {
    let mut large = Vec::new();
    for krate in CRATES {
        let mut files = Vec::new();
        rust_files(&workspace().join(krate).join("src"), &mut files);
        for file in files {
            let rel = file
                .strip_prefix(workspace())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES && !LARGE_BY_DESIGN.contains(&rel.as_str()) {
                large.push(format!("{rel}: {lines} lines"));
            }
        }
    }
    assert!(
        large.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        large.join("\n")
    );
}

/// The contract crate is the contract alone: its dependencies are prost,
/// tonic and what compiles the `.proto` file; how the servers run (clap,
/// logs, health, reflection, threads) lives in `serve/`.
#[test]
fn the_contract_crate_depends_on_the_contract_alone() {
    let manifest = std::fs::read_to_string(workspace().join("proto").join("Cargo.toml")).unwrap();
    let table: toml::Table = manifest.parse().unwrap();
    let names = |section: &str| -> Vec<String> {
        table
            .get(section)
            .and_then(toml::Value::as_table)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(names("dependencies"), ["prost", "tonic", "tonic-prost"]);
    assert_eq!(
        names("build-dependencies"),
        ["protoc-bin-vendored", "tonic-prost-build"]
    );
}

/// Fields that hold a credential: a `derive(Debug)` over one as a plain
/// string would print it in any log line or panic message that shows the
/// struct. Such a field is an `oauth_core::secret::Secret` (its `Debug` is
/// `[redacted]`).
const SECRET_FIELDS: [&str; 13] = [
    "client_secret",
    "password",
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "code_verifier",
    "subject_token",
    "actor_token",
    "client_assertion",
    "logout_token",
    "registration_access_token",
    "secret",
];

/// The structs a file defines with `#[derive(…Debug…)]`: (name, fields as
/// `name: type` lines).
fn debug_structs(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[derive(") {
        rest = &rest[at..];
        let derive_end = rest.find(")]").unwrap_or(rest.len());
        let derives = &rest[..derive_end];
        let after = &rest[derive_end..];
        rest = &rest["#[derive(".len()..];
        if !derives.contains("Debug") {
            continue;
        }
        // Attributes and doc comments between the derive and the item.
        let item = after
            .lines()
            .skip(1)
            .map(str::trim)
            .find(|l| !l.starts_with("#[") && !l.starts_with("///") && !l.is_empty())
            .unwrap_or("");
        let Some(name) = item
            .split_whitespace()
            .skip_while(|w| *w != "struct")
            .nth(1)
        else {
            continue;
        };
        if !item.ends_with('{') {
            continue;
        }
        let name = name.trim_end_matches('{').trim().to_owned();
        let body_start = after.find(item).map_or(0, |i| i + item.len());
        let body = &after[body_start..];
        let body = &body[..body.find("\n}").unwrap_or(body.len())];
        let fields = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("//") && !l.starts_with("#["))
            .filter_map(|l| {
                let l = l
                    .strip_prefix("pub(crate) ")
                    .or(l.strip_prefix("pub "))
                    .unwrap_or(l);
                let (field, ty) = l.split_once(':')?;
                Some((
                    field.trim().to_owned(),
                    ty.trim().trim_end_matches(',').to_owned(),
                ))
            })
            .collect();
        found.push((name, fields));
    }
    found
}

#[test]
fn no_derived_debug_shows_a_credential_as_plain_text() {
    let mut plain = Vec::new();
    for krate in CRATES {
        let mut files = Vec::new();
        rust_files(&workspace().join(krate).join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (name, fields) in debug_structs(&text) {
                for (field, ty) in fields {
                    let raw = ["String", "&str", "Box<str>", "&'static str"]
                        .iter()
                        .any(|t| {
                            ty == *t || ty == format!("Option<{t}>") || ty == format!("Vec<{t}>")
                        });
                    if SECRET_FIELDS.contains(&field.as_str()) && raw {
                        plain.push(format!("{}: {name}.{field}: {ty}", file.display()));
                    }
                }
            }
        }
    }
    assert!(
        plain.is_empty(),
        "credentials in a derived Debug:\n{}",
        plain.join("\n")
    );
}

#[test]
fn the_credential_check_finds_a_plain_secret_in_a_derived_debug() {
    let text = "#[derive(Debug, Clone)]\n/// A client.\npub struct Client {\n    pub client_id: String,\n    pub client_secret: Option<String>,\n}\n";
    let structs = debug_structs(text);
    assert_eq!(structs.len(), 1);
    assert_eq!(structs[0].0, "Client");
    assert!(
        structs[0]
            .1
            .contains(&("client_secret".to_owned(), "Option<String>".to_owned()))
    );
}
