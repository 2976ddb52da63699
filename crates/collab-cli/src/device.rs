//! `--device flex|wgpu`: where the CLI trains. flex is burn's CPU backend, the page's CPU
//! path; wgpu runs the same WGSL kernels as the page's WebGPU path, natively, so the GPU
//! path can be timed on any machine with Vulkan, Metal or DX12.

use burn::tensor::Device;

/// The devices `--device` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Flex,
    Wgpu,
}

impl std::str::FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flex" | "cpu" => Ok(Choice::Flex),
            "wgpu" | "gpu" => Ok(Choice::Wgpu),
            other => Err(format!("--device: '{other}' is not a device (flex or wgpu)")),
        }
    }
}

impl Choice {
    pub fn name(self) -> &'static str {
        match self {
            Choice::Flex => "flex",
            Choice::Wgpu => "wgpu",
        }
    }

    /// The burn device, or why it cannot be had here.
    pub fn device(self) -> Result<Device, String> {
        match self {
            Choice::Flex => Ok(Device::flex()),
            Choice::Wgpu => wgpu(),
        }
    }
}

#[cfg(feature = "wgpu")]
fn wgpu() -> Result<Device, String> {
    Device::wgpu_options().init().map_err(|e| format!("wgpu could not start on this machine ({e})"))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu() -> Result<Device, String> {
    Err("this collab was built without wgpu (cargo build --release -p collab-cli --features wgpu)".into())
}
