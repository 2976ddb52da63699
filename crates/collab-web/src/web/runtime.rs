//! The loop that runs the page: every message goes through `update`, the page is
//! redrawn from the state, then the effects run; their results come back as messages.
//! (The effects' runner is handed in at start, so that this module needs none of the
//! modules that dispatch into it.)

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;

use super::dom::Page;
use crate::effect::Effect;
use crate::msg::Msg;
use crate::sections;
use crate::state::App;
use crate::update::update;

/// The page while it runs: the state, the elements, the worker.
pub struct Runtime {
    pub app: RefCell<App>,
    pub page: Page,
    pub worker: RefCell<Option<WorkerLink>>,
    /// Listeners that live as long as the page (gloo removes a listener when dropped).
    pub listeners: RefCell<Vec<EventListener>>,
    /// Carries out one effect.
    pub run_effect: fn(&Rt, Effect),
}

/// A running training worker and its listeners (dropping a listener would silence it);
/// dropping it ends the worker.
pub struct WorkerLink {
    pub worker: web_sys::Worker,
    pub _listeners: [EventListener; 2],
}

impl Drop for WorkerLink {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// The shared handle every event handler holds.
pub type Rt = Rc<Runtime>;

#[cfg(feature = "hooks")]
thread_local! {
    /// The runtime, for the test hooks only (exported functions have no other way in).
    static HOOKS: RefCell<std::rc::Weak<Runtime>> = const { RefCell::new(std::rc::Weak::new()) };
}

/// The runtime, if the page started (for the test hooks).
#[cfg(feature = "hooks")]
pub fn for_hooks() -> Option<Rt> {
    HOOKS.with(|h| h.borrow().upgrade())
}

/// Makes the runtime; the test hooks can find it from then on.
pub fn new(app: App, page: Page, run_effect: fn(&Rt, Effect)) -> Rt {
    let rt = Rc::new(Runtime {
        app: RefCell::new(app),
        page,
        worker: RefCell::new(None),
        listeners: RefCell::new(Vec::new()),
        run_effect,
    });
    #[cfg(feature = "hooks")]
    HOOKS.with(|h| *h.borrow_mut() = Rc::downgrade(&rt));
    rt
}

/// Handles one message: update, redraw, then the effects.
pub fn dispatch(rt: &Rt, msg: Msg) {
    let effects = update(&mut rt.app.borrow_mut(), msg);
    render(rt);
    for effect in effects {
        (rt.run_effect)(rt, effect);
    }
}

/// Draws the page from the state (only what changed reaches the DOM).
fn render(rt: &Rt) {
    let patches = sections::render(&rt.app.borrow());
    rt.page.apply(&patches);
}
