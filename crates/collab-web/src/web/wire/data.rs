//! Section 1's events: the served copy, the file picker and the drop zone.

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};

use collab_core::error::clip;

use super::{files_of, on, on_click, read_files};
use crate::html::size;
use crate::msg::{DataMsg, Msg};
use crate::web::runtime::{Rt, dispatch};

pub fn wire(rt: &Rt) {
    on_click(rt, "data-served", || Msg::Data(DataMsg::FetchServed));
    on_click(rt, "data-kept", || Msg::Data(DataMsg::LoadKept));
    on(rt, "data-file", "change", false, |rt, e| {
        let input: Option<HtmlInputElement> = e.target().and_then(|t| t.dyn_into().ok());
        load(rt, files_of(input.and_then(|i| i.files())));
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

/// Reads the files, saying so, then hands their bytes to `update`.
fn load(rt: &Rt, files: Vec<File>) {
    let what: Vec<String> =
        files.iter().map(|f| format!("{} ({})", clip(&f.name(), 40), size(f.size() as usize))).collect();
    if !what.is_empty() {
        dispatch(rt, Msg::Data(DataMsg::Reading(format!("Reading {} …", clip(&what.join(", "), 200)))));
    }
    let rt = rt.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = read_files(files).await;
        dispatch(&rt, Msg::Data(DataMsg::Files(result)));
    });
}
