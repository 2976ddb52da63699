//! The runs table's events: a run's "show" box and "restore", and forgetting them all.

use wasm_bindgen::JsCast;

use super::{on, on_click};
use crate::msg::{Msg, RunsMsg};
use crate::web::runtime::Rt;

pub fn wire(rt: &Rt) {
    on(rt, "runs-rows", "click", false, |_, e| {
        let target = e.target()?.dyn_into::<web_sys::Element>().ok()?;
        if let Some(button) = target.closest("button[data-restore]").ok()? {
            return Some(Msg::Runs(RunsMsg::Restore(button.get_attribute("data-restore")?.parse().ok()?)));
        }
        let show = target.dyn_into::<web_sys::HtmlInputElement>().ok()?;
        let number = show.get_attribute("data-show")?.parse().ok()?;
        Some(Msg::Runs(RunsMsg::Show(number, show.checked())))
    });
    on_click(rt, "runs-forget", || Msg::Runs(RunsMsg::Forget));
}
