//! Section 7, weight decay: for the factor under the spreadsheet's cursor, the last
//! step's gradient split into its MSE part and its weight-decay part, and the loss split
//! into MSE and the L2 term.

use collab_core::train::WdKind;

use super::{Patch, html, text};
use crate::grid;
use crate::state::App;

pub const IDS: &[&str] = &["wd-figure", "wd-detail"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    if let Some(eval) = &app.sheet.eval {
        out.push(html("wd-figure", figure(app, eval.mse, eval.l2)));
    }
    out.push(text("wd-detail", detail(app)));
}

/// The loss in its parts. With L2 the decay is a term of the loss and the sum adds up;
/// decoupled decay is no term of the loss at all (it shrinks the weights inside the
/// step), so the loss is the MSE alone and Σw² is shown only beside it.
pub fn figure(app: &App, mse: f32, l2: f32) -> String {
    let settings = &app.sheet.sheet.settings;
    let out = |id: &str, v: f32| format!("<output id=\"{id}\">{v:.4}</output>");
    match settings.wd_kind {
        WdKind::L2 => {
            format!("loss = MSE {} + wd·Σw² {} = {}", out("wd-mse", mse), out("wd-l2", l2), out("wd-total", mse + l2))
        }
        WdKind::Decoupled => format!(
            "loss = MSE {} = {}. Decoupled decay adds nothing to the loss: each step first multiplies every \
             weight by (1 − lr·wd) = <output id=\"wd-shrink\">{:.5}</output>. (wd·Σw² is {} now: the term L2 mode \
             would add.)",
            out("wd-mse", mse),
            out("wd-total", mse),
            1.0 - settings.lr * settings.wd,
            out("wd-l2", l2)
        ),
    }
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
