//! The page's side of training workers: starts one on the CPU module (the page's own,
//! already compiled) or on the GPU module (fetched and compiled once, when first wanted),
//! posts commands, and turns what comes back (or its death) into messages. A device race
//! (and a test's probe) runs each engine in a worker of its own that ends with it.

use std::cell::RefCell;

use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_util::StreamExt;
use gloo::events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::dom::{self, js_error};
use super::runtime::{Rt, WorkerLink, dispatch};
use super::worker::{from_js, to_js};
use crate::msg::Msg;
use crate::protocol::{Engine, FromWorker, ToWorker, TrainSettings};
use crate::state::Lap;
use collab_core::train::StepPath;

thread_local! {
    /// The GPU module's script URL and compiled module, once fetched.
    static GPU_MODULE: RefCell<Option<(String, JsValue)>> = const { RefCell::new(None) };
}

/// The URL of the page's wasm-bindgen glue, which Trunk names in a modulepreload link.
fn glue_url() -> Result<String, String> {
    let link = dom::document()?
        .query_selector("link[rel=modulepreload]")
        .map_err(js_error)?
        .ok_or("the page does not name its script (no modulepreload link)")?;
    link.dyn_into::<web_sys::HtmlLinkElement>().map(|l| l.href()).map_err(|_| "bad modulepreload link".into())
}

/// The GPU module's script URL, from `<meta name="collab-gpu-module">` (written by
/// scripts/post-build.mjs), made absolute.
fn gpu_glue_url() -> Result<String, String> {
    let document = dom::document()?;
    let meta = document
        .query_selector("meta[name=collab-gpu-module]")
        .map_err(js_error)?
        .and_then(|m| m.get_attribute("content"))
        .ok_or("this build has no WebGPU module (no collab-gpu-module in the page)")?;
    let base = document.base_uri().map_err(js_error)?.unwrap_or_default();
    web_sys::Url::new_with_base(&meta, &base).map(|u| u.href()).map_err(js_error)
}

/// The GPU module (script URL, compiled module): fetched and compiled on first use, kept
/// for every later worker.
async fn gpu_module() -> Result<(String, JsValue), String> {
    if let Some(kept) = GPU_MODULE.with(|m| m.borrow().clone()) {
        return Ok(kept);
    }
    let glue = gpu_glue_url()?;
    let wasm = glue.strip_suffix(".js").map(|stem| format!("{stem}_bg.wasm")).ok_or("odd GPU module name")?;
    let window = web_sys::window().ok_or("no window")?;
    let response = window.fetch_with_str(&wasm);
    let module = JsFuture::from(js_sys::WebAssembly::compile_streaming(&response)).await.map_err(js_error)?;
    let kept = (glue, module);
    GPU_MODULE.with(|m| *m.borrow_mut() = Some(kept.clone()));
    Ok(kept)
}

/// Starts a worker on `engine` whose messages go to `on_message` and whose death (or a
/// GPU module that cannot be loaded) goes to `on_death`. Commands may be posted at once:
/// the worker keeps them until its module runs.
fn spawn(
    engine: Engine,
    on_message: impl Fn(Result<FromWorker, String>) + 'static,
    on_death: impl Fn(String) + Clone + 'static,
) -> Result<WorkerLink, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options("./worker.js", &options).map_err(js_error)?;
    let listen = EventListener::new(&worker, "message", move |event| {
        if let Some(event) = event.dyn_ref::<MessageEvent>() {
            on_message(from_js::<FromWorker>(event.data()));
        }
    });
    let died = on_death.clone();
    let on_error = EventListener::new_with_options(
        &worker,
        "error",
        gloo::events::EventListenerOptions::enable_prevent_default(),
        move |event| {
            event.prevent_default();
            died(event.dyn_ref::<ErrorEvent>().map(|e| e.message()).unwrap_or_default());
        },
    );
    let boot = |glue: String, module: JsValue| -> Result<JsValue, String> {
        let inner = js_sys::Object::new();
        js_sys::Reflect::set(&inner, &"glue".into(), &glue.into()).map_err(js_error)?;
        js_sys::Reflect::set(&inner, &"module".into(), &module).map_err(js_error)?;
        let outer = js_sys::Object::new();
        js_sys::Reflect::set(&outer, &"collabBoot".into(), &inner).map_err(js_error)?;
        Ok(outer.into())
    };
    match engine {
        // The page's own module travels compiled: the worker does not compile it again.
        Engine::Cpu => worker.post_message(&boot(glue_url()?, wasm_bindgen::module())?).map_err(js_error)?,
        Engine::WebGpu => {
            let worker = worker.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let booted = async {
                    let (glue, module) = gpu_module().await?;
                    worker.post_message(&boot(glue, module)?).map_err(js_error)
                };
                if let Err(e) = booted.await {
                    on_death(format!("the WebGPU module could not be loaded ({e})"));
                }
            });
        }
    }
    Ok(WorkerLink { worker, _listeners: [listen, on_error] })
}

/// Starts the training worker on `engine`, ending any earlier one, and sends it the
/// packed ratings.
pub fn start(rt: &Rt, engine: Engine, table: Vec<u8>) -> Result<(), String> {
    rt.worker.borrow_mut().take();
    let (on_rt, died_rt) = (rt.clone(), rt.clone());
    let link = spawn(
        engine,
        move |message| {
            let msg = match message {
                Ok(message) => Msg::Worker(message),
                Err(e) => Msg::WorkerGarbled(e),
            };
            dispatch(&on_rt, msg);
        },
        move |what| dispatch(&died_rt, Msg::WorkerDied(what)),
    )?;
    *rt.worker.borrow_mut() = Some(link);
    post(rt, &ToWorker::Init)?;
    post(rt, &ToWorker::Data { table })
}

/// Posts a command to the training worker.
pub fn post(rt: &Rt, message: &ToWorker) -> Result<(), String> {
    match rt.worker.borrow().as_ref() {
        Some(link) => send(link, message),
        None => Err("the training worker is not running".into()),
    }
}

fn send(link: &WorkerLink, message: &ToWorker) -> Result<(), String> {
    to_js(message).and_then(|v| link.worker.post_message(&v).map_err(js_error))
}

/// Times `settings` along `path` on `engine` in a worker of its own, which ends with
/// the race.
pub async fn race(engine: Engine, table: Vec<u8>, settings: TrainSettings, path: StepPath) -> Result<Lap, String> {
    let (device, times) = ask(engine, table, ToWorker::Race { settings, path }, |answer| match answer {
        FromWorker::Raced { times } => Some(times),
        _ => None,
    })
    .await?;
    let (label, is_gpu) = device;
    Ok(Lap { ms: times.ms, queue_ms: times.queue_ms, label, is_gpu })
}

#[cfg(feature = "hooks")]
/// What a probe of one engine gave: its device, how its steps ran, each batch's loss and
/// every weight after them.
pub struct Probe {
    pub device: String,
    pub step_kind: String,
    pub losses: Vec<f32>,
    pub weights: Vec<f32>,
}

#[cfg(feature = "hooks")]
/// Takes `steps` batches of a fresh fit with `settings` on `engine`, in a worker of its
/// own (a test hook).
pub async fn probe(engine: Engine, table: Vec<u8>, settings: TrainSettings, steps: usize) -> Result<Probe, String> {
    let ((device, _), probe) = ask(engine, table, ToWorker::Probe { settings, steps }, |answer| match answer {
        FromWorker::Probed { step_kind, losses, weights } => Some((step_kind, losses, weights)),
        _ => None,
    })
    .await?;
    let (step_kind, losses, weights) = probe;
    Ok(Probe { device, step_kind, losses, weights })
}

/// Starts a worker of its own on `engine`, gives it `table`, posts `command`, and waits
/// for the answer `pick` takes; the worker ends with it. Returns the worker's device
/// (label, whether a GPU) with the answer.
async fn ask<T>(
    engine: Engine,
    table: Vec<u8>,
    command: ToWorker,
    pick: impl Fn(FromWorker) -> Option<T>,
) -> Result<((String, bool), T), String> {
    let (sender, mut answers) = unbounded::<Result<FromWorker, String>>();
    let tell = |sender: &UnboundedSender<_>, answer| {
        let _ = sender.unbounded_send(answer);
    };
    let (to_message, to_death) = (sender.clone(), sender);
    let link = spawn(
        engine,
        move |message| tell(&to_message, message),
        move |what| tell(&to_death, Err(format!("its worker stopped ({what})"))),
    )?;
    for command in [ToWorker::Init, ToWorker::Data { table }, command] {
        send(&link, &command)?;
    }
    let mut device = None;
    while let Some(answer) = answers.next().await {
        match answer? {
            FromWorker::Ready { label, is_gpu } => device = Some((label, is_gpu)),
            FromWorker::Failed { message, .. } => return Err(message),
            answer => {
                if let Some(answer) = pick(answer) {
                    return Ok((device.ok_or("the worker answered before naming its device")?, answer));
                }
            }
        }
    }
    Err("the worker went quiet".into())
}
