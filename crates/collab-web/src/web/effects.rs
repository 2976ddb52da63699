//! Carries out what `update` asked for. Computations run on the page's device in their
//! own task; each result comes back as a message, and `update` drops it if it is stale.

use std::sync::Arc;
#[cfg(feature = "hooks")]
use std::sync::atomic::{AtomicUsize, Ordering};

use collab_core::data::synth::{SynthSettings, generate};
use collab_core::data::{CollabData, DataSettings, ItemKey};
use collab_core::lesson::{bias_comparison, dot_products, lookup_both};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::train::{FitSettings, Learner, Schedule, StepPath};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};

use super::dom::{js_error, now_ms};
use super::runtime::{Rt, dispatch, give_files};
use super::{device, kept, link, url};
use crate::effect::{Effect, Focus};
use crate::msg::{BiasMsg, DataMsg, FactorsMsg, LearnedMsg, LookupMsg, Msg, RunsMsg, SheetMsg, TrainMsg};
use crate::protocol::{Engine, FromWorker};
use crate::state::{BIAS_STEPS, Origin, ProofDone};

/// Lookups computed since the page started (read by a test hook: one per change).
#[cfg(feature = "hooks")]
pub static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

/// Runs one effect.
pub fn run(rt: &Rt, effect: Effect) {
    let device = device::page();
    let rt = rt.clone();
    match effect {
        Effect::Post(message) => {
            if let Err(e) = link::post(&rt, &message) {
                let message = format!("Training could not be told: {e}");
                dispatch(&rt, Msg::Worker(FromWorker::Failed { slot: None, message, device_lost: false }));
            }
        }
        Effect::Restore(message) => {
            if let Err(e) = link::restore(&rt, &message) {
                let message = format!("Training could not be restored: {e}");
                dispatch(&rt, Msg::Worker(FromWorker::Failed { slot: None, message, device_lost: false }));
            }
        }
        Effect::StartWorker { engine, data } => {
            if let Err(e) = link::start(&rt, engine, data) {
                dispatch(&rt, Msg::WorkerDied(format!("it could not start: {e}")));
            }
        }
        Effect::StartLoader { id, engine } => {
            if let Err(e) = link::start_loader(&rt, id, engine) {
                dispatch(&rt, Msg::Data(DataMsg::LoaderDied { id, what: format!("it could not start: {e}") }));
            }
        }
        Effect::AdoptLoader { id, forget } => link::adopt(&rt, id, forget),
        Effect::EndLoader { id } => link::end_loader(&rt, id),
        Effect::Download { name, bytes } => {
            if let Err(e) = download(&bytes, name) {
                web_sys::console::warn_1(&format!("{name} could not be handed to the browser: {e}").into());
            }
        }
        Effect::Race { id, settings, data } => spawn_local(async move {
            // One engine after the other: on a software GPU both would share the cores.
            // Each racer reads the loaded files itself (a handle is all that is posted).
            let path = StepPath::Direct;
            let (cpu, gpu) = match link::payload(&rt, data) {
                Ok(data) => (
                    link::race(Engine::Cpu, data.clone(), settings, path).await.map(|lap| lap.ms),
                    link::race(Engine::WebGpu, data, settings, path).await,
                ),
                Err(e) => (Err(e.clone()), Err(e)),
            };
            dispatch(&rt, Msg::Train(TrainMsg::Raced { id, cpu, gpu }));
        }),
        Effect::Proof => spawn_local(async move {
            let result = proof(&device).await;
            dispatch(&rt, Msg::Proof(result));
        }),
        Effect::EvalSheet { generation, sheet } => spawn_local(async move {
            let result = sheet.evaluate(&device).await.map_err(|e| e.to_string());
            dispatch(&rt, Msg::Sheet(SheetMsg::Evaluated { generation, result }));
        }),
        Effect::StepSheet { generation, mut sheet, cells, lookup } => spawn_local(async move {
            let started = now_ms();
            let result = async {
                let step = sheet
                    .step(&device, &cells)
                    .await
                    .map_err(|e| format!("{e}. The numbers before this step are kept."))?;
                let eval = sheet.evaluate(&device).await.map_err(|e| e.to_string())?;
                Ok((sheet, step, eval))
            }
            .await;
            let msg = if lookup {
                Msg::Lookup(LookupMsg::Stepped { generation, result })
            } else {
                Msg::Sheet(SheetMsg::Stepped { generation, result, ms: now_ms() - started })
            };
            dispatch(&rt, msg);
        }),
        Effect::Lookup { generation, sheet, cell } => {
            #[cfg(feature = "hooks")]
            LOOKUPS.fetch_add(1, Ordering::Relaxed);
            spawn_local(async move {
                let result = lookup_both(&sheet, cell.0, cell.1, &device).await.map_err(|e| e.to_string());
                dispatch(&rt, Msg::Lookup(LookupMsg::Computed { generation, cell, result }));
            })
        }
        Effect::Dots { id, user, movies } => spawn_local(async move {
            let result = dot_products(&user, &movies, &device).await.map_err(|e| e.to_string());
            dispatch(&rt, Msg::Factors(FactorsMsg::Computed { id, result }));
        }),
        Effect::SheetLrFind { id, sheet } => spawn_local(async move {
            let result = sheet.lr_find(&device).await.map_err(|e| e.to_string());
            dispatch(&rt, Msg::Sheet(SheetMsg::LrFound { id, result }));
        }),
        Effect::BiasCompare { sheet } => spawn_local(async move {
            let result = bias_comparison(&sheet, BIAS_STEPS, &device).await.map_err(|e| e.to_string());
            dispatch(&rt, Msg::Bias(BiasMsg::Done(result)));
        }),
        Effect::ReadModel { id, source, saved } => {
            // The worker reads the file and checks all of it before building anything;
            // the page keeps the file's handle and what the worker read.
            let blob = rt.models.borrow().get(&saved).cloned();
            let started = match blob {
                Some(blob) => link::start_reader(&rt, id, source.clone(), saved, blob),
                None => Err("the page no longer holds that file".into()),
            };
            if let Err(e) = started {
                dispatch(&rt, Msg::Learned(LearnedMsg::Loaded { id, source, saved, result: Err(e) }));
            }
        }
        Effect::AskUser { saved, user } => {
            if let Err(e) = link::ask_user(&rt, saved, user.clone()) {
                dispatch(&rt, Msg::Learned(LearnedMsg::User { saved, user, result: Err(e) }));
            }
        }
        Effect::SaveModel(saved) => {
            let blob = rt.models.borrow().get(&saved).cloned();
            let result = match blob {
                Some(blob) => download_blob(&blob, "collab-model.bin").map(|()| blob.size() as usize),
                None => Err("the page no longer holds that model's file".into()),
            };
            dispatch(&rt, Msg::Learned(LearnedMsg::Saved(result)));
        }
        Effect::ForgetModel(saved) => link::forget_model(&rt, saved),
        Effect::FetchServed => spawn_local(async move {
            match fetch("data/ml-100k.zip").await {
                Ok(blob) => give_files(&rt, Origin::Served, vec![("ml-100k.zip".into(), blob)]),
                Err(e) => dispatch(&rt, Msg::Data(DataMsg::NotRead(e))),
            }
        }),
        Effect::SetControl { id, value } => rt.page.set_value(id, &value),
        Effect::KeepFiles { id, names } => spawn_local(async move {
            let files: Vec<(String, web_sys::Blob)> = rt
                .files
                .borrow()
                .get(&id)
                .map(|all| all.iter().filter(|f| names.contains(&f.0)).cloned().collect())
                .unwrap_or_default();
            // Keeping is a convenience: a browser that refuses (private mode, no space) loses nothing.
            if let Err(e) = kept::keep(&files).await {
                web_sys::console::warn_1(&format!("the data could not be kept in this browser: {e}").into());
            }
        }),
        Effect::CheckKept => spawn_local(async move {
            let names = kept::kept().await.ok().flatten().map(|files| files.into_iter().map(|f| f.0).collect());
            dispatch(&rt, Msg::Data(DataMsg::Kept(names)));
        }),
        Effect::LoadKept => spawn_local(async move {
            match kept::kept().await.and_then(|f| f.ok_or_else(|| "nothing is kept in this browser".into())) {
                Ok(files) => give_files(&rt, Origin::Kept, files),
                Err(e) => dispatch(&rt, Msg::Data(DataMsg::NotRead(e))),
            }
        }),
        Effect::LoadRuns => dispatch(&rt, Msg::Runs(RunsMsg::Kept(kept::runs()))),
        Effect::KeepRuns(json) => {
            // As with files: a browser that refuses to keep them loses nothing of this visit.
            if let Err(e) = kept::keep_runs(&json) {
                web_sys::console::warn_1(&format!("the runs could not be kept in this browser: {e}").into());
            }
        }
        Effect::StoreUrl(pairs) => url::store(&pairs),
        Effect::Focus(Focus::Cursor) => {
            let _ = rt.page.focus_in("sheet-grid", "[tabindex=\"0\"]");
        }
        Effect::Focus(Focus::Editor) => {
            if let Some(input) = rt
                .page
                .focus_in("sheet-grid", "#sheet-editor")
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                let len = input.value().len() as u32;
                let _ = input.set_selection_range(len, len);
            }
        }
        Effect::After { ms, msg } => {
            gloo::timers::callback::Timeout::new(ms, move || dispatch(&rt, *msg)).forget();
        }
    }
}

/// The first cell: DotProductBias on a 15 x 15 made-up table, loss before and after one
/// full-batch Adam step.
async fn proof(device: &burn::tensor::Device) -> Result<ProofDone, String> {
    let table = generate(SynthSettings { users: 15, items: 15, density: 0.75, ..SynthSettings::default() });
    // Every rating in training and in one batch: a full-batch step.
    let settings = DataSettings { item_key: ItemKey::Id, valid_pct: 0.0, seed: 1, batch_size: table.ratings.len() };
    let data = Arc::new(CollabData::new(&table, settings));
    let spec =
        ModelSpec { n_factors: 5, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
    let fit = FitSettings { epochs: 1, schedule: Schedule::Constant { lr: 0.1 }, ..FitSettings::default() };
    let mut learner = Learner::new(data.clone(), spec, fit, device);
    let start = now_ms();
    let before = collab_core::train::mse(&learner.model(), &data.train).await.map_err(|e| e.to_string())?;
    learner.train_batch().ok_or("no batch to train on")?;
    let after = collab_core::train::mse(&learner.model(), &data.train).await.map_err(|e| e.to_string())?;
    Ok(ProofDone { before, after, ratings: data.train.len(), ms: now_ms() - start })
}

/// Hands `bytes` to the browser as a download named `name`.
fn download(bytes: &[u8], name: &str) -> Result<(), String> {
    download_blob(&super::blob::blob_of(bytes)?, name)
}

/// Hands `blob` to the browser as a download named `name`.
fn download_blob(blob: &web_sys::Blob, name: &str) -> Result<(), String> {
    let href = web_sys::Url::create_object_url_with_blob(blob).map_err(js_error)?;
    let link: web_sys::HtmlAnchorElement =
        super::dom::document()?.create_element("a").map_err(js_error)?.dyn_into().map_err(|_| "no link element")?;
    link.set_href(&href);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&href);
    Ok(())
}

/// The file at `path` on this server, as a handle for the worker that reads it.
async fn fetch(path: &str) -> Result<web_sys::Blob, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(path)).await.map_err(js_error)?.dyn_into().map_err(js_error)?;
    if !response.ok() {
        return Err(
            "this server has no copy of MovieLens-100k (run scripts/fetch-data.sh, or pick the file below)".into()
        );
    }
    Ok(JsFuture::from(response.blob().map_err(js_error)?).await.map_err(js_error)?.unchecked_into())
}
