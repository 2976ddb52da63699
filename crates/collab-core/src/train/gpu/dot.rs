//! The dot-product models' training step on a GPU: the learner's engine for
//! DotProduct, DotProductBias and the from-scratch model on WebGPU (and on wgpu
//! natively), two kernels a step ([`super::kernels`]) instead of burn's autodiff graph,
//! its dense embedding gradients and an optimizer of a dozen operations a parameter.
//!
//! Every table lies in one buffer (`params`), with Adam's two running averages beside
//! it in two more. A step uploads one buffer of packed indices and one of ratings,
//! queues the two kernels, and reads nothing: the predictions and the loss stay on the
//! device until the learner reads its pending losses, as on every other path.

use burn::backend::Dispatch;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::op::{DotStep, StepSettings};
use super::pack::pack;
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::read::{self, ReadError};
use crate::train::host::{Role, dot_y_range};
use crate::train::optimizer::{HostAdam, OptimSettings, OptimizerKind, Update, decayed_params};
use crate::weights::{self, NamedTensor, Weights};

/// Where one of the model's tensors lies in the parameter buffer.
#[derive(Debug, Clone, PartialEq)]
struct Table {
    path: String,
    shape: Vec<usize>,
    at: usize,
    len: usize,
}

/// A table as the model lists it: its place in the model's order, path, shape, values.
type Found = (usize, String, Vec<usize>, Tensor<1>);

/// A dot-product model's tables and Adam's state, on the GPU.
#[derive(Clone)]
pub(in crate::train) struct GpuDot {
    /// The tables in the burn model's order (their places in the buffer are in the
    /// kernels' order: user factors, item factors, user biases, item biases).
    tables: Vec<Table>,
    n_users: usize,
    n_items: usize,
    k: usize,
    items_at: usize,
    /// Where the bias tables start; both are the buffer's end when the model has none.
    user_bias_at: usize,
    item_bias_at: usize,
    y_range: Option<(f32, f32)>,
    params: Tensor<1>,
    grad_avg: Tensor<1>,
    sqr_avg: Tensor<1>,
    /// Adam steps taken (0 before the first, and always with SGD).
    step: i32,
    settings: OptimSettings,
}

impl GpuDot {
    /// The GPU step for `model` (on a GPU device), if it is one of the dot-product models
    /// and all its tables take weight decay, as fastai's do.
    pub fn new(model: &CollabModel, settings: OptimSettings) -> Option<Self> {
        let y_range = dot_y_range(model)?;
        if !decayed_params(model).iter().all(|(_, decays)| *decays) {
            return None;
        }
        let mut by_role: [Option<Found>; 4] = Default::default();
        for (order, (path, shape, flat)) in weights::tables(model).into_iter().enumerate() {
            let role = Role::of(&path)?;
            by_role[role as usize] = Some((order, path, shape, flat));
        }
        let [Some(users), Some(items), user_bias, item_bias] = by_role else { return None };
        let ([n_users, k], [n_items, k_items]) = (users.2[..].try_into().ok()?, items.2[..].try_into().ok()?);
        if k != k_items || user_bias.is_some() != item_bias.is_some() {
            return None;
        }
        let mut tables = Vec::new();
        let mut flats = Vec::new();
        let mut starts = [0; 4];
        let mut at = 0;
        for (role, table) in [Some(users), Some(items), user_bias, item_bias].into_iter().enumerate() {
            starts[role] = at;
            let Some((order, path, shape, flat)) = table else { continue };
            let len = shape.iter().product();
            tables.push((order, Table { path, shape, at, len }));
            flats.push(flat);
            at += len;
        }
        tables.sort_by_key(|(order, _)| *order);
        let params = Tensor::cat(flats, 0);
        Some(Self {
            tables: tables.into_iter().map(|(_, t)| t).collect(),
            n_users,
            n_items,
            k,
            items_at: starts[Role::ItemFactors as usize],
            user_bias_at: starts[Role::UserBias as usize],
            item_bias_at: starts[Role::ItemBias as usize],
            y_range,
            grad_avg: params.zeros_like(),
            sqr_avg: params.zeros_like(),
            params,
            step: 0,
            settings,
        })
    }

    /// One training step on `batch` (indices within the tables, as the learner's data
    /// encodes them): the predictions before the update and the batch's mean squared
    /// error, on the device, not read.
    pub fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64) -> (Tensor<1>, Tensor<1>) {
        let device = self.params.device();
        let packed = pack(batch, self.n_users, self.n_items)
            .expect("a learner's batches index its own model's tables (the data and the model share a vocabulary)");
        let n = batch.len();
        let rows = Tensor::<1, Int>::from_data(TensorData::new(packed.rows.clone(), [packed.rows.len()]), &device);
        let ratings = Tensor::<1>::from_data(TensorData::new(batch.ratings.clone(), [n]), &device);
        let adam = self.settings.kind == OptimizerKind::Adam;
        let step = if adam { self.step + 1 } else { self.step };
        let at = |i: usize| i as u32;
        let settings = StepSettings {
            k: at(self.k),
            items_at: at(self.items_at),
            user_bias_at: at(self.user_bias_at),
            item_bias_at: at(self.item_bias_at),
            user_starts: at(packed.user_starts),
            user_list: at(packed.user_list),
            item_starts: at(packed.item_starts),
            item_list: at(packed.item_list),
            biased: self.user_bias_at < self.item_bias_at,
            y_range: self.y_range,
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
        (Tensor::from_dispatch(out.preds), Tensor::<1>::from_dispatch(out.squared).mean())
    }

    /// Each table's values, flat, in the burn model's order (handles: nothing is read).
    fn handles(&self) -> Vec<Tensor<1>> {
        self.tables.iter().map(|t| self.params.clone().slice(t.at..t.at + t.len)).collect()
    }

    /// `template` (the model this was built from) with the current values.
    pub fn model(&self, template: &CollabModel) -> CollabModel {
        weights::put_handles(template.clone(), &self.handles())
    }

    /// Each table's sum, `[1]` each, not read.
    pub fn sums(&self) -> Vec<Tensor<1>> {
        self.handles().into_iter().map(Tensor::sum).collect()
    }

    /// The weights, Adam's running averages (named as the other engines name them) and
    /// each table's step count, in one read.
    pub async fn read_state(&self) -> Result<(Weights, Weights, Vec<(String, i32)>), ReadError> {
        let parts = vec![self.params.clone(), self.grad_avg.clone(), self.sqr_avg.clone()];
        let all = read::floats(Tensor::cat(parts, 0)).await?;
        let size = all.len() / 3;
        let (values, avgs) = all.split_at(size);
        let (grad_avg, sqr_avg) = avgs.split_at(size);
        let mut weights = Weights::default();
        let mut state = Weights::default();
        let mut steps = Vec::new();
        for t in &self.tables {
            let part = |all: &[f32]| all[t.at..t.at + t.len].to_vec();
            weights.tensors.push(NamedTensor { path: t.path.clone(), shape: t.shape.clone(), values: part(values) });
            if self.step > 0 {
                let adam = HostAdam { grad_avg: part(grad_avg), sqr_avg: part(sqr_avg), step: self.step };
                state.tensors.extend(adam.named(&t.path));
                steps.push((t.path.clone(), self.step));
            }
        }
        Ok((weights, state, steps))
    }

    /// Puts back what a snapshot holds (from any engine), checked as the host step checks
    /// it; tables at different Adam steps are refused too (one step counter serves them
    /// all). Nothing changes when it is refused.
    pub fn load(&mut self, saved: &Weights, state: &Weights, steps: &[(String, i32)]) -> Result<(), String> {
        if saved.tensors.len() != self.tables.len() {
            return Err(format!("the model has {} tensors, the weights {}", self.tables.len(), saved.tensors.len()));
        }
        for (t, w) in self.tables.iter().zip(&saved.tensors) {
            if w.path != t.path || w.shape != t.shape || w.values.len() != t.len {
                return Err(format!("{} {:?} does not match the saved {} {:?}", t.path, t.shape, w.path, w.shape));
            }
        }
        if let Some((path, _)) = steps.iter().find(|(path, _)| !self.tables.iter().any(|t| t.path == *path)) {
            return Err(format!("the model has no parameter {path}"));
        }
        let size = self.tables.iter().map(|t| t.len).sum();
        let (mut values, mut grad_avg, mut sqr_avg) = (vec![0.0; size], vec![0.0; size], vec![0.0; size]);
        let mut step = None;
        for (t, w) in self.tables.iter().zip(&saved.tensors) {
            values[t.at..t.at + t.len].copy_from_slice(&w.values);
            let adam = HostAdam::load(&t.path, t.len, state, steps)?;
            let this = adam.as_ref().map_or(0, |a| a.step);
            if *step.get_or_insert(this) != this {
                return Err(format!("{} was saved at Adam step {this}, the other tables at another", t.path));
            }
            if let Some(adam) = adam {
                grad_avg[t.at..t.at + t.len].copy_from_slice(&adam.grad_avg);
                sqr_avg[t.at..t.at + t.len].copy_from_slice(&adam.sqr_avg);
            }
        }
        let device = self.params.device();
        let tensor = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [size]), &device);
        self.params = tensor(values);
        self.grad_avg = tensor(grad_avg);
        self.sqr_avg = tensor(sqr_avg);
        self.step = step.unwrap_or(0);
        Ok(())
    }
}

/// Whether `device` is one the GPU step runs on (burn's CubeCL backend: WebGPU, wgpu).
pub(in crate::train) fn runs_on(device: &Device) -> bool {
    matches!(device.clone().inner().as_dispatch(), burn::backend::DispatchDevice::Cube(_))
}
