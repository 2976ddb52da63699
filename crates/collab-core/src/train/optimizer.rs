//! fastai's optimizers, written out: Adam (beta1 scheduled, beta2 0.99, eps 1e-5,
//! bias-corrected) and plain SGD, with weight decay decoupled (fastai's default,
//! `p *= 1 - lr * wd`) or as an L2 term in the loss (the lesson's explanation, gradient
//! `+ 2 * wd * p`).
//!
//! burn's AdamW has no momentum schedule and cannot skip `.bias` parameters by name, so
//! the update is done here with a [`ModuleMapper`] that knows each parameter's path.
//!
//! On the CPU (burn-flex) the update is one pass over each parameter's numbers on the
//! host ([`fused`]): decay, both running averages, the debiased step, element by
//! element, with the running averages kept as plain vectors. Written as tensor operations
//! the same update is about a dozen passes, each allocating a new tensor, and that was
//! most of a step's time. On a GPU the tensor version runs (reading back to the host
//! there would stall it), and it stays the reference the fused pass is tested against.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::read::ReadError;
use crate::weights::{NamedTensor, Weights};

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

/// Adam's running averages of one parameter on the host and the steps it has taken: the
/// form the fused pass ([`fused`]) updates in place.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct HostAdam {
    pub grad_avg: Vec<f32>,
    pub sqr_avg: Vec<f32>,
    pub step: i32,
}

/// Per-parameter Adam state, flattened so one map holds every rank: tensors where the
/// update runs as tensor operations, host vectors for the fused pass.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per parameter: a box would buy nothing
enum AdamState {
    Tensors { grad_avg: Tensor<1>, sqr_avg: Tensor<1>, step: i32 },
    Host(HostAdam),
}

/// The optimizer and its state across steps.
#[derive(Clone)]
pub struct Optimizer {
    /// Its settings.
    pub settings: OptimSettings,
    /// Whether parameters on the CPU take the fused pass (on by default; off only to
    /// time or test the tensor version against it).
    pub fused: bool,
    state: HashMap<ParamId, AdamState>,
}

impl Default for Optimizer {
    fn default() -> Self {
        Self::new(OptimSettings::default())
    }
}

impl Optimizer {
    /// A fresh optimizer.
    pub fn new(settings: OptimSettings) -> Self {
        Self { settings, fused: true, state: HashMap::new() }
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
        let mut host = Vec::new();
        for (path, id) in ids {
            let Some(state) = self.state.get(id) else { continue };
            let step = match state {
                AdamState::Tensors { grad_avg, sqr_avg, step } => {
                    let n = grad_avg.dims()[0];
                    found.push(((format!("{path}.grad_avg"), vec![n]), grad_avg.clone()));
                    found.push(((format!("{path}.sqr_avg"), vec![n]), sqr_avg.clone()));
                    *step
                }
                AdamState::Host(adam) => {
                    host.extend(adam.named(path));
                    adam.step
                }
            };
            steps.push((path.clone(), step));
        }
        let mut weights = crate::weights::split(found).await?;
        weights.tensors.extend(host);
        Ok((weights, steps))
    }

    /// Puts back what [`Optimizer::read_state`] read, for the parameters `ids` of a
    /// rebuilt model on `device` (the inner, non-autodiff device), each of `sizes[k]`
    /// numbers.
    pub fn load_state(
        &mut self,
        ids: &[(String, ParamId, usize)],
        state: &Weights,
        steps: &[(String, i32)],
        device: &Device,
    ) -> Result<(), String> {
        for (path, _) in steps {
            if !ids.iter().any(|(p, _, _)| p == path) {
                return Err(format!("the model has no parameter {path}"));
            }
        }
        let on_host = self.fused && is_cpu(device);
        for (path, id, size) in ids {
            let Some(adam) = HostAdam::load(path, *size, state, steps)? else { continue };
            let state = if on_host { AdamState::Host(adam) } else { adam.on(device) };
            self.state.insert(*id, state);
        }
        Ok(())
    }

    /// The new value of one parameter (on the inner, non-autodiff device).
    fn update(&mut self, id: ParamId, p: Tensor<1>, grad: Tensor<1>, lr: f64, beta1: f64, decays: bool) -> Tensor<1> {
        let wd = if decays { self.settings.wd } else { 0.0 };
        let state = self.state.remove(&id);
        let device = p.device();
        let (p, state) = match state {
            Some(AdamState::Host(adam)) => self.host_update(wd, p, grad, Some(adam), lr, beta1),
            None if self.fused && is_cpu(&device) => self.host_update(wd, p, grad, None, lr, beta1),
            state => tensors(&self.settings, wd, p, grad, state, lr, beta1),
        };
        if let Some(state) = state {
            self.state.insert(id, state);
        }
        p
    }

    /// [`fused`] on a parameter of the CPU: its values and gradient as f32 vectors, the
    /// update in place.
    fn host_update(
        &self,
        wd: f64,
        p: Tensor<1>,
        grad: Tensor<1>,
        adam: Option<HostAdam>,
        lr: f64,
        beta1: f64,
    ) -> (Tensor<1>, Option<AdamState>) {
        let device = p.device();
        let mut values = p.into_data().convert::<f32>();
        let mut grad = grad.into_data().convert::<f32>();
        match (values.as_mut_slice::<f32>(), grad.as_mut_slice::<f32>()) {
            (Ok(p), Ok(g)) => {
                let adam = fused(&self.settings, wd, p, g, adam, lr, beta1);
                (Tensor::from_data(values, &device), adam.map(AdamState::Host))
            }
            // Not reached: both were just converted to f32.
            _ => {
                let (p, grad) = (Tensor::from_data(values, &device), Tensor::from_data(grad, &device));
                tensors(&self.settings, wd, p, grad, adam.map(|a| a.on(&device)), lr, beta1)
            }
        }
    }
}

impl HostAdam {
    /// The same state as tensors on `device`, for the update as tensor operations.
    fn on(self, device: &Device) -> AdamState {
        let tensor = |v: Vec<f32>| {
            let n = v.len();
            Tensor::from_data(TensorData::new(v, [n]), device)
        };
        AdamState::Tensors { grad_avg: tensor(self.grad_avg), sqr_avg: tensor(self.sqr_avg), step: self.step }
    }

    /// The running averages as the named tensors of a snapshot: `<path>.grad_avg` and
    /// `<path>.sqr_avg`.
    pub(super) fn named(&self, path: &str) -> [NamedTensor; 2] {
        let named = |suffix: &str, values: &Vec<f32>| NamedTensor {
            path: format!("{path}.{suffix}"),
            shape: vec![values.len()],
            values: values.clone(),
        };
        [named("grad_avg", &self.grad_avg), named("sqr_avg", &self.sqr_avg)]
    }

    /// The state of the parameter `path` of `size` numbers in a snapshot's optimizer
    /// tensors and step counts: `None` when it has taken no step yet; an error when
    /// the averages are missing or of another size.
    pub(super) fn load(
        path: &str,
        size: usize,
        state: &Weights,
        steps: &[(String, i32)],
    ) -> Result<Option<HostAdam>, String> {
        let Some(&(_, step)) = steps.iter().find(|(p, _)| p == path) else { return Ok(None) };
        let values = |suffix: &str| -> Result<Vec<f32>, String> {
            let name = format!("{path}.{suffix}");
            let t = state.get(&name).ok_or(format!("the optimizer state has no {name}"))?;
            if t.values.len() != size {
                return Err(format!(
                    "the optimizer state's {name} has {} numbers, the parameter {size}",
                    t.values.len()
                ));
            }
            Ok(t.values.clone())
        };
        Ok(Some(HostAdam { grad_avg: values("grad_avg")?, sqr_avg: values("sqr_avg")?, step }))
    }
}

/// Whether `device` is the CPU backend, where the fused pass runs.
pub(super) fn is_cpu(device: &Device) -> bool {
    *device == Device::flex()
}

/// The update as tensor operations (the GPU's path, and the fused pass's reference).
fn tensors(
    settings: &OptimSettings,
    wd: f64,
    p: Tensor<1>,
    grad: Tensor<1>,
    state: Option<AdamState>,
    lr: f64,
    beta1: f64,
) -> (Tensor<1>, Option<AdamState>) {
    let (p, grad) = match settings.wd_kind {
        WdKind::Decoupled if wd != 0.0 => (p.mul_scalar(1.0 - lr * wd), grad),
        WdKind::L2 if wd != 0.0 => (p.clone(), grad + p.mul_scalar(2.0 * wd)),
        _ => (p, grad),
    };
    match settings.kind {
        OptimizerKind::Sgd => (p - grad.mul_scalar(lr), None),
        OptimizerKind::Adam => {
            let (grad_avg, sqr_avg, step) = match state {
                Some(AdamState::Tensors { grad_avg, sqr_avg, step }) => (grad_avg, sqr_avg, step),
                _ => (grad.zeros_like(), grad.zeros_like(), 0),
            };
            // fastai's average_grad and average_sqr_grad, both with dampening.
            let grad_avg = grad_avg.mul_scalar(beta1) + grad.clone().mul_scalar(1.0 - beta1);
            let sqr_avg = sqr_avg.mul_scalar(BETA2) + grad.powi_scalar(2).mul_scalar(1.0 - BETA2);
            let step = step + 1;
            let debias1 = 1.0 - beta1.powi(step);
            let debias2 = 1.0 - BETA2.powi(step);
            let denom = sqr_avg.clone().div_scalar(debias2).sqrt().add_scalar(EPS);
            let p = p - grad_avg.clone().div(denom).mul_scalar(lr / debias1);
            (p, Some(AdamState::Tensors { grad_avg, sqr_avg, step }))
        }
    }
}

/// The same update in one pass over the parameter's numbers, in place, in the tensor
/// version's order of operations (each scalar rounded to f32 as the tensor operations
/// round it). The pass also sets each gradient to zero as it uses it, so that a caller
/// that adds gradients into a table kept between steps ([`super::host`]) finds it clean.
/// The loop has no branches, so the compiler vectorises it: an absent decay multiplies
/// by 1 and an absent L2 term adds 0, which change no number.
pub(super) fn fused(
    settings: &OptimSettings,
    wd: f64,
    p: &mut [f32],
    grad: &mut [f32],
    state: Option<HostAdam>,
    lr: f64,
    beta1: f64,
) -> Option<HostAdam> {
    let step = state.as_ref().map_or(0, |s| s.step) + 1;
    let u = Update::new(settings, wd, lr, beta1, step);
    match settings.kind {
        OptimizerKind::Sgd => {
            for (p, g) in p.iter_mut().zip(grad) {
                let g = std::mem::take(g) + *p * u.l2;
                *p = *p * u.decay - g * u.step_size;
            }
            None
        }
        OptimizerKind::Adam => {
            let HostAdam { mut grad_avg, mut sqr_avg, .. } = state.unwrap_or_else(|| HostAdam {
                grad_avg: vec![0.0; p.len()],
                sqr_avg: vec![0.0; p.len()],
                step: 0,
            });
            for (((p, g), avg), sqr) in p.iter_mut().zip(grad).zip(&mut grad_avg).zip(&mut sqr_avg) {
                let g = std::mem::take(g) + *p * u.l2;
                let kept = *p * u.decay;
                *avg = flush(*avg * u.b1 + g * u.one_b1);
                *sqr = flush(*sqr * u.b2 + g * g * u.one_b2);
                *p = kept - *avg / ((*sqr / u.debias2).sqrt() + u.eps) * u.step_size;
            }
            Some(HostAdam { grad_avg, sqr_avg, step })
        }
    }
}

/// The numbers one update of one parameter uses, each rounded to f32 as the tensor
/// operations round it: shared by [`fused`] and the GPU's kernel, so that the two do
/// the same arithmetic. An absent decay is 1 and an absent L2 term 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Update {
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
            OptimizerKind::Adam => lr / (1.0 - beta1.powi(step)),
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

/// Running averages under this size are set to zero by [`fused`] (and the GPU's kernel).
pub(super) const TINY: f32 = 1e-30;

/// `x`, or zero when it is under [`TINY`]. A row that gets no gradient for a while (a
/// movie with few ratings) sees its running average of the gradient shrink by beta1 at
/// every step, and after some 800 steps it is a subnormal number, which x86 processors
/// (and wasm running on them) add and multiply tens of times more slowly than a normal
/// one: measured, a 5-epoch fit took twice its first epoch's time per epoch. Flushing
/// changes no weight: the step divides by at least eps = 1e-5, so what is dropped moves a
/// weight by under 1e-25, far below the last digit of any weight that is not zero.
#[inline(always)]
fn flush(x: f32) -> f32 {
    if x.abs() < TINY { 0.0 } else { x }
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
