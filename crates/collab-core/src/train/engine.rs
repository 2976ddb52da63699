//! What takes a learner's steps: the [`Engine`] trait, one implementation per
//! behaviour. Which one a learner gets is decided once, in [`super::path::choose`].
//!
//! | engine | models | device | file |
//! |---|---|---|---|
//! | burn's autodiff, optimizer as tensor operations | any | any | `autodiff.rs` with `optimizer/tensors.rs` |
//! | burn's autodiff, fused optimizer pass | any | the CPU | `autodiff.rs` with `optimizer/fused.rs` |
//! | the whole step on the host | dot-product | the CPU | `host.rs` |
//! | two kernels a step | dot-product | a GPU (`gpu` feature) | `gpu/dot.rs` |
//!
//! The learner asks its engine for the model whenever it needs one, so nothing outside
//! the engine knows which ran; [`Engine::name`] says it in words. This file imports no
//! engine and no engine imports the learner.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use burn::tensor::Tensor;

use super::state::EngineState;
use super::step::Phase;
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::read::ReadError;

/// A device read in flight, for an engine's async answers.
pub(super) type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, ReadError>> + 'a>>;

/// An engine as it was when [`Engine::checkpoint`] was called: each call makes a fresh
/// engine in that state (the divergence guard may go back to one checkpoint twice).
pub(super) type Restore = Rc<dyn Fn() -> Box<dyn Engine>>;

/// A learner's model and optimizer, and how they take a step.
pub(super) trait Engine {
    /// How its steps run, in a few words (what `Learner::step_kind` reports).
    fn name(&self) -> &'static str;

    /// One training step: the predictions before the update and the batch's loss, on
    /// the inner (non-autodiff) device, not read; `mark` is called as each phase ends.
    fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Tensor<1>, Tensor<1>);

    /// How many batches it takes ahead of their steps ([`Engine::ahead`]); 1, the
    /// default, for an engine that takes each batch as its step comes.
    fn chunk(&self) -> usize {
        1
    }

    /// The next batches, in order, before their steps: the GPU engine uploads them in one
    /// go, so that its steps cost the host no upload of their own. A hint, never a
    /// promise: a step whose batch is not the next one given here takes it as it comes.
    fn ahead(&mut self, _batches: &[Encoded]) {}

    /// The model as it is now (on the autodiff device). The engines that keep their own
    /// tables build it from them: a copy of the weights, for reads, not for every step.
    fn model(&self) -> CollabModel;

    /// Each float tensor's sum, `[1]` each, not read: finite while every weight is.
    fn sums(&self) -> Vec<Tensor<1>>;

    /// The engine as it is now, for the divergence guard to go back to.
    fn checkpoint(&self) -> Restore;

    /// The weights and the optimizer's state, read to the host.
    fn read_state(&self) -> Pending<'_, EngineState>;

    /// Puts back what any engine's [`Engine::read_state`] read, after
    /// [`EngineState::check`]; nothing changes when it is refused.
    fn load_state(&mut self, state: &EngineState) -> Result<(), String>;

    /// Mean squared error over `rows` (the model in eval mode).
    fn mse<'a>(&'a self, rows: &'a Encoded) -> Pending<'a, f64>;
}
