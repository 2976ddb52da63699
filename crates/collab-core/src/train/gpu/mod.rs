//! The dot-product models' training step on a GPU, as two CubeCL kernels run through
//! burn (with the `gpu` feature; the page's GPU module and the CLI's `wgpu` turn it on).

#[cfg(feature = "gpu")]
mod dot;
#[cfg(feature = "gpu")]
mod kernels;
#[cfg(feature = "gpu")]
mod op;
#[cfg_attr(not(feature = "gpu"), allow(dead_code))]
mod pack;

#[cfg(feature = "gpu")]
pub(super) use dot::{GpuDot, runs_on};
