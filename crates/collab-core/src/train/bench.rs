//! What the benchmark and the browser tests ask of a learner besides training, kept out
//! of [`Learner`]'s own interface: where one epoch's time goes ([`profile_epoch`]: the
//! phases of its steps and the validation pass, timed by the caller's clock, since the
//! core has none that works in a browser; the benchmark prints it, natively and in
//! Chromium), and a fresh learner's first steps, to compare two engines ([`probe`]).

use std::fmt;

use burn::tensor::Tensor;

use super::guard::TrainError;
use super::learner::Learner;
use super::step::Phase;
use crate::read;
use crate::weights::{self, Weights};

/// Seconds of one epoch by phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochSplit {
    /// Batches to the device, predictions and losses.
    pub forward: f64,
    /// Gradients.
    pub backward: f64,
    /// The optimizer's updates.
    pub optimizer: f64,
    /// Losses kept for the next read, counters, the next epoch's batch order.
    pub bookkeeping: f64,
    /// The loss read and the validation pass that close the epoch.
    pub validation: f64,
}

impl EpochSplit {
    /// The whole epoch.
    pub fn total(&self) -> f64 {
        self.forward + self.backward + self.optimizer + self.bookkeeping + self.validation
    }
}

impl fmt::Display for EpochSplit {
    /// `0.74 s = forward 0.12 s (17%), backward …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        write!(f, "{total:.3} s =")?;
        let parts = [
            ("forward", self.forward),
            ("backward", self.backward),
            ("optimizer", self.optimizer),
            ("bookkeeping", self.bookkeeping),
            ("validation", self.validation),
        ];
        for (n, (name, seconds)) in parts.into_iter().enumerate() {
            let sep = if n == 0 { "" } else { "," };
            write!(f, "{sep} {name} {seconds:.3} s ({:.0}%)", 100.0 * seconds / total)?;
        }
        Ok(())
    }
}

/// Trains the rest of `learner`'s current epoch and closes it, timing each phase of each
/// step with `clock` (seconds). On the CPU every operation runs when it is called, so the
/// marks fall where the work does; on a GPU they would only time the queueing.
pub async fn profile_epoch(learner: &mut Learner, clock: &dyn Fn() -> f64) -> Result<EpochSplit, TrainError> {
    let epoch_start = clock();
    let mut split = [0.0f64; 4];
    let mut last = epoch_start;
    // Each phase runs from the previous mark (a step's start is the last step's end).
    let mut mark = |phase: Phase| {
        let now = clock();
        split[phase as usize] += now - last;
        last = now;
    };
    while learner.train_batch_marked(&mut mark).is_some() {}
    let start = clock();
    learner.end_epoch(&|| clock() - epoch_start).await?;
    let [forward, backward, optimizer, bookkeeping] = split;
    Ok(EpochSplit { forward, backward, optimizer, bookkeeping, validation: clock() - start })
}

/// Takes up to `steps` batches of a fresh `learner`, then reads each one's loss and the
/// weights: what a test compares between two engines.
pub async fn probe(learner: &mut Learner, steps: usize) -> Result<(Vec<f32>, Weights), TrainError> {
    let losses: Vec<Tensor<1>> = (0..steps).map_while(|_| learner.train_batch().map(|s| s.loss)).collect();
    if losses.is_empty() {
        return Err(TrainError::Nothing("no batch was left to probe".into()));
    }
    let losses = read::floats(Tensor::cat(losses, 0)).await?;
    learner.read_losses().await?;
    Ok((losses, weights::read(&learner.model()).await?))
}
