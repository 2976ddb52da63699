//! Loading ratings: the served copy or the visitor's files, parsed by the core; a
//! failure leaves everything loaded or trained as it was.

use collab_core::data::{CrossTable, RatingsTable, movielens};
use collab_core::error::clip;
use collab_core::sheet::Sheet;

use crate::effect::Effect;
use crate::html::group;
use crate::msg::DataMsg;
use crate::protocol::{ToWorker, pack_table};
use crate::state::{App, SHEET_SIZE};

pub fn update(app: &mut App, msg: DataMsg) -> Vec<Effect> {
    let d = &mut app.data;
    match msg {
        DataMsg::FetchServed => {
            d.progress = "Fetching data/ml-100k.zip …".into();
            d.progress_state = "loading";
            vec![Effect::FetchServed]
        }
        DataMsg::Reading(what) => {
            d.progress = what;
            d.progress_state = "loading";
            Vec::new()
        }
        DataMsg::Fetched(result) => {
            match result.and_then(|bytes| movielens::parse_zip(&bytes, "ml-100k.zip").map_err(|e| e.to_string())) {
                Ok(table) => {
                    // A link to this page now opens on the served copy too.
                    let mut effects = load(app, table, "MovieLens-100k (served copy)".into(), "");
                    effects.push(Effect::StoreUrl(vec![(crate::fields::DATA_KEY, crate::fields::SERVED.into())]));
                    effects
                }
                Err(e) => failed(app, &e),
            }
        }
        DataMsg::Files(Ok(files)) if files.is_empty() => failed(app, "no file was given"),
        DataMsg::Kept(names) => {
            d.kept =
                names.filter(|n| !n.is_empty()).map(|n| n.iter().map(|n| clip(n, 40)).collect::<Vec<_>>().join(" + "));
            Vec::new()
        }
        DataMsg::LoadKept => {
            d.progress = "Reading the files kept in this browser …".into();
            d.progress_state = "loading";
            vec![Effect::LoadKept]
        }
        DataMsg::Files(Ok(files)) => match movielens::parse_named(&files) {
            Ok((table, used)) => {
                let kept: Vec<(String, Vec<u8>)> =
                    files.iter().filter(|f| used.iter().any(|u| u.eq_ignore_ascii_case(&f.0))).cloned().collect();
                let ignored: Vec<&str> = files
                    .iter()
                    .map(|f| f.0.as_str())
                    .filter(|n| !used.iter().any(|u| u.eq_ignore_ascii_case(n)))
                    .collect();
                let note = if ignored.is_empty() {
                    String::new()
                } else {
                    format!(" Not used: {} (one data set at a time).", clip(&ignored.join(", "), 80))
                };
                let named = used.iter().map(|n| clip(n, 40)).collect::<Vec<_>>().join(" + ");
                app.data.kept = Some(named.clone());
                let mut effects = load(app, table, format!("your file {named}"), &note);
                effects.push(Effect::KeepFiles(kept));
                effects
            }
            Err(e) => failed(app, &e.to_string()),
        },
        DataMsg::Files(Err(e)) => failed(app, &e),
    }
}

fn failed(app: &mut App, why: &str) -> Vec<Effect> {
    app.data.progress = format!("Nothing was loaded: {why}. The data you had is still here.");
    app.data.progress_state = "error";
    Vec::new()
}

/// New ratings: a new sheet with the same settings, every fit forgotten (here and in
/// the worker), the lookup on the new sheet's first rating.
fn load(app: &mut App, table: RatingsTable, source: String, note: &str) -> Vec<Effect> {
    let n = table.ratings.len();
    // What was cut on reading is said with what was loaded.
    let note = match table.note() {
        Some(cut) => format!(" {cut}.{note}"),
        None => note.to_string(),
    };
    let settings = app.sheet.sheet.settings;
    let s = &mut app.sheet;
    s.sheet = Sheet::new(CrossTable::top(&table, SHEET_SIZE), settings, 1);
    s.eval = None;
    s.running = false;
    s.editing = None;
    let mut effects = vec![Effect::Post(ToWorker::Data { table: pack_table(&table) })];
    // The release recognised, when the file is one ("…: 1,000,209 ratings, MovieLens 1M (ml-1m).").
    let release = table.recognised.and_then(|r| r.release).map(|r| format!(", {r}")).unwrap_or_default();
    app.data.progress = format!("Loaded {source}: {} ratings{release}.{note}", group(n));
    app.data.progress_state = "loaded";
    app.data.summary = crate::state::DataSummary::of(&table);
    app.data.table = table;
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
