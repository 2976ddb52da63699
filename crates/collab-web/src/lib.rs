//! The notebook page: a wasm front end over `collab-core`.
//!
//! It picks the device first (WebGPU when the browser offers an adapter, burn-flex on the
//! CPU otherwise, with the reason shown), then renders the page's cells, each computed by
//! the core crate on that device.

#[cfg(target_family = "wasm")]
mod app;
#[cfg(target_family = "wasm")]
mod bias_view;
#[cfg(target_family = "wasm")]
mod data_view;
#[cfg(target_family = "wasm")]
mod decay_view;
#[cfg(target_family = "wasm")]
mod device;
#[cfg(target_family = "wasm")]
mod dom;
#[cfg(target_family = "wasm")]
mod factors_view;
#[cfg(target_family = "wasm")]
mod hooks;
#[cfg(target_family = "wasm")]
mod learned_view;
#[cfg(target_family = "wasm")]
mod lookup_view;
#[cfg(target_family = "wasm")]
mod overfit_view;
#[cfg(target_family = "wasm")]
mod sheet_grid;
#[cfg(target_family = "wasm")]
mod sheet_view;
#[cfg(target_family = "wasm")]
mod train_view;
#[cfg(target_family = "wasm")]
mod url;

#[cfg(target_family = "wasm")]
use wasm_bindgen::prelude::*;

#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Entry point. cubecl registers start-up constructors (the `inventory` crate); unless an
/// export runs them once, wasm-ld wraps every export so that each call from JavaScript
/// re-runs them all, which made every call into wasm slow (see docs in shared/toolchain).
#[cfg(target_family = "wasm")]
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: called once, first, before any other Rust code runs.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        if let Err(message) = app::run().await {
            dom::show_fatal(&message);
        }
    });
}
