//! The page's header and first cell: which device computes, and one Adam step on it.

use super::{Patch, attr, text};
use crate::state::App;

pub const IDS: &[&str] = &["device", "proof", "proof-loss", "proof-loss-after", "proof-detail", "fatal"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    out.push(text("device", app.device.label.clone()));
    out.push(attr("device", "data-kind", if app.device.is_gpu { "webgpu" } else { "cpu" }));
    match &app.proof {
        None => {}
        Some(Ok(p)) => {
            out.push(text("proof-loss", format!("{:.4}", p.before)));
            out.push(text("proof-loss-after", format!("{:.4}", p.after)));
            out.push(text(
                "proof-detail",
                format!("{} ratings, one Adam step, {:.0} ms on this device", p.ratings, p.ms),
            ));
            out.push(attr("proof", "data-state", "done"));
        }
        Some(Err(e)) => {
            out.push(text("proof-detail", format!("The first cell could not compute: {e}")));
            out.push(attr("proof", "data-state", "error"));
        }
    }
}
