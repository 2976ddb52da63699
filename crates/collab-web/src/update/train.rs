//! Section 8's fit and the overfitting pair: what each button does to the fit the page
//! knows of, and what is posted to the worker.

use collab_core::settings::Key;

use crate::effect::Effect;
use crate::fields::{DeviceChoice, TRAIN_CONTROLS};
use crate::msg::TrainMsg;
use crate::protocol::{Engine, Slot, ToWorker, TrainSettings};
use crate::state::{App, Fit, Phase, Race};

pub fn update(app: &mut App, msg: TrainMsg) -> Vec<Effect> {
    match msg {
        TrainMsg::Controls(mut controls) => {
            let mut effects = Vec::new();
            // Choosing a model sets the weight decay the book trains it with.
            if controls.get(Key::Model) != app.train.controls.get(Key::Model) {
                let wd = crate::fields::book_wd(controls.get(Key::Model));
                controls.set(Key::Wd, wd);
                effects.push(Effect::SetControl { id: "train-wd", value: wd.to_string() });
            }
            app.train.controls = controls;
            effects.push(Effect::StoreUrl(app.train.controls.pairs()));
            match (app.train.controls.settings(), &app.train.fit) {
                (Err(e), _) => app.train.message = format!("{e}; training keeps its last good settings."),
                // A fit under way is never thrown away by a setting: it goes on with its own
                // settings, and the new ones wait for Reset (or the next fit).
                (Ok(new), Some(fit)) if matches!(fit.phase, Phase::Running | Phase::Paused) => {
                    app.train.message = if new == fit.settings {
                        String::new()
                    } else {
                        format!(
                            "The fit under way keeps its settings ({}); the new ones apply from Reset or the next fit.",
                            describe(&fit.settings)
                        )
                    };
                }
                (Ok(_), _) => effects.extend(reset(app)),
            }
            effects
        }
        TrainMsg::Link(given) => {
            // A link's values go through the checks typed ones do; a bad one is named and
            // its field shows the value used instead.
            let pairs = given.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let (controls, faults) = app.train.controls.clone().with(pairs);
            let effects = TRAIN_CONTROLS
                .into_iter()
                .map(|(id, key)| Effect::SetControl { id, value: controls.get(key).to_string() })
                .collect();
            app.train.controls = controls;
            app.train.message = faults.iter().map(|f| f.in_link()).collect::<Vec<_>>().join("; ");
            if !faults.is_empty() {
                app.train.message.push('.');
            }
            effects
        }
        TrainMsg::Toggle => match app.train.fit.as_mut() {
            Some(fit) if fit.phase == Phase::Running => {
                fit.phase = Phase::Paused;
                vec![Effect::Post(ToWorker::Pause { slot: Slot::Train, run: fit.run })]
            }
            Some(fit) if fit.phase == Phase::Paused => {
                fit.phase = Phase::Running;
                vec![Effect::Post(ToWorker::Run { slot: Slot::Train, run: fit.run, settings: fit.settings })]
            }
            // None, done or stopped: a new fit with the controls' settings.
            _ => match new_fit(app, Phase::Running) {
                Some((run, settings)) => place(app, ToWorker::Run { slot: Slot::Train, run, settings }, settings),
                None => Vec::new(),
            },
        },
        TrainMsg::Step => match app.train.fit.as_ref() {
            Some(fit) if fit.phase == Phase::Running => {
                app.train.message = "pause training first".into();
                Vec::new()
            }
            Some(fit) if matches!(fit.phase, Phase::Paused | Phase::Done) => {
                app.train.message.clear();
                vec![Effect::Post(ToWorker::Step { slot: Slot::Train, run: fit.run, settings: fit.settings })]
            }
            _ => match new_fit(app, Phase::Paused) {
                Some((run, settings)) => place(app, ToWorker::Step { slot: Slot::Train, run, settings }, settings),
                None => Vec::new(),
            },
        },
        TrainMsg::Reset => reset(app),
        // The LR finder's messages are `lr_find`'s (the dispatcher sends them there).
        TrainMsg::LrFind | TrainMsg::UseLr => Vec::new(),
        TrainMsg::Raced { id, cpu, gpu } => match app.train.racing.take() {
            Some((racing, command)) if racing == id => {
                let settings = command_settings(&command);
                let race =
                    Race { kind: settings.kind, factors: settings.factors, batch_size: settings.batch_size, cpu, gpu };
                app.train.races.retain(|r| !r.times(&settings));
                app.train.races.push(race);
                // The fit may have been paused or reset while the race ran: a Run it no
                // longer wants is not sent (Resume sends its own).
                let wanted = match &command {
                    ToWorker::Run { run, .. } => {
                        app.fit(Slot::Train).is_some_and(|f| f.run == *run && f.phase == Phase::Running)
                    }
                    ToWorker::Step { run, .. } => app.fit(Slot::Train).is_some_and(|f| f.run == *run),
                    _ => false,
                };
                if wanted { place(app, command, settings) } else { Vec::new() }
            }
            other => {
                app.train.racing = other;
                Vec::new()
            }
        },
    }
}

/// The settings a fit's first command carries.
fn command_settings(command: &ToWorker) -> TrainSettings {
    match command {
        ToWorker::Run { settings, .. } | ToWorker::Step { settings, .. } => *settings,
        _ => unreachable!("only a fit's first command waits for a race"),
    }
}

/// Sends a new fit's first command to a worker on the right engine: the visitor's
/// choice, or in "auto" the winner of a race of this model and batch size, which runs
/// first if there was none. The worker is replaced only if no overfitting pair is
/// training in it.
fn place(app: &mut App, command: ToWorker, settings: TrainSettings) -> Vec<Effect> {
    let gpu = app.device.gpu.clone();
    let (engine, why) = match (app.train.controls.device(), &gpu) {
        (DeviceChoice::Cpu, _) => (Engine::Cpu, "Training on the CPU, as chosen.".to_string()),
        (DeviceChoice::WebGpu, Some(Ok(_))) => (Engine::WebGpu, "Training on WebGPU, as chosen.".to_string()),
        (DeviceChoice::WebGpu, Some(Err(why))) => {
            (Engine::Cpu, format!("WebGPU was chosen, but {why}: training on the CPU."))
        }
        (DeviceChoice::WebGpu, None) => (
            Engine::Cpu,
            "WebGPU was chosen, but the browser has not said yet whether it has it: training on the CPU.".into(),
        ),
        (DeviceChoice::Auto, Some(Ok(_))) => match app.train.races.iter().find(|r| r.times(&settings)) {
            Some(race) => (race.winner(), race.describe()),
            None => {
                let id = app.new_id();
                app.train.racing = Some((id, command));
                app.train.placed = format!(
                    "Timing a few batches of {} on the CPU and on WebGPU to train on the faster (the WebGPU module \
                     is downloaded once, for this)…",
                    settings.kind.key()
                );
                return vec![Effect::Race { id, settings, data: app.data.current }];
            }
        },
        (DeviceChoice::Auto, Some(Err(why))) => (Engine::Cpu, format!("Training on the CPU: {why}.")),
        (DeviceChoice::Auto, None) => {
            (Engine::Cpu, "Training on the CPU: the browser has not said yet whether it has WebGPU.".into())
        }
    };
    let mut effects = Vec::new();
    let pair_busy =
        app.overfit.pair.as_ref().is_some_and(|p| p.iter().any(|f| matches!(f.phase, Phase::Running | Phase::Paused)));
    app.train.placed = if engine == app.worker.engine {
        why
    } else if pair_busy {
        format!(
            "{why} But the overfitting pair is training on the {} worker, so this fit joins it there.",
            app.worker.engine.name()
        )
    } else {
        effects.push(super::worker::start(app, engine));
        why
    };
    effects.push(Effect::Post(command));
    effects
}

/// Section 8's settings in a few words.
fn describe(s: &TrainSettings) -> String {
    let (kind, optim) = (s.kind.key(), s.optimizer.key());
    format!("{kind}, {} epochs, lr {}, wd {}, batch {}, optimizer {optim}", s.epochs, s.lr, s.wd, s.batch_size)
}

/// Starts a new fit of section 8 with the controls' settings; a bad control is named.
fn new_fit(app: &mut App, phase: Phase) -> Option<(u64, TrainSettings)> {
    let settings = match app.train.controls.settings() {
        Ok(s) => s,
        Err(e) => {
            app.train.message = format!("{e}.");
            return None;
        }
    };
    let run = app.new_id();
    let t = &mut app.train;
    t.fit = Some(Fit::new(run, settings, phase));
    t.split = None;
    t.batch = None;
    t.message.clear();
    Some((run, settings))
}

/// Forgets section 8's fit (Reset, or new settings while none is under way).
fn reset(app: &mut App) -> Vec<Effect> {
    let t = &mut app.train;
    t.fit = None;
    t.split = None;
    t.batch = None;
    t.message.clear();
    vec![Effect::Post(ToWorker::Reset { slot: Slot::Train })]
}

/// fastai's weight decay when `fit_one_cycle` is given none (Adam's default).
pub const DEFAULT_WD: f64 = 0.01;

/// The overfitting pair, the book's: section 8's settings at fastai's default weight
/// decay, and with more (0.1, or the controls' if larger); any earlier pair is dropped.
pub fn compare(app: &mut App) -> Vec<Effect> {
    let settings = match app.train.controls.settings() {
        Ok(s) => s,
        Err(e) => {
            app.overfit = Default::default();
            app.overfit.failed = Some(format!("{e}."));
            return Vec::new();
        }
    };
    let more = if settings.wd > DEFAULT_WD { settings.wd } else { 0.1 };
    let fit = |run, wd| Fit::new(run, TrainSettings { wd, ..settings }, Phase::Running);
    let pair = [fit(app.new_id(), DEFAULT_WD), fit(app.new_id(), more)];
    let effects = [Slot::Baseline, Slot::Decayed]
        .into_iter()
        .zip(&pair)
        .map(|(slot, f)| Effect::Post(ToWorker::Run { slot, run: f.run, settings: f.settings }))
        .collect();
    app.overfit.pair = Some(pair);
    app.overfit.failed = None;
    effects
}
