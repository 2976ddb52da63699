//! The training worker: the same wasm module as the page, started in a Web Worker by
//! `web/worker.js`. It owns the learners, trains them in slices (so that Pause, Step
//! and Reset are heard between slices) and posts progress back. On WebGPU it also
//! posts a snapshot after every slice: if the GPU is lost, the page restarts training
//! on the CPU from the last completed step.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use burn::module::Module;
use collab_core::data::RatingsTable;
use collab_core::read;
use collab_core::save::save;
use collab_core::train::{BatchTrace, Learner, Snapshot, TrainError, limits};
use gloo::timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::device::{self, Chosen};
use crate::dom::now_ms;
use crate::protocol::{
    BatchRow, BatchView, FromWorker, Progress, Slot, SplitCounts, ToWorker, TrainSettings, from_js, to_js, unpack_table,
};

/// Milliseconds of training between two looks at the mailbox.
const SLICE_MS: f64 = 20.0;
/// At most this many batches between two loss reads (one point on the chart each).
const SLICE_BATCHES: usize = 50;

/// One learner and where its fit stands.
#[derive(Default)]
struct Job {
    /// `None` before the first Run or Step, and while a slice or step has it out.
    learner: Option<Learner>,
    running: bool,
    /// True while a slice or a step has the learner out.
    busy: bool,
    points: Vec<(usize, f64)>,
    /// Training milliseconds in the current epoch.
    epoch_ms: f64,
    /// Bumped by Reset and new data: a slice of an older generation drops its learner.
    generation: u64,
}

#[derive(Default)]
struct State {
    device: Option<Chosen>,
    table: Option<Arc<RatingsTable>>,
    jobs: HashMap<Slot, Job>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
    static MAILBOX: RefCell<VecDeque<ToWorker>> = const { RefCell::new(VecDeque::new()) };
    static DRAINING: Cell<bool> = const { Cell::new(false) };
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

fn job<R>(slot: Slot, f: impl FnOnce(&mut Job) -> R) -> R {
    with(|s| f(s.jobs.entry(slot).or_default()))
}

fn post(message: &FromWorker) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match to_js(message) {
        Ok(value) => {
            let _ = scope.post_message(&value);
        }
        Err(e) => web_sys::console::warn_1(&format!("worker message not sent: {e}").into()),
    }
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

fn fail(slot: Option<Slot>, failure: Failure) {
    let on_gpu = with(|s| s.device.as_ref().is_some_and(|d| d.is_gpu));
    let (message, device_lost) = match failure {
        Failure::Refused(message) => (message, false),
        Failure::Device(message) => (message, on_gpu),
    };
    post(&FromWorker::Failed { slot, message, device_lost });
}

/// Starts listening: called by `start` when the module runs in a worker. Messages that
/// arrived while the module loaded wait in `self.collabEarly` (see web/worker.js).
pub fn serve() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let early = js_sys::Reflect::get(&scope, &"collabEarly".into()).unwrap_or(JsValue::UNDEFINED);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| receive(event.data()));
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    if let Ok(early) = early.dyn_into::<js_sys::Array>() {
        for value in early.iter() {
            receive(value);
        }
    }
}

/// Queues a message; one task handles the queue in order.
fn receive(value: JsValue) {
    match from_js::<ToWorker>(value) {
        Ok(message) => MAILBOX.with(|m| m.borrow_mut().push_back(message)),
        Err(e) => return fail(None, format!("the worker could not read a message: {e}").into()),
    }
    if !DRAINING.with(|d| d.replace(true)) {
        wasm_bindgen_futures::spawn_local(async {
            while let Some(message) = MAILBOX.with(|m| m.borrow_mut().pop_front()) {
                handle(message).await;
            }
            DRAINING.with(|d| d.set(false));
        });
    }
}

async fn handle(message: ToWorker) {
    match message {
        ToWorker::Init { force_cpu } => {
            let chosen = device::choose(force_cpu).await;
            post(&FromWorker::Ready { label: chosen.label.clone(), is_gpu: chosen.is_gpu });
            with(|s| s.device = Some(chosen));
        }
        ToWorker::Data { table } => match unpack_table(&table) {
            Ok(table) => with(|s| {
                s.table = Some(Arc::new(table));
                for job in s.jobs.values_mut() {
                    *job = Job { generation: job.generation + 1, ..Job::default() };
                }
            }),
            Err(e) => fail(None, format!("the worker could not read the ratings: {e}").into()),
        },
        ToWorker::Run { slot, settings } => {
            if !job(slot, |j| std::mem::replace(&mut j.running, true)) {
                wasm_bindgen_futures::spawn_local(run(slot, settings));
            }
        }
        ToWorker::Pause { slot } => job(slot, |j| j.running = false),
        ToWorker::Reset { slot } => job(slot, |j| *j = Job { generation: j.generation + 1, ..Job::default() }),
        ToWorker::Step { slot, settings } => {
            if let Err(e) = step(slot, settings).await {
                fail(Some(slot), e);
            }
        }
        ToWorker::Restore { slot, settings, snapshot, points, run: go_on } => {
            if let Err(e) = restore(slot, settings, &snapshot, points) {
                return fail(Some(slot), format!("training could not be restored: {e}").into());
            }
            if go_on && !job(slot, |j| std::mem::replace(&mut j.running, true)) {
                wasm_bindgen_futures::spawn_local(run(slot, settings));
            }
        }
        ToWorker::LoseDevice => device::destroy_gpu(),
    }
}

/// Takes `slot`'s learner out, waiting for a slice or step that has it, and building
/// it (and telling the page about the split) if there is none.
async fn take(slot: Slot, settings: TrainSettings) -> Result<(Learner, u64), String> {
    while job(slot, |j| j.busy) {
        TimeoutFuture::new(5).await;
    }
    let (learner, generation) = job(slot, |j| {
        j.busy = true;
        (j.learner.take(), j.generation)
    });
    if let Some(learner) = learner {
        return Ok((learner, generation));
    }
    let (table, device) = with(|s| (s.table.clone(), s.device.clone()));
    let built = match (table, device) {
        (Some(table), Some(device)) => {
            let data = Arc::new(settings.data(&table));
            match limits::against_data(&data) {
                Ok(()) => {
                    post(&FromWorker::Split { slot, counts: split_counts(&data) });
                    Ok(settings.learner(data, &device.device))
                }
                Err(why) => Err(why),
            }
        }
        _ => Err("the worker has no data or no device yet".to_string()),
    };
    job(slot, |j| {
        j.epoch_ms = 0.0;
        j.points.clear();
        if built.is_err() {
            j.busy = false;
        }
    });
    built.map(|l| (l, generation))
}

/// Gives the learner back, unless a Reset or new data came meanwhile.
fn put_back(slot: Slot, learner: Learner, generation: u64) -> bool {
    job(slot, |j| {
        if j.generation != generation {
            return false;
        }
        j.learner = Some(learner);
        j.busy = false;
        true
    })
}

fn split_counts(d: &collab_core::data::CollabData) -> SplitCounts {
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
    let (lr, beta1) = l.settings.schedule.at(l.steps_done().min(total - 1), total);
    Progress {
        steps_done: l.steps_done(),
        total_steps: total,
        epoch: l.epoch().min(l.settings.epochs.saturating_sub(1)),
        lr,
        beta1,
        batches_per_epoch: l.data.batches_per_epoch(),
        points: points.to_vec(),
        history: l.history.clone(),
        done: l.is_done(),
    }
}

/// Reads the pending losses (one chart point; the time since `start` counts to the
/// epoch, up to this read since on WebGPU the batches only queued their work) and
/// closes the epoch if it is complete.
async fn read_and_close(slot: Slot, l: &mut Learner, start: f64) -> Result<(), Failure> {
    let smooth = l.read_losses().await?;
    job(slot, |j| {
        j.points.push((l.steps_done(), smooth));
        j.epoch_ms += now_ms() - start;
    });
    if l.epoch_complete() {
        let start = now_ms();
        let ms = job(slot, |j| std::mem::take(&mut j.epoch_ms));
        l.end_epoch(0.0).await?;
        if let Some(row) = l.history.last_mut() {
            row.seconds = (ms + now_ms() - start) / 1000.0;
        }
    }
    Ok(())
}

/// Tells the page where `slot` stands. On WebGPU the snapshot goes first: the page never
/// shows a step it could not go on from if the GPU were lost next.
async fn report(slot: Slot, l: &mut Learner) -> Result<(), Failure> {
    let points = job(slot, |j| j.points.clone());
    if with(|s| s.device.as_ref().is_some_and(|d| d.is_gpu)) {
        let snapshot = l.snapshot().await?;
        post(&FromWorker::Snapshot { slot, bytes: snapshot.to_bytes(), points: points.clone() });
    }
    post(&FromWorker::Progress { slot, progress: progress(l, &points) });
    Ok(())
}

/// Trains `slot` in slices until it is paused, reset or done.
async fn run(slot: Slot, settings: TrainSettings) {
    loop {
        let (mut learner, generation) = match take(slot, settings).await {
            Ok(taken) => taken,
            Err(e) => {
                job(slot, |j| j.running = false);
                return fail(Some(slot), e.into());
            }
        };
        let start = now_ms();
        let mut batches = 0;
        while batches < SLICE_BATCHES && now_ms() - start < SLICE_MS && learner.train_batch(false).is_some() {
            batches += 1;
        }
        let result = async {
            read_and_close(slot, &mut learner, start).await?;
            report(slot, &mut learner).await
        }
        .await;
        let done = learner.is_done();
        if done && result.is_ok() {
            finish(slot, &learner).await;
        }
        if !put_back(slot, learner, generation) {
            return;
        }
        if let Err(e) = result {
            job(slot, |j| j.running = false);
            // Where the fit stopped (a divergence keeps every epoch closed before it).
            let points = job(slot, |j| j.points.clone());
            if let Some(l) = job(slot, |j| j.learner.as_ref().map(|l| progress(l, &points))) {
                post(&FromWorker::Progress { slot, progress: l });
            }
            return fail(Some(slot), e);
        }
        if done || !job(slot, |j| j.running) {
            job(slot, |j| j.running = false);
            return;
        }
        TimeoutFuture::new(0).await;
    }
}

/// Section 8's fit is over: the page gets the model to interpret.
async fn finish(slot: Slot, l: &Learner) {
    if slot != Slot::Train {
        return;
    }
    if let Some(message) = l.learned_nothing() {
        post(&FromWorker::Note { slot, message });
    }
    match save(&l.model.valid(), &l.spec, &l.data.users, &l.data.items).await {
        Ok(model) => post(&FromWorker::Trained {
            model,
            train_users: l.data.train.users.clone(),
            train_items: l.data.train.items.clone(),
        }),
        Err(e) => fail(Some(slot), e.into()),
    }
}

/// One batch, traced: who, what, rating, prediction, loss, schedule, rows moved.
async fn step(slot: Slot, settings: TrainSettings) -> Result<(), Failure> {
    if job(slot, |j| j.running) {
        return Err("pause training first".into());
    }
    let (mut learner, generation) = take(slot, settings).await.map_err(Failure::Refused)?;
    let start = now_ms();
    let result = async {
        if learner.is_done() {
            return Err("the fit is complete; Reset to start again".into());
        }
        let trace = learner.train_batch_traced().ok_or("no batch left in this epoch")?;
        let batch = batch_view(&learner, &trace).await?;
        post(&FromWorker::Batch { slot, batch });
        read_and_close(slot, &mut learner, start).await?;
        report(slot, &mut learner).await
    }
    .await;
    if learner.is_done() && result.is_ok() {
        finish(slot, &learner).await;
    }
    put_back(slot, learner, generation);
    result
}

async fn batch_view(l: &Learner, t: &BatchTrace) -> Result<BatchView, read::ReadError> {
    let preds = read::floats(t.step.preds.clone()).await?;
    let loss = read::floats(t.step.loss.clone()).await?[0];
    let user_moves = read::floats(t.user_moves.clone()).await?;
    let item_moves = read::floats(t.item_moves.clone()).await?;
    let (d, b) = (&l.data, &t.step.batch);
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

/// Rebuilds `slot` from a snapshot taken on another device.
fn restore(slot: Slot, settings: TrainSettings, bytes: &[u8], points: Vec<(usize, f64)>) -> Result<(), String> {
    let snapshot = Snapshot::from_bytes(bytes)?;
    let (table, device) = with(|s| (s.table.clone(), s.device.clone()));
    let (Some(table), Some(device)) = (table, device) else {
        return Err("the worker has no data or no device yet".into());
    };
    let data = Arc::new(settings.data(&table));
    let learner = Learner::restore(data.clone(), &snapshot, &device.device)?;
    post(&FromWorker::Split { slot, counts: split_counts(&data) });
    post(&FromWorker::Progress { slot, progress: progress(&learner, &points) });
    job(slot, |j| *j = Job { learner: Some(learner), points, generation: j.generation + 1, ..Job::default() });
    Ok(())
}
