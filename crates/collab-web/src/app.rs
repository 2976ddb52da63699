//! The page's start-up: choose the device, then compute the first cell on it.

use std::sync::Arc;

use collab_core::data::synth::{SynthSettings, generate};
use collab_core::data::{CollabData, DataSettings, ItemKey};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::train::{FitSettings, Learner, Schedule};

use crate::{device, dom};

/// Chooses the device and computes the proof cell: DotProductBias on the made-up
/// 15 x 15 table, loss before and after one Adam step.
pub async fn run() -> Result<(), String> {
    let chosen = device::choose(false).await;
    dom::set_text("device", &chosen.label)?;
    dom::set_attr("device", "data-kind", if chosen.is_gpu { "webgpu" } else { "cpu" })?;

    let table = generate(SynthSettings { users: 15, items: 15, density: 0.75, ..SynthSettings::default() });
    // Every rating in training and in one batch: a full-batch step.
    let settings = DataSettings { item_key: ItemKey::Id, valid_pct: 0.0, seed: 1, batch_size: table.ratings.len() };
    let data = Arc::new(CollabData::new(&table, settings));
    let spec = ModelSpec { n_factors: 5, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
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
