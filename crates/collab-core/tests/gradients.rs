//! Every model's gradients against central finite differences.

use collab_core::model::{ModelKind, ModelSpec};
use collab_core::weights;

use crate::{device, grads_by_path, host, loss, small_batch};

fn check(kind: ModelKind) {
    let device = device();
    let spec = ModelSpec { kind, n_users: 5, n_items: 6, n_factors: 3, y_range: Some((0.0, 5.5)) };
    // Scale the tiny fastai init up so that the gradients are far from zero.
    let mut w = host(&spec.init(3, &device));
    for t in &mut w.tensors {
        if !t.path.contains("running") {
            t.values.iter_mut().for_each(|v| *v *= 40.0);
        }
    }
    let model = weights::write(spec.init(0, &device), &w).unwrap();
    let batch = small_batch();
    let analytic = grads_by_path(&model, &loss(&model, &batch).backward());
    assert!(!analytic.is_empty());

    let eval = |w: &weights::Weights| -> f64 {
        let m = weights::write(spec.init(0, &device), w).unwrap();
        loss(&m, &batch).into_scalar::<f32>() as f64
    };
    let eps = 1e-2f32;
    let mut checked = 0;
    for (t_index, tensor) in w.tensors.iter().enumerate() {
        let Some(grad) = analytic.get(&tensor.path) else { continue };
        // Every element of small tensors; a spread of elements of large ones.
        let stride = (tensor.values.len() / 40).max(1);
        for i in (0..tensor.values.len()).step_by(stride) {
            let mut plus = w.clone();
            plus.tensors[t_index].values[i] += eps;
            let mut minus = w.clone();
            minus.tensors[t_index].values[i] -= eps;
            let numeric = (eval(&plus) - eval(&minus)) / (2.0 * eps as f64);
            let got = grad[i] as f64;
            assert!(
                (got - numeric).abs() <= 2e-3 + 3e-2 * numeric.abs(),
                "{kind:?} {}[{i}]: backward {got}, finite difference {numeric}",
                tensor.path
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "{kind:?}: only {checked} elements checked");
}

#[test]
fn dot_product() {
    check(ModelKind::DotProduct);
}

#[test]
fn dot_product_bias() {
    check(ModelKind::DotProductBias);
}

#[test]
fn from_scratch() {
    check(ModelKind::Scratch);
}

#[test]
fn collab_nn() {
    check(ModelKind::CollabNn);
}

#[test]
fn embedding_nn() {
    check(ModelKind::EmbeddingNn);
}
