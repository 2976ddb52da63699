//! The page's one update function: every rule of how the page changes lives here, once.
//! Pure: no DOM, no device, no worker; what must happen outside comes back as effects.

mod data;
mod learned;
mod lookup;
mod lr_find;
mod runs;
mod sheet;
mod train;
mod worker;

#[cfg(test)]
mod tests;

use crate::effect::Effect;
use crate::fields;
use crate::msg::{BiasMsg, FactorsMsg, LearnedMsg, Msg, OverfitMsg, SheetMsg, TrainMsg};
use crate::protocol::FromWorker;
use crate::state::App;

/// Applies `msg` to `app` and says what to do outside; then every fit is recorded in
/// the runs table (kept in the browser whenever a run that is not training changed).
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut effects = apply(app, msg);
    if runs::sync(app) {
        effects.push(Effect::KeepRuns(app.runs.to_json()));
    }
    effects
}

fn apply(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Start(controls) => start(app, controls),
        Msg::Proof(result) => {
            app.proof = Some(result);
            Vec::new()
        }
        Msg::Sheet(SheetMsg::LrFind) => lr_find::sheet_find(app),
        Msg::Sheet(SheetMsg::LrFound { id, result }) => {
            lr_find::sheet_found(app, id, result);
            Vec::new()
        }
        Msg::Sheet(SheetMsg::UseLr) => lr_find::sheet_use(app),
        Msg::Train(TrainMsg::LrFind) => lr_find::train_find(app),
        Msg::Train(TrainMsg::UseLr) => lr_find::train_use(app),
        Msg::Worker(FromWorker::LrFound { run, result }) => {
            lr_find::train_found(app, run, result);
            Vec::new()
        }
        // A user of a fit's model, answered by the training worker that holds it.
        Msg::Worker(FromWorker::User { saved, user, result }) => {
            learned::update(app, LearnedMsg::User { saved, user, result })
        }
        Msg::Data(m) => data::update(app, m),
        Msg::Factors(m) => factors(app, m),
        Msg::Sheet(m) => sheet::update(app, m),
        Msg::Lookup(m) => lookup::update(app, m),
        Msg::Bias(m) => bias(app, m),
        Msg::ExportNotebook => {
            vec![Effect::Download { name: "collab-filtering.ipynb", bytes: crate::notebook::ipynb(app).into_bytes() }]
        }
        Msg::Adapter(gpu) => {
            // A GPU already lost on this visit stays so.
            if app.device.gpu.is_none() {
                app.device.gpu = Some(gpu);
            }
            Vec::new()
        }
        Msg::Train(m) => train::update(app, m),
        Msg::Overfit(OverfitMsg::Compare) => train::compare(app),
        Msg::Overfit(OverfitMsg::MapEpoch(epoch)) => {
            app.overfit.map_epoch = Some(epoch);
            Vec::new()
        }
        Msg::Learned(m) => learned::update(app, m),
        Msg::Runs(m) => runs::update(app, m),
        Msg::Worker(m) => worker::update(app, m),
        Msg::WorkerDied(what) => worker::died(app, &what),
        Msg::WorkerGarbled(e) => {
            app.train.message = format!("a message from the training worker could not be read: {e}");
            // It may have been the fit's model.
            if let Some(run) = app.learned.reading.as_ref().and_then(crate::state::Reading::fit) {
                learned::fit_read_ends(app, run);
            }
            Vec::new()
        }
    }
}

/// The first computations: the proof cell, the worker, the sheet and the lookup (once
/// each, for the controls' settings), the hand-set factors.
fn start(app: &mut App, controls: fields::SheetControls) -> Vec<Effect> {
    let mut effects =
        vec![Effect::Proof, worker::start(app, crate::protocol::Engine::Cpu), Effect::CheckKept, Effect::LoadRuns];
    // The controls as the page opened with them: nothing to write back into the URL.
    let sheet = sheet::update(app, crate::msg::SheetMsg::Controls(controls));
    effects.extend(sheet.into_iter().filter(|e| !matches!(e, Effect::StoreUrl(_))));
    let texts = crate::state::FACTOR_USER
        .iter()
        .chain(crate::state::FACTOR_MOVIES.iter().flat_map(|m| m.1.iter()))
        .map(|v| v.to_string())
        .collect();
    effects.extend(factors(app, FactorsMsg::Edited(texts)));
    effects
}

/// Computes the lookup (both ways) for the rating it shows and the current numbers.
fn lookup_effect(app: &mut App) -> Vec<Effect> {
    match app.lookup_cell() {
        Some(cell) => {
            vec![Effect::Lookup { generation: app.sheet.generation, sheet: app.sheet.sheet.clone(), cell }]
        }
        None => Vec::new(),
    }
}

/// Section 2: the visitor's and three movies' factors, typed by hand.
fn factors(app: &mut App, msg: FactorsMsg) -> Vec<Effect> {
    let f = &mut app.factors;
    match msg {
        FactorsMsg::Edited(texts) => {
            let values: Result<Vec<f32>, String> = texts.iter().map(|t| fields::factor(t)).collect();
            match values {
                Ok(v) if v.len() == 12 => {
                    f.message.clear();
                    f.values.copy_from_slice(&v);
                    let id = app.new_id();
                    app.factors.request = id;
                    vec![Effect::Dots {
                        id,
                        user: v[..3].to_vec(),
                        movies: v[3..].chunks(3).map(<[f32]>::to_vec).collect(),
                    }]
                }
                Ok(_) => Vec::new(),
                Err(e) => {
                    f.message = format!("{e}: the matches keep their last values.");
                    Vec::new()
                }
            }
        }
        FactorsMsg::Computed { id, result } if id == f.request => {
            match result {
                Ok(m) => f.matches = Some(m),
                Err(e) => f.message = e,
            }
            Vec::new()
        }
        FactorsMsg::Computed { .. } => Vec::new(),
    }
}

/// Section 6: the sheet trained without and with biases from the same numbers.
fn bias(app: &mut App, msg: BiasMsg) -> Vec<Effect> {
    let b = &mut app.bias;
    match msg {
        BiasMsg::Compare if b.busy => Vec::new(),
        BiasMsg::Compare => {
            b.busy = true;
            b.message = format!("training both for {} steps …", crate::state::BIAS_STEPS);
            vec![Effect::BiasCompare { sheet: app.sheet.sheet.clone() }]
        }
        BiasMsg::Done(result) => {
            b.busy = false;
            match result {
                Ok(rmse) => {
                    b.result = Some(rmse);
                    b.message = format!(
                        "After {} full-batch steps on four fifths of the sheet's ratings, from its current numbers \
                         (same learning rate); RMSE on the fifth held out.",
                        crate::state::BIAS_STEPS
                    );
                }
                Err(e) => b.message = e,
            }
            Vec::new()
        }
    }
}
