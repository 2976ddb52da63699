//! The page crate's shape, checked on its source: the graph of `crate::` and `super::`
//! paths between its files has no cycle, no section imports another section or
//! `update`, no wiring file imports another, and `update` imports no section.
//!
//! Run it alone with `cargo test -p collab-web --test shape -- --nocapture`: it prints
//! every edge of the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, relative to `root`.
fn files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(root).expect("under src").to_path_buf());
        }
    }
}

/// The module path of a file: `update/sheet.rs` is `[update, sheet]`, `web/mod.rs` is
/// `[web]`, `lib.rs` is `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// The file that holds the longest prefix of `path` that is a module.
fn file_of(src: &Path, path: &[String]) -> Option<PathBuf> {
    (0..=path.len()).rev().find_map(|n| {
        let module = path[..n].join("/");
        [format!("{module}.rs"), format!("{module}/mod.rs")]
            .into_iter()
            .map(PathBuf::from)
            .find(|f| !module.is_empty() && src.join(f).exists())
            .or_else(|| (n == 0).then(|| PathBuf::from("lib.rs")))
    })
}

/// The module paths a line names after `crate::` or `super::`, braces expanded one level.
fn paths(line: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", here[..here.len().saturating_sub(1)].to_vec())] {
        let mut rest = line;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            let ident =
                |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect::<String>();
            let head = ident(rest);
            let mut segments: Vec<String> = base.clone();
            segments.extend(head.split("::").filter(|s| !s.is_empty()).map(str::to_string));
            if head.ends_with("::") || head.is_empty() {
                // `crate::a::{b, c}` or `crate::{a, b}`: one path per item.
                if let Some(group) = rest[head.len()..].strip_prefix('{') {
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    for item in group.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                        let mut p = segments.clone();
                        p.extend(ident(item).split("::").filter(|s| !s.is_empty() && *s != "self").map(str::to_string));
                        out.push(p);
                    }
                    continue;
                }
            }
            out.push(segments);
        }
    }
    out
}

/// Edges file → file of the crate's sources.
fn graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &src, &mut all);
    let mut edges = BTreeMap::new();
    for file in all {
        let here = module_of(&file);
        let text = std::fs::read_to_string(src.join(&file)).expect("readable source");
        let mut to = BTreeSet::new();
        // `use super::*;` opens an inline test module onto its own file: not an edge.
        for line in text.lines().map(str::trim).filter(|l| !l.starts_with("//") && *l != "use super::*;") {
            for path in paths(line, &here) {
                if let Some(target) = file_of(&src, &path).filter(|t| *t != file) {
                    to.insert(target);
                }
            }
        }
        edges.insert(file, to);
    }
    edges
}

fn under(file: &Path, dir: &str) -> bool {
    file.starts_with(dir)
}

#[test]
fn the_import_graph_has_no_cycle() {
    let edges = graph();
    for (from, to) in &edges {
        println!("{} -> {}", from.display(), to.iter().map(|t| t.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    // Depth-first search; a file met again while on the stack closes a cycle.
    fn visit(
        file: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        stack: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) {
        if done.contains(file) {
            return;
        }
        if let Some(at) = stack.iter().position(|f| f == file) {
            let cycle: Vec<String> = stack[at..].iter().map(|f| f.display().to_string()).collect();
            panic!("import cycle: {} -> {}", cycle.join(" -> "), file.display());
        }
        stack.push(file.clone());
        for next in edges.get(file).into_iter().flatten() {
            visit(next, edges, stack, done);
        }
        stack.pop();
        done.insert(file.clone());
    }
    let mut done = BTreeSet::new();
    for file in edges.keys() {
        visit(file, &edges, &mut Vec::new(), &mut done);
    }
    assert!(edges.len() > 30, "the graph covers the crate: {} files", edges.len());
}

#[test]
fn sections_and_wiring_import_no_sibling_and_update_imports_no_section() {
    let edges = graph();
    let mut found = Vec::new();
    for (from, to) in &edges {
        for t in to {
            let sibling = |dir: &str| {
                under(from, dir)
                    && under(t, dir)
                    && !from.ends_with("mod.rs")
                    && !from.ends_with("tests.rs")
                    && !t.ends_with("mod.rs")
            };
            let section_to_update = under(from, "sections") && (t.starts_with("update") || t == Path::new("update.rs"));
            let update_to_section = (under(from, "update") || from == Path::new("update.rs")) && under(t, "sections");
            if sibling("sections") || sibling("web/wire") || section_to_update || update_to_section {
                found.push(format!("{} -> {}", from.display(), t.display()));
            }
        }
    }
    assert!(found.is_empty(), "forbidden imports: {found:#?}");
    // The check sees real edges: every section draws through the shared patch types.
    let lookup = &edges[Path::new("sections/lookup.rs")];
    assert!(lookup.contains(Path::new("sections/mod.rs")) && lookup.contains(Path::new("state.rs")), "{lookup:?}");
}

#[test]
fn the_path_reader_expands_groups_and_super() {
    let here = vec!["update".to_string(), "sheet".to_string()];
    assert_eq!(paths("use crate::{grid, msg::{Msg}};", &here), vec![vec!["grid".to_string()], vec!["msg".to_string()]]);
    assert_eq!(
        paths("    super::lookup_effect(app)", &here),
        vec![vec!["update".to_string(), "lookup_effect".to_string()]]
    );
    assert_eq!(module_of(Path::new("web/wire/mod.rs")), vec!["web", "wire"]);
}
