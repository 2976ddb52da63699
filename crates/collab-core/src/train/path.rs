//! How a learner takes its steps ([`StepPath`], what its maker asks for) and which
//! engine takes them ([`choose`]): the one place that decides the step path.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::autodiff::Autodiff;
use super::engine::Engine;
#[cfg(feature = "gpu")]
use super::gpu::GpuDot;
use super::host::HostDot;
use super::optimizer::{Fused, OptimSettings, Tensors};
use crate::model::CollabModel;

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
    // The GPU's kernels take fastai's dense Adam and SGD; lazy Adam takes burn's tensors.
    #[cfg(feature = "gpu")]
    if direct
        && settings.kind != super::optimizer::OptimizerKind::LazyAdam
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
