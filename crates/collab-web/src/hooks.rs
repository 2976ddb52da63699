//! Functions exported for the benchmark and the browser tests, not part of the page's
//! interface: the reference run timed in the browser, and generated MovieLens files.

use std::sync::Arc;

use collab_core::data::synth::{SynthSettings, generate, to_ml100k_zip};
use collab_core::data::{CollabData, DataSettings, movielens};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::train::{FitSettings, Learner};
use wasm_bindgen::prelude::*;

use crate::dom;

/// The reference run: fit_one_cycle(5, 5e-3, wd=0.1) of DotProductBias with 50 factors
/// on the CPU (burn-flex in wasm) or, with `webgpu`, on the page's WebGPU device, timed
/// with the page's clock. Runs on `zip` (an ml-100k.zip) or, without one, on generated data
/// of ML-100k's size. Returns a JSON summary: source, seconds, per-epoch rows.
#[wasm_bindgen]
pub async fn bench_reference(zip: Option<Vec<u8>>, webgpu: bool) -> Result<String, JsValue> {
    let (table, source) = match zip {
        Some(bytes) => (movielens::parse_ml100k_zip(&bytes, "ml-100k.zip").map_err(|e| e.to_string())?, "ml-100k.zip"),
        None => (reference_table(), "generated ML-100k-sized data"),
    };
    let data = Arc::new(CollabData::new(&table, DataSettings::default()));
    let spec = ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len());
    let chosen = crate::device::choose(!webgpu).await;
    if webgpu && !chosen.is_gpu {
        return Err(JsValue::from_str(&chosen.label));
    }
    let mut learner = Learner::new(data, spec, FitSettings::default(), &chosen.device);
    let start = dom::now_ms();
    let clock = || dom::now_ms() / 1000.0;
    let mut rows = Vec::new();
    while !learner.is_done() {
        rows.push(learner.run_epoch(&clock).await.map_err(|e| e.to_string())?);
    }
    let seconds = (dom::now_ms() - start) / 1000.0;
    Ok(serde_json::json!({ "source": source, "device": chosen.label, "seconds": seconds, "epochs": rows }).to_string())
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

/// Destroys the training worker's WebGPU device mid-training, as a lost GPU would be:
/// the browser test of switching to the CPU.
#[wasm_bindgen]
pub fn lose_training_gpu() {
    crate::trainer::post(&crate::protocol::ToWorker::LoseDevice);
}
