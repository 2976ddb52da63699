//! One optimizer step against the formulas worked by hand, and fastai's weight-decay
//! exemptions.

use burn::optim::GradientsParams;
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::train::{FusedOptimizer, OptimSettings, OptimizerKind, TensorOptimizer, WdKind, decayed_params};
use collab_core::weights::{self, Weights};

use crate::{device, host, loss};
use collab_core::data::Encoded;

/// DotProduct, 2 users x 2 items x 2 factors, no y_range: prediction = u . i.
fn tiny() -> (ModelSpec, Weights) {
    let spec = ModelSpec { kind: ModelKind::DotProduct, n_users: 2, n_items: 2, n_factors: 2, y_range: None };
    let mut w = host(&spec.init(0, &device()));
    w.get_mut("user_factors.weight").unwrap().values = vec![0.0, 0.0, 0.5, -1.0];
    w.get_mut("item_factors.weight").unwrap().values = vec![0.0, 0.0, 2.0, 1.0];
    (spec, w)
}

/// One step on the single rating (user 1, item 1, rating 3): prediction 0.5*2 - 1*1 = 0,
/// so dL/du = 2 * (0 - 3) * i = (-12, -6) and dL/di = 2 * (0 - 3) * u = (-3, 6). By each
/// of the optimizer's rules: the tensor operations and the fused pass.
fn step(settings: OptimSettings, lr: f64, beta1: f64) -> [Weights; 2] {
    let (spec, w) = tiny();
    let batch = Encoded { users: vec![1], items: vec![1], ratings: vec![3.0] };
    let model = || weights::write(spec.init(0, &device()), &w).unwrap();
    let grads = |model| GradientsParams::from_grads(loss(model, &batch).backward(), model);
    let (a, b) = (model(), model());
    let (ga, gb) = (grads(&a), grads(&b));
    [
        host(&TensorOptimizer::new(settings).step(a, ga, lr, beta1)),
        host(&FusedOptimizer::new(settings).step(b, gb, lr, beta1)),
    ]
}

fn assert_close(got: &[f32], want: &[f64]) {
    for (g, w) in got.iter().zip(want) {
        assert!((*g as f64 - w).abs() < 1e-6, "got {got:?}, want {want:?}");
    }
}

#[test]
fn adam_first_step_with_decoupled_weight_decay() {
    let (lr, beta1, wd) = (0.01, 0.9, 0.1);
    for w in step(OptimSettings { kind: OptimizerKind::Adam, wd, wd_kind: WdKind::Decoupled }, lr, beta1) {
        // Step 1: grad_avg = (1-b1) g, sqr_avg = (1-b2) g^2; debiased they are g and g^2,
        // so the step is lr * g / (|g| + eps) after p *= 1 - lr*wd.
        let adam = |p: f64, g: f64| {
            let p = p * (1.0 - lr * wd);
            let avg = (1.0 - beta1) * g;
            let sqr = (1.0 - 0.99) * g * g;
            p - lr / (1.0 - beta1) * avg / ((sqr / (1.0 - 0.99)).sqrt() + 1e-5)
        };
        let u = &w.get("user_factors.weight").unwrap().values;
        assert_close(&u[2..], &[adam(0.5, -12.0), adam(-1.0, -6.0)]);
        let i = &w.get("item_factors.weight").unwrap().values;
        assert_close(&i[2..], &[adam(2.0, -3.0), adam(1.0, 6.0)]);
        // Row 0 had no gradient signal but is still decayed (it was 0, so it stays 0).
        assert_close(&u[..2], &[0.0, 0.0]);
    }
}

#[test]
fn sgd_with_l2_adds_two_wd_p_to_the_gradient() {
    let (lr, wd) = (0.01, 0.1);
    for w in step(OptimSettings { kind: OptimizerKind::Sgd, wd, wd_kind: WdKind::L2 }, lr, 0.9) {
        let sgd = |p: f64, g: f64| p - lr * (g + 2.0 * wd * p);
        let u = &w.get("user_factors.weight").unwrap().values;
        assert_close(&u[2..], &[sgd(0.5, -12.0), sgd(-1.0, -6.0)]);
    }
}

/// The page's spreadsheet steps with the tensor rule on any device, where the CPU's
/// learner would take the fused pass: for SGD (all the sheet takes) the two do the same
/// arithmetic, to the bit.
#[test]
fn sgd_takes_the_same_step_by_either_rule_to_the_bit() {
    for wd in [0.0, 0.1] {
        let settings = OptimSettings { kind: OptimizerKind::Sgd, wd, wd_kind: WdKind::Decoupled };
        let [tensors, fused] = step(settings, 0.05, 0.9);
        assert_eq!(tensors, fused, "wd {wd}");
    }
}

#[test]
fn decay_skips_linear_biases_and_batch_norm_but_not_bias_embeddings() {
    let device = device();
    for kind in [ModelKind::DotProductBias, ModelKind::EmbeddingNn, ModelKind::CollabNn] {
        let model =
            ModelSpec { kind, n_users: 5, n_items: 6, n_factors: 3, y_range: Some((0.0, 5.5)) }.init(1, &device);
        let params = decayed_params(&model);
        assert!(!params.is_empty());
        for (path, decayed) in &params {
            let exempt = path.ends_with(".bias") || path.starts_with("norms");
            assert_eq!(*decayed, !exempt, "{kind:?} {path}");
        }
        if kind == ModelKind::DotProductBias {
            assert!(params.iter().any(|(p, d)| p == "user_bias.weight" && *d));
        }
    }
}

/// The largest difference between two runs' weights, tensor by tensor, with its path.
fn worst(a: &Weights, b: &Weights) -> (f32, String) {
    let mut worst = (0.0f32, String::new());
    for (a, b) in a.tensors.iter().zip(&b.tensors) {
        assert_eq!((&a.path, &a.shape), (&b.path, &b.shape));
        let d = a.values.iter().zip(&b.values).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        if d > worst.0 {
            worst = (d, a.path.clone());
        }
    }
    worst
}

/// The fused optimizer pass and the host step against burn with the optimizer as tensor
/// operations, over 100 steps of every model (the host step is only the dot-product
/// models'; the others take the fused pass on that path), with and without weight decay,
/// L2 and decoupled, Adam, lazy Adam and SGD, to 1e-6. The fused pass does the tensor version's
/// arithmetic in its order; the host step also computes the forward pass and the
/// gradient itself, adding in another order (measured: at most 9.3e-9 apart).
#[test]
fn the_cpu_paths_match_the_tensor_reference_over_100_steps() {
    use collab_core::data::synth::{SynthSettings, generate};
    use collab_core::data::{CollabData, DataSettings, ItemKey};
    use collab_core::train::{FitSettings, Learner, StepPath};
    use std::sync::Arc;
    let table = generate(SynthSettings { users: 120, items: 90, factors: 3, density: 0.5, noise: 0.3, seed: 3 });
    let data =
        Arc::new(CollabData::new(&table, DataSettings { item_key: ItemKey::Id, batch_size: 32, ..Default::default() }));
    let settings = [
        OptimSettings { kind: OptimizerKind::Adam, wd: 0.1, wd_kind: WdKind::Decoupled },
        OptimSettings { kind: OptimizerKind::Adam, wd: 0.05, wd_kind: WdKind::L2 },
        OptimSettings { kind: OptimizerKind::Adam, wd: 0.0, wd_kind: WdKind::Decoupled },
        OptimSettings { kind: OptimizerKind::Sgd, wd: 0.1, wd_kind: WdKind::Decoupled },
        OptimSettings { kind: OptimizerKind::LazyAdam, wd: 0.1, wd_kind: WdKind::Decoupled },
        OptimSettings { kind: OptimizerKind::LazyAdam, wd: 0.05, wd_kind: WdKind::L2 },
    ];
    for kind in ModelKind::ALL {
        for optim in settings {
            let spec = ModelSpec { n_factors: 6, ..ModelSpec::new(kind, data.users.len(), data.items.len()) };
            let fit = FitSettings { epochs: 10, optim, ..FitSettings::default() };
            let run = |path: StepPath| {
                let mut l = Learner::on_path(data.clone(), spec.clone(), fit, &device(), path);
                for _ in 0..100 {
                    if l.train_batch().is_none() {
                        collab_core::read::block_on(l.end_epoch(&|| 0.0)).unwrap();
                        l.train_batch().unwrap();
                    }
                }
                crate::host(&l.model())
            };
            let reference = run(StepPath::Tensors);
            for path in [StepPath::FusedOptimizer, StepPath::Direct] {
                let (d, at) = worst(&run(path), &reference);
                assert!(d <= 1e-6, "{kind:?} {optim:?} {path:?} {at}: differs from the tensor reference by {d}");
            }
        }
    }
}

/// Lazy Adam moves only the rows a batch reaches, with their running averages; fastai's
/// Adam moves every row (decay and momentum). On the host step, after a few
/// steps, a user the batches never reached still has its initial weights.
#[test]
fn lazy_adam_moves_only_the_rows_the_batch_reaches() {
    use collab_core::data::synth::{SynthSettings, generate};
    use collab_core::data::{CollabData, DataSettings, ItemKey};
    use collab_core::train::{FitSettings, Learner, StepPath};
    use std::sync::Arc;
    let table = generate(SynthSettings { users: 60, items: 40, factors: 3, density: 0.5, noise: 0.3, seed: 5 });
    let data =
        Arc::new(CollabData::new(&table, DataSettings { item_key: ItemKey::Id, batch_size: 16, ..Default::default() }));
    let spec =
        ModelSpec { n_factors: 4, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
    let batches = data.train_batches(0);
    let steps = 3;
    let reached: std::collections::BTreeSet<i32> =
        batches[..steps].iter().flatten().map(|&r| data.train.users[r]).collect();
    let unreached: Vec<usize> = (1..data.users.len()).filter(|u| !reached.contains(&(*u as i32))).collect();
    assert!(unreached.len() > 10 && reached.len() > 10, "{} reached", reached.len());
    let moved_rows = |optim: OptimSettings| {
        let fit = FitSettings { optim, ..FitSettings::default() };
        let mut learner = Learner::on_path(data.clone(), spec.clone(), fit, &device(), StepPath::Direct);
        let before = host(&learner.model());
        for _ in 0..steps {
            learner.train_batch().unwrap();
        }
        let after = host(&learner.model());
        let row = |w: &Weights, u: usize| w.get("user_factors.weight").unwrap().values[u * 4..u * 4 + 4].to_vec();
        let bias = |w: &Weights, u: usize| w.get("user_bias.weight").unwrap().values[u];
        let moved = |u: usize| row(&before, u) != row(&after, u) || bias(&before, u) != bias(&after, u);
        (unreached.iter().filter(|&&u| moved(u)).count(), reached.iter().filter(|&&u| moved(u as usize)).count())
    };
    let lazy = OptimSettings { kind: OptimizerKind::LazyAdam, ..OptimSettings::default() };
    assert_eq!(moved_rows(lazy), (0, reached.len()), "lazy: none of the unreached moved, every reached one did");
    assert_eq!(moved_rows(OptimSettings::default()), (unreached.len(), reached.len()), "fastai's Adam moves all");
}

/// The untrained model a learner names (the first map of the page's map as it forms, and
/// where the advice's course starts) is the model its fit starts from, on every path.
#[test]
fn untrained_is_the_model_before_the_first_step() {
    use collab_core::data::synth::{SynthSettings, generate};
    use collab_core::data::{CollabData, DataSettings};
    use collab_core::train::{FitSettings, Learner, StepPath};
    use std::sync::Arc;
    let table = generate(SynthSettings { users: 40, items: 30, factors: 3, density: 0.5, noise: 0.3, seed: 5 });
    let data = Arc::new(CollabData::new(&table, DataSettings::default()));
    for path in [StepPath::Tensors, StepPath::FusedOptimizer, StepPath::Direct] {
        let spec =
            ModelSpec { n_factors: 4, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
        let mut l = Learner::on_path(data.clone(), spec, FitSettings::default(), &device(), path);
        let untrained = host(&l.untrained());
        assert_eq!(host(&l.model()), untrained, "{path:?}: before any step");
        l.train_batch().unwrap();
        assert_ne!(host(&l.model()), untrained, "{path:?}: a step moves it; untrained stays");
        assert_eq!(host(&l.untrained()), untrained);
    }
}
