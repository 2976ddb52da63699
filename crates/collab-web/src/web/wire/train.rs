//! Section 8's events: the settings (all of them sent on any change) and the buttons.

use super::{on, on_click};
use crate::fields::{TRAIN_CONTROLS, TrainControls};
use crate::msg::{Msg, TrainMsg};
use crate::web::runtime::Rt;

pub fn wire(rt: &Rt) {
    for (id, _) in TRAIN_CONTROLS {
        on(rt, id, "change", false, |rt, _| {
            let controls = TrainControls(TRAIN_CONTROLS.map(|(id, _)| rt.page.value(id).unwrap_or_default()));
            Some(Msg::Train(TrainMsg::Controls(controls)))
        });
    }
    on_click(rt, "train-start", || Msg::Train(TrainMsg::Toggle));
    on_click(rt, "train-step", || Msg::Train(TrainMsg::Step));
    on_click(rt, "train-reset", || Msg::Train(TrainMsg::Reset));
    on_click(rt, "train-lrfind", || Msg::Train(TrainMsg::LrFind));
    on_click(rt, "train-lrfind-use", || Msg::Train(TrainMsg::UseLr));
}
