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

use std::collections::VecDeque;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::engine::{Engine, Restore};
use super::fit_settings::FitSettings;
use super::guard::{Divergence, TrainError, first_non_finite};
use super::metrics::{EpochMetrics, SmoothLoss};
use super::path::{self, StepPath};
use super::state::EngineState;
use super::step::{Phase, mse};
use crate::data::{CollabData, Encoded};
use crate::model::{CollabModel, ModelSpec};
use crate::read::{self, ReadError};

/// Batches a device race times ([`Learner::time_batches`]): enough to average out one
/// slow batch, few enough that the race takes a second or two even on a software GPU.
pub const RACE_STEPS: usize = 30;
/// Untimed batches before a race's timed ones.
pub const RACE_WARMUP: usize = 5;

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
    data: Arc<CollabData>,
    spec: ModelSpec,
    settings: FitSettings,
    /// One row per closed epoch.
    history: Vec<EpochMetrics>,
    /// The autodiff device the model lives on.
    device: Device,
    /// The model and its optimizer, and how they take a step: chosen once, in
    /// [`Learner::on_path`].
    engine: Box<dyn Engine>,
    step: usize,
    batch_in_epoch: usize,
    epoch_batches: Vec<Vec<usize>>,
    /// The batches of the next steps, in order, already given to an engine that takes
    /// them ahead ([`Engine::ahead`]); emptied whenever the learner moves to another step.
    ahead: VecDeque<Encoded>,
    pending: Vec<Tensor<1>>,
    smooth: SmoothLoss,
    /// The state at the last read whose numbers were all finite.
    checkpoint: Checkpoint,
    /// Set once the loss stopped being finite: the run ends there.
    diverged: Option<Divergence>,
}

/// Where a fit stands besides its engine's numbers: what a snapshot keeps of it.
pub(super) struct Place {
    pub step: usize,
    pub smooth: SmoothLoss,
    pub history: Vec<EpochMetrics>,
}

/// The model size (numbers in its tables) up to which the divergence guard keeps a
/// checkpoint at every read ([`Learner::checkpoint_every`]): MovieLens-100k's and ml-1m's
/// models (133,000 and 506,000 at 50 factors) keep one at every read, as before.
const CHECKPOINT_NUMBERS: usize = 1 << 20;

/// What the divergence guard goes back to. Cloning a burn module clones handles to
/// immutable tensors, so a checkpoint costs no copy of the weights; on the CPU it copies
/// Adam's running averages (two floats a parameter) and the host engine's weights too,
/// at every loss read up to [`CHECKPOINT_NUMBERS`], less often above.
#[derive(Clone)]
struct Checkpoint {
    engine: Restore,
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
    /// each other, and for testing them against the reference. The engine that takes
    /// them is chosen here, once ([`path::choose`]).
    pub fn on_path(
        data: Arc<CollabData>,
        spec: ModelSpec,
        settings: FitSettings,
        device: &Device,
        path: StepPath,
    ) -> Self {
        let device = device.clone().autodiff();
        let engine = path::choose(spec.init(settings.seed, &device), settings.optim, path, &device);
        let epoch_batches = data.train_batches(0);
        let checkpoint = Checkpoint { engine: engine.checkpoint(), step: 0, smooth: SmoothLoss::default() };
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
            ahead: VecDeque::new(),
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
        parts.extend(self.engine.sums());
        read::floats(Tensor::cat(parts, 0)).await
    }

    /// Puts the learner at `step` of its fit: the batch order of that step's epoch and
    /// the position in it (the weights and optimizer are the caller's business).
    fn seek(&mut self, step: usize) {
        let per_epoch = self.data.batches_per_epoch().max(1);
        self.step = step;
        self.batch_in_epoch = step % per_epoch;
        self.epoch_batches = self.data.train_batches(step / per_epoch);
        self.ahead.clear();
    }

    /// The batch of the current step: the next of those given ahead, else read from the
    /// data, with as many of the epoch's next ones as the engine takes ahead
    /// ([`Engine::chunk`], never past the epoch's end).
    fn next_batch(&mut self) -> Encoded {
        if let Some(batch) = self.ahead.pop_front() {
            return batch;
        }
        let order = &self.epoch_batches[self.batch_in_epoch..];
        let chunk = self.engine.chunk().min(order.len());
        self.ahead = order[..chunk].iter().map(|rows| self.data.train.select(rows)).collect();
        if chunk > 1 {
            self.engine.ahead(self.ahead.make_contiguous());
        }
        // Never empty: the learner steps only while the epoch has a batch left.
        self.ahead.pop_front().unwrap_or_default()
    }

    /// Marks the current state as known-finite: the divergence guard comes back here.
    fn mark_finite(&mut self) {
        self.checkpoint = self.here();
    }

    /// Steps between the divergence guard's checkpoints: 1 (every read) up to a model of
    /// [`CHECKPOINT_NUMBERS`] numbers, one more every as many again. On the CPU a
    /// checkpoint copies the engine's numbers (lazy Adam's blocks: 3 a weight), and the
    /// page reads the losses every 20 ms: at ml-25m's size (11 million weights, one batch
    /// a read in wasm) a copy at every read took most of each step. A guard that finds a
    /// loss not finite replays from its checkpoint, batch by batch (the orders are
    /// seeded), so an older checkpoint costs a longer replay, never a different answer.
    fn checkpoint_every(&self) -> usize {
        let ModelSpec { n_users, n_items, n_factors, .. } = self.spec;
        ((n_users + n_items) * (n_factors + 1) / CHECKPOINT_NUMBERS).max(1)
    }

    /// The state now, as a checkpoint.
    fn here(&self) -> Checkpoint {
        Checkpoint { engine: self.engine.checkpoint(), step: self.step, smooth: self.smooth }
    }

    fn go_back(&mut self, to: Checkpoint) {
        self.engine = (to.engine)();
        self.smooth = to.smooth;
        self.pending.clear();
        self.seek(to.step);
    }

    /// The engine's numbers and where the fit stands, read to the host (the pending
    /// losses first): what a snapshot keeps.
    pub(super) async fn place(&mut self) -> Result<(EngineState, Place), TrainError> {
        self.read_losses().await?;
        let state = self.engine.read_state().await?;
        Ok((state, Place { step: self.step, smooth: self.smooth, history: self.history.clone() }))
    }

    /// Puts a fresh learner where a snapshot's stood: its engine's numbers (checked first:
    /// nothing changes when they are refused), its step, smoothed loss and epochs.
    pub(super) fn resume(&mut self, state: &EngineState, place: Place) -> Result<(), String> {
        self.engine.load_state(state)?;
        self.smooth = place.smooth;
        self.history = place.history;
        self.seek(place.step);
        self.mark_finite();
        Ok(())
    }

    /// The data it trains on.
    pub fn data(&self) -> &Arc<CollabData> {
        &self.data
    }

    /// The model's description.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// Settings of the fit.
    pub fn settings(&self) -> &FitSettings {
        &self.settings
    }

    /// One row per closed epoch.
    pub fn history(&self) -> &[EpochMetrics] {
        &self.history
    }

    /// The model as this fit started: its spec initialised from the fit's seed (where the
    /// advice's course starts, and the first of the page's maps as it forms).
    pub fn untrained(&self) -> CollabModel {
        self.spec.init(self.settings.seed, &self.device)
    }

    /// A word for the visitor when the last closed epoch predicts no better than the
    /// mean training rating: why, read from the course of the losses (see
    /// [`super::advice`]), and what to change. The untrained model's valid loss, where
    /// the course starts, is computed again from the fit's seed.
    pub async fn learned_nothing(&self) -> Result<Option<String>, ReadError> {
        let Some(last) = self.history.last() else { return Ok(None) };
        let baseline = self.data.mean_baseline();
        // A fit that beats the average learned something, wherever it started: the
        // untrained model's loss (a model built again and a pass over every validation
        // rating: seconds at ml-25m) is needed only to say why it did not.
        if last.valid_loss < baseline {
            return Ok(None);
        }
        let untrained = self.untrained();
        let course = super::advice::Course {
            start: mse(&untrained.valid(), &self.data.valid).await?,
            epochs: &self.history,
            baseline,
        };
        Ok(course.advice(self.settings.schedule.peak(), self.settings.optim.wd))
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

    /// How its steps run, in a few words: the name of the engine that takes them.
    pub fn step_kind(&self) -> &'static str {
        self.engine.name()
    }

    /// The model as it is now (on the autodiff device). On the host path this builds
    /// it from the host's numbers: a copy of the weights, for reads, not for every step.
    pub fn model(&self) -> CollabModel {
        self.engine.model()
    }

    /// Takes one training batch. `None` when the fit is over or the epoch needs
    /// [`Learner::end_epoch`] first.
    pub fn train_batch(&mut self) -> Option<BatchStep> {
        self.train_batch_marked(&mut |_| {})
    }

    /// [`Learner::train_batch`], calling `mark` as each phase of the step ends: what the
    /// benchmark's profile times (on the CPU each operation runs when it is called).
    pub(super) fn train_batch_marked(&mut self, mark: &mut dyn FnMut(Phase)) -> Option<BatchStep> {
        if self.is_done() || self.epoch_complete() || self.diverged.is_some() {
            return None;
        }
        let epoch = self.epoch();
        let batch = self.next_batch();
        let (lr, beta1) = self.settings.schedule.at(self.step, self.total_steps());
        let (preds, loss) = self.engine.step(&batch, lr, beta1, mark);
        self.pending.push(loss.clone());
        self.step += 1;
        self.batch_in_epoch += 1;
        if self.batch_in_epoch == self.epoch_batches.len() {
            self.batch_in_epoch = 0;
            // The next epoch's order (a shuffle of every training rating: a second or two at
            // ml-25m's size), unless the fit is over and there is none.
            if !self.is_done() {
                self.epoch_batches = self.data.train_batches(self.epoch());
            }
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
        let row = EpochMetrics::new(self.history.len(), train_loss, valid_loss, seconds);
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
            if self.step >= self.checkpoint.step + self.checkpoint_every() {
                self.mark_finite();
            }
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

    /// Closes an epoch: reads losses, validates (the model in eval mode), records the
    /// row. `seconds` gives the caller's measure of the epoch (the core has no clock that
    /// works in a browser); it is asked once the reads have returned, since on WebGPU the
    /// batches only queue their work and the epoch ends when its reads do.
    pub async fn end_epoch(&mut self, seconds: &dyn Fn() -> f64) -> Result<EpochMetrics, TrainError> {
        let train_loss = self.read_losses().await?;
        let valid_loss = self.engine.mse(&self.data.valid).await?;
        Ok(self.record(train_loss, valid_loss, seconds()))
    }

    /// Trains the rest of the current epoch and closes it, timing it with `clock` (seconds)
    /// up to the last device read.
    pub async fn run_epoch(&mut self, clock: &dyn Fn() -> f64) -> Result<EpochMetrics, TrainError> {
        let start = clock();
        while self.train_batch().is_some() {}
        self.end_epoch(&|| clock() - start).await
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::data::synth::{SynthSettings, generate};
    use crate::data::{DataSettings, ItemKey};
    use crate::model::ModelKind;

    /// Each call's batches: `ahead` (the batches given), or `step` (one batch).
    type Log = Rc<RefCell<Vec<(&'static str, Vec<Encoded>)>>>;

    /// The host engine, taking batches ahead three at a time, with what it was given.
    struct Ahead {
        host: Box<dyn Engine>,
        log: Log,
    }

    impl Engine for Ahead {
        fn name(&self) -> &'static str {
            self.host.name()
        }
        fn chunk(&self) -> usize {
            3
        }
        fn ahead(&mut self, batches: &[Encoded]) {
            self.log.borrow_mut().push(("ahead", batches.to_vec()));
        }
        fn step(
            &mut self,
            batch: &Encoded,
            lr: f64,
            beta1: f64,
            mark: &mut dyn FnMut(Phase),
        ) -> (Tensor<1>, Tensor<1>) {
            self.log.borrow_mut().push(("step", vec![batch.clone()]));
            self.host.step(batch, lr, beta1, mark)
        }
        fn model(&self) -> CollabModel {
            self.host.model()
        }
        fn sums(&self) -> Vec<Tensor<1>> {
            self.host.sums()
        }
        fn checkpoint(&self) -> Restore {
            let (host, log) = (self.host.checkpoint(), self.log.clone());
            Rc::new(move || Box::new(Ahead { host: host(), log: log.clone() }))
        }
        fn read_state(&self) -> super::super::engine::Pending<'_, EngineState> {
            self.host.read_state()
        }
        fn load_state(&mut self, state: &EngineState) -> Result<(), String> {
            self.host.load_state(state)
        }
        fn mse<'a>(&'a self, rows: &'a Encoded) -> super::super::engine::Pending<'a, f64> {
            self.host.mse(rows)
        }
    }

    #[test]
    fn an_engine_is_handed_the_epochs_next_batches_ahead_and_steps_the_same_batches() {
        let table = generate(SynthSettings { users: 30, items: 20, density: 0.5, seed: 4, ..SynthSettings::default() });
        let settings = DataSettings { item_key: ItemKey::Id, batch_size: 32, ..DataSettings::default() };
        let data = Arc::new(CollabData::new(&table, settings));
        let per_epoch = data.batches_per_epoch();
        assert_eq!(per_epoch % 3, 1, "an epoch ends with a chunk of one: {per_epoch} batches");
        let spec =
            ModelSpec { n_factors: 4, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
        let fit = FitSettings { epochs: 2, ..FitSettings::default() };
        let mut plain = Learner::new(data.clone(), spec.clone(), fit, &Device::flex());
        let mut ahead = Learner::new(data, spec, fit, &Device::flex());
        let log = Rc::new(RefCell::new(Vec::new()));
        let host = std::mem::replace(&mut ahead.engine, plain.engine.checkpoint()());
        ahead.engine = Box::new(Ahead { host, log: log.clone() });
        let mut stepped = Vec::new();
        for _ in 0..2 {
            while let Some(step) = plain.train_batch() {
                stepped.push(step.batch);
                ahead.train_batch().unwrap();
            }
            assert!(ahead.train_batch().is_none(), "the epoch ends at the same step");
            read::block_on(plain.end_epoch(&|| 0.0)).unwrap();
            read::block_on(ahead.end_epoch(&|| 0.0)).unwrap();
        }
        // Every step took the plain learner's batch, and each batch was handed ahead first:
        // three at a time, the last of each epoch alone (a chunk never crosses an epoch).
        let seen = log.borrow();
        let steps: Vec<&Encoded> = seen.iter().filter(|(what, _)| *what == "step").map(|(_, b)| &b[0]).collect();
        assert_eq!(steps, stepped.iter().collect::<Vec<_>>());
        let chunks: Vec<usize> = seen.iter().filter(|(what, _)| *what == "ahead").map(|(_, b)| b.len()).collect();
        let epoch: Vec<usize> = std::iter::repeat_n(3, per_epoch / 3).collect();
        assert_eq!(chunks, [epoch.clone(), epoch].concat(), "a chunk of one is not handed ahead");
        let mut at = 0;
        for (what, batches) in seen.iter() {
            if *what == "ahead" {
                assert_eq!(batches[..], stepped[at..at + batches.len()], "the next batches, in order");
            } else {
                at += 1;
            }
        }
        drop(seen);
        // Moved to another step (a checkpoint gone back to), the learner hands the engine
        // that step's batches; moved again with some still ahead, it forgets them.
        let back_to =
            |l: &Learner, step| Checkpoint { engine: l.engine.checkpoint(), step, smooth: SmoothLoss::default() };
        ahead.go_back(back_to(&ahead, 4));
        assert_eq!(ahead.train_batch().unwrap().batch, stepped[4]);
        {
            let seen = log.borrow();
            assert_eq!(seen[seen.len() - 2].1[..], stepped[4..7], "handed ahead again");
        }
        assert_eq!(ahead.ahead.len(), 2);
        ahead.go_back(back_to(&ahead, 1));
        assert_eq!(ahead.train_batch().unwrap().batch, stepped[1], "not the batch left ahead of step 5");
    }
}
