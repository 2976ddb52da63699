//! The page drawn from the state: each notebook section turns `&App` into patches
//! (text, HTML or an attribute of one element, by id). Pure: the DOM side applies the
//! patches and writes only what changed. No section imports another, nor `update`.

pub mod bias;
pub mod code;
pub mod data;
pub mod decay;
pub mod errors;
pub mod factors;
pub mod learned;
pub mod lookup;
pub mod overfit;
pub mod proof;
pub mod runs;
pub mod sheet;
pub mod train;
pub mod why;

use crate::state::App;

/// One change to one element of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch {
    /// Its text.
    Text(&'static str, String),
    /// Its inner HTML (escaped where it holds data).
    Html(&'static str, String),
    /// One attribute.
    Attr(&'static str, &'static str, String),
    /// A boolean attribute (`disabled`, `hidden`): present or absent.
    Flag(&'static str, &'static str, bool),
}

/// What each section draws, in page order.
pub fn render(app: &App) -> Vec<Patch> {
    let mut out = Vec::new();
    for section in [
        proof::render,
        data::render,
        factors::render,
        sheet::render,
        lookup::render,
        bias::render,
        decay::render,
        train::render,
        overfit::render,
        runs::render,
        errors::render,
        learned::render,
        why::render,
        code::render,
    ] {
        section(app, &mut out);
    }
    out
}

/// Every element id the sections draw into or the page wires: the page refuses to
/// start, in words, if one is missing.
pub fn ids() -> Vec<&'static str> {
    [
        proof::IDS,
        data::IDS,
        factors::IDS,
        sheet::IDS,
        lookup::IDS,
        bias::IDS,
        decay::IDS,
        train::IDS,
        overfit::IDS,
        runs::IDS,
        errors::IDS,
        learned::IDS,
        why::IDS,
        code::IDS,
    ]
    .concat()
}

/// The LR finder's view, the same in sections 3 and 8: its button (off while a sweep
/// runs), its words, its chart and "Use this rate" (`ids` in that order).
pub fn lr_find(sweep: Option<&crate::lrfind::LrFind>, ids: [&'static str; 4], out: &mut Vec<Patch>) {
    let [button, words, chart, use_it] = ids;
    out.push(html(words, sweep.map(crate::lrfind::words).unwrap_or_default()));
    out.push(html(chart, sweep.map(crate::lrfind::chart).unwrap_or_default()));
    out.push(flag(chart, "hidden", sweep.and_then(|f| f.result.as_ref()).is_none_or(|r| r.is_err())));
    out.push(flag(use_it, "hidden", sweep.and_then(|f| f.suggestion()).is_none()));
    out.push(flag(button, "disabled", sweep.is_some_and(|f| f.result.is_none())));
}

/// Shorthands for building patches.
pub fn text(id: &'static str, value: impl Into<String>) -> Patch {
    Patch::Text(id, value.into())
}

pub fn html(id: &'static str, value: impl Into<String>) -> Patch {
    Patch::Html(id, value.into())
}

pub fn attr(id: &'static str, name: &'static str, value: impl Into<String>) -> Patch {
    Patch::Attr(id, name, value.into())
}

pub fn flag(id: &'static str, name: &'static str, on: bool) -> Patch {
    Patch::Flag(id, name, on)
}

#[cfg(test)]
pub mod tests;
