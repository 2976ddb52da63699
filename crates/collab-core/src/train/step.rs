//! What every engine's step shares: the phases a step reports as they end, a batch as
//! tensors, and a model's mean squared error. A leaf of the training layer: it imports
//! nothing else from `train`, so that the engines can be read without the learner.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::Encoded;
use crate::model::CollabModel;
use crate::read::{self, ReadError};

/// The parts of a training step, as an engine reports their ends (what the benchmark's
/// profile times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The batch to the device, predictions and loss.
    Forward,
    /// Gradients.
    Backward,
    /// The optimizer's update.
    Optimizer,
    /// Losses kept for the next read, counters, the next epoch's batches.
    Bookkeeping,
}

/// Index and rating tensors of a batch.
pub fn to_device(batch: &Encoded, device: &Device) -> (Tensor<1, Int>, Tensor<1, Int>, Tensor<1>) {
    let n = batch.len();
    let users = Tensor::from_data(TensorData::new(batch.users.clone(), [n]), device);
    let items = Tensor::from_data(TensorData::new(batch.items.clone(), [n]), device);
    let ratings = Tensor::from_data(TensorData::new(batch.ratings.clone(), [n]), device);
    (users, items, ratings)
}

/// Mean squared error of `model` on `rows`, computed in chunks, read once.
pub async fn mse(model: &CollabModel, rows: &Encoded) -> Result<f64, ReadError> {
    if rows.is_empty() {
        return Ok(f64::NAN);
    }
    let device = model.item_factors().device();
    const CHUNK: usize = 8192;
    let mut sums = Vec::new();
    let index: Vec<usize> = (0..rows.len()).collect();
    for chunk in index.chunks(CHUNK) {
        let (users, items, ratings) = to_device(&rows.select(chunk), &device);
        sums.push((model.forward(users, items) - ratings).powi_scalar(2).sum());
    }
    let total: f64 = read::floats(Tensor::cat(sums, 0)).await?.iter().map(|&s| s as f64).sum();
    Ok(total / rows.len() as f64)
}
