//! Where the maths runs. The page's own cells always compute on the CPU (burn-flex: small
//! tensors, where a GPU only adds dispatch and read-back time). A training worker runs on
//! WebGPU when it was started on the GPU module (crates/collab-gpu, this crate with its
//! `gpu` feature) and the browser gives it an adapter; on the CPU module it runs on the CPU.

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

/// The CPU, with the reason shown to the visitor.
pub fn cpu(reason: &str) -> Chosen {
    Chosen { device: Device::flex(), is_gpu: false, label: crate::state::cpu_label(reason) }
}

/// Where the page's own cells and a trained model's interpretation compute: always the
/// CPU (tiny tensors; on WebGPU each call would dispatch, read back, and compile shaders
/// on the page's thread).
pub fn page() -> Device {
    Device::flex()
}

/// The device of this module: WebGPU on the GPU module when an adapter is there, else the CPU.
pub async fn choose() -> Chosen {
    #[cfg(feature = "gpu")]
    return gpu::choose().await;
    #[cfg(not(feature = "gpu"))]
    cpu("burn-flex")
}

#[cfg(feature = "hooks")]
/// Destroys the WebGPU device, as a driver reset or an unplugged GPU would: every later
/// use of it fails. Only the browser tests call this (through the worker).
pub fn destroy_gpu() {
    #[cfg(feature = "gpu")]
    gpu::destroy();
}

/// Whether this browser can train on WebGPU, asked without the GPU module: the adapter's
/// description, or why there is none.
pub async fn adapter() -> Result<String, String> {
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let gpu = navigator()
        .and_then(|n| get(&n, "gpu"))
        .filter(|g| !g.is_undefined())
        .ok_or("this browser has no WebGPU (navigator.gpu is missing)")?;
    let no_adapter = "WebGPU is present but the browser offers no adapter (no usable GPU, or WebGPU is disabled)";
    let request: js_sys::Function = get(&gpu, "requestAdapter").and_then(|f| f.dyn_into().ok()).ok_or(no_adapter)?;
    let promise: js_sys::Promise = request.call0(&gpu).ok().and_then(|p| p.dyn_into().ok()).ok_or(no_adapter)?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|_| no_adapter)?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(no_adapter.into());
    }
    let info = get(&adapter, "info").unwrap_or(JsValue::UNDEFINED);
    let parts: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|key| get(&info, key)?.as_string())
        .filter(|s| !s.is_empty())
        .collect();
    Ok(if parts.is_empty() { "unnamed adapter".into() } else { parts.join(" ") })
}

/// `navigator` of the page or of the worker this runs in.
fn navigator() -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok().filter(|n| !n.is_undefined())
}

#[cfg(feature = "gpu")]
mod gpu {
    use burn::tensor::Device;

    use super::{Chosen, adapter, cpu};

    thread_local! {
        /// The WebGPU device once made: wgpu's runtime can be set up only once per worker.
        static GPU: std::cell::RefCell<Option<Chosen>> = const { std::cell::RefCell::new(None) };
        /// Destroys the WebGPU device (the test hook for a lost GPU).
        #[cfg(feature = "hooks")]
        static DESTROY: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
    }

    #[cfg(feature = "hooks")]
    pub fn destroy() {
        DESTROY.with(|d| {
            if let Some(destroy) = d.borrow().as_ref() {
                destroy();
            }
        });
    }

    /// WebGPU if the browser gives an adapter, else the CPU with the reason.
    pub async fn choose() -> Chosen {
        if let Some(gpu) = GPU.with(|g| g.borrow().clone()) {
            return gpu;
        }
        let name = match adapter().await {
            Ok(name) => name,
            Err(why) => return cpu(&why),
        };
        match Device::wgpu_options().init_with_setup_async().await {
            Ok((device, setup)) => {
                let info = setup.adapter.get_info();
                let chosen = Chosen { device, is_gpu: true, label: format!("WebGPU: {name} ({:?})", info.device_type) };
                GPU.with(|g| *g.borrow_mut() = Some(chosen.clone()));
                #[cfg(feature = "hooks")]
                let gpu = setup.device.clone();
                #[cfg(feature = "hooks")]
                DESTROY.with(|d| *d.borrow_mut() = Some(Box::new(move || gpu.destroy())));
                chosen
            }
            Err(error) => cpu(&format!("WebGPU could not start ({error})")),
        }
    }
}
