//! Section 3's events: the grid's keyboard and mouse, the controls and the buttons.

use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;

use super::{on, on_click};
use crate::fields::SheetControls;
use crate::msg::{Msg, SheetMsg};
use crate::web::runtime::Rt;

pub fn wire(rt: &Rt) {
    on(rt, "sheet-grid", "keydown", true, |_, e| {
        let key = e.dyn_ref::<KeyboardEvent>()?;
        let msg = key_msg(key, in_editor(e))?;
        key.prevent_default();
        Some(Msg::Sheet(msg))
    });
    // Select on mousedown, as spreadsheets do: a redraw between mousedown and mouseup (an
    // evaluation finishing) would turn the click into a click on the table itself.
    on(rt, "sheet-grid", "mousedown", true, |_, e| {
        if in_editor(e) {
            // A click in the editor places the caret.
            return None;
        }
        let at = cell_of(e)?;
        e.prevent_default();
        Some(Msg::Sheet(SheetMsg::Click(at)))
    });
    // The first mousedown already moved the cursor here.
    on(rt, "sheet-grid", "dblclick", false, |_, _| Some(Msg::Sheet(SheetMsg::Edit(None))));
    on_click(rt, "sheet-step", || Msg::Sheet(SheetMsg::Step));
    on_click(rt, "sheet-run", || Msg::Sheet(SheetMsg::ToggleRun));
    on_click(rt, "sheet-randomise", || Msg::Sheet(SheetMsg::Randomise));
    on_click(rt, "sheet-rewind", || Msg::Sheet(SheetMsg::Rewind));
    on_click(rt, "sheet-lrfind", || Msg::Sheet(SheetMsg::LrFind));
    on_click(rt, "sheet-lrfind-use", || Msg::Sheet(SheetMsg::UseLr));
    for id in crate::sections::sheet::CONTROLS {
        on(rt, id, "change", false, |rt, _| Some(Msg::Sheet(SheetMsg::Controls(controls(rt)))));
    }
}

/// The sheet's controls as they stand.
pub fn controls(rt: &Rt) -> SheetControls {
    let p = &rt.page;
    let text = |id| p.value(id).unwrap_or_default();
    SheetControls {
        lr: text("sheet-lr"),
        k: text("sheet-k"),
        bias: p.checked("sheet-bias"),
        y_range: p.checked("sheet-range"),
        wd: text("sheet-wd"),
        decoupled: text("sheet-wdkind") == "decoupled",
        batch: text("sheet-batch"),
        held: p.checked("sheet-held"),
    }
}

/// What a key means in the grid: in the editor, Enter/Tab commit and Escape cancels;
/// elsewhere arrows and Tab move, Enter/F2 edit, a character starts an edit with it.
fn key_msg(key: &KeyboardEvent, editing: bool) -> Option<SheetMsg> {
    let k = key.key();
    let tab = (0, if key.shift_key() { -1 } else { 1 });
    if editing {
        let text = || {
            crate::web::dom::document()
                .ok()
                .and_then(|d| d.get_element_by_id("sheet-editor"))
                .and_then(|e| crate::web::dom::value_of(&e))
                .unwrap_or_default()
        };
        return match k.as_str() {
            "Enter" => Some(SheetMsg::Commit { text: text(), then: (1, 0) }),
            "Tab" => Some(SheetMsg::Commit { text: text(), then: tab }),
            "Escape" => Some(SheetMsg::Cancel),
            _ => None,
        };
    }
    match k.as_str() {
        "ArrowUp" => Some(SheetMsg::Move((-1, 0))),
        "ArrowDown" => Some(SheetMsg::Move((1, 0))),
        "ArrowLeft" => Some(SheetMsg::Move((0, -1))),
        "ArrowRight" => Some(SheetMsg::Move((0, 1))),
        // Tab is not caught: it leaves the grid, as WAI-ARIA's grid pattern has it (the
        // grid is one stop in the page's tab order; arrows move inside it).
        "Enter" | "F2" => Some(SheetMsg::Edit(None)),
        _ if k.chars().count() == 1 && !key.ctrl_key() && !key.meta_key() && !key.alt_key() => {
            Some(SheetMsg::Edit(Some(k)))
        }
        _ => None,
    }
}

/// Whether an event happened in the cell editor.
fn in_editor(event: &web_sys::Event) -> bool {
    event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|e| e.id() == "sheet-editor")
}

/// The (row, column) of the grid cell an event happened in.
fn cell_of(event: &web_sys::Event) -> Option<(usize, usize)> {
    let target: web_sys::Element = event.target()?.dyn_into().ok()?;
    let cell = target.closest("[data-r]").ok()??;
    Some((cell.get_attribute("data-r")?.parse().ok()?, cell.get_attribute("data-c")?.parse().ok()?))
}
