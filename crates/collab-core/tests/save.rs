//! Saving and loading a model gives back the same weights and predictions, bit for bit.

use collab_core::data::Vocab;
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read::block_on;
use collab_core::save::{load, save};

use crate::{device, host, loss, small_batch};

#[test]
fn round_trip_is_exact_for_every_model() {
    let device = device();
    let users = Vocab::new((1..5).map(|i| i.to_string()).collect(), true);
    let items = Vocab::new(
        ["Kolya (1996)", "Fargo (1996)", "Café (1995)", "Heat (1995)", "Up (2009)"].map(String::from).to_vec(),
        false,
    );
    for kind in ModelKind::ALL {
        let spec = ModelSpec { kind, n_users: 5, n_items: 6, n_factors: 3, y_range: Some((0.0, 5.5)) };
        let model = spec.init(9, &device);
        let bytes = block_on(save(&model, &spec, &users, &items)).unwrap();
        let loaded = load(&bytes, &device).unwrap();
        assert_eq!(loaded.spec, spec);
        assert_eq!(loaded.items.labels, items.labels);
        assert_eq!(host(&loaded.model), host(&model), "{kind:?}");
        let a = loss(&model, &small_batch()).into_scalar::<f32>();
        let b = loss(&loaded.model, &small_batch()).into_scalar::<f32>();
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

#[test]
fn bad_files_are_refused_in_words() {
    let err = load(b"hello", &device()).err().unwrap();
    assert_eq!(err.to_string(), "the model file cannot be read: it is not a model saved by this notebook");
    let spec = ModelSpec { kind: ModelKind::DotProduct, n_users: 2, n_items: 2, n_factors: 2, y_range: None };
    let model = spec.init(0, &device());
    let vocab = Vocab::new(vec!["1".into()], true);
    let bytes = block_on(save(&model, &spec, &vocab, &vocab)).unwrap();
    let err = load(&bytes[..bytes.len() - 3], &device()).err().unwrap();
    assert!(err.to_string().contains("cut short"), "{err}");
}

/// A real save of a small model, to be tampered with.
fn real(kind: ModelKind, n_factors: usize) -> (collab_core::save::ModelHeader, Vec<u8>) {
    let spec = ModelSpec { kind, n_users: 5, n_items: 6, n_factors, y_range: Some((0.0, 5.5)) };
    let users = Vocab::new((1..5).map(|i| i.to_string()).collect(), true);
    let items = Vocab::new((1..6).map(|i| format!("movie {i}")).collect(), false);
    let bytes = block_on(save(&spec.init(3, &device()), &spec, &users, &items)).unwrap();
    let len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&bytes[12..12 + len]).unwrap();
    (header, bytes[12 + len..].to_vec())
}

/// The file `header` and `values` make.
fn craft(header: &collab_core::save::ModelHeader, values: &[u8]) -> Vec<u8> {
    let mut bytes = collab_core::packed::pack(b"COLLAB1\n", header, std::iter::empty());
    bytes.extend_from_slice(values);
    bytes
}

fn refused(bytes: &[u8]) -> String {
    load(bytes, &device()).err().expect("a crafted file must be refused").to_string()
}

#[test]
fn crafted_model_files_are_refused_before_anything_is_allocated() {
    let (header, values) = real(ModelKind::DotProductBias, 4);
    assert!(load(&craft(&header, &values), &device()).is_ok(), "the untouched file loads");

    // Zero users and movies: empty tables, empty vocabularies.
    let mut h = header.clone();
    (h.spec.n_users, h.spec.n_items, h.users, h.items) = (0, 0, vec![], vec![]);
    h.tensors.iter_mut().for_each(|t| t.shape[0] = 0);
    assert!(refused(&craft(&h, &[])).contains("at least one real user and one real movie"));

    // No factors.
    let mut h = header.clone();
    h.spec.n_factors = 0;
    assert!(refused(&craft(&h, &values)).contains("number of factors must be 1 to 400"));

    // A vocabulary shorter than its table.
    let mut h = header.clone();
    h.items.truncate(1);
    assert_eq!(
        refused(&craft(&h, &values)),
        "the model file cannot be read: its movie list has 1 names for a table of 6 movies"
    );

    // A spec of 50,000,000 users over a real model's tensors.
    let mut h = header.clone();
    h.spec.n_users = 50_000_000;
    assert!(refused(&craft(&h, &values)).contains("user list has 5 names for a table of 50000000 users"));
    // ... with a vocabulary to match (as names cost nothing to claim in JSON, the tables
    // must back the spec: here they do not).
    h.users = (0..50_000_000).map(|_| String::new()).take(5).collect();
    h.spec.n_users = 5;
    h.tensors[0].shape = vec![50_000_000, 4];
    let err = refused(&craft(&h, &values));
    assert!(err.contains("user_factors table is [50000000, 4], the spec says [5, 4]"), "{err}");

    // 100,000,000 users and no tensors at all (a 161-byte file in the report).
    let mut h = header.clone();
    h.spec.n_users = 100_000_000;
    h.users = vec![];
    h.tensors.clear();
    assert!(refused(&craft(&h, &[])).contains("user list has 0 names"));

    // Shapes whose sizes overflow: 2e9 x 2e9 x 1000.
    let mut h = header.clone();
    h.tensors[0].shape = vec![2_000_000_000, 2_000_000_000, 1000];
    let err = refused(&craft(&h, &values));
    assert!(err.contains("impossible shape") || err.contains("spec says"), "{err}");

    // Weights that are not numbers.
    let mut nan = values.clone();
    nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(refused(&craft(&header, &nan)).contains("not finite numbers"));

    // A header length past the end of the file.
    let mut cut = craft(&header, &values);
    cut[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(refused(&cut).contains("cut short"));
}

#[test]
fn a_neural_model_with_empty_vocabularies_is_refused() {
    let (mut h, values) = real(ModelKind::CollabNn, 50);
    assert!(load(&craft(&h, &values), &device()).is_ok());
    (h.users, h.items) = (vec![], vec![]);
    assert!(refused(&craft(&h, &values)).contains("user list has 0 names for a table of 5 users"));
}

#[test]
fn a_one_factor_model_loads_and_reads() {
    let (h, values) = real(ModelKind::DotProductBias, 1);
    let loaded = load(&craft(&h, &values), &device()).unwrap();
    let w = block_on(collab_core::weights::read(&loaded.model)).unwrap();
    let tables = collab_core::interpret::Tables::from_weights(&w, &loaded.spec).unwrap();
    assert_eq!(tables.k, 1);
    // The map's projection keeps one axis when only one exists.
    assert!(collab_core::interpret::pca_items(&tables, &[1, 2, 3], 2).iter().all(|c| c.len() == 1));
    assert_eq!(collab_core::interpret::similar_items(&tables, 1, &[1, 2, 3, 4], 3).len(), 3);
}

#[test]
fn a_kind_that_does_not_match_its_tables_is_named_as_such() {
    // A Scratch header over DotProductBias's tables (same shapes, other paths).
    let (mut h, values) = real(ModelKind::DotProductBias, 4);
    h.spec.kind = ModelKind::Scratch;
    assert_eq!(
        refused(&craft(&h, &values)),
        "the model file cannot be read: it says it is a DotProductBias (from scratch) but holds the tables of a \
         DotProductBias: it was changed after saving"
    );
    // Tables of no model at all.
    let (mut h, values) = real(ModelKind::DotProductBias, 4);
    h.tensors[2].path = "something.else".into();
    let err = refused(&craft(&h, &values));
    assert!(err.contains("its tables are not those of a DotProductBias"), "{err}");
    assert!(!err.contains("does not match the saved"), "{err}");
}

#[test]
fn a_damaged_header_is_said_in_words() {
    let (h, values) = real(ModelKind::DotProductBias, 4);
    let json = serde_json::to_string(&h).unwrap();
    let file = |json: &str| {
        let mut bytes = b"COLLAB1\n".to_vec();
        bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
        bytes.extend_from_slice(json.as_bytes());
        bytes.extend_from_slice(&values);
        bytes
    };
    // A number turned into text ("expected usize at line 1 column …" to serde_json).
    let changed = json.replacen("\"n_users\":5", "\"n_users\":\"5\"", 1);
    assert_ne!(changed, json);
    let err = refused(&file(&changed));
    assert!(
        err.starts_with("the model file cannot be read: its header was changed after saving: near character"),
        "{err}"
    );
    // Cut inside a string ("EOF while parsing a string").
    let err = refused(&file(&json[..json.find("movie 1").unwrap() + 3]));
    assert_eq!(err, "the model file cannot be read: it is cut short inside its header");
    for err in [refused(&file(&changed)), err] {
        assert!(!err.contains("usize") && !err.contains("EOF") && !err.contains("line 1"), "{err}");
    }
}

#[test]
fn long_names_in_a_model_file_are_cut_and_counted() {
    let (mut h, values) = real(ModelKind::DotProductBias, 4);
    h.items[1] = "y".repeat(1 << 20);
    h.users[2] = "7".repeat(1000);
    let loaded = load(&craft(&h, &values), &device()).unwrap();
    assert_eq!(loaded.cut_names, 2);
    assert_eq!(loaded.note().unwrap(), "2 names cut to 200 characters");
    assert!(loaded.items.labels.iter().chain(&loaded.users.labels).all(|l| l.chars().count() <= 200));
    let (h, values) = real(ModelKind::DotProductBias, 4);
    assert_eq!(load(&craft(&h, &values), &device()).unwrap().note(), None);
}

#[test]
fn a_dot_models_tables_predict_what_its_forward_pass_does() {
    use collab_core::data::Encoded;
    use collab_core::interpret::Tables;
    let device = device();
    // Every pair of 30 users × 40 items, `#na#` (0) included, at the lesson's 50 factors.
    let (users, items): (Vec<i32>, Vec<i32>) = (0..30).flat_map(|u| (0..40).map(move |i| (u, i))).unzip();
    let rows = Encoded { ratings: vec![0.0; users.len()], users, items };
    for kind in [ModelKind::DotProduct, ModelKind::DotProductBias, ModelKind::Scratch] {
        for y_range in [Some((0.0, 5.5)), None] {
            let spec = ModelSpec { kind, n_users: 30, n_items: 40, n_factors: 50, y_range };
            let model = spec.init(3, &device);
            let w = block_on(collab_core::weights::read(&model)).unwrap();
            let tables = Tables::from_weights(&w, &spec).unwrap();
            let forward = block_on(collab_core::train::predictions(&model, &rows)).unwrap();
            let from_tables = tables.predictions(&rows);
            assert_eq!(from_tables.len(), forward.len());
            let gap = forward.iter().zip(&from_tables).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(gap < 1e-5, "{kind:?} {y_range:?}: largest gap {gap}");
        }
    }
}
