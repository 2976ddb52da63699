//! The dot-product models' training step on a GPU: the learner's engine for
//! DotProduct, DotProductBias and the from-scratch model on WebGPU (and on wgpu
//! natively), two kernels a step ([`super::kernels`]) instead of burn's autodiff graph,
//! its dense embedding gradients and an optimizer of a dozen operations a parameter.
//!
//! Every table lies in one buffer (`params`), with Adam's two running averages beside
//! it in two more. The learner hands the engine [`CHUNK`] batches ahead of their steps
//! ([`Engine::ahead`]), which go up in one buffer of packed indices and one of ratings;
//! a step then only queues the two kernels on its part of them, and reads nothing: the
//! predictions and the loss stay on the device until the learner reads its pending
//! losses, as on every other path. The buffer's layout, and how a snapshot names and
//! checks its parts, are the host step's ([`DotTables`]).

use std::collections::VecDeque;
use std::rc::Rc;

use burn::backend::Dispatch;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::op::{DotStep, StepSettings};
use super::pack::{Packed, pack};
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::read;
use crate::train::engine::{Engine, Pending, Restore};
use crate::train::optimizer::{OptimSettings, OptimizerKind, Update};
use crate::train::state::{EngineState, HostAdam};
use crate::train::step::{Phase, mse};
use crate::train::tables::DotTables;
use crate::weights;

/// Batches uploaded at once, ahead of their steps. A WebGPU call costs the browser's
/// host far more than a native one: two uploads a step were a floor under the step's
/// time that no GPU could go below, sixteen steps share them. At ml-25m's size a
/// batch packs into about a megabyte (a start for every row of both tables), so a chunk
/// stays well inside WebGPU's smallest largest buffer (128 MiB) even at batch 65,536.
pub(in crate::train) const CHUNK: usize = 16;

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
    /// The batches uploaded ahead and not yet stepped.
    uploaded: Uploaded,
}

/// Batches on the device ahead of their steps: every batch's packed indices in one
/// buffer, its ratings in another, and the batches not yet stepped, in order, with
/// where each lies in them.
#[derive(Clone, Default)]
struct Uploaded {
    buffers: Option<(Tensor<1, Int>, Tensor<1>)>,
    next: VecDeque<(Encoded, Placed)>,
}

/// Where one batch lies in the uploaded buffers: its packing, every part of it moved to
/// where the batch starts among the indices, and where its ratings start.
#[derive(Clone, Copy)]
struct Placed {
    base: usize,
    ratings_at: usize,
    packed: (usize, usize, usize, usize),
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
            uploaded: Uploaded::default(),
        })
    }

    /// Uploads `batches` (indices within the tables, as the learner's data encodes them)
    /// in one buffer of packed indices and one of ratings, in place of any uploaded before.
    fn upload(&mut self, batches: &[Encoded]) {
        let t = &self.tables;
        let device = self.params.device();
        let (mut rows, mut ratings, mut next) = (Vec::new(), Vec::new(), VecDeque::with_capacity(batches.len()));
        for batch in batches {
            let Packed { rows: packed, user_starts, user_list, item_starts, item_list } = pack(
                batch, t.n_users, t.n_items,
            )
            .expect("a learner's batches index its own model's tables (the data and the model share a vocabulary)");
            let base = rows.len();
            let packed_at = (base + user_starts, base + user_list, base + item_starts, base + item_list);
            next.push_back((batch.clone(), Placed { base, ratings_at: ratings.len(), packed: packed_at }));
            rows.extend_from_slice(&packed);
            ratings.extend_from_slice(&batch.ratings);
        }
        let (n_rows, n_ratings) = (rows.len(), ratings.len());
        let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [n_rows]), &device);
        let ratings = Tensor::<1>::from_data(TensorData::new(ratings, [n_ratings]), &device);
        self.uploaded = Uploaded { buffers: Some((rows, ratings)), next };
    }

    /// The uploaded buffers and where `batch` lies in them, taken off the list: if it is
    /// not the next batch uploaded, it goes up on its own first (and then it is).
    fn place(&mut self, batch: &Encoded) -> (Tensor<1, Int>, Tensor<1>, Placed) {
        let next = self.uploaded.next.pop_front().filter(|(ahead, _)| ahead == batch);
        match (next, &self.uploaded.buffers) {
            (Some((_, placed)), Some((rows, ratings))) => (rows.clone(), ratings.clone(), placed),
            _ => {
                self.upload(std::slice::from_ref(batch));
                self.place(batch)
            }
        }
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

    fn chunk(&self) -> usize {
        CHUNK
    }

    fn ahead(&mut self, batches: &[Encoded]) {
        self.upload(batches);
    }

    /// One step on `batch` (indices within the tables, as the learner's data encodes
    /// them): the two kernels queued on its part of the uploaded batches (uploaded now,
    /// if it was not ahead), nothing read. The phases are not told apart (the kernels
    /// only queue).
    fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Tensor<1>, Tensor<1>) {
        let (rows, ratings, placed) = self.place(batch);
        let t = &self.tables;
        let n = batch.len();
        let (user_starts, user_list, item_starts, item_list) = placed.packed;
        let adam = self.settings.kind == OptimizerKind::Adam;
        let step = if adam { self.step + 1 } else { self.step };
        let at = |i: usize| i as u32;
        let settings = StepSettings {
            k: at(t.k),
            items_at: at(t.items_at),
            user_bias_at: at(t.user_bias_at),
            item_bias_at: at(t.item_bias_at),
            base: at(placed.base),
            ratings_at: at(placed.ratings_at),
            n: at(n),
            user_starts: at(user_starts),
            user_list: at(user_list),
            item_starts: at(item_starts),
            item_list: at(item_list),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, ModelSpec};

    /// `n` ratings of users and items of tables of 20 and 30 rows, picked by `seed`.
    fn batch(n: i32, seed: i32) -> Encoded {
        Encoded {
            users: (0..n).map(|i| (i * 7 + seed) % 20).collect(),
            items: (0..n).map(|i| (i * 11 + seed * 3) % 30).collect(),
            ratings: (0..n).map(|i| 1.0 + ((i + seed) % 9) as f32 * 0.5).collect(),
        }
    }

    /// Each step's loss, then every weight, in one read.
    fn read_all(engine: &GpuDot, losses: Vec<Tensor<1>>) -> Vec<f32> {
        read::block_on(read::floats(Tensor::cat([losses, vec![engine.params.clone()]].concat(), 0))).unwrap()
    }

    /// Needs a GPU driver, as `tests/gpu.rs` does (run with it by `scripts/test.sh`).
    #[test]
    fn batches_uploaded_ahead_step_as_batches_uploaded_one_at_a_time() {
        let device = Device::wgpu_options().init().unwrap_or_else(|e| panic!("wgpu could not start here: {e}"));
        let spec = ModelSpec { n_factors: 4, ..ModelSpec::new(ModelKind::DotProductBias, 20, 30) };
        let fresh = || GpuDot::new(spec.init(3, &device.clone().autodiff()), OptimSettings::default()).unwrap();
        let batches = [batch(5, 1), batch(8, 2), batch(3, 3), batch(6, 4)];
        let step = |e: &mut GpuDot, b: &Encoded, n: usize| e.step(b, 1e-2 * (n + 1) as f64, 0.9, &mut |_| {}).1;
        // One at a time: each batch goes up as its step comes.
        let mut alone = fresh();
        let losses = batches.iter().enumerate().map(|(n, b)| step(&mut alone, b, n)).collect();
        let want = read_all(&alone, losses);
        // Three ahead of their steps, then one that was not: it goes up on its own, and a
        // step on a batch other than the next one uploaded takes it as it comes.
        let mut ahead = fresh();
        ahead.ahead(&batches[..3]);
        assert_eq!(ahead.uploaded.next.len(), 3);
        let mut losses: Vec<Tensor<1>> = batches[..2].iter().enumerate().map(|(n, b)| step(&mut ahead, b, n)).collect();
        assert_eq!(ahead.uploaded.next.len(), 1, "the third is still ahead");
        losses.push(step(&mut ahead, &batches[2], 2));
        losses.push(step(&mut ahead, &batches[3], 3));
        assert_eq!(read_all(&ahead, losses), want);
        let mut skipped = fresh();
        skipped.ahead(&batches[1..3]);
        let first = step(&mut skipped, &batches[0], 0);
        assert_eq!(skipped.uploaded.next.len(), 0, "the batches ahead were let go of");
        let losses: Vec<Tensor<1>> = std::iter::once(first)
            .chain(batches[1..].iter().enumerate().map(|(n, b)| step(&mut skipped, b, n + 1)))
            .collect();
        assert_eq!(read_all(&skipped, losses), want);
    }
}
