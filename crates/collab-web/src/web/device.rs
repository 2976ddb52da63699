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
    /// Destroys the WebGPU device (the test hook for a lost GPU).
    static DESTROY: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
}

/// Destroys the WebGPU device, as a driver reset or an unplugged GPU would: every
/// later use of it fails. Only the browser tests call this (through the worker).
pub fn destroy_gpu() {
    DESTROY.with(|d| {
        if let Some(destroy) = d.borrow().as_ref() {
            destroy();
        }
    });
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
            let gpu = setup.device.clone();
            DESTROY.with(|d| *d.borrow_mut() = Some(Box::new(move || gpu.destroy())));
            chosen
        }
        Err(error) if error.to_string().contains("no adapters") => {
            cpu("WebGPU is present but the browser offers no adapter (no usable GPU, or WebGPU is disabled)")
        }
        Err(error) => cpu(&format!("WebGPU could not start ({error})")),
    }
}

/// The CPU, with the reason shown to the visitor.
pub fn cpu(reason: &str) -> Chosen {
    Chosen { device: Device::flex(), is_gpu: false, label: crate::state::cpu_label(reason) }
}

/// `vendor architecture description` from the browser's GPUAdapterInfo, if any.
async fn adapter_description() -> Option<String> {
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let gpu = get(&navigator()?, "gpu")?;
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
    let Some(navigator) = navigator() else { return false };
    js_sys::Reflect::get(&navigator, &JsValue::from_str("gpu")).is_ok_and(|gpu| !gpu.is_undefined())
}

/// `navigator` of the page or of the worker this runs in.
fn navigator() -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok().filter(|n| !n.is_undefined())
}
