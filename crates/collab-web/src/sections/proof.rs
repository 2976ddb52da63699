//! The page's header: where the maths runs (the page's cells on the CPU, training also
//! on WebGPU when the browser has it), and the first computation, one Adam step on the
//! CPU, as a line of its status (it proves the models run here; it teaches nothing yet).

use super::{Patch, attr, text};
use crate::state::{App, DeviceState};

pub const IDS: &[&str] = &["device", "proof", "proof-loss", "proof-loss-after", "proof-detail", "fatal"];

/// "CPU (wasm) for the page's cells; WebGPU (adapter) offered for training" or why not.
pub fn device(d: &DeviceState) -> String {
    match &d.gpu {
        None => format!("{}; asking the browser for WebGPU…", d.label),
        Some(Ok(adapter)) => {
            format!("{} for the page's cells; WebGPU: {adapter}, for training when it is faster", d.label)
        }
        Some(Err(why)) => format!("{}; no WebGPU for training: {why}", d.label),
    }
}

pub fn render(app: &App, out: &mut Vec<Patch>) {
    out.push(text("device", device(&app.device)));
    let gpu = match &app.device.gpu {
        None => "asking",
        Some(Ok(_)) => "yes",
        Some(Err(_)) => "no",
    };
    out.push(attr("device", "data-gpu", gpu));
    match &app.proof {
        None => {}
        Some(Ok(p)) => {
            out.push(text("proof-loss", format!("{:.4}", p.before)));
            out.push(text("proof-loss-after", format!("{:.4}", p.after)));
            out.push(text(
                "proof-detail",
                format!("({} ratings, {:.0} ms on the CPU: the models run here, in your browser)", p.ratings, p.ms),
            ));
            out.push(attr("proof", "data-state", "done"));
        }
        Some(Err(e)) => {
            out.push(text("proof-detail", format!("The first computation failed: {e}")));
            out.push(attr("proof", "data-state", "error"));
        }
    }
}
