//! The dot-product models' training step written out on the host: what a learner on
//! the CPU runs for DotProduct, DotProductBias and the from-scratch model.
//!
//! Through burn, one step of these models is a few dozen tensor operations, each with
//! its own allocation: autodiff records a graph and walks it back, each embedding's
//! gradient comes back as a whole table of zeros but for the batch's rows, and the
//! optimizer turns every parameter into host numbers and back. Yet the arithmetic is
//! small: a batch of 64 ratings touches at most 128 rows of each table. Here the same
//! step is three loops over plain vectors: predictions and loss; the gradient, added
//! into the batch's rows of a gradient buffer kept between steps; and the optimizer's
//! one pass over the tables ([`pass`], shared with burn's engine on the CPU), which leaves
//! the gradient buffer at zero for the next step. The tables lie in one buffer as the
//! GPU step's do ([`DotTables`]). fastai's dense update is kept: every row
//! decays and moves with its running averages at every step, as in fastai. With lazy
//! Adam the pass goes over the batch's rows only, each row's weights and averages in one
//! block and its gradient in a slot of a small buffer ([`LazyRows`]): on ml-25m's tables
//! (11 M numbers at 50 factors) that is what makes a step cost the batch, not the tables.
//! The loops over a batch ask for its rows' memory a few rows ahead ([`prefetch`]).
//!
//! The burn model stays the form everything else reads (the learner builds it from
//! these tables when asked) and the reference: the tests check this step's gradient
//! against burn's autodiff and a run of it against burn's autodiff and tensor optimizer.

use std::borrow::Cow;
use std::rc::Rc;

use burn::tensor::{Device, Tensor, TensorData};

use super::engine::{Engine, Pending, Restore};
use super::lazy::{Block, LazyRows};
use super::optimizer::fused::pass;
use super::optimizer::{OptimSettings, OptimizerKind};
use super::state::{EngineState, HostAdam};
use super::step::Phase;
use super::tables::DotTables;
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::{prefetch, weights};

/// How many ratings ahead the loops over a batch ask for the rows they will read: a
/// rating takes some 20 ns, a miss to memory several times that.
const AHEAD: usize = 8;

/// A dot-product model's tables and optimizer state on the host: the engine of the
/// dot-product models on the CPU.
#[derive(Clone)]
pub(super) struct HostDot {
    tables: DotTables,
    /// Every table's values, laid out as [`DotTables`] says; with lazy Adam, in its
    /// blocks with the running averages ([`super::lazy`]).
    values: Vec<f32>,
    /// Where a row's factors and bias lie in `values`.
    layout: Layout,
    /// The optimizer's memory, in the form its step takes.
    optim: Optim,
    settings: OptimSettings,
    /// The model it was built from (its parameter ids and devices), which
    /// [`Engine::model`] fills with the host's numbers.
    template: CollabModel,
    /// The CPU's (inner) device, for the tensors the learner reads.
    device: Device,
}

/// The optimizer's memory between steps.
#[derive(Clone)]
enum Optim {
    /// fastai's Adam and SGD, one pass over the whole buffer: the step's gradient laid out
    /// as the buffer (all zeros between steps), and Adam's running averages from the
    /// first Adam step on.
    Dense { grad: Vec<f32>, adam: Option<HostAdam> },
    /// Lazy Adam, the batch's rows only, its averages in `values`' blocks.
    Lazy(LazyRows),
}

/// Where the rows of the tables lie in an engine's `values`: user `u`'s factors at
/// `u * stride`, item `i`'s at `items_at + i * stride`, their biases at `user_bias_at +
/// u * bias_stride` and `item_bias_at + i * bias_stride`.
#[derive(Clone, Copy)]
struct Layout {
    stride: usize,
    items_at: usize,
    bias_stride: usize,
    user_bias_at: usize,
    item_bias_at: usize,
}

impl Layout {
    /// The buffer's ([`DotTables`]): a table after another.
    fn buffer(t: &DotTables) -> Self {
        let (items_at, user_bias_at, item_bias_at) = (t.items_at, t.user_bias_at, t.item_bias_at);
        Self { stride: t.k, items_at, bias_stride: 1, user_bias_at, item_bias_at }
    }

    /// Lazy Adam's: a block a row, users then items, the bias after the factors.
    fn blocks(t: &DotTables) -> Self {
        let (stride, items_at) = (Block::of(t).len(), t.n_users * Block::of(t).len());
        Self { stride, items_at, bias_stride: stride, user_bias_at: t.k, item_bias_at: items_at + t.k }
    }

    /// Where user `u`'s factors start.
    fn user(&self, u: usize) -> usize {
        u * self.stride
    }

    /// Where item `i`'s factors start.
    fn item(&self, i: usize) -> usize {
        self.items_at + i * self.stride
    }

    /// Where user `u`'s bias lies.
    fn user_bias(&self, u: usize) -> usize {
        self.user_bias_at + u * self.bias_stride
    }

    /// Where item `i`'s bias lies.
    fn item_bias(&self, i: usize) -> usize {
        self.item_bias_at + i * self.bias_stride
    }
}

/// Where one rating's gradients go in a gradient buffer: the user's and the item's
/// factor rows and biases.
#[derive(Clone, Copy)]
struct GradAt {
    user: usize,
    item: usize,
    user_bias: usize,
    item_bias: usize,
}

impl GradAt {
    /// Where `user`'s and `item`'s gradients lie in a buffer laid out as the tables.
    fn buffer(t: &DotTables, user: usize, item: usize) -> Self {
        let (user_bias, item_bias) = (t.user_bias_at + user, t.item_bias_at + item);
        GradAt { user: user * t.k, item: t.items_at + item * t.k, user_bias, item_bias }
    }
}

impl HostDot {
    /// The host step for `model` (on the CPU), if it is one of the dot-product models.
    pub fn new(model: &CollabModel, settings: OptimSettings) -> Option<Self> {
        let tables = DotTables::of(model)?;
        // On the CPU a read is ready at once.
        let weights = crate::read::ready(weights::read(model))?.ok()?;
        let (values, _) = tables.load(&EngineState { weights, ..EngineState::default() }).ok()?;
        let (values, layout, optim) = match settings.kind {
            OptimizerKind::LazyAdam => {
                let blocks = LazyRows::blocks(&tables, &values, None);
                (blocks, Layout::blocks(&tables), Optim::Lazy(LazyRows::new(&tables, None)))
            }
            _ => {
                let grad = vec![0.0; values.len()];
                (values, Layout::buffer(&tables), Optim::Dense { grad, adam: None })
            }
        };
        let device = model.item_factors().device().inner();
        Some(Self { tables, values, layout, optim, settings, template: model.clone(), device })
    }

    /// The prediction for one (user, item) pair and its derivative by the pre-activation
    /// `x = dot + biases`, in burn's order of operations.
    fn predict(&self, user: usize, item: usize) -> (f32, f32) {
        let (k, t, v, at) = (self.tables.k, &self.tables, &self.values, &self.layout);
        let u = &v[at.user(user)..at.user(user) + k];
        let i = &v[at.item(item)..at.item(item) + k];
        let mut x: f32 = u.iter().zip(i).map(|(a, b)| a * b).sum();
        if t.biased() {
            x = x + v[at.user_bias(user)] + v[at.item_bias(item)];
        }
        match t.y_range {
            Some((lo, hi)) => {
                let s = 1.0 / (1.0 + (-x).exp());
                (s * (hi - lo) + lo, s * (1.0 - s) * (hi - lo))
            }
            None => (x, 1.0),
        }
    }

    /// [`HostDot::predict`] for every rating of `rows`, asking for the rows of the
    /// ratings [`AHEAD`] as it goes.
    fn predict_all(&self, rows: &Encoded) -> impl Iterator<Item = (f32, f32)> {
        (0..rows.len()).map(move |r| {
            if let (Some(&u), Some(&i)) = (rows.users.get(r + AHEAD), rows.items.get(r + AHEAD)) {
                self.prefetch(u as usize, i as usize);
            }
            self.predict(rows.users[r] as usize, rows.items[r] as usize)
        })
    }

    /// Asks for `user`'s and `item`'s weights.
    fn prefetch(&self, user: usize, item: usize) {
        let (k, at, v) = (self.tables.k, &self.layout, &self.values);
        prefetch::span(v, at.user(user)..at.user(user) + k);
        prefetch::span(v, at.item(item)..at.item(item) + k);
        if self.tables.biased() {
            prefetch::at(v, at.user_bias(user));
            prefetch::at(v, at.item_bias(item));
        }
    }

    /// One training step on `batch` (indices within the tables: the learner's data
    /// encodes them so): the predictions before the update and the batch's mean
    /// squared error, calling `mark` as each phase ends.
    fn host_step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Vec<f32>, f32) {
        let n = batch.len();
        let (preds, slopes): (Vec<f32>, Vec<f32>) = self.predict_all(batch).unzip();
        let errors: Vec<f32> = preds.iter().zip(&batch.ratings).map(|(p, r)| p - r).collect();
        let loss = errors.iter().map(|e| e * e).sum::<f32>() / n as f32;
        mark(Phase::Forward);
        let (t, settings) = (&self.tables, &self.settings);
        match &mut self.optim {
            Optim::Dense { grad, adam } => {
                let at = |r: usize| GradAt::buffer(t, batch.users[r] as usize, batch.items[r] as usize);
                add_gradient(t, self.layout, &self.values, grad, batch, at, &errors, &slopes);
                mark(Phase::Backward);
                // Every table decays (DotTables::of): one pass over the buffer.
                *adam = pass(settings, settings.wd, &mut self.values, grad, adam.take(), lr, beta1);
            }
            // Only the batch's rows: a pass over what the batch reached.
            Optim::Lazy(lazy) => {
                let slots = lazy.gather(t, batch);
                let at = |r: usize| {
                    let (user, item) = slots[r];
                    GradAt { user, item, user_bias: user + t.k, item_bias: item + t.k }
                };
                add_gradient(t, self.layout, &self.values, &mut lazy.grad, batch, at, &errors, &slopes);
                mark(Phase::Backward);
                lazy.step(t, settings, &mut self.values, (lr, beta1));
            }
        }
        mark(Phase::Optimizer);
        (preds, loss)
    }

    /// Mean squared error over `rows` (f32 per chunk of 8192 rows, as the tensor
    /// version sums them, then f64).
    fn host_mse(&self, rows: &Encoded) -> f64 {
        if rows.is_empty() {
            return f64::NAN;
        }
        let errors = self.predict_all(rows).zip(&rows.ratings).map(|((p, _), r)| {
            let e = p - r;
            e * e
        });
        let errors: Vec<f32> = errors.collect();
        let total: f64 = errors.chunks(8192).map(|c| c.iter().sum::<f32>() as f64).sum();
        total / rows.len() as f64
    }

    /// Adam's running averages in the buffer's layout (`None` before the first Adam step).
    fn adam(&self) -> Option<HostAdam> {
        match &self.optim {
            Optim::Dense { adam, .. } => adam.clone(),
            Optim::Lazy(lazy) => lazy.averages(&self.tables, &self.values),
        }
    }

    /// The weights, laid out as [`DotTables`] says.
    fn weights(&self) -> Cow<'_, [f32]> {
        match self.optim {
            Optim::Dense { .. } => Cow::Borrowed(&self.values),
            Optim::Lazy(_) => Cow::Owned(LazyRows::weights(&self.tables, &self.values)),
        }
    }

    /// The weights and Adam's state, as every engine names them.
    fn state(&self) -> EngineState {
        self.tables.state(&self.weights(), self.adam().as_ref())
    }
}

/// Adds the gradient of `batch`'s mean squared error into `g`, rating `r`'s where `at(r)`
/// says: `dL/dx = 2 (pred - rating) / n * dpred/dx`, times the other side's factors for
/// a factor row, once for a bias. Each row's gradient reads the values `v` of before the
/// step (they change only in the optimizer's pass), and adds up in the batch's order.
#[allow(clippy::too_many_arguments)] // all of them a step's
fn add_gradient(
    t: &DotTables,
    layout: Layout,
    v: &[f32],
    g: &mut [f32],
    batch: &Encoded,
    at: impl Fn(usize) -> GradAt,
    errors: &[f32],
    slopes: &[f32],
) {
    let k = t.k;
    let scale = 2.0 / errors.len() as f32;
    for (r, (&error, &slope)) in errors.iter().zip(slopes).enumerate() {
        if r + AHEAD < errors.len() {
            let ahead = at(r + AHEAD);
            prefetch::span(g, ahead.user..ahead.user + k);
            prefetch::span(g, ahead.item..ahead.item + k);
            prefetch::at(g, ahead.user_bias);
            prefetch::at(g, ahead.item_bias);
        }
        let (user, item) = (batch.users[r] as usize, batch.items[r] as usize);
        let GradAt { user: gu, item: gi, user_bias, item_bias } = at(r);
        let dx = scale * error * slope;
        let (u, i) = (layout.user(user)..layout.user(user) + k, layout.item(item)..layout.item(item) + k);
        for (g, v) in g[gu..gu + k].iter_mut().zip(&v[i.clone()]) {
            *g += dx * v;
        }
        for (g, v) in g[gi..gi + k].iter_mut().zip(&v[u]) {
            *g += dx * v;
        }
        if t.biased() {
            g[user_bias] += dx;
            g[item_bias] += dx;
        }
    }
}

impl Engine for HostDot {
    fn name(&self) -> &'static str {
        "whole step on the host"
    }

    fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Tensor<1>, Tensor<1>) {
        let (preds, loss) = self.host_step(batch, lr, beta1, mark);
        let n = preds.len();
        (Tensor::from_data(TensorData::new(preds, [n]), &self.device), Tensor::from_data([loss], &self.device))
    }

    fn model(&self) -> CollabModel {
        weights::write(self.template.clone(), &self.tables.weights(&self.weights()))
            .expect("the host's tables are the template's, path for path")
    }

    fn sums(&self) -> Vec<Tensor<1>> {
        let sums = match &self.optim {
            Optim::Lazy(_) => LazyRows::sums(&self.tables, &self.values),
            Optim::Dense { .. } => self.tables.tables.iter().map(|t| t.of(&self.values).iter().sum()).collect(),
        };
        sums.into_iter().map(|sum| Tensor::from_data([sum], &self.device)).collect()
    }

    /// A copy: later steps change none of its numbers.
    fn checkpoint(&self) -> Restore {
        let kept = self.clone();
        Rc::new(move || Box::new(kept.clone()))
    }

    fn read_state(&self) -> Pending<'_, EngineState> {
        let state = self.state();
        Box::pin(async move { Ok(state) })
    }

    fn load_state(&mut self, state: &EngineState) -> Result<(), String> {
        let (values, adam) = self.tables.load(state)?;
        match &mut self.optim {
            Optim::Dense { adam: ours, .. } => (self.values, *ours) = (values, adam),
            Optim::Lazy(lazy) => {
                self.values = LazyRows::blocks(&self.tables, &values, adam.as_ref());
                *lazy = LazyRows::new(&self.tables, adam.map(|a| a.step));
            }
        }
        Ok(())
    }

    fn mse<'a>(&'a self, rows: &'a Encoded) -> Pending<'a, f64> {
        let mse = self.host_mse(rows);
        Box::pin(async move { Ok(mse) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, ModelSpec};
    use crate::weights::{NamedTensor, Weights};
    use burn::optim::GradientsParams;

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
                let (users, items, ratings) = super::super::step::to_device(&batch(), &Device::flex().autodiff());
                let preds = model.forward(users, items);
                let loss = (preds.clone() - ratings).powi_scalar(2).mean();
                let want_loss = block_on(crate::read::floats(loss.clone().inner())).unwrap()[0];
                let want_preds = block_on(crate::read::floats(preds.inner())).unwrap();
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                let want = block_on(crate::weights::read_grads(&model, &grads)).unwrap();

                let mut host = HostDot::new(&model, OptimSettings::default()).unwrap();
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
                let Optim::Dense { grad, .. } = &mut host.optim else { unreachable!("Adam's is dense") };
                let t = &host.tables;
                let at = |r: usize| GradAt::buffer(t, rows.users[r] as usize, rows.items[r] as usize);
                add_gradient(t, host.layout, &host.values, grad, &rows, at, &errors, &slopes);
                let grad = grad.clone();
                assert_eq!(host.tables.tables.len(), want.tensors.len());
                for (t, w) in host.tables.tables.iter().zip(&want.tensors) {
                    assert_eq!(t.path, w.path);
                    let grad = t.of(&grad);
                    assert!(grad.iter().any(|g| *g != 0.0), "{kind:?} {}: no gradient at all", t.path);
                    for (g, wg) in grad.iter().zip(&w.values) {
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
        assert!(HostDot::new(&nn, OptimSettings::default()).is_none());
    }

    #[test]
    fn a_snapshot_of_the_wrong_shape_is_refused_and_changes_nothing() {
        let model = model(ModelKind::DotProductBias, Some((0.0, 5.5)));
        let mut host = HostDot::new(&model, OptimSettings::default()).unwrap();
        host.host_step(&batch(), 0.01, 0.9, &mut |_| {});
        let before = host.state();
        let state = host.state();
        let mut short = state.clone();
        short.optim.tensors[0].values.pop();
        let error = host.load_state(&short).unwrap_err();
        assert!(error.contains("has 27 numbers, the parameter 28"), "{error}");
        let mut other = state.clone();
        other.weights.tensors[1].shape = vec![3, 12];
        assert!(host.load_state(&other).unwrap_err().contains("does not match"));
        assert_eq!(host.state(), before);
        // The right shapes load, and the state reads back as it went in.
        host.load_state(&state).unwrap();
        assert_eq!(host.state(), state);
    }

    /// Lazy Adam in its blocks, with its gradient in slots, computes what lazy Adam's
    /// pass over the whole buffer computes from the gradient in the buffer, to the bit:
    /// the predictions, the weights and the running averages, over 120 steps of every
    /// dot-product model with decoupled decay and L2, its state read back and loaded
    /// again on the way.
    #[test]
    fn lazy_adam_in_blocks_computes_the_buffers_numbers_to_the_bit() {
        use crate::train::WdKind;
        let bits =
            |w: &Weights| w.tensors.iter().flat_map(|t| t.values.iter().map(|v| v.to_bits())).collect::<Vec<_>>();
        for kind in [ModelKind::DotProduct, ModelKind::DotProductBias, ModelKind::Scratch] {
            for (wd, wd_kind) in [(0.1, WdKind::Decoupled), (0.05, WdKind::L2)] {
                let spec = ModelSpec { kind, n_users: 300, n_items: 200, n_factors: 8, y_range: Some((0.0, 5.5)) };
                let model = spec.init(7, &Device::flex().autodiff());
                let lazy = OptimSettings { kind: OptimizerKind::LazyAdam, wd, wd_kind };
                let mut host = HostDot::new(&model, lazy).unwrap();
                // The reference: the buffer's layout, lazy Adam's pass over all of it.
                let mut reference =
                    HostDot::new(&model, OptimSettings { kind: OptimizerKind::Adam, wd, wd_kind }).unwrap();
                let mut seed = 12345u64;
                let mut next = |n: u64| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    ((seed >> 33) % n) as i32
                };
                for step in 0..120 {
                    // Popular items (the first 40) come up often, within a batch too.
                    let users = (0..64).map(|_| next(300)).collect();
                    let items = (0..64).map(|_| if next(3) == 0 { next(200) } else { next(40) }).collect();
                    let batch = Encoded { users, items, ratings: (0..64).map(|_| next(11) as f32 / 2.0).collect() };
                    let (lr, beta1) = (0.01 + step as f64 * 1e-4, 0.9);
                    let (preds, loss) = host.host_step(&batch, lr, beta1, &mut |_| {});

                    let (want, slopes): (Vec<f32>, Vec<f32>) = reference.predict_all(&batch).unzip();
                    let errors: Vec<f32> = want.iter().zip(&batch.ratings).map(|(p, r)| p - r).collect();
                    let want_loss = errors.iter().map(|e| e * e).sum::<f32>() / 64.0;
                    let Optim::Dense { grad, adam } = &mut reference.optim else { unreachable!("Adam's is dense") };
                    let t = &reference.tables;
                    let at = |r: usize| GradAt::buffer(t, batch.users[r] as usize, batch.items[r] as usize);
                    add_gradient(t, reference.layout, &reference.values, grad, &batch, at, &errors, &slopes);
                    *adam = pass(&lazy, wd, &mut reference.values, grad, adam.take(), lr, beta1);

                    let what = format!("{kind:?} {wd_kind:?} step {step}");
                    assert_eq!(loss.to_bits(), want_loss.to_bits(), "{what}: loss");
                    assert!(preds.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{what}: predictions");
                    let (ours, theirs) = (host.state(), reference.state());
                    assert_eq!(bits(&ours.weights), bits(&theirs.weights), "{what}: weights");
                    assert_eq!(bits(&ours.optim), bits(&theirs.optim), "{what}: running averages");
                    assert_eq!(ours.steps, theirs.steps, "{what}: step counts");
                    // The guard's sums, read off the blocks, are the buffer's to the bit.
                    let sums = |h: &HostDot| {
                        let tensors = h.sums();
                        tensors
                            .into_iter()
                            .map(|t| t.into_data().try_to_vec::<f32>().unwrap()[0].to_bits())
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(sums(&host), sums(&reference), "{what}: sums");
                    if step == 60 {
                        host.load_state(&ours).unwrap();
                    }
                }
            }
        }
    }
}
