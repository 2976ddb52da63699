//! The overfitting comparison: the pair's progress, then their train and valid losses
//! side by side.

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
        (None, Some([without, with])) if without.phase == Phase::Done && with.phase == Phase::Done => {
            let rows = |f: &crate::state::Fit| f.progress.as_ref().map(|p| p.history.clone()).unwrap_or_default();
            let (a, b) = (rows(without), rows(with));
            if a.iter().all(|r| r.valid_loss.is_nan()) {
                ("The loaded data is too small to hold out a validation set.".into(), String::new(), "done")
            } else {
                let max = finite_max(a.iter().chain(&b).flat_map(|r| [r.train_loss, r.valid_loss]), 0.1);
                let charts = chart("without weight decay", &a, max)
                    + &chart(&format!("weight decay {}", with.settings.wd), &b, max);
                (
                    "Done. Without decay the training loss keeps falling while the validation loss stalls or rises: that gap is overfitting.".into(),
                    charts,
                    "done",
                )
            }
        }
        (None, Some(pair)) => {
            let step = |f: &crate::state::Fit| f.progress.as_ref().map_or((0, 0), |p| (p.steps_done, p.total_steps));
            let ((a, n), (b, m)) = (step(&pair[0]), step(&pair[1]));
            (
                format!("Training both… without weight decay: step {a} of {n}; with weight decay: step {b} of {m}"),
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
