//! What the training worker says, applied to the fits the page knows of (an answer about
//! a run the page no longer has is dropped), and what happens when the worker or its GPU
//! is lost.

use crate::effect::Effect;
use crate::protocol::{Engine, FromWorker, Slot, ToWorker};
use crate::state::{App, Errors, Fitted, KeptSnapshot, Phase, Reading, SavedModel, WorkerState};

pub fn update(app: &mut App, msg: FromWorker) -> Vec<Effect> {
    match msg {
        FromWorker::Ready { label, is_gpu } => {
            app.worker.ready = true;
            app.worker.is_gpu = is_gpu;
            app.worker.label = label;
        }
        FromWorker::Split { run, counts } => {
            if app.fit_mut(Slot::Train, run).is_some() {
                app.train.split = Some(counts);
            }
        }
        FromWorker::Progress { slot, run, progress } => {
            if let Some(fit) = app.fit_mut(slot, run) {
                // A fit that ends now (not one carried on, done, from a snapshot).
                let ends = progress.done && fit.phase != Phase::Done;
                if progress.done {
                    fit.phase = Phase::Done;
                }
                fit.progress = Some(progress);
                // Its worker reads section 8's model now, for sections 9 and 10.
                if slot == Slot::Train && ends {
                    app.learned.reading = Some(Reading::Fit(run));
                }
            }
        }
        FromWorker::Map { slot, run, epoch, points, titles } => {
            if let Some(fit) = app.fit_mut(slot, run)
                && epoch == fit.maps.len()
            {
                fit.map_titles.extend(points.iter().map(|p| p.0).zip(titles));
                fit.maps.push(points);
            }
        }
        FromWorker::Batch { slot, run, batch } => {
            if slot == Slot::Train && app.fit_mut(slot, run).is_some() {
                app.train.batch = Some(batch);
            }
        }
        FromWorker::Snapshot { slot, run, points } => {
            if let Some(fit) = app.fit_mut(slot, run) {
                fit.snapshot = Some(KeptSnapshot { points });
            }
        }
        FromWorker::Trained { run, read, counts } => {
            let saved = SavedModel::Fit(run);
            let Some(fit) = app.fit_mut(Slot::Train, run) else {
                crate::update::learned::fit_read_ends(app, run);
                return vec![Effect::ForgetModel(saved)];
            };
            let fitted = Fitted { run: Some(run), counts, errors: Errors::Coming, maps: fit.maps.clone() };
            // Read where it was trained: shown now, overtaking any file still being read
            // (a model that could not be read overtakes nothing).
            if read.is_ok() {
                app.learned.loading = app.new_id();
            }
            let id = app.learned.loading;
            return crate::update::learned::loaded(app, id, None, saved, fitted, read);
        }
        FromWorker::Errors { run, result } => {
            // Only the shown model's (an older fit's, or one replaced meanwhile, is dropped).
            if let Some(model) = app.learned.model.as_mut().filter(|m| m.saved == SavedModel::Fit(run)) {
                model.errors = match result {
                    Ok((residuals, worst_users)) => Errors::Ready(residuals, worst_users),
                    Err(e) => Errors::Failed(e),
                };
            }
        }
        FromWorker::Note { slot, run, message } => {
            if slot == Slot::Train && app.fit_mut(slot, run).is_some() {
                app.train.message = message;
            }
        }
        // The LR finder's answer is `lr_find`'s, a user section 9's (the dispatcher sends
        // them there).
        FromWorker::LrFound { .. } | FromWorker::User { .. } => {}
        // Races, probes and model reads run in workers of their own; their answers never
        // come here.
        FromWorker::Raced { .. } | FromWorker::ModelRead { .. } => {}
        // A worker restarted (on the CPU, or after a crash) reads the loaded files again:
        // how far it got, and the summary the page already has, are not news.
        FromWorker::Loading { .. } | FromWorker::Loaded { .. } => {}
        FromWorker::LoadFailed { message, .. } => {
            stop_train(app);
            app.train.message = format!("the restarted training worker could not read the data again: {message}");
        }
        #[cfg(feature = "hooks")]
        FromWorker::Probed { .. } => {}
        FromWorker::Failed { device_lost: true, message, .. } if app.worker.engine == Engine::WebGpu => {
            return to_cpu(app, &message);
        }
        FromWorker::Failed { slot: Some((Slot::Train, run)), message, .. } => {
            crate::update::learned::fit_read_ends(app, run);
            if let Some(fit) = app.fit_mut(Slot::Train, run) {
                // A refused command after the end (Step past the last batch) leaves it done.
                if fit.phase != Phase::Done {
                    fit.phase = Phase::Stopped;
                }
                app.train.message = message;
            }
        }
        FromWorker::Failed { slot: Some((slot, run)), message, .. } => {
            if app.fit_mut(slot, run).is_some() {
                return pair_failed(app, message);
            }
        }
        FromWorker::Failed { slot: None, message, .. } => {
            stop_train(app);
            app.train.message = message;
        }
    }
    Vec::new()
}

/// A new training worker on `engine` (the old one ends with everything it held).
pub fn start(app: &mut App, engine: Engine) -> Effect {
    super::learned::worker_replaced(app);
    app.worker = WorkerState { engine, ..WorkerState::default() };
    Effect::StartWorker { engine, data: app.data.current }
}

/// Section 8's fit, if under way, stops where it is.
fn stop_train(app: &mut App) {
    if let Some(fit) = app.train.fit.as_mut().filter(|f| matches!(f.phase, Phase::Running | Phase::Paused)) {
        fit.phase = Phase::Stopped;
    }
}

/// A fit of the overfitting pair failed: both stop, and the section says why.
fn pair_failed(app: &mut App, message: String) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some(pair) = app.overfit.pair.as_mut() {
        for (fit, slot) in pair.iter_mut().zip([Slot::Baseline, Slot::Decayed]) {
            if fit.phase == Phase::Running {
                effects.push(Effect::Post(ToWorker::Pause { slot, run: fit.run }));
            }
            if fit.phase != Phase::Done {
                fit.phase = Phase::Stopped;
            }
        }
    }
    app.overfit.failed = Some(message);
    effects
}

/// The worker's wasm instance ended (a panic, or the GPU failing in a way wgpu does not
/// report as an error). On WebGPU training moves to the CPU; on the CPU a fresh worker
/// starts and every fit says it stopped.
pub fn died(app: &mut App, what: &str) -> Vec<Effect> {
    if app.worker.engine == Engine::WebGpu {
        return to_cpu(app, &format!("the training worker stopped: {what}"));
    }
    stop_train(app);
    if app.overfit.pair.is_some() {
        // Nothing to pause: the worker that held the pair is gone.
        let _ = pair_failed(app, format!("The training worker stopped ({what}); compare again to start over."));
    }
    let mut effects = Vec::new();
    if !app.worker.ready {
        app.train.message = format!("Training cannot run in this browser: its worker did not start ({what})");
        return effects;
    }
    app.train.message = format!("The training worker stopped ({what}); it was restarted: train again to start over");
    effects.push(start(app, Engine::Cpu));
    effects
}

/// The GPU failed (or its module could not be loaded): a new worker goes on on the CPU,
/// each fit from its last completed step (or from the start, if it had none yet), and
/// WebGPU is not offered again on this visit.
fn to_cpu(app: &mut App, why: &str) -> Vec<Effect> {
    // wgpu's errors run over several lines of causes; the first says enough.
    let why = why.lines().next().unwrap_or(why).trim().to_string();
    app.device.gpu = Some(Err(format!("the WebGPU device was lost ({why})")));
    let mut effects = vec![start(app, Engine::Cpu)];
    let mut resumed_at = None;
    for slot in [Slot::Train, Slot::Baseline, Slot::Decayed] {
        let Some(fit) = app.fit(slot) else { continue };
        let go_on = fit.phase == Phase::Running;
        match &fit.snapshot {
            Some(KeptSnapshot { points }) => {
                if slot == Slot::Train {
                    resumed_at = Some(points.last().map_or(0, |p| p.0));
                }
                let (run, settings, points) = (fit.run, fit.settings, points.clone());
                effects.push(Effect::Restore(ToWorker::Restore { slot, run, settings, points, go_on }));
            }
            None if go_on => effects.push(Effect::Post(ToWorker::Run { slot, run: fit.run, settings: fit.settings })),
            None => {}
        }
    }
    let place = resumed_at.map_or("from the start".to_string(), |s| format!("from step {s}, the last one it kept"));
    app.train.message =
        format!("The GPU was lost ({why}). Training moved to the CPU and goes on {place}; the weights are kept.");
    effects
}
