//! Everything that touches the browser: the start-up, the runtime loop (message →
//! `update` → render → effects), the DOM, the page's device and the training worker.

mod blob;
mod device;
mod dom;
mod effects;
#[cfg(feature = "hooks")]
mod hooks;
mod kept;
mod link;
mod runtime;
mod url;
mod wire;
mod worker;

use collab_core::sheet::SheetSettings;
use wasm_bindgen::prelude::*;

use crate::fields::{TRAIN_CONTROLS, TrainControls};
use crate::msg::Msg;
use crate::sections;
use crate::state::{App, DeviceState};

unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Entry point. cubecl registers start-up constructors (the `inventory` crate); unless an
/// export runs them once, wasm-ld wraps every export so that each call from JavaScript
/// re-runs them all, which made every call into wasm slow.
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: called once, first, before any other Rust code runs (in both modules; the
    // GPU module's constructors are cubecl's).
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    if web_sys::window().is_none() {
        return worker::serve();
    }
    wasm_bindgen_futures::spawn_local(async {
        if let Err(message) = run().await {
            dom::show_fatal(&message);
        }
    });
}

/// Looks up every element (a missing one stops the page with its name), wires the
/// sections and sends the first messages; then asks the browser whether it has WebGPU
/// (without loading the GPU module: that happens only when training wants it).
async fn run() -> Result<(), String> {
    // Section 2's inputs are drawn once, before the elements are looked up.
    dom::set_html_by_id("factors-table", &sections::factors::table_html())?;
    let page = dom::Page::new(&sections::ids())?;
    url::apply_to_controls(&page, &crate::fields::SHEET_CONTROLS)?;
    // Section 8's controls as the page holds them; the link's values follow as a message,
    // through the checks typed ones take.
    let controls = TrainControls(TRAIN_CONTROLS.map(|(id, _)| page.value(id).unwrap_or_default()));
    let device_state = DeviceState { label: "CPU (wasm, burn-flex)".into(), gpu: None };
    let app = App::new(device_state, controls, SheetSettings::default());
    let rt = runtime::new(app, page, effects::run);
    wire::all(&rt);
    runtime::dispatch(&rt, Msg::Start(wire::sheet::controls(&rt)));
    let given = url::values(TRAIN_CONTROLS.map(|(_, key)| key.name()));
    runtime::dispatch(&rt, Msg::Train(crate::msg::TrainMsg::Link(given)));
    // A link made after an edit of the spreadsheet opens on its numbers.
    if let Some(numbers) = url::get(crate::fields::SHEET_NUMBERS).filter(|n| !n.is_empty()) {
        runtime::dispatch(&rt, Msg::Sheet(crate::msg::SheetMsg::Numbers(numbers)));
    }
    // A link made after loading the served MovieLens copy opens on it.
    if url::get(crate::fields::DATA_KEY).as_deref() == Some(crate::fields::SERVED) {
        runtime::dispatch(&rt, Msg::Data(crate::msg::DataMsg::FetchServed));
    }
    let adapter = device::adapter().await;
    runtime::dispatch(&rt, Msg::Adapter(adapter));
    Ok(())
}
