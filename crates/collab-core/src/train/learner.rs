//! The training loop as a stepping API: one batch, one epoch, or a whole fit.
//!
//! Nothing here reads from the device synchronously. A batch's loss stays on the device
//! until [`Learner::read_losses`] (async) collects every pending loss in one read, so a
//! WebGPU page can read every N batches and a native caller every epoch.
//!
//! Every read also checks that the losses and the weights are finite numbers (see
//! [`super::guard`]): if not, the learner goes back to the state of the previous read,
//! replays the batches one at a time to find the first step that broke, stops there
//! with the last finite state, and answers every later call with the same
//! [`Divergence`].

use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::engine::{Engine, StepPath};
use super::guard::{Divergence, TrainError, first_non_finite};
use super::metrics::{EpochMetrics, SmoothLoss};
use super::optimizer::OptimSettings;
use super::schedule::Schedule;
use crate::data::{CollabData, Encoded};
use crate::model::{CollabModel, ModelSpec};
use crate::read::{self, ReadError};

/// Batches a device race times ([`Learner::time_batches`]): enough to average out one
/// slow batch, few enough that the race takes a second or two even on a software GPU.
pub const RACE_STEPS: usize = 30;
/// Untimed batches before a race's timed ones.
pub const RACE_WARMUP: usize = 5;

/// Settings of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitSettings {
    /// Epochs to train.
    pub epochs: usize,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Optimizer and weight decay.
    pub optim: OptimSettings,
    /// Seed of the initial weights.
    pub seed: u64,
}

impl Default for FitSettings {
    /// The lesson's reference run: fit_one_cycle(5, 5e-3, wd=0.1).
    fn default() -> Self {
        Self { epochs: 5, schedule: Schedule::OneCycle { lr_max: 5e-3 }, optim: OptimSettings::default(), seed: 42 }
    }
}

/// What [`Learner::time_batches`] measured, in milliseconds per batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchTimes {
    /// From the first timed batch to the read of their losses: what a batch costs.
    pub ms: f64,
    /// Until the last batch was called, before the read. On the CPU a step computes as it
    /// is called, so this is nearly all of `ms`; on a GPU a step only queues its work, so
    /// this is what the step costs the host (the browser's WebGPU calls included), a
    /// floor that no GPU, however fast, can take a step under.
    pub queue_ms: f64,
}

/// What one training batch did. Tensors stay on the device until the caller reads them.
pub struct BatchStep {
    /// Global step index (0-based).
    pub step: usize,
    /// Epoch of this batch.
    pub epoch: usize,
    /// The batch: user and item indices and ratings.
    pub batch: Encoded,
    /// Predictions before the update, `[batch]`.
    pub preds: Tensor<1>,
    /// Mean squared error of the batch, `[1]`.
    pub loss: Tensor<1>,
    /// Learning rate used.
    pub lr: f64,
    /// Adam's beta1 used.
    pub beta1: f64,
}

/// One batch with the rows it touched and how far each moved: what the page shows when
/// the visitor steps a single batch.
pub struct BatchTrace {
    /// The step itself.
    pub step: BatchStep,
    /// Distinct user indices of the batch.
    pub user_rows: Vec<i32>,
    /// Distinct item indices of the batch.
    pub item_rows: Vec<i32>,
    /// Euclidean distance each of those user rows moved, `[user_rows]`.
    pub user_moves: Tensor<1>,
    /// Euclidean distance each of those item rows moved, `[item_rows]`.
    pub item_moves: Tensor<1>,
}

/// A model, its data and its optimizer, stepping through a fit.
pub struct Learner {
    /// The data it trains on.
    pub data: Arc<CollabData>,
    /// The model's description.
    pub spec: ModelSpec,
    /// Settings of the fit.
    pub settings: FitSettings,
    /// Rows per epoch history.
    pub history: Vec<EpochMetrics>,
    device: Device,
    /// The model and its optimizer.
    pub(super) engine: Engine,
    pub(super) step: usize,
    pub(super) batch_in_epoch: usize,
    pub(super) epoch_batches: Vec<Vec<usize>>,
    pending: Vec<Tensor<1>>,
    pub(super) smooth: SmoothLoss,
    /// The state at the last read whose numbers were all finite.
    checkpoint: Checkpoint,
    /// Set once the loss stopped being finite: the run ends there.
    diverged: Option<Divergence>,
}

/// The parts of a training step, as [`Learner::train_batch_marked`] reports their ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The batch to the device, predictions and loss.
    Forward,
    /// Gradients.
    Backward,
    /// The optimizer's update.
    Optimizer,
    /// Losses kept for the next read, counters, the next epoch's batches.
    Bookkeeping,
}

/// What the divergence guard goes back to. Cloning a burn module clones handles to
/// immutable tensors, so a checkpoint costs no copy of the weights; on the CPU it copies
/// Adam's running averages (two floats a parameter, once per loss read), and the host
/// engine's weights too.
#[derive(Clone)]
struct Checkpoint {
    engine: Engine,
    /// What the engine needs kept besides its clone (see [`Engine::handles`]).
    values: Vec<Tensor<1>>,
    step: usize,
    smooth: SmoothLoss,
}

impl Learner {
    /// A fresh learner for `spec` on `device` (autodiff is turned on here), on the
    /// fastest path, [`StepPath::Direct`].
    pub fn new(data: Arc<CollabData>, spec: ModelSpec, settings: FitSettings, device: &Device) -> Self {
        Self::on_path(data, spec, settings, device, StepPath::Direct)
    }

    /// A fresh learner that takes its steps along `path`: for timing the paths against
    /// each other, and for testing them against the reference.
    pub fn on_path(
        data: Arc<CollabData>,
        spec: ModelSpec,
        settings: FitSettings,
        device: &Device,
        path: StepPath,
    ) -> Self {
        let device = device.clone().autodiff();
        let engine = Engine::new(spec.init(settings.seed, &device), settings.optim, path, &device);
        let epoch_batches = data.train_batches(0);
        let checkpoint =
            Checkpoint { values: engine.handles(), engine: engine.clone(), step: 0, smooth: SmoothLoss::default() };
        Self {
            data,
            spec,
            settings,
            history: Vec::new(),
            device,
            engine,
            step: 0,
            batch_in_epoch: 0,
            epoch_batches,
            pending: Vec::new(),
            smooth: SmoothLoss::default(),
            checkpoint,
            diverged: None,
        }
    }

    /// The pending losses followed by every tensor's sum, in one read: what the guard
    /// needs to see that both the losses and the weights are still finite.
    async fn read_pending_and_sums(&mut self) -> Result<Vec<f32>, ReadError> {
        let mut parts = std::mem::take(&mut self.pending);
        parts.extend(self.engine.sums(&self.device));
        read::floats(Tensor::cat(parts, 0)).await
    }

    /// Puts the learner at `step` of its fit: the batch order of that step's epoch and
    /// the position in it (the weights and optimizer are the caller's business).
    pub(super) fn seek(&mut self, step: usize) {
        let per_epoch = self.data.batches_per_epoch().max(1);
        self.step = step;
        self.batch_in_epoch = step % per_epoch;
        self.epoch_batches = self.data.train_batches(step / per_epoch);
    }

    /// Marks the current state as known-finite: the divergence guard comes back here.
    pub(super) fn mark_finite(&mut self) {
        self.checkpoint = self.here();
    }

    /// The state now, as a checkpoint.
    fn here(&self) -> Checkpoint {
        Checkpoint { values: self.engine.handles(), engine: self.engine.clone(), step: self.step, smooth: self.smooth }
    }

    fn go_back(&mut self, to: Checkpoint) {
        self.engine = to.engine.with_handles(&to.values);
        self.smooth = to.smooth;
        self.pending.clear();
        self.seek(to.step);
    }

    /// A word for the visitor when the last closed epoch predicts no better than the
    /// mean training rating: why, read from the course of the losses (see
    /// [`super::advice`]), and what to change. The untrained model's valid loss, where
    /// the course starts, is computed again from the fit's seed.
    pub async fn learned_nothing(&self) -> Result<Option<String>, ReadError> {
        if self.history.is_empty() {
            return Ok(None);
        }
        let untrained = self.spec.init(self.settings.seed, &self.device);
        let course = super::advice::Course {
            start: mse(&untrained.valid(), &self.data.valid).await?,
            epochs: &self.history,
            baseline: self.data.mean_baseline(),
        };
        let lr = match self.settings.schedule {
            Schedule::OneCycle { lr_max } => lr_max,
            Schedule::Constant { lr } => lr,
        };
        Ok(course.advice(lr, self.settings.optim.wd))
    }

    /// Why the fit stopped early, if its loss stopped being a number.
    pub fn divergence(&self) -> Option<&Divergence> {
        self.diverged.as_ref()
    }

    /// Total training batches of the fit.
    pub fn total_steps(&self) -> usize {
        self.settings.epochs * self.data.batches_per_epoch()
    }

    /// Steps taken so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The epoch the next batch belongs to.
    pub fn epoch(&self) -> usize {
        self.step / self.data.batches_per_epoch().max(1)
    }

    /// True once every batch of every epoch is done.
    pub fn is_done(&self) -> bool {
        self.step >= self.total_steps()
    }

    /// True when the last batch of an epoch was just taken and the epoch awaits
    /// [`Learner::end_epoch`].
    pub fn epoch_complete(&self) -> bool {
        self.step > 0 && self.batch_in_epoch == 0 && self.history.len() < self.epoch()
    }

    /// Whether its steps run on the host: [`StepPath::Direct`], a dot-product model, the CPU.
    pub fn on_host(&self) -> bool {
        matches!(self.engine, Engine::Host { .. })
    }

    /// How its steps run, in a few words: which engine took the fit.
    pub fn step_kind(&self) -> &'static str {
        match &self.engine {
            // On a GPU burn's optimizer is always tensor operations.
            Engine::Burn { optim, .. } if optim.fused && super::optimizer::is_cpu(&self.device.clone().inner()) => {
                StepPath::FusedOptimizer.describe()
            }
            Engine::Burn { .. } => StepPath::Tensors.describe(),
            Engine::Host { .. } => "whole step on the host",
            #[cfg(feature = "gpu")]
            Engine::Gpu { .. } => "two GPU kernels a step",
        }
    }

    /// Takes up to `steps` batches, then reads each one's loss and the weights: what a
    /// test compares between two engines. Meant for a fresh learner.
    pub async fn probe(&mut self, steps: usize) -> Result<(Vec<f32>, crate::weights::Weights), TrainError> {
        let losses: Vec<Tensor<1>> = (0..steps).map_while(|_| self.train_batch().map(|s| s.loss)).collect();
        if losses.is_empty() {
            return Err(TrainError::Nothing("no batch was left to probe".into()));
        }
        let losses = read::floats(Tensor::cat(losses, 0)).await?;
        self.read_losses().await?;
        Ok((losses, crate::weights::read(&self.model()).await?))
    }

    /// The model as it is now (on the autodiff device). On the host path this builds
    /// it from the host's numbers: a copy of the weights, for reads, not for every step.
    pub fn model(&self) -> CollabModel {
        self.engine.model()
    }

    /// The device the model lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Takes one training batch. `None` when the fit is over or the epoch needs
    /// [`Learner::end_epoch`] first.
    pub fn train_batch(&mut self) -> Option<BatchStep> {
        self.train_batch_marked(&mut |_| {})
    }

    /// [`Learner::train_batch`], calling `mark` as each phase of the step ends: what the
    /// benchmark's profile times (on the CPU each operation runs when it is called).
    pub fn train_batch_marked(&mut self, mark: &mut dyn FnMut(Phase)) -> Option<BatchStep> {
        if self.is_done() || self.epoch_complete() || self.diverged.is_some() {
            return None;
        }
        let epoch = self.epoch();
        let batch = self.data.train.select(&self.epoch_batches[self.batch_in_epoch]);
        let (lr, beta1) = self.settings.schedule.at(self.step, self.total_steps());
        let (preds, loss) = self.engine.step(&batch, lr, beta1, &self.device, mark);
        self.pending.push(loss.clone());
        self.step += 1;
        self.batch_in_epoch += 1;
        if self.batch_in_epoch == self.epoch_batches.len() {
            self.batch_in_epoch = 0;
            self.epoch_batches = self.data.train_batches(self.epoch());
        }
        mark(Phase::Bookkeeping);
        Some(BatchStep { step: self.step - 1, epoch, batch, preds, loss, lr, beta1 })
    }

    /// Like [`Learner::train_batch`], also measuring how far each embedding row the
    /// batch touched moved.
    pub fn train_batch_traced(&mut self) -> Option<BatchTrace> {
        if self.is_done() || self.epoch_complete() || self.diverged.is_some() {
            return None;
        }
        let next = self.data.train.select(&self.epoch_batches[self.batch_in_epoch]);
        let distinct = |v: &[i32]| {
            let mut v = v.to_vec();
            v.sort_unstable();
            v.dedup();
            v
        };
        let (user_rows, item_rows) = (distinct(&next.users), distinct(&next.items));
        let plain = self.device.clone().inner();
        let rows = move |table: Tensor<2>, index: &[i32]| {
            let n = index.len();
            table.inner().select(0, Tensor::<1, Int>::from_data(TensorData::new(index.to_vec(), [n]), &plain))
        };
        let before = self.model();
        let users_before = rows(before.user_factors(), &user_rows);
        let items_before = rows(before.item_factors(), &item_rows);
        let step = self.train_batch()?;
        let moved =
            |after: Tensor<2>, before: Tensor<2>| (after - before).powi_scalar(2).sum_dim(1).sqrt().squeeze_dim::<1>(1);
        let after = self.model();
        let user_moves = moved(rows(after.user_factors(), &user_rows), users_before);
        let item_moves = moved(rows(after.item_factors(), &item_rows), items_before);
        Some(BatchTrace { step, user_rows, item_rows, user_moves, item_moves })
    }

    /// Appends an epoch's row to the history.
    fn record(&mut self, train_loss: f64, valid_loss: f64, seconds: f64) -> EpochMetrics {
        let row = EpochMetrics { epoch: self.history.len(), train_loss, valid_loss, rmse: valid_loss.sqrt(), seconds };
        self.history.push(row);
        row
    }

    /// Milliseconds per batch on this learner's device, by `now_ms`: `warmup` untimed
    /// batches first (on a GPU they compile the shaders and make the first allocations),
    /// then `timed` batches up to a read of their losses (on a GPU the batches only queue
    /// their work until something is read). Meant for a fresh learner: the page's device
    /// race and `collab bench` time the same way.
    pub async fn time_batches(
        &mut self,
        warmup: usize,
        timed: usize,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<BatchTimes, TrainError> {
        (0..warmup).take_while(|_| self.train_batch().is_some()).for_each(drop);
        self.read_losses().await?;
        let start = now_ms();
        let done = (0..timed).take_while(|_| self.train_batch().is_some()).count();
        let queued = now_ms();
        self.read_losses().await?;
        if done == 0 {
            return Err(TrainError::Nothing("no batch was left to time (too few ratings for one batch)".into()));
        }
        let per_batch = |ms: f64| ms / done as f64;
        Ok(BatchTimes { ms: per_batch(now_ms() - start), queue_ms: per_batch(queued - start) })
    }

    /// Reads every pending batch loss in one device read and feeds fastai's smoother.
    /// Returns the smoothed training loss, or the [`Divergence`] if a loss or a weight
    /// stopped being finite since the last read.
    pub async fn read_losses(&mut self) -> Result<f64, TrainError> {
        if let Some(d) = &self.diverged {
            return Err(TrainError::Diverged(d.clone()));
        }
        if !self.pending.is_empty() {
            let n = self.pending.len();
            let values = self.read_pending_and_sums().await?;
            if first_non_finite(&values).is_some() {
                let divergence = self.find_divergence().await?;
                self.diverged = Some(divergence.clone());
                return Err(TrainError::Diverged(divergence));
            }
            for &loss in &values[..n] {
                self.smooth.push(loss as f64);
            }
            self.mark_finite();
        }
        Ok(self.smooth.get())
    }

    /// Goes back to the last finite state and replays one batch at a time (each read
    /// at once) up to the first step whose loss or update is not finite; the learner is
    /// left just before that step. Batches are drawn from seeded orders and no model
    /// has dropout, so the replay takes exactly the steps taken the first time.
    async fn find_divergence(&mut self) -> Result<Divergence, ReadError> {
        let until = self.step;
        self.go_back(self.checkpoint.clone());
        while self.step < until {
            let before = self.here();
            let Some(step) = self.train_batch() else { break };
            let values = self.read_pending_and_sums().await?;
            if let Some(bad) = first_non_finite(&values) {
                self.go_back(before);
                return Ok(Divergence::new(Some(step.step + 1), bad, step.lr, &self.settings.optim));
            }
            self.smooth.push(values[0] as f64);
        }
        // The replay stayed finite (it should not): stop at the checkpoint anyway.
        self.go_back(self.checkpoint.clone());
        let lr = self.settings.schedule.at(until.saturating_sub(1), self.total_steps()).0;
        Ok(Divergence::new(Some(until), f64::NAN, lr, &self.settings.optim))
    }

    /// Mean squared error over the validation split (the model in eval mode).
    pub async fn validate(&self) -> Result<f64, ReadError> {
        self.engine.mse(&self.data.valid).await
    }

    /// Closes an epoch: reads losses, validates, records the row. `seconds` is the
    /// caller's measure of the epoch (the core has no clock that works in a browser).
    pub async fn end_epoch(&mut self, seconds: f64) -> Result<EpochMetrics, TrainError> {
        let train_loss = self.read_losses().await?;
        let valid_loss = self.validate().await?;
        Ok(self.record(train_loss, valid_loss, seconds))
    }

    /// Trains the rest of the current epoch and closes it, timing it with `clock` (seconds)
    /// up to the last device read.
    pub async fn run_epoch(&mut self, clock: &dyn Fn() -> f64) -> Result<EpochMetrics, TrainError> {
        let start = clock();
        while self.train_batch().is_some() {}
        // On WebGPU the batches only queue work: the epoch ends when the reads return.
        let mut row = self.end_epoch(0.0).await?;
        row.seconds = clock() - start;
        if let Some(last) = self.history.last_mut() {
            last.seconds = row.seconds;
        }
        Ok(row)
    }
}

impl Learner {
    /// Trains every remaining epoch, calling `on_epoch` after each; it returns
    /// `ControlFlow::Break` to stop early (the learner keeps its state and can go on).
    pub async fn fit(
        &mut self,
        clock: &dyn Fn() -> f64,
        mut on_epoch: impl FnMut(&EpochMetrics) -> std::ops::ControlFlow<()>,
    ) -> Result<Vec<EpochMetrics>, TrainError> {
        while !self.is_done() {
            let row = self.run_epoch(clock).await?;
            if on_epoch(&row).is_break() {
                break;
            }
        }
        Ok(self.history.clone())
    }
}

/// Index and rating tensors of a batch.
pub fn to_device(batch: &Encoded, device: &Device) -> (Tensor<1, Int>, Tensor<1, Int>, Tensor<1>) {
    let n = batch.len();
    let users = Tensor::from_data(TensorData::new(batch.users.clone(), [n]), device);
    let items = Tensor::from_data(TensorData::new(batch.items.clone(), [n]), device);
    let ratings = Tensor::from_data(TensorData::new(batch.ratings.clone(), [n]), device);
    (users, items, ratings)
}

/// Mean squared error of `model` on `rows`, computed in chunks, read once.
pub async fn mse(model: &CollabModel, rows: &Encoded) -> Result<f64, ReadError> {
    if rows.is_empty() {
        return Ok(f64::NAN);
    }
    let device = model.item_factors().device();
    const CHUNK: usize = 8192;
    let mut sums = Vec::new();
    let index: Vec<usize> = (0..rows.len()).collect();
    for chunk in index.chunks(CHUNK) {
        let (users, items, ratings) = to_device(&rows.select(chunk), &device);
        sums.push((model.forward(users, items) - ratings).powi_scalar(2).sum());
    }
    let total: f64 = read::floats(Tensor::cat(sums, 0)).await?.iter().map(|&s| s as f64).sum();
    Ok(total / rows.len() as f64)
}
