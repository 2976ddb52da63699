//! Overfitting made visible: the same model and settings trained twice, without and with
//! weight decay, their training and validation losses plotted side by side.

use collab_core::train::{EpochMetrics, Learner};
use gloo::timers::future::TimeoutFuture;

use crate::app::Shared;
use crate::dom;
use crate::train_view::{TrainSettings, new_learner, read_settings, valid_sums};

/// Trains `learner` to the end in slices, returning its epochs.
async fn fit(mut learner: Learner, label: &str) -> Result<Vec<EpochMetrics>, String> {
    let mut epoch_ms = 0.0;
    while !learner.is_done() {
        let start = dom::now_ms();
        while dom::now_ms() - start < 20.0 && !learner.is_done() && !learner.epoch_complete() {
            learner.train_batch(false);
        }
        learner.read_losses().await.map_err(|e| e.to_string())?;
        epoch_ms += dom::now_ms() - start;
        if learner.epoch_complete() {
            let sums = valid_sums(&learner).await;
            learner.close_epoch(sums, epoch_ms / 1000.0).await.map_err(|e| e.to_string())?;
            epoch_ms = 0.0;
            dom::set_text("overfit-status", &format!("{label}: epoch {} done", learner.history.len()))?;
        }
        TimeoutFuture::new(0).await;
    }
    Ok(learner.history)
}

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

async fn compare(app: &Shared) -> Result<(), String> {
    let settings = read_settings()?;
    let decay = if settings.wd > 0.0 { settings.wd } else { 0.1 };
    let (without, with) = {
        let a = app.borrow();
        (
            new_learner(&a, TrainSettings { wd: 0.0, ..settings }),
            new_learner(&a, TrainSettings { wd: decay, ..settings }),
        )
    };
    if without.data.valid.is_empty() {
        return Err("the loaded data is too small to hold out a validation set".into());
    }
    let a = fit(without, "without weight decay").await?;
    let b = fit(with, &format!("with wd = {decay}")).await?;
    let max = a.iter().chain(&b).flat_map(|r| [r.train_loss, r.valid_loss]).fold(0.1, f64::max);
    dom::set_html(
        "overfit-charts",
        &(chart("without weight decay", &a, max) + &chart(&format!("weight decay {decay}"), &b, max)),
    )?;
    dom::set_text(
        "overfit-status",
        "Done. Without decay the training loss keeps falling while the validation loss stalls or rises: that gap is overfitting.",
    )?;
    dom::set_attr("overfit", "data-state", "done")
}

/// Wires the compare button.
pub fn wire(app: &Shared) -> Result<(), String> {
    dom::on_click_async("overfit-run", app, "overfit-status", |a| Box::pin(async move { compare(&a).await }))
}
