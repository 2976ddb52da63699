//! What takes a learner's steps: burn (autodiff and the optimizer, on any device) or,
//! for the dot-product models, the step written out: on the CPU as loops on the host
//! ([`HostDot`]), on a GPU as two kernels (`GpuDot`, with the `gpu` feature). The learner
//! asks the engine for the model whenever it needs one, so nothing outside it knows
//! which ran.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

#[cfg(feature = "gpu")]
use super::gpu::GpuDot;
use super::host::HostDot;
use super::learner::{Phase, mse, to_device};
use super::optimizer::{OptimSettings, Optimizer, is_cpu};
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::read::ReadError;
use crate::weights::{self, Weights};

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

/// A learner's model and optimizer.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per learner
pub(super) enum Engine {
    /// burn's modules, autodiff and optimizer.
    Burn { model: CollabModel, optim: Optimizer },
    /// The host step; `template` is the model it was built from (its parameter ids and
    /// devices), which [`Engine::model`] fills with the host's numbers.
    Host { template: CollabModel, host: HostDot },
    /// The GPU step (two kernels); `template` as for [`Engine::Host`].
    #[cfg(feature = "gpu")]
    Gpu { template: CollabModel, gpu: GpuDot },
}

impl Engine {
    /// The engine for `model` (on the autodiff device `device`) along `path`.
    pub fn new(model: CollabModel, settings: OptimSettings, path: StepPath, device: &Device) -> Self {
        let cpu = is_cpu(&device.clone().inner());
        if cpu && path == StepPath::Direct {
            // On the CPU a read is ready at once.
            let host = crate::read::ready(weights::read(&model))
                .and_then(Result::ok)
                .and_then(|weights| HostDot::new(&model, weights, settings));
            if let Some(host) = host {
                return Self::Host { template: model, host };
            }
        }
        #[cfg(feature = "gpu")]
        if path == StepPath::Direct
            && super::gpu::runs_on(device)
            && let Some(gpu) = GpuDot::new(&model, settings)
        {
            return Self::Gpu { template: model, gpu };
        }
        let mut optim = Optimizer::new(settings);
        optim.fused = path != StepPath::Tensors;
        Self::Burn { model, optim }
    }

    /// One training step: the predictions before the update and the batch's loss, on
    /// the inner (non-autodiff) device, not read.
    pub fn step(
        &mut self,
        batch: &Encoded,
        lr: f64,
        beta1: f64,
        device: &Device,
        mark: &mut dyn FnMut(Phase),
    ) -> (Tensor<1>, Tensor<1>) {
        match self {
            Self::Burn { model, optim } => {
                let (users, items, ratings) = to_device(batch, device);
                let preds = model.forward(users, items); // [batch]
                let loss = (preds.clone() - ratings).powi_scalar(2).mean(); // [1]
                mark(Phase::Forward);
                let grads = GradientsParams::from_grads(loss.backward(), &*model);
                mark(Phase::Backward);
                // Cloning a module clones handles to its tensors, not the tensors.
                *model = optim.step(model.clone(), grads, lr, beta1);
                mark(Phase::Optimizer);
                (preds.inner(), loss.inner())
            }
            Self::Host { host, .. } => {
                let (preds, loss) = host.step(batch, lr, beta1, mark);
                let inner = device.clone().inner();
                let n = preds.len();
                (Tensor::from_data(TensorData::new(preds, [n]), &inner), Tensor::from_data([loss], &inner))
            }
            #[cfg(feature = "gpu")]
            Self::Gpu { gpu, .. } => {
                let out = gpu.step(batch, lr, beta1);
                mark(Phase::Forward);
                mark(Phase::Backward);
                mark(Phase::Optimizer);
                out
            }
        }
    }

    /// The model as it is now (on the host engine, built from the host's numbers).
    pub fn model(&self) -> CollabModel {
        match self {
            Self::Burn { model, .. } => model.clone(),
            Self::Host { template, host } => weights::write(template.clone(), &host.weights())
                .expect("the host's tables are the template's, path for path"),
            #[cfg(feature = "gpu")]
            Self::Gpu { template, gpu } => gpu.model(template),
        }
    }

    /// Each float tensor's sum, `[1]` each, not read: finite while every weight is.
    pub fn sums(&self, device: &Device) -> Vec<Tensor<1>> {
        match self {
            Self::Burn { model, .. } => weights::sums(model),
            Self::Host { host, .. } => {
                let inner = device.clone().inner();
                host.sums().into_iter().map(|s| Tensor::from_data([s], &inner)).collect()
            }
            #[cfg(feature = "gpu")]
            Self::Gpu { gpu, .. } => gpu.sums(),
        }
    }

    /// What a checkpoint must keep besides a clone of the engine: on burn, handles to
    /// every float tensor's values (batch norm's running statistics are shared by every
    /// clone of a module; see [`weights::handles`]). The host's clone is a copy; the GPU
    /// step's holds handles to tensors that no later step changes (it writes new ones).
    pub fn handles(&self) -> Vec<Tensor<1>> {
        match self {
            Self::Burn { model, .. } => weights::handles(model),
            _ => Vec::new(),
        }
    }

    /// A checkpoint's engine with its [`Engine::handles`] put back.
    pub fn with_handles(self, handles: &[Tensor<1>]) -> Self {
        match self {
            Self::Burn { model, optim } => Self::Burn { model: weights::put_handles(model, handles), optim },
            host => host,
        }
    }

    /// The weights, Adam's running averages and each parameter's step count, read to
    /// the host.
    pub async fn read_state(&self) -> Result<(Weights, Weights, Vec<(String, i32)>), ReadError> {
        match self {
            Self::Burn { model, optim } => {
                let weights = weights::read(model).await?;
                let (state, steps) = optim.read_state(&weights::param_ids(model)).await?;
                Ok((weights, state, steps))
            }
            Self::Host { host, .. } => {
                let (state, steps) = host.optim_state();
                Ok((host.weights(), state, steps))
            }
            #[cfg(feature = "gpu")]
            Self::Gpu { gpu, .. } => gpu.read_state().await,
        }
    }

    /// Puts back what [`Engine::read_state`] read (from either engine: both name the
    /// optimizer's state alike).
    pub fn load_state(
        &mut self,
        saved: &Weights,
        state: &Weights,
        steps: &[(String, i32)],
        device: &Device,
    ) -> Result<(), String> {
        match self {
            Self::Burn { model, optim } => {
                let loaded = weights::write(model.clone(), saved)?;
                let ids: Vec<_> = weights::param_ids(&loaded)
                    .into_iter()
                    .zip(&saved.tensors)
                    .map(|((path, id), t)| (path, id, t.values.len()))
                    .collect();
                let mut fresh = Optimizer::new(optim.settings);
                fresh.fused = optim.fused;
                fresh.load_state(&ids, state, steps, &device.clone().inner())?;
                *self = Self::Burn { model: loaded, optim: fresh };
                Ok(())
            }
            Self::Host { host, .. } => host.load(saved, state, steps),
            #[cfg(feature = "gpu")]
            Self::Gpu { gpu, .. } => gpu.load(saved, state, steps),
        }
    }

    /// Mean squared error over `rows` (the model in eval mode).
    pub async fn mse(&self, rows: &Encoded) -> Result<f64, ReadError> {
        match self {
            Self::Burn { model, .. } => mse(&model.valid(), rows).await,
            Self::Host { host, .. } => Ok(host.mse(rows)),
            #[cfg(feature = "gpu")]
            Self::Gpu { template, gpu } => mse(&gpu.model(template).valid(), rows).await,
        }
    }
}
