//! The dot-product models' training step on a GPU: the learner's engine for
//! DotProduct, DotProductBias and the from-scratch model on WebGPU (and on wgpu
//! natively), two kernels a step ([`super::kernels`]) instead of burn's autodiff graph,
//! its dense embedding gradients and an optimizer of a dozen operations a parameter.
//!
//! Every table lies in one buffer (`params`), with Adam's two running averages beside
//! it in two more. A step uploads one buffer of packed indices and one of ratings,
//! queues the two kernels, and reads nothing: the predictions and the loss stay on the
//! device until the learner reads its pending losses, as on every other path. The
//! buffer's layout, and how a snapshot names and checks its parts, are the host step's
//! ([`DotTables`]).

use std::rc::Rc;

use burn::backend::Dispatch;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::op::{DotStep, StepSettings};
use super::pack::pack;
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::read;
use crate::train::engine::{Engine, Pending, Restore};
use crate::train::optimizer::{OptimSettings, OptimizerKind, Update};
use crate::train::state::{EngineState, HostAdam};
use crate::train::step::{Phase, mse};
use crate::train::tables::DotTables;
use crate::weights;

/// A dot-product model's tables and Adam's state, on the GPU.
#[derive(Clone)]
pub(in crate::train) struct GpuDot {
    tables: DotTables,
    params: Tensor<1>,
    grad_avg: Tensor<1>,
    sqr_avg: Tensor<1>,
    /// Adam steps taken (0 before the first, and always with SGD).
    step: i32,
    settings: OptimSettings,
    /// The model it was built from (its parameter ids and devices), which
    /// [`Engine::model`] fills with the current values.
    template: CollabModel,
}

impl GpuDot {
    /// The GPU step for `model` (on a GPU device), if it is one of the dot-product models
    /// ([`DotTables::of`]).
    pub fn new(model: CollabModel, settings: OptimSettings) -> Option<Self> {
        let tables = DotTables::of(&model)?;
        let handles = weights::tables(&model);
        let flats = tables.buffer_order().into_iter().map(|i| handles[i].2.clone()).collect();
        let params = Tensor::cat(flats, 0);
        Some(Self {
            tables,
            grad_avg: params.zeros_like(),
            sqr_avg: params.zeros_like(),
            params,
            step: 0,
            settings,
            template: model,
        })
    }

    /// Each table's values, flat, in the burn model's order (handles: nothing is read).
    fn handles(&self) -> Vec<Tensor<1>> {
        self.tables.tables.iter().map(|t| self.params.clone().slice(t.at..t.at + t.len)).collect()
    }
}

impl Engine for GpuDot {
    fn name(&self) -> &'static str {
        "two GPU kernels a step"
    }

    /// One step on `batch` (indices within the tables, as the learner's data encodes
    /// them): one upload of the packed batch, the two kernels queued, nothing read. The
    /// phases are not told apart (the kernels only queue).
    fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Tensor<1>, Tensor<1>) {
        let t = &self.tables;
        let device = self.params.device();
        let packed = pack(batch, t.n_users, t.n_items)
            .expect("a learner's batches index its own model's tables (the data and the model share a vocabulary)");
        let n = batch.len();
        let rows = Tensor::<1, Int>::from_data(TensorData::new(packed.rows.clone(), [packed.rows.len()]), &device);
        let ratings = Tensor::<1>::from_data(TensorData::new(batch.ratings.clone(), [n]), &device);
        let adam = self.settings.kind == OptimizerKind::Adam;
        let step = if adam { self.step + 1 } else { self.step };
        let at = |i: usize| i as u32;
        let settings = StepSettings {
            k: at(t.k),
            items_at: at(t.items_at),
            user_bias_at: at(t.user_bias_at),
            item_bias_at: at(t.item_bias_at),
            user_starts: at(packed.user_starts),
            user_list: at(packed.user_list),
            item_starts: at(packed.item_starts),
            item_list: at(packed.item_list),
            biased: t.biased(),
            y_range: t.y_range,
            scale: 2.0 / n as f32,
            adam,
            update: Update::new(&self.settings, self.settings.wd, lr, beta1, step.max(1)),
        };
        let out = <Dispatch as DotStep>::dot_step(
            self.params.clone().into_dispatch(),
            self.grad_avg.clone().into_dispatch(),
            self.sqr_avg.clone().into_dispatch(),
            rows.into_dispatch(),
            ratings.into_dispatch(),
            settings,
        );
        self.params = Tensor::from_dispatch(out.params);
        self.grad_avg = Tensor::from_dispatch(out.grad_avg);
        self.sqr_avg = Tensor::from_dispatch(out.sqr_avg);
        self.step = step;
        mark(Phase::Forward);
        mark(Phase::Backward);
        mark(Phase::Optimizer);
        (Tensor::from_dispatch(out.preds), Tensor::<1>::from_dispatch(out.squared).mean())
    }

    fn model(&self) -> CollabModel {
        weights::put_handles(self.template.clone(), &self.handles())
    }

    fn sums(&self) -> Vec<Tensor<1>> {
        self.handles().into_iter().map(Tensor::sum).collect()
    }

    /// A clone: it holds handles to tensors that no later step changes (each step
    /// writes new ones).
    fn checkpoint(&self) -> Restore {
        let kept = self.clone();
        Rc::new(move || Box::new(kept.clone()))
    }

    /// The weights and Adam's running averages, in one read.
    fn read_state(&self) -> Pending<'_, EngineState> {
        Box::pin(async move {
            let parts = vec![self.params.clone(), self.grad_avg.clone(), self.sqr_avg.clone()];
            let all = read::floats(Tensor::cat(parts, 0)).await?;
            let size = all.len() / 3;
            let (values, avgs) = all.split_at(size);
            let (grad_avg, sqr_avg) = avgs.split_at(size);
            let adam = HostAdam { grad_avg: grad_avg.to_vec(), sqr_avg: sqr_avg.to_vec(), step: self.step };
            Ok(self.tables.state(values, (self.step > 0).then_some(&adam)))
        })
    }

    fn load_state(&mut self, state: &EngineState) -> Result<(), String> {
        let (values, adam) = self.tables.load(state)?;
        let size = values.len();
        let device = self.params.device();
        let tensor = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [size]), &device);
        let (grad_avg, sqr_avg, step) = match adam {
            Some(a) => (a.grad_avg, a.sqr_avg, a.step),
            None => (vec![0.0; size], vec![0.0; size], 0),
        };
        self.params = tensor(values);
        self.grad_avg = tensor(grad_avg);
        self.sqr_avg = tensor(sqr_avg);
        self.step = step;
        Ok(())
    }

    fn mse<'a>(&'a self, rows: &'a Encoded) -> Pending<'a, f64> {
        Box::pin(async move { mse(&self.model().valid(), rows).await })
    }
}

/// Whether `device` is one the GPU step runs on (burn's CubeCL backend: WebGPU, wgpu).
pub(in crate::train) fn runs_on(device: &Device) -> bool {
    matches!(device.clone().inner().as_dispatch(), burn::backend::DispatchDevice::Cube(_))
}
