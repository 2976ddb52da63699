//! `--device auto|cpu|webgpu`: where the CLI trains, named as the page names it. cpu is
//! burn's flex backend, the page's CPU path; webgpu is burn's wgpu backend, the same WGSL
//! kernels the page runs on WebGPU, natively (Vulkan, Metal or DX12), so the GPU path can
//! be timed on any machine with one; auto times both as the page's device race does and
//! trains on the faster.

use std::sync::Arc;

use burn::tensor::Device;
use collab_core::data::CollabData;
use collab_core::read::block_on;
use collab_core::settings::{DeviceChoice, Settings};
use collab_core::train::{RACE_STEPS, RACE_WARMUP, limits};

/// The backends the CLI runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Flex,
    Wgpu,
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

    /// The device `bench` fits on: wgpu when asked for, else flex (its per-batch
    /// figures time both either way).
    pub fn benched(choice: DeviceChoice) -> Self {
        if choice == DeviceChoice::WebGpu { Choice::Wgpu } else { Choice::Flex }
    }
}

/// Where `train` fits `settings` on `data`, and why, in words: as chosen, or for auto
/// the faster of flex and wgpu over a few batches. As on the page, a GPU that cannot be
/// had leaves the fit on the CPU, saying so.
pub fn place(choice: DeviceChoice, settings: &Settings, data: &Arc<CollabData>) -> (Choice, Device, String) {
    let flex = |why: String| (Choice::Flex, Device::flex(), why);
    let gpu = match choice {
        DeviceChoice::Cpu => return flex("as chosen".into()),
        _ => Choice::Wgpu.device(),
    };
    // Tables larger than the GPU's largest buffer train on the CPU, as the page's do.
    let holds = |gpu: &Device| limits::on_device(&settings.spec(data), gpu);
    let gpu = match (choice, gpu) {
        (DeviceChoice::WebGpu, Ok(gpu)) => match holds(&gpu) {
            Ok(()) => return (Choice::Wgpu, gpu, "as chosen".into()),
            Err(why) => return flex(format!("webgpu was chosen, but {why}")),
        },
        (DeviceChoice::WebGpu, Err(why)) => return flex(format!("webgpu was chosen, but {why}")),
        (_, Err(why)) => return flex(format!("the only device: {why}")),
        (_, Ok(gpu)) => match holds(&gpu) {
            Ok(()) => gpu,
            Err(why) => return flex(format!("wgpu cannot hold this model: {why}")),
        },
    };
    let time = |device: &Device| {
        let start = std::time::Instant::now();
        let now_ms = || start.elapsed().as_secs_f64() * 1000.0;
        let mut learner = settings.learner(data.clone(), device);
        block_on(learner.time_batches(RACE_WARMUP, RACE_STEPS, &now_ms)).map(|t| t.ms)
    };
    match (time(&Device::flex()), time(&gpu)) {
        (Ok(cpu), Ok(wgpu)) if wgpu < cpu => {
            (Choice::Wgpu, gpu, format!("the faster: {wgpu:.2} ms a batch, flex {cpu:.2}"))
        }
        (Ok(cpu), Ok(wgpu)) => flex(format!("the faster: {cpu:.2} ms a batch, wgpu {wgpu:.2}")),
        (_, Err(e)) => flex(format!("wgpu could not train ({e})")),
        (Err(e), Ok(_)) => (Choice::Wgpu, gpu, format!("flex could not train ({e})")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_choice_trains_where_the_page_would() {
        use collab_core::data::synth::{SynthSettings, generate};
        let table = generate(SynthSettings { users: 20, items: 12, density: 0.6, ..SynthSettings::default() });
        let settings = collab_core::settings::Texts::defaults().settings().unwrap();
        let data = Arc::new(settings.data(&table));
        assert_eq!(place(DeviceChoice::Cpu, &settings, &data).2, "as chosen");
        assert_eq!(Choice::benched(DeviceChoice::Auto), Choice::Flex);
        assert_eq!(Choice::benched(DeviceChoice::WebGpu), Choice::Wgpu);
        // Without the wgpu feature, asking for it says how to build it, and trains on flex.
        #[cfg(not(feature = "wgpu"))]
        {
            let (choice, _, why) = place(DeviceChoice::WebGpu, &settings, &data);
            assert_eq!(choice, Choice::Flex);
            assert!(why.contains("--features wgpu"), "{why}");
            assert_eq!(place(DeviceChoice::Auto, &settings, &data).0, Choice::Flex);
        }
    }
}
