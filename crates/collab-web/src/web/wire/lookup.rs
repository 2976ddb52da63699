//! Sections 4 and 5's events: the picker, the walk's buttons, the one-rating step.

use super::{on, on_click};
use crate::msg::{LookupMsg, Msg};
use crate::web::runtime::Rt;

pub fn wire(rt: &Rt) {
    on(rt, "lookup-pick", "change", false, |rt, _| {
        let value = rt.page.value("lookup-pick").ok()?;
        let (u, i) = value.split_once(':')?;
        Some(Msg::Lookup(LookupMsg::Pick((u.parse().ok()?, i.parse().ok()?))))
    });
    on_click(rt, "lookup-next", || Msg::Lookup(LookupMsg::Next));
    on_click(rt, "lookup-play", || Msg::Lookup(LookupMsg::Play));
    on_click(rt, "lookup-all", || Msg::Lookup(LookupMsg::ShowAll));
    on_click(rt, "lookup-step", || Msg::Lookup(LookupMsg::Step));
}
