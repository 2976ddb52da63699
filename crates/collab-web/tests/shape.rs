//! The page crate's shape, checked on its source: the graph of `crate::` and `super::`
//! paths between its files has no cycle, no section imports another section or
//! `update`, no wiring file imports another, and `update` imports no section.
//!
//! Run it alone with `cargo test -p collab-web --test shape -- --nocapture`: it prints
//! every edge of the graph. The reader of the graph is the core's
//! (`crates/collab-core/tests/shape/graph.rs`, which says what counts as an edge), and
//! its own tests are there.

use std::path::Path;

/// The import graph's reader, shared with the core crate's shape test.
#[path = "../../collab-core/tests/shape/graph.rs"]
mod graph;

/// Edges file → file of the crate's sources.
fn graph() -> graph::Graph {
    graph::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn under(file: &Path, dir: &str) -> bool {
    file.starts_with(dir)
}

#[test]
fn the_import_graph_has_no_cycle() {
    let edges = graph();
    graph::print(&edges);
    if let Some(cycle) = graph::cycle(&edges) {
        panic!("import cycle: {}", graph::show(&cycle));
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
