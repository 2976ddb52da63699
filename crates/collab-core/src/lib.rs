//! Collaborative filtering as fastai's lesson 7 teaches it, on burn.
//!
//! Ratings come in as bytes ([`data`]), are split and encoded as fastai's
//! `CollabDataLoaders` does, and train one of the lesson's [`model`]s with fastai's
//! one-cycle Adam ([`train`]). Nothing here knows about the browser: the page and the
//! CLI both drive the same stepping API on any burn device (burn-flex on the CPU, WebGPU).
//!
//! ```
//! use collab_core::data::{CollabData, DataSettings, synth};
//! let table = synth::generate(synth::SynthSettings::default());
//! let data = CollabData::new(&table, DataSettings::default());
//! assert_eq!(data.users.labels[0], "#na#");
//! ```
#![deny(missing_docs)]

pub mod data;
pub mod error;
pub mod interpret;
pub mod lesson;
pub mod model;
pub mod packed;
pub mod paths;
mod prefetch;
pub mod profiles;
pub mod rated;

pub use error::DataError;
pub mod read;
pub mod residuals;
pub mod save;
pub mod settings;
pub mod sheet;
pub mod text;
pub mod train;
pub mod weights;
