//! The loop that runs the page: every message goes through `update`, the page is
//! redrawn from the state, then the effects run; their results come back as messages.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use collab_core::sheet::SheetSettings;

use super::device::{self, Chosen};
use super::dom::Page;
use super::link::WorkerLink;
use super::{effects, url, wire};
use crate::fields::{TRAIN_CONTROLS, TrainControls};
use crate::msg::Msg;
use crate::sections;
use crate::state::{App, DeviceState};
use crate::update::update;

/// The page while it runs: the state, the elements, the page's device, the worker.
pub struct Runtime {
    pub app: RefCell<App>,
    pub page: Page,
    /// The burn device the page's own cells compute on.
    pub device: RefCell<Chosen>,
    pub worker: RefCell<Option<WorkerLink>>,
    /// Listeners that live as long as the page (gloo removes a listener when dropped).
    pub listeners: RefCell<Vec<gloo::events::EventListener>>,
}

/// The shared handle every event handler holds.
pub type Rt = Rc<Runtime>;

thread_local! {
    /// The runtime, for the test hooks only (exported functions have no other way in).
    static HOOKS: RefCell<Weak<Runtime>> = const { RefCell::new(Weak::new()) };
}

/// The runtime, if the page started (for the test hooks).
pub fn for_hooks() -> Option<Rt> {
    HOOKS.with(|h| h.borrow().upgrade())
}

/// Chooses the device, looks up every element (a missing one stops the page with its
/// name), wires the sections and sends the first message.
pub async fn start() -> Result<(), String> {
    let chosen = device::choose(false).await;
    // Section 2's inputs are drawn once, before the elements are looked up.
    super::dom::set_html_by_id("factors-table", &sections::factors::table_html())?;
    let page = Page::new(&sections::ids())?;
    url::apply_to_controls(&page, &TRAIN_CONTROLS)?;
    let controls = TrainControls(TRAIN_CONTROLS.map(|(id, _)| page.value(id).unwrap_or_default()));
    let device_state = DeviceState { label: chosen.label.clone(), is_gpu: chosen.is_gpu };
    let app = App::new(device_state, controls, SheetSettings::default());
    let rt = Rc::new(Runtime {
        app: RefCell::new(app),
        page,
        device: RefCell::new(chosen),
        worker: RefCell::new(None),
        listeners: RefCell::new(Vec::new()),
    });
    HOOKS.with(|h| *h.borrow_mut() = Rc::downgrade(&rt));
    wire::all(&rt)?;
    dispatch(&rt, Msg::Start);
    // The sheet's controls as the page holds them (the browser may restore a form).
    dispatch(&rt, wire::sheet::controls(&rt));
    Ok(())
}

/// Handles one message: update, redraw, then the effects.
pub fn dispatch(rt: &Rt, msg: Msg) {
    let effects = update(&mut rt.app.borrow_mut(), msg);
    render(rt);
    for effect in effects {
        effects::run(rt, effect);
    }
}

/// Draws the page from the state (only what changed reaches the DOM).
fn render(rt: &Rt) {
    let patches = sections::render(&rt.app.borrow());
    rt.page.apply(&patches);
}
