//! A learner's whole state on the host: weights, Adam's running averages, the step
//! reached, the smoothed loss and the epochs so far. A page training on WebGPU keeps
//! the snapshot of the last completed step so that, if the GPU is lost, it can rebuild
//! the learner on the CPU and carry on exactly where the GPU stopped.

use std::sync::Arc;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::fit_settings::FitSettings;
use super::guard::TrainError;
use super::learner::{Learner, Place};
use super::metrics::{EpochMetrics, SmoothLoss};
use super::state::EngineState;
use crate::data::CollabData;
use crate::model::ModelSpec;
use crate::packed;
use crate::weights::{NamedTensor, Weights};

const MAGIC: &[u8; 8] = b"COLLABS\n";

/// Everything but the tensor values, which follow it in [`Snapshot::to_bytes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    spec: ModelSpec,
    settings: FitSettings,
    step: usize,
    smooth: SmoothLoss,
    history: Vec<EpochMetrics>,
    adam_steps: Vec<(String, i32)>,
    weights: Vec<NamedTensor>,
    optim: Vec<NamedTensor>,
}

/// A learner frozen between two steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    header: Header,
    /// The engine's numbers (the header's `adam_steps` are its step counts).
    state: EngineState,
}

impl Snapshot {
    /// Steps the learner had taken.
    pub fn steps_done(&self) -> usize {
        self.header.step
    }

    /// The epochs it had closed.
    pub fn history(&self) -> &[EpochMetrics] {
        &self.header.history
    }

    /// The snapshot as one byte buffer (to cross from a worker to the page).
    pub fn to_bytes(&self) -> Vec<u8> {
        packed::pack(MAGIC, &self.header, self.state.weights.tensors.iter().chain(&self.state.optim.tensors))
    }

    /// Reads [`Snapshot::to_bytes`] back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let (mut header, floats): (Header, Vec<f32>) = packed::unpack(bytes, MAGIC, "a training snapshot")?;
        let mut weights = Weights { tensors: std::mem::take(&mut header.weights) };
        let mut optim = Weights { tensors: std::mem::take(&mut header.optim) };
        packed::fill(weights.tensors.iter_mut().chain(optim.tensors.iter_mut()), &floats)?;
        // The header keeps the shapes so that the bytes alone describe themselves.
        header.weights = weights.tensors.clone();
        header.optim = optim.tensors.clone();
        let state = EngineState { weights, optim, steps: header.adam_steps.clone() };
        Ok(Self { header, state })
    }
}

impl Learner {
    /// Reads the learner's state to the host (pending losses first, then one read of the
    /// weights and one of the optimizer state).
    pub async fn snapshot(&mut self) -> Result<Snapshot, TrainError> {
        let (state, place) = self.place().await?;
        let header = Header {
            spec: self.spec().clone(),
            settings: *self.settings(),
            step: place.step,
            smooth: place.smooth,
            history: place.history,
            adam_steps: state.steps.clone(),
            weights: state.weights.tensors.clone(),
            optim: state.optim.tensors.clone(),
        };
        Ok(Snapshot { header, state })
    }

    /// Rebuilds a learner from `snapshot` on `device`, over the same `data` it was
    /// trained on: the next batch is the one the snapshot's learner would have taken.
    pub fn restore(data: Arc<CollabData>, snapshot: &Snapshot, device: &Device) -> Result<Self, String> {
        let h = &snapshot.header;
        h.spec.check()?;
        super::limits::fit(&h.spec, &h.settings)?;
        if (h.spec.n_users, h.spec.n_items) != (data.users.len(), data.items.len()) {
            return Err(format!(
                "the snapshot is of {} users and {} movies, the data has {} and {}",
                h.spec.n_users,
                h.spec.n_items,
                data.users.len(),
                data.items.len()
            ));
        }
        let mut learner = Learner::new(data, h.spec.clone(), h.settings, device);
        let place = Place { step: h.step, smooth: h.smooth, history: h.history.clone() };
        learner.resume(&snapshot.state, place)?;
        Ok(learner)
    }
}
