//! The settings of a fit: what the learner, the limits and a snapshot's header share.

use serde::{Deserialize, Serialize};

use super::optimizer::OptimSettings;
use super::schedule::Schedule;

/// Settings of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitSettings {
    /// Epochs to train.
    pub epochs: usize,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Optimizer and weight decay.
    pub optim: OptimSettings,
    /// Seed of the initial weights.
    pub seed: u64,
}

impl Default for FitSettings {
    /// The lesson's reference run: fit_one_cycle(5, 5e-3, wd=0.1).
    fn default() -> Self {
        Self { epochs: 5, schedule: Schedule::OneCycle { lr_max: 5e-3 }, optim: OptimSettings::default(), seed: 42 }
    }
}
