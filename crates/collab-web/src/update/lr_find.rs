//! fastai's LR finder, for section 8's model (in the training worker) and for the
//! spreadsheet (on the page's device): a sweep asked for (a newer one drops an older
//! one's answer), its answer, and "Use this rate", which goes through the rate field's
//! own rule as if the visitor had typed the suggestion.

use collab_core::settings::Key;
use collab_core::train::lr_find::{self, Sweep};

use crate::effect::Effect;
use crate::fields::SheetControls;
use crate::lrfind::{LrFind, rate_text};
use crate::msg::{SheetMsg, TrainMsg};
use crate::protocol::ToWorker;
use crate::state::App;

/// Section 8: a sweep of the controls' model, data split and batch size, in the worker.
pub fn train_find(app: &mut App) -> Vec<Effect> {
    let settings = match app.train.controls.settings() {
        Ok(s) => s,
        Err(e) => {
            app.train.message = format!("{e}.");
            return Vec::new();
        }
    };
    let run = app.new_id();
    let about = format!(
        "{}{} (batch {}, seed {}) with Adam at fastai's default weight decay {} ({}), on the {} worker",
        settings.kind.name(),
        if settings.y_range { "" } else { " without sigmoid_range" },
        settings.batch_size,
        settings.seed,
        lr_find::WD,
        match settings.wd_kind {
            collab_core::train::WdKind::Decoupled => "decoupled",
            collab_core::train::WdKind::L2 => "as L2",
        },
        app.worker.engine.name()
    );
    app.train.lr_find = Some(LrFind { id: run, about, result: None });
    vec![Effect::Post(ToWorker::LrFind { run, settings })]
}

/// The worker's answer to sweep `run`.
pub fn train_found(app: &mut App, run: u64, result: Result<Sweep, String>) {
    answer(&mut app.train.lr_find, run, result);
}

/// Keeps `result` if it answers the sweep `finder` waits for (an older sweep's is dropped).
fn answer(finder: &mut Option<LrFind>, id: u64, result: Result<Sweep, String>) {
    if let Some(f) = finder.as_mut().filter(|f| f.id == id) {
        f.result = Some(result);
    }
}

/// Section 8's "Use this rate": the suggestion into the max learning rate field.
pub fn train_use(app: &mut App) -> Vec<Effect> {
    let Some(s) = app.train.lr_find.as_ref().and_then(LrFind::suggestion) else { return Vec::new() };
    let value = rate_text(s.lr);
    let mut controls = app.train.controls.clone();
    controls.set(Key::Lr, value.clone());
    let mut effects = vec![Effect::SetControl { id: "train-lr", value }];
    effects.extend(super::train::update(app, TrainMsg::Controls(controls)));
    effects
}

/// The sheet: a sweep of a copy of its numbers as they stand.
pub fn sheet_find(app: &mut App) -> Vec<Effect> {
    let id = app.new_id();
    let s = &app.sheet;
    let about =
        format!("the sheet's numbers after {} steps (plain full-batch steps, as Step on every rated cell)", s.steps);
    app.sheet.lr_find = Some(LrFind { id, about, result: None });
    vec![Effect::SheetLrFind { id, sheet: app.sheet.sheet.clone() }]
}

/// The answer to the sheet's sweep `id`.
pub fn sheet_found(app: &mut App, id: u64, result: Result<Sweep, String>) {
    answer(&mut app.sheet.lr_find, id, result);
}

/// The sheet's "Use this rate": the suggestion into its learning rate field.
pub fn sheet_use(app: &mut App) -> Vec<Effect> {
    let Some(s) = app.sheet.lr_find.as_ref().and_then(LrFind::suggestion) else { return Vec::new() };
    let value = rate_text(s.lr);
    let controls = SheetControls { lr: value.clone(), ..app.sheet.controls() };
    let mut effects = vec![Effect::SetControl { id: "sheet-lr", value }];
    effects.extend(super::sheet::update(app, SheetMsg::Controls(controls)));
    effects
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;
    use collab_core::read::block_on;
    use collab_core::sheet::SheetSettings;

    use crate::effect::Effect;
    use crate::fields::{SheetControls, TrainControls};
    use crate::lrfind::rate_text;
    use crate::msg::{Msg, SheetMsg, TrainMsg};
    use crate::protocol::{FromWorker, ToWorker};
    use crate::state::{App, DeviceState};
    use crate::update::update;

    fn app() -> App {
        let controls = TrainControls(
            ["dotbias", "8", "2", "0.01", "0.1", "decoupled", "16", "1", "cpu", "adam"].map(String::from),
        );
        let mut app = App::new(DeviceState { label: "CPU".into(), gpu: None }, controls, SheetSettings::default());
        let _ = update(&mut app, Msg::Start(SheetControls::showing(&SheetSettings::default())));
        app
    }

    /// A sweep falling from 2 to 0.75 over batches 20–45, then rising.
    fn sweep() -> collab_core::train::lr_find::Sweep {
        let mut s = collab_core::train::lr_find::Sweep::new(100);
        for i in 0..60 {
            s.record(if i < 20 {
                2.0
            } else if i < 45 {
                2.0 - 0.05 * (i - 20) as f64
            } else {
                0.75 + 0.1 * (i - 45) as f64
            });
        }
        s
    }

    #[test]
    fn section_8s_sweep_goes_to_the_worker_and_its_suggestion_into_the_rate_field() {
        let mut app = app();
        let effects = update(&mut app, Msg::Train(TrainMsg::LrFind));
        let [Effect::Post(ToWorker::LrFind { run, settings })] = effects.as_slice() else { panic!("{effects:?}") };
        assert_eq!(
            (settings.batch_size, settings.factors, settings.seed),
            (16, 8, 1),
            "the controls' model and batches"
        );
        let run = *run;
        // Another run's answer is dropped; this one's is kept.
        let _ = update(&mut app, Msg::Worker(FromWorker::LrFound { run: run + 7, result: Ok(sweep()) }));
        assert!(app.train.lr_find.as_ref().unwrap().result.is_none());
        let _ = update(&mut app, Msg::Worker(FromWorker::LrFound { run, result: Ok(sweep()) }));
        let want = rate_text(sweep().suggestion().unwrap().lr);
        let effects = update(&mut app, Msg::Train(TrainMsg::UseLr));
        assert!(effects.iter().any(|e| matches!(e, Effect::SetControl { id: "train-lr", value } if *value == want)));
        assert!(
            effects.iter().any(|e| matches!(e, Effect::StoreUrl(p) if p.iter().any(|(k, v)| *k == "lr" && *v == want))),
            "the link carries the rate: {effects:?}"
        );
        assert_eq!(app.train.controls.settings().unwrap().lr, want.parse::<f64>().unwrap());
    }

    #[test]
    fn the_sheets_sweep_runs_on_a_copy_and_its_suggestion_sets_the_sheets_rate() {
        let mut app = app();
        let before = app.sheet.sheet.clone();
        let effects = update(&mut app, Msg::Sheet(SheetMsg::LrFind));
        let [Effect::SheetLrFind { id, sheet }] = effects.as_slice() else { panic!("{effects:?}") };
        let result = block_on(sheet.lr_find(&Device::flex())).map_err(|e| e.to_string());
        let want = rate_text(result.as_ref().unwrap().suggestion().unwrap().lr);
        let _ = update(&mut app, Msg::Sheet(SheetMsg::LrFound { id: *id, result }));
        assert_eq!(app.sheet.sheet, before, "the sweep left the sheet's numbers alone");
        let effects = update(&mut app, Msg::Sheet(SheetMsg::UseLr));
        assert!(effects.iter().any(|e| matches!(e, Effect::SetControl { id: "sheet-lr", value } if *value == want)));
        assert_eq!(app.sheet.sheet.settings.lr, want.parse::<f64>().unwrap());
        assert_eq!(app.sheet.sheet.weights, before.weights, "a new rate keeps the numbers");
    }
}
