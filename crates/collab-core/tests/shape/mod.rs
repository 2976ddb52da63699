//! The core crate's shape, checked on its source (as the page crate's is, by the same
//! reader: [`graph`]): the graph of imports between its files has no cycle, the model
//! imports nothing from training, and the training layers import only downwards: the
//! engines never the choice of engine (`train/path.rs`) nor the learner, the engine
//! trait no engine, the step's shared items (`train/step.rs`) nothing of training at all.
//!
//! Run it alone with `cargo test -p collab-core --release --test tests shape -- --nocapture`:
//! it prints every edge of the graph.

pub mod graph;

use std::path::{Path, PathBuf};

use graph::{Graph, cycle, print, show};

fn core() -> Graph {
    graph::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn edge(edges: &Graph, from: &str, to: &str) -> bool {
    edges.get(Path::new(from)).is_some_and(|t| t.contains(Path::new(to)))
}

#[test]
fn the_core_import_graph_has_no_cycle() {
    let edges = core();
    print(&edges);
    if let Some(found) = cycle(&edges) {
        panic!("import cycle: {}", show(&found));
    }
    assert!(edges.len() > 40, "the graph covers the crate: {} files", edges.len());
    // The reader sees real edges, through `mod.rs` re-exports and `use` groups.
    for (from, to) in [
        ("train/learner.rs", "train/engine.rs"),
        ("train/learner.rs", "train/path.rs"),
        ("train/path.rs", "train/host.rs"),
        ("train/path.rs", "train/autodiff.rs"),
        ("train/host.rs", "train/engine.rs"),
        ("train/host.rs", "train/tables.rs"),
        ("train/autodiff.rs", "train/optimizer/mod.rs"),
        ("sheet.rs", "train/optimizer/mod.rs"),
        ("sheet.rs", "train/guard.rs"),
    ] {
        assert!(edge(&edges, from, to), "{from} -> {to} not seen: {:?}", edges.get(Path::new(from)));
    }
}

#[test]
fn training_imports_only_downwards_and_the_model_nothing_of_it() {
    let edges = core();
    let is = |file: &Path, names: &[&str]| names.iter().any(|n| file == Path::new(n));
    let engines = ["train/autodiff.rs", "train/host.rs", "train/tables.rs", "train/state.rs", "train/engine.rs"];
    let is_engine = |f: &Path| is(f, &engines) || f.starts_with("train/gpu") || f.starts_with("train/optimizer");
    let above_the_engines = ["train/path.rs", "train/learner.rs", "train/snapshot.rs", "train/bench.rs"];
    let mut found = Vec::new();
    for (from, to) in edges.iter().filter(|(from, _)| !from.to_string_lossy().contains('#')) {
        for t in to {
            let model_to_train = from.starts_with("model") && t.starts_with("train");
            let engine_up = is_engine(from) && is(t, &above_the_engines);
            // The trait's file names no engine: the engines import it, not the other way.
            let trait_to_engine =
                from == Path::new("train/engine.rs") && is_engine(t) && t != Path::new("train/state.rs");
            let step_to_train = from == Path::new("train/step.rs") && t.starts_with("train");
            if model_to_train || engine_up || trait_to_engine || step_to_train {
                found.push(format!("{} -> {}", from.display(), t.display()));
            }
        }
    }
    assert!(found.is_empty(), "imports against the layers: {found:#?}");
}

/// A made-up crate's sources in a fresh folder under the target directory.
fn made_up(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn a_cycle_is_found_even_behind_a_re_export() {
    // a -> b -> a, the plain case.
    let plain = made_up(
        "shape-plain",
        &[
            ("lib.rs", "mod a;\nmod b;\n"),
            ("a.rs", "use crate::b::B;\npub struct A;\n"),
            ("b.rs", "pub struct B(super::a::A);\n"),
        ],
    );
    assert_eq!(show(&cycle(&graph::graph(&plain)).expect("a cycle")), "a.rs -> b.rs -> a.rs");
    // x names `crate::m::Thing`, which m/mod.rs only re-exports from m/inner.rs, which
    // names x: the cycle runs through inner.rs, not through the re-exporting mod.rs.
    let hidden = made_up(
        "shape-hidden",
        &[
            ("lib.rs", "mod m;\nmod x;\n"),
            ("m/mod.rs", "mod inner;\npub use inner::{Other, Thing};\n"),
            ("m/inner.rs", "/// Not crate::nothing.\npub struct Thing(crate::x::X);\npub struct Other;\n"),
            ("x.rs", "use crate::m::{\n    Thing, // crate::y\n};\npub struct X;\nfn f(_: Thing) {}\n"),
        ],
    );
    let edges = graph::graph(&hidden);
    assert_eq!(show(&cycle(&edges).expect("a cycle")), "m/inner.rs -> x.rs -> m/inner.rs");
    assert!(edges[Path::new("m/mod.rs")].is_empty(), "a re-export is no edge: {edges:?}");
    // Without the edge back, no cycle; an inline test module's `super::` is its own file.
    let fine = made_up(
        "shape-fine",
        &[
            ("lib.rs", "mod m;\nmod x;\n"),
            ("m/mod.rs", "mod inner;\npub use inner::Thing;\n"),
            (
                "m/inner.rs",
                "pub struct Thing;\n#[cfg(test)]\nmod tests {\n    use super::Thing;\n    fn f() -> super::Thing { Thing }\n}\n",
            ),
            ("x.rs", "use crate::m::Thing;\nconst S: &str = \"crate::x\";\n"),
        ],
    );
    let edges = graph::graph(&fine);
    assert_eq!(cycle(&edges), None, "{edges:?}");
    assert!(edge(&edges, "x.rs", "m/inner.rs") && edges[Path::new("m/inner.rs")].is_empty(), "{edges:?}");
    assert!(edge(&edges, "m/inner.rs#tests", "m/inner.rs"), "a test module is a node of its own: {edges:?}");
}

#[test]
fn the_reader_expands_groups_aliases_and_super() {
    let leaves = |code: &str| -> Vec<(Vec<String>, String)> {
        graph::uses(code).into_iter().flat_map(|u| u.imports).map(|i| (i.path, i.name)).collect()
    };
    let path = |p: &str| p.split("::").map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        leaves("use crate::{grid, msg::{self, Msg as M}};"),
        vec![
            (path("crate::grid"), "grid".to_string()),
            (path("crate::msg"), "msg".to_string()),
            (path("crate::msg::Msg"), "M".to_string()),
        ]
    );
    let u = graph::uses("pub(crate) use super::x::Y;\npub use z::W;\nuse a::B;");
    assert_eq!(u.iter().map(|u| u.public).collect::<Vec<_>>(), vec![true, true, false]);
    let code = graph::code_only("let s = \"crate::no\"; // crate::no\nsuper::lookup_effect(app, '\"')");
    assert_eq!(
        graph::inline_paths(&code).into_iter().map(|(_, p)| p).collect::<Vec<_>>(),
        vec![path("super::lookup_effect")]
    );
    assert_eq!(graph::module_of(Path::new("web/wire/mod.rs")), vec!["web", "wire"]);
}
