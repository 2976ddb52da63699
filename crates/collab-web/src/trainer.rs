//! The page's side of the training worker: starts it on the page's own wasm module,
//! sends it commands, hands what comes back to the sections that asked, and when the
//! GPU under it is lost, starts a CPU worker that goes on from the last snapshot.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::app::{KeptSnapshot, Shared};
use crate::protocol::{FromWorker, Slot, ToWorker, from_js, pack_table, to_js};
use crate::{device, dom, overfit_view, train_view};

/// The worker and its listeners (dropping a listener would silence it).
struct Handle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

thread_local! {
    static WORKER: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// The URL of the page's wasm-bindgen glue, which Trunk names in a modulepreload link.
fn glue_url() -> Result<String, String> {
    let link = dom::document()?
        .query_selector("link[rel=modulepreload]")
        .map_err(dom::js_error)?
        .ok_or("the page does not name its script (no modulepreload link)")?;
    link.dyn_into::<web_sys::HtmlLinkElement>().map(|l| l.href()).map_err(|_| "bad modulepreload link".into())
}

/// Starts a worker (on the CPU when `force_cpu`) and sends it the loaded ratings.
pub fn start(app: &Shared, force_cpu: bool) -> Result<(), String> {
    stop();
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options("./worker.js", &options).map_err(dom::js_error)?;
    let a = app.clone();
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| match from_js::<FromWorker>(event.data()) {
            Ok(message) => dispatch(&a, message),
            Err(e) => train_view::show_message(&format!("a message from the training worker could not be read: {e}")),
        });
    let a = app.clone();
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
        event.prevent_default();
        worker_died(&a, &event.message());
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // The compiled module travels as it is: the worker does not compile it again.
    let boot = js_sys::Object::new();
    js_sys::Reflect::set(&boot, &"glue".into(), &glue_url()?.into()).map_err(dom::js_error)?;
    js_sys::Reflect::set(&boot, &"module".into(), &wasm_bindgen::module()).map_err(dom::js_error)?;
    worker.post_message(&boot).map_err(dom::js_error)?;
    WORKER.with(|w| *w.borrow_mut() = Some(Handle { worker, _on_message: on_message, _on_error: on_error }));
    app.borrow_mut().train.worker_ready = false;
    post(&ToWorker::Init { force_cpu });
    send_table(app);
    Ok(())
}

/// Ends the worker, if any.
fn stop() {
    if let Some(handle) = WORKER.with(|w| w.borrow_mut().take()) {
        handle.worker.terminate();
    }
}

/// Sends a command; a worker that cannot take it is reported like any failure.
pub fn post(message: &ToWorker) {
    let sent = WORKER.with(|w| match w.borrow().as_ref() {
        Some(handle) => to_js(message).and_then(|v| handle.worker.post_message(&v).map_err(dom::js_error)),
        None => Err("the training worker is not running".into()),
    });
    if let Err(e) = sent {
        train_view::show_message(&format!("Training could not be told: {e}"));
    }
}

/// Sends the loaded ratings (every learner in the worker starts over).
pub fn send_table(app: &Shared) {
    let table = pack_table(&app.borrow().table);
    post(&ToWorker::Data { table });
}

fn dispatch(app: &Shared, message: FromWorker) {
    match message {
        FromWorker::Ready { label, is_gpu } => {
            app.borrow_mut().train.worker_gpu = is_gpu;
            app.borrow_mut().train.worker_ready = true;
            let _ = dom::set_text("train-device", &label);
        }
        FromWorker::Split { slot: Slot::Train, counts } => {
            let _ = train_view::render_split(&counts);
        }
        FromWorker::Split { .. } => {}
        FromWorker::Progress { slot: Slot::Train, progress } => train_view::on_progress(app, &progress),
        FromWorker::Progress { slot, progress } => overfit_view::on_progress(app, slot, &progress),
        FromWorker::Batch { batch, .. } => {
            let _ = train_view::render_batch(&batch);
        }
        FromWorker::Snapshot { slot, bytes, points } => {
            if let Some(job) = app.borrow_mut().train.jobs.get_mut(&slot) {
                job.snapshot = Some(KeptSnapshot { bytes, points });
            }
        }
        FromWorker::Trained { model, train_users, train_items } => {
            train_view::on_trained(app, &model, &train_users, &train_items)
        }
        FromWorker::Note { slot: Slot::Train, message } => train_view::show_message(&message),
        FromWorker::Note { .. } => {}
        FromWorker::Failed { slot, message, device_lost } => failed(app, slot, message, device_lost),
    }
}

fn failed(app: &Shared, slot: Option<Slot>, message: String, device_lost: bool) {
    let on_gpu = app.borrow().train.worker_gpu;
    if device_lost && on_gpu {
        return move_to_cpu(app, &message);
    }
    match slot {
        Some(Slot::Without | Slot::With) => overfit_view::on_failed(app, &message),
        _ => train_view::on_failed(app, &message),
    }
}

/// An uncaught error ended the worker's wasm instance (a panic, or the GPU failing in a
/// way wgpu does not report as an error).
fn worker_died(app: &Shared, what: &str) {
    let (ready, on_gpu) = (app.borrow().train.worker_ready, app.borrow().train.worker_gpu);
    if on_gpu {
        return move_to_cpu(app, &format!("the training worker stopped: {what}"));
    }
    if !ready {
        stop();
        return train_view::on_failed(
            app,
            &format!("Training cannot run in this browser: its worker did not start ({what})"),
        );
    }
    // A CPU worker has nothing to fall back to: start a fresh one, and the fits over.
    app.borrow_mut().train.jobs.clear();
    let restarted = start(app, true).is_ok();
    train_view::on_failed(
        app,
        &format!(
            "The training worker stopped ({what}){}",
            if restarted { "; it was restarted: train again to start over" } else { "" }
        ),
    );
}

/// The GPU failed: the page and a new worker go on on the CPU, each fit from its last
/// completed step (or from the start, if it had none yet).
fn move_to_cpu(app: &Shared, why: &str) {
    // wgpu's errors run over several lines of causes; the first says enough.
    let why = why.lines().next().unwrap_or(why).trim();
    let chosen = device::cpu(&format!("the WebGPU device was lost ({why})"));
    let _ = dom::set_text("device", &chosen.label);
    let _ = dom::set_attr("device", "data-kind", "cpu");
    let jobs: Vec<_> = {
        let mut a = app.borrow_mut();
        a.device = chosen;
        a.train.worker_gpu = false;
        a.train.jobs.iter().map(|(slot, job)| (*slot, job.clone())).collect()
    };
    if let Err(e) = start(app, true) {
        return train_view::on_failed(app, &format!("the GPU was lost and the CPU worker could not start: {e}"));
    }
    let mut resumed_at = None;
    for (slot, job) in jobs {
        match job.snapshot {
            Some(KeptSnapshot { bytes, points }) => {
                if slot == Slot::Train {
                    resumed_at = Some(points.last().map_or(0, |p| p.0));
                }
                post(&ToWorker::Restore { slot, settings: job.settings, snapshot: bytes, points, run: job.running });
            }
            None if job.running => post(&ToWorker::Run { slot, settings: job.settings }),
            None => {}
        }
    }
    let place = resumed_at.map_or("from the start".to_string(), |s| format!("from step {s}, the last completed step"));
    train_view::show_message(&format!(
        "The GPU was lost ({why}). Training moved to the CPU and goes on {place}; the weights are kept."
    ));
}
