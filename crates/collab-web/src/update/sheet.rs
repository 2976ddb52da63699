//! The spreadsheet's rules: a change of its numbers by the visitor, a step, the cursor
//! and the cell editor.

use collab_core::sheet::{Sheet, SheetEval, SheetStep};
use collab_core::train::guard::short_number;
use collab_core::train::{Divergence, OptimSettings};

use crate::effect::{Effect, Focus};
use crate::fields;
use crate::grid;
use crate::msg::{Msg, SheetMsg};
use crate::state::{App, SERIES_KEPT, Series};

/// Milliseconds between two steps of Run.
const RUN_PAUSE_MS: u32 = 40;

/// A step whose loss is this many times the loss before the first step stops stepping:
/// the learning rate is too high, and more steps would only grow the numbers.
pub const BLOW_UP: f32 = 1000.0;

/// A mini-batch step that raises the whole sheet's loss by this factor or more is named.
const MINI_BATCH_RISE: f32 = 1.1;

/// The one rule for a change of the numbers by the visitor (an edit, Randomise, a
/// setting, new data): the loss history and the last step go, the generation moves on
/// (so every answer about the old numbers is dropped), and the sheet and the lookup are
/// computed again, once each.
pub fn changed(app: &mut App) -> Vec<Effect> {
    // A new series is a new run ([`crate::runs`]).
    let run = app.new_id();
    let s = &mut app.sheet;
    // A series with steps stays on the chart; a new one starts (one without steps is
    // replaced).
    if s.series.last().is_none_or(|last| !last.train.is_empty()) {
        s.series.push(Series::default());
    }
    if s.series.len() > SERIES_KEPT {
        s.series.remove(0);
    }
    *s.series.last_mut().expect("a series") =
        Series { run, label: series_label(&s.sheet.settings), ..Series::default() };
    s.last_step = None;
    s.start = None;
    s.diverged = false;
    s.generation += 1;
    let mut effects = vec![Effect::EvalSheet { generation: s.generation, sheet: s.sheet.clone() }];
    effects.extend(super::lookup_effect(app));
    effects
}

/// The settings a series runs with, in words.
pub fn series_label(s: &collab_core::sheet::SheetSettings) -> String {
    let mut words = vec![format!("lr {}", short_number(s.lr)), format!("{} factors", s.k)];
    if s.bias {
        words.push("bias".into());
    }
    if s.y_range {
        words.push("sigmoid_range".into());
    }
    if s.wd > 0.0 {
        let kind = match s.wd_kind {
            collab_core::train::WdKind::L2 => "L2",
            collab_core::train::WdKind::Decoupled => "decoupled",
        };
        words.push(format!("wd {} ({kind})", short_number(s.wd)));
    }
    if s.held_out {
        words.push("a fifth held out".into());
    }
    words.join(", ")
}

/// The one rule for a step (Step, Run, or the lookup's step on one rating): the new
/// numbers, their loss on the chart, the step for the shading, one more step counted.
/// A step whose loss is not finite is refused and the numbers before it are kept; one
/// that raised the loss says so ([`rose`]; `batch_size` 0 is every rated cell).
pub fn stepped(
    app: &mut App,
    sheet: Sheet,
    step: SheetStep,
    eval: SheetEval,
    batch_size: usize,
) -> Result<Vec<Effect>, String> {
    let start = app.sheet.start.as_ref().map(|s| s.1).filter(|l| l.is_finite() && *l > 0.0);
    if let Some(start) = start
        && eval.mse.is_finite()
        && eval.mse > BLOW_UP * start
    {
        app.sheet.diverged = true;
        return Err(format!(
            "Learning rate too high: the loss grew from {start:.4} to {:.4e} in {} steps. Stepping stopped and the \
             numbers before this step are kept; lower the learning rate, or go back to the numbers before the first step.",
            eval.mse,
            app.sheet.history().len() + 1
        ));
    }
    if !eval.mse.is_finite() {
        app.sheet.diverged = app.sheet.start.is_some();
        // The step's numbers are finite but so large that the loss overflows.
        let s = sheet.settings;
        let optim = OptimSettings { wd: s.wd, wd_kind: s.wd_kind, ..OptimSettings::default() };
        return Err(format!(
            "{}. The numbers before this step are kept.",
            Divergence::new(None, eval.mse as f64, s.lr, &optim)
        ));
    }
    let s = &mut app.sheet;
    let before = s.history().last().copied().or(start);
    s.message = before.map(|before| rose(before, eval.mse, batch_size, s.sheet.settings.lr)).unwrap_or_default();
    let series = s.series.last_mut().expect("a series");
    series.train.push(eval.mse);
    series.held.extend(eval.held_mse);
    s.sheet = sheet;
    s.eval = Some(eval);
    s.last_step = Some(step);
    s.steps += 1;
    s.generation += 1;
    s.eval_generation = s.generation;
    Ok(super::lookup_effect(app))
}

/// What a step that raised the loss says (empty when it did not). A step on every rated
/// cell small enough always lowers the loss, so any rise means the rate overshoots; a
/// step on a mini-batch may raise the whole sheet's loss a little, so only a clear rise
/// is named there.
pub fn rose(before: f32, after: f32, batch_size: usize, lr: f64) -> String {
    let (lr_s, lower) = (short_number(lr), short_number(lr / 10.0));
    if batch_size == 0 && after > before {
        format!(
            "The loss rose in this step, from {before:.4} to {after:.4}. A small enough step on every rated cell \
             always lowers it, so the learning rate {lr_s} is too high for these numbers: try {lower}."
        )
    } else if batch_size > 0 && after > MINI_BATCH_RISE * before {
        format!(
            "The loss over every rated cell rose from {before:.4} to {after:.4} in this step. A step on a mini-batch \
             can raise it a little; this much says the learning rate {lr_s} is too high: try {lower}."
        )
    } else {
        String::new()
    }
}

pub fn update(app: &mut App, msg: SheetMsg) -> Vec<Effect> {
    let s = &mut app.sheet;
    match msg {
        SheetMsg::Evaluated { generation, result } => {
            if generation == s.generation {
                match result {
                    Ok(eval) => {
                        if eval.mse.is_nan() {
                            s.message = "The 15 users and 15 movies shown share no rating: there is nothing to fit. \
                                         Load data with more ratings."
                                .into();
                        }
                        // The loss before a series' first step: where its line starts.
                        if let Some(series) = s.series.last_mut().filter(|x| x.train.is_empty()) {
                            series.start = Some((eval.mse, eval.held_mse));
                        }
                        s.eval = Some(eval);
                        s.eval_generation = generation;
                    }
                    Err(e) => s.message = format!("The device could not compute the sheet: {e}"),
                }
            }
            Vec::new()
        }
        SheetMsg::Step => step(app),
        SheetMsg::Stepped { generation, result, ms } => {
            s.stepping = false;
            if generation != s.generation {
                return run_on(app);
            }
            if let Some(series) = s.series.last_mut() {
                series.ms += ms;
            }
            let batch_size = app.sheet.batch_size;
            match result.and_then(|(sheet, step, eval)| stepped(app, sheet, step, eval, batch_size)) {
                Ok(mut effects) => {
                    effects.extend(run_on(app));
                    effects
                }
                Err(e) => {
                    app.sheet.message = e;
                    app.sheet.running = false;
                    Vec::new()
                }
            }
        }
        SheetMsg::ToggleRun => {
            s.running = !s.running;
            if s.running { step(app) } else { Vec::new() }
        }
        SheetMsg::RunTick if s.running => step(app),
        SheetMsg::RunTick => Vec::new(),
        SheetMsg::Randomise => {
            let seed = s.steps + 7 + s.generation;
            s.sheet.randomise(seed);
            let mut effects = changed(app);
            effects.push(forget_numbers());
            effects
        }
        SheetMsg::Numbers(text) => match fields::set_sheet_numbers(&mut s.sheet, &text) {
            Ok(()) => changed(app),
            Err(e) => {
                s.message = e;
                Vec::new()
            }
        },
        SheetMsg::Rewind => match s.start.take() {
            Some((sheet, _)) => {
                s.sheet = sheet;
                s.running = false;
                let effects = changed(app);
                app.sheet.message = "Back to the numbers before the first step.".into();
                effects
            }
            None => Vec::new(),
        },
        SheetMsg::Controls(controls) => {
            let query = controls.query();
            let old = s.sheet.settings;
            let (settings, batch, refused) = fields::sheet_settings(old, &controls);
            s.batch_size = batch;
            s.sheet.settings = collab_core::sheet::SheetSettings { k: old.k, ..settings };
            if settings.k != old.k {
                let seed = s.steps + 11;
                s.sheet.set_k(settings.k, seed);
            }
            if settings.k != old.k || settings.bias != old.bias {
                s.cursor = (0, 0);
                s.editing = None;
            }
            // Said beside the fields until they hold good values again: a step does not clear it.
            s.refused = refused;
            let reshaped = settings.k != old.k || settings.bias != old.bias;
            let mut effects = changed(app);
            effects.push(Effect::StoreUrl(query.to_vec()));
            if reshaped {
                effects.push(forget_numbers());
            }
            effects
        }
        SheetMsg::Click(at) => {
            if s.editing.is_some() && at == s.cursor {
                return Vec::new();
            }
            s.editing = None;
            s.cursor = at;
            vec![Effect::Focus(Focus::Cursor)]
        }
        SheetMsg::Move(by) => {
            s.cursor = grid::moved(&s.sheet, s.cursor, by);
            vec![Effect::Focus(Focus::Cursor)]
        }
        SheetMsg::Edit(typed) => match grid::number_at(&s.sheet, s.cursor) {
            Some((path, row, col, _)) => {
                s.editing = Some(typed.unwrap_or_else(|| grid::number(&s.sheet, path, row, col).to_string()));
                vec![Effect::Focus(Focus::Editor)]
            }
            None => {
                s.message = "Only the factor and bias cells can be edited; predictions follow from them.".into();
                Vec::new()
            }
        },
        SheetMsg::Commit { text, then } => {
            if s.editing.take().is_none() {
                return Vec::new();
            }
            let Some((path, row, col, _)) = grid::number_at(&s.sheet, s.cursor) else { return Vec::new() };
            let old = grid::number(&s.sheet, path, row, col);
            let parsed = text
                .trim()
                .parse::<f32>()
                .map_err(|_| format!("“{}” is not a number", collab_core::error::clip(&text, 40)));
            match parsed.and_then(|v| s.sheet.set(path, row, col, v)) {
                Ok(()) => {
                    s.message.clear();
                    s.cursor = grid::moved(&s.sheet, s.cursor, then);
                    // A link made now opens on these numbers.
                    let numbers = fields::sheet_numbers(&s.sheet);
                    let mut effects = changed(app);
                    effects.push(Effect::StoreUrl(vec![(fields::SHEET_NUMBERS, numbers)]));
                    effects.push(Effect::Focus(Focus::Cursor));
                    effects
                }
                Err(e) => {
                    s.message = format!("{e}: the cell keeps {old}.");
                    vec![Effect::Focus(Focus::Cursor)]
                }
            }
        }
        SheetMsg::Cancel => {
            s.editing = None;
            s.message = "Edit cancelled; the old value is kept.".into();
            vec![Effect::Focus(Focus::Cursor)]
        }
        // The LR finder's messages are `lr_find`'s (the dispatcher sends them there).
        SheetMsg::LrFind | SheetMsg::LrFound { .. } | SheetMsg::UseLr => Vec::new(),
    }
}

/// One step on a mini-batch of the sheet's ratings (every rating when the batch is 0),
/// unless one is under way.
fn step(app: &mut App) -> Vec<Effect> {
    let s = &mut app.sheet;
    if s.stepping {
        return Vec::new();
    }
    s.stepping = true;
    if s.start.is_none() {
        let loss = s.eval.as_ref().filter(|_| s.evaluated()).map_or(f32::NAN, |e| e.mse);
        s.start = Some((s.sheet.clone(), loss));
    }
    let cells = s.sheet.batch(s.batch_size, s.steps);
    vec![Effect::StepSheet { generation: s.generation, sheet: s.sheet.clone(), cells, lookup: false }]
}

/// The link stops carrying edited numbers (new ones, or a sheet of another shape).
fn forget_numbers() -> Effect {
    Effect::StoreUrl(vec![(fields::SHEET_NUMBERS, String::new())])
}

/// While Run is on, the next step after a pause.
fn run_on(app: &App) -> Vec<Effect> {
    if app.sheet.running {
        vec![Effect::After { ms: RUN_PAUSE_MS, msg: Box::new(Msg::Sheet(SheetMsg::RunTick)) }]
    } else {
        Vec::new()
    }
}
