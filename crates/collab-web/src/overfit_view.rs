//! Overfitting made visible: the same model and settings trained twice in the worker,
//! without and with weight decay, their training and validation losses side by side.

use collab_core::train::EpochMetrics;

use crate::app::{Job, Shared};
use crate::dom;
use crate::protocol::{Progress, Slot, ToWorker, TrainSettings};
use crate::train_view::read_settings;
use crate::trainer;

/// The pair, each with the title of its chart.
const PAIR: [Slot; 2] = [Slot::Without, Slot::With];

fn chart(title: &str, rows: &[EpochMetrics], max: f64) -> String {
    let n = rows.len().max(2) as f64 - 1.0;
    let line = |f: fn(&EpochMetrics) -> f64| -> String {
        rows.iter()
            .enumerate()
            .map(|(i, r)| format!("{:.1},{:.1}", 30.0 + 250.0 * i as f64 / n, 150.0 - 130.0 * f(r) / max))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "<svg viewBox=\"0 0 300 170\" class=\"overfit\" role=\"img\" aria-label=\"{title}\"><text x=\"30\" y=\"14\" class=\"hint\">{title}</text>\
         <line x1=\"30\" y1=\"150\" x2=\"280\" y2=\"150\" class=\"axis\"/>\
         <polyline class=\"train\" points=\"{}\"/><polyline class=\"valid\" points=\"{}\"/>\
         <text x=\"30\" y=\"166\" class=\"hint\">— train  - - valid · valid {:.3} → {:.3}</text></svg>",
        line(|r| r.train_loss),
        line(|r| r.valid_loss),
        rows.first().map_or(f64::NAN, |r| r.valid_loss),
        rows.last().map_or(f64::NAN, |r| r.valid_loss),
    )
}

/// Starts both fits in the worker (any earlier pair is dropped).
fn compare(app: &Shared) -> Result<(), String> {
    let settings = read_settings()?;
    let decay = if settings.wd > 0.0 { settings.wd } else { 0.1 };
    {
        let mut a = app.borrow_mut();
        a.train.finished.clear();
        for (slot, wd) in PAIR.into_iter().zip([0.0, decay]) {
            let settings = TrainSettings { wd, ..settings };
            a.train.jobs.insert(slot, Job { settings, running: true, snapshot: None, done: false });
        }
    }
    for slot in PAIR {
        let settings = app.borrow().train.jobs[&slot].settings;
        trainer::post(&ToWorker::Reset { slot });
        trainer::post(&ToWorker::Run { slot, settings });
    }
    dom::set_html("overfit-charts", "")?;
    dom::set_attr("overfit", "data-state", "running")?;
    dom::set_text("overfit-status", "Training both…")
}

/// One of the pair moved on; once both are done, draw them.
pub fn on_progress(app: &Shared, slot: Slot, p: &Progress) {
    let label = if slot == Slot::Without { "without weight decay" } else { "with weight decay" };
    let _ = dom::set_text("overfit-status", &format!("{label}: step {} of {}", p.steps_done, p.total_steps));
    if !p.done {
        return;
    }
    let pair = {
        let mut a = app.borrow_mut();
        if let Some(job) = a.train.jobs.get_mut(&slot) {
            job.running = false;
        }
        a.train.finished.insert(slot, p.history.clone());
        PAIR.map(|s| a.train.finished.get(&s).cloned())
    };
    let [Some(without), Some(with)] = pair else { return };
    if without.iter().all(|r| r.valid_loss.is_nan()) {
        let _ = dom::set_text("overfit-status", "The loaded data is too small to hold out a validation set.");
        return;
    }
    let decay = app.borrow().train.jobs.get(&Slot::With).map_or(0.0, |j| j.settings.wd);
    let max = without.iter().chain(&with).flat_map(|r| [r.train_loss, r.valid_loss]).fold(0.1, f64::max);
    let _ = dom::set_html(
        "overfit-charts",
        &(chart("without weight decay", &without, max) + &chart(&format!("weight decay {decay}"), &with, max)),
    );
    let _ = dom::set_text(
        "overfit-status",
        "Done. Without decay the training loss keeps falling while the validation loss stalls or rises: that gap is overfitting.",
    );
    let _ = dom::set_attr("overfit", "data-state", "done");
}

/// One of the pair failed.
pub fn on_failed(app: &Shared, message: &str) {
    for slot in PAIR {
        if let Some(job) = app.borrow_mut().train.jobs.get_mut(&slot) {
            job.running = false;
        }
        trainer::post(&ToWorker::Pause { slot });
    }
    let _ = dom::set_text("overfit-status", message);
}

/// Forgets the pair (new data): the worker drops its fits with the old data.
pub fn reset(app: &Shared) {
    {
        let mut a = app.borrow_mut();
        a.train.finished.clear();
        for slot in PAIR {
            a.train.jobs.remove(&slot);
        }
    }
    let _ = dom::set_html("overfit-charts", "");
    let _ = dom::set_text("overfit-status", "");
    let _ = dom::set_attr("overfit", "data-state", "idle");
}

/// Wires the compare button.
pub fn wire(app: &Shared) -> Result<(), String> {
    dom::on_click("overfit-run", app, "overfit-status", compare)
}
