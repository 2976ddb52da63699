//! Choosing where the maths runs: WebGPU if the browser gives an adapter, else the CPU.

use burn::tensor::Device;
use wasm_bindgen::{JsCast, JsValue};

/// The chosen device and what to tell the visitor about it.
#[derive(Clone)]
pub struct Chosen {
    /// burn device (WebGPU or flex).
    pub device: Device,
    /// True on WebGPU.
    pub is_gpu: bool,
    /// "WebGPU: <adapter>" or "CPU (wasm): <reason>".
    pub label: String,
}

thread_local! {
    /// The WebGPU device once made: wgpu's runtime can be set up only once per page.
    static GPU: std::cell::RefCell<Option<Chosen>> = const { std::cell::RefCell::new(None) };
}

/// Picks WebGPU when possible, with `force_cpu` as the visitor's override.
pub async fn choose(force_cpu: bool) -> Chosen {
    if force_cpu {
        return cpu("you chose the CPU");
    }
    if let Some(gpu) = GPU.with(|g| g.borrow().clone()) {
        return gpu;
    }
    if !has_navigator_gpu() {
        return cpu("this browser has no WebGPU (navigator.gpu is missing)");
    }
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            // wgpu's info is often empty in browsers; GPUAdapterInfo says more.
            let info = setup.adapter.get_info();
            let name = match adapter_description().await {
                Some(name) => name,
                None if !info.name.is_empty() => info.name.clone(),
                None => "unnamed adapter".into(),
            };
            let chosen = Chosen { device, is_gpu: true, label: format!("WebGPU: {name} ({:?})", info.device_type) };
            GPU.with(|g| *g.borrow_mut() = Some(chosen.clone()));
            chosen
        }
        Err(error) if error.to_string().contains("no adapters") => {
            cpu("WebGPU is present but the browser offers no adapter (no usable GPU, or WebGPU is disabled)")
        }
        Err(error) => cpu(&format!("WebGPU could not start ({error})")),
    }
}

fn cpu(reason: &str) -> Chosen {
    Chosen { device: Device::flex(), is_gpu: false, label: format!("CPU (wasm): {reason}") }
}

/// `vendor architecture description` from the browser's GPUAdapterInfo, if any.
async fn adapter_description() -> Option<String> {
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let gpu = get(&web_sys::window()?.navigator(), "gpu")?;
    let request: js_sys::Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let info = get(&adapter, "info")?;
    let parts: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|key| get(&info, key)?.as_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn has_navigator_gpu() -> bool {
    let Some(window) = web_sys::window() else { return false };
    js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("gpu")).is_ok_and(|gpu| !gpu.is_undefined())
}
