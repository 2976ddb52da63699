//! The WebGPU module. The page starts on collab-web's CPU-only module (burn-flex, no
//! wgpu or cubecl); this crate links the same code with the `gpu` feature, and the page
//! fetches it (index.html names it in `<meta name="collab-gpu-module">`, see
//! scripts/post-build.mjs) only for a training worker that runs on WebGPU: a device race,
//! or the visitor's choice. Its exports, start function included, are collab-web's.

#[cfg(target_family = "wasm")]
pub use collab_web::*;
