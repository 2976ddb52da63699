//! The update rules, each asserted on values: what changes in the state and which
//! effects go out. Device work (sheet steps, lookups) runs here on burn-flex, as the
//! page's CPU fallback would.

use burn::tensor::Device;
use collab_core::data::synth::{SynthSettings, generate, to_ml100k_zip};
use collab_core::lesson::lookup_both;
use collab_core::read::block_on;
use collab_core::sheet::{SheetSettings, USER_FACTORS};
use collab_core::train::EpochMetrics;

use super::update;
use crate::effect::{Effect, Focus};
use crate::fields::{SheetControls, TrainControls};
use crate::msg::*;
use crate::protocol::{Engine, FromWorker, Progress, Slot, ToWorker};
use crate::state::{App, DataRef, DataSummary, DeviceState, Origin, Phase, Reading, SavedModel};

fn controls() -> TrainControls {
    TrainControls(["dotbias", "8", "2", "0.01", "0.1", "decoupled", "16", "1", "auto", "adam"].map(String::from))
}

fn app() -> App {
    let mut app = App::new(DeviceState { label: "CPU".into(), gpu: None }, controls(), SheetSettings::default());
    let _ = update(&mut app, start());
    app
}

fn start() -> Msg {
    Msg::Start(SheetControls::showing(&SheetSettings::default()))
}

fn count(effects: &[Effect], what: fn(&Effect) -> bool) -> usize {
    effects.iter().filter(|e| what(e)).count()
}

fn is_lookup(e: &Effect) -> bool {
    matches!(e, Effect::Lookup { .. })
}

fn is_eval(e: &Effect) -> bool {
    matches!(e, Effect::EvalSheet { .. })
}

/// Carries out a sheet step effect natively and returns the message it answers with.
fn run_step(effect: Effect) -> Msg {
    let Effect::StepSheet { generation, mut sheet, cells, lookup } = effect else { panic!("not a step: {effect:?}") };
    let device = Device::flex();
    let step = block_on(sheet.step(&device, &cells)).unwrap();
    let eval = block_on(sheet.evaluate(&device)).unwrap();
    let result = Ok((sheet, step, eval));
    if lookup {
        Msg::Lookup(LookupMsg::Stepped { generation, result })
    } else {
        Msg::Sheet(SheetMsg::Stepped { generation, result, ms: 1.0 })
    }
}

/// A load's id, different in every call (the runtime's are its own numbers too).
fn load_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1000);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The files handed to `update` (as the page does with their handles), and the id of the
/// load, which must start a loading worker.
fn give(app: &mut App, origin: Origin, files: &[(String, Vec<u8>)]) -> u64 {
    let id = load_id();
    let sizes = files.iter().map(|(n, b)| (n.clone(), b.len() as u64)).collect();
    let effects = update(app, Msg::Data(DataMsg::Files { id, origin, files: sizes }));
    assert!(effects.iter().any(|e| matches!(e, Effect::StartLoader { id: i, .. } if *i == id)), "{effects:?}");
    assert_eq!(app.data.progress_state, "loading");
    id
}

/// What the loading worker answers for `files` (web/worker.rs: the core's reader of named
/// files, then the summary of the table).
fn answer(id: u64, files: &[(String, Vec<u8>)]) -> FromWorker {
    match collab_core::data::movielens::parse_named(files) {
        Ok((table, used)) => {
            FromWorker::Loaded { id, summary: Box::new(DataSummary::of(&table)), used, memory: 1 << 20 }
        }
        Err(e) => FromWorker::LoadFailed { id, message: e.to_string() },
    }
}

fn loader(id: u64, msg: FromWorker) -> Msg {
    Msg::Data(DataMsg::Loader { id, msg })
}

/// A whole load of `files` as the page and its loading worker go through it: the files
/// given, the worker's device, its answer. Returns the effects of the answer.
fn load_files(app: &mut App, origin: Origin, files: Vec<(String, Vec<u8>)>) -> Vec<Effect> {
    let id = give(app, origin, &files);
    let _ = update(app, loader(id, FromWorker::Ready { label: "CPU (wasm)".into(), is_gpu: false }));
    update(app, loader(id, answer(id, &files)))
}

/// True when `effects` make the worker of load `id` the training worker.
fn adopts(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::AdoptLoader { .. }))
}

/// Evaluates the sheet as the page would, so that it is "ready".
fn evaluate(app: &mut App) {
    let eval = block_on(app.sheet.sheet.evaluate(&Device::flex())).unwrap();
    let generation = app.sheet.generation;
    let _ = update(app, Msg::Sheet(SheetMsg::Evaluated { generation, result: Ok(eval) }));
}

/// Computes the lookup the page shows, natively.
fn show_lookup(app: &mut App) {
    let cell = app.lookup_cell().unwrap();
    let result = block_on(lookup_both(&app.sheet.sheet, cell.0, cell.1, &Device::flex())).map_err(|e| e.to_string());
    let generation = app.sheet.generation;
    let _ = update(app, Msg::Lookup(LookupMsg::Computed { generation, cell, result }));
}

/// The grid position of user 0's first factor.
fn first_factor(app: &App) -> (usize, usize) {
    let grid = crate::grid::layout(&app.sheet.sheet);
    let row = grid.iter().position(|r| matches!(r[1], crate::grid::Cell::Number { path: USER_FACTORS, row: 0, .. }));
    (row.unwrap(), 1)
}

/// Puts the cursor on user 0's first factor and types `text`, then Enter.
fn edit(app: &mut App, text: &str) -> Vec<Effect> {
    let at = first_factor(app);
    let _ = update(app, Msg::Sheet(SheetMsg::Click(at)));
    let _ = update(app, Msg::Sheet(SheetMsg::Edit(Some(text.into()))));
    update(app, Msg::Sheet(SheetMsg::Commit { text: text.into(), then: (1, 0) }))
}

#[test]
fn start_asks_for_each_first_computation_once() {
    let mut app = App::new(DeviceState::default(), controls(), SheetSettings::default());
    let effects = update(&mut app, start());
    assert_eq!(count(&effects, |e| matches!(e, Effect::Proof)), 1);
    assert_eq!(count(&effects, |e| matches!(e, Effect::StartWorker { engine: Engine::Cpu, .. })), 1);
    assert_eq!(count(&effects, is_eval), 1);
    assert_eq!(count(&effects, is_lookup), 1);
    assert_eq!(count(&effects, |e| matches!(e, Effect::Dots { movies, .. } if movies.len() == 3)), 1);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Focus(_))), "start moves no focus");
}

#[test]
fn an_edit_bumps_the_generation_clears_the_step_and_computes_each_view_once() {
    let mut app = app();
    let step = update(&mut app, Msg::Sheet(SheetMsg::Step)).remove(0);
    let _ = update(&mut app, run_step(step));
    assert!(app.sheet.last_step.is_some());
    let generation = app.sheet.generation;
    let effects = edit(&mut app, "2.5");
    assert_eq!(app.sheet.generation, generation + 1);
    assert!(app.sheet.last_step.is_none() && app.sheet.history().is_empty());
    assert_eq!(app.sheet.sheet.weights.get(USER_FACTORS).unwrap().values[0], 2.5);
    assert_eq!((count(&effects, is_eval), count(&effects, is_lookup)), (1, 1), "{effects:?}");
    // Last, but for keeping the runs (the edit ended the series stepped before it).
    assert!(matches!(effects.iter().rfind(|e| !matches!(e, Effect::KeepRuns(_))), Some(Effect::Focus(Focus::Cursor))));
    assert_eq!(count(&effects, |e| matches!(e, Effect::KeepRuns(_))), 1);
    assert_eq!(app.sheet.cursor, (first_factor(&app).0 + 1, 1), "Enter moves down");
}

#[test]
fn an_answer_for_older_numbers_is_dropped() {
    let mut app = app();
    let old = app.sheet.generation;
    let stale = block_on(app.sheet.sheet.evaluate(&Device::flex())).unwrap();
    let _ = edit(&mut app, "1.5");
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Evaluated { generation: old, result: Ok(stale) }));
    assert!(app.sheet.eval.is_none() && !app.sheet.evaluated());
    evaluate(&mut app);
    assert!(app.sheet.evaluated());
}

#[test]
fn step_then_lookup_step_then_step_follow_one_rule() {
    let mut app = app();
    evaluate(&mut app);
    let step = update(&mut app, Msg::Sheet(SheetMsg::Step)).remove(0);
    let effects = update(&mut app, run_step(step));
    assert_eq!((app.sheet.steps, app.sheet.history().len()), (1, 1));
    assert_eq!(count(&effects, is_lookup), 1, "a step recomputes the lookup once");
    let _ = edit(&mut app, "0.75");
    assert_eq!((app.sheet.steps, app.sheet.history().len()), (1, 0));
    let generation = app.sheet.generation;
    let step = update(&mut app, Msg::Lookup(LookupMsg::Step)).remove(0);
    let _ = update(&mut app, run_step(step));
    assert_eq!((app.sheet.steps, app.sheet.history().len(), app.sheet.generation), (2, 1, generation + 1));
    assert!(app.lookup.moved.starts_with("After one step on this rating, user rows ["), "{}", app.lookup.moved);
    assert!(app.sheet.evaluated(), "a step brings its own evaluation");
    let step = update(&mut app, Msg::Sheet(SheetMsg::Step)).remove(0);
    let _ = update(&mut app, run_step(step));
    assert_eq!((app.sheet.steps, app.sheet.history().len()), (3, 2));
    assert!(app.sheet.history()[1] < app.sheet.history()[0], "steps lower the loss: {:?}", app.sheet.history());
}

#[test]
fn a_step_for_older_numbers_is_dropped() {
    let mut app = app();
    let step = update(&mut app, Msg::Sheet(SheetMsg::Step)).remove(0);
    let _ = edit(&mut app, "3");
    let _ = update(&mut app, run_step(step));
    assert_eq!(app.sheet.steps, 0);
    assert_eq!(app.sheet.sheet.weights.get(USER_FACTORS).unwrap().values[0], 3.0, "the edit stays");
    assert!(!app.sheet.stepping);
}

#[test]
fn a_step_whose_loss_overflows_is_refused_and_the_numbers_are_kept() {
    let mut app = app();
    let before = app.sheet.sheet.clone();
    let _ = update(&mut app, Msg::Sheet(SheetMsg::ToggleRun));
    let generation = app.sheet.generation;
    let mut sheet = before.clone();
    let device = Device::flex();
    let step = block_on(sheet.step(&device, &[])).unwrap();
    let mut eval = block_on(sheet.evaluate(&device)).unwrap();
    eval.mse = f32::INFINITY;
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Stepped { generation, result: Ok((sheet, step, eval)), ms: 1.0 }));
    assert_eq!(app.sheet.sheet, before);
    assert!(app.sheet.message.starts_with("the loss became"), "{}", app.sheet.message);
    assert!(app.sheet.message.ends_with("The numbers before this step are kept."));
    assert!(!app.sheet.running, "Run stops");
}

#[test]
fn step_is_one_at_a_time_and_run_goes_on_after_a_pause() {
    let mut app = app();
    let first = update(&mut app, Msg::Sheet(SheetMsg::ToggleRun));
    assert_eq!(count(&first, |e| matches!(e, Effect::StepSheet { .. })), 1);
    assert!(update(&mut app, Msg::Sheet(SheetMsg::Step)).is_empty(), "no second step while one is computed");
    let effects = update(&mut app, run_step(first.into_iter().next().unwrap()));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::After { ms: 40, msg } if matches!(**msg, Msg::Sheet(SheetMsg::RunTick))))
    );
    assert_eq!(count(&update(&mut app, Msg::Sheet(SheetMsg::RunTick)), |e| matches!(e, Effect::StepSheet { .. })), 1);
    let _ = update(&mut app, Msg::Sheet(SheetMsg::ToggleRun));
    assert!(!app.sheet.running);
    app.sheet.stepping = false;
    assert!(update(&mut app, Msg::Sheet(SheetMsg::RunTick)).is_empty(), "Stop ends the ticks");
}

#[test]
fn bad_cell_text_is_refused_with_the_old_value_kept() {
    let mut app = app();
    let old = app.sheet.sheet.weights.get(USER_FACTORS).unwrap().values[0];
    for (text, says) in [("abc", "“abc” is not a number"), ("NaN", "finite"), ("inf", "finite")] {
        let effects = edit(&mut app, text);
        assert!(app.sheet.message.contains(says), "{text}: {}", app.sheet.message);
        assert!(app.sheet.message.ends_with(&format!("the cell keeps {old}.")));
        assert_eq!(count(&effects, is_eval), 0);
    }
    assert_eq!(app.sheet.sheet.weights.get(USER_FACTORS).unwrap().values[0], old);
    assert!(app.sheet.editing.is_none());
}

#[test]
fn escape_cancels_and_only_numbers_open_an_editor() {
    let mut app = app();
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Click((0, 0))));
    assert!(update(&mut app, Msg::Sheet(SheetMsg::Edit(None))).is_empty());
    assert!(app.sheet.editing.is_none());
    assert!(app.sheet.message.starts_with("Only the factor and bias cells"));
    let at = first_factor(&app);
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Click(at)));
    let effects = update(&mut app, Msg::Sheet(SheetMsg::Edit(None)));
    assert!(matches!(effects[..], [Effect::Focus(Focus::Editor)]));
    let shown: f32 = app.sheet.editing.as_deref().unwrap().parse().unwrap();
    assert_eq!(shown, app.sheet.sheet.weights.get(USER_FACTORS).unwrap().values[0], "opens with the value");
    assert!(update(&mut app, Msg::Sheet(SheetMsg::Click(at))).is_empty(), "a click in the editor stays");
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Cancel));
    assert_eq!(
        (app.sheet.editing.as_deref(), app.sheet.message.as_str()),
        (None, "Edit cancelled; the old value is kept.")
    );
}

#[test]
fn settings_take_good_values_and_a_new_k_resets_the_cursor() {
    let mut app = app();
    app.sheet.cursor = (5, 5);
    let c = SheetControls {
        lr: "x".into(),
        k: "3".into(),
        bias: true,
        y_range: true,
        wd: "0.01".into(),
        decoupled: false,
        batch: "4".into(),
        held: false,
    };
    let effects = update(&mut app, Msg::Sheet(SheetMsg::Controls(c)));
    let s = app.sheet.sheet.settings;
    assert_eq!((s.k, s.wd, s.bias, app.sheet.batch_size, app.sheet.cursor), (3, 0.01, true, 4, (0, 0)));
    assert_eq!(s.lr, SheetSettings::default().lr, "the bad learning rate keeps the old one");
    // Named beside its field, where it stays until the field holds a good value.
    assert_eq!(
        app.sheet.refused,
        vec![("sheet-lr", "“x” is not a valid learning rate; the sheet keeps 0.05".to_string())]
    );
    assert_eq!(app.sheet.sheet.weights.get(USER_FACTORS).unwrap().shape[1], 3);
    assert_eq!((count(&effects, is_eval), count(&effects, is_lookup)), (1, 1));
}

#[test]
fn the_lookup_drops_answers_for_old_numbers_or_another_pick() {
    let mut app = app();
    let first = app.lookup_cell().unwrap();
    let rated = app.sheet.sheet.rated();
    let other = (rated[3].0, rated[3].1);
    let result = block_on(lookup_both(&app.sheet.sheet, first.0, first.1, &Device::flex())).map_err(|e| e.to_string());
    let effects = update(&mut app, Msg::Lookup(LookupMsg::Pick(other)));
    assert!(matches!(effects[..], [Effect::Lookup { cell, .. }] if cell == other));
    let generation = app.sheet.generation;
    let _ = update(&mut app, Msg::Lookup(LookupMsg::Computed { generation, cell: first, result }));
    assert!(app.lookup.shown.is_none(), "an answer for the old pick is dropped");
    show_lookup(&mut app);
    assert_eq!(app.lookup.shown.as_ref().map(|s| (s.user, s.item)), Some(other));
}

#[test]
fn the_walk_goes_row_by_row_to_the_end_and_a_new_play_silences_the_old() {
    let mut app = app();
    show_lookup(&mut app);
    let rows = {
        let l = &app.lookup.shown.as_ref().unwrap().lookup;
        l.user_one_hot.len() + l.item_one_hot.len()
    };
    for n in 0..3 {
        let _ = update(&mut app, Msg::Lookup(LookupMsg::Next));
        assert_eq!(app.lookup.walk, Some(n));
    }
    let effects = update(&mut app, Msg::Lookup(LookupMsg::Play));
    let Some(Effect::After { ms: 150, msg }) = effects.first() else { panic!("{effects:?}") };
    let Msg::Lookup(LookupMsg::Tick(first)) = **msg else { panic!() };
    assert_eq!(app.lookup.walk, Some(0), "play starts over");
    let again = update(&mut app, Msg::Lookup(LookupMsg::Play));
    assert!(update(&mut app, Msg::Lookup(LookupMsg::Tick(first))).is_empty(), "the first play's tick is stale");
    let Some(Effect::After { msg, .. }) = again.first() else { panic!() };
    let Msg::Lookup(LookupMsg::Tick(id)) = **msg else { panic!() };
    let mut ticks = 1;
    while !update(&mut app, Msg::Lookup(LookupMsg::Tick(id))).is_empty() {
        ticks += 1;
    }
    assert_eq!(ticks, rows, "one tick a row");
    assert!(app.lookup.walk_done && app.lookup.walk.is_none() && app.lookup.playing.is_none());
    let _ = update(&mut app, Msg::Lookup(LookupMsg::ShowAll));
    assert!(!app.lookup.walk_done);
}

fn posted(effects: &[Effect]) -> Vec<&ToWorker> {
    effects.iter().filter_map(|e| if let Effect::Post(m) = e { Some(m) } else { None }).collect()
}

fn progress(done: bool, steps: usize) -> Progress {
    Progress { steps_done: steps, total_steps: 10, done, ..Progress::default() }
}

fn train_run(app: &App) -> u64 {
    app.train.fit.as_ref().unwrap().run
}

#[test]
fn train_pause_resume_keep_one_run() {
    let mut app = app();
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    assert!(
        matches!(posted(&effects)[..], [ToWorker::Run { slot: Slot::Train, run: r, settings }] if *r == run && settings.factors == 8)
    );
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert!(matches!(posted(&effects)[..], [ToWorker::Pause { run: r, .. }] if *r == run));
    assert_eq!(app.train.fit.as_ref().unwrap().phase, Phase::Paused);
    let effects = update(&mut app, Msg::Train(TrainMsg::Step));
    assert!(matches!(posted(&effects)[..], [ToWorker::Step { run: r, .. }] if *r == run));
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert!(matches!(posted(&effects)[..], [ToWorker::Run { run: r, .. }] if *r == run), "resume goes on");
    assert!(update(&mut app, Msg::Train(TrainMsg::Step)).is_empty());
    assert_eq!(app.train.message, "pause training first");
}

#[test]
fn reports_of_a_reset_or_older_run_are_dropped() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let old = train_run(&app);
    let effects = update(&mut app, Msg::Train(TrainMsg::Reset));
    assert!(matches!(posted(&effects)[..], [ToWorker::Reset { slot: Slot::Train }]));
    let _ = update(
        &mut app,
        Msg::Worker(FromWorker::Progress { slot: Slot::Train, run: old, progress: progress(false, 3) }),
    );
    assert!(app.train.fit.is_none(), "a stale report brings back no fit");
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let new = train_run(&app);
    assert_ne!(new, old);
    let _ = update(
        &mut app,
        Msg::Worker(FromWorker::Progress { slot: Slot::Train, run: old, progress: progress(false, 9) }),
    );
    assert!(app.train.fit.as_ref().unwrap().progress.is_none());
    let _ = update(
        &mut app,
        Msg::Worker(FromWorker::Progress { slot: Slot::Train, run: new, progress: progress(false, 2) }),
    );
    assert_eq!(app.train.fit.as_ref().unwrap().progress.as_ref().unwrap().steps_done, 2);
}

#[test]
fn a_done_fit_trains_anew_on_train() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let _ =
        update(&mut app, Msg::Worker(FromWorker::Progress { slot: Slot::Train, run, progress: progress(true, 10) }));
    assert_eq!(app.train.fit.as_ref().unwrap().phase, Phase::Done);
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert!(matches!(posted(&effects)[..], [ToWorker::Run { run: r, .. }] if *r != run));
    assert!(app.train.fit.as_ref().unwrap().progress.is_none(), "the new fit starts at step 0");
}

#[test]
fn a_settings_change_keeps_a_paused_fit_and_says_so() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let mut c = controls();
    c.0[3] = "0.5".into();
    let effects = update(&mut app, Msg::Train(TrainMsg::Controls(c.clone())));
    assert!(posted(&effects).is_empty(), "nothing is reset: {effects:?}");
    assert!(matches!(&effects[..], [Effect::StoreUrl(q)] if q[3] == ("lr", "0.5".to_string())));
    let fit = app.train.fit.as_ref().unwrap();
    assert_eq!((fit.run, fit.phase, fit.settings.lr), (run, Phase::Paused, 0.01));
    assert!(
        app.train.message.starts_with("The fit under way keeps its settings (dotbias, 2 epochs, lr 0.01"),
        "{}",
        app.train.message
    );
    // Reset, then the new settings apply.
    let _ = update(&mut app, Msg::Train(TrainMsg::Reset));
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert_eq!(app.train.fit.as_ref().unwrap().settings.lr, 0.5);
    // Without a fit under way, a change resets what is shown.
    let run = train_run(&app);
    let _ =
        update(&mut app, Msg::Worker(FromWorker::Progress { slot: Slot::Train, run, progress: progress(true, 10) }));
    let effects = update(&mut app, Msg::Train(TrainMsg::Controls(controls())));
    assert!(matches!(posted(&effects)[..], [ToWorker::Reset { .. }]));
    assert!(app.train.fit.is_none());
}

#[test]
fn choosing_a_model_sets_the_books_weight_decay() {
    let mut app = app();
    let mut c = controls();
    c.0[0] = "nn".into();
    let effects = update(&mut app, Msg::Train(TrainMsg::Controls(c.clone())));
    assert!(matches!(&effects[0], Effect::SetControl { id: "train-wd", value } if value == "0.01"));
    assert_eq!(app.train.controls.settings().unwrap().wd, 0.01);
    // A weight decay typed after that stays.
    c.0[4] = "0.3".into();
    let effects = update(&mut app, Msg::Train(TrainMsg::Controls(c.clone())));
    assert!(!effects.iter().any(|e| matches!(e, Effect::SetControl { .. })));
    assert_eq!(app.train.controls.settings().unwrap().wd, 0.3);
    c.0[0] = "embnn".into();
    let _ = update(&mut app, Msg::Train(TrainMsg::Controls(c)));
    assert_eq!(app.train.controls.settings().unwrap().wd, 0.1);
}

#[test]
fn bad_training_settings_are_named_and_start_nothing() {
    let mut app = app();
    let mut c = controls();
    c.0[6] = "0".into();
    let effects = update(&mut app, Msg::Train(TrainMsg::Controls(c)));
    assert!(
        app.train.message.contains("batch size")
            && app.train.message.ends_with("training keeps its last good settings.")
    );
    assert_eq!(effects.len(), 1, "only the URL changes");
    assert!(posted(&update(&mut app, Msg::Train(TrainMsg::Toggle))).is_empty());
    assert!(app.train.fit.is_none());
}

#[test]
fn a_failed_fit_stops_but_a_refused_step_after_the_end_stays_done() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let failed = |message: &str| {
        Msg::Worker(FromWorker::Failed { slot: Some((Slot::Train, run)), message: message.into(), device_lost: false })
    };
    let _ = update(&mut app, failed("the loss became NaN"));
    assert_eq!(
        (app.train.fit.as_ref().unwrap().phase, app.train.message.as_str()),
        (Phase::Stopped, "the loss became NaN")
    );
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let _ =
        update(&mut app, Msg::Worker(FromWorker::Progress { slot: Slot::Train, run, progress: progress(true, 10) }));
    let _ = update(
        &mut app,
        Msg::Worker(FromWorker::Failed {
            slot: Some((Slot::Train, run)),
            message: "the fit is complete".into(),
            device_lost: false,
        }),
    );
    assert_eq!(app.train.fit.as_ref().unwrap().phase, Phase::Done);
}

#[test]
fn the_overfitting_pair_trains_at_the_default_and_more_decay_and_stops_when_the_worker_dies() {
    let mut app = app();
    let _ = update(&mut app, Msg::Worker(FromWorker::Ready { label: "CPU".into(), is_gpu: false }));
    let effects = update(&mut app, Msg::Overfit(OverfitMsg::Compare));
    let wds: Vec<f64> = posted(&effects)
        .iter()
        .filter_map(|m| if let ToWorker::Run { settings, .. } = m { Some(settings.wd) } else { None })
        .collect();
    assert_eq!(wds, [0.01, 0.1], "the book's pair: fastai's default, then more");
    let effects = update(&mut app, Msg::WorkerDied("out of memory".into()));
    assert!(effects.iter().any(|e| matches!(e, Effect::StartWorker { engine: Engine::Cpu, .. })));
    let pair = app.overfit.pair.as_ref().unwrap();
    assert!(pair.iter().all(|f| f.phase == Phase::Stopped));
    assert!(app.overfit.failed.as_deref().unwrap().starts_with("The training worker stopped (out of memory)"));
    assert!(!app.worker.ready);
}

#[test]
fn a_worker_that_never_started_says_training_cannot_run() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let effects = update(&mut app, Msg::WorkerDied("no module workers".into()));
    assert!(effects.is_empty());
    assert_eq!(app.train.fit.as_ref().unwrap().phase, Phase::Stopped);
    assert!(app.train.message.starts_with("Training cannot run in this browser"));
}

#[test]
fn a_lost_gpu_moves_every_fit_to_the_cpu_from_its_snapshot() {
    let mut app = with_gpu("webgpu");
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert!(matches!(effects[0], Effect::StartWorker { engine: Engine::WebGpu, .. }), "chosen: no race");
    let _ = update(&mut app, Msg::Worker(FromWorker::Ready { label: "WebGPU".into(), is_gpu: true }));
    let run = train_run(&app);
    let snapshot = FromWorker::Snapshot { slot: Slot::Train, run, points: vec![(20, 1.5), (37, 1.2)] };
    let _ = update(&mut app, Msg::Worker(snapshot));
    let lost =
        FromWorker::Failed { slot: Some((Slot::Train, run)), message: "device lost\nmore".into(), device_lost: true };
    let effects = update(&mut app, Msg::Worker(lost));
    assert!(matches!(effects[0], Effect::StartWorker { engine: Engine::Cpu, .. }));
    let restored = effects.iter().filter_map(|e| match e {
        Effect::Restore(ToWorker::Restore { slot, run, points, go_on, .. }) => {
            Some((*slot, *run, points.len(), *go_on))
        }
        _ => None,
    });
    assert_eq!(restored.collect::<Vec<_>>(), [(Slot::Train, run, 2, true)], "{effects:?}");
    assert_eq!(
        app.train.message,
        "The GPU was lost (device lost). Training moved to the CPU and goes on from step 37, the last one it kept; the weights are kept."
    );
    assert_eq!(app.device.gpu, Some(Err("the WebGPU device was lost (device lost)".into())));
    assert!(!app.worker.is_gpu && app.worker.engine == Engine::Cpu);
    // WebGPU is not offered again on this visit, even when chosen.
    let _ = update(&mut app, Msg::Train(TrainMsg::Reset));
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert!(!effects.iter().any(|e| matches!(e, Effect::StartWorker { .. } | Effect::Race { .. })));
    assert!(app.train.placed.starts_with("WebGPU was chosen, but the WebGPU device was lost"), "{}", app.train.placed);
}

#[test]
fn a_bad_file_changes_nothing_and_a_good_one_starts_over() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let before = (app.data.summary.clone(), app.sheet.generation, app.worker.clone().label);
    let bad = vec![("u.data".to_string(), b"1\t2\t3\n".to_vec())];
    let id = give(&mut app, Origin::Picked, &bad);
    let effects = update(&mut app, loader(id, answer(id, &bad)));
    // The loading worker ends; nothing else happens.
    assert!(matches!(&effects[..], [Effect::EndLoader { id: i }] if *i == id), "{effects:?}");
    assert!(app.data.progress.starts_with("Nothing was loaded: u.data, line 1: expected 4 fields"));
    assert!(app.data.progress.ends_with("The data you had is still here."));
    assert_eq!((app.data.summary.clone(), app.sheet.generation, app.worker.clone().label), before);
    assert_eq!((app.data.current, app.data.loading.is_none()), (DataRef::Demo, true));
    assert!(app.train.fit.is_some(), "the fit stays");
    let zip =
        to_ml100k_zip(&generate(SynthSettings { users: 30, items: 20, density: 0.5, ..SynthSettings::default() }));
    let files = vec![("ml-100k.zip".to_string(), zip), ("notes.txt".to_string(), b"x".to_vec())];
    let effects = load_files(&mut app, Origin::Picked, files);
    // The loading worker, which holds the new ratings, becomes the training worker.
    let Some(Effect::AdoptLoader { id, forget: None }) = effects.first() else { panic!("{effects:?}") };
    assert_eq!(app.data.current, DataRef::Files(*id));
    assert!(app.worker.ready && app.worker.label == "CPU (wasm)");
    assert!(posted(&effects).is_empty(), "the ratings are not sent anywhere");
    assert_eq!((count(&effects, is_eval), count(&effects, is_lookup)), (1, 1));
    assert!(app.data.progress.starts_with("Loaded your file ml-100k.zip: "), "{}", app.data.progress);
    assert!(app.data.progress.ends_with("Not used: notes.txt (one data set at a time)."));
    assert!(app.train.fit.is_none() && app.overfit.pair.is_none());
    assert_eq!(app.data.summary.users, 30);
    // A second load lets the first one's files go.
    let again = vec![("u.data".to_string(), b"1\t2\t3\t4\n".to_vec())];
    let effects = load_files(&mut app, Origin::Picked, again);
    assert!(matches!(effects.first(), Some(Effect::AdoptLoader { forget: Some(old), .. }) if old == id));
}

#[test]
fn every_release_zip_loads_and_the_release_is_named() {
    use collab_core::data::{
        Release,
        generate::{Stand, zip},
    };
    for release in Release::ALL {
        let mut app = app();
        let name = format!("{}.zip", release.folder());
        let files = vec![(name.clone(), zip(&Stand::new(release, 1_500)))];
        let effects = load_files(&mut app, Origin::Picked, files);
        assert!(adopts(&effects), "{release}");
        assert_eq!(app.data.progress, format!("Loaded your file {name}: 1,500 ratings, {release}."));
        assert_eq!(app.data.summary.release(), Some(release.to_string()));
        assert_eq!(app.data.summary.ratings, 1_500);
    }
}

/// A saved model and what its fit brings (`fitted.run` `None`: a file's).
#[derive(Clone)]
struct Sample {
    bytes: Vec<u8>,
    fitted: crate::state::Fitted,
}

/// A model of 4 users × 5 movies as fit 7 saved it.
fn trained(kind: collab_core::model::ModelKind) -> Sample {
    use collab_core::data::Vocab;
    use collab_core::model::ModelSpec;
    let spec = ModelSpec { n_factors: 3, ..ModelSpec::new(kind, 5, 6) };
    let users = Vocab::new((1..5).map(|i| i.to_string()).collect(), true);
    let items = Vocab::new((1..6).map(|i| format!("movie {i}")).collect(), false);
    sample(spec, &users, &items, vec![0, 1, 2, 1, 0, 0])
}

/// A fresh model of `spec` over `users` × `items`, as fit 7 saved it with `counts`.
fn sample(
    spec: collab_core::model::ModelSpec,
    users: &collab_core::data::Vocab,
    items: &collab_core::data::Vocab,
    counts: Vec<usize>,
) -> Sample {
    let model = spec.init(1, &Device::flex());
    let bytes = block_on(collab_core::save::save(&model, &spec, users, items)).unwrap();
    Sample { bytes, fitted: crate::state::Fitted { run: Some(7), counts, ..Default::default() } }
}

/// Asks for `user`'s recommendations of `model`'s fit 7: the page asks the fit's worker
/// for them, and it answers their row and, as their ratings, `items` and `stars`.
fn recommend_with(app: &mut App, model: &Sample, user: &str, items: Vec<usize>, stars: Vec<f32>) {
    let effects = update(app, Msg::Learned(LearnedMsg::Recommend(user.into())));
    let [Effect::AskUser { saved: SavedModel::Fit(7), user: asked }] = &effects[..] else { panic!("{effects:?}") };
    assert_eq!(asked, user.trim(), "asked as typed, without the spaces");
    assert!(app.learned.recs.is_none(), "nothing is ranked before the worker answers");
    assert_eq!(app.learned.message, format!("reading user {}…", user.trim()));
    let row = crate::reading::UserRow { rated: items, stars, ..user_of(model, user).unwrap() };
    let answer = FromWorker::User { saved: SavedModel::Fit(7), user: asked.clone(), result: Ok(Box::new(row)) };
    assert!(update(app, Msg::Worker(answer)).is_empty());
}

/// What the worker that read `model` answers for `user` (a model file's reader: no ratings).
fn user_of(model: &Sample, user: &str) -> Result<crate::reading::UserRow, String> {
    let read = block_on(crate::reading::read_saved(&model.bytes, &[], SavedModel::File(0), &Device::flex()));
    read.unwrap().users.row(user)
}

/// What a worker reads of `model` with `counts` for the page (a fit's worker reads the
/// same of the model it holds: `reading::read_trained`).
fn reading_of(
    model: &Sample,
    counts: &[usize],
) -> Result<Box<(crate::reading::ModelFile, crate::reading::ModelReading)>, String> {
    block_on(crate::reading::read_saved(&model.bytes, counts, SavedModel::File(0), &Device::flex()))
        .map(|read| Box::new(read.page))
}

/// Shows `model` as the page does: a fit's (`run` set) as its worker's `Trained` brings
/// it, read with its counts; else as a picked file, read by a worker of its own with none.
fn load_model(app: &mut App, model: Sample) {
    match model.fitted.run {
        Some(run) => {
            let read = reading_of(&model, &model.fitted.counts);
            let id = app.new_id();
            app.learned.loading = id;
            let saved = SavedModel::Fit(run);
            let _ = crate::update::learned::loaded(app, id, None, saved, model.fitted, read);
        }
        None => {
            let saved = SavedModel::File(app.new_id());
            let effects = update(app, Msg::Learned(LearnedMsg::File { name: "m.bin".into(), saved: Ok(saved) }));
            let [Effect::ReadModel { id, source, saved: asked }] = &effects[..] else { panic!("{effects:?}") };
            assert_eq!(*asked, saved, "the worker reads the picked file");
            assert_eq!(app.learned.reading, Some(Reading::File("m.bin".into())));
            let msg = LearnedMsg::Loaded { id: *id, source: source.clone(), saved, result: reading_of(&model, &[]) };
            let _ = update(app, Msg::Learned(msg));
        }
    }
}

/// Shows a model file of `kind` as the page does (read by a worker of its own): the
/// sample it was read from, and how the page keeps it.
fn show_file(app: &mut App, kind: collab_core::model::ModelKind) -> (Sample, SavedModel) {
    let mut file = trained(kind);
    file.fitted.run = None;
    load_model(app, file.clone());
    (file, app.learned.model.as_ref().unwrap().saved)
}

#[test]
fn a_new_model_clears_every_view_of_the_old_one() {
    use collab_core::model::ModelKind;
    let mut app = app();
    let model = trained(ModelKind::DotProductBias);
    let bytes = model.bytes.clone();
    load_model(&mut app, model);
    let read = app.learned.read.as_ref().unwrap().as_ref().unwrap();
    let ends = &read.bias_ends;
    assert_eq!((ends.lowest.len(), ends.highest.len(), read.most_rated[0]), (5, 5, 2), "movie 2 is rated most");
    let sample = Sample { bytes, fitted: Default::default() };
    recommend_with(&mut app, &sample, "1", vec![1, 2], vec![4.0, 3.0]);
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Similar("movie 2".into())));
    let _ = update(&mut app, Msg::Learned(LearnedMsg::FitYou(vec![(1, 5.0)])));
    assert!(app.learned.recs.is_some() && app.learned.similar.is_some() && app.learned.you.is_some());
    assert!(
        !app.learned.recs.as_ref().unwrap().1.iter().any(|r| r.0 == 1 || r.0 == 2),
        "rated movies are not recommended"
    );
    let _ = show_file(&mut app, ModelKind::EmbeddingNn);
    assert!(app.learned.recs.is_none() && app.learned.similar.is_none() && app.learned.you.is_none());
    assert_eq!(app.learned.model_message, "Loaded EmbeddingNN [100, 50] from m.bin.");
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Recommend("1".into())));
    assert_eq!(app.learned.message, crate::state::NEURAL);
}

#[test]
fn why_writes_out_a_recommendations_prediction_and_its_terms_add_up() {
    use collab_core::model::ModelKind;
    let mut app = app();
    // Every movie has the ratings a list asks for (users 2 to 4 rated each twice over).
    let mut model = trained(ModelKind::DotProductBias);
    model.fitted.counts = vec![0, 7, 7, 6, 6, 6];
    let sample = model.clone();
    load_model(&mut app, model);
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Why(3)));
    assert_eq!(app.learned.message, "ask for recommendations first");
    // User 1 gave movie 1 four and a half stars and movie 2 two, as the worker says.
    recommend_with(&mut app, &sample, "1", vec![1, 2], vec![4.5, 2.0]);
    let (item, score) = app.learned.recs.as_ref().unwrap().1[0];
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Why(item)));
    let why = app.learned.why.as_ref().expect("an explanation");
    let e = &why.explanation;
    assert_eq!((why.user.as_str(), why.item, e.products.len()), ("1", item, 3));
    // Each product is the user's factor times the movie's; they and the biases add up to
    // the sum, and sigmoid_range of the sum is the very score the list ranked by.
    for f in 0..3 {
        assert_eq!(e.products[f], e.user[f] * e.item[f]);
    }
    let sum = e.products.iter().sum::<f32>() + e.user_bias + e.item_bias;
    assert!((sum - e.total).abs() < 1e-6, "{sum} against {}", e.total);
    assert!((5.5 / (1.0 + (-e.total).exp()) - e.prediction).abs() < 1e-5);
    assert_eq!(e.prediction, score);
    // The closest movies are user 1's own: movies 1 and 2.
    assert!(!e.closest.is_empty() && e.closest.iter().all(|c| c.0 == 1 || c.0 == 2), "{:?}", e.closest);
    // Beside each, the stars user 1 gave it, as the fit's data held them.
    let want: Vec<Option<f32>> = e.closest.iter().map(|c| Some(if c.0 == 1 { 4.5 } else { 2.0 })).collect();
    assert_eq!(why.ratings, want);
    // The user row the worker sent is the model's own: the prediction is the model's.
    let loaded = collab_core::save::load(&sample.bytes, &Device::flex()).unwrap();
    let whole = block_on(crate::reading::tables_of(&loaded.model, &loaded.spec)).unwrap().unwrap();
    assert_eq!((e.user.as_slice(), e.user_bias), (whole.user(1), whole.user_bias[1]), "user 1's own row");
    // Another user's list drops the explanation.
    recommend_with(&mut app, &sample, "2", vec![1, 2, 3, 4, 5], vec![3.0; 5]);
    assert!(app.learned.why.is_none());
    assert!(app.learned.recs.as_ref().unwrap().1.is_empty(), "user 2 rated every movie");
    // User 1 again: asked again (only the last user is kept), ranked as before.
    recommend_with(&mut app, &sample, "1", vec![1, 2], vec![4.5, 2.0]);
    assert_eq!(app.learned.recs.as_ref().unwrap().1[0], (item, score));
    // The same user once more: ranked at once, nothing asked.
    assert!(update(&mut app, Msg::Learned(LearnedMsg::Recommend(" 1".into()))).is_empty());
    assert_eq!(app.learned.recs.as_ref().unwrap().1[0], (item, score));
}

#[test]
fn recommendations_wait_for_their_user_and_drop_stale_answers() {
    use collab_core::model::ModelKind;
    let mut app = app();
    let mut model = trained(ModelKind::DotProduct);
    model.fitted.counts = vec![0, 7, 7, 6, 6, 6];
    let sample = model.clone();
    load_model(&mut app, model);
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Recommend("1".into())));
    let row = |user: &str, rated: Vec<usize>| {
        Ok(Box::new(crate::reading::UserRow { rated, stars: vec![4.0; 2], ..user_of(&sample, user).unwrap() }))
    };
    // An answer about another model, or for another user, ranks nothing.
    for (saved, user) in [(SavedModel::Fit(6), "1"), (SavedModel::File(7), "1"), (SavedModel::Fit(7), "2")] {
        let answer = FromWorker::User { saved, user: user.into(), result: row(user, vec![]) };
        let _ = update(&mut app, Msg::Worker(answer));
        assert!(app.learned.recs.is_none() && app.learned.asking.is_some(), "{saved:?} {user}");
    }
    // The worker lost them (it restarted): said, and nothing recommended blind.
    let lost = FromWorker::User { saved: SavedModel::Fit(7), user: "1".into(), result: Err("train again".into()) };
    let _ = update(&mut app, Msg::Worker(lost));
    assert_eq!((app.learned.message.as_str(), app.learned.recs.is_none()), ("train again", true));
    // A user asked while another's answer is on its way: only the last one is ranked.
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Recommend("1".into())));
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Recommend("2".into())));
    let late = FromWorker::User { saved: SavedModel::Fit(7), user: "1".into(), result: row("1", vec![3]) };
    let _ = update(&mut app, Msg::Worker(late));
    assert!(app.learned.recs.is_none());
    let answer = FromWorker::User { saved: SavedModel::Fit(7), user: "2".into(), result: row("2", vec![2, 3]) };
    let _ = update(&mut app, Msg::Worker(answer));
    let (user, list) = app.learned.recs.as_ref().unwrap();
    assert_eq!(user, "2");
    assert!(!list.is_empty() && list.iter().all(|r| r.0 != 2 && r.0 != 3), "{list:?}");
    // A model loaded from a file is asked of the worker that read it, and leaves nothing out.
    let (_, saved) = show_file(&mut app, ModelKind::DotProduct);
    assert!(matches!(saved, SavedModel::File(_)));
    let effects = update(&mut app, Msg::Learned(LearnedMsg::Recommend("2".into())));
    assert!(matches!(&effects[..], [Effect::AskUser { saved: s, user }] if *s == saved && user == "2"), "{effects:?}");
    let msg = LearnedMsg::User { saved, user: "2".into(), result: user_of(&sample, "2").map(Box::new) };
    assert!(update(&mut app, Msg::Learned(msg)).is_empty());
    assert_eq!(app.learned.recs.as_ref().unwrap().1.len(), 5, "every movie, none rated");
}

#[test]
fn a_model_from_a_file_lists_every_movie_in_index_order() {
    use collab_core::model::ModelKind;
    let mut app = app();
    let (sample, saved) = show_file(&mut app, ModelKind::DotProductBias);
    let read = app.learned.read.as_ref().unwrap().as_ref().unwrap();
    // No counts: every movie, in index order, is listable, on the map and in the profiles.
    assert_eq!(read.most_rated, [1, 2, 3, 4, 5]);
    assert_eq!(read.listable, [1, 2, 3, 4, 5]);
    assert_eq!(read.map.len(), 5);
    assert!(!read.profiles.is_empty() && read.profiles.iter().all(|p| !p.loves.is_empty()));
    // Its reader answers for user 1, who rated nothing it knows of: every movie is listed.
    let effects = update(&mut app, Msg::Learned(LearnedMsg::Recommend("1".into())));
    assert!(matches!(&effects[..], [Effect::AskUser { .. }]), "{effects:?}");
    let msg = LearnedMsg::User { saved, user: "1".into(), result: user_of(&sample, "1").map(Box::new) };
    let _ = update(&mut app, Msg::Learned(msg));
    assert_eq!(app.learned.recs.as_ref().unwrap().1.len(), 5);
}

#[test]
fn a_ratings_question_to_a_replaced_worker_stops_waiting() {
    use collab_core::model::ModelKind;
    let mut app = app();
    load_model(&mut app, trained(ModelKind::DotProduct));
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Recommend("1".into())));
    assert!(app.learned.asking.is_some());
    app.learned.model.as_mut().unwrap().errors = crate::state::Errors::Coming;
    let _ = super::worker::start(&mut app, crate::protocol::Engine::Cpu);
    assert!(app.learned.asking.is_none());
    assert_eq!(app.learned.message, "the training worker stopped before it answered: ask again");
    // Where the fit's model is wrong will not come either: said, not waited for.
    let crate::state::Errors::Failed(why) = &app.learned.model.as_ref().unwrap().errors else { panic!() };
    assert_eq!(why, "the training worker stopped before it had worked them out");
}

#[test]
fn a_model_files_reader_that_stops_leaves_the_model_shown_and_is_not_asked_again() {
    use collab_core::model::ModelKind;
    let mut app = app();
    let (_, saved) = show_file(&mut app, ModelKind::DotProduct);
    let effects = update(&mut app, Msg::Learned(LearnedMsg::Recommend("1".into())));
    assert!(matches!(&effects[..], [Effect::AskUser { .. }]));
    // The reader dies: the page keeps the model (and its file, for Save), stops waiting.
    let id = app.learned.loading;
    let died = LearnedMsg::Loaded { id, source: "m.bin".into(), saved, result: Err("its worker stopped (x)".into()) };
    assert!(update(&mut app, Msg::Learned(died)).is_empty(), "nothing is let go of");
    assert_eq!(app.learned.model.as_ref().unwrap().saved, saved);
    assert!(app.learned.asking.is_none());
    let said = "its worker stopped (x): load the model again to ask about a user";
    assert_eq!(app.learned.message, said);
    // Asked again: said at once, no question to a worker that is gone.
    assert!(update(&mut app, Msg::Learned(LearnedMsg::Recommend("1".into()))).is_empty());
    assert_eq!((app.learned.message.as_str(), app.learned.asking.is_none()), (said, true));
    // The model's movies still answer.
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Similar("movie 2".into())));
    assert!(app.learned.similar.is_some());
}

#[test]
fn a_failed_search_clears_the_old_answer() {
    use collab_core::model::ModelKind;
    let mut app = app();
    let model = trained(ModelKind::DotProduct);
    let sample = model.clone();
    load_model(&mut app, model);
    recommend_with(&mut app, &sample, "1", vec![1], vec![4.0]);
    assert_eq!(app.learned.recs.as_ref().unwrap().0, "1");
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Recommend("99".into())));
    assert!(app.learned.recs.is_none(), "user 1's list does not stay under user 99");
    let unknown = user_of(&sample, "99").map(Box::new);
    let _ = update(
        &mut app,
        Msg::Worker(FromWorker::User { saved: SavedModel::Fit(7), user: "99".into(), result: unknown }),
    );
    assert_eq!(app.learned.message, "user “99” is not in the training data");
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Recommend("  ".into())));
    assert_eq!(app.learned.message, "type a user id first");
    // User 4, the last, as typed with spaces: index 4.
    let effects = update(&mut app, Msg::Learned(LearnedMsg::Recommend(" 4 ".into())));
    assert!(matches!(&effects[..], [Effect::AskUser { user, .. }] if user == "4"), "{effects:?}");
    assert_eq!(user_of(&sample, " 4 ").unwrap().index, 4);
    let _ = update(&mut app, Msg::Learned(LearnedMsg::FitYou(vec![(2, 4.0)])));
    let _ = update(&mut app, Msg::Learned(LearnedMsg::FitYou(vec![])));
    assert!(app.learned.you.is_none());
    assert_eq!(app.learned.you_message, "rate at least one movie");
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Similar("Nope".into())));
    assert_eq!(app.learned.message, "no title contains “Nope”");
}

#[test]
fn a_model_read_for_an_older_load_is_dropped_and_a_bad_file_keeps_the_model() {
    use collab_core::model::ModelKind;
    let mut app = app();
    load_model(&mut app, trained(ModelKind::DotProductBias));
    assert_eq!(app.learned.model.as_ref().unwrap().saved, SavedModel::Fit(7));
    // Two files picked one after the other: the first one's answer comes last, and is dropped.
    let pick = |app: &mut App, name: &str, n| {
        let effects = update(app, Msg::Learned(LearnedMsg::File { name: name.into(), saved: Ok(SavedModel::File(n)) }));
        let [Effect::ReadModel { id, .. }] = &effects[..] else { panic!("{effects:?}") };
        *id
    };
    let (first, second) = (pick(&mut app, "first.bin", 1), pick(&mut app, "bad.bin", 2));
    let (file1, file2) = (SavedModel::File(1), SavedModel::File(2));
    let result = reading_of(&trained(ModelKind::DotProduct), &[]);
    let stale = LearnedMsg::Loaded { id: first, source: "first.bin".into(), saved: file1, result };
    assert!(
        matches!(&update(&mut app, Msg::Learned(stale))[..], [Effect::ForgetModel(f)] if *f == file1),
        "the page lets go of a file it no longer reads"
    );
    assert_eq!(app.learned.model.as_ref().unwrap().spec.kind, ModelKind::DotProductBias);
    // The reading worker's words for a bad file, and the model stays.
    let error = block_on(crate::reading::read_saved(&[0], &[], file2, &Device::flex())).err().unwrap();
    let bad = LearnedMsg::Loaded { id: second, source: "bad.bin".into(), saved: file2, result: Err(error.clone()) };
    assert!(matches!(&update(&mut app, Msg::Learned(bad))[..], [Effect::ForgetModel(f)] if *f == file2));
    assert_eq!(app.learned.model_message, format!("{error}. The model you had is still here."));
    assert!(error.contains("not a model saved by this notebook"), "{error}");
    assert_eq!(app.learned.model.as_ref().unwrap().saved, SavedModel::Fit(7), "Save still hands back the fit's");
    assert!(app.learned.read.as_ref().unwrap().is_ok());
    // A good file replaces the fit's model, which the page lets go of; Save hands back the file.
    let third = pick(&mut app, "good.bin", 3);
    let result = reading_of(&trained(ModelKind::DotProduct), &[]);
    let good = LearnedMsg::Loaded { id: third, source: "good.bin".into(), saved: SavedModel::File(3), result };
    assert!(matches!(&update(&mut app, Msg::Learned(good))[..], [Effect::ForgetModel(SavedModel::Fit(7))]));
    assert!(matches!(&update(&mut app, Msg::Learned(LearnedMsg::Save))[..], [Effect::SaveModel(SavedModel::File(3))]));
}

#[test]
fn a_fits_model_is_read_where_it_was_trained_said_meanwhile_and_an_older_runs_is_let_go() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let _ = report(&mut app, run, &[(1.0, 1.1), (0.9, 1.0)], true);
    assert_eq!(app.learned.reading, Some(Reading::Fit(run)), "section 9 says the model is being read");
    let model = trained(collab_core::model::ModelKind::DotProductBias);
    let counts = model.fitted.counts.clone();
    let old = FromWorker::Trained { run: run + 100, read: reading_of(&model, &[]), counts: vec![] };
    assert!(
        matches!(&update(&mut app, Msg::Worker(old))[..], [Effect::ForgetModel(SavedModel::Fit(r))] if *r == run + 100),
        "the page lets go of an older fit's saved model"
    );
    assert!(app.learned.model.is_none());
    // The fit's worker read its model where it was trained: the page shows it at once.
    let read = reading_of(&model, &counts);
    let new = FromWorker::Trained { run, read, counts: counts.clone() };
    assert!(update(&mut app, Msg::Worker(new)).is_empty());
    assert_eq!(app.learned.reading, None);
    // A fit carried on from a snapshot on the CPU reports done again, and brings no model.
    let _ = report(&mut app, run, &[(1.0, 1.1), (0.9, 1.0)], true);
    assert_eq!(app.learned.reading, None, "no model is on its way");
    let shown = app.learned.model.as_ref().unwrap();
    assert_eq!((shown.saved, shown.run, &shown.counts), (SavedModel::Fit(run), Some(run), &counts));
    assert_eq!(app.learned.read.as_ref().unwrap().as_ref().unwrap().most_rated[0], 2, "movie 2 is rated most");
    // Where it is wrong follows the model: another fit's is dropped, its own is shown.
    assert!(matches!(shown.errors, crate::state::Errors::Coming));
    let residuals = || {
        let valid = collab_core::data::Encoded { users: vec![1], items: vec![2], ratings: vec![4.0] };
        let r = collab_core::residuals::Residuals::new(&valid, &[3.0], &valid);
        Ok((Box::new(r), vec!["1".to_string()]))
    };
    let _ = update(&mut app, Msg::Worker(FromWorker::Errors { run: run + 100, result: residuals() }));
    assert!(matches!(app.learned.model.as_ref().unwrap().errors, crate::state::Errors::Coming));
    let _ = update(&mut app, Msg::Worker(FromWorker::Errors { run, result: residuals() }));
    let crate::state::Errors::Ready(r, users) = &app.learned.model.as_ref().unwrap().errors else { panic!() };
    assert_eq!((r.count, users.as_slice()), (1, ["1".to_string()].as_slice()));
    // A fit whose model could not be read says so in section 8, and lets its file go.
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let next = train_run(&app);
    let _ = report(&mut app, next, &[(1.0, 1.1), (0.9, 1.0)], true);
    // A file picked meanwhile is not dropped by a fit whose model could not be read.
    let picked =
        update(&mut app, Msg::Learned(LearnedMsg::File { name: "f.bin".into(), saved: Ok(SavedModel::File(9)) }));
    let [Effect::ReadModel { id: file_id, .. }] = &picked[..] else { panic!("{picked:?}") };
    let failed = FromWorker::Trained { run: next, read: Err("no".into()), counts: vec![] };
    let effects = update(&mut app, Msg::Worker(failed));
    assert!(matches!(&effects[..], [Effect::ForgetModel(SavedModel::Fit(r))] if *r == next), "{effects:?}");
    assert_eq!(app.train.message, "the trained model could not be read: no");
    assert_eq!(app.learned.model.as_ref().unwrap().saved, SavedModel::Fit(run), "the model shown stays");
    assert_eq!(app.learned.reading, Some(Reading::File("f.bin".into())), "the file is still being read");
    let result = reading_of(&trained(collab_core::model::ModelKind::DotProduct), &[]);
    let file = LearnedMsg::Loaded { id: *file_id, source: "f.bin".into(), saved: SavedModel::File(9), result };
    let _ = update(&mut app, Msg::Learned(file));
    assert_eq!(app.learned.model.as_ref().unwrap().saved, SavedModel::File(9));
    assert_eq!(app.learned.reading, None);
    // A fit whose worker fails after its last batch, whose worker is replaced, or whose
    // model comes garbled, brings no model.
    for end in ["failed", "replaced", "garbled"] {
        let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
        let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
        let last = train_run(&app);
        let _ = report(&mut app, last, &[(1.0, 1.1), (0.9, 1.0)], true);
        assert_eq!(app.learned.reading, Some(Reading::Fit(last)));
        let _ = match end {
            "failed" => {
                let message = "save failed".to_string();
                let failed = FromWorker::Failed { slot: Some((Slot::Train, last)), message, device_lost: false };
                update(&mut app, Msg::Worker(failed))
            }
            "replaced" => vec![super::worker::start(&mut app, Engine::Cpu)],
            _ => update(&mut app, Msg::WorkerGarbled("bad".into())),
        };
        assert_eq!(app.learned.reading, None, "{end}");
    }
}

#[test]
fn hand_set_factors_name_a_bad_number_and_drop_stale_answers() {
    let mut app = app();
    let mut texts: Vec<String> = (0..12).map(|i| i.to_string()).collect();
    texts[4] = "x".into();
    assert!(update(&mut app, Msg::Factors(FactorsMsg::Edited(texts.clone()))).is_empty());
    assert_eq!(app.factors.message, "“x” is not a number: the matches keep their last values.");
    texts[4] = "2".into();
    let effects = update(&mut app, Msg::Factors(FactorsMsg::Edited(texts)));
    let Some(Effect::Dots { id, user, movies }) = effects.first() else { panic!() };
    assert_eq!((user.as_slice(), movies[1].as_slice()), (&[0.0, 1.0, 2.0][..], &[6.0, 7.0, 8.0][..]));
    let _ = update(&mut app, Msg::Factors(FactorsMsg::Computed { id: id - 1, result: Ok(vec![9.0; 3]) }));
    assert!(app.factors.matches.is_none());
    let _ = update(&mut app, Msg::Factors(FactorsMsg::Computed { id: *id, result: Ok(vec![1.0, 2.0, 3.0]) }));
    assert_eq!(app.factors.matches.as_deref(), Some(&[1.0, 2.0, 3.0][..]));
}

#[test]
fn the_bias_comparison_runs_once_at_a_time() {
    let mut app = app();
    assert_eq!(update(&mut app, Msg::Bias(BiasMsg::Compare)).len(), 1);
    assert!(update(&mut app, Msg::Bias(BiasMsg::Compare)).is_empty());
    let _ = update(&mut app, Msg::Bias(BiasMsg::Done(Ok((1.2, 0.9)))));
    assert_eq!((app.bias.busy, app.bias.result), (false, Some((1.2, 0.9))));
    assert!(app.bias.message.starts_with("After 60 full-batch steps on four fifths"));
}

#[test]
fn overfit_progress_finishes_the_pair() {
    let mut app = app();
    let _ = update(&mut app, Msg::Overfit(OverfitMsg::Compare));
    let runs: Vec<u64> = app.overfit.pair.as_ref().unwrap().iter().map(|f| f.run).collect();
    let row = EpochMetrics { epoch: 0, train_loss: 1.0, valid_loss: 1.1, rmse: 1.05, seconds: 0.1 };
    for (slot, run) in [Slot::Baseline, Slot::Decayed].into_iter().zip(runs) {
        let p = Progress { history: vec![row], ..progress(true, 10) };
        let _ = update(&mut app, Msg::Worker(FromWorker::Progress { slot, run, progress: p }));
    }
    assert!(app.overfit.pair.as_ref().unwrap().iter().all(|f| f.phase == Phase::Done));
}

#[test]
fn the_files_a_visitor_loaded_are_kept_and_offered_again() {
    let mut app = app();
    assert!(app.data.kept.is_none());
    let _ = update(&mut app, Msg::Data(DataMsg::Kept(Some(vec!["u.data".into(), "u.item".into()]))));
    assert_eq!(app.data.kept.as_deref(), Some("u.data + u.item"));
    let u_data = b"1\t2\t3\t4\n2\t2\t5\t4\n".to_vec();
    let files = vec![("u.data".to_string(), u_data.clone()), ("notes.txt".to_string(), b"x".to_vec())];
    let effects = load_files(&mut app, Origin::Picked, files);
    let kept: Vec<_> = effects
        .iter()
        .filter_map(|e| if let Effect::KeepFiles { names, .. } = e { Some(names) } else { None })
        .collect();
    assert_eq!(kept, [&vec!["u.data".to_string()]], "only the files used are kept");
    assert_eq!(app.data.kept.as_deref(), Some("u.data"));
    // A refused file keeps nothing new.
    let effects = load_files(&mut app, Origin::Picked, vec![("u.data".into(), b"bad".to_vec())]);
    assert!(!effects.iter().any(|e| matches!(e, Effect::KeepFiles { .. })));
    assert!(matches!(update(&mut app, Msg::Data(DataMsg::LoadKept))[..], [Effect::LoadKept]));
    assert_eq!(app.data.progress_state, "loading");
}

/// The test app with a WebGPU adapter offered, and section 8's device choice set.
fn with_gpu(choice: &str) -> App {
    let mut app = app();
    let _ = update(&mut app, Msg::Adapter(Ok("SwiftShader".into())));
    let mut c = controls();
    c.0[8] = choice.into();
    let _ = update(&mut app, Msg::Train(TrainMsg::Controls(c)));
    app
}

/// A GPU lap of `ms` a batch, a third of it to queue, on the device `label`.
fn lap(ms: f64, label: &str) -> crate::state::Lap {
    crate::state::Lap { ms, queue_ms: ms / 3.0, label: label.into(), is_gpu: label.starts_with("WebGPU") }
}

fn race_id(effects: &[Effect]) -> u64 {
    match effects {
        [Effect::Race { id, .. }] => *id,
        other => panic!("expected one race, got {other:?}"),
    }
}

#[test]
fn auto_races_once_per_model_and_batch_then_trains_on_the_faster() {
    let mut app = with_gpu("auto");
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let id = race_id(&effects);
    assert!(app.train.placed.starts_with("Timing a few batches of dotbias"), "{}", app.train.placed);
    // The CPU wins (as on SwiftShader): the CPU worker already runs, the fit goes there.
    let raced = TrainMsg::Raced { id, cpu: Ok(0.31), gpu: Ok(lap(2.7, "WebGPU: SwiftShader (Cpu)")) };
    let effects = update(&mut app, Msg::Train(raced));
    assert!(matches!(posted(&effects)[..], [ToWorker::Run { .. }]));
    assert!(!effects.iter().any(|e| matches!(e, Effect::StartWorker { .. })));
    assert_eq!(
        app.train.placed,
        "Timed 30 batches of dotbias (batch 16): CPU 0.31 ms/batch, WebGPU 2.70 ms/batch (0.90 ms of it to queue the work): \
         training on the CPU (the CPU is faster here)."
    );
    // The next fit of the same model and batch size does not race again.
    let _ = update(&mut app, Msg::Train(TrainMsg::Reset));
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert!(matches!(posted(&effects)[..], [ToWorker::Run { .. }]));
    // Another batch size races again; this time WebGPU wins and the worker is replaced.
    let _ = update(&mut app, Msg::Train(TrainMsg::Reset));
    let mut c = app.train.controls.clone();
    c.0[6] = "512".into();
    let _ = update(&mut app, Msg::Train(TrainMsg::Controls(c)));
    let id = race_id(&update(&mut app, Msg::Train(TrainMsg::Toggle)));
    let raced = TrainMsg::Raced { id, cpu: Ok(9.0), gpu: Ok(lap(3.0, "WebGPU: a real GPU (DiscreteGpu)")) };
    let effects = update(&mut app, Msg::Train(raced));
    assert!(matches!(effects[0], Effect::StartWorker { engine: Engine::WebGpu, .. }));
    assert!(matches!(posted(&effects)[..], [ToWorker::Run { settings, .. }] if settings.batch_size == 512));
    assert!(app.train.placed.ends_with("training on WebGPU (WebGPU is faster here)."), "{}", app.train.placed);
}

#[test]
fn a_gpu_module_without_an_adapter_or_a_failed_lap_never_wins() {
    let race = |cpu, gpu| crate::state::Race {
        kind: collab_core::model::ModelKind::DotProductBias,
        factors: 8,
        batch_size: 16,
        cpu,
        gpu,
    };
    assert_eq!(race(Ok(5.0), Ok(lap(1.0, "CPU (wasm): no adapter"))).winner(), Engine::Cpu);
    assert_eq!(race(Ok(5.0), Err("no module".into())).winner(), Engine::Cpu);
    assert_eq!(race(Err("crashed".into()), Ok(lap(9.0, "WebGPU: x"))).winner(), Engine::WebGpu);
    assert!(race(Ok(5.0), Err("no module".into())).describe().contains("WebGPU could not run (no module)"));
}

#[test]
fn a_race_answer_for_a_reset_fit_starts_nothing_and_no_gpu_means_no_race() {
    let mut app = with_gpu("auto");
    let id = race_id(&update(&mut app, Msg::Train(TrainMsg::Toggle)));
    let _ = update(&mut app, Msg::Train(TrainMsg::Reset));
    let raced = TrainMsg::Raced { id, cpu: Ok(1.0), gpu: Ok(lap(0.5, "WebGPU: x")) };
    assert!(update(&mut app, Msg::Train(raced)).is_empty());
    assert_eq!(app.train.races.len(), 1, "the race still counts for the next fit");
    // Chosen CPU: no race, no new worker.
    let mut chosen = with_gpu("cpu");
    let effects = update(&mut chosen, Msg::Train(TrainMsg::Toggle));
    assert!(matches!(posted(&effects)[..], [ToWorker::Run { .. }]) && effects.len() == 1);
    assert_eq!(chosen.train.placed, "Training on the CPU, as chosen.");
    // A browser without WebGPU: no race either, and the reason is given.
    let mut bare = super::tests::app();
    let _ = update(&mut bare, Msg::Adapter(Err("this browser has no WebGPU (navigator.gpu is missing)".into())));
    let effects = update(&mut bare, Msg::Train(TrainMsg::Toggle));
    assert_eq!(effects.len(), 1);
    assert_eq!(bare.train.placed, "Training on the CPU: this browser has no WebGPU (navigator.gpu is missing).");
}

#[test]
fn a_fit_joins_the_overfitting_pair_rather_than_ending_its_worker() {
    let mut app = with_gpu("webgpu");
    let _ = update(&mut app, Msg::Overfit(OverfitMsg::Compare));
    let effects = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert!(!effects.iter().any(|e| matches!(e, Effect::StartWorker { .. })));
    assert!(app.train.placed.contains("the overfitting pair is training on the CPU worker"), "{}", app.train.placed);
}

#[test]
fn a_run_whose_loss_blows_up_stops_says_why_and_can_go_back() {
    let mut app = app();
    evaluate(&mut app);
    let mut controls = SheetControls::showing(&app.sheet.sheet.settings);
    controls.lr = "5".into();
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(controls)));
    evaluate(&mut app);
    let before = app.sheet.sheet.weights.clone();
    let start = app.sheet.eval.as_ref().unwrap().mse;
    let mut effects = update(&mut app, Msg::Sheet(SheetMsg::ToggleRun));
    let mut kept = None;
    for _ in 0..60 {
        let Some(step) = effects.into_iter().find(|e| matches!(e, Effect::StepSheet { .. })) else { break };
        kept = Some(app.sheet.sheet.weights.clone());
        let _ = update(&mut app, run_step(step));
        if !app.sheet.running {
            break;
        }
        effects = update(&mut app, Msg::Sheet(SheetMsg::RunTick));
    }
    assert!(!app.sheet.running, "Run stopped by itself");
    assert!(
        app.sheet.message.starts_with(&format!("Learning rate too high: the loss grew from {start:.4} to ")),
        "{}",
        app.sheet.message
    );
    assert!(app.sheet.diverged);
    assert_eq!(Some(&app.sheet.sheet.weights), kept.as_ref(), "the step that blew up is refused");
    assert!(app.sheet.history().iter().all(|&l| l <= super::sheet::BLOW_UP * start));
    let effects = update(&mut app, Msg::Sheet(SheetMsg::Rewind));
    assert!(effects.iter().any(is_eval));
    assert_eq!(app.sheet.sheet.weights, before, "back to the numbers before the first step");
    assert!(!app.sheet.diverged && app.sheet.message == "Back to the numbers before the first step.");
}

#[test]
fn copy_as_notebook_downloads_the_current_settings_as_ipynb() {
    let mut app = app();
    let effects = update(&mut app, Msg::ExportNotebook);
    let [Effect::Download { name, bytes }] = &effects[..] else { panic!("{effects:?}") };
    assert_eq!(*name, "collab-filtering.ipynb");
    let notebook: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(notebook["nbformat"], 4);
    assert!(String::from_utf8_lossy(bytes).contains("bs=16, seed=1"), "the controls' batch size and seed");
}

#[test]
fn a_search_takes_part_of_a_title_and_says_which_it_chose() {
    use super::learned::find_title;
    let labels: Vec<String> =
        ["#na#", "Star Wars (1977)", "Star Trek: Generations (1994)", "Casablanca (1942)"].map(String::from).into();
    let counts = [0, 583, 243, 243];
    assert_eq!(find_title(&labels, &counts, "casablanca (1942)"), Ok((3, String::new())), "exact, any case");
    assert_eq!(find_title(&labels, &counts, "casa"), Ok((3, String::new())), "the one title containing it");
    let (index, note) = find_title(&labels, &counts, " star ").unwrap();
    assert_eq!(index, 1, "the most rated of several");
    assert_eq!(note, "2 titles contain “star”; showing the most rated, Star Wars (1977).");
    assert_eq!(find_title(&labels, &counts, "#na#"), Err("no title contains “#na#”".into()));
    assert!(find_title(&labels, &counts, "  ").is_err());
}

#[test]
fn the_link_keeps_the_sheets_settings_and_the_served_data() {
    let mut app = app();
    let mut sheet = SheetControls::showing(&app.sheet.sheet.settings);
    (sheet.lr, sheet.bias, sheet.decoupled) = ("0.2".into(), true, true);
    let effects = update(&mut app, Msg::Sheet(SheetMsg::Controls(sheet)));
    let stored = effects.iter().find_map(|e| if let Effect::StoreUrl(q) = e { Some(q.clone()) } else { None }).unwrap();
    assert_eq!(
        stored,
        [
            ("sk", "5"),
            ("slr", "0.2"),
            ("sbatch", "0"),
            ("sbias", "1"),
            ("srange", "0"),
            ("swd", "0"),
            ("swdkind", "decoupled"),
            ("sheld", "0")
        ]
        .map(|(k, v)| (k, v.to_string()))
    );
    let zip =
        to_ml100k_zip(&generate(SynthSettings { users: 30, items: 20, density: 0.5, ..SynthSettings::default() }));
    let effects = load_files(&mut app, Origin::Served, vec![("ml-100k.zip".to_string(), zip)]);
    assert!(!effects.iter().any(|e| matches!(e, Effect::KeepFiles { .. })), "the served copy is not kept");
    assert!(effects.iter().any(|e| matches!(e, Effect::StoreUrl(q) if q == &[("data", "served".to_string())])));
    // Opening the page writes nothing into the URL.
    let mut fresh = App::new(DeviceState::default(), controls(), SheetSettings::default());
    assert!(!update(&mut fresh, start()).iter().any(|e| matches!(e, Effect::StoreUrl(_))));
}

#[test]
fn the_datas_genres_reach_the_mapped_movies_by_title() {
    use collab_core::model::{ModelKind, ModelSpec};
    let table = generate(SynthSettings { users: 10, items: 6, density: 0.9, ..SynthSettings::default() });
    let summary = DataSummary::of(&table);
    assert!(summary.genres.is_sorted(), "the page searches them by title");
    let mut items: Vec<String> = table.titles.values().cloned().collect();
    items.insert(0, "#na#".into());
    let spec = ModelSpec::new(ModelKind::DotProduct, 11, items.len());
    let file = crate::reading::ModelFile { spec, items: items.clone(), note: None };
    // The trained map draws movie 2; the fit's map of epoch 0 movie 3.
    let fitted = crate::state::Fitted { maps: vec![vec![(3, 0.0, 0.0)]], ..Default::default() };
    let model = crate::state::Trained::new(file, SavedModel::Fit(1), fitted);
    let masks = super::learned::map_genres(&model, &[(2, 0.5, 0.5)], &summary.genres);
    let genre = |i: usize| table.titles.iter().find(|(_, t)| **t == items[i]).map(|(id, _)| table.genres[id]).unwrap();
    assert_eq!(masks.len(), items.len());
    assert_eq!((masks[2], masks[3]), (genre(2), genre(3)));
    assert!(masks[2] != 0 || masks[3] != 0, "the generated titles have genres");
    assert_eq!(masks.iter().enumerate().filter(|&(i, _)| i != 2 && i != 3).map(|(_, m)| m).sum::<u32>(), 0);
}

#[test]
fn an_edit_travels_in_the_link_and_a_link_of_another_shape_is_refused() {
    let mut edited = app();
    evaluate(&mut edited);
    let at = first_factor(&edited);
    edited.sheet.cursor = at;
    let effects = edit(&mut edited, "1.25");
    let numbers = effects
        .iter()
        .find_map(|e| match e {
            Effect::StoreUrl(q) if q[0].0 == "sw" => Some(q[0].1.clone()),
            _ => None,
        })
        .expect("the edit is stored in the URL");
    // A fresh page opened on that link has the edited numbers.
    let mut other = app();
    let _ = update(&mut other, Msg::Sheet(SheetMsg::Numbers(numbers.clone())));
    assert_eq!(crate::fields::sheet_numbers(&other.sheet.sheet), numbers);
    let (path, row, col, _) = crate::grid::number_at(&other.sheet.sheet, at).unwrap();
    assert_eq!(crate::grid::number(&other.sheet.sheet, path, row, col), 1.25);
    // Too few numbers, or words: refused in words, the sheet keeps its own.
    let before = other.sheet.sheet.weights.clone();
    let _ = update(&mut other, Msg::Sheet(SheetMsg::Numbers("1,2,3".into())));
    assert!(
        other.sheet.message.starts_with("the link holds 3 spreadsheet numbers, this sheet has"),
        "{}",
        other.sheet.message
    );
    let _ = update(&mut other, Msg::Sheet(SheetMsg::Numbers(numbers.replace('1', "x"))));
    assert!(other.sheet.message.contains("are not numbers"));
    assert_eq!(other.sheet.sheet.weights, before);
    // Randomise: the link no longer carries edited numbers.
    let effects = update(&mut edited, Msg::Sheet(SheetMsg::Randomise));
    assert!(effects.iter().any(|e| matches!(e, Effect::StoreUrl(q) if q == &[("sw", String::new())])));
}

#[test]
fn a_step_that_raises_the_loss_says_which_way_to_move_the_rate() {
    use super::sheet::rose;
    let full = rose(0.229, 12.367, 0, 5.0);
    assert_eq!(
        full,
        "The loss rose in this step, from 0.2290 to 12.3670. A small enough step on every rated cell always lowers \
         it, so the learning rate 5 is too high for these numbers: try 0.5."
    );
    assert_eq!(rose(0.5, 0.4, 0, 5.0), "", "a falling loss says nothing");
    // A mini-batch may raise the whole sheet's loss a little: only a clear rise is named.
    assert_eq!(rose(0.5, 0.52, 16, 0.05), "");
    assert!(rose(0.5, 0.6, 16, 0.05).ends_with("the learning rate 0.05 is too high: try 0.005."));
}

#[test]
fn a_new_user_fitted_from_few_ratings_is_told_what_so_close_a_fit_means() {
    use collab_core::model::ModelKind;
    let mut app = app();
    load_model(&mut app, trained(ModelKind::DotProductBias));
    let _ = update(&mut app, Msg::Learned(LearnedMsg::FitYou(vec![(1, 5.0)])));
    let you = app.learned.you.as_ref().unwrap();
    assert!(you.fitted.starts_with("Fitted from 1 rating (movie 1: you 5, model "), "{}", you.fitted);
    assert!(you.fitted.contains("your row has 4 numbers to set and only 1 rating to meet"), "{}", you.fitted);
    assert_eq!(you.ratings, vec![("movie 1".to_string(), 5.0)]);
}

#[test]
fn a_links_settings_take_the_checks_typed_ones_do_and_a_bad_one_is_named_with_its_default() {
    let mut app = app();
    let given = [("model", "nonsense"), ("lr", "NaN"), ("epochs", "3")];
    let effects =
        update(&mut app, Msg::Train(TrainMsg::Link(given.map(|(k, v)| (k.to_string(), v.to_string())).to_vec())));
    assert_eq!(
        app.train.message,
        "the link's model 'nonsense' is not a model this notebook trains (dotraw, dot, dotbias, scratch, nn, embnn); \
         dotbias is used; the link's learning rate 'NaN' is not a number; 0.005 is used."
    );
    // Every field is set to what is used: valid values, the good ones from the link.
    let set = |id: &str| {
        effects.iter().find_map(|e| match e {
            Effect::SetControl { id: i, value } if *i == id => Some(value.clone()),
            _ => None,
        })
    };
    assert_eq!(
        (set("train-model"), set("train-lr"), set("train-epochs")),
        (Some("dotbias".into()), Some("0.005".into()), Some("3".into()))
    );
    assert_eq!(count(&effects, |e| matches!(e, Effect::SetControl { .. })), 10);
    let s = app.train.controls.settings().unwrap();
    assert_eq!((s.kind, s.lr, s.epochs), (collab_core::model::ModelKind::DotProductBias, 0.005, 3));
    // Train then trains with them (not "unknown model ''").
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert_eq!(app.train.fit.as_ref().map(|f| f.settings), Some(s));
    // A good link says nothing; a model without a decay gets the book's.
    let mut app = self::app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Link(vec![("model".into(), "nn".into())])));
    assert_eq!((app.train.message.as_str(), app.train.controls.settings().unwrap().wd), ("", 0.01));
}

#[test]
fn a_typed_bad_setting_is_named_in_the_words_a_link_and_the_cli_use() {
    let mut app = app();
    let mut c = controls();
    c.0[3] = "NaN".into();
    let _ = update(&mut app, Msg::Train(TrainMsg::Controls(c)));
    assert_eq!(app.train.message, "the learning rate 'NaN' is not a number; training keeps its last good settings.");
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert_eq!(app.train.message, "the learning rate 'NaN' is not a number.");
}

#[test]
fn a_title_cut_on_reading_is_said_in_the_load_message_and_never_reaches_the_page_long() {
    let mut app = app();
    let long = "L".repeat(1 << 20);
    let u_item = format!("1|{long}|\n2|Heat (1995)|\n");
    let u_data: String = (1..=20).flat_map(|u| [format!("{u}\t1\t4\t1\n"), format!("{u}\t2\t3\t1\n")]).collect();
    let files = vec![("u.data".to_string(), u_data.into_bytes()), ("u.item".to_string(), u_item.into_bytes())];
    let _ = load_files(&mut app, Origin::Picked, files);
    assert_eq!(app.data.progress, "Loaded your file u.data + u.item: 40 ratings. 1 title cut to 200 characters.");
    assert!(app.sheet.sheet.cross.titles.iter().all(|t| t.chars().count() <= 200));
}

#[test]
fn a_model_files_long_names_are_cut_and_said() {
    let mut app = app();
    let model = trained(collab_core::model::ModelKind::DotProductBias);
    let saved = SavedModel::File(1);
    let effects = update(&mut app, Msg::Learned(LearnedMsg::File { name: "m".repeat(5000), saved: Ok(saved) }));
    let id = match &effects[..] {
        [Effect::ReadModel { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    let mut result = reading_of(&model, &[]);
    result.as_mut().unwrap().0.note = Some("2 names cut to 200 characters".into());
    let _ = update(&mut app, Msg::Learned(LearnedMsg::Loaded { id, source: "m".repeat(5000), saved, result }));
    assert!(app.learned.model_message.starts_with("Loaded DotProductBias from mmmm"), "{}", app.learned.model_message);
    assert!(app.learned.model_message.ends_with(" 2 names cut to 200 characters."), "{}", app.learned.model_message);
    assert!(app.learned.model_message.len() < 200);
}

#[test]
fn the_sheets_chart_keeps_each_series_and_a_change_starts_a_new_one_with_held_out_losses() {
    let mut app = app();
    evaluate(&mut app);
    for _ in 0..2 {
        let step = update(&mut app, Msg::Sheet(SheetMsg::Step)).remove(0);
        let _ = update(&mut app, run_step(step));
    }
    let first = app.sheet.series.last().unwrap().clone();
    assert_eq!((first.train.len(), first.held.len()), (2, 0));
    assert!(first.start.is_some_and(|(t, h)| t > first.train[0] && h.is_none()), "the line starts before step 1");
    assert_eq!(first.label, "lr 0.05, 5 factors");
    // Holding out cells is a change: a new series starts and the old one stays.
    let held = SheetControls { held: true, ..SheetControls::showing(&app.sheet.sheet.settings) };
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(held)));
    assert_eq!(app.sheet.series.len(), 2);
    assert_eq!(app.sheet.series[0], first);
    assert!(app.sheet.history().is_empty());
    evaluate(&mut app);
    let step = update(&mut app, Msg::Sheet(SheetMsg::Step)).remove(0);
    let _ = update(&mut app, run_step(step));
    let now = app.sheet.series.last().unwrap();
    assert_eq!(now.label, "lr 0.05, 5 factors, a fifth held out");
    assert_eq!((now.train.len(), now.held.len()), (1, 1));
    assert_eq!(now.held[0], app.sheet.eval.as_ref().unwrap().held_mse.unwrap());
    assert!(now.start.is_some_and(|(_, h)| h.is_some()));
    // A change before any step replaces the empty series rather than piling up empty ones.
    let shown = SheetControls::showing(&app.sheet.sheet.settings);
    let lr = |v: &str| SheetControls { lr: v.into(), ..shown.clone() };
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(lr("0.1"))));
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(lr("0.2"))));
    assert_eq!(app.sheet.series.len(), 3);
    assert_eq!(app.sheet.series[2].label, "lr 0.2, 5 factors, a fifth held out");
    // At most SERIES_KEPT series are kept, the oldest dropped.
    for n in 0..10 {
        let step = update(&mut app, Msg::Sheet(SheetMsg::Step)).remove(0);
        let _ = update(&mut app, run_step(step));
        let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(lr(&format!("0.0{}", n + 1)))));
    }
    assert_eq!(app.sheet.series.len(), crate::state::SERIES_KEPT);
}

fn keeps_runs(effects: &[Effect]) -> Option<String> {
    effects.iter().find_map(|e| if let Effect::KeepRuns(json) = e { Some(json.clone()) } else { None })
}

/// Section 8's fit reporting `epochs` epochs of `(train, valid)` losses.
fn report(app: &mut App, run: u64, losses: &[(f64, f64)], done: bool) -> Vec<Effect> {
    let history = EpochMetrics::course(losses);
    let points = (1..=losses.len()).map(|e| (e * 5, losses[e - 1].0)).collect();
    let progress = Progress {
        steps_done: losses.len() * 5,
        total_steps: 10,
        batches_per_epoch: 5,
        points,
        history,
        done,
        ..Progress::default()
    };
    update(app, Msg::Worker(FromWorker::Progress { slot: Slot::Train, run, progress }))
}

#[test]
fn every_fit_is_a_run_with_its_losses_and_a_stopped_one_is_kept() {
    let mut app = app();
    assert!(app.runs.runs.is_empty());
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    assert!(app.runs.runs.is_empty(), "a fit that has not reported is no run yet");
    let effects = report(&mut app, run, &[(1.2, 1.1)], false);
    assert_eq!(keeps_runs(&effects), None, "a run still training is not kept yet");
    let r = &app.runs.runs[0];
    assert_eq!((r.number, r.state, r.place), (1, crate::runs::RunState::Running, crate::runs::Place::Train));
    assert_eq!(r.valid_loss, Some(1.1));
    let effects = report(&mut app, run, &[(1.2, 1.1), (0.9, 0.95)], true);
    assert_eq!(app.runs.runs.len(), 1, "the same fit is the same run");
    let r = &app.runs.runs[0];
    assert_eq!((r.train_loss, r.valid_loss, r.state), (Some(0.9), Some(0.95), crate::runs::RunState::Done));
    assert_eq!(r.valid, vec![(1.0, 1.1), (2.0, 0.95)]);
    assert_eq!(r.train.last(), Some(&(2.0, 0.9)), "steps counted in epochs");
    assert_eq!(r.model, "DotProductBias");
    assert_eq!(r.settings, "8 factors, 2 epochs, lr 0.01, wd 0.1 (decoupled), batch 16, seed 1");
    let json = keeps_runs(&effects).expect("a finished run is kept");
    // A new fit is a second run; the first stays as it ended.
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let second = train_run(&app);
    let _ = report(&mut app, second, &[(2.0, 3.0)], false);
    assert_eq!(app.runs.runs.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(app.runs.runs[0].valid_loss, Some(0.95));

    // The next visit reads the kept run back, before its own (numbered after it).
    let mut next = App::new(DeviceState { label: "CPU".into(), gpu: None }, controls(), SheetSettings::default());
    let effects = update(&mut next, start());
    assert_eq!(count(&effects, |e| matches!(e, Effect::LoadRuns)), 1);
    let _ = update(&mut next, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&next);
    let _ = report(&mut next, run, &[(1.5, 1.4)], false);
    let _ = update(&mut next, Msg::Runs(RunsMsg::Kept(Ok(Some(json)))));
    let numbers: Vec<u64> = next.runs.runs.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(next.runs.runs[0].valid_loss, Some(0.95));
    assert!(next.runs.runs[0].live.is_none());
    assert_eq!(next.runs.runs[1].valid_loss, Some(1.4));
    assert!(next.runs.shown.contains(&2), "this visit's run stays drawn under its new number");
    // Its later reports still find it.
    let _ = report(&mut next, run, &[(1.5, 1.4), (1.0, 1.3)], true);
    assert_eq!(next.runs.runs.len(), 2);
    assert_eq!(next.runs.runs[1].valid_loss, Some(1.3));
}

#[test]
fn kept_runs_that_cannot_be_read_are_left_out_in_words() {
    let mut app = app();
    let _ = update(&mut app, Msg::Runs(RunsMsg::Kept(Ok(Some("{not json".into())))));
    assert!(app.runs.runs.is_empty());
    assert!(app.runs.message.starts_with("The runs kept in this browser could not be read ("), "{}", app.runs.message);
    let huge = " ".repeat(crate::runs::KEPT_BYTES + 1);
    let _ = update(&mut app, Msg::Runs(RunsMsg::Kept(Ok(Some(huge)))));
    assert!(app.runs.message.contains("more than this page keeps"), "{}", app.runs.message);
    // A run kept while training, with a loss that is no number, reads back stopped and without it.
    let json = r#"{"runs":[{"number":4,"place":"Train","model":"m","settings":"s","link":[["lr","0.1"]],"device":"CPU",
        "data":"d","train_loss":null,"valid_loss":0.5,"seconds":1.0,"train":[[0.5,1.0]],"valid":[[1.0,0.5]],"state":"Running"}],
        "shown":[4,9]}"#;
    let _ = update(&mut app, Msg::Runs(RunsMsg::Kept(Ok(Some(json.into())))));
    let r = &app.runs.runs[0];
    assert_eq!((r.number, r.state, r.train_loss), (4, crate::runs::RunState::Stopped, None));
    assert_eq!(app.runs.shown.iter().copied().collect::<Vec<_>>(), [4], "a shown number without its run is dropped");
}

#[test]
fn restoring_a_run_puts_its_settings_back_into_its_controls() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let _ = report(&mut app, run, &[(1.2, 1.1)], true);
    // The visitor moves on to other settings.
    let mut other = controls();
    other.set(collab_core::settings::Key::Lr, "0.3");
    other.set(collab_core::settings::Key::Model, "nn");
    let _ = update(&mut app, Msg::Train(TrainMsg::Controls(other)));
    assert_eq!(app.train.controls.get(collab_core::settings::Key::Lr), "0.3");
    let effects = update(&mut app, Msg::Runs(RunsMsg::Restore(1)));
    let set: Vec<(&str, &str)> = effects
        .iter()
        .filter_map(|e| if let Effect::SetControl { id, value } = e { Some((*id, value.as_str())) } else { None })
        .collect();
    assert!(set.contains(&("train-lr", "0.01")) && set.contains(&("train-model", "dotbias")), "{set:?}");
    assert!(set.contains(&("train-wd", "0.1")) && set.contains(&("train-on", "cpu")), "{set:?}");
    assert_eq!(app.train.controls.get(collab_core::settings::Key::Lr), "0.01");
    assert_eq!(app.train.controls.get(collab_core::settings::Key::Model), "dotbias");
    assert!(effects.iter().any(|e| matches!(e, Effect::StoreUrl(p) if p.contains(&("lr", "0.01".to_string())))));
    assert!(app.runs.message.starts_with("Run 1's settings are back in section 8's controls."), "{}", app.runs.message);
    // The link says the same.
    let query = app.runs.runs[0].query();
    assert!(
        query.starts_with("?model=dotbias&factors=8&epochs=2&lr=0.01&wd=0.1&wdkind=decoupled&bs=16&seed=1&device=cpu")
    );
}

#[test]
fn each_sheet_series_is_a_run_and_restores_the_sheets_controls() {
    let mut app = app();
    evaluate(&mut app);
    let effects = sheet_step(&mut app);
    assert!(keeps_runs(&effects).is_some(), "a step taken by hand is kept");
    let r = &app.runs.runs[0];
    assert_eq!(r.place, crate::runs::Place::Sheet);
    assert_eq!(r.train_loss, Some(f64::from(*app.sheet.history().last().unwrap())));
    assert_eq!(r.train.len(), 2, "the loss before the step, and after it");
    assert_eq!(r.train[1].0, 1.0, "a step on every cell is an epoch");
    assert_eq!(r.seconds, 0.001);
    let lr = r.link.iter().find(|(k, _)| k == "slr").unwrap().1.clone();
    // A new learning rate starts a new series: a second run.
    let mut c = SheetControls::showing(&app.sheet.sheet.settings);
    c.lr = "0.5".into();
    let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(c)));
    evaluate(&mut app);
    let _ = sheet_step(&mut app);
    assert_eq!(app.runs.runs.len(), 2);
    assert_eq!(app.runs.runs[1].link.iter().find(|(k, _)| k == "slr").unwrap().1, "0.5");
    let effects = update(&mut app, Msg::Runs(RunsMsg::Restore(1)));
    assert_eq!(app.sheet.sheet.settings.lr.to_string(), lr);
    assert!(effects.iter().any(|e| matches!(e, Effect::SetControl { id: "sheet-lr", value } if *value == lr)));
    assert_eq!(app.runs.runs.len(), 2, "restoring starts no run until a step is taken");
    // Unticking takes a run off the chart; forgetting empties the table.
    let _ = update(&mut app, Msg::Runs(RunsMsg::Show(1, false)));
    assert!(!app.runs.shown.contains(&1));
    assert_eq!(app.runs.runs[1].state, crate::runs::RunState::Stopped, "restoring ended run 2's series");
    let effects = update(&mut app, Msg::Runs(RunsMsg::Forget));
    assert!(app.runs.runs.is_empty(), "the new series has no step: it is no run yet");
    assert_eq!(keeps_runs(&effects).as_deref(), Some(r#"{"runs":[],"shown":[]}"#));
}

/// Takes one sheet step as the page would, answering its effect natively.
fn sheet_step(app: &mut App) -> Vec<Effect> {
    let effects = update(app, Msg::Sheet(SheetMsg::Step));
    let step = effects.into_iter().find(|e| matches!(e, Effect::StepSheet { .. })).unwrap();
    update(app, run_step(step))
}

#[test]
fn a_visit_keeps_its_newest_runs_and_a_run_whose_source_went_stops() {
    let mut app = app();
    evaluate(&mut app);
    for n in 0..crate::runs::RUNS_KEPT + 5 {
        let mut c = SheetControls::showing(&app.sheet.sheet.settings);
        c.lr = format!("0.0{}", n + 1);
        let _ = update(&mut app, Msg::Sheet(SheetMsg::Controls(c)));
        evaluate(&mut app);
        let _ = sheet_step(&mut app);
    }
    let numbers: Vec<u64> = app.runs.runs.iter().map(|r| r.number).collect();
    assert_eq!(numbers.len(), crate::runs::RUNS_KEPT);
    assert_eq!((numbers[0], *numbers.last().unwrap()), (6, 35), "the oldest went first");
    assert!(app.runs.shown.iter().all(|n| *n >= 6));
    let ended = &app.runs.runs[0];
    assert_eq!((ended.state, ended.live), (crate::runs::RunState::Stopped, None), "an ended series stops");
    assert_eq!(app.runs.runs.last().unwrap().state, crate::runs::RunState::Paused, "the current series can go on");

    // A fit under way that is Reset stops where it was, and a kept table keeps the newest.
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let _ = report(&mut app, run, &[(1.2, 1.1)], false);
    let effects = update(&mut app, Msg::Train(TrainMsg::Reset));
    let fit = app.runs.runs.iter().find(|r| r.place == crate::runs::Place::Train).unwrap();
    assert_eq!((fit.state, fit.valid_loss), (crate::runs::RunState::Stopped, Some(1.1)));
    let json = keeps_runs(&effects).expect("a stopped run is kept");
    let mut next = app_with_kept(&json);
    assert_eq!(next.runs.runs.len(), crate::runs::RUNS_KEPT);
    assert!(next.runs.runs.iter().all(|r| r.state == crate::runs::RunState::Stopped), "nothing kept can go on");
    // Forgetting leaves nothing kept once nothing is live.
    let _ = update(&mut next, Msg::Runs(RunsMsg::Forget));
    assert!(next.runs.runs.is_empty());
}

/// A fresh page that reads `json` as its kept runs.
fn app_with_kept(json: &str) -> App {
    let mut app = App::new(DeviceState { label: "CPU".into(), gpu: None }, controls(), SheetSettings::default());
    let _ = update(&mut app, start());
    let _ = update(&mut app, Msg::Runs(RunsMsg::Kept(Ok(Some(json.to_string())))));
    app
}

#[test]
fn a_finished_run_keeps_its_device_when_a_later_worker_starts_and_forget_keeps_what_is_live() {
    let mut app = app();
    let _ = update(&mut app, Msg::Worker(FromWorker::Ready { label: "WebGPU: test".into(), is_gpu: true }));
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let _ = report(&mut app, run, &[(1.2, 1.1)], true);
    assert_eq!(app.runs.runs[0].device, "WebGPU");
    // Another worker (the CPU's) starts; the finished run still ran on WebGPU.
    let _ = update(&mut app, Msg::Worker(FromWorker::Ready { label: "CPU".into(), is_gpu: false }));
    let r = &app.runs.runs[0];
    assert_eq!(r.device, "WebGPU");
    assert!(r.link.contains(&("device".to_string(), "webgpu".to_string())));
    // Forget: the fit still on the page stays (it would come back at once), and says so.
    let _ = update(&mut app, Msg::Runs(RunsMsg::Forget));
    assert_eq!(app.runs.runs.len(), 1);
    assert!(app.runs.message.contains("but the 1 still on the page"), "{}", app.runs.message);
}

#[test]
fn a_load_says_how_far_it_got_and_a_stale_loaders_words_are_dropped() {
    let mut app = app();
    let files = vec![("ml-1m.zip".to_string(), vec![0u8; 4 << 20])];
    let id = give(&mut app, Origin::Picked, &files);
    assert_eq!(app.data.progress, "Reading ml-1m.zip (4 MiB): 0 bytes read (0%), 0 ratings …");
    let _ = update(&mut app, loader(id, FromWorker::Loading { id, read: 1 << 20, total: 4 << 20, ratings: 262_144 }));
    assert_eq!(app.data.progress, "Reading ml-1m.zip (4 MiB): 1 MiB read (25%), 262,144 ratings …");
    let loading = app.data.loading.as_ref().unwrap();
    assert_eq!((loading.read, loading.total, loading.ratings), (1 << 20, 4 << 20, 262_144));
    // A second pick replaces the first load: its worker ends, and its words are dropped.
    let second = vec![("u.data".to_string(), b"1\t2\t3\t4\n".to_vec())];
    let sizes = vec![("u.data".to_string(), 8)];
    let next = load_id();
    let effects = update(&mut app, Msg::Data(DataMsg::Files { id: next, origin: Origin::Picked, files: sizes }));
    assert!(
        matches!(&effects[..], [Effect::EndLoader { id: a }, Effect::StartLoader { id: b, .. }] if *a == id && *b == next)
    );
    assert!(
        update(&mut app, loader(id, FromWorker::Loading { id, read: 4 << 20, total: 4 << 20, ratings: 9 })).is_empty()
    );
    assert!(update(&mut app, loader(id, answer(id, &second))).is_empty());
    assert!(update(&mut app, Msg::Data(DataMsg::LoaderDied { id, what: "gone".into() })).is_empty());
    assert!(app.data.progress.starts_with("Reading u.data"), "{}", app.data.progress);
    assert!(adopts(&update(&mut app, loader(next, answer(next, &second)))));
    assert_eq!(app.data.summary.ratings, 1);
    assert!(app.data.loading.is_none());
}

#[test]
fn cancel_ends_the_loading_worker_and_keeps_the_data_and_the_fits() {
    let mut app = app();
    let zip =
        to_ml100k_zip(&generate(SynthSettings { users: 30, items: 20, density: 0.5, ..SynthSettings::default() }));
    assert!(adopts(&load_files(&mut app, Origin::Picked, vec![("ml-100k.zip".to_string(), zip)])));
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let run = train_run(&app);
    let before = (app.data.summary.clone(), app.data.current, app.sheet.generation, app.data.source.clone());
    let big = vec![("ml-25m.zip".to_string(), vec![0u8; 1000])];
    let id = give(&mut app, Origin::Picked, &big);
    // Training goes on meanwhile, in the training worker.
    let _ = update(&mut app, loader(id, FromWorker::Loading { id, read: 500, total: 1000, ratings: 0 }));
    let effects = update(&mut app, Msg::Data(DataMsg::Cancel));
    assert!(matches!(&effects[..], [Effect::EndLoader { id: i }] if *i == id), "{effects:?}");
    assert_eq!(app.data.progress, "Loading ml-25m.zip (1000 bytes) was cancelled. The data you had is still here.");
    assert_eq!((app.data.summary.clone(), app.data.current, app.sheet.generation, app.data.source.clone()), before);
    assert_eq!(app.train.fit.as_ref().map(|f| (f.run, f.phase)), Some((run, Phase::Running)), "the fit goes on");
    // Whatever the ended worker still said is dropped; a second Cancel does nothing.
    assert!(update(&mut app, loader(id, answer(id, &big))).is_empty());
    assert!(update(&mut app, Msg::Data(DataMsg::Cancel)).is_empty());
    assert_eq!(app.data.summary.users, 30);
}

#[test]
fn a_load_that_fails_or_whose_worker_dies_keeps_the_data_and_the_fits() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let before = (app.data.summary.clone(), app.sheet.generation, train_run(&app));
    // Over the budget: said with the number, before anything is allocated (the core's words).
    let claims = collab_core::data::synth::declaring(
        &collab_core::data::synth::zip_of(&[("u.data", b"1\t2\t3\t4\n")]),
        u32::MAX - 1,
    );
    let huge = vec![("ml-100k.zip".to_string(), claims)];
    let id = give(&mut app, Origin::Picked, &huge);
    let effects = update(&mut app, loader(id, answer(id, &huge)));
    assert!(matches!(&effects[..], [Effect::EndLoader { id: i }] if *i == id));
    assert_eq!(
        app.data.progress,
        "Nothing was loaded: u.data is 4.0 GiB of text: even at 64 bytes a line that is more than the 62,914,560 \
         ratings this notebook keeps within its memory budget of 1 GiB (16 bytes a rating). The data you had is \
         still here."
    );
    assert_eq!(app.data.progress_state, "error");
    assert_eq!((app.data.summary.clone(), app.sheet.generation, train_run(&app)), before);
    // A worker that dies while reading.
    let id = give(&mut app, Origin::Picked, &huge);
    let effects = update(&mut app, Msg::Data(DataMsg::LoaderDied { id, what: "out of memory".into() }));
    assert!(matches!(&effects[..], [Effect::EndLoader { id: i }] if *i == id));
    assert_eq!(
        app.data.progress,
        "Nothing was loaded: the worker reading the files stopped (out of memory). The data you had is still here."
    );
    assert_eq!((app.data.summary.clone(), app.sheet.generation, train_run(&app)), before);
    assert!(app.data.loading.is_none() && app.train.fit.as_ref().is_some_and(|f| f.phase == Phase::Running));
}

#[test]
fn a_load_replaces_the_data_and_forgets_every_fit_and_new_workers_read_the_same_files() {
    let mut app = app();
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let _ = update(&mut app, Msg::Overfit(OverfitMsg::Compare));
    assert!(app.train.fit.is_some() && app.overfit.pair.is_some());
    let zip =
        to_ml100k_zip(&generate(SynthSettings { users: 25, items: 12, density: 0.6, ..SynthSettings::default() }));
    let effects = load_files(&mut app, Origin::Picked, vec![("ml-100k.zip".to_string(), zip)]);
    let Some(Effect::AdoptLoader { id, .. }) = effects.first() else { panic!("{effects:?}") };
    let id = *id;
    assert!(app.train.fit.is_none() && app.overfit.pair.is_none() && app.train.races.is_empty());
    assert_eq!((app.data.summary.users, app.sheet.sheet.cross.users.len()), (25, 15));
    assert_eq!(app.data.summary.first.len(), crate::state::FIRST_ROWS);
    // A worker started later (after a crash) reads the same files, not a copy of the ratings.
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    let effects = update(&mut app, Msg::WorkerDied("boom".into()));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::StartWorker { data: DataRef::Files(i), .. } if *i == id)),
        "{effects:?}"
    );
    // Its reading again is not news; a failure to is said.
    assert!(update(&mut app, Msg::Worker(FromWorker::Loading { id, read: 1, total: 2, ratings: 0 })).is_empty());
    let _ = update(&mut app, Msg::Worker(FromWorker::LoadFailed { id, message: "the file is gone".into() }));
    assert_eq!(app.train.message, "the restarted training worker could not read the data again: the file is gone");
}

#[test]
fn the_optimizer_and_a_big_batch_travel_in_the_link_and_reach_the_fit() {
    use collab_core::train::OptimizerKind;
    let mut app = app();
    let given = vec![("optim".to_string(), "lazy".to_string()), ("bs".to_string(), "65536".to_string())];
    let effects = update(&mut app, Msg::Train(TrainMsg::Link(given)));
    assert!(app.train.message.is_empty(), "{}", app.train.message);
    assert!(effects.iter().any(|e| matches!(e, Effect::SetControl { id: "train-optim", value } if value == "lazy")));
    let s = app.train.controls.settings().unwrap();
    assert_eq!((s.optimizer, s.batch_size), (OptimizerKind::LazyAdam, 65_536));
    // The select's change goes back into the address, by the same name.
    let mut c = app.train.controls.clone();
    c.set(collab_core::settings::Key::Optim, "adam");
    let effects = update(&mut app, Msg::Train(TrainMsg::Controls(c)));
    let stored = effects.iter().find_map(|e| match e {
        Effect::StoreUrl(q) => Some(q.clone()),
        _ => None,
    });
    let stored = stored.expect("the settings go into the address");
    assert!(stored.contains(&("optim", "adam".to_string())) && stored.contains(&("bs", "65536".to_string())));
    assert_eq!(app.train.controls.settings().unwrap().optimizer, OptimizerKind::Adam);
    // Lazy Adam reaches the fit's settings, which the worker trains with.
    let mut c = app.train.controls.clone();
    c.set(collab_core::settings::Key::Optim, "lazy");
    let _ = update(&mut app, Msg::Train(TrainMsg::Controls(c)));
    let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
    assert_eq!(app.train.fit.as_ref().map(|f| f.settings.optimizer), Some(OptimizerKind::LazyAdam));
    // A bad one is named with the one used.
    let _ = update(&mut app, Msg::Train(TrainMsg::Link(vec![("optim".into(), "rmsprop".into())])));
    assert_eq!(app.train.message, "the link's optimizer 'rmsprop' is not adam, lazy or sgd; adam is used.");
}

#[test]
fn a_runs_link_names_the_served_copy_and_never_a_visitors_own_file() {
    let table = generate(SynthSettings { users: 30, items: 20, density: 0.5, ..SynthSettings::default() });
    let zip = to_ml100k_zip(&table);
    for (origin, name, served) in [(Origin::Served, "ml-100k.zip", true), (Origin::Picked, "served copy.zip", false)] {
        let mut app = app();
        let _ = load_files(&mut app, origin, vec![(name.to_string(), zip.clone())]);
        let _ = update(&mut app, Msg::Train(TrainMsg::Toggle));
        let run = train_run(&app);
        let _ = report(&mut app, run, &[(1.2, 1.1)], true);
        let link = &app.runs.runs.last().unwrap().link;
        assert_eq!(link.contains(&("data".to_string(), "served".to_string())), served, "{name}: {link:?}");
    }
}

#[test]
fn a_big_models_lists_name_only_the_most_rated_movies() {
    use collab_core::data::Vocab;
    use collab_core::model::{ModelKind, ModelSpec};
    // ml-1m's size: 6,040 users and 3,883 movies, each rated (i * 7919) % 500 times.
    let (nu, ni) = (6041, 3884);
    let spec = ModelSpec { n_factors: 50, ..ModelSpec::new(ModelKind::DotProductBias, nu, ni) };
    let users = Vocab::new((1..nu).map(|i| i.to_string()).collect(), true);
    let items = Vocab::new((1..ni).map(|i| format!("movie {i}")).collect(), false);
    let counts: Vec<usize> = (0..ni).map(|i| (i * 7919) % 500).collect();
    let mut app = app();
    load_model(&mut app, sample(spec, &users, &items, counts));
    let read = app.learned.read.as_ref().unwrap().as_ref().unwrap();
    // What lists (and the search's suggestions) may name: the most rated with enough
    // ratings, at most the book's 1,000, most rated first.
    assert!(read.listable.len() <= crate::state::MAP_FIT && read.listable.len() > 900, "{}", read.listable.len());
    let counts = &app.learned.model.as_ref().unwrap().counts;
    assert_eq!(Some(counts[read.listable[0]]), counts.iter().max().copied());
    assert!(read.listable.windows(2).all(|w| counts[w[0]] >= counts[w[1]]));
    assert!(read.listable.iter().all(|&i| counts[i] >= crate::state::LIST_MIN_RATINGS));
    // Section 10 offers the most rated to rate; section 9 lists the ten movies of lowest
    // and of highest bias, of all 3,883 (the page gets no more of them).
    assert_eq!(read.most_rated, read.listable[..crate::state::TO_RATE]);
    let t = read.tables.as_ref().unwrap();
    let mut biases: Vec<f32> = t.item_bias[1..].to_vec();
    biases.sort_by(f32::total_cmp);
    let (low, high) = (&read.bias_ends.lowest, &read.bias_ends.highest);
    assert_eq!(low.iter().map(|b| b.1).collect::<Vec<_>>(), biases[..10]);
    assert_eq!(high.iter().map(|b| b.1).collect::<Vec<_>>(), biases.iter().rev().take(10).copied().collect::<Vec<_>>());
    assert!(low.iter().chain(high).all(|&(i, b)| t.item_bias[i] == b));
}
