//! A model's tensors as host values, and back: for saving, for showing factor tables
//! in the page, for editing one factor, and for the gradient checks.
//!
//! Reading goes through one async device read (safe on WebGPU); writing builds fresh
//! tensors on the model's device and keeps whether each one requires a gradient.

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::paths::{self, AtPath, MapAtPath, ParamPath};
use crate::read::{self, ReadError};

/// One tensor of a model: its path (`user_factors.weight`), shape and values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedTensor {
    /// Dotted path of the parameter in the model.
    pub path: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    #[serde(skip)]
    pub values: Vec<f32>,
}

/// Every float tensor of a model (parameters and batch-norm running statistics), in
/// the order the model visits them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Weights {
    /// The tensors.
    pub tensors: Vec<NamedTensor>,
}

impl Weights {
    /// The tensor at `path`, if there is one.
    pub fn get(&self, path: &str) -> Option<&NamedTensor> {
        self.tensors.iter().find(|t| t.path == path)
    }

    /// The tensor at `path`, mutably.
    pub fn get_mut(&mut self, path: &str) -> Option<&mut NamedTensor> {
        self.tensors.iter_mut().find(|t| t.path == path)
    }
}

/// Reads every float tensor of `module` in one device read.
pub async fn read<M: Module>(module: &M) -> Result<Weights, ReadError> {
    split(collect(module).into_iter().map(|f| ((f.path, f.shape), f.flat)).collect()).await
}

/// The path and id of every float parameter of `module`, in the order of [`read`]: how
/// state kept by id (the optimizer's) finds its parameter again in a rebuilt model.
pub fn param_ids<M: Module>(module: &M) -> Vec<(String, ParamId)> {
    collect(module).into_iter().map(|f| (f.path, f.id)).collect()
}

/// The sum of each float tensor of `module`, `[1]` each, left on the device: a cheap
/// look at whether every weight is still finite (a NaN or an infinity makes its sum so).
pub fn sums<M: Module>(module: &M) -> Vec<Tensor<1>> {
    collect(module).into_iter().map(|f| f.flat.sum()).collect()
}

/// Handles to every float tensor of `module`, flattened (nothing is read or copied):
/// the values as they are now, which later steps cannot change. A clone of the module
/// is not enough for that: batch norm's running statistics live in state that every
/// clone shares and each training forward pass updates in place.
pub fn handles<M: Module>(module: &M) -> Vec<Tensor<1>> {
    collect(module).into_iter().map(|f| f.flat).collect()
}

/// Every float tensor of `module` as its path, shape and flattened handle, in the order
/// of [`read`]: nothing is read.
pub fn tables<M: Module>(module: &M) -> Vec<(String, Vec<usize>, Tensor<1>)> {
    collect(module).into_iter().map(|f| (f.path, f.shape, f.flat)).collect()
}

/// Puts back what [`handles`] took from this module (or a clone of it).
pub fn put_handles<M: Module>(module: M, handles: &[Tensor<1>]) -> M {
    struct Put<'a> {
        handles: &'a [Tensor<1>],
        next: usize,
    }
    impl ModuleMapper for Put<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, tensor, mapper) = param.consume();
            let Some(flat) = self.handles.get(self.next) else {
                return Param::from_mapped_value(id, tensor, mapper);
            };
            self.next += 1;
            let require_grad = tensor.is_require_grad();
            let mut fresh = Tensor::from_inner(flat.clone().reshape(tensor.shape()));
            if require_grad {
                fresh = fresh.require_grad();
            }
            Param::from_mapped_value(id, fresh, mapper)
        }
    }
    module.map(&mut Put { handles, next: 0 })
}

/// Replaces every float tensor of `module` with the values in `weights`, which must
/// have the same paths and shapes in the same order ([`check`]).
pub fn write<M: Module>(module: M, weights: &Weights) -> Result<M, String> {
    check(&shapes(&module), weights)?;
    Ok(paths::map(module, &mut Replace { weights, next: 0 }))
}

/// The path and shape of every float tensor of `module`, in the order of [`read`].
pub fn shapes<M: Module>(module: &M) -> Vec<(String, Vec<usize>)> {
    collect(module).into_iter().map(|f| (f.path, f.shape)).collect()
}

/// Checks saved values against a model's float tensors (`tables`: path and shape each,
/// as [`shapes`] gives them) before anything is changed: as many tensors, each with the
/// same path and shape and as many values. Model files and every engine's snapshot go
/// through it.
pub fn check(tables: &[(String, Vec<usize>)], saved: &Weights) -> Result<(), String> {
    if saved.tensors.len() != tables.len() {
        return Err(format!("the model has {} tensors, the weights {}", tables.len(), saved.tensors.len()));
    }
    for ((path, shape), saved) in tables.iter().zip(&saved.tensors) {
        let size: usize = shape.iter().product();
        if saved.path != *path || saved.shape != *shape || saved.values.len() != size {
            return Err(format!("{path} {shape:?} does not match the saved {} {:?}", saved.path, saved.shape));
        }
    }
    Ok(())
}

fn collect<M: Module>(module: &M) -> Vec<Found> {
    let mut found = Vec::new();
    paths::visit(module, &mut found);
    found
}

/// A float parameter: its path, id, shape and values flattened (a handle: nothing is
/// read until [`split`]).
struct Found {
    path: String,
    id: ParamId,
    shape: Vec<usize>,
    flat: Tensor<1>,
}

impl AtPath for Vec<Found> {
    fn float<const D: usize>(&mut self, path: &ParamPath, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let shape = tensor.dims().to_vec();
        let flat: Tensor<1> = tensor.inner().reshape([-1]);
        self.push(Found { path: path.dotted(), id: param.id, shape, flat });
    }
}

/// Puts each saved tensor in its place, in order ([`write`] has checked them).
struct Replace<'a> {
    weights: &'a Weights,
    next: usize,
}

impl MapAtPath for Replace<'_> {
    fn float<const D: usize>(&mut self, _path: &ParamPath, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(saved) = self.weights.tensors.get(self.next) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        self.next += 1;
        let require_grad = tensor.is_require_grad();
        let mut fresh =
            Tensor::<D>::from_data(TensorData::new(saved.values.clone(), saved.shape.clone()), &tensor.device());
        if require_grad {
            fresh = fresh.require_grad();
        }
        Param::from_mapped_value(id, fresh, mapper)
    }
}

/// The gradient of every parameter that has one, read in one device read (paths and
/// shapes as in [`read`]).
pub async fn read_grads<M: Module>(module: &M, grads: &burn::optim::GradientsParams) -> Result<Weights, ReadError> {
    struct Grads<'a> {
        grads: &'a burn::optim::GradientsParams,
        found: Vec<((String, Vec<usize>), Tensor<1>)>,
    }
    impl AtPath for Grads<'_> {
        fn float<const D: usize>(&mut self, path: &ParamPath, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let shape = g.dims().to_vec();
                self.found.push(((path.dotted(), shape), g.reshape([-1])));
            }
        }
    }
    let mut grads = Grads { grads, found: Vec::new() };
    paths::visit(module, &mut grads);
    split(grads.found).await
}

/// Reads flattened tensors in one read and cuts the values back apart.
pub(crate) async fn split(found: Vec<((String, Vec<usize>), Tensor<1>)>) -> Result<Weights, ReadError> {
    if found.is_empty() {
        return Ok(Weights::default());
    }
    let (meta, flats): (Vec<(String, Vec<usize>)>, Vec<Tensor<1>>) = found.into_iter().unzip();
    let values = read::floats(Tensor::cat(flats, 0)).await?;
    let mut offset = 0;
    let tensors = meta
        .into_iter()
        .map(|(path, shape)| {
            let n: usize = shape.iter().product();
            let values = values[offset..offset + n].to_vec();
            offset += n;
            NamedTensor { path, shape, values }
        })
        .collect();
    Ok(Weights { tensors })
}
