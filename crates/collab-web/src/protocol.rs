//! What the page and its training worker say to each other. Training runs in a Web
//! Worker (see `web/worker.rs`) so that no batch, shader compilation or device read ever
//! holds up the page; the page sends commands and draws what comes back.
//!
//! Messages cross as plain JavaScript values (serde-wasm-bindgen); byte payloads
//! (ratings, snapshots, models) cross as `Uint8Array`s. Every message about a fit
//! carries its `run` id: the page drops any answer about a run it no longer has, and
//! the worker starts a new fit when a command names a run it does not hold.

use collab_core::data::{Rating, RatingsTable};
use collab_core::residuals::Residuals;
use collab_core::train::lr_find::Sweep;
use collab_core::train::{BatchTimes, EpochMetrics, StepPath};
use serde::{Deserialize, Serialize};

/// Which learner a message is about: section 8's, or one of the overfitting pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Slot {
    /// Section 8's training.
    Train,
    /// The overfitting comparison at fastai's default weight decay.
    Baseline,
    /// The overfitting comparison with more weight decay.
    Decayed,
}

/// The settings section 8's controls hold, read and checked by the core's one settings
/// path (the same the page's address and the CLI take).
pub use collab_core::settings::Settings as TrainSettings;

use crate::reading::SavedModel;

/// Which build of the module a training worker runs, and so its device: the page's own
/// CPU module, or the GPU module (fetched only when wanted), which trains on WebGPU when
/// the browser gives it an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Engine {
    #[default]
    Cpu,
    WebGpu,
}

impl Engine {
    /// As the visitor reads it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Cpu => "CPU",
            Engine::WebGpu => "WebGPU",
        }
    }
}

pub use collab_core::train::{RACE_STEPS, RACE_WARMUP};

/// From the page to the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ToWorker {
    /// Pick the module's device and answer [`FromWorker::Ready`].
    Init,
    /// New ratings ([`pack_table`]); every learner is forgotten.
    Data {
        #[serde(with = "serde_bytes")]
        table: Vec<u8>,
    },
    /// Read the ratings of files `names` (their `Blob`s travel beside this message: see
    /// `web::link::post`), within the core's memory budget, telling the page how far it
    /// got ([`FromWorker::Loading`]) and answering [`FromWorker::Loaded`] or
    /// [`FromWorker::LoadFailed`]. Every learner is forgotten once they are read.
    Load { id: u64, names: Vec<String> },
    /// Train `slot`'s fit `run` until paused, reset or done (building it if the worker
    /// holds another run or none).
    Run { slot: Slot, run: u64, settings: TrainSettings },
    /// Stop `slot` after its current slice.
    Pause { slot: Slot, run: u64 },
    /// Take one batch of `slot`'s fit `run` and answer [`FromWorker::Batch`].
    Step { slot: Slot, run: u64, settings: TrainSettings },
    /// Forget `slot`'s learner.
    Reset { slot: Slot },
    /// Rebuild `slot`'s fit `run` from the snapshot whose `Blob` travels beside this
    /// message ([`FromWorker::Snapshot`]; after the GPU was lost), its chart going on from
    /// `points`, and go on training if `go_on`.
    Restore { slot: Slot, run: u64, settings: TrainSettings, points: Vec<(usize, f64)>, go_on: bool },
    /// Read the saved model whose `Blob` travels beside this message (a file the visitor
    /// picked, which the page keeps as `saved`: its bytes never pass through the page) for
    /// sections 9 and 10 ([`crate::reading`]), answer [`FromWorker::ModelRead`], and keep
    /// its users to answer for.
    ReadModel { saved: SavedModel },
    /// Answer [`FromWorker::User`]: user `user` (as typed) of the model kept as `saved`,
    /// which this worker read (section 8's fit's, or a file's): their row and, for a fit,
    /// their ratings (a recommendation leaves them out; "why?" quotes them).
    User { saved: SavedModel, user: String },
    /// The page no longer shows the model kept as `saved`: let go of its users if this
    /// worker holds them (at ml-25m some 240 MB: 33 MB of rows, 200 MB of who rated what).
    Forget { saved: SavedModel },
    /// Time [`RACE_STEPS`] batches of a fresh fit with `settings` along `path` (the
    /// page races [`StepPath::Direct`]), after [`RACE_WARMUP`] untimed ones, and answer
    /// [`FromWorker::Raced`].
    Race { settings: TrainSettings, path: StepPath },
    /// Run fastai's LR finder on a fresh learner of `settings` (Adam at the finder's
    /// weight decay) and answer [`FromWorker::LrFound`]; the fits are not touched.
    LrFind { run: u64, settings: TrainSettings },
    #[cfg(feature = "hooks")]
    /// Test hook: take `steps` batches of a fresh fit with `settings` and answer
    /// [`FromWorker::Probed`], so that a test can hold one engine's numbers against
    /// another's.
    Probe { settings: TrainSettings, steps: usize },
    #[cfg(feature = "hooks")]
    /// Test hook: destroy the worker's GPU device, as a lost GPU would be.
    LoseDevice,
    #[cfg(feature = "hooks")]
    /// Test hook: end the worker with an uncaught error, as a crash would.
    Crash,
}

/// How the split came out: what the page explains about `#na#`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SplitCounts {
    pub train: usize,
    pub valid: usize,
    pub users: usize,
    pub items: usize,
    pub valid_only_users: usize,
    pub valid_only_items: usize,
}

/// Where a fit stands: all the page needs to draw the progress, table and chart.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub steps_done: usize,
    pub total_steps: usize,
    pub epoch: usize,
    pub lr: f64,
    pub beta1: f64,
    pub batches_per_epoch: usize,
    /// (step, smoothed train loss): one per slice, at most [`CURVE_KEPT`] and the newest ([`Curve`]).
    pub points: Vec<(usize, f64)>,
    pub history: Vec<EpochMetrics>,
    pub done: bool,
}

/// One row of a stepped batch, labels resolved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRow {
    pub user: String,
    pub user_index: i32,
    pub title: String,
    pub item_index: i32,
    pub rating: f32,
    pub prediction: f32,
}

/// One stepped batch, shown in full.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchView {
    pub step: usize,
    pub epoch: usize,
    pub lr: f64,
    pub beta1: f64,
    pub loss: f32,
    /// The first rows of the batch.
    pub rows: Vec<BatchRow>,
    pub batch_len: usize,
    /// Labels of the user rows that moved most, with how far.
    pub user_moves: Vec<(String, f32)>,
    pub users_touched: usize,
    pub item_moves: Vec<(String, f32)>,
    pub items_touched: usize,
}

/// From the worker to the page.
#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    /// The device is chosen.
    Ready { label: String, is_gpu: bool },
    /// Section 8's learner was built: how the split came out.
    Split { run: u64, counts: SplitCounts },
    /// A slice, a step or an epoch finished.
    Progress { slot: Slot, run: u64, progress: Progress },
    /// A stepped batch.
    Batch { slot: Slot, run: u64, batch: BatchView },
    /// The fit's state after its last step, with the chart's points up to it (on WebGPU
    /// only: the CPU is not lost). Its bytes travel beside this message as a `Blob` (the
    /// model and Adam's state: about 140 MB at ml-25m), which the page keeps as a handle and
    /// never reads (`Runtime::snapshots`); a new worker restores from it
    /// ([`ToWorker::Restore`]).
    Snapshot { slot: Slot, run: u64, points: Vec<(usize, f64)> },
    /// Section 8's fit ended: the model as the worker read it for sections 9 and 10
    /// ([`crate::reading`]; the saved model's `Blob` travels beside this message, for
    /// Save), and each item's ratings (training and validation alike: popularity counts
    /// every rating, as the book's map does). The users' rows and who rated what stay in
    /// the worker: the page asks for one user at a time ([`ToWorker::User`]). Where the
    /// model is wrong follows ([`FromWorker::Errors`]).
    Trained {
        run: u64,
        read: Result<Box<(crate::reading::ModelFile, crate::reading::ModelReading)>, String>,
        #[serde(with = "crate::index_bytes")]
        counts: Vec<usize>,
    },
    /// Where fit `run`'s model is wrong on the validation ratings, with the ids of the
    /// users of its worst predictions; or why that could not be worked out.
    Errors { run: u64, result: Result<(Box<Residuals>, Vec<String>), String> },
    /// What [`ToWorker::ReadModel`] read, or why the model could not be read.
    ModelRead { result: Box<Result<(crate::reading::ModelFile, crate::reading::ModelReading), String>> },
    /// User `user` (as asked) of the model kept as `saved`; or why this worker cannot say.
    User { saved: SavedModel, user: String, result: Result<Box<crate::reading::UserRow>, String> },
    /// Load `id` has read `read` bytes of its files' `total`, and parsed `ratings` ratings.
    Loading { id: u64, read: u64, total: u64, ratings: usize },
    /// Load `id` is read: what the page's cells need of it, the names of the files its
    /// ratings came from, and the bytes of the worker's wasm memory once it holds them.
    Loaded { id: u64, summary: Box<crate::summary::DataSummary>, used: Vec<String>, memory: u64 },
    /// Load `id` failed; the worker keeps what it held before.
    LoadFailed { id: u64, message: String },
    /// The map of the movie factors at `epoch` (0: untrained; n: after epoch n-1 in
    /// fastai's count): `(item, x, y)` as [`collab_core::interpret::map_points`] draws
    /// them, axes as the PCA found them (the page aligns them), and each point's title.
    Map { slot: Slot, run: u64, epoch: usize, points: Vec<(usize, f32, f32)>, titles: Vec<String> },
    /// Something the visitor should know about a fit that otherwise went fine.
    Note { slot: Slot, run: u64, message: String },
    /// The LR finder's sweep `run`, or why it could not run.
    LrFound { run: u64, result: Result<Sweep, String> },
    /// A race's answer: milliseconds per batch on this worker's device.
    Raced { times: BatchTimes },
    #[cfg(feature = "hooks")]
    /// A probe's answer: how the steps ran, each batch's loss, and every weight after
    /// the last one (the model's tensors one after another).
    Probed { step_kind: String, losses: Vec<f32>, weights: Vec<f32> },
    /// A command failed (`slot`/`run`: the fit it was about, if any); `device_lost` when
    /// the GPU failed under it.
    Failed { slot: Option<(Slot, u64)>, message: String, device_lost: bool },
}

/// Milliseconds of training between two snapshots of a fit on WebGPU
/// ([`FromWorker::Snapshot`]), by the size of the model's tables: none (one at every
/// report) up to 2^20 numbers, as MovieLens-100k's and ml-1m's at 50 factors; above, 200
/// ms per 2^20 (2 s at ml-25m's, whose snapshot reads about 140 MB off the GPU into a
/// `Blob`). A lost GPU then costs a fit at most that much training.
pub fn snapshot_every_ms(spec: &collab_core::model::ModelSpec) -> f64 {
    let numbers = (spec.n_users + spec.n_items) * (spec.n_factors + 1);
    if numbers <= 1 << 20 { 0.0 } else { 200.0 * (numbers >> 20) as f64 }
}

/// The most points a fit's loss curve keeps (and its newest read). The worker reads the
/// losses once a slice (every 20 ms), and every progress report carries the whole curve:
/// an ml-25m fit of a few epochs reads tens of thousands of times, and a curve that kept
/// every read would make each report, and each drawing of the chart, longer than the last.
pub const CURVE_KEPT: usize = 1024;

/// A fit's loss curve as its worker keeps it: every `every`-th read, from the first,
/// and the newest read last. When [`CURVE_KEPT`] reads are kept, every second one goes
/// and `every` doubles, so the points stay evenly spaced from the start to now.
#[derive(Debug, Clone, Default)]
pub struct Curve {
    points: Vec<(usize, f64)>,
    every: usize,
    reads: usize,
}

impl Curve {
    /// A curve that goes on from `points` (a fit restored from a snapshot).
    pub fn from_points(points: Vec<(usize, f64)>) -> Self {
        Curve { reads: points.len(), points, every: 1 }
    }

    /// (step, smoothed train loss) of the kept reads, the newest last.
    pub fn points(&self) -> &[(usize, f64)] {
        &self.points
    }

    /// Adds the newest read.
    pub fn add(&mut self, point: (usize, f64)) {
        let every = self.every.max(1);
        // The last read stood in only as the newest: this one takes its place.
        if self.reads > 0 && !(self.reads - 1).is_multiple_of(every) {
            self.points.pop();
        }
        if self.reads.is_multiple_of(every) && self.points.len() >= CURVE_KEPT {
            let mut n = 0;
            self.points.retain(|_| {
                n += 1;
                n % 2 == 1
            });
            self.every = every * 2;
        }
        self.points.push(point);
        self.reads += 1;
    }
}

/// Ratings as bytes: a count, then per rating user u32, item u32, rating f32 and
/// timestamp u32 (little-endian, 16 bytes as the table holds it), then the titles as JSON. Copies at memory speed, so
/// sending all of MovieLens-100k to the worker costs the page a few milliseconds.
pub fn pack_table(table: &RatingsTable) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 16 * table.ratings.len());
    out.extend_from_slice(&(table.ratings.len() as u32).to_le_bytes());
    for r in &table.ratings {
        out.extend_from_slice(&r.user.to_le_bytes());
        out.extend_from_slice(&r.item.to_le_bytes());
        out.extend_from_slice(&r.rating.to_le_bytes());
        out.extend_from_slice(&r.timestamp.to_le_bytes());
    }
    out.extend_from_slice(&serde_json::to_vec(&table.titles).expect("titles serialise"));
    out
}

/// Reads [`pack_table`] back; a count the bytes do not hold is refused before any
/// allocation.
pub fn unpack_table(bytes: &[u8]) -> Result<RatingsTable, String> {
    let count: [u8; 4] = bytes.get(..4).ok_or("empty table")?.try_into().map_err(|_| "empty table")?;
    let n = u32::from_le_bytes(count) as usize;
    let end = n.checked_mul(16).and_then(|b| b.checked_add(4)).ok_or("the table is cut short")?;
    let body = bytes.get(4..end).ok_or("the table is cut short")?;
    let word = |c: &[u8], at: usize| -> [u8; 4] { [c[at], c[at + 1], c[at + 2], c[at + 3]] };
    let ratings = body
        .chunks_exact(16)
        .map(|c| Rating {
            user: u32::from_le_bytes(word(c, 0)),
            item: u32::from_le_bytes(word(c, 4)),
            rating: f32::from_le_bytes(word(c, 8)),
            timestamp: u32::from_le_bytes(word(c, 12)),
        })
        .collect();
    let titles = serde_json::from_slice(&bytes[end..]).map_err(|e| e.to_string())?;
    // Genres stay on the page (only its map uses them).
    Ok(RatingsTable { ratings, titles, ..RatingsTable::default() })
}

/// The index of files kept in the browser (see `web/kept.rs`): one entry holds a
/// 4-byte little-endian length, this JSON list of `(name, size)`, then the files' bytes
/// one after another. Returns each file's name and byte range in the entry; sizes the
/// entry (`body` bytes) does not hold are refused before anything is sliced.
pub fn kept_ranges(index: &[u8], body: u64) -> Result<Vec<(String, u64, u64)>, String> {
    let files: Vec<(String, u64)> = serde_json::from_slice(index).map_err(|_| "the kept files' index is damaged")?;
    let mut at = 4 + index.len() as u64;
    let mut ranges = Vec::with_capacity(files.len());
    for (name, size) in files {
        let end = at.checked_add(size).filter(|&end| end <= body).ok_or("the kept files are cut short")?;
        ranges.push((name, at, end));
        at = end;
    }
    Ok(ranges)
}

/// The head of a kept entry for files of these names and sizes: the length and the index.
pub fn kept_head(files: &[(String, u64)]) -> Vec<u8> {
    let index = serde_json::to_vec(files).expect("names and sizes serialise");
    let mut head = (index.len() as u32).to_le_bytes().to_vec();
    head.extend_from_slice(&index);
    head
}

/// The longest index a kept entry may have (a few file names).
pub const KEPT_INDEX_MAX: u32 = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;
    use collab_core::data::synth::{SynthSettings, generate};

    #[test]
    fn a_small_fit_is_snapshotted_at_every_report_and_a_big_one_every_few_seconds() {
        use collab_core::model::{ModelKind, ModelSpec};
        let at = |users, items| {
            let spec = ModelSpec { n_factors: 50, ..ModelSpec::new(ModelKind::DotProductBias, users, items) };
            snapshot_every_ms(&spec)
        };
        // MovieLens-100k and ml-1m (with fastai's #na# rows): every report, as the test of
        // a lost GPU needs (it goes on from the step the page last showed).
        assert_eq!((at(944, 1665), at(6041, 3707)), (0.0, 0.0));
        // ml-25m: 11.3 million numbers in its tables, a snapshot of about 140 MB.
        assert_eq!(at(162_542, 59_048), 2000.0);
    }

    #[test]
    fn a_long_fits_curve_stays_bounded_and_evenly_spaced_from_its_first_read_to_its_newest() {
        let mut curve = Curve::default();
        for step in 1..=100_000 {
            curve.add((step, 1.0 / step as f64));
            let points = curve.points();
            assert!(points.len() <= CURVE_KEPT + 1);
            assert_eq!(points.last(), Some(&(step, 1.0 / step as f64)), "the newest read is always drawn");
            assert_eq!(points[0].0, 1, "the first read stays");
        }
        let points = curve.points();
        assert!(points.len() > CURVE_KEPT / 2, "{}", points.len());
        let gaps: Vec<usize> = points[..points.len() - 1].windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert!(gaps[0] == 128 && gaps.iter().all(|&g| g == gaps[0]), "{gaps:?}");
        let mut short = Curve::default();
        (1..=10).for_each(|s| short.add((s, 0.5)));
        assert_eq!(short.points().len(), 10, "a short fit keeps every read");
        let mut restored = Curve::from_points(short.points().to_vec());
        restored.add((11, 0.4));
        assert_eq!(restored.points().len(), 11, "a restored fit goes on from its points");
    }

    #[test]
    fn a_table_survives_packing() {
        let mut table = generate(SynthSettings { users: 7, items: 5, density: 0.6, ..SynthSettings::default() });
        table.ratings[0].timestamp = 0;
        table.ratings[1].timestamp = u32::MAX;
        let back = unpack_table(&pack_table(&table)).unwrap();
        assert_eq!(back.ratings, table.ratings);
        assert_eq!(back.titles, table.titles);
    }

    #[test]
    fn kept_files_are_found_by_their_index_and_a_lying_size_is_refused() {
        let files = vec![("u.data".to_string(), 8), ("u.item".to_string(), 2)];
        let head = kept_head(&files);
        let index = &head[4..];
        assert_eq!(u32::from_le_bytes(head[..4].try_into().unwrap()) as usize, index.len());
        let body = head.len() as u64 + 10;
        let start = head.len() as u64;
        assert_eq!(
            kept_ranges(index, body).unwrap(),
            [("u.data".to_string(), start, start + 8), ("u.item".to_string(), start + 8, start + 10)]
        );
        assert_eq!(kept_ranges(index, body - 1).unwrap_err(), "the kept files are cut short");
        let lying = kept_head(&[("u.data".to_string(), u64::MAX)]);
        assert_eq!(kept_ranges(&lying[4..], 1 << 40).unwrap_err(), "the kept files are cut short");
        assert_eq!(kept_ranges(b"[1,", 100).unwrap_err(), "the kept files' index is damaged");
    }

    #[test]
    fn a_short_or_lying_table_is_refused() {
        let table = generate(SynthSettings { users: 3, items: 3, density: 1.0, ..SynthSettings::default() });
        let bytes = pack_table(&table);
        assert_eq!(unpack_table(&bytes[..30]).unwrap_err(), "the table is cut short");
        assert_eq!(unpack_table(&[]).unwrap_err(), "empty table");
        let mut huge = bytes.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(unpack_table(&huge).unwrap_err(), "the table is cut short");
    }
}
