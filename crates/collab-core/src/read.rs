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

/// The output of a future that is ready at its first poll, or `None`: a read of the
/// CPU's tensors is (their numbers are already on the host), which lets code that knows
/// it runs on the CPU read without an executor, in a browser too.
pub fn ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}
