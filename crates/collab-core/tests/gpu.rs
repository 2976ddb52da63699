//! The GPU step (two kernels a step, `src/train/gpu/`) natively on wgpu, held against
//! the CPU's host step, which the other tests hold against burn's autodiff: the same
//! seed and batches, every loss and every weight compared; an epoch's validation; and
//! snapshots that cross between the two engines both ways.
//!
//! It needs the `gpu` feature and a GPU driver wgpu can use (Vulkan, Metal or DX12; Mesa's
//! software Vulkan, lavapipe, counts):
//!
//! ```text
//! cargo test -p collab-core --release --features gpu --test gpu
//! ```
//!
//! The test command runs it where a Vulkan driver is installed and says so where none is
//! (`scripts/test.sh`); in Chromium the same kernels are tested on WebGPU (SwiftShader).

use std::sync::{Arc, OnceLock};

use burn::tensor::Device;
use burn::tensor::Tensor;
use collab_core::data::synth::{SynthSettings, generate};
use collab_core::data::{CollabData, DataSettings, ItemKey};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read::block_on;
use collab_core::train::{FitSettings, Learner, OptimSettings, OptimizerKind, WdKind, bench};
use collab_core::weights::Weights;

const HOST: &str = "whole step on the host";
const KERNELS: &str = "two GPU kernels a step";

/// wgpu's device: its runtime starts once a process, and every test shares it.
fn gpu() -> Device {
    static GPU: OnceLock<Device> = OnceLock::new();
    GPU.get_or_init(|| {
        Device::wgpu_options().init().unwrap_or_else(|e| panic!("wgpu could not start on this machine: {e}"))
    })
    .clone()
}

/// Generated ratings (a tenth of MovieLens-100k's), split as the page splits them.
fn data(batch_size: usize) -> Arc<CollabData> {
    let table = generate(SynthSettings { users: 300, items: 200, factors: 3, density: 0.4, noise: 0.3, seed: 7 });
    Arc::new(CollabData::new(&table, DataSettings { item_key: ItemKey::Id, batch_size, ..DataSettings::default() }))
}

/// A fresh learner of `kind` whose fit (fastai's one cycle) lasts just over `steps` batches.
fn learner(
    data: &Arc<CollabData>,
    kind: ModelKind,
    y_range: bool,
    optim: OptimSettings,
    steps: usize,
    device: &Device,
) -> Learner {
    let mut spec = ModelSpec { n_factors: 10, ..ModelSpec::new(kind, data.users.len(), data.items.len()) };
    if !y_range {
        spec.y_range = None;
    }
    let epochs = steps / data.batches_per_epoch() + 1;
    Learner::new(data.clone(), spec, FitSettings { epochs, optim, ..FitSettings::default() }, device)
}

/// `steps` batches of a fresh learner, closing each epoch as it ends (the next one's
/// shuffle is then taken too), then every batch's loss and the weights, in one read each.
fn run(l: &mut Learner, steps: usize) -> (Vec<f32>, Weights) {
    let mut losses = Vec::new();
    while losses.len() < steps {
        assert!(!l.is_done(), "the fit is shorter than {steps} steps");
        match l.train_batch() {
            Some(step) => losses.push(step.loss),
            None => drop(block_on(l.end_epoch(&|| 0.0)).unwrap()),
        }
    }
    let losses = block_on(collab_core::read::floats(Tensor::cat(losses, 0))).unwrap();
    block_on(l.read_losses()).unwrap();
    (losses, weights(l))
}

/// The largest difference between two lists of numbers.
fn gap(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The largest difference between two models' weights, tensor by tensor.
fn weight_gap(a: &Weights, b: &Weights) -> f32 {
    assert_eq!(a.tensors.len(), b.tensors.len());
    let pairs = a.tensors.iter().zip(&b.tensors);
    pairs
        .map(|(x, y)| (assert_eq!((&x.path, &x.shape), (&y.path, &y.shape)), gap(&x.values, &y.values)).1)
        .fold(0.0, f32::max)
}

fn weights(l: &Learner) -> Weights {
    block_on(collab_core::weights::read(&l.model())).expect("a read")
}

#[test]
fn the_kernels_compute_the_host_steps_losses_and_weights() {
    let adam = OptimSettings::default();
    let cases = [
        // The lesson's model, and the book's first (no biases, no sigmoid_range).
        (ModelKind::DotProductBias, true, adam, 64),
        (ModelKind::DotProduct, false, adam, 64),
        // The from-scratch model with the lesson's L2 penalty and a larger batch.
        (ModelKind::Scratch, true, OptimSettings { wd_kind: WdKind::L2, ..adam }, 512),
        // Plain SGD: no running averages, no step count.
        (ModelKind::DotProductBias, true, OptimSettings { kind: OptimizerKind::Sgd, ..adam }, 64),
    ];
    for (kind, y_range, optim, batch_size) in cases {
        let data = data(batch_size);
        let mut cpu = learner(&data, kind, y_range, optim, 200, &Device::flex());
        let mut gpu = learner(&data, kind, y_range, optim, 200, &gpu());
        assert_eq!((cpu.step_kind(), gpu.step_kind()), (HOST, KERNELS), "{kind:?}");
        // 200 steps: past an epoch's end at batch 512 (37 batches an epoch here).
        let (cpu_losses, cpu_weights) = run(&mut cpu, 200);
        let (gpu_losses, gpu_weights) = run(&mut gpu, 200);
        let name = format!("{kind:?} {optim:?} batch {batch_size}");
        let (losses, weights) = (gap(&cpu_losses, &gpu_losses), weight_gap(&cpu_weights, &gpu_weights));
        println!("{name}: {} steps, largest loss gap {losses:e}, weight gap {weights:e}", cpu_losses.len());
        assert!(losses < 1e-4, "{name}: losses differ by {losses}");
        assert!(weights < 1e-4, "{name}: weights differ by {weights}");
        // Adam's steps learned something: the loss fell (SGD's barely move it at the
        // warm-up's learning rates).
        let tenth = gpu_losses.len() / 10;
        let mean = |l: &[f32]| l.iter().sum::<f32>() / l.len() as f32;
        let (first, last) = (mean(&gpu_losses[..tenth]), mean(&gpu_losses[gpu_losses.len() - tenth..]));
        assert!(
            optim.kind == OptimizerKind::Sgd || last < first - 0.05,
            "{name}: the loss did not fall: {first} -> {last}"
        );
    }
}

#[test]
fn an_epoch_closes_with_the_host_steps_validation() {
    let data = data(64);
    let optim = OptimSettings::default();
    let mut cpu = learner(&data, ModelKind::DotProductBias, true, optim, 1, &Device::flex());
    let mut gpu = learner(&data, ModelKind::DotProductBias, true, optim, 1, &gpu());
    let (a, b) = (block_on(cpu.run_epoch(&|| 0.0)).unwrap(), block_on(gpu.run_epoch(&|| 0.0)).unwrap());
    println!("epoch 0: host {a:?}, kernels {b:?}");
    assert_eq!(a.epoch, b.epoch);
    assert!((a.train_loss - b.train_loss).abs() < 1e-5, "smoothed loss {} vs {}", a.train_loss, b.train_loss);
    assert!((a.valid_loss - b.valid_loss).abs() < 1e-5, "valid MSE {} vs {}", a.valid_loss, b.valid_loss);
    assert!(a.valid_loss < data.mean_baseline(), "one epoch learned something: {}", a.valid_loss);
}

/// What a page does when WebGPU is lost mid-fit (the GPU's snapshot carries on on the
/// CPU), and the other way: each engine reads and loads the other's state.
#[test]
fn a_snapshot_carries_on_across_the_gpu_and_the_host() {
    let data = data(64);
    for optim in [OptimSettings::default(), OptimSettings { kind: OptimizerKind::Sgd, ..OptimSettings::default() }] {
        for (from, to) in [(gpu(), Device::flex()), (Device::flex(), gpu())] {
            let mut a = learner(&data, ModelKind::DotProductBias, true, optim, 130, &from);
            for _ in 0..100 {
                a.train_batch().unwrap();
            }
            let snapshot = block_on(a.snapshot()).unwrap();
            let mut b = Learner::restore(data.clone(), &snapshot, &to).unwrap();
            assert_ne!(a.step_kind(), b.step_kind());
            assert_eq!(b.steps_done(), 100);
            assert!(weight_gap(&weights(&a), &weights(&b)) == 0.0, "the snapshot's weights, exactly");
            for _ in 0..30 {
                a.train_batch().unwrap();
                b.train_batch().unwrap();
            }
            let (la, lb) = (block_on(a.read_losses()).unwrap(), block_on(b.read_losses()).unwrap());
            let name = format!("{} to {}, {optim:?}", a.step_kind(), b.step_kind());
            assert!((la - lb).abs() < 1e-5, "{name}: smoothed loss {la} vs {lb}");
            let d = weight_gap(&weights(&a), &weights(&b));
            assert!(d < 1e-4, "{name}: weights differ by {d} after 30 more steps");
        }
    }
}

#[test]
fn the_neural_models_keep_burns_autodiff_on_the_gpu() {
    let data = data(64);
    let optim = OptimSettings::default();
    let mut cpu = learner(&data, ModelKind::EmbeddingNn, true, optim, 50, &Device::flex());
    let mut gpu = learner(&data, ModelKind::EmbeddingNn, true, optim, 50, &gpu());
    assert_eq!(gpu.step_kind(), "burn autodiff, optimizer as tensor operations");
    assert_eq!(cpu.step_kind(), "burn autodiff, fused optimizer pass");
    let (cpu_losses, _) = block_on(bench::probe(&mut cpu, 50)).unwrap();
    let (gpu_losses, _) = block_on(bench::probe(&mut gpu, 50)).unwrap();
    let losses = gap(&cpu_losses, &gpu_losses);
    println!("EmbeddingNN: 50 steps, largest loss gap {losses:e}");
    assert!(losses < 1e-3, "EmbeddingNN: losses differ by {losses}");
}

#[test]
fn the_gpu_says_its_largest_buffer_and_a_model_over_it_is_refused_in_words() {
    use collab_core::train::limits;
    let device = gpu();
    let largest = collab_core::train::limits::largest_buffer(&device).expect("a GPU has a limit");
    assert!(largest >= 128 << 20, "at least WebGPU's default: {largest}");
    assert_eq!(limits::largest_buffer(&Device::flex()), None, "the CPU has none");
    // The lesson's model of MovieLens-100k fits any GPU.
    let spec = ModelSpec { n_factors: 50, ..ModelSpec::new(ModelKind::DotProductBias, 944, 1665) };
    assert!(limits::on_device(&spec, &device).is_ok());
    // One whose tables are over the limit is refused before anything is built.
    let rows = (largest / 4 / 401 + 1) as usize;
    let spec = ModelSpec { n_factors: 400, ..ModelSpec::new(ModelKind::DotProductBias, rows, 2) };
    let why = limits::on_device(&spec, &device).unwrap_err();
    assert!(why.contains("more than the") && why.contains("train on the CPU"), "{why}");
}
