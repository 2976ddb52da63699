//! Training: fastai's one-cycle schedule, its Adam and SGD, and the stepping learner.

pub mod advice;
pub mod engine;
mod gpu;
pub mod guard;
mod host;
pub mod learner;
pub mod limits;
pub mod metrics;
pub mod optimizer;
pub mod profile;
pub mod schedule;
pub mod snapshot;

pub use engine::StepPath;
pub use guard::{Divergence, TrainError};
pub use learner::{
    BatchStep, BatchTimes, BatchTrace, FitSettings, Learner, Phase, RACE_STEPS, RACE_WARMUP, mse, to_device,
};
pub use metrics::{EpochMetrics, SmoothLoss, format_table};
pub use optimizer::{OptimSettings, Optimizer, OptimizerKind, WdKind, decayed_params};
pub use profile::EpochSplit;
pub use schedule::Schedule;
pub use snapshot::Snapshot;
