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
