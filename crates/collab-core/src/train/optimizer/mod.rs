//! fastai's optimizers, written out: Adam (beta1 scheduled, beta2 0.99, eps 1e-5,
//! bias-corrected) and plain SGD, with weight decay decoupled (fastai's default,
//! `p *= 1 - lr * wd`) or as an L2 term in the loss (the lesson's explanation, gradient
//! `+ 2 * wd * p`).
//!
//! burn's AdamW has no momentum schedule and cannot skip `.bias` parameters by name, so
//! the update is done here, over a module's parameters by path ([`crate::paths`]).
//!
//! As burn splits its optimizers (one type per rule, one adaptor that walks the module
//! and keeps each parameter's state), [`Optimizer`] walks the module and keeps the state,
//! and a [`Rule`] says how one parameter is updated and in what form its state lives:
//! - [`Tensors`]: the update as tensor operations, the running averages as tensors. It
//!   runs on any device (on a GPU it is the only one of the two that can: reading back
//!   to the host there would stall it) and is the reference the others are tested
//!   against.
//! - [`Fused`]: the same update as one pass over each parameter's numbers on the host
//!   ([`fused::pass`]), the running averages as plain vectors. On the CPU, written as
//!   tensor operations the update is about a dozen passes, each allocating a new tensor,
//!   and that was most of a step's time.
//!
//! Which rule a learner's optimizer takes is decided where the learner is made
//! ([`super::path::choose`]).

pub(in crate::train) mod fused;
mod tensors;

use std::collections::HashMap;

use burn::module::{Module, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::state::HostAdam;
use crate::paths::{self, AtPath, MapAtPath, ParamPath};
use crate::read::ReadError;
use crate::weights::Weights;

pub use fused::Fused;
pub use tensors::Tensors;

/// Adam, lazy Adam or SGD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// fastai's Adam: every number moves at every step (decay, both running averages,
    /// the step), whether the batch reached it or not. The lesson's and the default.
    Adam,
    /// Lazy ("sparse") Adam, as recommenders train big tables (PyTorch's `SparseAdam`,
    /// TensorFlow's `LazyAdam`): only the numbers the batch's gradient reaches (not
    /// zero) move, their running averages and weight decay with them; the rest, and their
    /// averages, stay as they are. For the embedding tables that is the batch's rows, so a
    /// step costs in proportion to the batch, not the tables. The step count, and so the
    /// bias correction, is the parameter's, as in `SparseAdam`.
    LazyAdam,
    /// Plain stochastic gradient descent, no momentum.
    Sgd,
}

impl OptimizerKind {
    /// Every kind, in the settings' order.
    pub const ALL: [OptimizerKind; 3] = [OptimizerKind::Adam, OptimizerKind::LazyAdam, OptimizerKind::Sgd];

    /// Its value where a setting names it (the CLI's `--optim`).
    pub const fn key(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::LazyAdam => "lazy",
            OptimizerKind::Sgd => "sgd",
        }
    }

    /// What it is, in a few words.
    pub const fn describe(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "fastai's Adam: every weight moves at every step (the lesson's)",
            OptimizerKind::LazyAdam => {
                "lazy Adam: only the rows in the batch move, so a step costs the batch, not the tables (for big data)"
            }
            OptimizerKind::Sgd => "plain SGD, no momentum",
        }
    }

    /// Whether it keeps Adam's running averages.
    pub const fn adam(self) -> bool {
        matches!(self, OptimizerKind::Adam | OptimizerKind::LazyAdam)
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = String;

    /// Reads [`OptimizerKind::key`] back.
    fn from_str(key: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.key() == key.trim())
            .ok_or_else(|| format!("the optimizer '{}' is not adam, lazy or sgd", crate::error::clip(key.trim(), 40)))
    }
}

/// How weight decay enters the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WdKind {
    /// fastai: shrink the weights before the step, `p *= 1 - lr * wd`.
    Decoupled,
    /// The lesson: add `wd * sum(p^2)` to the loss, so the gradient gains `2 * wd * p`.
    L2,
}

/// Optimizer settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimSettings {
    /// Adam or SGD.
    pub kind: OptimizerKind,
    /// Weight decay strength.
    pub wd: f64,
    /// Decoupled or L2.
    pub wd_kind: WdKind,
}

impl Default for OptimSettings {
    fn default() -> Self {
        Self { kind: OptimizerKind::Adam, wd: 0.1, wd_kind: WdKind::Decoupled }
    }
}

/// fastai's Adam constants.
pub const BETA2: f64 = 0.99;
/// fastai's Adam epsilon.
pub const EPS: f64 = 1e-5;

/// How one parameter is updated, and the form its optimizer state takes between steps.
pub trait Rule: Clone + 'static {
    /// One parameter's state (Adam's running averages and step count).
    type State: Clone;

    /// What a learner whose optimizer takes this rule says of its steps.
    const NAME: &'static str;

    /// The new value of a flattened parameter (on the inner, non-autodiff device) from
    /// its gradient, with weight decay `wd` (0 for an exempt parameter); the new state
    /// (`None` for SGD).
    fn update(
        settings: &OptimSettings,
        wd: f64,
        p: Tensor<1>,
        grad: Tensor<1>,
        state: Option<Self::State>,
        lr: f64,
        beta1: f64,
    ) -> (Tensor<1>, Option<Self::State>);

    /// The running averages as tensors on `device` (handles, where they are tensors
    /// already), for one read of them all; and the step count.
    fn averages(state: &Self::State, device: &Device) -> ([Tensor<1>; 2], i32);

    /// The state a snapshot holds, in this rule's form on `device`.
    fn from_host(adam: HostAdam, device: &Device) -> Self::State;
}

/// An optimizer over a module's parameters: its [`Rule`], and each parameter's state by
/// id across steps.
#[derive(Clone)]
pub struct Optimizer<R: Rule> {
    /// Its settings.
    pub settings: OptimSettings,
    state: HashMap<ParamId, R::State>,
}

/// The update as tensor operations: any device.
pub type TensorOptimizer = Optimizer<Tensors>;
/// The update as one pass on the host: the CPU only.
pub type FusedOptimizer = Optimizer<Fused>;

impl<R: Rule> Optimizer<R> {
    /// A fresh optimizer.
    pub fn new(settings: OptimSettings) -> Self {
        Self { settings, state: HashMap::new() }
    }

    /// Applies one step to `model` with `grads`, learning rate `lr` and Adam's `beta1`.
    pub fn step<M: Module>(&mut self, model: M, grads: GradientsParams, lr: f64, beta1: f64) -> M {
        paths::map(model, &mut StepMapper { optim: self, grads, lr, beta1 })
    }

    /// Adam's running averages of the parameters in `ids` (path and id, as
    /// [`crate::weights::param_ids`] gives them), read to the host in one read and named
    /// `<path>.grad_avg` and `<path>.sqr_avg`, with each parameter's step count. `device`
    /// is the parameters' inner (non-autodiff) device.
    pub async fn read_state(
        &self,
        ids: &[(String, ParamId)],
        device: &Device,
    ) -> Result<(Weights, Vec<(String, i32)>), ReadError> {
        let mut found = Vec::new();
        let mut steps = Vec::new();
        for (path, id) in ids {
            let Some(state) = self.state.get(id) else { continue };
            let ([grad_avg, sqr_avg], step) = R::averages(state, device);
            let n = grad_avg.dims()[0];
            found.push(((format!("{path}.grad_avg"), vec![n]), grad_avg));
            found.push(((format!("{path}.sqr_avg"), vec![n]), sqr_avg));
            steps.push((path.clone(), step));
        }
        Ok((crate::weights::split(found).await?, steps))
    }

    /// A fresh optimizer with the state of a snapshot: for each parameter of a rebuilt
    /// model (by id), its state as [`super::state::EngineState::check`] gave it, on `device`
    /// (the inner, non-autodiff device).
    pub(in crate::train) fn loaded(
        settings: OptimSettings,
        state: impl IntoIterator<Item = (ParamId, Option<HostAdam>)>,
        device: &Device,
    ) -> Self {
        let mut optim = Self::new(settings);
        for (id, adam) in state {
            if let Some(adam) = adam {
                optim.state.insert(id, R::from_host(adam, device));
            }
        }
        optim
    }

    /// The new value of one parameter (on the inner, non-autodiff device).
    fn update(&mut self, id: ParamId, p: Tensor<1>, grad: Tensor<1>, lr: f64, beta1: f64, decays: bool) -> Tensor<1> {
        let wd = if decays { self.settings.wd } else { 0.0 };
        let state = self.state.remove(&id);
        let (p, state) = R::update(&self.settings, wd, p, grad, state, lr, beta1);
        if let Some(state) = state {
            self.state.insert(id, state);
        }
        p
    }
}

/// The numbers one update of one parameter uses, each rounded to f32 as the tensor
/// operations round it: shared by [`fused::pass`] and the GPU's kernel, so that the two
/// do the same arithmetic. An absent decay is 1 and an absent L2 term 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::train) struct Update {
    /// Decoupled weight decay's factor, `1 - lr * wd`.
    pub decay: f32,
    /// L2's factor on the weight, added to the gradient: `2 * wd`.
    pub l2: f32,
    pub b1: f32,
    pub one_b1: f32,
    pub b2: f32,
    pub one_b2: f32,
    /// `1 - beta2^step`.
    pub debias2: f32,
    pub eps: f32,
    /// Adam: `lr / (1 - beta1^step)`; SGD: `lr`.
    pub step_size: f32,
}

impl Update {
    /// The update at Adam step `step` (1 for the first) of a parameter decayed by `wd`.
    pub fn new(settings: &OptimSettings, wd: f64, lr: f64, beta1: f64, step: i32) -> Self {
        let decoupled = settings.wd_kind == WdKind::Decoupled && wd != 0.0;
        let l2 = settings.wd_kind == WdKind::L2 && wd != 0.0;
        let step_size = match settings.kind {
            OptimizerKind::Sgd => lr,
            OptimizerKind::Adam | OptimizerKind::LazyAdam => lr / (1.0 - beta1.powi(step)),
        };
        Self {
            decay: if decoupled { (1.0 - lr * wd) as f32 } else { 1.0 },
            l2: if l2 { (2.0 * wd) as f32 } else { 0.0 },
            b1: beta1 as f32,
            one_b1: (1.0 - beta1) as f32,
            b2: BETA2 as f32,
            one_b2: (1.0 - BETA2) as f32,
            debias2: (1.0 - BETA2.powi(step)) as f32,
            eps: EPS as f32,
            step_size: step_size as f32,
        }
    }
}

/// Every float parameter of `model` by path, and whether weight decay applies to it
/// (fastai's rule: not to linear biases nor batch norm; bias embeddings do decay).
pub fn decayed_params<M: Module>(model: &M) -> Vec<(String, bool)> {
    struct Decays(Vec<(String, bool)>);
    impl AtPath for Decays {
        fn float<const D: usize>(&mut self, path: &ParamPath, _param: &Param<Tensor<D>>) {
            self.0.push((path.dotted(), !path.decay_exempt()));
        }
    }
    let mut decays = Decays(Vec::new());
    paths::visit(model, &mut decays);
    decays.0
}

struct StepMapper<'a, R: Rule> {
    optim: &'a mut Optimizer<R>,
    grads: GradientsParams,
    lr: f64,
    beta1: f64,
}

impl<R: Rule> MapAtPath for StepMapper<'_, R> {
    fn float<const D: usize>(&mut self, path: &ParamPath, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let old = tensor.inner();
        let shape = old.shape();
        let flat_old: Tensor<1> = old.reshape([-1]);
        let flat_grad: Tensor<1> = grad.reshape([-1]);
        let flat_new = self.optim.update(id, flat_old, flat_grad, self.lr, self.beta1, !path.decay_exempt());
        let mut new = Tensor::from_inner(flat_new.reshape(shape));
        if require_grad {
            new = new.require_grad();
        }
        Param::from_mapped_value(id, new, mapper)
    }
}
