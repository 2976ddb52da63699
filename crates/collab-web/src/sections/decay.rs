//! Section 7, weight decay: for the factor under the spreadsheet's cursor, the last
//! step's gradient split into its MSE part and its weight-decay part, and the loss split
//! into MSE and the L2 term.

use collab_core::train::WdKind;

use super::{Patch, text};
use crate::grid;
use crate::state::App;

pub const IDS: &[&str] = &["wd-mse", "wd-l2", "wd-total", "wd-detail"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let s = &app.sheet;
    let settings = &s.sheet.settings;
    if let Some(eval) = &s.eval {
        out.push(text("wd-mse", format!("{:.4}", eval.mse)));
        out.push(text("wd-l2", format!("{:.4}", eval.l2)));
        let total = match settings.wd_kind {
            WdKind::L2 => eval.mse + eval.l2,
            WdKind::Decoupled => eval.mse,
        };
        out.push(text("wd-total", format!("{total:.4}")));
    }
    out.push(text("wd-detail", detail(app)));
}

/// The breakdown of the cursor's number in the last step, in words.
pub fn detail(app: &App) -> String {
    let s = &app.sheet;
    let settings = &s.sheet.settings;
    let (Some((path, row, col, name)), Some(step)) = (grid::number_at(&s.sheet, s.cursor), &s.last_step) else {
        return "Put the spreadsheet's cursor on a factor and take a step to see its gradient here.".into();
    };
    let (Some(g), Some(d)) = (step.grads.get(path), step.deltas.get(path)) else {
        return "This number had no gradient in the last step (bias was off).".into();
    };
    let index = row * g.shape[1] + col;
    let now = grid::number(&s.sheet, path, row, col);
    let before = now - d.values[index];
    match settings.wd_kind {
        WdKind::L2 => {
            let decay = 2.0 * settings.wd as f32 * before;
            format!(
                "{name}: was {before:.4}. Gradient {:.4} = MSE part {:.4} + weight-decay part 2·wd·w = {decay:.4}. \
                 Step: w − lr × gradient = {now:.4}.",
                g.values[index],
                g.values[index] - decay,
            )
        }
        WdKind::Decoupled => format!(
            "{name}: was {before:.4}. Gradient (MSE only) {:.4}. Decoupled decay first shrinks w by (1 − lr·wd) = {:.5}, \
             then the gradient step: {now:.4}.",
            g.values[index],
            1.0 - settings.lr * settings.wd,
        ),
    }
}
