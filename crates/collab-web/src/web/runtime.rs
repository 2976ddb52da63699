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
    /// A worker reading the files of a load (its id), until it becomes the training worker.
    pub loader: RefCell<Option<(u64, WorkerLink)>>,
    /// The browser's handles on the files of each load the page still needs (the loaded
    /// data's, for a new worker or a race to read again, and a load's under way), by id.
    pub files: RefCell<std::collections::HashMap<u64, Vec<(String, web_sys::Blob)>>>,
    /// The last id given to a set of files (or a model file).
    pub files_id: std::cell::Cell<u64>,
    /// The saved models the page shows or is reading, as the browser holds them (a
    /// fit's, which its worker saved; a picked file).
    pub models: RefCell<std::collections::HashMap<crate::state::SavedModel, web_sys::Blob>>,
    /// The last snapshot of each slot's fit on WebGPU (its run, and its bytes as the
    /// browser holds them: about 140 MB at ml-25m never enter the page), for a new worker to
    /// restore from if the GPU is lost ([`crate::effect::Effect::Restore`]).
    pub snapshots: RefCell<std::collections::HashMap<crate::protocol::Slot, (u64, web_sys::Blob)>>,
    /// The workers that read a model file, each kept while the page shows (or reads) that
    /// model: they hold its users and answer for one at a time.
    pub readers: RefCell<std::collections::HashMap<crate::state::SavedModel, WorkerLink>>,
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
        loader: RefCell::new(None),
        files: RefCell::new(Default::default()),
        files_id: std::cell::Cell::new(0),
        models: RefCell::new(Default::default()),
        readers: RefCell::new(Default::default()),
        snapshots: RefCell::new(Default::default()),
        listeners: RefCell::new(Vec::new()),
        run_effect,
    });
    #[cfg(feature = "hooks")]
    HOOKS.with(|h| *h.borrow_mut() = Rc::downgrade(&rt));
    rt
}

/// A new id for a set of files.
pub fn new_files_id(rt: &Rt) -> u64 {
    let id = rt.files_id.get() + 1;
    rt.files_id.set(id);
    id
}

/// Keeps the handles on `files` under a new id and tells `update` of them.
pub fn give_files(rt: &Rt, origin: crate::state::Origin, files: Vec<(String, web_sys::Blob)>) {
    let id = new_files_id(rt);
    let sizes = files.iter().map(|(n, b)| (n.clone(), b.size() as u64)).collect();
    rt.files.borrow_mut().insert(id, files);
    dispatch(rt, Msg::Data(crate::msg::DataMsg::Files { id, origin, files: sizes }));
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
