//! What `update` asks the outside world to do: post to the worker, compute on the page's
//! device, move focus, wait. Effects are plain data; `web::effects` carries them out and
//! turns each result into a message.

use collab_core::sheet::Sheet;

use crate::msg::Msg;
use crate::protocol::{Engine, ToWorker, TrainSettings};
use crate::state::{DataRef, SavedModel};

/// Where keyboard focus goes after a redraw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The spreadsheet's cursor cell.
    Cursor,
    /// The spreadsheet's cell editor, caret at the end.
    Editor,
}

/// One thing to do outside the state. (Moved once, from `update` to the dispatcher.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// A command for the training worker.
    Post(ToWorker),
    /// Start a new training worker on `engine` (ending the old one) and give it `data`.
    StartWorker {
        engine: Engine,
        data: DataRef,
    },
    /// Start a worker on `engine` that reads the files of load `id` (answers
    /// [`crate::msg::DataMsg::Loader`]); the training worker goes on meanwhile.
    StartLoader {
        id: u64,
        engine: Engine,
    },
    /// The worker that loaded `id` becomes the training worker (the old one ends), and
    /// the files of load `forget` are let go.
    AdoptLoader {
        id: u64,
        forget: Option<u64>,
    },
    /// End the worker loading `id` and let its files go (a cancelled or failed load).
    EndLoader {
        id: u64,
    },
    /// Hand `bytes` to the browser as a download named `name`.
    Download {
        name: &'static str,
        bytes: Vec<u8>,
    },
    /// Time a few batches of `settings` on the CPU and on WebGPU, each in a worker of its
    /// own: answers [`crate::msg::TrainMsg::Raced`].
    Race {
        id: u64,
        settings: TrainSettings,
        data: DataRef,
    },
    /// The proof cell's step.
    Proof,
    /// Evaluate the sheet: answers [`crate::msg::SheetMsg::Evaluated`].
    EvalSheet {
        generation: u64,
        sheet: Sheet,
    },
    /// Step the sheet on `cells` (every rating when empty), then evaluate it.
    StepSheet {
        generation: u64,
        sheet: Sheet,
        cells: Vec<(usize, usize)>,
        lookup: bool,
    },
    /// One rating fetched by one-hot product and by lookup.
    Lookup {
        generation: u64,
        sheet: Sheet,
        cell: (usize, usize),
    },
    /// Section 2's dot products.
    Dots {
        id: u64,
        user: Vec<f32>,
        movies: Vec<Vec<f32>>,
    },
    /// fastai's LR finder on a copy of the sheet: answers [`crate::msg::SheetMsg::LrFound`].
    SheetLrFind {
        id: u64,
        sheet: Sheet,
    },
    /// Section 6: the sheet trained without and with biases.
    BiasCompare {
        sheet: Sheet,
    },
    /// Post `ToWorker::Restore` to the training worker with the snapshot the page keeps
    /// of that fit beside it (`Runtime::snapshots`).
    Restore(ToWorker),
    /// Check and read the model file `source`, kept as `saved`, in a worker of its own
    /// ([`crate::reading`]), which then keeps its users: answers
    /// [`crate::msg::LearnedMsg::Loaded`] for load `id`.
    ReadModel {
        id: u64,
        source: String,
        saved: SavedModel,
    },
    /// Ask the worker that read the model kept as `saved` (the training worker for a
    /// fit's, the file's own reader) for `user`: answers [`crate::msg::LearnedMsg::User`].
    AskUser {
        saved: SavedModel,
        user: String,
    },
    /// Hand a saved model to the browser as a file.
    SaveModel(SavedModel),
    /// Let go of a saved model the page no longer shows or reads, and of its users: the
    /// worker that read it, if it was a file's; what the training worker keeps, if a fit's.
    ForgetModel(SavedModel),
    /// Fetch the served copy of MovieLens-100k: answers [`crate::msg::DataMsg::Files`].
    FetchServed,
    /// Keep these files of load `id` in the browser (replacing any kept before), for a
    /// visit offline.
    KeepFiles {
        id: u64,
        names: Vec<String>,
    },
    /// Say which files are kept: answers [`crate::msg::DataMsg::Kept`].
    CheckKept,
    /// Hand over the kept files: answers [`crate::msg::DataMsg::Files`].
    LoadKept,
    /// Read the runs kept in this browser: answers [`crate::msg::RunsMsg::Kept`].
    LoadRuns,
    /// Keep the runs (JSON) in this browser, replacing what was kept.
    KeepRuns(String),
    /// Set a control's value (a default that follows from another choice).
    SetControl {
        id: &'static str,
        value: String,
    },
    /// Write section 8's settings into the address bar.
    StoreUrl(Vec<(&'static str, String)>),
    Focus(Focus),
    /// Send `msg` after `ms` milliseconds.
    After {
        ms: u32,
        msg: Box<Msg>,
    },
}
