//! Section 1's events: the served copy, the file picker and the drop zone.

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};

use super::{files_of, on, on_click};
use crate::msg::{DataMsg, Msg};
use crate::state::Origin;
use crate::web::runtime::{Rt, give_files};

pub fn wire(rt: &Rt) {
    on_click(rt, "data-served", || Msg::Data(DataMsg::FetchServed));
    on_click(rt, "data-kept", || Msg::Data(DataMsg::LoadKept));
    on_click(rt, "data-cancel", || Msg::Data(DataMsg::Cancel));
    on(rt, "data-file", "change", false, |rt, e| {
        let input = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok())?;
        let files = files_of(input.files());
        // Emptied, so that picking the same file again (after a Cancel) is a change too.
        input.set_value("");
        load(rt, files);
        None
    });
    on(rt, "data-drop", "dragover", true, |_, e| {
        e.prevent_default();
        None
    });
    on(rt, "data-drop", "drop", true, |rt, e| {
        e.prevent_default();
        let list = e.dyn_ref::<DragEvent>().and_then(|d| d.data_transfer()).and_then(|t| t.files());
        load(rt, files_of(list));
        None
    });
}

/// Hands the files to `update`: their handles only (a worker reads them).
fn load(rt: &Rt, files: Vec<File>) {
    let files = files.into_iter().map(|f| (f.name(), f.into())).collect();
    give_files(rt, Origin::Picked, files);
}
