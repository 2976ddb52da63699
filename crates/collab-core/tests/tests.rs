//! Integration tests of the core crate: one binary, a module per area.

mod gradients;
mod onehot;
mod optimizer;
mod save;
mod shape;
mod training;

use std::collections::BTreeMap;

use burn::module::Param;
use burn::tensor::{Device, Gradients, Tensor};
use collab_core::data::Encoded;
use collab_core::model::CollabModel;
use collab_core::paths::{self, AtPath, ParamPath};
use collab_core::read::block_on;
use collab_core::train::to_device;
use collab_core::weights::{self, Weights};

/// A small batch that touches most rows, `#na#` (index 0) included.
pub fn small_batch() -> Encoded {
    Encoded {
        users: vec![1, 2, 3, 4, 1, 2, 0, 3],
        items: vec![1, 2, 3, 4, 5, 5, 0, 2],
        ratings: vec![4.0, 3.0, 5.0, 1.0, 2.5, 4.0, 3.0, 2.0],
    }
}

/// Mean squared error of `model` on `batch`, and the tensor it came from.
pub fn loss(model: &CollabModel, batch: &Encoded) -> Tensor<1> {
    let (users, items, ratings) = to_device(batch, &model.item_factors().device());
    (model.forward(users, items) - ratings).powi_scalar(2).mean()
}

/// Host weights of a model.
pub fn host(model: &CollabModel) -> Weights {
    block_on(weights::read(model)).expect("flex reads")
}

/// Gradients by parameter path.
pub fn grads_by_path(model: &CollabModel, grads: &Gradients) -> BTreeMap<String, Vec<f32>> {
    struct Collect<'a> {
        grads: &'a Gradients,
        out: BTreeMap<String, Vec<f32>>,
    }
    impl AtPath for Collect<'_> {
        fn float<const D: usize>(&mut self, path: &ParamPath, param: &Param<Tensor<D>>) {
            if let Some(g) = param.val().grad(self.grads) {
                self.out.insert(path.dotted(), g.into_data().convert::<f32>().try_to_vec().unwrap());
            }
        }
    }
    let mut c = Collect { grads, out: BTreeMap::new() };
    paths::visit(model, &mut c);
    c.out
}

/// The autodiff CPU device every test uses.
pub fn device() -> Device {
    Device::flex().autodiff()
}
