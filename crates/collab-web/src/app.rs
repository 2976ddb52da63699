//! The page's state and start-up. One `App` behind `Rc<RefCell<_>>`; event handlers
//! turn events into calls on it; long work (device reads) runs in `spawn_local` and
//! writes back only if nothing changed meanwhile (the `generation` counter).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use collab_core::data::synth::{SynthSettings, generate};
use collab_core::data::{CollabData, CrossTable, DataSettings, ItemKey, RatingsTable};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::sheet::{Sheet, SheetEval, SheetSettings, SheetStep};
use collab_core::train::{EpochMetrics, FitSettings, Learner, Schedule};

use crate::device::Chosen;
use crate::protocol::{Slot, TrainSettings};
use crate::{
    bias_view, data_view, device, dom, factors_view, learned_view, lookup_view, overfit_view, sheet_view, train_view,
    trainer,
};

/// Everything the page shows.
pub struct App {
    /// Where the maths runs.
    pub device: Chosen,
    /// The ratings loaded (demo or MovieLens).
    pub table: RatingsTable,
    /// Where they came from, in words.
    pub source: String,
    /// The live spreadsheet.
    pub sheet: Sheet,
    /// Its last evaluation.
    pub eval: Option<SheetEval>,
    /// Its last step, for the gradient shading.
    pub last_step: Option<SheetStep>,
    /// MSE after each step since the last reset, for the chart.
    pub history: Vec<f32>,
    /// Selected grid cell (row, column) and whether it is being edited.
    pub cursor: (usize, usize),
    /// True while the selected cell holds an editor.
    pub editing: bool,
    /// True while Run repeats steps.
    pub running: bool,
    /// Steps taken (also seeds the mini-batches).
    pub steps: u64,
    /// Bumped by every change to the sheet; async results for an older one are dropped.
    pub generation: u64,
    /// Training on the loaded data (section 8).
    pub train: TrainState,
    /// The last trained or loaded model, for sections 9 and 10.
    pub trained: Option<Trained>,
}

/// What the page knows of the fits in the training worker.
#[derive(Default)]
pub struct TrainState {
    /// True when the worker trains on WebGPU (said by the worker once it started).
    pub worker_gpu: bool,
    /// True once the current worker said it is ready.
    pub worker_ready: bool,
    /// Each fit the worker holds.
    pub jobs: HashMap<Slot, Job>,
    /// Epochs of the overfitting pair, as each fit ends.
    pub finished: HashMap<Slot, Vec<EpochMetrics>>,
}

/// One fit in the worker, as the page must remember it to restart it elsewhere.
#[derive(Clone)]
pub struct Job {
    /// The settings it was started with.
    pub settings: TrainSettings,
    /// True while it should be training.
    pub running: bool,
    /// On WebGPU: the snapshot after its last completed step.
    pub snapshot: Option<KeptSnapshot>,
    /// True once every epoch is done.
    pub done: bool,
}

/// A snapshot as the worker sent it, with the chart points up to it.
#[derive(Clone)]
pub struct KeptSnapshot {
    /// `collab_core::train::Snapshot::to_bytes`.
    pub bytes: Vec<u8>,
    /// (step, smoothed train loss) up to it.
    pub points: Vec<(usize, f64)>,
}

/// A model to interpret: trained here or loaded from a file.
pub struct Trained {
    /// Its spec.
    pub spec: ModelSpec,
    /// Its vocabularies.
    pub users: collab_core::data::Vocab,
    /// Item labels (titles).
    pub items: collab_core::data::Vocab,
    /// The model, without autodiff.
    pub model: collab_core::model::CollabModel,
    /// Item indices each user index rated in training (empty for a loaded model).
    pub rated: std::collections::HashMap<i32, Vec<usize>>,
}

/// The shared handle every handler holds.
pub type Shared = Rc<RefCell<App>>;

/// The demo table: made-up ratings from planted tastes.
pub fn demo_table() -> RatingsTable {
    generate(SynthSettings { users: 40, items: 24, density: 0.55, ..SynthSettings::default() })
}

/// Chooses the device, renders every section and wires the handlers.
pub async fn run() -> Result<(), String> {
    let chosen = device::choose(false).await;
    dom::set_text("device", &chosen.label)?;
    dom::set_attr("device", "data-kind", if chosen.is_gpu { "webgpu" } else { "cpu" })?;
    proof_cell(&chosen).await?;

    let table = demo_table();
    let sheet = Sheet::new(CrossTable::top(&table, 15), SheetSettings::default(), 1);
    let app: Shared = Rc::new(RefCell::new(App {
        device: chosen,
        table,
        source: "the made-up demo table (generated from planted tastes, not real ratings)".into(),
        sheet,
        eval: None,
        last_step: None,
        history: Vec::new(),
        cursor: (0, 1),
        editing: false,
        running: false,
        steps: 0,
        generation: 0,
        train: TrainState::default(),
        trained: None,
    }));
    data_view::render(&app.borrow())?;
    data_view::wire(&app)?;
    factors_view::wire(&app)?;
    sheet_view::wire(&app)?;
    sheet_view::refresh(&app);
    lookup_view::wire(&app)?;
    bias_view::wire(&app)?;
    train_view::wire(&app)?;
    learned_view::wire(&app)?;
    overfit_view::wire(&app)?;
    trainer::start(&app, false)?;
    Ok(())
}

/// Replaces the data (after a load), keeping the sheet's settings.
pub fn set_table(app: &Shared, table: RatingsTable, source: String) -> Result<(), String> {
    {
        let mut a = app.borrow_mut();
        let settings = a.sheet.settings;
        a.sheet = Sheet::new(CrossTable::top(&table, 15), settings, 1);
        a.table = table;
        a.source = source;
        a.eval = None;
        a.last_step = None;
        a.history.clear();
        a.running = false;
        a.generation += 1;
        data_view::render(&a)?;
        lookup_view::render_picker(&a)?;
    }
    train_view::reset(app);
    overfit_view::reset(app);
    trainer::send_table(app);
    sheet_view::refresh(app);
    lookup_view::refresh(app);
    Ok(())
}

/// The first cell: DotProductBias on a 15 x 15 made-up table, loss before and after one
/// full-batch Adam step, on the chosen device.
async fn proof_cell(chosen: &Chosen) -> Result<(), String> {
    let table = generate(SynthSettings { users: 15, items: 15, density: 0.75, ..SynthSettings::default() });
    // Every rating in training and in one batch: a full-batch step.
    let settings = DataSettings { item_key: ItemKey::Id, valid_pct: 0.0, seed: 1, batch_size: table.ratings.len() };
    let data = Arc::new(CollabData::new(&table, settings));
    let spec =
        ModelSpec { n_factors: 5, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
    let fit = FitSettings { epochs: 1, schedule: Schedule::Constant { lr: 0.1 }, ..FitSettings::default() };
    let mut learner = Learner::new(data.clone(), spec, fit, &chosen.device);

    let start = dom::now_ms();
    let before = collab_core::train::mse(&learner.model, &data.train).await.map_err(|e| e.to_string())?;
    learner.train_batch(false).ok_or("no batch to train on")?;
    let after = collab_core::train::mse(&learner.model, &data.train).await.map_err(|e| e.to_string())?;
    let ms = dom::now_ms() - start;
    dom::set_text("proof-loss", &format!("{before:.4}"))?;
    dom::set_text("proof-loss-after", &format!("{after:.4}"))?;
    dom::set_text("proof-detail", &format!("{} ratings, one Adam step, {ms:.0} ms on this device", data.train.len()))?;
    dom::set_attr("proof", "data-state", "done")?;
    Ok(())
}
