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

/// The largest buffer `device` can bind, in bytes: the device's own limit on a GPU (its
/// adapter's, which CubeCL asks for in full: often far above WebGPU's 128 MiB default),
/// `None` on the CPU (or in a build without the GPU step).
pub fn largest_buffer(device: &burn::tensor::Device) -> Option<u64> {
    #[cfg(feature = "gpu")]
    if let burn::backend::DispatchDevice::Cube(cubecl::Device::Wgpu(wgpu)) = device.clone().inner().as_dispatch() {
        use cubecl_runtime::runtime::Runtime;
        return Some(<cubecl::wgpu::WgpuRuntime>::client(wgpu).properties().memory.max_page_size);
    }
    let _ = device;
    None
}
