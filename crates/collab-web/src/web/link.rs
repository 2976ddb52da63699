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
use web_sys::{Blob, ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::dom::{self, js_error};
use super::runtime::{Rt, WorkerLink, dispatch};
use super::worker::{open, seal, to_js};
use crate::msg::{DataMsg, LearnedMsg, Msg};
use crate::protocol::{Engine, FromWorker, ToWorker, TrainSettings, pack_table};
use crate::state::{DataRef, Lap, SavedModel, demo_table};
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
    on_message: impl Fn(Result<(FromWorker, Vec<Blob>), String>) + 'static,
    on_death: impl Fn(String) + Clone + 'static,
) -> Result<WorkerLink, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options("./worker.js", &options).map_err(js_error)?;
    let listen = EventListener::new(&worker, "message", move |event| {
        if let Some(event) = event.dyn_ref::<MessageEvent>() {
            on_message(open::<FromWorker>(event.data()));
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

/// The ratings a new worker is given: packed (the demo table, a test's), or the files of
/// a load, which it reads itself.
#[derive(Clone)]
pub enum Payload {
    Packed(Vec<u8>),
    Files(u64, Vec<(String, Blob)>),
}

/// The ratings of `data` for a new worker.
pub fn payload(rt: &Rt, data: DataRef) -> Result<Payload, String> {
    match data {
        DataRef::Demo => Ok(Payload::Packed(pack_table(&demo_table()))),
        DataRef::Files(id) => rt
            .files
            .borrow()
            .get(&id)
            .map(|files| Payload::Files(id, files.clone()))
            .ok_or_else(|| "the page no longer holds the loaded files".into()),
    }
}

/// Gives `link`'s worker its ratings: a [`ToWorker::Load`] posts the files' handles
/// beside the command ([`seal`]).
fn give(link: &WorkerLink, payload: Payload) -> Result<(), String> {
    match payload {
        Payload::Packed(table) => send(link, &ToWorker::Data { table }),
        Payload::Files(id, files) => {
            let names = files.iter().map(|f| f.0.clone()).collect();
            let blobs: Vec<Blob> = files.into_iter().map(|f| f.1).collect();
            link.worker.post_message(&seal(&ToWorker::Load { id, names }, &blobs)?).map_err(js_error)
        }
    }
}

/// A training worker on `engine` whose messages go to `update`: as a load's
/// ([`DataMsg::Loader`]) while it is the page's loader for `load`, as the training
/// worker's once it is adopted.
fn spawn_for_page(rt: &Rt, engine: Engine, load: Option<u64>) -> Result<WorkerLink, String> {
    let loading = move |rt: &Rt| load.filter(|id| rt.loader.borrow().as_ref().is_some_and(|(l, _)| l == id));
    let (on_rt, died_rt) = (rt.clone(), rt.clone());
    spawn(
        engine,
        move |message| {
            let message = message.map(|(message, blobs)| keep_handles(&on_rt, message, blobs));
            let msg = match (loading(&on_rt), message) {
                (Some(id), Ok(msg)) => Msg::Data(DataMsg::Loader { id, msg }),
                (Some(id), Err(e)) => Msg::Data(DataMsg::LoaderDied { id, what: e }),
                (None, Ok(message)) => Msg::Worker(message),
                (None, Err(e)) => Msg::WorkerGarbled(e),
            };
            dispatch(&on_rt, msg);
        },
        move |what| {
            let msg = match loading(&died_rt) {
                Some(id) => Msg::Data(DataMsg::LoaderDied { id, what }),
                None => Msg::WorkerDied(what),
            };
            dispatch(&died_rt, msg)
        },
    )
}

/// Keeps the `Blob` that comes beside a message of the training worker: a finished
/// fit's saved model ([`FromWorker::Trained`], for Save) as [`SavedModel::Fit`] of its
/// run, a snapshot ([`FromWorker::Snapshot`]) as its slot's last.
fn keep_handles(rt: &Rt, message: FromWorker, blobs: Vec<Blob>) -> FromWorker {
    match (&message, blobs.into_iter().next()) {
        (FromWorker::Trained { run, .. }, Some(blob)) => {
            rt.models.borrow_mut().insert(SavedModel::Fit(*run), blob);
        }
        (FromWorker::Snapshot { slot, run, .. }, Some(blob)) => {
            rt.snapshots.borrow_mut().insert(*slot, (*run, blob));
        }
        _ => {}
    }
    message
}

/// Starts the training worker on `engine`, ending any earlier one, and gives it `data`.
pub fn start(rt: &Rt, engine: Engine, data: DataRef) -> Result<(), String> {
    rt.worker.borrow_mut().take();
    let payload = payload(rt, data)?;
    let link = spawn_for_page(rt, engine, None)?;
    send(&link, &ToWorker::Init)?;
    give(&link, payload)?;
    *rt.worker.borrow_mut() = Some(link);
    Ok(())
}

/// Starts a worker on `engine` that reads the files of load `id` (ending any other
/// load's); the training worker goes on meanwhile.
pub fn start_loader(rt: &Rt, id: u64, engine: Engine) -> Result<(), String> {
    let payload = payload(rt, DataRef::Files(id))?;
    let link = spawn_for_page(rt, engine, Some(id))?;
    // Its messages are the load's from here on (a message cannot arrive before this returns).
    let old = rt.loader.borrow_mut().replace((id, link));
    drop(old);
    let loader = rt.loader.borrow();
    let link = &loader.as_ref().expect("just set").1;
    send(link, &ToWorker::Init)?;
    give(link, payload)
}

/// The worker that loaded `id` becomes the training worker (the old one ends); the
/// files of load `forget` are let go.
pub fn adopt(rt: &Rt, id: u64, forget: Option<u64>) {
    let taken = rt.loader.borrow_mut().take_if(|(l, _)| *l == id);
    if let Some((_, link)) = taken {
        let old = rt.worker.borrow_mut().replace(link);
        drop(old);
    }
    if let Some(old) = forget {
        rt.files.borrow_mut().remove(&old);
    }
}

/// Ends the worker loading `id`, if it still runs, and lets its files go.
pub fn end_loader(rt: &Rt, id: u64) {
    let taken = rt.loader.borrow_mut().take_if(|(l, _)| *l == id);
    drop(taken);
    rt.files.borrow_mut().remove(&id);
}

/// Posts a command to the training worker.
pub fn post(rt: &Rt, message: &ToWorker) -> Result<(), String> {
    match rt.worker.borrow().as_ref() {
        Some(link) => send(link, message),
        None => Err("the training worker is not running".into()),
    }
}

/// Posts [`ToWorker::Restore`] to the training worker with the snapshot the page keeps
/// of that fit beside it.
pub fn restore(rt: &Rt, message: &ToWorker) -> Result<(), String> {
    let ToWorker::Restore { slot, run, .. } = message else { return Err("not a restore".into()) };
    let kept = rt.snapshots.borrow().get(slot).filter(|(r, _)| r == run).map(|(_, blob)| blob.clone());
    let blob = kept.ok_or("the page no longer holds that fit's snapshot")?;
    match rt.worker.borrow().as_ref() {
        Some(link) => link.worker.post_message(&seal(message, &[blob])?).map_err(js_error),
        None => Err("the training worker is not running".into()),
    }
}

fn send(link: &WorkerLink, message: &ToWorker) -> Result<(), String> {
    to_js(message).and_then(|v| link.worker.post_message(&v).map_err(js_error))
}

/// Times `settings` along `path` on `engine` in a worker of its own, which ends with
/// the race.
pub async fn race(engine: Engine, data: Payload, settings: TrainSettings, path: StepPath) -> Result<Lap, String> {
    let (device, times) = ask(engine, Some(data), ToWorker::Race { settings, path }, |answer| match answer {
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
    let ((device, _), probe) =
        ask(engine, Some(Payload::Packed(table)), ToWorker::Probe { settings, steps }, |answer| match answer {
            FromWorker::Probed { step_kind, losses, weights } => Some((step_kind, losses, weights)),
            _ => None,
        })
        .await?;
    let (step_kind, losses, weights) = probe;
    Ok(Probe { device, step_kind, losses, weights })
}

/// Reads, checks and reads for sections 9 and 10 ([`crate::reading`]) the saved model
/// `file` of load `id` (the file `source`, kept as `saved`), in a CPU worker of its own:
/// the file's bytes go from the browser to that worker, and the page's thread only
/// unpacks what comes back ([`LearnedMsg::Loaded`]). The worker then stays, holding the
/// model's users, and answers for one at a time ([`ToWorker::User`]) until the page lets
/// go of the model ([`forget_model`]).
pub fn start_reader(rt: &Rt, id: u64, source: String, saved: SavedModel, file: Blob) -> Result<(), String> {
    let (on_rt, died_rt) = (rt.clone(), rt.clone());
    let died_source = source.clone();
    // Anything but the answers: its device (`Ready`) is of no interest here.
    let on_message = move |message: Result<(FromWorker, Vec<Blob>), String>| {
        let msg = match message.map(|m| m.0) {
            Ok(FromWorker::ModelRead { result }) => {
                LearnedMsg::Loaded { id, source: source.clone(), saved, result: (*result).map(Box::new) }
            }
            Ok(FromWorker::User { saved, user, result }) => LearnedMsg::User { saved, user, result },
            Ok(FromWorker::Failed { message, .. }) | Err(message) => {
                LearnedMsg::Loaded { id, source: source.clone(), saved, result: Err(message) }
            }
            Ok(_) => return,
        };
        dispatch(&on_rt, Msg::Learned(msg));
    };
    let on_death = move |what: String| {
        let result = Err(format!("its worker stopped ({what})"));
        dispatch(&died_rt, Msg::Learned(LearnedMsg::Loaded { id, source: died_source.clone(), saved, result }));
    };
    let link = spawn(Engine::Cpu, on_message, on_death)?;
    send(&link, &ToWorker::Init)?;
    link.worker.post_message(&seal(&ToWorker::ReadModel { saved }, &[file])?).map_err(js_error)?;
    rt.readers.borrow_mut().insert(saved, link);
    Ok(())
}

/// Asks the worker that read the model kept as `saved` for `user`: the training worker
/// for a fit's model, the file's own reader for a file's.
pub fn ask_user(rt: &Rt, saved: SavedModel, user: String) -> Result<(), String> {
    let message = ToWorker::User { saved, user };
    match saved {
        SavedModel::Fit(_) => post(rt, &message),
        SavedModel::File(_) => match rt.readers.borrow().get(&saved) {
            Some(link) => send(link, &message),
            None => Err("the worker that read this model has stopped: load the model again".into()),
        },
    }
}

/// Lets go of the saved model `saved`: its file's handle, and the worker that read it if
/// it was a file's (which ends), or its users in the training worker if a fit's.
pub fn forget_model(rt: &Rt, saved: SavedModel) {
    rt.models.borrow_mut().remove(&saved);
    let reader = rt.readers.borrow_mut().remove(&saved);
    drop(reader);
    // A fit's users are in the training worker (if it still runs; nothing to say if not).
    if let SavedModel::Fit(_) = saved {
        let _ = post(rt, &ToWorker::Forget { saved });
    }
}

/// Starts a worker of its own on `engine`, gives it `data` (if any), posts `command`, and
/// waits for the answer `pick` takes; the worker ends with it. Returns the worker's device
/// (label, whether a GPU) with the answer.
async fn ask<T>(
    engine: Engine,
    data: Option<Payload>,
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
        move |message: Result<(FromWorker, Vec<Blob>), String>| tell(&to_message, message.map(|m| m.0)),
        move |what| tell(&to_death, Err(format!("its worker stopped ({what})"))),
    )?;
    send(&link, &ToWorker::Init)?;
    if let Some(data) = data {
        give(&link, data)?;
    }
    send(&link, &command)?;
    let mut device = None;
    while let Some(answer) = answers.next().await {
        match answer? {
            FromWorker::Ready { label, is_gpu } => device = Some((label, is_gpu)),
            FromWorker::Failed { message, .. } | FromWorker::LoadFailed { message, .. } => return Err(message),
            answer => {
                if let Some(answer) = pick(answer) {
                    return Ok((device.ok_or("the worker answered before naming its device")?, answer));
                }
            }
        }
    }
    Err("the worker went quiet".into())
}
