//! The page's whole state: one `App` with one sub-state per notebook section. Nothing
//! else holds page state; `update` is the only code that changes it.

use collab_core::data::{CrossTable, RatingsTable};
use collab_core::interpret::Tables;
use collab_core::lesson::Lookup;
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::residuals::Residuals;
use collab_core::sheet::{Sheet, SheetEval, SheetSettings, SheetStep};
use collab_core::weights::NamedTensor;
use std::rc::Rc;

use crate::fields::TrainControls;
use crate::protocol::{BatchView, Engine, Progress, RACE_STEPS, Slot, SplitCounts, ToWorker, TrainSettings};

/// Section 2's movies and their starting factors (sci-fi, action, old).
pub const FACTOR_MOVIES: [(&str, [f32; 3]); 3] = [
    ("Star Wars (1977)", [0.98, 0.9, 0.6]),
    ("Casablanca (1942)", [-0.9, -0.3, 0.95]),
    ("Toy Story (1995)", [0.1, 0.2, -0.8]),
];
/// Section 2's visitor's starting taste.
pub const FACTOR_USER: [f32; 3] = [0.9, 0.8, -0.6];
/// Section 2's three factors.
pub const FACTOR_NAMES: [&str; 3] = ["sci-fi", "action", "old"];

pub use crate::reading::{LIST_MIN_RATINGS, TO_RATE};
pub use collab_core::interpret::{MAP_FIT, MAP_MOVIES};

/// The label of the CPU device, with the reason the page runs there.
pub fn cpu_label(reason: &str) -> String {
    format!("CPU (wasm): {reason}")
}

/// Why a neural model has no interpretation views.
pub const NEURAL: &str = "this model is a neural network: its predictions are not a dot product, so there are no factor tables or biases to read";

/// Full-batch steps of section 6's comparison.
pub const BIAS_STEPS: usize = 60;

pub use crate::summary::{DataSummary, FIRST_ROWS, FirstRow, SHEET_SIZE};

/// Everything the page shows.
pub struct App {
    /// Where the page's own cells compute.
    pub device: DeviceState,
    /// The first cell: one Adam step on the chosen device.
    pub proof: Option<Result<ProofDone, String>>,
    /// Section 1.
    pub data: DataState,
    /// Section 2.
    pub factors: FactorsState,
    /// Section 3 (and 7, which draws from the same numbers).
    pub sheet: SheetState,
    /// Sections 4 and 5.
    pub lookup: LookupState,
    /// Section 6.
    pub bias: BiasState,
    /// Section 8.
    pub train: TrainState,
    /// The overfitting comparison.
    pub overfit: OverfitState,
    /// Sections 9 and 10, and saving.
    pub learned: LearnedState,
    /// Every fit kept as a run.
    pub runs: crate::runs::RunsState,
    /// The training worker as the page knows it.
    pub worker: WorkerState,
    /// Source of request ids: every fit, model and computation gets a new one.
    pub next_id: u64,
}

/// Where the maths runs, as the visitor is told: the page's cells on the CPU, and
/// whether the browser offers WebGPU for training.
#[derive(Debug, Clone, Default)]
pub struct DeviceState {
    /// The page's own device (the CPU module's burn-flex).
    pub label: String,
    /// The browser's WebGPU adapter, or why there is none; `None` while asking.
    pub gpu: Option<Result<String, String>>,
}

impl DeviceState {
    /// True when training could run on WebGPU.
    pub fn has_gpu(&self) -> bool {
        matches!(self.gpu, Some(Ok(_)))
    }
}

/// A device race: milliseconds per batch of one model and batch size on each engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Race {
    pub kind: ModelKind,
    pub factors: usize,
    pub batch_size: usize,
    pub cpu: Result<f64, String>,
    pub gpu: Result<Lap, String>,
}

/// What one engine's worker did in a race.
#[derive(Debug, Clone, PartialEq)]
pub struct Lap {
    /// Milliseconds per batch.
    pub ms: f64,
    /// Of them, the worker's own time to queue a batch's work: on a GPU, no device,
    /// however fast, takes a batch in less (see `BatchTimes::queue_ms`).
    pub queue_ms: f64,
    /// The device it found ("WebGPU: …", or the CPU and why).
    pub label: String,
    pub is_gpu: bool,
}

impl Race {
    /// True when this race timed `s`'s model and batch size.
    pub fn times(&self, s: &TrainSettings) -> bool {
        (self.kind, self.factors, self.batch_size) == (s.kind, s.factors, s.batch_size)
    }

    /// The faster engine that ran; the CPU when neither did. A GPU module that found no
    /// adapter ran on the CPU too, and does not count as WebGPU.
    pub fn winner(&self) -> Engine {
        match (&self.cpu, &self.gpu) {
            (Ok(cpu), Ok(gpu)) if gpu.ms < *cpu && gpu.label.starts_with("WebGPU") => Engine::WebGpu,
            (Err(_), Ok(gpu)) if gpu.label.starts_with("WebGPU") => Engine::WebGpu,
            _ => Engine::Cpu,
        }
    }

    /// "CPU 0.31 ms/batch, WebGPU 2.70 ms/batch (0.90 ms of it to queue the work):
    /// training on the CPU."
    pub fn describe(&self) -> String {
        let ms = |r: &Result<f64, String>| match r {
            Ok(ms) => format!("{ms:.2} ms/batch"),
            Err(e) => format!("could not run ({e})"),
        };
        let gpu = match &self.gpu {
            Ok(lap) => format!("{} ({:.2} ms of it to queue the work)", ms(&Ok(lap.ms)), lap.queue_ms),
            Err(e) => ms(&Err(e.clone())),
        };
        let why = match (self.winner(), &self.cpu, &self.gpu) {
            (Engine::WebGpu, Ok(_), Ok(_)) => "WebGPU is faster here",
            (Engine::Cpu, Ok(_), Ok(_)) => "the CPU is faster here",
            _ => "the only one that ran",
        };
        format!(
            "Timed {} batches of {} (batch {}): CPU {}, WebGPU {}: training on {} ({why}).",
            RACE_STEPS,
            self.kind.key(),
            self.batch_size,
            ms(&self.cpu),
            gpu,
            match self.winner() {
                Engine::Cpu => "the CPU",
                Engine::WebGpu => "WebGPU",
            }
        )
    }
}

/// The proof cell's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ProofDone {
    pub before: f64,
    pub after: f64,
    pub ratings: usize,
    pub ms: f64,
}

/// The ratings loaded and how the last load went. The ratings themselves live in the
/// training worker that parsed them (the page holds what its cells draw, [`DataSummary`]):
/// a release of 25 million ratings is never copied to the page.
pub struct DataState {
    /// What section 1 shows of them, worked out once per load by whoever parsed them.
    pub summary: DataSummary,
    /// Where a new worker (a race's, or one restarted on the CPU) gets the same ratings.
    pub current: DataRef,
    /// Where they came from, in words.
    pub source: String,
    /// True when they are the served copy of MovieLens-100k: a link (a run's too) can name
    /// them (`?data=served`); a visitor's own files it cannot.
    pub served: bool,
    /// The last load's progress or outcome, and its state (`loading`, `loaded`, `error`).
    pub progress: String,
    pub progress_state: &'static str,
    /// A load under way in a worker of its own; the data and fits above stay until it
    /// succeeds, and stay for good if it fails or is cancelled.
    pub loading: Option<Loading>,
    /// The files kept in this browser from an earlier load, in words (offered again).
    pub kept: Option<String>,
    /// The bytes of the training worker's wasm memory after its load (a benchmark's figure).
    pub memory: Option<u64>,
}

/// The ratings a worker is given: the made-up demo table (small, sent packed), or the
/// files of load `id`, which the page holds as the browser's file handles (each worker
/// reads them itself: posting a handle copies no bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataRef {
    #[default]
    Demo,
    Files(u64),
}

/// Where the files of a load came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The served copy of MovieLens-100k.
    Served,
    /// Picked or dropped by the visitor.
    Picked,
    /// Kept in this browser from an earlier visit.
    Kept,
}

/// A load under way: its files, and how far the worker reading them has got.
#[derive(Debug, Clone)]
pub struct Loading {
    /// The load's id (its files' handles are kept under it).
    pub id: u64,
    pub origin: Origin,
    /// The files' names and sizes in bytes, as given.
    pub files: Vec<(String, u64)>,
    /// Bytes of the files read so far, of `total`, and the ratings parsed from them.
    pub read: u64,
    pub total: u64,
    pub ratings: usize,
    /// The loading worker, once it named its device: it becomes the training worker
    /// when the load succeeds.
    pub worker: WorkerState,
}

/// Section 2's three movies and one visitor.
#[derive(Debug, Clone)]
pub struct FactorsState {
    /// The id of the last computation asked for; older answers are dropped.
    pub request: u64,
    /// The visitor's three numbers, then each movie's: the last good ones typed.
    pub values: [f32; 12],
    /// Each movie's match with the visitor.
    pub matches: Option<Vec<f32>>,
    pub message: String,
}

impl Default for FactorsState {
    fn default() -> Self {
        let mut values = [0.0; 12];
        let all = FACTOR_USER.iter().chain(FACTOR_MOVIES.iter().flat_map(|m| m.1.iter()));
        values.iter_mut().zip(all).for_each(|(v, x)| *v = *x);
        Self { request: 0, values, matches: None, message: String::new() }
    }
}

/// The live spreadsheet.
pub struct SheetState {
    pub sheet: Sheet,
    /// The last evaluation, and the generation it belongs to.
    pub eval: Option<SheetEval>,
    pub eval_generation: u64,
    /// The last step, for the gradient shading and section 7.
    pub last_step: Option<SheetStep>,
    /// The chart's series, oldest first: a change of the numbers or settings starts a
    /// new one (at most [`SERIES_KEPT`] are kept); the last is the current one.
    pub series: Vec<Series>,
    /// Selected cell (row, column).
    pub cursor: (usize, usize),
    /// While a cell is edited: the text the editor opened with.
    pub editing: Option<String>,
    /// True while Run repeats steps.
    pub running: bool,
    /// True while a step is computed.
    pub stepping: bool,
    /// Steps taken (also seeds the mini-batches).
    pub steps: u64,
    /// Bumped by every change of the numbers; answers for an older one are dropped.
    pub generation: u64,
    /// Mini-batch size of Step (0: every rating).
    pub batch_size: usize,
    pub message: String,
    /// The numbers and their loss before the first step since the last change: what a
    /// diverging run can go back to.
    pub start: Option<(Sheet, f32)>,
    /// True when stepping stopped because the loss blew up (the way back is offered).
    pub diverged: bool,
    /// The last LR finder's sweep of the sheet.
    pub lr_find: Option<crate::lrfind::LrFind>,
    /// The settings fields holding a value the sheet refused, and why.
    pub refused: crate::fields::Refused,
}

/// Series the sheet's chart keeps.
pub const SERIES_KEPT: usize = 6;

/// The sheet's losses from one change of its numbers or settings to the next.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Its id: the sheet's run it is ([`crate::runs`]).
    pub run: u64,
    /// Milliseconds its steps took.
    pub ms: f64,
    /// The settings it ran with, in words.
    pub label: String,
    /// The training (and held-out) MSE before its first step, once evaluated.
    pub start: Option<(f32, Option<f32>)>,
    /// The training MSE after each step.
    pub train: Vec<f32>,
    /// The held-out MSE after each step (empty when no cells are held out).
    pub held: Vec<f32>,
}

/// One rating fetched both ways, and the walk through the product.
#[derive(Default)]
pub struct LookupState {
    /// The picked (user, movie) cell of the sheet; `None`: the first rated one.
    pub pick: Option<(usize, usize)>,
    /// The last computation, for the sheet generation and pick it was made for.
    pub shown: Option<LookupShown>,
    /// Rows multiplied so far (user table first); `None`: every row shown.
    pub walk: Option<usize>,
    /// True once a walk reached its end.
    pub walk_done: bool,
    /// Bumped to stop a playing walk; a tick of another play is dropped.
    pub playing: Option<u64>,
    /// What the last single-rating step moved.
    pub moved: String,
    pub message: String,
}

/// What the lookup section draws.
#[derive(Debug, Clone)]
pub struct LookupShown {
    pub generation: u64,
    pub user: usize,
    pub item: usize,
    pub lookup: Lookup,
    pub users: NamedTensor,
    pub items: NamedTensor,
    pub k: usize,
}

/// Section 6's comparison.
#[derive(Debug, Clone, Default)]
pub struct BiasState {
    /// RMSE without and with biases.
    pub result: Option<(f32, f32)>,
    pub busy: bool,
    pub message: String,
}

/// Where a fit in the worker stands, as the page draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Paused,
    Done,
    /// Ended by a failure; the fit so far stays on screen.
    Stopped,
}

/// One fit in the worker, as the page must remember it to draw it or restart it elsewhere.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The request id every message about this fit carries.
    pub run: u64,
    pub settings: TrainSettings,
    pub phase: Phase,
    pub progress: Option<Progress>,
    /// On WebGPU: the state after its last completed step, to go on from on the CPU.
    pub snapshot: Option<KeptSnapshot>,
    /// The map of the movie factors as it formed, by epoch (0: untrained), as the worker
    /// computed it (axes unaligned); empty for a model without factor tables.
    pub maps: Vec<MapPoints>,
    /// The titles of the items on those maps.
    pub map_titles: std::collections::BTreeMap<usize, String>,
}

/// Points of the book's map: `(item, x, y)`.
pub type MapPoints = Vec<(usize, f32, f32)>;

impl Fit {
    /// A fit that has not reported yet.
    pub fn new(run: u64, settings: TrainSettings, phase: Phase) -> Self {
        Fit { run, settings, phase, progress: None, snapshot: None, maps: Vec::new(), map_titles: Default::default() }
    }
}

/// A snapshot as the worker sent it: the chart's points up to it (its bytes are a `Blob`
/// the runtime keeps, `Runtime::snapshots`, and never reads).
#[derive(Debug, Clone)]
pub struct KeptSnapshot {
    pub points: Vec<(usize, f64)>,
}

/// Section 8.
#[derive(Debug, Clone)]
pub struct TrainState {
    /// The controls' text as the visitor left it.
    pub controls: TrainControls,
    pub fit: Option<Fit>,
    pub split: Option<SplitCounts>,
    pub batch: Option<BatchView>,
    pub message: String,
    /// Device races run so far (one per model and batch size).
    pub races: Vec<Race>,
    /// A race under way: its id, and the command that waits for its answer.
    pub racing: Option<(u64, ToWorker)>,
    /// Where the fit trains and why, when that is not simply the current worker.
    pub placed: String,
    /// The last LR finder's sweep of the controls' model.
    pub lr_find: Option<crate::lrfind::LrFind>,
}

/// The overfitting comparison: the same settings without and with weight decay.
#[derive(Debug, Clone, Default)]
pub struct OverfitState {
    /// Without, then with weight decay.
    pub pair: Option<[Fit; 2]>,
    /// Set when a fit of the pair failed.
    pub failed: Option<String>,
    /// The epoch the pair's maps show (`None`: their last).
    pub map_epoch: Option<usize>,
}

pub use crate::reading::SavedModel;

/// A model to interpret: trained here or loaded from a file. The page holds a handle on
/// its saved bytes, not the model: a worker read it ([`crate::reading`]).
#[derive(Debug, Clone)]
pub struct Trained {
    pub spec: ModelSpec,
    /// Item labels by index, `#na#` first (shared with what was read of it: 62,423 titles
    /// at ml-25m are not copied).
    pub items: Rc<[String]>,
    /// The model as saved: what Save hands back.
    pub saved: SavedModel,
    /// The section 8 fit that trained it (`None` for a model loaded from a file): its
    /// worker keeps who rated what. (The worker that read the model, the fit's or a
    /// file's, keeps the users and answers for one at a time.)
    pub run: Option<u64>,
    /// Ratings of each item index, training and validation (zeros for a loaded model).
    pub counts: Vec<usize>,
    /// What loading said of the file's names ("2 names cut to 200 characters"), if anything.
    pub note: Option<String>,
    /// Where it is wrong on the validation ratings.
    pub errors: Errors,
    /// Its map of the movie factors as it formed, by epoch (empty for a model from a file).
    pub maps: Vec<MapPoints>,
}

/// What a model trained on the page brings beside its weights (a model loaded from a
/// file has none of it).
#[derive(Debug, Clone, Default)]
pub struct Fitted {
    /// The fit's run (its worker keeps who rated what).
    pub run: Option<u64>,
    /// Ratings of each item index, training and validation.
    pub counts: Vec<usize>,
    /// Where it is wrong on the validation ratings ([`Errors::Coming`] as the model
    /// arrives: its worker works them out after sending it).
    pub errors: Errors,
    /// The fit's maps by epoch.
    pub maps: Vec<MapPoints>,
}

impl Trained {
    /// The model kept as `saved`, as a worker read it, with what its fit brings (the
    /// default for a model loaded from a file).
    pub fn new(file: crate::reading::ModelFile, saved: SavedModel, fitted: Fitted) -> Self {
        let Fitted { run, counts, errors, maps } = fitted;
        let counts = crate::reading::counts_for(&counts, file.items.len());
        let crate::reading::ModelFile { spec, items, note } = file;
        Trained { spec, items: items.into(), saved, run, counts, note, errors, maps }
    }
}

/// Where a model is wrong on its fit's validation ratings. The fit's worker predicts
/// every one of them after it has sent the model (5 million at ml-25m: a second and more
/// in wasm, which section 9 does not wait for).
#[derive(Debug, Clone, Default)]
pub enum Errors {
    /// A model loaded from a file: it comes without its validation ratings.
    #[default]
    None,
    /// The fit's worker is predicting them.
    Coming,
    /// The residuals, and the ids of the users of the worst predictions, in their order.
    Ready(Box<Residuals>, Vec<String>),
    /// Why they could not be worked out.
    Failed(String),
}

/// Sections 9 and 10.
#[derive(Debug, Clone, Default)]
pub struct LearnedState {
    pub model: Option<Trained>,
    /// The id of the last model load asked for (a newer one drops an older one's answer).
    pub loading: u64,
    /// The model on its way, while a worker reads it (the one shown stays until then).
    pub reading: Option<Reading>,
    /// What a worker read of it (set with the model).
    pub read: Option<Result<ModelRead, String>>,
    /// Search results, each for the current model only.
    pub similar: Option<(String, Vec<(usize, f32)>)>,
    pub recs: Option<(String, Vec<(usize, f32)>)>,
    /// One recommended movie's prediction written out.
    pub why: Option<Why>,
    /// The user whose recommendations wait for the model's worker to answer for them, as
    /// typed.
    pub asking: Option<String>,
    /// The last user the model's worker answered for: their row, and the movies they
    /// rated (a recommendation leaves them out; "why?" quotes them).
    pub user: Option<crate::reading::UserRow>,
    /// Why the worker that read the model shown can no longer answer for its users (a
    /// file's reader stopped): said instead of asking.
    pub users_gone: Option<String>,
    /// The taste profile picked, and what it recommends.
    pub profile: Option<(usize, Vec<(usize, f32)>)>,
    pub you: Option<YouFit>,
    pub zoom: f32,
    /// The epoch the map shows, from the fit's maps (`None`: the trained model's).
    pub map_epoch: Option<usize>,
    pub message: String,
    pub you_message: String,
    pub model_message: String,
}

/// A model a worker is reading for sections 9 and 10.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Section 8's fit `run` ended: its worker reads the model it holds.
    Fit(u64),
    /// The model file of this name, read by a worker of its own.
    File(String),
}

impl Reading {
    /// The fit whose model this is, if it is a fit's.
    pub fn fit(&self) -> Option<u64> {
        match self {
            Reading::Fit(run) => Some(*run),
            Reading::File(_) => None,
        }
    }

    /// Whether this is the reading of `saved` (a fit's, by its run; any file's).
    pub fn of(&self, saved: SavedModel) -> bool {
        match (self, saved) {
            (Reading::Fit(run), SavedModel::Fit(of)) => *run == of,
            (Reading::File(_), SavedModel::File(_)) => true,
            _ => false,
        }
    }

    /// What section 9 says meanwhile.
    pub fn words(&self) -> String {
        match self {
            Reading::Fit(_) => "reading the trained model: its tables, biases, map and taste profiles…".into(),
            Reading::File(name) => format!("reading {}…", collab_core::error::clip(name, 40)),
        }
    }
}

/// What the interpretation views need, read from the model once.
#[derive(Debug, Clone)]
pub struct ModelRead {
    /// The movies' factor tables, without user rows (`None` for a neural model).
    pub tables: Option<Tables>,
    /// Item labels (the model's: [`Trained::items`]).
    pub labels: Rc<[String]>,
    /// The [`TO_RATE`] most rated movies, most first.
    pub most_rated: Vec<usize>,
    /// The movies a list (similar movies, recommendations) may name: see
    /// [`crate::reading::listable`].
    pub listable: Vec<usize>,
    /// The movies of lowest bias and of highest (empty without biases).
    pub bias_ends: crate::reading::BiasEnds,
    /// The most rated movies on the book's PCA map: (item, component 0, component 2).
    pub map: Vec<(usize, f32, f32)>,
    /// The users' rows grouped into taste profiles (empty for a neural model).
    pub profiles: Vec<collab_core::profiles::Profile>,
    /// The average user's row and bias (where "you as a new user" starts).
    pub average: (Vec<f32>, f32),
    /// Each item's genre mask (bit n: `GENRES[n]`) for the movies the maps draw, from the
    /// loaded data's genres (`u.item`, `movies.csv`); 0 for every other, and where the
    /// data has none.
    pub genres: Vec<u32>,
    /// Predictions of three fixed pairs, for the save/load check.
    pub check: String,
}

/// Why a movie is recommended to a user: the prediction term by term, and the movies the
/// user rated that are most like it (with the user's rating, where the loaded data has it).
#[derive(Debug, Clone)]
pub struct Why {
    pub user: String,
    pub item: usize,
    pub explanation: collab_core::interpret::Explanation,
    /// The user's rating of each of `explanation.closest`, if the loaded data holds it.
    pub ratings: Vec<Option<f32>>,
}

/// The visitor fitted as a new user.
#[derive(Debug, Clone)]
pub struct YouFit {
    /// The visitor's ratings: title and stars.
    pub ratings: Vec<(String, f32)>,
    pub fitted: String,
    pub you: Vec<(usize, f32)>,
    pub average: Vec<(usize, f32)>,
}

/// The training worker.
#[derive(Debug, Clone, Default)]
pub struct WorkerState {
    /// The module it was started on.
    pub engine: Engine,
    /// True once the current worker said it is ready.
    pub ready: bool,
    pub is_gpu: bool,
    pub label: String,
}

impl App {
    /// The page before anything computed: the demo table, section 8's controls as given
    /// (from the URL or the page's defaults).
    pub fn new(device: DeviceState, controls: TrainControls, sheet_settings: SheetSettings) -> Self {
        let table = demo_table();
        let sheet = Sheet::new(CrossTable::top(&table, SHEET_SIZE), sheet_settings, 1);
        App {
            device,
            proof: None,
            data: DataState {
                summary: DataSummary::of(&table),
                current: DataRef::Demo,
                served: false,
                loading: None,
                memory: None,
                source: "the made-up demo table (generated from planted tastes, not real ratings)".into(),
                progress: String::new(),
                progress_state: "",
                kept: None,
            },
            factors: FactorsState::default(),
            sheet: SheetState {
                sheet,
                eval: None,
                eval_generation: 0,
                last_step: None,
                series: vec![Series::default()],
                cursor: (0, 1),
                editing: None,
                running: false,
                stepping: false,
                steps: 0,
                generation: 1,
                batch_size: 0,
                message: String::new(),
                start: None,
                diverged: false,
                lr_find: None,
                refused: Vec::new(),
            },
            lookup: LookupState::default(),
            bias: BiasState::default(),
            train: TrainState {
                controls,
                fit: None,
                split: None,
                batch: None,
                message: String::new(),
                races: Vec::new(),
                racing: None,
                placed: String::new(),
                lr_find: None,
            },
            overfit: OverfitState::default(),
            learned: LearnedState { zoom: 1.0, ..LearnedState::default() },
            runs: Default::default(),
            worker: WorkerState::default(),
            next_id: 1,
        }
    }

    /// A fresh request id.
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The rating the lookup shows: the pick if the sheet still has it rated, else the
    /// first rated one.
    pub fn lookup_cell(&self) -> Option<(usize, usize)> {
        let rated = self.sheet.sheet.rated();
        self.lookup
            .pick
            .filter(|p| rated.iter().any(|r| (r.0, r.1) == *p))
            .or_else(|| rated.first().map(|r| (r.0, r.1)))
    }

    /// The fit in `slot`, if any.
    pub fn fit(&self, slot: Slot) -> Option<&Fit> {
        match slot {
            Slot::Train => self.train.fit.as_ref(),
            Slot::Baseline => self.overfit.pair.as_ref().map(|p| &p[0]),
            Slot::Decayed => self.overfit.pair.as_ref().map(|p| &p[1]),
        }
    }

    /// The fit in `slot` if `run` is its id: a message about any other run is stale.
    pub fn fit_mut(&mut self, slot: Slot, run: u64) -> Option<&mut Fit> {
        let fit = match slot {
            Slot::Train => self.train.fit.as_mut(),
            Slot::Baseline => self.overfit.pair.as_mut().map(|p| &mut p[0]),
            Slot::Decayed => self.overfit.pair.as_mut().map(|p| &mut p[1]),
        };
        fit.filter(|f| f.run == run)
    }
}

impl SheetState {
    /// The controls showing the sheet's settings and batch size as they stand.
    pub fn controls(&self) -> crate::fields::SheetControls {
        crate::fields::SheetControls {
            batch: self.batch_size.to_string(),
            ..crate::fields::SheetControls::showing(&self.sheet.settings)
        }
    }

    /// The MSE after each step since the last change.
    pub fn history(&self) -> &[f32] {
        self.series.last().map_or(&[][..], |s| &s.train[..])
    }

    /// True when the shown evaluation is of the current numbers.
    pub fn evaluated(&self) -> bool {
        self.eval.is_some() && self.eval_generation == self.generation
    }
}

/// The demo table: made-up ratings from planted tastes.
pub fn demo_table() -> RatingsTable {
    collab_core::data::synth::demo()
}
