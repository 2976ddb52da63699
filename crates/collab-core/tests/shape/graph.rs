//! The import graph of a crate's sources, read from the text: one file per node, an edge
//! from a file to each file whose items it names. Shared by the core's and the page's
//! shape tests (the page's includes this file by its path).
//!
//! What counts as naming a file's item: a path that starts with `crate::`, `super::` or
//! `self::` anywhere in the code, and every path of a private `use` (a child module's
//! path included). A `pub use` is a re-export, not a dependency of the file's own code:
//! it makes no edge, but a path through it is followed to the file that defines the
//! item, so that a cycle cannot hide behind a `mod.rs` that only re-exports. Comments
//! and string literals are skipped; a `use` may span lines and nest its groups. An inline
//! `#[cfg(test)] mod` is a node of its own (`file.rs#tests`): nothing imports a test
//! module, so what tests import cannot close a cycle.

#![allow(dead_code)] // each shape test uses its part

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges file → files, every file relative to the crate's `src`.
pub type Graph = BTreeMap<PathBuf, BTreeSet<PathBuf>>;

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
pub fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// The file of a module path, if it has its own.
fn module_file(files: &BTreeSet<PathBuf>, module: &[String]) -> Option<PathBuf> {
    if module.is_empty() {
        return Some(PathBuf::from("lib.rs"));
    }
    let joined = module.join("/");
    [format!("{joined}.rs"), format!("{joined}/mod.rs")].into_iter().map(PathBuf::from).find(|f| files.contains(f))
}

/// `text` with comments removed and string and character literals blanked, so that
/// neither is read as code.
pub fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('"', '\n'); otherwise a lifetime, kept as code.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// One leaf of a `use` tree: the path as written, and the name it brings in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub path: Vec<String>,
    pub name: String,
}

/// A `use` declaration: where it lies in the code, whether it is `pub` (any `pub(..)`
/// too), and its leaves, nested groups expanded (`a::{b, c::{d as e}, self}`).
pub struct Use {
    pub span: std::ops::Range<usize>,
    pub public: bool,
    pub imports: Vec<Import>,
}

/// The `use` declarations of `code` (see [`code_only`]).
pub fn uses(code: &str) -> Vec<Use> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find_word(&code[from..], "use").map(|a| a + from) {
        let end = code[at..].find(';').map_or(code.len(), |e| at + e + 1);
        let mut imports = Vec::new();
        tree(&code[at + 3..end - 1], &[], &mut imports);
        out.push(Use { span: at..end, public: is_pub(&code[..at]), imports });
        from = end;
    }
    out
}

/// Whether the code before a `use` ends with `pub` or `pub(...)`.
fn is_pub(before: &str) -> bool {
    let before = before.trim_end();
    if let Some(rest) = before.strip_suffix("pub") {
        return !rest.ends_with(|c: char| c.is_alphanumeric() || c == '_');
    }
    before.ends_with(')')
        && before.rfind("pub(").is_some_and(|at| !before[at + 4..before.len() - 1].contains(['(', ')']))
}

/// An inline module (`mod tests { .. }`): where its body lies, its name, and whether it
/// is `#[cfg(test)]`.
pub struct Inline {
    pub span: std::ops::Range<usize>,
    pub name: String,
    pub test: bool,
}

/// The inline modules of `code`.
pub fn inline_modules(code: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find_word(&code[from..], "mod").map(|a| a + from) {
        from = at + 3;
        let rest = code[from..].trim_start();
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let after = rest[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        let close = code[open..]
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '{' => 1,
                    '}' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map_or(code.len(), |(i, _)| open + i);
        let test = code[..at].trim_end().ends_with("#[cfg(test)]");
        out.push(Inline { span: open..close, name, test });
    }
    out
}

/// The position of `word` as a whole word in `text`.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(at) = text[from..].find(word).map(|a| a + from) {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if !before.is_some_and(is_ident) && after.is_some_and(|c| c.is_whitespace()) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Expands one `use` tree under `prefix` into `out`.
fn tree(text: &str, prefix: &[String], out: &mut Vec<Import>) {
    let text: String = text.chars().filter(|c| !c.is_whitespace() || *c == ' ').collect();
    let text = text.trim();
    if let Some(open) = text.find('{') {
        let mut path = prefix.to_vec();
        path.extend(segments(&text[..open]));
        let inner = &text[open + 1..text.rfind('}').unwrap_or(text.len())];
        for item in split_top(inner) {
            tree(item, &path, out);
        }
        return;
    }
    let (path_text, alias) = match text.split_once(" as ") {
        Some((p, a)) => (p, Some(a.trim())),
        None => (text, None),
    };
    let mut path = prefix.to_vec();
    path.extend(segments(path_text));
    if path.last().is_some_and(|s| s == "*") || path.is_empty() {
        return;
    }
    if path.last().is_some_and(|s| s == "self") {
        path.pop();
    }
    let Some(last) = path.last().cloned() else { return };
    out.push(Import { path, name: alias.map_or(last, str::to_string) });
}

fn segments(text: &str) -> Vec<String> {
    text.split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// `a, b::{c, d}, e` split at its top-level commas.
fn split_top(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// The paths in `code` that start at `crate`, `super` or `self`
/// (`super::learner::Phase`, `crate::model::CollabModel`), with their positions.
pub fn inline_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let is_path = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = ["crate::", "super::", "self::"].iter().filter_map(|p| find_root(&code[from..], p)).min() {
        let at = from + at;
        let len = code[at..].find(|c: char| !is_path(c)).unwrap_or(code.len() - at);
        // `pub(in crate::train)` says who may see an item: not a dependency.
        if !code[..at].trim_end().ends_with("pub(in") {
            out.push((at, segments(&code[at..at + len])));
        }
        from = at + len;
    }
    out
}

fn find_root(text: &str, root: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(root).map(|a| a + from) {
        let before = text[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return Some(at);
        }
        from = at + root.len();
    }
    None
}

/// A source file read: the names its `use`s bring in, and the paths it depends on.
struct Source {
    /// Name → absolute path, from every `use` at the file's own level.
    names: BTreeMap<String, Vec<String>>,
    /// Absolute paths that are dependencies (private `use` and paths in the code), each
    /// with the node that depends on it (the file, or one of its test modules).
    named: Vec<(PathBuf, Vec<String>)>,
}

/// `path` as written in the module `here` made absolute (from the crate root); `None` for
/// another crate's path.
fn absolute(path: &[String], here: &[String], files: &BTreeSet<PathBuf>) -> Option<Vec<String>> {
    let mut base = here.to_vec();
    let mut rest = path;
    match rest.first()?.as_str() {
        "crate" => {
            base.clear();
            rest = &rest[1..];
        }
        "self" => rest = &rest[1..],
        "super" => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        // 2018 paths: a child module of this one, else another crate.
        child => {
            let mut module = here.to_vec();
            module.push(child.to_string());
            module_file(files, &module)?;
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file that defines what `path` (absolute) names, following re-exports.
fn resolve(
    path: &[String],
    sources: &BTreeMap<PathBuf, Source>,
    files: &BTreeSet<PathBuf>,
    depth: usize,
) -> Option<PathBuf> {
    let n = (0..=path.len()).rev().find(|&n| module_file(files, &path[..n]).is_some())?;
    let file = module_file(files, &path[..n])?;
    match (path.get(n), sources.get(&file)) {
        (Some(name), Some(source)) if depth < 8 => match source.names.get(name) {
            Some(target) => {
                let mut through = target.clone();
                through.extend(path[n + 1..].iter().cloned());
                resolve(&through, sources, files, depth + 1).or(Some(file))
            }
            None => Some(file),
        },
        _ => Some(file),
    }
}

/// The import graph of the crate whose sources are under `src`.
pub fn graph(src: &Path) -> Graph {
    let mut all = Vec::new();
    files(src, src, &mut all);
    let files: BTreeSet<PathBuf> = all.iter().cloned().collect();
    let mut sources = BTreeMap::new();
    for file in &all {
        let code = code_only(&std::fs::read_to_string(src.join(file)).expect("readable source"));
        let modules = inline_modules(&code);
        let around = |at: usize| modules.iter().filter(move |m| m.span.contains(&at));
        // The module a position is in: the file's, and the inline modules around it.
        let here = |at: usize| {
            let mut module = module_of(file);
            module.extend(around(at).map(|m| m.name.clone()));
            module
        };
        // The node a position belongs to: the file, or the test module around it.
        let node = |at: usize| match around(at).find(|m| m.test) {
            Some(m) => PathBuf::from(format!("{}#{}", file.display(), m.name)),
            None => file.clone(),
        };
        let mut names = BTreeMap::new();
        let mut named = Vec::new();
        let declarations = uses(&code);
        for u in &declarations {
            let module = here(u.span.start);
            for import in &u.imports {
                let Some(path) = absolute(&import.path, &module, &files) else { continue };
                if !u.public {
                    named.push((node(u.span.start), path.clone()));
                }
                if module == module_of(file) {
                    names.insert(import.name.clone(), path);
                }
            }
        }
        let in_use = |at: usize| declarations.iter().any(|u| u.span.contains(&at));
        for (at, path) in inline_paths(&code).into_iter().filter(|(at, _)| !in_use(*at)) {
            named.extend(absolute(&path, &here(at), &files).map(|p| (node(at), p)));
        }
        sources.insert(file.clone(), Source { names, named });
    }
    let mut edges = Graph::new();
    for (file, source) in &sources {
        edges.entry(file.clone()).or_default();
        for (from, path) in &source.named {
            let to = edges.entry(from.clone()).or_default();
            to.extend(resolve(path, &sources, &files, 0).filter(|t| t != from));
        }
    }
    edges
}

/// A cycle of the graph, if there is one: the files on it, the first repeated at the end.
pub fn cycle(edges: &Graph) -> Option<Vec<PathBuf>> {
    // Depth-first search; a file met again while on the stack closes a cycle.
    fn visit(
        file: &PathBuf,
        edges: &Graph,
        stack: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if done.contains(file) {
            return None;
        }
        if let Some(at) = stack.iter().position(|f| f == file) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(file.clone());
            return Some(cycle);
        }
        stack.push(file.clone());
        for next in edges.get(file).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(file.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|file| visit(file, edges, &mut Vec::new(), &mut done))
}

/// Prints every edge (run a shape test with `-- --nocapture` to see them).
pub fn print(edges: &Graph) {
    for (from, to) in edges {
        println!("{} -> {}", from.display(), to.iter().map(|t| t.display().to_string()).collect::<Vec<_>>().join(", "));
    }
}

/// A cycle as text: `a.rs -> b.rs -> a.rs`.
pub fn show(cycle: &[PathBuf]) -> String {
    cycle.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" -> ")
}
