//! fastai's optimizers, written out: Adam (beta1 scheduled, beta2 0.99, eps 1e-5,
//! bias-corrected) and plain SGD, with weight decay decoupled (fastai's default,
//! `p *= 1 - lr * wd`) or as an L2 term in the loss (the lesson's explanation, gradient
//! `+ 2 * wd * p`).
//!
//! burn's AdamW has no momentum schedule and cannot skip `.bias` parameters by name, so
//! the update is done here with a [`ModuleMapper`] that knows each parameter's path.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::read::ReadError;
use crate::weights::Weights;

/// Adam or SGD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// fastai's Adam.
    Adam,
    /// Plain stochastic gradient descent, no momentum.
    Sgd,
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

/// Per-parameter Adam state, flattened so one map holds every rank.
#[derive(Clone)]
struct AdamState {
    grad_avg: Tensor<1>,
    sqr_avg: Tensor<1>,
    step: i32,
}

/// The optimizer and its state across steps.
#[derive(Clone, Default)]
pub struct Optimizer {
    /// Its settings.
    pub settings: OptimSettings,
    state: HashMap<ParamId, AdamState>,
}

impl Optimizer {
    /// A fresh optimizer.
    pub fn new(settings: OptimSettings) -> Self {
        Self { settings, state: HashMap::new() }
    }

    /// Applies one step to `model` with `grads`, learning rate `lr` and Adam's `beta1`.
    pub fn step<M: Module>(&mut self, model: M, grads: GradientsParams, lr: f64, beta1: f64) -> M {
        model.map(&mut StepMapper { optim: self, grads, lr, beta1, path: Vec::new() })
    }

    /// Adam's running averages of the parameters in `ids` (path and id, as
    /// [`crate::weights::param_ids`] gives them), read to the host in one read and named
    /// `<path>.grad_avg` and `<path>.sqr_avg`, with each parameter's step count.
    pub async fn read_state(&self, ids: &[(String, ParamId)]) -> Result<(Weights, Vec<(String, i32)>), ReadError> {
        let mut found = Vec::new();
        let mut steps = Vec::new();
        for (path, id) in ids {
            if let Some(state) = self.state.get(id) {
                let n = state.grad_avg.dims()[0];
                found.push(((format!("{path}.grad_avg"), vec![n]), state.grad_avg.clone()));
                found.push(((format!("{path}.sqr_avg"), vec![n]), state.sqr_avg.clone()));
                steps.push((path.clone(), state.step));
            }
        }
        Ok((crate::weights::split(found).await?, steps))
    }

    /// Puts back what [`Optimizer::read_state`] read, for the parameters `ids` of a
    /// rebuilt model on `device` (the inner, non-autodiff device).
    pub fn load_state(
        &mut self,
        ids: &[(String, ParamId)],
        state: &Weights,
        steps: &[(String, i32)],
        device: &Device,
    ) -> Result<(), String> {
        let tensor = |name: String| -> Result<Tensor<1>, String> {
            let t = state.get(&name).ok_or(format!("the optimizer state has no {name}"))?;
            Ok(Tensor::from_data(TensorData::new(t.values.clone(), [t.values.len()]), device))
        };
        for (path, step) in steps {
            let id = ids.iter().find(|(p, _)| p == path).ok_or(format!("the model has no parameter {path}"))?.1;
            let grad_avg = tensor(format!("{path}.grad_avg"))?;
            let sqr_avg = tensor(format!("{path}.sqr_avg"))?;
            self.state.insert(id, AdamState { grad_avg, sqr_avg, step: *step });
        }
        Ok(())
    }

    /// The new value of one parameter (on the inner, non-autodiff device).
    fn update(&mut self, id: ParamId, p: Tensor<1>, grad: Tensor<1>, lr: f64, beta1: f64, decays: bool) -> Tensor<1> {
        let OptimSettings { kind, wd, wd_kind } = self.settings;
        let wd = if decays { wd } else { 0.0 };
        let (p, grad) = match wd_kind {
            WdKind::Decoupled if wd != 0.0 => (p.mul_scalar(1.0 - lr * wd), grad),
            WdKind::L2 if wd != 0.0 => (p.clone(), grad + p.mul_scalar(2.0 * wd)),
            _ => (p, grad),
        };
        match kind {
            OptimizerKind::Sgd => p - grad.mul_scalar(lr),
            OptimizerKind::Adam => {
                let state = self.state.remove(&id).unwrap_or_else(|| AdamState {
                    grad_avg: grad.zeros_like(),
                    sqr_avg: grad.zeros_like(),
                    step: 0,
                });
                // fastai's average_grad and average_sqr_grad, both with dampening.
                let grad_avg = state.grad_avg.mul_scalar(beta1) + grad.clone().mul_scalar(1.0 - beta1);
                let sqr_avg = state.sqr_avg.mul_scalar(BETA2) + grad.powi_scalar(2).mul_scalar(1.0 - BETA2);
                let step = state.step + 1;
                let debias1 = 1.0 - beta1.powi(step);
                let debias2 = 1.0 - BETA2.powi(step);
                let denom = sqr_avg.clone().div_scalar(debias2).sqrt().add_scalar(EPS);
                let p = p - grad_avg.clone().div(denom).mul_scalar(lr / debias1);
                self.state.insert(id, AdamState { grad_avg, sqr_avg, step });
                p
            }
        }
    }
}

/// fastai exempts `.bias` parameters and norm layers from weight decay
/// (`wd_bn_bias=False`); the bias *embeddings* of DotProductBias are decayed.
fn is_exempt(path: &[(String, String)]) -> bool {
    let last_is_bias = path.last().is_some_and(|(name, _)| name == "bias");
    let in_norm = path.iter().any(|(_, container)| container.contains("BatchNorm"));
    last_is_bias || in_norm
}

/// Every float parameter of `model` by path, and whether weight decay applies to it
/// (fastai's rule: not to linear biases nor batch norm; bias embeddings do decay).
pub fn decayed_params<M: Module>(model: &M) -> Vec<(String, bool)> {
    struct Decays {
        path: Vec<(String, String)>,
        found: Vec<(String, bool)>,
    }
    impl ModuleVisitor for Decays {
        fn enter_module(&mut self, name: &str, container_type: &str) {
            self.path.push((crate::weights::path_part(name, container_type), container_type.to_string()));
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, _param: &Param<Tensor<D>>) {
            let names: Vec<String> = self.path.iter().map(|(n, _)| n.clone()).collect();
            self.found.push((crate::weights::join_path(&names), !is_exempt(&self.path)));
        }
    }
    let mut visitor = Decays { path: Vec::new(), found: Vec::new() };
    model.visit(&mut visitor);
    visitor.found
}

struct StepMapper<'a> {
    optim: &'a mut Optimizer,
    grads: GradientsParams,
    lr: f64,
    beta1: f64,
    /// (name, container type) of each module entered.
    path: Vec<(String, String)>,
}

impl ModuleMapper for StepMapper<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push((crate::weights::path_part(name, container_type), container_type.to_string()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let old = tensor.inner();
        let shape = old.shape();
        let decays = !is_exempt(&self.path);
        let flat_old: Tensor<1> = old.reshape([-1]);
        let flat_grad: Tensor<1> = grad.reshape([-1]);
        let flat_new = self.optim.update(id, flat_old, flat_grad, self.lr, self.beta1, decays);
        let mut new = Tensor::from_inner(flat_new.reshape(shape));
        if require_grad {
            new = new.require_grad();
        }
        Param::from_mapped_value(id, new, mapper)
    }
}
