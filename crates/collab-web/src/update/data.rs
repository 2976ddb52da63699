//! Loading ratings: the served copy, the visitor's files or the files kept in this
//! browser, read and parsed by a worker of their own (a fresh training worker on the same
//! engine), never on the page's thread. The page holds only the files' handles and, once
//! read, what its cells draw ([`DataSummary`]). Until that worker answers, the training
//! worker, the data and every fit stay as they were: a load that fails or is cancelled
//! ends its worker and changes nothing else; one that succeeds makes its worker the
//! training worker, which holds the new ratings.

use collab_core::data::budget::bytes_words;
use collab_core::error::clip;
use collab_core::sheet::Sheet;

use crate::effect::Effect;
use crate::html::group;
use crate::msg::DataMsg;
use crate::protocol::FromWorker;
use crate::state::{App, DataRef, DataSummary, Loading, Origin, WorkerState};

pub fn update(app: &mut App, msg: DataMsg) -> Vec<Effect> {
    let d = &mut app.data;
    match msg {
        DataMsg::FetchServed => {
            d.progress = "Fetching data/ml-100k.zip …".into();
            d.progress_state = "loading";
            vec![Effect::FetchServed]
        }
        DataMsg::LoadKept => {
            d.progress = "Reading the files kept in this browser …".into();
            d.progress_state = "loading";
            vec![Effect::LoadKept]
        }
        DataMsg::Kept(names) => {
            d.kept =
                names.filter(|n| !n.is_empty()).map(|n| n.iter().map(|n| clip(n, 40)).collect::<Vec<_>>().join(" + "));
            Vec::new()
        }
        DataMsg::NotRead(why) => failed(app, &why),
        DataMsg::Files { id, files, .. } if files.is_empty() => {
            let mut effects = failed(app, "no file was given");
            effects.push(Effect::EndLoader { id });
            effects
        }
        DataMsg::Files { id, origin, files } => {
            // A newer load replaces one under way.
            let mut effects: Vec<Effect> =
                d.loading.take().map(|l| Effect::EndLoader { id: l.id }).into_iter().collect();
            let total = files.iter().map(|f| f.1).sum();
            let engine = app.worker.engine;
            d.loading = Some(Loading {
                id,
                origin,
                files,
                read: 0,
                total,
                ratings: 0,
                worker: WorkerState { engine, ..Default::default() },
            });
            d.progress = progress_words(d.loading.as_ref().expect("just set"));
            d.progress_state = "loading";
            effects.push(Effect::StartLoader { id, engine });
            effects
        }
        DataMsg::Cancel => match d.loading.take() {
            Some(loading) => {
                d.progress = format!("Loading {} was cancelled. The data you had is still here.", names(&loading));
                d.progress_state = "";
                vec![Effect::EndLoader { id: loading.id }]
            }
            None => Vec::new(),
        },
        DataMsg::LoaderDied { id, what } if is_loading(app, id) => {
            app.data.loading = None;
            let mut effects = failed(app, &format!("the worker reading the files stopped ({what})"));
            effects.push(Effect::EndLoader { id });
            effects
        }
        DataMsg::Loader { id, msg } if is_loading(app, id) => loader(app, id, msg),
        // About a load that was cancelled or replaced.
        DataMsg::LoaderDied { .. } | DataMsg::Loader { .. } => Vec::new(),
    }
}

/// True when `id` is the load under way.
fn is_loading(app: &App, id: u64) -> bool {
    app.data.loading.as_ref().is_some_and(|l| l.id == id)
}

/// What the worker reading load `id` said.
fn loader(app: &mut App, id: u64, msg: FromWorker) -> Vec<Effect> {
    let Some(loading) = app.data.loading.as_mut() else { return Vec::new() };
    match msg {
        FromWorker::Ready { label, is_gpu } => {
            loading.worker = WorkerState { engine: loading.worker.engine, ready: true, is_gpu, label };
            Vec::new()
        }
        FromWorker::Loading { read, total, ratings, .. } => {
            (loading.read, loading.total, loading.ratings) = (read, total, ratings);
            app.data.progress = progress_words(loading);
            Vec::new()
        }
        FromWorker::Loaded { summary, used, memory, .. } => {
            let loading = app.data.loading.take().expect("checked by the caller");
            app.data.memory = Some(memory);
            loaded(app, loading, *summary, used)
        }
        FromWorker::LoadFailed { message, .. } | FromWorker::Failed { message, .. } => {
            app.data.loading = None;
            let mut effects = failed(app, &message);
            effects.push(Effect::EndLoader { id });
            effects
        }
        // Nothing else comes from a worker that holds no fit.
        _ => Vec::new(),
    }
}

/// The files of a load in words: "ml-1m.zip (5.6 MiB)".
fn names(loading: &Loading) -> String {
    let named: Vec<String> =
        loading.files.iter().map(|(n, size)| format!("{} ({})", clip(n, 40), bytes_words(*size))).collect();
    clip(&named.join(", "), 200)
}

/// "Reading ml-1m.zip (5.6 MiB): 2.1 MiB read (37%), 393,216 ratings …"
fn progress_words(loading: &Loading) -> String {
    let share = (100 * loading.read).checked_div(loading.total).unwrap_or(0).min(100);
    let (read, ratings) = (bytes_words(loading.read), group(loading.ratings));
    format!("Reading {}: {read} read ({share}%), {ratings} ratings …", names(loading))
}

fn failed(app: &mut App, why: &str) -> Vec<Effect> {
    app.data.progress = format!("Nothing was loaded: {why}. The data you had is still here.");
    app.data.progress_state = "error";
    Vec::new()
}

/// New ratings, read by the loading worker, which now becomes the training worker: a new
/// sheet with the same settings, every fit forgotten, the lookup on the new sheet's first
/// rating, the files kept in this browser.
fn loaded(app: &mut App, loading: Loading, summary: DataSummary, used: Vec<String>) -> Vec<Effect> {
    let forget = match app.data.current {
        DataRef::Files(old) => Some(old),
        DataRef::Demo => None,
    };
    super::learned::worker_replaced(app);
    let mut effects = vec![Effect::AdoptLoader { id: loading.id, forget }];
    let ignored: Vec<&str> = loading
        .files
        .iter()
        .map(|f| f.0.as_str())
        .filter(|n| !used.iter().any(|u| u.eq_ignore_ascii_case(n)))
        .collect();
    let mut note = summary.note.as_ref().map(|cut| format!(" {cut}.")).unwrap_or_default();
    if !ignored.is_empty() {
        note.push_str(&format!(" Not used: {} (one data set at a time).", clip(&ignored.join(", "), 80)));
    }
    let named = used.iter().map(|n| clip(n, 40)).collect::<Vec<_>>().join(" + ");
    let source = match loading.origin {
        Origin::Served => {
            // A link to this page now opens on the served copy too.
            effects.push(Effect::StoreUrl(vec![(crate::fields::DATA_KEY, crate::fields::SERVED.into())]));
            "MovieLens-100k (served copy)".to_string()
        }
        Origin::Picked | Origin::Kept => {
            app.data.kept = Some(named.clone());
            effects.push(Effect::KeepFiles { id: loading.id, names: used });
            format!("your file {named}")
        }
    };
    // The release recognised ("…: 1,000,209 ratings, MovieLens 1M (ml-1m).").
    let release = summary.release().map(|r| format!(", {r}")).unwrap_or_default();
    app.data.progress = format!("Loaded {source}: {} ratings{release}.{note}", group(summary.ratings));
    app.data.progress_state = "loaded";
    app.data.current = DataRef::Files(loading.id);
    app.data.served = loading.origin == Origin::Served;
    app.worker = loading.worker;
    let settings = app.sheet.sheet.settings;
    let s = &mut app.sheet;
    s.sheet = Sheet::new(summary.cross.clone(), settings, 1);
    s.eval = None;
    s.running = false;
    s.editing = None;
    app.data.summary = summary;
    app.data.source = source;
    app.lookup = Default::default();
    app.train.fit = None;
    // A sweep was of the old ratings.
    app.train.lr_find = None;
    app.sheet.lr_find = None;
    app.train.split = None;
    app.train.batch = None;
    app.train.message.clear();
    // A race timed the old data's sizes; a race under way goes on, its answer is dropped.
    app.train.races.clear();
    app.train.racing = None;
    app.overfit = Default::default();
    effects.extend(super::sheet::changed(app));
    effects
}
