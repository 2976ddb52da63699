//! Every message the page's `update` takes: what the visitor did (turned into data by
//! the event handlers), what a computation on the page's device answered, and what the
//! training worker said.

use collab_core::lesson::Lookup;
use collab_core::sheet::{Sheet, SheetEval, SheetStep};

use crate::fields::{SheetControls, TrainControls};
use crate::protocol::FromWorker;
use crate::state::{Origin, ProofDone, SavedModel};

/// One thing that happened. (Messages are moved once, from a handler or an effect into
/// `update`: their size does not matter, and boxing the large ones would buy nothing.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Msg {
    /// The page is wired: start every first computation, with the sheet's controls as
    /// the page holds them (a browser may restore a form's values).
    Start(SheetControls),
    Proof(Result<ProofDone, String>),
    /// "Copy as a notebook" was pressed.
    ExportNotebook,
    /// The browser's WebGPU adapter, or why there is none.
    Adapter(Result<String, String>),
    Data(DataMsg),
    Factors(FactorsMsg),
    Sheet(SheetMsg),
    Lookup(LookupMsg),
    Bias(BiasMsg),
    Train(TrainMsg),
    Overfit(OverfitMsg),
    Learned(LearnedMsg),
    Runs(RunsMsg),
    /// A message from the training worker.
    Worker(FromWorker),
    /// The worker's wasm instance ended (an uncaught error), with the browser's words.
    WorkerDied(String),
    /// A worker message that could not be read.
    WorkerGarbled(String),
}

/// Section 1.
#[derive(Debug)]
pub enum DataMsg {
    /// "Use the served copy" was pressed.
    FetchServed,
    /// Files to load: their names and sizes; the page keeps the browser's handles on them
    /// under `id`, a number of the runtime's own (the bytes are read by the worker that
    /// parses them).
    Files { id: u64, origin: Origin, files: Vec<(String, u64)> },
    /// The files could not be had (the served copy, the kept files), and why.
    NotRead(String),
    /// The names of the files kept in this browser from an earlier visit, if any.
    Kept(Option<Vec<String>>),
    /// "Load again" was pressed.
    LoadKept,
    /// Cancel was pressed during a load.
    Cancel,
    /// The worker loading `id` said something.
    Loader { id: u64, msg: FromWorker },
    /// The worker loading `id` ended (an uncaught error), with the browser's words.
    LoaderDied { id: u64, what: String },
}

/// Section 2.
#[derive(Debug)]
pub enum FactorsMsg {
    /// The twelve inputs' text: the visitor's three, then each movie's three.
    Edited(Vec<String>),
    /// The dot products for request `id`.
    Computed { id: u64, result: Result<Vec<f32>, String> },
}

/// Section 3.
#[derive(Debug)]
pub enum SheetMsg {
    /// The sheet's numbers were evaluated for `generation`.
    Evaluated {
        generation: u64,
        result: Result<SheetEval, String>,
    },
    /// Step was pressed.
    Step,
    /// A step for `generation` finished: the new sheet, the step and its evaluation,
    /// and the milliseconds it took.
    Stepped {
        generation: u64,
        result: Result<(Sheet, SheetStep, SheetEval), String>,
        ms: f64,
    },
    /// Run / Stop.
    ToggleRun,
    /// The pause between two steps of a run is over.
    RunTick,
    Randomise,
    /// Back to the numbers before the first step of a run that blew up.
    Rewind,
    /// The sheet's numbers from a link ([`crate::fields::sheet_numbers`]'s text).
    Numbers(String),
    /// A control changed: all of them, as text and ticks.
    Controls(SheetControls),
    /// A cell was clicked (mousedown).
    Click((usize, usize)),
    /// An arrow key or Tab.
    Move((isize, isize)),
    /// Enter/F2 (no text) or a typed character (the editor opens with it).
    Edit(Option<String>),
    /// Enter or Tab in the editor: its text, and where the cursor goes next.
    Commit {
        text: String,
        then: (isize, isize),
    },
    /// Escape in the editor.
    Cancel,
    /// "Find a learning rate" was pressed.
    LrFind,
    /// The sweep `id` ended.
    LrFound {
        id: u64,
        result: Result<collab_core::train::lr_find::Sweep, String>,
    },
    /// "Use this rate": the suggestion into the learning-rate field.
    UseLr,
}

/// Sections 4 and 5.
#[derive(Debug)]
pub enum LookupMsg {
    /// A rating was picked: its (user, movie) cell.
    Pick((usize, usize)),
    /// Both ways computed for `generation` and `cell`.
    Computed { generation: u64, cell: (usize, usize), result: Result<Lookup, String> },
    /// Next row of the walk.
    Next,
    /// Play the walk by itself.
    Play,
    /// A tick of play `id`.
    Tick(u64),
    /// Show every row at once.
    ShowAll,
    /// One SGD step on the picked rating alone.
    Step,
    /// That step finished, for `generation`.
    Stepped { generation: u64, result: Result<(Sheet, SheetStep, SheetEval), String> },
}

/// Section 6.
#[derive(Debug)]
pub enum BiasMsg {
    Compare,
    /// RMSE without and with biases.
    Done(Result<(f32, f32), String>),
}

/// Section 8.
#[derive(Debug)]
pub enum TrainMsg {
    /// A control changed: all of them, as text.
    Controls(TrainControls),
    /// The settings the page's address gives, as `(name, value)` pairs (at start).
    Link(Vec<(String, String)>),
    /// Train / Pause / Resume.
    Toggle,
    /// One batch.
    Step,
    Reset,
    /// "Find a learning rate" was pressed.
    LrFind,
    /// "Use this rate": the suggestion into the max learning rate field.
    UseLr,
    /// A device race `id` ended: milliseconds per batch on the CPU, and on WebGPU with the
    /// device the GPU module's worker found (or why an engine could not run).
    Raced {
        id: u64,
        cpu: Result<f64, String>,
        gpu: Result<crate::state::Lap, String>,
    },
}

/// The overfitting comparison.
#[derive(Debug)]
pub enum OverfitMsg {
    Compare,
    /// The pair's map slider moved.
    MapEpoch(usize),
}

/// Sections 9 and 10, and saving.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum LearnedMsg {
    /// Model load `id` (the file `source`, kept as `saved`) was read in a worker: what the
    /// file says of the model, and its tables, check, rankings, map and profiles.
    Loaded {
        id: u64,
        source: String,
        saved: SavedModel,
        result: Result<Box<(crate::reading::ModelFile, crate::reading::ModelReading)>, String>,
    },
    Similar(String),
    /// A movie's dot on the map was clicked (its item index).
    SimilarTo(usize),
    Recommend(String),
    /// The worker that read the model kept as `saved` answered for `user` (as asked).
    User {
        saved: SavedModel,
        user: String,
        result: Result<Box<crate::reading::UserRow>, String>,
    },
    /// "why?" beside a recommended movie (its item index).
    Why(usize),
    /// A taste profile was picked (its index).
    Profile(usize),
    /// The visitor's ratings: (item index, stars).
    FitYou(Vec<(usize, f32)>),
    Zoom(f32),
    /// The map's epoch slider moved.
    MapEpoch(usize),
    Save,
    Saved(Result<usize, String>),
    /// A model file was picked: the page keeps it as `saved` (its bytes stay in the
    /// browser: the worker that reads it reads them).
    File {
        name: String,
        saved: Result<SavedModel, String>,
    },
}

/// The runs table.
#[derive(Debug)]
pub enum RunsMsg {
    /// The runs an earlier visit kept in this browser (JSON), none, or why they could not
    /// be read.
    Kept(Result<Option<String>, String>),
    /// A run's "show" box: its number, and whether it is ticked.
    Show(u64, bool),
    /// "restore" beside a run.
    Restore(u64),
    /// "Forget these runs".
    Forget,
}
