//! The runs table's rules: runs kept by an earlier visit, which are drawn, a run's
//! settings put back into its controls, forgetting. (Recording a run is not a rule of
//! its own: [`sync`] reads every fit after each message.)

use collab_core::settings::{DeviceChoice, Key};

use crate::effect::Effect;
use crate::fields::SHEET_CONTROLS;
use crate::msg::{RunsMsg, SheetMsg, TrainMsg};
use crate::protocol::{Engine, Slot};
use crate::runs::{Live, Place, Run, RunState, thinned};
use crate::state::{App, Fit, Phase};

pub fn update(app: &mut App, msg: RunsMsg) -> Vec<Effect> {
    let r = &mut app.runs;
    match msg {
        RunsMsg::Kept(Ok(None)) => Vec::new(),
        RunsMsg::Kept(Ok(Some(json))) => {
            if let Err(e) = r.restore_kept(&json) {
                r.message = format!("The runs kept in this browser could not be read ({e}); they are left out.");
            }
            Vec::new()
        }
        RunsMsg::Kept(Err(e)) => {
            r.message = format!("This browser keeps no runs ({e}): they last until the page is closed.");
            Vec::new()
        }
        RunsMsg::Show(number, on) => {
            if on {
                r.shown.insert(number);
            } else {
                r.shown.remove(&number);
            }
            vec![Effect::KeepRuns(r.to_json())]
        }
        RunsMsg::Forget => {
            r.message = match r.forget() {
                0 => "Every run was forgotten, here and in this browser.".into(),
                n => format!(
                    "Every run was forgotten, here and in this browser, but the {n} still on the page (they are \
                     recorded as long as they are there)."
                ),
            };
            vec![Effect::KeepRuns(r.to_json())]
        }
        RunsMsg::Restore(number) => {
            let Some(run) = r.get(number).cloned() else { return Vec::new() };
            let mut effects = Vec::new();
            let into = match run.place {
                Place::Sheet => {
                    let controls = app.sheet.controls().with_query(&run.link);
                    effects.extend(
                        SHEET_CONTROLS
                            .iter()
                            .zip(controls.query())
                            .map(|((id, _), (_, value))| Effect::SetControl { id, value }),
                    );
                    effects.extend(super::sheet::update(app, SheetMsg::Controls(controls)));
                    "the sheet's controls (section 3)"
                }
                Place::Train | Place::Pair => {
                    effects.extend(super::train::update(app, TrainMsg::Link(run.link.clone())));
                    let controls = app.train.controls.clone();
                    effects.extend(super::train::update(app, TrainMsg::Controls(controls)));
                    "section 8's controls"
                }
            };
            let data = if app.data.source.is_empty() || run.data.contains(&app.data.source) {
                String::new()
            } else {
                format!(" It trained on {}: load that data to compare like with like.", run.data)
            };
            app.runs.message = format!("Run {number}'s settings are back in {into}.{data}");
            effects
        }
    }
}

/// Records every fit and the sheet's current series as runs: true when the runs changed
/// in a way worth keeping in the browser.
pub fn sync(app: &mut App) -> bool {
    let mut found = Vec::new();
    for (slot, place) in [(Slot::Train, Place::Train), (Slot::Baseline, Place::Pair), (Slot::Decayed, Place::Pair)] {
        if let Some(run) = app.fit(slot).and_then(|fit| of_fit(app, slot, place, fit)) {
            found.push(run);
        }
    }
    found.extend(of_sheet(app));
    app.runs.record(found)
}

/// The data loaded, in words.
fn data_words(app: &App) -> String {
    format!("{} ({} ratings)", app.data.source, crate::html::group(app.data.summary.ratings))
}

/// A fit as a run, once it has reported.
fn of_fit(app: &App, slot: Slot, place: Place, fit: &Fit) -> Option<Run> {
    let p = fit.progress.as_ref()?;
    let per_epoch = p.batches_per_epoch.max(1) as f64;
    let train: Vec<(f64, f64)> = p.points.iter().map(|&(step, loss)| (step as f64 / per_epoch, loss)).collect();
    let valid: Vec<(f64, f64)> = p.history.iter().map(|r| ((r.epoch + 1) as f64, r.valid_loss)).collect();
    if train.is_empty() && valid.is_empty() {
        return None;
    }
    let s = &fit.settings;
    let engine = if app.worker.is_gpu { Engine::WebGpu } else { Engine::Cpu };
    let device = match engine {
        Engine::Cpu => DeviceChoice::Cpu,
        Engine::WebGpu => DeviceChoice::WebGpu,
    };
    let texts = s.texts(device);
    let mut link: Vec<(String, String)> = texts.pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    if let Some(data) = data_link(app) {
        link.push(data);
    }
    let model = texts.get(Key::Model);
    let factors = match s.kind {
        collab_core::model::ModelKind::CollabNn | collab_core::model::ModelKind::EmbeddingNn => String::new(),
        _ => format!("{} factors, ", s.factors),
    };
    let state = match fit.phase {
        Phase::Running => RunState::Running,
        Phase::Paused => RunState::Paused,
        Phase::Done => RunState::Done,
        Phase::Stopped => RunState::Stopped,
    };
    Some(
        Run {
            number: 0,
            place,
            model: if model == collab_core::settings::RAW_DOT {
                "DotProduct, no sigmoid_range".into()
            } else {
                s.kind.name().into()
            },
            settings: format!(
                "{factors}{} epoch{}, lr {}, wd {} ({}), batch {}, seed {}",
                s.epochs,
                if s.epochs == 1 { "" } else { "s" },
                texts.get(Key::Lr),
                texts.get(Key::Wd),
                texts.get(Key::WdKind),
                s.batch_size,
                s.seed
            ),
            link,
            device: engine.name().into(),
            data: data_words(app),
            train_loss: p.history.last().map(|r| r.train_loss).or_else(|| p.points.last().map(|p| p.1)),
            valid_loss: p.history.last().map(|r| r.valid_loss),
            seconds: p.history.iter().map(|r| r.seconds).sum(),
            train: thinned(&train),
            valid: thinned(&valid),
            state,
            live: Some(Live::Fit(slot, fit.run)),
        }
        .finite(),
    )
}

/// The link's data: the served copy is named; the visitor's own files cannot be.
fn data_link(app: &App) -> Option<(String, String)> {
    app.data.served.then(|| (crate::fields::DATA_KEY.to_string(), crate::fields::SERVED.to_string()))
}

/// The sheet's current series as a run, once it has taken a step.
fn of_sheet(app: &App) -> Option<Run> {
    let s = &app.sheet;
    let series = s.series.last().filter(|x| !x.train.is_empty())?;
    let trained = s.sheet.trained_on().len().max(1) as f64;
    // A step on every cell is an epoch; a mini-batch step, its share of one.
    let per_step = if s.batch_size == 0 { 1.0 } else { (s.batch_size as f64 / trained).min(1.0) };
    let mut train = Vec::new();
    let mut valid = Vec::new();
    if let Some((t, h)) = series.start {
        train.push((0.0, f64::from(t)));
        valid.extend(h.map(|h| (0.0, f64::from(h))));
    }
    for (n, &t) in series.train.iter().enumerate() {
        let x = (n + 1) as f64 * per_step;
        train.push((x, f64::from(t)));
        valid.extend(series.held.get(n).map(|&h| (x, f64::from(h))));
    }
    let controls = s.controls();
    let mut link: Vec<(String, String)> = controls.query().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    link.extend(data_link(app));
    let st = &s.sheet.settings;
    let (users, items) = s.sheet.dims();
    Some(
        Run {
            number: 0,
            place: Place::Sheet,
            model: if st.bias { "DotProductBias" } else { "DotProduct" }.into(),
            settings: format!(
                "{}; {}",
                series.label,
                if s.batch_size == 0 { "every cell a step".to_string() } else { format!("batch {}", s.batch_size) }
            ),
            link,
            device: "CPU (the page)".into(),
            data: format!("the sheet's {users} × {items} corner of {}", data_words(app)),
            train_loss: series.train.last().map(|&v| f64::from(v)),
            valid_loss: series.held.last().map(|&v| f64::from(v)),
            seconds: series.ms / 1000.0,
            train: thinned(&train),
            valid: thinned(&valid),
            state: if s.running { RunState::Running } else { RunState::Paused },
            live: Some(Live::Sheet(series.run)),
        }
        .finite(),
    )
}
