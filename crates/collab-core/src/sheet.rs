//! fastai's collab_filter spreadsheet, live: a small cross-table, a block of user
//! factors and one of movie factors, predictions, loss and gradient steps.
//!
//! The sheet keeps its numbers on the host (they are what the visitor sees and edits)
//! and does every computation with the crate's real DotProductBias on the device:
//! each evaluation or step builds the model from the host values, runs it, and reads
//! the results back with one async read.

use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::CrossTable;
use crate::model::{CollabModel, ModelKind, ModelSpec};
use crate::read::{self, ReadError};
use crate::train::lr_find::{self, Sweep};
use crate::train::{Divergence, OptimSettings, OptimizerKind, TensorOptimizer, TrainError, WdKind};
use crate::weights::{self, NamedTensor, Weights};

/// Paths of the four tables in the host weights.
pub const USER_FACTORS: &str = "user_factors.weight";
/// Movie factors `[n_items, k]`.
pub const ITEM_FACTORS: &str = "item_factors.weight";
/// User biases `[n_users, 1]`.
pub const USER_BIAS: &str = "user_bias.weight";
/// Movie biases `[n_items, 1]`.
pub const ITEM_BIAS: &str = "item_bias.weight";

/// Seed of the held-out cells' draw.
const HELD_SEED: u64 = 20;

/// The largest factor or bias the visitor may type.
pub const MAX_CELL: f32 = 1000.0;

/// The visitor's switches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SheetSettings {
    /// Latent factors per user and movie.
    pub k: usize,
    /// Add the user and movie bias.
    pub bias: bool,
    /// Squash predictions with sigmoid_range(0, 5.5).
    pub y_range: bool,
    /// Learning rate of a step.
    pub lr: f64,
    /// Weight decay.
    pub wd: f64,
    /// L2 in the loss (the lesson) or decoupled (fastai).
    pub wd_kind: WdKind,
    /// Hold out [`HELD_SHARE`] of the rated cells: no step sees them, and the evaluation
    /// reports their loss apart, so that overfitting shows where the numbers are edited.
    pub held_out: bool,
}

/// The share of rated cells held out when [`SheetSettings::held_out`] is on.
pub const HELD_SHARE: f64 = 0.2;

impl Default for SheetSettings {
    fn default() -> Self {
        Self { k: 5, bias: false, y_range: false, lr: 0.05, wd: 0.0, wd_kind: WdKind::L2, held_out: false }
    }
}

/// The sheet: ratings, settings and the visible numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The ratings shown (users x movies, blanks where unrated).
    pub cross: CrossTable,
    /// Switches.
    pub settings: SheetSettings,
    /// The four tables (biases are kept, and ignored, while bias is off).
    pub weights: Weights,
}

/// Predictions and loss of the sheet as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetEval {
    /// `preds[u][i]` for every cell, rated or not.
    pub preds: Vec<Vec<f32>>,
    /// Mean squared error over the rated cells the steps learn from (every rated cell
    /// unless some are held out).
    pub mse: f32,
    /// Mean squared error over the held-out cells, when cells are held out.
    pub held_mse: Option<f32>,
    /// Its square root.
    pub rmse: f32,
    /// `wd * sum(w^2)` over the factors (and biases when on): the L2 term.
    pub l2: f32,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetStep {
    /// The gradient of every table (of the loss the step minimised).
    pub grads: Weights,
    /// New value minus old value, per table.
    pub deltas: Weights,
}

impl Sheet {
    /// A sheet over `cross` with factors drawn uniformly from [0, 1) as a spreadsheet's
    /// RAND() would, and biases at 0.
    pub fn new(cross: CrossTable, settings: SheetSettings, seed: u64) -> Self {
        let mut sheet = Self { cross, settings, weights: Weights::default() };
        sheet.randomise(seed);
        sheet
    }

    /// Users (rows) and movies (columns).
    pub fn dims(&self) -> (usize, usize) {
        (self.cross.users.len(), self.cross.items.len())
    }

    /// Draws new factors (biases back to 0).
    pub fn randomise(&mut self, seed: u64) {
        let (n_u, n_i) = self.dims();
        let k = self.settings.k;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut table = |path: &str, rows: usize, cols: usize, random: bool| NamedTensor {
            path: path.into(),
            shape: vec![rows, cols],
            values: (0..rows * cols).map(|_| if random { rng.random::<f32>() } else { 0.0 }).collect(),
        };
        self.weights = Weights {
            tensors: vec![
                table(USER_FACTORS, n_u, k, true),
                table(ITEM_FACTORS, n_i, k, true),
                table(USER_BIAS, n_u, 1, false),
                table(ITEM_BIAS, n_i, 1, false),
            ],
        };
    }

    /// Changes the number of factors, keeping the values that still fit and drawing the rest.
    pub fn set_k(&mut self, k: usize, seed: u64) {
        let old = self.weights.clone();
        let old_k = self.settings.k;
        self.settings.k = k;
        self.randomise(seed);
        for path in [USER_FACTORS, ITEM_FACTORS] {
            let (from, to) = (old.get(path).expect("factors"), self.weights.get_mut(path).expect("factors"));
            for row in 0..to.shape[0] {
                for col in 0..k.min(old_k) {
                    to.values[row * k + col] = from.values[row * old_k + col];
                }
            }
        }
        for path in [USER_BIAS, ITEM_BIAS] {
            self.weights.get_mut(path).expect("bias").values = old.get(path).expect("bias").values.clone();
        }
    }

    /// Sets one number, refusing what is not a finite number or lies outside
    /// ±[`MAX_CELL`] (a larger factor squared overflows the loss within a step or two).
    pub fn set(&mut self, path: &str, row: usize, col: usize, value: f32) -> Result<(), String> {
        if !value.is_finite() {
            return Err(format!("{value} is not a finite number"));
        }
        if value.abs() > MAX_CELL {
            return Err(format!(
                "{} is too large: a number in the sheet must be between -{MAX_CELL} and {MAX_CELL}",
                crate::train::guard::short_number(value as f64)
            ));
        }
        let table = self.weights.get_mut(path).ok_or_else(|| format!("no table {path}"))?;
        let cols = table.shape[1];
        if row >= table.shape[0] || col >= cols {
            return Err(format!("{path} has no cell ({row}, {col})"));
        }
        table.values[row * cols + col] = value;
        Ok(())
    }

    /// The rated cells as (row, column, rating).
    pub fn rated(&self) -> Vec<(usize, usize, f32)> {
        self.cross.rated()
    }

    /// sigmoid_range of the sheet's model, if on.
    pub fn model_y_range(&self) -> Option<(f32, f32)> {
        self.settings.y_range.then_some((0.0, 5.5))
    }

    fn spec(&self) -> ModelSpec {
        let (n_users, n_items) = self.dims();
        let kind = if self.settings.bias { ModelKind::DotProductBias } else { ModelKind::DotProduct };
        ModelSpec { kind, n_users, n_items, n_factors: self.settings.k, y_range: self.model_y_range() }
    }

    /// The tables the current model has (no biases while bias is off).
    fn active(&self) -> Weights {
        let keep = |t: &&NamedTensor| self.settings.bias || (t.path != USER_BIAS && t.path != ITEM_BIAS);
        Weights { tensors: self.weights.tensors.iter().filter(keep).cloned().collect() }
    }

    /// The real model with the sheet's numbers, on `device`.
    pub fn model(&self, device: &Device) -> CollabModel {
        weights::write(self.spec().init(0, device), &self.active()).expect("the sheet's tables match its model")
    }

    /// Predictions for every cell, and the loss over the rated ones.
    pub async fn evaluate(&self, device: &Device) -> Result<SheetEval, ReadError> {
        let model = self.model(device);
        let (n_u, n_i) = self.dims();
        let users: Vec<i32> = (0..n_u as i32).flat_map(|u| std::iter::repeat_n(u, n_i)).collect();
        let items: Vec<i32> = (0..n_u).flat_map(|_| 0..n_i as i32).collect();
        let preds = model.forward(int_tensor(users, device), int_tensor(items, device)); // [n_u * n_i]
        let loss = self.loss(&model, &self.rated_cells(), device); // [1]
        let l2 = self.l2_term(&model); // [1]
        let held = self.held_cells();
        let mut parts = vec![preds, loss, l2];
        if !held.is_empty() {
            parts.push(self.loss(&model, &held, device)); // [1]
        }
        let values = read::floats(Tensor::cat(parts, 0)).await?;
        let preds = values[..n_u * n_i].chunks(n_i).map(<[f32]>::to_vec).collect();
        let mse = values[n_u * n_i];
        let held_mse = values.get(n_u * n_i + 2).copied();
        Ok(SheetEval { preds, mse, held_mse, rmse: mse.sqrt(), l2: values[n_u * n_i + 1] })
    }

    /// One gradient step on `cells` (all rated cells when empty), plain SGD with the
    /// sheet's learning rate and weight decay.
    ///
    /// A step whose loss or new numbers are not finite changes nothing and says why
    /// ([`TrainError::Diverged`]): the sheet keeps its last finite numbers.
    pub async fn step(&mut self, device: &Device, cells: &[(usize, usize)]) -> Result<SheetStep, TrainError> {
        let device = device.clone().autodiff();
        let cells = if cells.is_empty() { self.rated_cells() } else { cells.to_vec() };
        if cells.is_empty() {
            return Err(TrainError::Nothing(
                "the users and movies shown share no rating, so there is nothing to learn from".into(),
            ));
        }
        let model = self.model(&device);
        let loss = self.loss(&model, &cells, &device);
        // The lesson's L2 enters the loss (so its gradient shows); decoupled decay does not.
        let minimised = match self.settings.wd_kind {
            WdKind::L2 => loss + self.l2_term(&model),
            WdKind::Decoupled => loss,
        };
        let minimised_value = minimised.clone().inner();
        let grads = GradientsParams::from_grads(minimised.backward(), &model);
        let shown = weights::read_grads(&model, &grads).await?;
        let settings = OptimSettings { kind: OptimizerKind::Sgd, wd: self.settings.wd, wd_kind: WdKind::Decoupled };
        // L2 is already in the gradient; only decoupled decay is left to the optimizer.
        let settings = match self.settings.wd_kind {
            WdKind::L2 => OptimSettings { wd: 0.0, ..settings },
            WdKind::Decoupled => settings,
        };
        // The tensor rule runs on any device (the sheet's may be a GPU); for SGD it does
        // the fused pass's arithmetic exactly.
        let model = TensorOptimizer::new(settings).step(model, grads, self.settings.lr, 0.9);
        let after = weights::read(&model).await?;
        let loss_before = read::floats(minimised_value).await?[0];
        let values = std::iter::once(&loss_before).chain(after.tensors.iter().flat_map(|t| &t.values));
        if let Some(bad) = values.copied().find(|v| !v.is_finite()) {
            let shown = OptimSettings { wd: self.settings.wd, wd_kind: self.settings.wd_kind, ..settings };
            return Err(TrainError::Diverged(Divergence::new(None, bad as f64, self.settings.lr, &shown)));
        }
        let mut deltas = after.clone();
        for t in &mut deltas.tensors {
            let old = self.weights.get(&t.path).expect("same tables");
            t.values.iter_mut().zip(&old.values).for_each(|(new, old)| *new -= old);
        }
        for t in after.tensors {
            let path = t.path.clone();
            *self.weights.get_mut(&path).expect("same tables") = t;
        }
        Ok(SheetStep { grads: shown, deltas })
    }

    /// fastai's LR finder on the sheet ([`crate::train::lr_find`]): from a copy of its
    /// numbers (the sheet is left as it is), plain full-batch steps at the finder's rates,
    /// recording before each step the MSE of the rated cells, the loss that step
    /// computes (an L2 term is the optimizer's in fastai, never part of the recorded loss).
    /// A step that would leave a number that is not finite is refused: fastai's next loss
    /// would be NaN, and is recorded as such.
    pub async fn lr_find(&self, device: &Device) -> Result<Sweep, TrainError> {
        let mut sheet = self.clone();
        let mut sweep = Sweep::new(lr_find::NUM_IT);
        while sweep.going() {
            let lr = sweep.next_lr();
            let loss = sheet.evaluate(device).await?.mse;
            sweep.record(loss as f64);
            if !sweep.going() {
                break;
            }
            sheet.settings.lr = lr;
            match sheet.step(device, &[]).await {
                Ok(_) => {}
                Err(TrainError::Diverged(_)) => sweep.record(f64::NAN),
                Err(e) => return Err(e),
            }
        }
        Ok(sweep)
    }

    /// A mini-batch of `size` rated cells drawn with `seed` (all of them if `size` is 0
    /// or more than there are).
    pub fn batch(&self, size: usize, seed: u64) -> Vec<(usize, usize)> {
        let mut cells = self.rated_cells();
        if size == 0 || size >= cells.len() {
            return cells;
        }
        use rand::seq::SliceRandom;
        cells.shuffle(&mut StdRng::seed_from_u64(seed));
        cells.truncate(size);
        cells
    }

    /// The rated cells the steps learn from: every rated cell but the held-out ones.
    pub fn trained_on(&self) -> Vec<(usize, usize, f32)> {
        let held = self.held_cells();
        self.rated().into_iter().filter(|&(u, i, _)| !held.contains(&(u, i))).collect()
    }

    /// The held-out cells (none unless [`SheetSettings::held_out`]): a fixed draw of
    /// [`HELD_SHARE`] of the rated cells, rounded, the same for any numbers in the sheet.
    pub fn held_cells(&self) -> Vec<(usize, usize)> {
        if !self.settings.held_out {
            return Vec::new();
        }
        use rand::seq::SliceRandom;
        let mut cells: Vec<(usize, usize)> = self.rated().into_iter().map(|(u, i, _)| (u, i)).collect();
        let n = (cells.len() as f64 * HELD_SHARE).round() as usize;
        cells.shuffle(&mut StdRng::seed_from_u64(HELD_SEED));
        cells.truncate(n);
        cells.sort_unstable();
        cells
    }

    fn rated_cells(&self) -> Vec<(usize, usize)> {
        self.trained_on().into_iter().map(|(u, i, _)| (u, i)).collect()
    }

    /// MSE of `model` on `cells`, `[1]`.
    fn loss(&self, model: &CollabModel, cells: &[(usize, usize)], device: &Device) -> Tensor<1> {
        let users = cells.iter().map(|c| c.0 as i32).collect();
        let items = cells.iter().map(|c| c.1 as i32).collect();
        let ratings: Vec<f32> = cells.iter().map(|&(u, i)| self.cross.cells[u][i].unwrap_or(0.0)).collect();
        let n = ratings.len();
        let target = Tensor::<1>::from_data(TensorData::new(ratings, [n]), device);
        (model.forward(int_tensor(users, device), int_tensor(items, device)) - target).powi_scalar(2).mean()
    }

    /// `wd * sum(w^2)` over the model's tables, `[1]`.
    fn l2_term(&self, model: &CollabModel) -> Tensor<1> {
        let wd = self.settings.wd as f32;
        let mut total = model.user_factors().powi_scalar(2).sum() + model.item_factors().powi_scalar(2).sum();
        if let CollabModel::Dot(m) = model {
            for b in [&m.user_bias, &m.item_bias].into_iter().flatten() {
                total = total + b.weight.val().powi_scalar(2).sum();
            }
        }
        total.mul_scalar(wd)
    }
}

fn int_tensor(values: Vec<i32>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth::{SynthSettings, generate};
    use crate::read::block_on;

    fn sheet(settings: SheetSettings) -> Sheet {
        let table = generate(SynthSettings::default());
        Sheet::new(CrossTable::top(&table, 15), settings, 3)
    }

    #[test]
    fn held_out_cells_are_never_stepped_on_and_their_loss_is_reported_apart() {
        let device = Device::flex();
        let mut s = sheet(SheetSettings { held_out: true, ..Default::default() });
        let rated = s.rated();
        let held = s.held_cells();
        assert_eq!(held.len(), (rated.len() as f64 * 0.2).round() as usize);
        assert_eq!(s.trained_on().len() + held.len(), rated.len());
        let eval = block_on(s.evaluate(&device)).unwrap();
        let mse = |cells: &[(usize, usize)]| {
            cells.iter().map(|&(u, i)| (eval.preds[u][i] - s.cross.cells[u][i].unwrap()).powi(2)).sum::<f32>()
                / cells.len() as f32
        };
        let trained: Vec<(usize, usize)> = s.trained_on().iter().map(|c| (c.0, c.1)).collect();
        assert!((eval.mse - mse(&trained)).abs() < 1e-4, "train MSE over the cells stepped on");
        assert!((eval.held_mse.unwrap() - mse(&held)).abs() < 1e-4, "held-out MSE over the others");
        // A step does not see a held-out rating: changing it changes nothing the step does.
        let mut other = s.clone();
        let (u, i) = held[0];
        other.cross.cells[u][i] = Some(if other.cross.cells[u][i] == Some(1.0) { 5.0 } else { 1.0 });
        assert_eq!(other.held_cells(), held, "the draw depends on which cells are rated, not on their ratings");
        let (a, b) = (block_on(s.step(&device, &[])).unwrap(), block_on(other.step(&device, &[])).unwrap());
        assert_eq!((a, &s.weights), (b, &other.weights));
        // Mini-batches are drawn from the cells stepped on only.
        assert!((0..20).flat_map(|seed| s.batch(16, seed)).all(|c| !held.contains(&c)));
        // Off, nothing is held out and the loss is over every rated cell.
        s.settings.held_out = false;
        assert!(s.held_cells().is_empty() && block_on(s.evaluate(&device)).unwrap().held_mse.is_none());
    }

    #[test]
    fn with_ten_factors_the_demo_sheet_overfits_and_the_held_out_loss_shows_it() {
        // 15 x 15 users and movies, 160 ratings, 128 stepped on: 300 factors to fit them.
        let device = Device::flex();
        let settings = SheetSettings { k: 10, held_out: true, lr: 0.5, ..Default::default() };
        let mut s = Sheet::new(CrossTable::top(&crate::data::synth::demo(), 15), settings, 1);
        let mut losses = Vec::new();
        for _ in 0..200 {
            let e = block_on(s.evaluate(&device)).unwrap();
            losses.push((e.mse, e.held_mse.unwrap()));
            block_on(s.step(&device, &[])).unwrap();
        }
        let lowest_held = losses.iter().map(|l| l.1).fold(f32::INFINITY, f32::min);
        let (train, held) = *losses.last().unwrap();
        assert!(train < 0.01, "the cells stepped on are learned by heart: {train}");
        assert!(held > lowest_held + 0.03, "the held-out loss rose from {lowest_held} to {held}");
    }

    #[test]
    fn the_lr_finder_steps_a_copy_at_the_finders_rates() {
        let s = sheet(SheetSettings::default());
        let device = Device::flex();
        let sweep = block_on(s.lr_find(&device)).unwrap();
        assert_eq!(s, sheet(SheetSettings::default()), "the sheet itself is not stepped");
        // The first loss is the sheet's own MSE; the second, the MSE after one plain step at 1e-7.
        let mut copy = s.clone();
        let first = block_on(copy.evaluate(&device)).unwrap().mse as f64;
        assert!((sweep.losses[0] - first).abs() < 1e-12);
        copy.settings.lr = 1e-7;
        block_on(copy.step(&device, &[])).unwrap();
        let second = block_on(copy.evaluate(&device)).unwrap().mse as f64;
        let want = (0.98 * 0.02 * first + 0.02 * second) / (1.0 - 0.98f64.powi(2));
        assert!((sweep.losses[1] - want).abs() < 1e-9, "{} against {want}", sweep.losses[1]);
        // The gradient of a mean over the sheet's ~100 ratings moves each factor by a small
        // share of the rate: the loss still falls at 10, and all 100 steps run.
        assert_eq!(sweep.stop, Some(lr_find::Stop::Done), "{:?}", sweep.losses);
        assert_eq!(sweep.lrs.len(), 100);
        assert!(sweep.losses[99] < sweep.losses[50] && sweep.losses[50] < sweep.losses[0]);
        let s = sweep.suggestion().unwrap();
        assert_eq!(s.lr, sweep.lrs[s.index] as f32 as f64);
    }

    #[test]
    fn predictions_are_dot_products_of_the_visible_numbers() {
        let s = sheet(SheetSettings::default());
        let eval = block_on(s.evaluate(&Device::flex())).unwrap();
        let (u, i) = (s.weights.get(USER_FACTORS).unwrap(), s.weights.get(ITEM_FACTORS).unwrap());
        let dot: f32 = (0..5).map(|j| u.values[2 * 5 + j] * i.values[7 * 5 + j]).sum();
        assert!((eval.preds[2][7] - dot).abs() < 1e-5);
        let rated = s.rated();
        let mse = rated.iter().map(|&(u, i, r)| (eval.preds[u][i] - r).powi(2)).sum::<f32>() / rated.len() as f32;
        assert!((eval.mse - mse).abs() < 1e-4, "{} vs {mse}", eval.mse);
    }

    #[test]
    fn editing_a_factor_changes_exactly_its_row_of_predictions() {
        let mut s = sheet(SheetSettings::default());
        let before = block_on(s.evaluate(&Device::flex())).unwrap();
        s.set(USER_FACTORS, 4, 1, 2.5).unwrap();
        let after = block_on(s.evaluate(&Device::flex())).unwrap();
        for u in 0..15 {
            for i in 0..15 {
                assert_eq!(before.preds[u][i] != after.preds[u][i], u == 4, "cell {u},{i}");
            }
        }
        assert!(s.set(USER_FACTORS, 0, 0, f32::NAN).is_err());
        assert!(s.set(USER_FACTORS, 0, 0, f32::INFINITY).is_err());
    }

    #[test]
    fn a_step_lowers_the_loss_and_reports_gradients() {
        for settings in [
            SheetSettings::default(),
            SheetSettings { bias: true, y_range: true, lr: 0.1, wd: 0.01, ..Default::default() },
            SheetSettings { wd: 0.01, wd_kind: WdKind::Decoupled, ..Default::default() },
        ] {
            let mut s = sheet(settings);
            let before = block_on(s.evaluate(&Device::flex())).unwrap();
            let step = block_on(s.step(&Device::flex(), &[])).unwrap();
            let after = block_on(s.evaluate(&Device::flex())).unwrap();
            assert!(after.mse < before.mse, "{settings:?}: {} -> {}", before.mse, after.mse);
            let g = step.grads.get(USER_FACTORS).unwrap();
            let d = step.deltas.get(USER_FACTORS).unwrap();
            if settings.wd_kind == WdKind::L2 {
                // SGD: the change is exactly -lr * gradient.
                for (g, d) in g.values.iter().zip(&d.values) {
                    assert!((d + settings.lr as f32 * g).abs() < 1e-5, "{d} vs {g}");
                }
            }
        }
    }

    #[test]
    fn a_step_that_diverges_changes_nothing_and_says_why() {
        // lr 1e30: the first step makes factors of ~1e31, the second overflows.
        let mut s = sheet(SheetSettings { lr: 1e30, ..Default::default() });
        block_on(s.step(&Device::flex(), &[])).unwrap();
        let before = s.weights.clone();
        let err = block_on(s.step(&Device::flex(), &[])).unwrap_err();
        assert!(matches!(err, TrainError::Diverged(_)), "{err}");
        assert!(err.to_string().contains("learning rate 1e30 is too high"), "{err}");
        assert_eq!(s.weights, before, "the sheet keeps its last finite numbers");
        assert!(s.set(USER_FACTORS, 0, 0, 1e20).unwrap_err().contains("too large"));
        assert!(s.set(USER_FACTORS, 0, 0, 3.4e38).is_err());
        let mut s = sheet(SheetSettings { lr: 1e9, ..Default::default() });
        let mut steps = 0;
        let err = loop {
            steps += 1;
            match block_on(s.step(&Device::flex(), &[])) {
                Ok(_) => assert!(steps < 20, "lr 1e9 should diverge within a few steps"),
                Err(e) => break e,
            }
        };
        assert!(err.to_string().starts_with("the loss became"), "{err}");
        assert!(s.weights.tensors.iter().all(|t| t.values.iter().all(|v| v.is_finite())));
    }

    #[test]
    fn a_sheet_without_ratings_says_so() {
        let mut s = sheet(SheetSettings::default());
        s.cross.cells.iter_mut().flatten().for_each(|c| *c = None);
        let err = block_on(s.step(&Device::flex(), &[])).unwrap_err();
        assert!(matches!(err, TrainError::Nothing(_)), "{err}");
    }

    #[test]
    fn a_mini_batch_step_moves_only_the_rows_it_looked_up() {
        let mut s = sheet(SheetSettings::default());
        let (u, i, _) = s.rated()[0];
        let step = block_on(s.step(&Device::flex(), &[(u, i)])).unwrap();
        let d = step.deltas.get(USER_FACTORS).unwrap();
        for row in 0..15 {
            let moved = d.values[row * 5..(row + 1) * 5].iter().any(|&x| x != 0.0);
            assert_eq!(moved, row == u, "row {row}");
        }
    }
}
