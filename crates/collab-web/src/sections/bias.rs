//! Section 6, bias: RMSE after training the sheet without and with biases.

use super::{Patch, attr, text};
use crate::state::App;

pub const IDS: &[&str] = &["bias", "bias-compare", "bias-without", "bias-with", "bias-result"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let b = &app.bias;
    if let Some((without, with)) = b.result {
        out.push(text("bias-without", format!("{without:.4}")));
        out.push(text("bias-with", format!("{with:.4}")));
    }
    out.push(text("bias-result", b.message.clone()));
    let state = match (b.busy, b.result) {
        (true, _) => "running",
        (false, Some(_)) => "done",
        (false, None) => "pending",
    };
    out.push(attr("bias", "data-state", state));
}
