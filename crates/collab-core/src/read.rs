//! Reading tensors back to the host without blocking.
//!
//! On WebGPU in the browser a synchronous read panics, so everything the crate reads
//! goes through these async functions; natively, [`block_on`] (pollster's) runs them
//! to the end.

use burn::tensor::Tensor;

/// A device read that failed (the WebGPU device was lost, for example).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("reading from the device failed: {0}")]
pub struct ReadError(pub String);

/// The values of a float tensor, flattened.
pub async fn floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, ReadError> {
    let data = tensor.into_data_async().await.map_err(|e| ReadError(format!("{e:?}")))?;
    data.convert::<f32>().try_into_vec::<f32>().map_err(|e| ReadError(format!("{e:?}")))
}

/// Runs a future to completion on this thread (native use only: CLI, tests).
#[cfg(not(target_family = "wasm"))]
pub use pollster::block_on;
