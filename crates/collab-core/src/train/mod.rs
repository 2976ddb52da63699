//! Training: fastai's one-cycle schedule, its Adam and SGD, and the stepping learner.
//!
//! The learner ([`Learner`]) steps through a fit; what takes each step is its engine,
//! chosen once when the learner is made ([`path::choose`]). The layers, each importing only
//! those below it: the leaves (`step`, `fit_settings`, `schedule`, `metrics`, `state`),
//! the optimizer, the engine trait (`engine`) and the engines (`autodiff`, `host` with
//! its lazy Adam in `lazy`, `gpu`, over `tables`), the choice of engine (`path`), the learner,
//! and what is built on it (`snapshot`, `bench`).

pub mod advice;
mod autodiff;
pub mod bench;
mod engine;
pub mod fit_settings;
mod gpu;
pub mod guard;
mod host;
mod lazy;
pub mod learner;
pub mod limits;
pub mod lr_find;
pub mod metrics;
pub mod optimizer;
pub mod path;
pub mod schedule;
pub mod snapshot;
mod state;
pub mod step;
mod tables;

pub use bench::EpochSplit;
pub use fit_settings::FitSettings;
pub use guard::{Divergence, TrainError};
pub use learner::{BatchStep, BatchTimes, BatchTrace, Learner, RACE_STEPS, RACE_WARMUP};
pub use metrics::{EpochMetrics, SmoothLoss, format_table};
pub use optimizer::{FusedOptimizer, OptimSettings, OptimizerKind, TensorOptimizer, WdKind, decayed_params};
pub use path::StepPath;
pub use schedule::Schedule;
pub use snapshot::Snapshot;
pub use step::{Phase, mse, predictions, to_device};
