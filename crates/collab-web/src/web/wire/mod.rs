//! Event handlers, one file per notebook section: each turns the browser's events into
//! messages and does nothing else. No wiring file imports another.

pub mod data;
pub mod factors;
pub mod learned;
pub mod lookup;
pub mod runs;
pub mod sheet;
pub mod train;

use gloo::events::{EventListener, EventListenerOptions};

use super::runtime::{Rt, dispatch};
use crate::msg::{BiasMsg, Msg, OverfitMsg};

/// Wires every section.
pub fn all(rt: &Rt) {
    data::wire(rt);
    factors::wire(rt);
    sheet::wire(rt);
    lookup::wire(rt);
    on_click(rt, "bias-compare", || Msg::Bias(BiasMsg::Compare));
    train::wire(rt);
    on_click(rt, "overfit-run", || Msg::Overfit(OverfitMsg::Compare));
    runs::wire(rt);
    on(rt, "overfit-map-epoch", "input", false, |rt, _| {
        Some(Msg::Overfit(OverfitMsg::MapEpoch(rt.page.value("overfit-map-epoch").ok()?.parse().ok()?)))
    });
    learned::wire(rt);
    on_click(rt, "export-notebook", || Msg::ExportNotebook);
}

/// Calls `handler` on each `event` at `#id` for the life of the page; the message it
/// returns, if any, is dispatched.
pub fn on(
    rt: &Rt,
    id: &'static str,
    event: &'static str,
    prevent_default: bool,
    handler: impl Fn(&Rt, &web_sys::Event) -> Option<Msg> + 'static,
) {
    let options =
        if prevent_default { EventListenerOptions::enable_prevent_default() } else { EventListenerOptions::default() };
    let handler_rt = rt.clone();
    let listener = EventListener::new_with_options(rt.page.el(id), event, options, move |e| {
        if let Some(msg) = handler(&handler_rt, e) {
            dispatch(&handler_rt, msg);
        }
    });
    rt.listeners.borrow_mut().push(listener);
}

/// Dispatches `msg()` on each click of `#id`.
pub fn on_click(rt: &Rt, id: &'static str, msg: impl Fn() -> Msg + 'static) {
    on(rt, id, "click", false, move |_, _| Some(msg()));
}

/// The files of a file list.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect()).unwrap_or_default()
}
