//! Sections 9 and 10's events: searches, the visitor's ratings, the map's zoom, save
//! and load.

use wasm_bindgen::JsCast;

use super::{files_of, on, on_click};
use crate::msg::{LearnedMsg, Msg};
use crate::state::SavedModel;
use crate::web::runtime::{Rt, new_files_id};

pub fn wire(rt: &Rt) {
    let similar = |rt: &Rt| Msg::Learned(LearnedMsg::Similar(rt.page.value("similar-query").unwrap_or_default()));
    let recommend = |rt: &Rt| Msg::Learned(LearnedMsg::Recommend(rt.page.value("rec-user").unwrap_or_default()));
    on(rt, "similar-go", "click", false, move |rt, _| Some(similar(rt)));
    on(rt, "rec-go", "click", false, move |rt, _| Some(recommend(rt)));
    // Enter in a search field searches, as in any search box.
    on(rt, "similar-query", "keydown", false, move |rt, e| is_enter(e).then(|| similar(rt)));
    on(rt, "rec-user", "keydown", false, move |rt, e| is_enter(e).then(|| recommend(rt)));
    // A dot on the map asks for the movies like it.
    on(rt, "map", "click", false, |_, e| {
        let dot = e.target()?.dyn_into::<web_sys::Element>().ok()?.closest("g[data-item]").ok()??;
        Some(Msg::Learned(LearnedMsg::SimilarTo(dot.get_attribute("data-item")?.parse().ok()?)))
    });
    on(rt, "profiles", "click", false, |_, e| {
        let button = e.target()?.dyn_into::<web_sys::Element>().ok()?.closest("button[data-profile]").ok()??;
        Some(Msg::Learned(LearnedMsg::Profile(button.get_attribute("data-profile")?.parse().ok()?)))
    });
    on(rt, "rec-list", "click", false, |_, e| {
        let button = e.target()?.dyn_into::<web_sys::Element>().ok()?.closest("button[data-why]").ok()??;
        Some(Msg::Learned(LearnedMsg::Why(button.get_attribute("data-why")?.parse().ok()?)))
    });
    on(rt, "you-go", "click", false, |rt, _| Some(Msg::Learned(LearnedMsg::FitYou(your_ratings(rt)))));
    on(rt, "map-epoch", "input", false, |rt, _| {
        Some(Msg::Learned(LearnedMsg::MapEpoch(rt.page.value("map-epoch").ok()?.parse().ok()?)))
    });
    on(rt, "map-zoom", "change", false, |rt, _| {
        Some(Msg::Learned(LearnedMsg::Zoom(rt.page.value("map-zoom").ok()?.parse().unwrap_or(1.0))))
    });
    on_click(rt, "model-save", || Msg::Learned(LearnedMsg::Save));
    on(rt, "model-file", "change", false, |rt, e| {
        let input = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        // The page keeps the file's handle; its bytes are read by the worker that loads it.
        let file = files_of(input.and_then(|i| i.files())).into_iter().next();
        Some(Msg::Learned(match file {
            Some(file) => {
                let saved = SavedModel::File(new_files_id(rt));
                rt.models.borrow_mut().insert(saved, file.clone().into());
                LearnedMsg::File { name: file.name(), saved: Ok(saved) }
            }
            None => LearnedMsg::File { name: String::new(), saved: Err("no file was given".into()) },
        }))
    });
}

fn is_enter(e: &web_sys::Event) -> bool {
    e.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|k| k.key() == "Enter")
}

/// The ratings picked in the "You" list: (item index, stars).
fn your_ratings(rt: &Rt) -> Vec<(usize, f32)> {
    let Ok(list) = rt.page.el("rate-list").query_selector_all("select") else { return Vec::new() };
    (0..list.length())
        .filter_map(|n| list.item(n)?.dyn_into::<web_sys::HtmlSelectElement>().ok())
        .filter_map(|s| Some((s.get_attribute("data-item")?.parse().ok()?, s.value().parse().ok()?)))
        .collect()
}
