//! The page's side of the training worker: starts it on the page's own wasm module,
//! posts commands, and turns what comes back (or its death) into messages.

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::dom::{self, js_error};
use super::runtime::{Rt, WorkerLink, dispatch};
use super::worker::{from_js, to_js};
use crate::msg::Msg;
use crate::protocol::{FromWorker, ToWorker};

/// The URL of the page's wasm-bindgen glue, which Trunk names in a modulepreload link.
fn glue_url() -> Result<String, String> {
    let link = dom::document()?
        .query_selector("link[rel=modulepreload]")
        .map_err(js_error)?
        .ok_or("the page does not name its script (no modulepreload link)")?;
    link.dyn_into::<web_sys::HtmlLinkElement>().map(|l| l.href()).map_err(|_| "bad modulepreload link".into())
}

/// Starts a worker (on the CPU when `force_cpu`), ending any earlier one, and sends it
/// the packed ratings.
pub fn start(rt: &Rt, force_cpu: bool, table: Vec<u8>) -> Result<(), String> {
    rt.worker.borrow_mut().take();
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options("./worker.js", &options).map_err(js_error)?;
    let on_rt = rt.clone();
    let on_message = EventListener::new(&worker, "message", move |event| {
        let Some(event) = event.dyn_ref::<MessageEvent>() else { return };
        let msg = match from_js::<FromWorker>(event.data()) {
            Ok(message) => Msg::Worker(message),
            Err(e) => Msg::WorkerGarbled(e),
        };
        dispatch(&on_rt, msg);
    });
    let on_rt = rt.clone();
    let on_error = EventListener::new_with_options(
        &worker,
        "error",
        gloo::events::EventListenerOptions::enable_prevent_default(),
        move |event| {
            event.prevent_default();
            let what = event.dyn_ref::<ErrorEvent>().map(|e| e.message()).unwrap_or_default();
            dispatch(&on_rt, Msg::WorkerDied(what));
        },
    );
    // The compiled module travels as it is: the worker does not compile it again.
    let boot = js_sys::Object::new();
    js_sys::Reflect::set(&boot, &"glue".into(), &glue_url()?.into()).map_err(js_error)?;
    js_sys::Reflect::set(&boot, &"module".into(), &wasm_bindgen::module()).map_err(js_error)?;
    worker.post_message(&boot).map_err(js_error)?;
    *rt.worker.borrow_mut() = Some(WorkerLink { worker, _listeners: [on_message, on_error] });
    post(rt, &ToWorker::Init { force_cpu })?;
    post(rt, &ToWorker::Data { table })
}

/// Posts a command to the worker.
pub fn post(rt: &Rt, message: &ToWorker) -> Result<(), String> {
    match rt.worker.borrow().as_ref() {
        Some(link) => to_js(message).and_then(|v| link.worker.post_message(&v).map_err(js_error)),
        None => Err("the training worker is not running".into()),
    }
}
