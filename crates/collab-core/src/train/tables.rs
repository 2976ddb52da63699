//! Where a dot-product model's tables lie when a step written out takes them: one buffer,
//! user factors, item factors, then (DotProductBias) user biases and item biases. The
//! host step ([`super::host`]) and the GPU step (`super::gpu`) share this layout, how
//! its parts are named in a snapshot, and the check of a snapshot against it.

use super::state::{EngineState, HostAdam};
use crate::model::CollabModel;
use crate::weights::{self, NamedTensor, Weights};

/// Which table of a dot-product model, in the buffer's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    UserFactors,
    ItemFactors,
    UserBias,
    ItemBias,
}

impl Role {
    /// The role of the parameter at `path` (`user_factors.weight` in DotProductBias,
    /// `user_factors` in the from-scratch model).
    fn of(path: &str) -> Option<Role> {
        match path.split('.').next()? {
            "user_factors" => Some(Role::UserFactors),
            "item_factors" => Some(Role::ItemFactors),
            "user_bias" => Some(Role::UserBias),
            "item_bias" => Some(Role::ItemBias),
            _ => None,
        }
    }
}

/// One of the model's tensors and where it lies in the buffer.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Table {
    pub path: String,
    pub shape: Vec<usize>,
    pub at: usize,
    pub len: usize,
}

impl Table {
    /// Its part of a buffer.
    pub fn of<'a>(&self, buffer: &'a [f32]) -> &'a [f32] {
        &buffer[self.at..self.at + self.len]
    }
}

/// A dot-product model's tables laid out in one buffer.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DotTables {
    /// The tables in the burn model's order (which is not the buffer's).
    pub tables: Vec<Table>,
    pub n_users: usize,
    pub n_items: usize,
    /// Latent factors.
    pub k: usize,
    /// Where the item factors start (the user factors start at 0).
    pub items_at: usize,
    /// Where the bias tables start; both are the buffer's end when the model has none.
    pub user_bias_at: usize,
    pub item_bias_at: usize,
    /// The buffer's length.
    pub size: usize,
    /// sigmoid_range's ends, when the model has one.
    pub y_range: Option<(f32, f32)>,
}

impl DotTables {
    /// The layout of `model`, if it is one of the dot-product models (DotProduct,
    /// DotProductBias, the from-scratch model) and every table of it takes weight decay,
    /// as fastai's do: one decay serves the whole buffer.
    pub fn of(model: &CollabModel) -> Option<Self> {
        let y_range = match model {
            CollabModel::Dot(m) => m.y_range,
            CollabModel::Scratch(m) => m.y_range,
            CollabModel::Nn(_) => return None,
        };
        if !super::optimizer::decayed_params(model).iter().all(|(_, decays)| *decays) {
            return None;
        }
        let listed = weights::shapes(model);
        let mut by_role: [Option<usize>; 4] = [None; 4];
        for (order, (path, _)) in listed.iter().enumerate() {
            by_role[Role::of(path)? as usize] = Some(order);
        }
        let [Some(users), Some(items), user_bias, item_bias] = by_role else { return None };
        let ([n_users, k], [n_items, k_items]) =
            (listed[users].1[..].try_into().ok()?, listed[items].1[..].try_into().ok()?);
        if k != k_items || user_bias.is_some() != item_bias.is_some() {
            return None;
        }
        let mut tables = Vec::new();
        let mut starts = [0; 4];
        let mut at = 0;
        for (role, order) in by_role.into_iter().enumerate() {
            starts[role] = at;
            let Some(order) = order else { continue };
            let (path, shape) = listed[order].clone();
            let len = shape.iter().product();
            tables.push((order, Table { path, shape, at, len }));
            at += len;
        }
        tables.sort_by_key(|(order, _)| *order);
        Some(Self {
            tables: tables.into_iter().map(|(_, t)| t).collect(),
            n_users,
            n_items,
            k,
            items_at: starts[Role::ItemFactors as usize],
            user_bias_at: starts[Role::UserBias as usize],
            item_bias_at: starts[Role::ItemBias as usize],
            size: at,
            y_range,
        })
    }

    /// The parts of the buffer that belong to `user` (`item: false`) or to item `index`:
    /// its factor row and, with biases, its bias.
    pub fn rows_of(&self, index: usize, item: bool) -> impl Iterator<Item = std::ops::Range<usize>> + use<> {
        let k = self.k;
        let (factors, bias) = match item {
            false => (index * k, self.user_bias_at + index),
            true => (self.items_at + index * k, self.item_bias_at + index),
        };
        std::iter::once(factors..factors + k).chain(self.biased().then_some(bias..bias + 1))
    }

    /// Whether the model has bias tables.
    pub fn biased(&self) -> bool {
        self.user_bias_at < self.item_bias_at
    }

    /// The places of the model's tables (in the model's order) in the buffer's order.
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))] // the GPU step's
    pub fn buffer_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.tables.len()).collect();
        order.sort_by_key(|&i| self.tables[i].at);
        order
    }

    /// The weights in a buffer, named and in the model's order.
    pub fn weights(&self, buffer: &[f32]) -> Weights {
        let named =
            |t: &Table| NamedTensor { path: t.path.clone(), shape: t.shape.clone(), values: t.of(buffer).to_vec() };
        Weights { tensors: self.tables.iter().map(named).collect() }
    }

    /// The state of an engine with the weights `values` and Adam's state `adam` (one step
    /// count for every table; `None` before the first Adam step), as every engine names it.
    pub fn state(&self, values: &[f32], adam: Option<&HostAdam>) -> EngineState {
        let mut state = EngineState { weights: self.weights(values), ..EngineState::default() };
        if let Some(adam) = adam {
            for t in &self.tables {
                let part = HostAdam {
                    grad_avg: t.of(&adam.grad_avg).to_vec(),
                    sqr_avg: t.of(&adam.sqr_avg).to_vec(),
                    step: adam.step,
                };
                state.push_adam(&t.path, &part);
            }
        }
        state
    }

    /// `state` laid out in the buffer: the weights and Adam's state, once
    /// [`EngineState::check`] has passed it; tables at different Adam steps are refused
    /// too (one step count serves them all).
    pub fn load(&self, state: &EngineState) -> Result<(Vec<f32>, Option<HostAdam>), String> {
        let listed: Vec<(String, Vec<usize>)> = self.tables.iter().map(|t| (t.path.clone(), t.shape.clone())).collect();
        let adams = state.check(&listed)?;
        let mut values = vec![0.0; self.size];
        let mut step = None;
        for ((t, saved), adam) in self.tables.iter().zip(&state.weights.tensors).zip(&adams) {
            values[t.at..t.at + t.len].copy_from_slice(&saved.values);
            let this = adam.as_ref().map_or(0, |a| a.step);
            if *step.get_or_insert(this) != this {
                return Err(format!("{} was saved at Adam step {this}, the other tables at another", t.path));
            }
        }
        // A table that has taken no Adam step has running averages of zero.
        let adam = adams.iter().any(Option::is_some).then(|| {
            let (mut grad_avg, mut sqr_avg) = (vec![0.0; self.size], vec![0.0; self.size]);
            for (t, adam) in self.tables.iter().zip(&adams) {
                if let Some(adam) = adam {
                    grad_avg[t.at..t.at + t.len].copy_from_slice(&adam.grad_avg);
                    sqr_avg[t.at..t.at + t.len].copy_from_slice(&adam.sqr_avg);
                }
            }
            HostAdam { grad_avg, sqr_avg, step: step.unwrap_or(0) }
        });
        Ok((values, adam))
    }
}
