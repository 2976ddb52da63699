//! Functions exported for the benchmark and the browser tests, not part of the page's
//! interface: the reference run timed in the browser, and generated MovieLens files.
//! Built only with the crate's `hooks` feature (the test build, `dist-test/`): the
//! published page exports none of them, and the test command checks that it does not.

use std::sync::Arc;

use collab_core::data::synth::{SynthSettings, generate, to_ml100k_zip};
use collab_core::data::{CollabData, DataSettings, movielens};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::train::{FitSettings, Learner, StepPath, bench};
use wasm_bindgen::prelude::*;

use super::dom;

/// The reference run: fit_one_cycle(5, 5e-3, wd=0.1) of DotProductBias with 50 factors
/// on the page's CPU (burn-flex in wasm), timed with the page's clock, along the CPU
/// path `path` (`direct`, the default: the host step; `fused`; `tensors`: see `StepPath`), then one more
/// epoch of a fresh learner split into the phases of its steps. Runs on `zip` (an
/// ml-100k.zip) or, without one, on generated data of ML-100k's size. Returns a JSON
/// summary: source, device, path, seconds, per-epoch rows, split.
#[wasm_bindgen]
pub async fn bench_reference(zip: Option<Vec<u8>>, path: Option<String>) -> Result<String, JsValue> {
    let (table, source) = bench_table(zip)?;
    let path: StepPath = path.as_deref().unwrap_or("direct").parse().map_err(|e: String| JsValue::from_str(&e))?;
    let data = Arc::new(CollabData::new(&table, DataSettings::default()));
    let spec = ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len());
    let chosen = super::device::cpu("burn-flex");
    let learner = || Learner::on_path(data.clone(), spec.clone(), FitSettings::default(), &chosen.device, path);
    let mut fit = learner();
    let start = dom::now_ms();
    let clock = || dom::now_ms() / 1000.0;
    let mut rows = Vec::new();
    while !fit.is_done() {
        rows.push(fit.run_epoch(&clock).await.map_err(|e| e.to_string())?);
    }
    let seconds = (dom::now_ms() - start) / 1000.0;
    let split = bench::profile_epoch(&mut learner(), &clock).await.map_err(|e| e.to_string())?;
    Ok(serde_json::json!({
        "source": source,
        "device": chosen.label,
        "path": path.key(),
        "seconds": seconds,
        "epochs": rows,
        "split": split,
        "split_text": split.to_string(),
    })
    .to_string())
}

/// The page's device race for `settings` (a `TrainSettings` object) along `path` (see
/// `StepPath`; the page races `direct`), as section 8 runs it before a fit: milliseconds
/// per batch in a CPU worker and in a GPU-module worker. Returns JSON: source, path, cpu
/// and gpu (each ms per batch, ms of it to queue the batch, and device; or an error).
#[wasm_bindgen]
pub async fn race_devices(zip: Option<Vec<u8>>, settings: JsValue, path: Option<String>) -> Result<String, JsValue> {
    use crate::protocol::{Engine, TrainSettings, pack_table};
    let (table, source) = bench_table(zip)?;
    let settings: TrainSettings = serde_wasm_bindgen::from_value(settings)?;
    let path: StepPath = path.as_deref().unwrap_or("direct").parse().map_err(|e: String| JsValue::from_str(&e))?;
    let table = pack_table(&table);
    let lap = |r: Result<crate::state::Lap, String>| match r {
        Ok(l) => serde_json::json!({ "ms": l.ms, "queue_ms": l.queue_ms, "device": l.label, "is_gpu": l.is_gpu }),
        Err(e) => serde_json::json!({ "error": e }),
    };
    let cpu = lap(super::link::race(Engine::Cpu, super::link::Payload::Packed(table.clone()), settings, path).await);
    let gpu = lap(super::link::race(Engine::WebGpu, super::link::Payload::Packed(table), settings, path).await);
    Ok(serde_json::json!({ "source": source, "path": path.key(), "cpu": cpu, "gpu": gpu }).to_string())
}

/// Takes `steps` batches of a fresh fit with `settings` (a `TrainSettings` object) in a
/// CPU worker and in a GPU-module worker, and holds the two against each other: the
/// browser test that the GPU's kernels compute what the CPU's host step computes.
/// Returns JSON: source, then for each of cpu and gpu its device, how its steps ran, its
/// first losses and the mean loss of the first and the last tenth of the steps; and the
/// largest difference between their losses and between their weights.
#[wasm_bindgen]
pub async fn probe_devices(zip: Option<Vec<u8>>, settings: JsValue, steps: usize) -> Result<String, JsValue> {
    use crate::protocol::{Engine, TrainSettings, pack_table};
    let (table, source) = bench_table(zip)?;
    let settings: TrainSettings = serde_wasm_bindgen::from_value(settings)?;
    let table = pack_table(&table);
    let cpu = super::link::probe(Engine::Cpu, table.clone(), settings, steps).await?;
    let gpu = super::link::probe(Engine::WebGpu, table, settings, steps).await?;
    let largest_gap = |a: &[f32], b: &[f32]| {
        (a.len() == b.len()).then(|| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max))
    };
    let summary = |p: &super::link::Probe| {
        let mean = |l: &[f32]| l.iter().sum::<f32>() / l.len().max(1) as f32;
        let tenth = (p.losses.len() / 10).max(1);
        serde_json::json!({
            "device": p.device,
            "step_kind": p.step_kind,
            "losses": &p.losses[..p.losses.len().min(5)],
            "first_tenth": mean(&p.losses[..tenth.min(p.losses.len())]),
            "last_tenth": mean(&p.losses[p.losses.len().saturating_sub(tenth)..]),
        })
    };
    Ok(serde_json::json!({
        "source": source,
        "cpu": summary(&cpu),
        "gpu": summary(&gpu),
        "loss_gap": largest_gap(&cpu.losses, &gpu.losses),
        "weight_gap": largest_gap(&cpu.weights, &gpu.weights),
    })
    .to_string())
}

/// The benchmark's ratings: `zip` parsed, or generated data of ML-100k's size.
fn bench_table(zip: Option<Vec<u8>>) -> Result<(collab_core::data::RatingsTable, &'static str), JsValue> {
    Ok(match zip {
        Some(bytes) => (movielens::parse_zip(&bytes, "ml-100k.zip").map_err(|e| e.to_string())?, "ml-100k.zip"),
        None => (reference_table(), "generated ML-100k-sized data"),
    })
}

/// Made-up ratings of MovieLens-100k's size and density, for benchmarks without the data.
fn reference_table() -> collab_core::data::RatingsTable {
    generate(SynthSettings { users: 943, items: 1682, factors: 8, density: 0.063, noise: 0.8, seed: 1 })
}

/// [`bench_reference`]'s generated data as an `ml-100k.zip`, to train through the page.
#[wasm_bindgen]
pub fn reference_ml100k_zip() -> Vec<u8> {
    to_ml100k_zip(&reference_table())
}

/// A made-up `ml-100k.zip` (u.data + latin-1 u.item) of `users` x `items` at 30% density.
#[wasm_bindgen]
pub fn synth_ml100k_zip(users: usize, items: usize, seed: u32) -> Vec<u8> {
    to_ml100k_zip(&generate(SynthSettings {
        users,
        items,
        density: 0.3,
        seed: seed.into(),
        ..SynthSettings::default()
    }))
}

/// Ends the training worker with an uncaught error: the browser test of a worker that
/// dies under a running comparison.
#[wasm_bindgen]
pub fn crash_training_worker() {
    if let Some(rt) = super::runtime::for_hooks() {
        let _ = super::link::post(&rt, &crate::protocol::ToWorker::Crash);
    }
}

/// How many times the page computed the lookup (sections 4 and 5) since it started:
/// the browser test of "one computation per change of the sheet".
#[wasm_bindgen]
pub fn lookup_computations() -> usize {
    super::effects::LOOKUPS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Made-up ratings on which 50 factors overfit within fastai's 5 epochs (500 users x
/// 500 movies, 10% rated, 8 planted factors, noise 0.8): the browser test of the
/// overfitting comparison's effect. Measured natively with seed 42: at weight decay 0.01
/// the valid loss goes 0.885 → 0.948 over epochs 1-4 while the train loss falls; at 0.1
/// it ends at 0.912.
#[wasm_bindgen]
pub fn overfit_ml100k_zip() -> Vec<u8> {
    to_ml100k_zip(&generate(SynthSettings { users: 500, items: 500, factors: 8, density: 0.1, noise: 0.8, seed: 11 }))
}

/// Destroys the training worker's WebGPU device mid-training, as a lost GPU would be:
/// the browser test of switching to the CPU.
#[wasm_bindgen]
pub fn lose_training_gpu() {
    if let Some(rt) = super::runtime::for_hooks() {
        let _ = super::link::post(&rt, &crate::protocol::ToWorker::LoseDevice);
    }
}

/// One hostile input for the browser test of bad files: what to load where, and a part
/// of the message the page must answer with.
#[derive(serde::Serialize)]
struct Hostile {
    label: &'static str,
    /// The file input it goes to: `data-file` or `model-file`.
    input: &'static str,
    files: Vec<(String, serde_bytes::ByteBuf)>,
    expect: &'static str,
}

/// Every kind of bad file the page must refuse in words, generated here in MovieLens's
/// formats and the notebook's model format (never MovieLens itself).
#[wasm_bindgen]
pub async fn hostile_files() -> Result<JsValue, JsValue> {
    use collab_core::data::Vocab;
    use collab_core::data::synth::zip_of;
    let file = |name: &str, bytes: &[u8]| (name.to_string(), serde_bytes::ByteBuf::from(bytes.to_vec()));
    let data = |label, name: &str, bytes: &[u8], expect| Hostile {
        label,
        input: "data-file",
        files: vec![file(name, bytes)],
        expect,
    };
    // A zip whose header says its u.data unpacks to 4 GiB: refused before unpacking.
    let claims = collab_core::data::synth::declaring(&zip_of(&[("u.data", b"1\t2\t3\t4\n")]), u32::MAX - 1);
    let cut_zip = zip_of(&[("ml-100k/u.data", "1\t2\t3\t4\n".repeat(50).as_bytes())]);
    let long = format!("1\t{}\t3\t4\n", "7x".repeat(2_500_000));
    let mut cases = vec![
        data("three fields", "u.data", b"1\t2\t3\t4\n1\t2\t3\n", "u.data, line 2: expected 4 fields"),
        data("a word for an id", "u.data", b"abc\t2\t3\t4\n", "the user id \"abc\" is not a number"),
        data("an id out of range", "u.data", b"4294967296\t2\t3\t4\n", "out of range"),
        data("a rating of 7", "u.data", b"1\t2\t7\t4\n", "rating 7 is outside 0.5 to 5"),
        data("an empty u.data", "u.data", b"", "u.data is empty"),
        data("a 5 MB field", "u.data", long.as_bytes(), "(5000000 characters)"),
        data(
            "a bad ratings.csv row",
            "ratings.csv",
            b"userId,movieId,rating,timestamp\n1,2,3,4\n1,2\n",
            "ratings.csv, line 3",
        ),
        data("not a zip", "ml-100k.zip", b"this is not a zip", "is not a zip archive"),
        data("a zip without u.data", "ml-100k.zip", &zip_of(&[("README", b"hello")]), "has no u.data inside"),
        data(
            "two u.data in a zip",
            "ml-100k.zip",
            &zip_of(&[("a/u.data", b"1\t2\t3\t4\n"), ("b/u.data", b"1\t2\t3\t4\n")]),
            "in it 2 times",
        ),
        data("a bad u.data in a zip", "ml-100k.zip", &zip_of(&[("u.data", b"1\t2\n")]), "u.data, line 1"),
        data(
            "a u.data past the memory budget",
            "ml-100k.zip",
            &claims,
            "u.data is 4.0 GiB of text: even at 64 bytes a line that is more than the 62,914,560 ratings",
        ),
        data("a file of another kind", "notes.txt", b"hello", "expected ml-100k.zip"),
        data("a rating of 1e309", "u.data", b"1\t2\t1e309\t4\n", "rating 1e309 is outside 0.5 to 5"),
        data(
            "u.item without u.data",
            "u.item",
            b"2|Heat (1995)|\n",
            "u.item holds the movies' titles, not ratings: pick u.data with it",
        ),
        data("a zip cut short", "ml-100k.zip", &cut_zip[..cut_zip.len() / 2], "ml-100k.zip is cut short or damaged"),
        Hostile {
            label: "an empty u.item",
            input: "data-file",
            files: vec![file("u.data", b"1\t2\t3\t4\n"), file("u.item", b"")],
            expect: "u.item is empty: it holds no titles",
        },
    ];
    // Model files: a real save of a small model, then tampered with.
    let device = burn::tensor::Device::flex();
    let spec = ModelSpec { n_factors: 3, ..ModelSpec::new(ModelKind::DotProductBias, 5, 6) };
    let users = Vocab::new((1..5).map(|i| i.to_string()).collect(), true);
    let items = Vocab::new((1..6).map(|i| format!("movie {i}")).collect(), false);
    let good =
        collab_core::save::save(&spec.init(1, &device), &spec, &users, &items).await.map_err(|e| e.to_string())?;
    let len = u32::from_le_bytes(good[8..12].try_into().map_err(|_| "short")?) as usize;
    let header: collab_core::save::ModelHeader =
        serde_json::from_slice(&good[12..12 + len]).map_err(|e| e.to_string())?;
    let values = &good[12 + len..];
    let craft = |change: &dyn Fn(&mut collab_core::save::ModelHeader), values: &[u8]| {
        let mut h = header.clone();
        change(&mut h);
        let mut bytes = collab_core::packed::pack(b"COLLAB1\n", &h, std::iter::empty());
        bytes.extend_from_slice(values);
        bytes
    };
    let model = |label, bytes: Vec<u8>, expect| Hostile {
        label,
        input: "model-file",
        files: vec![file("collab-model.bin", &bytes)],
        expect,
    };
    // The header with a number written as text ("expected usize" to the JSON reader).
    let json =
        serde_json::to_string(&header).map_err(|e| e.to_string())?.replacen("\"n_users\":5", "\"n_users\":\"5\"", 1);
    let mut changed = b"COLLAB1\n".to_vec();
    changed.extend_from_slice(&(json.len() as u32).to_le_bytes());
    changed.extend_from_slice(json.as_bytes());
    changed.extend_from_slice(values);
    let mut nan = values.to_vec();
    nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    cases.extend([
        model("not a model", b"hello".to_vec(), "not a model saved by this notebook"),
        model(
            "zero users and movies",
            craft(
                &|h| {
                    (h.spec.n_users, h.spec.n_items, h.users, h.items) = (0, 0, vec![], vec![]);
                    h.tensors.iter_mut().for_each(|t| t.shape[0] = 0);
                },
                &[],
            ),
            "at least one real user and one real movie",
        ),
        model("zero factors", craft(&|h| h.spec.n_factors = 0, values), "number of factors must be 1 to 400"),
        model(
            "a vocabulary shorter than its table",
            craft(&|h| h.items.truncate(1), values),
            "names for a table of 6 movies",
        ),
        model(
            "100,000,000 users and no tensors",
            craft(
                &|h| {
                    h.spec.n_users = 100_000_000;
                    h.tensors.clear();
                },
                &[],
            ),
            "names for a table of 100000000 users",
        ),
        model("weights that are NaN", craft(&|_| {}, &nan), "not finite numbers"),
        model(
            "a kind that does not match its tables",
            craft(&|h| h.spec.kind = ModelKind::Scratch, values),
            "it says it is a DotProductBias (from scratch) but holds the tables of a DotProductBias",
        ),
        model("a header changed by hand", changed, "its header was changed after saving"),
    ]);
    super::worker::to_js(&cases).map_err(|e| JsValue::from_str(&e))
}

/// The page's model (its saved file, loaded here) asked for its prediction of each `(users[n], items[n])` pair (indices as the
/// data encodes them): the browser test that the errors section's dots are the model's
/// predictions.
#[wasm_bindgen]
pub async fn predict_pairs(users: Vec<i32>, items: Vec<i32>) -> Result<Vec<f32>, JsValue> {
    let rt = super::runtime::for_hooks().ok_or("the page has not started")?;
    let saved = rt.app.borrow().learned.model.as_ref().map(|m| m.saved).ok_or("no model yet")?;
    let blob = rt.models.borrow().get(&saved).cloned().ok_or("the page no longer holds the model's file")?;
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let device = super::device::cpu("burn-flex").device;
    let model = collab_core::save::load(&bytes, &device).map_err(|e| JsValue::from_str(&e.to_string()))?.model;
    let ratings = vec![0.0; users.len()];
    let rows = collab_core::data::Encoded { users, items, ratings };
    collab_core::train::predictions(&model, &rows).await.map_err(|e| JsValue::from_str(&e.to_string()))
}

/// The learned model's maps as the worker computed them epoch by epoch (axes as each
/// PCA found them) and the map the page computed from the trained model itself, as JSON
/// `{ frames, trained }` of `[item, x, y]` points: the browser test that the last frame
/// is the trained model's map.
#[wasm_bindgen]
pub fn map_frames() -> Result<String, JsValue> {
    let rt = super::runtime::for_hooks().ok_or("the page has not started")?;
    let app = rt.app.borrow();
    let l = &app.learned;
    let frames = l.model.as_ref().map(|m| m.maps.clone()).unwrap_or_default();
    let trained = l.read.as_ref().and_then(|r| r.as_ref().ok()).map(|r| r.map.clone()).unwrap_or_default();
    Ok(serde_json::json!({ "frames": frames, "trained": trained }).to_string())
}
