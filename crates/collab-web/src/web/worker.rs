//! The training worker: the page's own CPU module, or the GPU module (crates/collab-gpu),
//! started in a Web Worker by `web/worker.js`. It owns every fit, one state per slot (empty, paused or running),
//! and one task does everything in order: it takes the messages that arrived, then
//! trains one slice of a running fit (so that Pause, Step and Reset are heard between
//! slices), then yields, or sleeps until the next message when nothing runs. On WebGPU
//! it posts a snapshot after every slice: if the GPU is lost, the page restarts
//! training on the CPU from the last completed step.

use std::collections::HashMap;
use std::sync::Arc;

use burn::module::Module;
use collab_core::data::budget::Budget;
use collab_core::data::{CollabData, RatingsTable};
use collab_core::interpret::{Tables, map_points, most_rated};
use collab_core::rated::{RatedBy, item_counts};
use collab_core::read;
use collab_core::residuals::Residuals;
use collab_core::save::save;
use collab_core::train::{BatchTimes, BatchTrace, Learner, Snapshot, StepPath, TrainError, limits, predictions};
use collab_core::weights;
use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use futures_util::StreamExt;
use gloo::timers::future::TimeoutFuture;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::device::{self, Chosen};
use super::dom::{js_error, now_ms};
use crate::protocol::{
    BatchRow, BatchView, Curve, FromWorker, Progress, RACE_STEPS, RACE_WARMUP, Slot, SplitCounts, ToWorker,
    TrainSettings, snapshot_every_ms, unpack_table,
};
use crate::reading::{ModelUsers, SavedModel};
use crate::state::{MAP_FIT, MAP_MOVIES};

/// Milliseconds of training between two looks at the mailbox.
const SLICE_MS: f64 = 20.0;
/// At most this many batches between two loss reads (one point on the chart each).
const SLICE_BATCHES: usize = 50;

/// Any message as a JavaScript value (u64 seeds and run ids as BigInt, none rounded).
pub fn to_js<T: Serialize>(message: &T) -> Result<JsValue, String> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    message.serialize(&serializer).map_err(|e| e.to_string())
}

/// A message back from a JavaScript value.
pub fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// `message` with `blobs` beside it, as `{ message, blobs }` (a `Blob` is a handle, not
/// a serde value; posting one costs nothing, its bytes stay in the browser's store).
pub fn seal<T: Serialize>(message: &T, blobs: &[web_sys::Blob]) -> Result<JsValue, String> {
    let outer = js_sys::Object::new();
    js_sys::Reflect::set(&outer, &"message".into(), &to_js(message)?).map_err(super::dom::js_error)?;
    let blobs: js_sys::Array = blobs.iter().map(JsValue::from).collect();
    js_sys::Reflect::set(&outer, &"blobs".into(), &blobs).map_err(super::dom::js_error)?;
    Ok(outer.into())
}

/// A message and the `Blob`s beside it ([`seal`]), or a plain message (no blobs).
pub fn open<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<(T, Vec<web_sys::Blob>), String> {
    let blobs = js_sys::Reflect::get(&value, &"blobs".into()).ok().and_then(|b| b.dyn_into::<js_sys::Array>().ok());
    match blobs {
        Some(blobs) => {
            let message = js_sys::Reflect::get(&value, &"message".into()).map_err(super::dom::js_error)?;
            let blobs = blobs
                .iter()
                .map(|b| b.dyn_into().map_err(|_| "a file that is not a Blob"))
                .collect::<Result<_, _>>()?;
            Ok((from_js(message)?, blobs))
        }
        None => Ok((from_js(value)?, Vec::new())),
    }
}

fn post(message: FromWorker) {
    post_with(message, &[]);
}

/// Posts `message` with `blobs` beside it ([`seal`]).
fn post_with(message: FromWorker, blobs: &[web_sys::Blob]) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let value = if blobs.is_empty() { to_js(&message) } else { seal(&message, blobs) };
    if let Err(e) = value.and_then(|value| scope.post_message(&value).map_err(js_error)) {
        web_sys::console::warn_1(&format!("worker message not sent: {e}").into());
    }
}

/// One fit: its run id, its learner, and its loss curve so far.
struct Fit {
    run: u64,
    learner: Learner,
    curve: Curve,
    /// Training milliseconds in the current epoch.
    epoch_ms: f64,
    /// The epoch of the next map to send (0: the untrained model's).
    next_map: usize,
    /// When the last snapshot was sent (`now_ms`; on WebGPU only).
    snapshot_at: f64,
}

/// What a slot holds.
enum SlotState {
    Empty,
    Paused(Box<Fit>),
    Running(Box<Fit>),
}

/// Why a command failed: the request itself (nothing left to step, no data yet), or the
/// device under it. Only the second, on WebGPU, means the GPU is lost.
enum Failure {
    Refused(String),
    Device(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Refused(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Refused(message.to_string())
    }
}

impl From<read::ReadError> for Failure {
    fn from(e: read::ReadError) -> Self {
        Failure::Device(e.to_string())
    }
}

impl From<TrainError> for Failure {
    fn from(e: TrainError) -> Self {
        match e {
            TrainError::Read(e) => e.into(),
            TrainError::Nothing(why) => Failure::Refused(why),
            TrainError::Diverged(d) => Failure::Refused(format!(
                "{d}. Training stopped before that step, with the last weights that were all finite numbers; \
                 change the setting (or Reset) to start a new fit"
            )),
        }
    }
}

/// Everything the worker holds.
#[derive(Default)]
struct Trainer {
    device: Option<Chosen>,
    table: Option<Arc<RatingsTable>>,
    slots: HashMap<Slot, SlotState>,
    /// Which running slot trains next (they take turns).
    turn: usize,
    /// A finished fit's errors, still to work out ([`post_errors`], from the work loop).
    errors_due: Option<ErrorsDue>,
    /// The users of the model this worker read last (section 8's last finished fit's, or
    /// a model file's): the page asks for one at a time ([`ToWorker::User`]); they outlive
    /// the fit's learner (the page shows that model until the next one is read).
    users: Option<ModelUsers>,
}

/// What a finished fit's errors are worked out from: its split, its model, and (for a
/// dot model) its tables.
struct ErrorsDue {
    run: u64,
    data: Arc<CollabData>,
    model: collab_core::model::CollabModel,
    tables: Option<Tables>,
}

/// Starts listening: called by `start` when the module runs in a worker. Messages that
/// arrived while the module loaded wait in `self.collabEarly` (see web/worker.js).
pub fn serve() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let (sender, mailbox) = unbounded::<Incoming>();
    let receive = move |value: JsValue| match incoming(value) {
        Ok(message) => {
            let _ = sender.unbounded_send(message);
        }
        Err(e) => post(FromWorker::Failed {
            slot: None,
            message: format!("the worker could not read a message: {e}"),
            device_lost: false,
        }),
    };
    let early = js_sys::Reflect::get(&scope, &"collabEarly".into()).ok();
    if let Some(early) = early.and_then(|e| e.dyn_into::<js_sys::Array>().ok()) {
        for value in early.iter() {
            receive(value);
        }
    }
    let on_message = gloo::events::EventListener::new(&scope, "message", move |event| {
        if let Some(event) = event.dyn_ref::<MessageEvent>() {
            receive(event.data());
        }
    });
    // The worker lives as long as its listener.
    on_message.forget();
    wasm_bindgen_futures::spawn_local(work(mailbox));
}

/// A command, with the `Blob`s that came beside it ([`ToWorker::Load`]'s files,
/// [`ToWorker::ReadModel`]'s model file).
struct Incoming {
    message: ToWorker,
    blobs: Vec<web_sys::Blob>,
}

/// A command as posted: bare, or as `{ message, blobs }` when files come with it
/// ([`seal`]).
fn incoming(value: JsValue) -> Result<Incoming, String> {
    open(value).map(|(message, blobs)| Incoming { message, blobs })
}

/// The bytes of this worker's wasm memory (what the benchmark reports after a load).
fn memory_bytes() -> u64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as u64
}

/// Milliseconds between two reports of a load's progress.
const LOAD_REPORT_MS: f64 = 200.0;

/// Reads the ratings of the files `names`/`blobs` within the core's memory budget, with
/// the core's one reader of named files (the CLI's), posting how many bytes are read.
fn load(id: u64, names: Vec<String>, blobs: Vec<web_sys::Blob>) -> Result<(RatingsTable, Vec<String>), String> {
    if names.len() != blobs.len() {
        return Err(format!("{} names came with {} files", names.len(), blobs.len()));
    }
    let total = blobs.iter().map(|b| b.size() as u64).sum();
    let (read, ratings) = (std::cell::Cell::new(0u64), std::cell::Cell::new(0usize));
    let last = std::cell::Cell::new(now_ms());
    let report = |force: bool| {
        if force || now_ms() - last.get() >= LOAD_REPORT_MS {
            last.set(now_ms());
            post(FromWorker::Loading { id, read: read.get().min(total), total, ratings: ratings.get() });
        }
    };
    let on_slice = |n: u64| {
        read.set(read.get() + n);
        report(false);
    };
    let files = names
        .into_iter()
        .zip(blobs)
        .map(|(name, blob)| Ok((name, super::blob::BlobReader::new(blob, &on_slice).map_err(|e| e.to_string())?)))
        .collect::<Result<Vec<_>, String>>()?;
    let watch = |n: usize| {
        ratings.set(n);
        report(false);
    };
    let result = collab_core::data::movielens::read_named_watched(files, Budget::STATED, &watch);
    if let Ok((table, _)) = &result {
        read.set(total);
        ratings.set(table.ratings.len());
        report(true);
    }
    result.map_err(|e| e.to_string())
}

/// The worker's one task.
async fn work(mut mailbox: UnboundedReceiver<Incoming>) {
    let mut trainer = Trainer::default();
    loop {
        while let Ok(message) = mailbox.try_recv() {
            trainer.handle(message).await;
        }
        // A finished fit's errors: after the questions that came meanwhile (the browser
        // delivered them while the last slice yielded).
        if let Some(due) = trainer.errors_due.take() {
            post_errors(due).await;
            yield_to_browser().await;
            continue;
        }
        match trainer.next_running() {
            Some(slot) => {
                trainer.slice(slot).await;
                // Let the browser deliver the messages that came meanwhile.
                yield_to_browser().await;
            }
            None => match mailbox.next().await {
                Some(message) => trainer.handle(message).await,
                None => return,
            },
        }
    }
}

/// Where a finished fit's model is wrong on its validation ratings, and the ids of the
/// users of its worst predictions: a dot model predicts from its tables (a pass over
/// them, where the forward pass gathers a copy of every row).
async fn post_errors(due: ErrorsDue) {
    let ErrorsDue { run, data, model, tables } = due;
    let predicted = match tables {
        Some(t) => Ok(t.predictions(&data.valid)),
        None => predictions(&model, &data.valid).await.map_err(|e| e.to_string()),
    };
    let result = predicted.map(|p| {
        let residuals = Residuals::new(&data.valid, &p, &data.train);
        let id = |u: i32| usize::try_from(u).ok().and_then(|u| data.users.labels.get(u)).cloned();
        let users = residuals.worst.iter().map(|w| id(w.user).unwrap_or_default()).collect();
        (Box::new(residuals), users)
    });
    post(FromWorker::Errors { run, result });
}

/// Ends this task's turn so that the browser can deliver the messages that came
/// meanwhile, and carries on at once. A `setTimeout(0)` would not do: browsers hold back
/// a timer set from within a timer by at least 4 ms, which on the CPU, where a slice is
/// some 15 ms of work, cost a quarter of the training time. A message posted through a
/// channel of one's own comes back as a task of its own, after those already queued.
async fn yield_to_browser() {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        return TimeoutFuture::new(0).await;
    };
    let (done, back) = futures_channel::oneshot::channel();
    let port = channel.port1();
    let _listener = gloo::events::EventListener::once(&port, "message", move |_| {
        let _ = done.send(());
    });
    port.start();
    if channel.port2().post_message(&JsValue::NULL).is_err() {
        return TimeoutFuture::new(0).await;
    }
    let _ = back.await;
    port.close();
    channel.port2().close();
}

impl Trainer {
    fn on_gpu(&self) -> bool {
        self.device.as_ref().is_some_and(|d| d.is_gpu)
    }

    fn fail(&self, slot: Option<(Slot, u64)>, failure: Failure) {
        let (message, device_lost) = match failure {
            Failure::Refused(message) => (message, false),
            Failure::Device(message) => (message, self.on_gpu()),
        };
        post(FromWorker::Failed { slot, message, device_lost });
    }

    fn take(&mut self, slot: Slot) -> SlotState {
        self.slots.insert(slot, SlotState::Empty).unwrap_or(SlotState::Empty)
    }

    /// The next running slot, in turns.
    fn next_running(&mut self) -> Option<Slot> {
        const ORDER: [Slot; 3] = [Slot::Train, Slot::Baseline, Slot::Decayed];
        for n in 1..=ORDER.len() {
            let slot = ORDER[(self.turn + n) % ORDER.len()];
            if matches!(self.slots.get(&slot), Some(SlotState::Running(_))) {
                self.turn = (self.turn + n) % ORDER.len();
                return Some(slot);
            }
        }
        None
    }

    async fn handle(&mut self, Incoming { message, blobs }: Incoming) {
        match message {
            ToWorker::Init => {
                let chosen = device::choose().await;
                post(FromWorker::Ready { label: chosen.label.clone(), is_gpu: chosen.is_gpu });
                self.device = Some(chosen);
            }
            ToWorker::Data { table } => match unpack_table(&table) {
                Ok(table) => {
                    self.table = Some(Arc::new(table));
                    self.slots.clear();
                    self.users = None;
                }
                Err(e) => self.fail(None, format!("the worker could not read the ratings: {e}").into()),
            },
            ToWorker::Load { id, names } => match load(id, names, blobs) {
                Ok((table, used)) => {
                    let summary = Box::new(crate::summary::DataSummary::of(&table));
                    self.table = Some(Arc::new(table));
                    self.slots.clear();
                    self.users = None;
                    post(FromWorker::Loaded { id, summary, used, memory: memory_bytes() });
                }
                Err(message) => post(FromWorker::LoadFailed { id, message }),
            },
            ToWorker::Run { slot, run, settings } => match self.fit(slot, run, settings) {
                Ok(fit) => {
                    self.slots.insert(slot, SlotState::Running(fit));
                }
                Err(e) => self.fail(Some((slot, run)), e),
            },
            ToWorker::Pause { slot, run } => {
                let state = match self.take(slot) {
                    SlotState::Running(fit) | SlotState::Paused(fit) if fit.run == run => SlotState::Paused(fit),
                    other => other,
                };
                self.slots.insert(slot, state);
            }
            ToWorker::Reset { slot } => {
                self.slots.remove(&slot);
            }
            ToWorker::Step { slot, run, settings } => {
                if let Some(SlotState::Running(fit)) = self.slots.get(&slot)
                    && fit.run == run
                {
                    return self.fail(Some((slot, run)), "pause training first".into());
                }
                match self.fit(slot, run, settings) {
                    Ok(mut fit) => {
                        let result = self.step(slot, &mut fit).await;
                        self.slots.insert(slot, SlotState::Paused(fit));
                        if let Err(e) = result {
                            self.fail(Some((slot, run)), e);
                        }
                    }
                    Err(e) => self.fail(Some((slot, run)), e),
                }
            }
            ToWorker::Restore { slot, run, settings, points, go_on } => {
                let bytes = match blobs.first() {
                    Some(blob) => super::blob::read_snapshot(blob),
                    None => Err("no snapshot came with the message".into()),
                };
                match bytes.and_then(|bytes| self.restore(slot, run, settings, &bytes, points)) {
                    Ok(fit) => {
                        let state = if go_on { SlotState::Running(fit) } else { SlotState::Paused(fit) };
                        self.slots.insert(slot, state);
                    }
                    Err(e) => self.fail(Some((slot, run)), format!("training could not be restored: {e}").into()),
                }
            }
            ToWorker::ReadModel { saved } => {
                self.users = None;
                let bytes = match blobs.first() {
                    Some(blob) => super::blob::read_model_file(blob),
                    None => Err("no model file came with the message".into()),
                };
                let result = match (&self.device, bytes) {
                    (Some(chosen), Ok(bytes)) => crate::reading::read_saved(&bytes, &[], saved, &chosen.device).await,
                    (None, _) => Err("the worker has no device yet".into()),
                    (_, Err(e)) => Err(e),
                };
                let result = result.map(|read| {
                    self.users = Some(read.users);
                    read.page
                });
                post(FromWorker::ModelRead { result: Box::new(result) });
            }
            ToWorker::Forget { saved } => {
                if self.users.as_ref().is_some_and(|u| u.saved == saved) {
                    self.users = None;
                }
            }
            ToWorker::User { saved, user } => {
                let result = match &self.users {
                    Some(users) if users.saved == saved => users.row(&user).map(Box::new),
                    _ => Err("this worker no longer holds that model's users (it restarted, the data \
                              changed, or another fit ended): train again, or load the model again"
                        .to_string()),
                };
                post(FromWorker::User { saved, user, result });
            }
            ToWorker::Race { settings, path } => match self.race(settings, path).await {
                Ok(times) => post(FromWorker::Raced { times }),
                Err(e) => self.fail(None, e),
            },
            ToWorker::LrFind { run, settings } => {
                let result = self.lr_find(settings).await;
                let lost = matches!(&result, Err(Failure::Device(_))) && self.on_gpu();
                let answer = result.map_err(|f| match f {
                    Failure::Refused(m) | Failure::Device(m) => m,
                });
                if let (true, Err(message)) = (lost, &answer) {
                    post(FromWorker::Failed { slot: None, message: message.clone(), device_lost: true });
                }
                post(FromWorker::LrFound { run, result: answer });
            }
            #[cfg(feature = "hooks")]
            ToWorker::Probe { settings, steps } => match self.probe(settings, steps).await {
                Ok(probed) => post(probed),
                Err(e) => self.fail(None, e),
            },
            #[cfg(feature = "hooks")]
            ToWorker::LoseDevice => device::destroy_gpu(),
            #[cfg(feature = "hooks")]
            ToWorker::Crash => wasm_bindgen::throw_str("the worker crashed (a test hook)"),
        }
    }

    /// `slot`'s fit `run`: the one it holds, or a new one (telling the page the split).
    fn fit(&mut self, slot: Slot, run: u64, settings: TrainSettings) -> Result<Box<Fit>, Failure> {
        match self.take(slot) {
            SlotState::Running(fit) | SlotState::Paused(fit) if fit.run == run => return Ok(fit),
            _ => {}
        }
        let (data, device) = self.checked(&settings)?;
        if slot == Slot::Train {
            post(FromWorker::Split { run, counts: split_counts(&data) });
        }
        let learner = settings.learner(data, &device);
        let snapshot_at = f64::NEG_INFINITY;
        Ok(Box::new(Fit { run, learner, curve: Curve::default(), epoch_ms: 0.0, next_map: 0, snapshot_at }))
    }

    /// Milliseconds per batch of a fresh fit with `settings` on this worker's device
    /// ([`Learner::time_batches`]).
    async fn race(&self, settings: TrainSettings, path: StepPath) -> Result<BatchTimes, Failure> {
        let mut learner = self.fresh(settings, path)?;
        Ok(learner.time_batches(RACE_WARMUP, RACE_STEPS, &now_ms).await?)
    }

    #[cfg(feature = "hooks")]
    async fn probe(&self, settings: TrainSettings, steps: usize) -> Result<FromWorker, Failure> {
        let mut learner = self.fresh(settings, StepPath::Direct)?;
        let (losses, weights) = collab_core::train::bench::probe(&mut learner, steps).await?;
        let weights = weights.tensors.into_iter().flat_map(|t| t.values).collect();
        Ok(FromWorker::Probed { step_kind: learner.step_kind().into(), losses, weights })
    }

    /// fastai's LR finder on a fresh learner of `settings` ([`TrainSettings::lr_finder`]).
    async fn lr_find(&self, settings: TrainSettings) -> Result<collab_core::train::lr_find::Sweep, Failure> {
        let (data, device) = self.checked(&settings)?;
        let mut learner = settings.lr_finder(data, &device);
        Ok(collab_core::train::lr_find::run(&mut learner).await?)
    }

    /// A fresh learner for `settings`, away from the page's fits (a race's, a probe's).
    fn fresh(&self, settings: TrainSettings, path: StepPath) -> Result<Learner, Failure> {
        let (data, device) = self.checked(&settings)?;
        Ok(settings.learner_on(data, &device, path))
    }

    /// The data `settings` split from this worker's ratings, and its device, once the
    /// fit is known to work on both (a batch the data can fill; tables the device holds).
    fn checked(&self, settings: &TrainSettings) -> Result<(Arc<CollabData>, burn::tensor::Device), Failure> {
        let (Some(table), Some(device)) = (self.table.clone(), self.device.clone()) else {
            return Err("the worker has no data or no device yet".into());
        };
        let data = Arc::new(settings.data(&table));
        limits::against_data(&data)?;
        limits::on_device(&settings.spec(&data), &device.device)?;
        Ok((data, device.device))
    }

    /// Trains `slot` for one slice, reports, and finishes the fit if it is done.
    async fn slice(&mut self, slot: Slot) {
        let SlotState::Running(mut fit) = self.take(slot) else { return };
        let start = now_ms();
        let mut batches = 0;
        while batches < SLICE_BATCHES && now_ms() - start < SLICE_MS && fit.learner.train_batch().is_some() {
            batches += 1;
        }
        let result = async {
            read_and_close(&mut fit, start).await?;
            self.report(slot, &mut fit).await
        }
        .await;
        let run = fit.run;
        match result {
            Ok(()) if fit.learner.is_done() => {
                self.finish(slot, &fit).await;
                self.slots.insert(slot, SlotState::Paused(fit));
            }
            Ok(()) => {
                self.slots.insert(slot, SlotState::Running(fit));
            }
            Err(e) => {
                // Where the fit stopped (a divergence keeps every epoch closed before it).
                post(FromWorker::Progress { slot, run, progress: progress(&fit.learner, fit.curve.points()) });
                self.slots.insert(slot, SlotState::Paused(fit));
                self.fail(Some((slot, run)), e);
            }
        }
    }

    /// Tells the page where `slot` stands. On WebGPU a snapshot goes first when one is
    /// due ([`snapshot_every_ms`]; always at the fit's end), as a `Blob` the page keeps
    /// without reading: if the GPU is lost, the fit goes on from it.
    async fn report(&self, slot: Slot, fit: &mut Fit) -> Result<(), Failure> {
        let due = now_ms() - fit.snapshot_at >= snapshot_every_ms(fit.learner.spec());
        if self.on_gpu() && (due || fit.learner.is_done()) {
            let snapshot = fit.learner.snapshot().await?;
            let blob = super::blob::blob_of(&snapshot.to_bytes()).map_err(Failure::Refused)?;
            post_with(FromWorker::Snapshot { slot, run: fit.run, points: fit.curve.points().to_vec() }, &[blob]);
            fit.snapshot_at = now_ms();
        }
        post(FromWorker::Progress { slot, run: fit.run, progress: progress(&fit.learner, fit.curve.points()) });
        self.maps(slot, fit).await
    }

    /// The map of the movie factors as it forms: the untrained model's first, then the
    /// model's after each epoch that closed since the last report (a slice ends at an
    /// epoch's end, so the model is the epoch's own).
    async fn maps(&self, slot: Slot, fit: &mut Fit) -> Result<(), Failure> {
        let l = &fit.learner;
        let closed = l.history().len();
        while fit.next_map <= closed {
            let epoch = fit.next_map;
            let model = if epoch == 0 { l.untrained() } else { l.model() };
            let points = match Tables::from_weights(&weights::read(&model).await?, l.spec()) {
                Some(t) => map_points(&t, &most_rated(&self.item_counts(l)), MAP_FIT, MAP_MOVIES),
                None => Vec::new(),
            };
            let labels = &l.data().items.labels;
            let titles = points.iter().map(|p| labels.get(p.0).cloned().unwrap_or_default()).collect();
            post(FromWorker::Map { slot, run: fit.run, epoch, points, titles });
            fit.next_map = if epoch == 0 { closed.max(1) } else { epoch + 1 };
        }
        Ok(())
    }

    /// Ratings of each item, training and validation (the page's popularity order).
    fn item_counts(&self, l: &Learner) -> Vec<usize> {
        let data = l.data();
        item_counts(data.items.len(), &[&data.train, &data.valid])
    }

    /// Section 8's fit is over: the page gets the model to interpret.
    async fn finish(&mut self, slot: Slot, fit: &Fit) {
        if slot != Slot::Train {
            return;
        }
        let (l, run) = (&fit.learner, fit.run);
        if let Ok(Some(message)) = l.learned_nothing().await {
            post(FromWorker::Note { slot, run, message });
        }
        // The last model's users go first: with the new ones and the model's copies
        // below, two at once would raise the peak by 8 bytes a rating.
        self.users = None;
        let (data, spec) = (l.data(), l.spec());
        let model = l.model().valid();
        let tables = crate::reading::tables_of(&model, spec).await;
        // A device lost while saving is the device's failure (the page goes on on the CPU).
        let saved = match save(&model, spec, &data.users, &data.items).await {
            Ok(bytes) => super::blob::blob_of(&bytes).map_err(Failure::Refused),
            Err(e) => Err(Failure::from(e)),
        };
        match saved {
            Ok(blob) => {
                let parts = [&data.train, &data.valid];
                let counts = item_counts(data.items.len(), &parts);
                // Read here, where the model is: its bytes, and its users' rows and ids,
                // never cross the page.
                let vocabs = (&data.users, &data.items);
                let read = match &tables {
                    Ok(tables) => {
                        let saved = SavedModel::Fit(run);
                        crate::reading::read_trained(&model, spec, tables.as_ref(), vocabs, &counts, saved).await
                    }
                    Err(e) => Err(e.clone()),
                };
                let read = read.map(|read| {
                    self.users = Some(read.users);
                    Box::new(read.page)
                });
                post_with(FromWorker::Trained { run, read, counts }, &[blob]);
                // Then, the model on its way, who rated what (a question about a user that
                // comes meanwhile waits for it).
                if let Some(users) = &mut self.users {
                    users.rated = Some(RatedBy::new(data.users.len(), &parts));
                }
                // Where the model is wrong comes last, once what was asked meanwhile (a
                // user, say) is answered: the work loop sees to it.
                self.errors_due = Some(ErrorsDue { run, data: data.clone(), model, tables: tables.ok().flatten() });
            }
            Err(failure) => self.fail(Some((slot, run)), failure),
        }
    }

    /// One batch, traced: who, what, rating, prediction, loss, schedule, rows moved.
    async fn step(&mut self, slot: Slot, fit: &mut Fit) -> Result<(), Failure> {
        if fit.learner.is_done() {
            return Err("the fit is complete; Reset to start again".into());
        }
        let start = now_ms();
        let trace = fit.learner.train_batch_traced().ok_or("no batch left in this epoch")?;
        let batch = batch_view(&fit.learner, &trace).await?;
        post(FromWorker::Batch { slot, run: fit.run, batch });
        read_and_close(fit, start).await?;
        self.report(slot, fit).await?;
        if fit.learner.is_done() {
            self.finish(slot, fit).await;
        }
        Ok(())
    }

    /// Rebuilds a fit from a snapshot taken on another device.
    fn restore(
        &self,
        slot: Slot,
        run: u64,
        settings: TrainSettings,
        bytes: &[u8],
        points: Vec<(usize, f64)>,
    ) -> Result<Box<Fit>, String> {
        let snapshot = Snapshot::from_bytes(bytes)?;
        let (Some(table), Some(device)) = (self.table.clone(), self.device.clone()) else {
            return Err("the worker has no data or no device yet".into());
        };
        let data = Arc::new(settings.data(&table));
        let learner = Learner::restore(data.clone(), &snapshot, &device.device)?;
        if slot == Slot::Train {
            post(FromWorker::Split { run, counts: split_counts(&data) });
        }
        post(FromWorker::Progress { slot, run, progress: progress(&learner, &points) });
        // The maps of the epochs before the snapshot are on the page already.
        let next_map = learner.history().len() + 1;
        let curve = Curve::from_points(points);
        Ok(Box::new(Fit { run, learner, curve, epoch_ms: 0.0, next_map, snapshot_at: now_ms() }))
    }
}

fn split_counts(d: &CollabData) -> SplitCounts {
    let (valid_only_users, valid_only_items) = d.valid_only_counts();
    SplitCounts {
        train: d.train.len(),
        valid: d.valid.len(),
        users: d.users.len(),
        items: d.items.len(),
        valid_only_users,
        valid_only_items,
    }
}

fn progress(l: &Learner, points: &[(usize, f64)]) -> Progress {
    let total = l.total_steps().max(1);
    let (lr, beta1) = l.settings().schedule.at(l.steps_done().min(total - 1), total);
    Progress {
        steps_done: l.steps_done(),
        total_steps: total,
        epoch: l.epoch().min(l.settings().epochs.saturating_sub(1)),
        lr,
        beta1,
        batches_per_epoch: l.data().batches_per_epoch(),
        points: points.to_vec(),
        history: l.history().to_vec(),
        done: l.is_done(),
    }
}

/// Reads the pending losses (one chart point; the time since `start` counts to the
/// epoch, up to this read since on WebGPU the batches only queued their work) and
/// closes the epoch if it is complete.
async fn read_and_close(fit: &mut Fit, start: f64) -> Result<(), Failure> {
    let l = &mut fit.learner;
    let smooth = l.read_losses().await?;
    fit.curve.add((l.steps_done(), smooth));
    fit.epoch_ms += now_ms() - start;
    if l.epoch_complete() {
        let start = now_ms();
        let ms = std::mem::take(&mut fit.epoch_ms);
        l.end_epoch(&|| (ms + now_ms() - start) / 1000.0).await?;
    }
    Ok(())
}

async fn batch_view(l: &Learner, t: &BatchTrace) -> Result<BatchView, read::ReadError> {
    let preds = read::floats(t.step.preds.clone()).await?;
    let loss = read::floats(t.step.loss.clone()).await?[0];
    let user_moves = read::floats(t.user_moves.clone()).await?;
    let item_moves = read::floats(t.item_moves.clone()).await?;
    let (d, b) = (l.data(), &t.step.batch);
    let rows = preds
        .iter()
        .enumerate()
        .take(12)
        .map(|(n, &prediction)| BatchRow {
            user: d.users.labels[b.users[n] as usize].clone(),
            user_index: b.users[n],
            title: d.items.labels[b.items[n] as usize].clone(),
            item_index: b.items[n],
            rating: b.ratings[n],
            prediction,
        })
        .collect();
    let top = |rows: &[i32], moves: &[f32], name: &dyn Fn(usize) -> String| {
        let mut pairs: Vec<(i32, f32)> = rows.iter().copied().zip(moves.iter().copied()).collect();
        pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
        pairs.iter().take(8).map(|&(r, m)| (name(r as usize), m)).collect()
    };
    Ok(BatchView {
        step: t.step.step,
        epoch: t.step.epoch,
        lr: t.step.lr,
        beta1: t.step.beta1,
        loss,
        rows,
        batch_len: b.len(),
        user_moves: top(&t.user_rows, &user_moves, &|r| format!("{} (#{r})", d.users.labels[r])),
        users_touched: t.user_rows.len(),
        item_moves: top(&t.item_rows, &item_moves, &|r| d.items.labels[r].clone()),
        items_touched: t.item_rows.len(),
    })
}
