//! The overfitting comparison: the pair's progress (fastai's default weight decay, and
//! more), then their train and valid losses side by side.

use collab_core::train::EpochMetrics;

use super::{Patch, attr, html, text};
use crate::html::{Frame, finite_max};
use crate::state::{App, Phase};

pub const IDS: &[&str] = &["overfit", "overfit-run", "overfit-status", "overfit-charts"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let o = &app.overfit;
    let (status, charts, state) = match (&o.failed, &o.pair) {
        (Some(why), _) => (why.clone(), String::new(), if o.pair.is_some() { "stopped" } else { "idle" }),
        (None, None) => (String::new(), String::new(), "idle"),
        (None, Some([baseline, decayed])) if baseline.phase == Phase::Done && decayed.phase == Phase::Done => {
            let rows = |f: &crate::state::Fit| f.progress.as_ref().map(|p| p.history.clone()).unwrap_or_default();
            let (a, b) = (rows(baseline), rows(decayed));
            if a.iter().all(|r| r.valid_loss.is_nan()) {
                ("The loaded data is too small to hold out a validation set.".into(), String::new(), "done")
            } else {
                let max = finite_max(a.iter().chain(&b).flat_map(|r| [r.train_loss, r.valid_loss]), 0.1);
                let (low, high) = (baseline.settings.wd, decayed.settings.wd);
                let charts = chart(&format!("fastai's default weight decay {low}"), &a, max)
                    + &chart(&format!("weight decay {high}"), &b, max);
                let status = format!(
                    "Done. At weight decay {low} the training loss keeps falling while the validation loss stalls or \
                     rises: that gap is overfitting. Weight decay {high} keeps the weights smaller and the gap narrower."
                );
                (status, charts, "done")
            }
        }
        (None, Some(pair)) => {
            let step = |f: &crate::state::Fit| f.progress.as_ref().map_or((0, 0), |p| (p.steps_done, p.total_steps));
            let ((a, n), (b, m)) = (step(&pair[0]), step(&pair[1]));
            let (wa, wb) = (pair[0].settings.wd, pair[1].settings.wd);
            (
                format!("Training both… weight decay {wa}: step {a} of {n}; weight decay {wb}: step {b} of {m}"),
                String::new(),
                "running",
            )
        }
    };
    out.push(text("overfit-status", status));
    out.push(html("overfit-charts", charts));
    out.push(attr("overfit", "data-state", state));
}

/// One fit's train and valid loss by epoch.
pub fn chart(title: &str, rows: &[EpochMetrics], max: f64) -> String {
    let n = rows.len().max(2) as f64 - 1.0;
    let frame = Frame { left: 30.0, right: 280.0, top: 20.0, bottom: 150.0 };
    let line = |f: fn(&EpochMetrics) -> f64| -> String {
        let data: Vec<(f64, f64)> = rows.iter().enumerate().map(|(i, r)| (i as f64, f(r))).collect();
        frame.points(&data, n, max)
    };
    let losses =
        |f: fn(&EpochMetrics) -> f64| rows.iter().map(|r| format!("{:.6}", f(r))).collect::<Vec<_>>().join(" ");
    format!(
        "<svg viewBox=\"0 0 300 170\" class=\"overfit\" role=\"img\" aria-label=\"{title}\" data-train=\"{}\" data-valid=\"{}\"><text x=\"30\" y=\"14\" class=\"hint\">{title}</text>\
         <line x1=\"30\" y1=\"150\" x2=\"280\" y2=\"150\" class=\"axis\"/>\
         <polyline class=\"train\" points=\"{}\"/><polyline class=\"valid\" points=\"{}\"/>\
         <text x=\"30\" y=\"166\" class=\"hint\">— train  - - valid · valid {:.3} → {:.3}</text></svg>",
        losses(|r| r.train_loss),
        losses(|r| r.valid_loss),
        line(|r| r.train_loss),
        line(|r| r.valid_loss),
        rows.first().map_or(f64::NAN, |r| r.valid_loss),
        rows.last().map_or(f64::NAN, |r| r.valid_loss),
    )
}
