//! The dot-product models' training step written out on the host: what a learner on
//! the CPU runs for DotProduct, DotProductBias and the from-scratch model.
//!
//! Through burn, one step of these models is a few dozen tensor operations, each with
//! its own allocation: autodiff records a graph and walks it back, each embedding's
//! gradient comes back as a whole table of zeros but for the batch's rows, and the
//! optimizer turns every parameter into host numbers and back. Yet the arithmetic is
//! small: a batch of 64 ratings touches at most 128 rows of each table. Here the same
//! step is three loops over plain vectors: predictions and loss; the gradient, added
//! into the batch's rows of a gradient table kept between steps; and the optimizer's
//! one pass over each table ([`fused`], shared with the burn path), which leaves the
//! gradient table at zero for the next step. fastai's dense update is kept: every row
//! decays and moves with its running averages at every step, as in fastai.
//!
//! The burn model stays the form everything else reads (the learner builds it from
//! these tables when asked) and the reference: the tests check this step's gradient
//! against burn's autodiff and a run of it against burn's autodiff and tensor optimizer.

use super::learner::Phase;
use super::optimizer::{HostAdam, OptimSettings, decayed_params, fused};
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::weights::{NamedTensor, Weights};

/// Which table of a dot-product model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    UserFactors,
    ItemFactors,
    UserBias,
    ItemBias,
}

impl Role {
    /// The role of the parameter at `path` (`user_factors.weight` in DotProductBias,
    /// `user_factors` in the from-scratch model).
    pub(super) fn of(path: &str) -> Option<Role> {
        match path.split('.').next()? {
            "user_factors" => Some(Role::UserFactors),
            "item_factors" => Some(Role::ItemFactors),
            "user_bias" => Some(Role::UserBias),
            "item_bias" => Some(Role::ItemBias),
            _ => None,
        }
    }
}

/// A dot-product model's sigmoid_range (`Some(None)` when it has none); `None` for the
/// neural models.
pub(super) fn dot_y_range(model: &CollabModel) -> Option<Option<(f32, f32)>> {
    match model {
        CollabModel::Dot(m) => Some(m.y_range),
        CollabModel::Scratch(m) => Some(m.y_range),
        CollabModel::Nn(_) => None,
    }
}

/// One parameter table and what the step keeps for it.
#[derive(Clone, Debug, PartialEq)]
struct Table {
    path: String,
    shape: Vec<usize>,
    values: Vec<f32>,
    /// The current step's gradient; all zeros between steps.
    grad: Vec<f32>,
    /// Adam's running averages, from the first Adam step on.
    adam: Option<HostAdam>,
    /// Whether weight decay applies (fastai decays every table of these models).
    decays: bool,
}

/// A dot-product model's tables and optimizer state on the host.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct HostDot {
    /// The tables in the order the burn model visits them.
    tables: Vec<Table>,
    /// Positions in `tables`: user factors, item factors, user bias, item bias.
    at: [Option<usize>; 4],
    k: usize,
    y_range: Option<(f32, f32)>,
    settings: OptimSettings,
}

impl HostDot {
    /// The tables of `model` with their values in `weights` (as [`crate::weights::read`]
    /// gives them), if it is one of the dot-product models.
    pub fn new(model: &CollabModel, weights: Weights, settings: OptimSettings) -> Option<Self> {
        let y_range = dot_y_range(model)?;
        let decays = decayed_params(model);
        let mut at = [None; 4];
        let mut tables = Vec::new();
        for (index, t) in weights.tensors.into_iter().enumerate() {
            let role = Role::of(&t.path)?;
            at[role as usize] = Some(index);
            let decays = decays.iter().any(|(path, d)| *path == t.path && *d);
            let grad = vec![0.0; t.values.len()];
            tables.push(Table { path: t.path, shape: t.shape, values: t.values, grad, adam: None, decays });
        }
        let k = *tables.get(at[Role::UserFactors as usize]?)?.shape.get(1)?;
        let host = Self { tables, at, k, y_range, settings };
        (host.has(Role::ItemFactors) && host.has(Role::UserBias) == host.has(Role::ItemBias)).then_some(host)
    }

    fn has(&self, role: Role) -> bool {
        self.at[role as usize].is_some()
    }

    /// The values of the table in `role` (empty when the model has none).
    fn values(&self, role: Role) -> &[f32] {
        self.at[role as usize].map_or(&[], |i| &self.tables[i].values)
    }

    /// The prediction for one (user, item) pair and its derivative by the pre-activation
    /// `x = dot + biases`, in burn's order of operations.
    fn predict(&self, user: usize, item: usize) -> (f32, f32) {
        let k = self.k;
        let (users, items) = (self.values(Role::UserFactors), self.values(Role::ItemFactors));
        let u = &users[user * k..user * k + k];
        let i = &items[item * k..item * k + k];
        let mut x: f32 = u.iter().zip(i).map(|(a, b)| a * b).sum();
        if self.has(Role::UserBias) {
            x = x + self.values(Role::UserBias)[user] + self.values(Role::ItemBias)[item];
        }
        match self.y_range {
            Some((lo, hi)) => {
                let s = 1.0 / (1.0 + (-x).exp());
                (s * (hi - lo) + lo, s * (1.0 - s) * (hi - lo))
            }
            None => (x, 1.0),
        }
    }

    /// One training step on `batch` (indices within the tables: the learner's data
    /// encodes them so): the predictions before the update and the batch's mean
    /// squared error, calling `mark` as each phase ends.
    pub fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Vec<f32>, f32) {
        let n = batch.len();
        let rows = || batch.users.iter().zip(&batch.items).map(|(&u, &i)| (u as usize, i as usize));
        let (preds, slopes): (Vec<f32>, Vec<f32>) = rows().map(|(u, i)| self.predict(u, i)).unzip();
        let errors: Vec<f32> = preds.iter().zip(&batch.ratings).map(|(p, r)| p - r).collect();
        let loss = errors.iter().map(|e| e * e).sum::<f32>() / n as f32;
        mark(Phase::Forward);
        self.add_gradient(rows(), &errors, &slopes);
        mark(Phase::Backward);
        for table in &mut self.tables {
            let wd = if table.decays { self.settings.wd } else { 0.0 };
            table.adam = fused(&self.settings, wd, &mut table.values, &mut table.grad, table.adam.take(), lr, beta1);
        }
        mark(Phase::Optimizer);
        (preds, loss)
    }

    /// Adds the gradient of the batch's mean squared error into the gradient tables:
    /// `dL/dx = 2 (pred - rating) / n * dpred/dx`, times the other side's factors for a
    /// factor row, once for a bias.
    fn add_gradient(&mut self, rows: impl Iterator<Item = (usize, usize)>, errors: &[f32], slopes: &[f32]) {
        let k = self.k;
        let scale = 2.0 / errors.len() as f32;
        let [Some(ui), Some(ii), ub, ib] = self.at else { return };
        // The gradients are taken out while the values are read, so that each row's
        // gradient reads the other table's values of before the step.
        let mut grads: Vec<Vec<f32>> = self.tables.iter_mut().map(|t| std::mem::take(&mut t.grad)).collect();
        let (users, items) = (&self.tables[ui].values, &self.tables[ii].values);
        for ((user, item), (&error, &slope)) in rows.zip(errors.iter().zip(slopes)) {
            let dx = scale * error * slope;
            let (u, i) = (user * k..user * k + k, item * k..item * k + k);
            for (g, v) in grads[ui][u.clone()].iter_mut().zip(&items[i.clone()]) {
                *g += dx * v;
            }
            for (g, v) in grads[ii][i].iter_mut().zip(&users[u]) {
                *g += dx * v;
            }
            if let (Some(ub), Some(ib)) = (ub, ib) {
                grads[ub][user] += dx;
                grads[ib][item] += dx;
            }
        }
        for (t, g) in self.tables.iter_mut().zip(grads) {
            t.grad = g;
        }
    }

    /// Mean squared error over `rows` (f32 per chunk of 8192 rows, as the tensor
    /// version sums them, then f64).
    pub fn mse(&self, rows: &Encoded) -> f64 {
        if rows.is_empty() {
            return f64::NAN;
        }
        let errors = rows.users.iter().zip(&rows.items).zip(&rows.ratings).map(|((&u, &i), r)| {
            let e = self.predict(u as usize, i as usize).0 - r;
            e * e
        });
        let errors: Vec<f32> = errors.collect();
        let total: f64 = errors.chunks(8192).map(|c| c.iter().sum::<f32>() as f64).sum();
        total / rows.len() as f64
    }

    /// Every table's values, in the burn model's order.
    pub fn weights(&self) -> Weights {
        let named = |t: &Table| NamedTensor { path: t.path.clone(), shape: t.shape.clone(), values: t.values.clone() };
        Weights { tensors: self.tables.iter().map(named).collect() }
    }

    /// The sum of each table: finite while every number in it is.
    pub fn sums(&self) -> Vec<f32> {
        self.tables.iter().map(|t| t.values.iter().sum()).collect()
    }

    /// Adam's running averages named as the burn optimizer names them, and each table's
    /// step count (none before the first Adam step).
    pub fn optim_state(&self) -> (Weights, Vec<(String, i32)>) {
        let mut state = Weights::default();
        let mut steps = Vec::new();
        for t in &self.tables {
            if let Some(adam) = &t.adam {
                state.tensors.extend(adam.named(&t.path));
                steps.push((t.path.clone(), adam.step));
            }
        }
        (state, steps)
    }

    /// Puts back a snapshot's values and optimizer state (either engine's: they name
    /// them alike). The values must have the tables' paths and shapes.
    pub fn load(&mut self, weights: &Weights, state: &Weights, steps: &[(String, i32)]) -> Result<(), String> {
        if weights.tensors.len() != self.tables.len() {
            return Err(format!("the model has {} tensors, the weights {}", self.tables.len(), weights.tensors.len()));
        }
        for (path, _) in steps {
            if !self.tables.iter().any(|t| t.path == *path) {
                return Err(format!("the model has no parameter {path}"));
            }
        }
        let mut loaded = self.tables.clone();
        for (t, saved) in loaded.iter_mut().zip(&weights.tensors) {
            if saved.path != t.path || saved.shape != t.shape || saved.values.len() != t.values.len() {
                return Err(format!(
                    "{} {:?} does not match the saved {} {:?}",
                    t.path, t.shape, saved.path, saved.shape
                ));
            }
            t.values.clone_from(&saved.values);
            t.adam = HostAdam::load(&t.path, t.values.len(), state, steps)?;
        }
        self.tables = loaded;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, ModelSpec};
    use burn::optim::GradientsParams;
    use burn::tensor::Device;

    fn model(kind: ModelKind, y_range: Option<(f32, f32)>) -> CollabModel {
        ModelSpec { kind, n_users: 7, n_items: 9, n_factors: 4, y_range }.init(5, &Device::flex().autodiff())
    }

    fn batch() -> Encoded {
        // User 2 and item 3 appear twice: their gradients add up.
        Encoded { users: vec![2, 5, 2, 1], items: vec![3, 3, 8, 0], ratings: vec![4.0, 1.0, 2.5, 5.0] }
    }

    #[test]
    fn the_gradient_and_the_loss_match_burns_autodiff() {
        use crate::read::block_on;
        for kind in [ModelKind::DotProduct, ModelKind::DotProductBias, ModelKind::Scratch] {
            for y_range in [Some((0.0, 5.5)), None] {
                let model = model(kind, y_range);
                let weights = block_on(crate::weights::read(&model)).unwrap();
                // Scale the weights up so that the predictions spread over the range.
                let weights = Weights {
                    tensors: weights
                        .tensors
                        .into_iter()
                        .map(|t| NamedTensor { values: t.values.iter().map(|v| v * 60.0).collect(), ..t })
                        .collect(),
                };
                let model = crate::weights::write(model, &weights).unwrap();
                let (users, items, ratings) = super::super::to_device(&batch(), &Device::flex().autodiff());
                let preds = model.forward(users, items);
                let loss = (preds.clone() - ratings).powi_scalar(2).mean();
                let want_loss = block_on(crate::read::floats(loss.clone().inner())).unwrap()[0];
                let want_preds = block_on(crate::read::floats(preds.inner())).unwrap();
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                let want = block_on(crate::weights::read_grads(&model, &grads)).unwrap();

                let mut host = HostDot::new(&model, weights, OptimSettings::default()).unwrap();
                let rows = batch();
                let n = rows.len();
                let (preds, slopes): (Vec<f32>, Vec<f32>) =
                    (0..n).map(|r| host.predict(rows.users[r] as usize, rows.items[r] as usize)).unzip();
                let errors: Vec<f32> = preds.iter().zip(&rows.ratings).map(|(p, r)| p - r).collect();
                let loss = errors.iter().map(|e| e * e).sum::<f32>() / n as f32;
                assert!((loss - want_loss).abs() <= 1e-5 * want_loss.abs().max(1.0), "{kind:?}: {loss} vs {want_loss}");
                for (p, w) in preds.iter().zip(&want_preds) {
                    assert!((p - w).abs() <= 1e-5, "{kind:?} {y_range:?}: prediction {p} vs {w}");
                }
                let pairs = rows.users.iter().zip(&rows.items).map(|(&u, &i)| (u as usize, i as usize));
                host.add_gradient(pairs, &errors, &slopes);
                assert_eq!(host.tables.len(), want.tensors.len());
                for (t, w) in host.tables.iter().zip(&want.tensors) {
                    assert_eq!(t.path, w.path);
                    assert!(t.grad.iter().any(|g| *g != 0.0), "{kind:?} {}: no gradient at all", t.path);
                    for (g, wg) in t.grad.iter().zip(&w.values) {
                        assert!(
                            (g - wg).abs() <= 1e-6 + 1e-5 * wg.abs(),
                            "{kind:?} {y_range:?} {}: {g} vs {wg}",
                            t.path
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_dot_product_models_have_a_host_step() {
        let nn = model(ModelKind::EmbeddingNn, Some((0.0, 5.5)));
        let weights = crate::read::block_on(crate::weights::read(&nn)).unwrap();
        assert!(HostDot::new(&nn, weights, OptimSettings::default()).is_none());
    }

    #[test]
    fn a_snapshot_of_the_wrong_shape_is_refused_and_changes_nothing() {
        let model = model(ModelKind::DotProductBias, Some((0.0, 5.5)));
        let weights = crate::read::block_on(crate::weights::read(&model)).unwrap();
        let mut host = HostDot::new(&model, weights.clone(), OptimSettings::default()).unwrap();
        host.step(&batch(), 0.01, 0.9, &mut |_| {});
        let before = host.clone();
        let (state, steps) = host.optim_state();
        let mut short = state.clone();
        short.tensors[0].values.pop();
        let error = host.load(&weights, &short, &steps).unwrap_err();
        assert!(error.contains("has 27 numbers, the parameter 28"), "{error}");
        let mut other = weights.clone();
        other.tensors[1].shape = vec![3, 12];
        assert!(host.load(&other, &state, &steps).unwrap_err().contains("does not match"));
        assert_eq!(host, before);
        // The right shapes load, and the state reads back as it went in.
        host.load(&weights, &state, &steps).unwrap();
        assert_eq!(host.optim_state(), (state, steps));
    }
}
