//! The notebook page: a wasm front end over `collab-core`, in the shape of the Elm
//! architecture without a framework. One state (`state`), one message enum (`msg`), one
//! pure `update` that returns effects (`effect`); each notebook section renders from the
//! state (`sections`). Those modules, and the grid layout, charts, field validation and
//! the worker protocol's packing, build and are tested natively. Everything that touches
//! the browser (the DOM, events, the device, the training worker) is in `web`, built for
//! wasm32 only.

pub mod effect;
pub mod f32_bytes;
pub mod fields;
pub mod formula;
pub mod grid;
pub mod html;
pub mod index_bytes;
pub mod json_bytes;
pub mod lrfind;
pub mod msg;
pub mod notebook;
pub mod protocol;
pub mod reading;
pub mod runs;
pub mod sections;
pub mod state;
pub mod summary;
pub mod update;

#[cfg(target_family = "wasm")]
mod web;
