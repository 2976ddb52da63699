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
    let mut sums = Vec::new();
    let index: Vec<usize> = (0..rows.len()).collect();
    for chunk in index.chunks(CHUNK) {
        let (users, items, ratings) = to_device(&rows.select(chunk), &device);
        sums.push((model.forward(users, items) - ratings).powi_scalar(2).sum());
    }
    let total: f64 = read::floats(Tensor::cat(sums, 0)).await?.iter().map(|&s| s as f64).sum();
    Ok(total / rows.len() as f64)
}

/// Ratings a forward pass of [`mse`] and [`predictions`] takes at once.
const CHUNK: usize = 8192;

/// The model's prediction of each rating of `rows`, in their order (fastai's
/// `learn.get_preds()` on them).
pub async fn predictions(model: &CollabModel, rows: &Encoded) -> Result<Vec<f32>, ReadError> {
    let device = model.item_factors().device();
    let mut out = Vec::with_capacity(rows.len());
    let index: Vec<usize> = (0..rows.len()).collect();
    for chunk in index.chunks(CHUNK) {
        let (users, items, _) = to_device(&rows.select(chunk), &device);
        out.extend(read::floats(model.forward(users, items)).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, ModelSpec};
    use crate::read::block_on;

    #[test]
    fn predictions_are_what_the_mse_is_taken_of() {
        // More ratings than one chunk, so that the chunks join in order.
        let n = CHUNK + 100;
        let rows = Encoded {
            users: (0..n).map(|r| (r % 7) as i32).collect(),
            items: (0..n).map(|r| (r % 9) as i32).collect(),
            ratings: (0..n).map(|r| (r % 5 + 1) as f32).collect(),
        };
        for kind in [ModelKind::DotProductBias, ModelKind::EmbeddingNn] {
            let spec = ModelSpec { kind, n_users: 7, n_items: 9, n_factors: 4, y_range: Some((0.0, 5.5)) };
            let model = spec.init(3, &Device::flex());
            let predicted = block_on(predictions(&model, &rows)).unwrap();
            assert_eq!(predicted.len(), n);
            let by_hand: f64 =
                predicted.iter().zip(&rows.ratings).map(|(&p, &r)| ((p - r) as f64).powi(2)).sum::<f64>() / n as f64;
            let mse = block_on(mse(&model, &rows)).unwrap();
            // The MSE sums each chunk in f32: agreement to f32 rounding.
            assert!((by_hand - mse).abs() < 1e-4, "{kind:?}: {by_hand} vs {mse}");
            // Rows of the same pair get the same prediction, wherever they fall.
            assert_eq!(predicted[0], predicted[63], "{kind:?}");
        }
    }
}
