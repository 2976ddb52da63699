//! Section 7, weight decay: for the factor under the spreadsheet's cursor, the last
//! step's gradient split into its MSE part and its weight-decay part, and the loss split
//! into MSE and the L2 term.

use collab_core::train::WdKind;

use crate::app::App;
use crate::dom;
use crate::sheet_grid::{self, Cell};

/// Redraws the breakdown (called with every redraw of the sheet).
pub fn render(app: &App) -> Result<(), String> {
    let s = &app.sheet.settings;
    if let Some(eval) = &app.eval {
        dom::set_text("wd-mse", &format!("{:.4}", eval.mse))?;
        dom::set_text("wd-l2", &format!("{:.4}", eval.l2))?;
        let total = match s.wd_kind {
            WdKind::L2 => eval.mse + eval.l2,
            WdKind::Decoupled => eval.mse,
        };
        dom::set_text("wd-total", &format!("{total:.4}"))?;
    }
    let grid = sheet_grid::layout(&app.sheet);
    let cell = grid.get(app.cursor.0).and_then(|r| r.get(app.cursor.1));
    let (Some(Cell::Number { path, row, col, name }), Some(step)) = (cell, &app.last_step) else {
        return dom::set_text(
            "wd-detail",
            "Put the spreadsheet's cursor on a factor and take a step to see its gradient here.",
        );
    };
    let (Some(g), Some(d)) = (step.grads.get(path), step.deltas.get(path)) else {
        return dom::set_text("wd-detail", "This number had no gradient in the last step (bias was off).");
    };
    let index = row * g.shape[1] + col;
    let now = sheet_grid::number(&app.sheet, path, *row, *col);
    let before = now - d.values[index];
    let text = match s.wd_kind {
        WdKind::L2 => {
            let decay = 2.0 * s.wd as f32 * before;
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
            1.0 - s.lr * s.wd,
        ),
    };
    dom::set_text("wd-detail", &text)
}
