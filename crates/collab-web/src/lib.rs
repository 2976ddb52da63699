//! The notebook page: a wasm front end over `collab-core`.
//!
//! It picks the device first (WebGPU when the browser offers an adapter, burn-flex on the
//! CPU otherwise, with the reason shown), then renders the page's cells, each computed by
//! the core crate on that device. The same module also runs in a Web Worker, where it
//! trains (see `worker.rs`), so that training never holds up the page.
//!
//! The crate is browser-only: natively it compiles to nothing.
#![cfg(target_family = "wasm")]

mod app;
mod bias_view;
mod data_view;
mod decay_view;
mod device;
mod dom;
mod factors_view;
mod hooks;
mod learned_view;
mod lookup_view;
mod overfit_view;
mod protocol;
mod sheet_grid;
mod sheet_view;
mod train_view;
mod trainer;
mod url;
mod worker;

use wasm_bindgen::prelude::*;

unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Entry point. cubecl registers start-up constructors (the `inventory` crate); unless an
/// export runs them once, wasm-ld wraps every export so that each call from JavaScript
/// re-runs them all, which made every call into wasm slow (see docs in shared/toolchain).
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: called once, first, before any other Rust code runs.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    if web_sys::window().is_none() {
        return worker::serve();
    }
    wasm_bindgen_futures::spawn_local(async {
        if let Err(message) = app::run().await {
            dom::show_fatal(&message);
        }
    });
}
