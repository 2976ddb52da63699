//! Section 3, the spreadsheet: the grid, the loss figures, the loss chart and the Run
//! button, from the sheet's state.

use super::{Patch, attr, flag, html, text};
use crate::grid;
use crate::html::{Frame, finite_max};
use crate::lrfind;
use crate::state::App;

pub const IDS: &[&str] = &[
    "sheet",
    "sheet-k",
    "sheet-lr",
    "sheet-batch",
    "sheet-bias",
    "sheet-range",
    "sheet-wd",
    "sheet-wdkind",
    "sheet-step",
    "sheet-run",
    "sheet-randomise",
    "sheet-steps",
    "sheet-grid",
    "sheet-mse",
    "sheet-rmse",
    "sheet-l2",
    "sheet-formula",
    "sheet-message",
    "sheet-settings-message",
    "sheet-rewind",
    "sheet-chart",
    "sheet-lrfind",
    "sheet-lrfind-text",
    "sheet-lrfind-chart",
    "sheet-lrfind-use",
];

/// The sheet's controls, in the order the DOM side reads them.
pub const CONTROLS: [&str; 7] =
    ["sheet-lr", "sheet-k", "sheet-bias", "sheet-range", "sheet-wd", "sheet-wdkind", "sheet-batch"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let s = &app.sheet;
    out.push(html(
        "sheet-grid",
        grid::html(&s.sheet, s.eval.as_ref(), s.last_step.as_ref(), s.cursor, s.editing.as_deref()),
    ));
    if let Some(eval) = &s.eval {
        out.push(text("sheet-mse", format!("{:.4}", eval.mse)));
        out.push(text("sheet-rmse", format!("{:.4}", eval.rmse)));
        out.push(text("sheet-l2", format!("{:.4}", eval.l2)));
    }
    out.push(text("sheet-steps", s.steps.to_string()));
    out.push(html("sheet-chart", chart(&s.history)));
    out.push(text("sheet-run", if s.running { "Stop" } else { "Run" }));
    out.push(attr("sheet-run", "aria-pressed", if s.running { "true" } else { "false" }));
    out.push(attr("sheet", "data-state", if s.evaluated() { "ready" } else { "pending" }));
    out.push(text("sheet-formula", crate::formula::at(&s.sheet, s.eval.as_ref().filter(|_| s.evaluated()), s.cursor)));
    out.push(text("sheet-message", s.message.clone()));
    let refused: Vec<&str> = s.refused.iter().map(|(_, why)| why.as_str()).collect();
    out.push(text("sheet-settings-message", refused.join(". ")));
    for id in ["sheet-lr", "sheet-k", "sheet-wd"] {
        let bad = s.refused.iter().any(|(field, _)| *field == id);
        out.push(attr(id, "aria-invalid", if bad { "true" } else { "false" }));
    }
    out.push(flag("sheet-rewind", "hidden", !(s.diverged && s.start.is_some())));
    let sweep = s.lr_find.as_ref();
    out.push(html("sheet-lrfind-text", sweep.map(lrfind::words).unwrap_or_default()));
    out.push(html("sheet-lrfind-chart", sweep.map(lrfind::chart).unwrap_or_default()));
    out.push(flag("sheet-lrfind-chart", "hidden", sweep.and_then(|f| f.result.as_ref()).is_none_or(|r| r.is_err())));
    out.push(flag("sheet-lrfind-use", "hidden", sweep.and_then(|f| f.suggestion()).is_none()));
    out.push(flag("sheet-lrfind", "disabled", sweep.is_some_and(|f| f.result.is_none())));
}

/// The loss after each step since the last change, as a small line.
pub fn chart(history: &[f32]) -> String {
    let data: Vec<(f64, f64)> = history.iter().enumerate().map(|(i, &v)| (i as f64, f64::from(v))).collect();
    let finite: Vec<f64> = data.iter().map(|p| p.1).filter(|v| v.is_finite()).collect();
    if finite.len() < 2 {
        return String::from("<text x=\"8\" y=\"40\" class=\"hint\">Step or Run to plot the loss</text>");
    }
    let frame = Frame { left: 4.0, right: 316.0, top: 6.0, bottom: 76.0 };
    let points = frame.points(&data, (data.len() - 1) as f64, finite_max(finite.iter().copied(), 1e-6));
    format!(
        "<polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" points=\"{points}\"/><text x=\"6\" y=\"12\" class=\"hint\">MSE {:.3} → {:.3}</text>",
        finite[0],
        finite[finite.len() - 1]
    )
}
