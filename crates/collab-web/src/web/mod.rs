//! Everything that touches the browser: the start-up, the runtime loop (message →
//! `update` → render → effects), the DOM, the page's device and the training worker.

mod device;
mod dom;
mod effects;
mod hooks;
mod link;
mod runtime;
mod url;
mod wire;
mod worker;

use wasm_bindgen::prelude::*;

unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Entry point. cubecl registers start-up constructors (the `inventory` crate); unless an
/// export runs them once, wasm-ld wraps every export so that each call from JavaScript
/// re-runs them all, which made every call into wasm slow.
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: called once, first, before any other Rust code runs.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    if web_sys::window().is_none() {
        return worker::serve();
    }
    wasm_bindgen_futures::spawn_local(async {
        if let Err(message) = runtime::start().await {
            dom::show_fatal(&message);
        }
    });
}
