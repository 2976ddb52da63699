//! What takes a learner's steps, chosen once, where the learner is made ([`choose`]):
//! the only place that decides which step runs. There is one [`Engine`] per behaviour:
//!
//! | engine | models | device | file |
//! |---|---|---|---|
//! | burn's autodiff, optimizer as tensor operations | any | any | `autodiff.rs` with `optimizer/tensors.rs` |
//! | burn's autodiff, fused optimizer pass | any | the CPU | `autodiff.rs` with `optimizer/fused.rs` |
//! | the whole step on the host | dot-product | the CPU | `host.rs` |
//! | two kernels a step | dot-product | a GPU (`gpu` feature) | `gpu/dot.rs` |
//!
//! The learner asks its engine for the model whenever it needs one, so nothing outside
//! the engine knows which ran; [`Engine::name`] says it in words.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::autodiff::Autodiff;
#[cfg(feature = "gpu")]
use super::gpu::GpuDot;
use super::host::HostDot;
use super::optimizer::{Fused, OptimSettings, Tensors};
use super::state::EngineState;
use super::step::Phase;
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::read::ReadError;

/// How a learner takes its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepPath {
    /// burn's autodiff, the optimizer as tensor operations: the reference every other
    /// path is tested against (and the code before the steps were written out), on the
    /// CPU and on a GPU.
    Tensors,
    /// burn's autodiff, the optimizer as one pass over each parameter on the host (on a
    /// GPU, as [`StepPath::Tensors`]).
    FusedOptimizer,
    /// The dot-product models' step written out: on the CPU as loops over plain vectors
    /// ([`HostDot`]), on a GPU as two kernels (`train/gpu/`). The neural models take
    /// [`StepPath::FusedOptimizer`]. The default.
    Direct,
}

impl StepPath {
    /// Every path, slowest first.
    pub const ALL: [StepPath; 3] = [Self::Tensors, Self::FusedOptimizer, Self::Direct];

    /// The short name the benchmark uses.
    pub fn key(self) -> &'static str {
        match self {
            Self::Tensors => "tensors",
            Self::FusedOptimizer => "fused",
            Self::Direct => "direct",
        }
    }

    /// What it is, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Tensors => "burn autodiff, optimizer as tensor operations",
            Self::FusedOptimizer => "burn autodiff, fused optimizer pass",
            Self::Direct => "the step written out",
        }
    }
}

impl std::str::FromStr for StepPath {
    type Err = String;

    /// Reads [`StepPath::key`] back.
    fn from_str(key: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.key() == key)
            .ok_or_else(|| format!("unknown step path '{}' (tensors, fused, direct)", crate::error::clip(key, 40)))
    }
}

/// A device read in flight, for an engine's async answers.
pub(super) type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, ReadError>> + 'a>>;

/// An engine as it was when [`Engine::checkpoint`] was called: each call makes a fresh
/// engine in that state (the divergence guard may go back to one checkpoint twice).
pub(super) type Restore = Rc<dyn Fn() -> Box<dyn Engine>>;

/// A learner's model and optimizer, and how they take a step.
pub(super) trait Engine {
    /// How its steps run, in a few words (what `Learner::step_kind` reports).
    fn name(&self) -> &'static str;

    /// One training step: the predictions before the update and the batch's loss, on
    /// the inner (non-autodiff) device, not read; `mark` is called as each phase ends.
    fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Tensor<1>, Tensor<1>);

    /// The model as it is now (on the autodiff device). The engines that keep their own
    /// tables build it from them: a copy of the weights, for reads, not for every step.
    fn model(&self) -> CollabModel;

    /// Each float tensor's sum, `[1]` each, not read: finite while every weight is.
    fn sums(&self) -> Vec<Tensor<1>>;

    /// The engine as it is now, for the divergence guard to go back to.
    fn checkpoint(&self) -> Restore;

    /// The weights and the optimizer's state, read to the host.
    fn read_state(&self) -> Pending<'_, EngineState>;

    /// Puts back what any engine's [`Engine::read_state`] read, after
    /// [`EngineState::check`]; nothing changes when it is refused.
    fn load_state(&mut self, state: &EngineState) -> Result<(), String>;

    /// Mean squared error over `rows` (the model in eval mode).
    fn mse<'a>(&'a self, rows: &'a Encoded) -> Pending<'a, f64>;
}

/// The engine for `model` (on the autodiff device `device`) along `path`: the step
/// written out where one exists for the model and the device ([`StepPath::Direct`]),
/// else burn's autodiff with the fused optimizer on the CPU, else with the tensor one.
pub(super) fn choose(model: CollabModel, settings: OptimSettings, path: StepPath, device: &Device) -> Box<dyn Engine> {
    let cpu = device.clone().inner() == Device::flex();
    let direct = path == StepPath::Direct;
    if direct
        && cpu
        && let Some(host) = HostDot::new(&model, settings)
    {
        return Box::new(host);
    }
    #[cfg(feature = "gpu")]
    if direct
        && super::gpu::runs_on(device)
        && let Some(gpu) = GpuDot::new(model.clone(), settings)
    {
        return Box::new(gpu);
    }
    if cpu && path != StepPath::Tensors {
        Box::new(Autodiff::<Fused>::new(model, settings, device))
    } else {
        Box::new(Autodiff::<Tensors>::new(model, settings, device))
    }
}
