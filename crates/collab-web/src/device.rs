//! Choosing where the maths runs: WebGPU if the browser gives an adapter, else the CPU.

use burn::tensor::Device;
use wasm_bindgen::JsValue;

/// The chosen device and what to tell the visitor about it.
pub struct Chosen {
    /// burn device (WebGPU or flex).
    pub device: Device,
    /// True on WebGPU.
    pub is_gpu: bool,
    /// "WebGPU: <adapter>" or "CPU (wasm): <reason>".
    pub label: String,
}

/// Picks WebGPU when possible, with `force_cpu` as the visitor's override.
pub async fn choose(force_cpu: bool) -> Chosen {
    if force_cpu {
        return cpu("you chose the CPU");
    }
    if !has_navigator_gpu() {
        return cpu("this browser has no WebGPU (navigator.gpu is missing)");
    }
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let name = [info.name.as_str(), info.driver.as_str(), info.driver_info.as_str()]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or("unnamed adapter")
                .to_string();
            Chosen { device, is_gpu: true, label: format!("WebGPU: {name} ({:?})", info.device_type) }
        }
        Err(error) => cpu(&format!("WebGPU has no usable adapter ({error})")),
    }
}

fn cpu(reason: &str) -> Chosen {
    Chosen { device: Device::flex(), is_gpu: false, label: format!("CPU (wasm): {reason}") }
}

fn has_navigator_gpu() -> bool {
    let Some(window) = web_sys::window() else { return false };
    js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("gpu")).is_ok_and(|gpu| !gpu.is_undefined())
}
