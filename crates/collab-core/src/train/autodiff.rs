//! burn's engine: autodiff for the gradients and an [`Optimizer`] for the update, for
//! any model on any device. Its two variants differ only in the optimizer's rule:
//! [`super::optimizer::Tensors`] (the reference, and the only one a GPU can take) and
//! [`super::optimizer::Fused`] (the CPU's).

use std::rc::Rc;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use super::engine::{Engine, Pending, Restore};
use super::optimizer::{OptimSettings, Optimizer, Rule};
use super::state::EngineState;
use super::step::{Phase, mse, to_device};
use crate::data::Encoded;
use crate::model::CollabModel;
use crate::weights;

/// A model, its optimizer and the autodiff device they live on.
#[derive(Clone)]
pub(super) struct Autodiff<R: Rule> {
    model: CollabModel,
    optim: Optimizer<R>,
    device: Device,
}

impl<R: Rule> Autodiff<R> {
    /// The engine for `model` on the autodiff device `device`.
    pub fn new(model: CollabModel, settings: OptimSettings, device: &Device) -> Self {
        Self { model, optim: Optimizer::new(settings), device: device.clone() }
    }
}

impl<R: Rule> Engine for Autodiff<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn step(&mut self, batch: &Encoded, lr: f64, beta1: f64, mark: &mut dyn FnMut(Phase)) -> (Tensor<1>, Tensor<1>) {
        let (users, items, ratings) = to_device(batch, &self.device);
        let preds = self.model.forward(users, items); // [batch]
        let loss = (preds.clone() - ratings).powi_scalar(2).mean(); // [1]
        mark(Phase::Forward);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        mark(Phase::Backward);
        // Cloning a module clones handles to its tensors, not the tensors.
        self.model = self.optim.step(self.model.clone(), grads, lr, beta1);
        mark(Phase::Optimizer);
        (preds.inner(), loss.inner())
    }

    fn model(&self) -> CollabModel {
        self.model.clone()
    }

    fn sums(&self) -> Vec<Tensor<1>> {
        weights::sums(&self.model)
    }

    /// A clone and handles to every float tensor's values: batch norm's running
    /// statistics are shared by every clone of a module and each training forward pass
    /// updates them in place (see [`weights::handles`]), so going back puts them back.
    fn checkpoint(&self) -> Restore {
        let (kept, values) = (self.clone(), weights::handles(&self.model));
        Rc::new(move || {
            let model = weights::put_handles(kept.model.clone(), &values);
            Box::new(Self { model, ..kept.clone() })
        })
    }

    fn read_state(&self) -> Pending<'_, EngineState> {
        Box::pin(async move {
            let weights = weights::read(&self.model).await?;
            let ids = weights::param_ids(&self.model);
            let (optim, steps) = self.optim.read_state(&ids, &self.device.clone().inner()).await?;
            Ok(EngineState { weights, optim, steps })
        })
    }

    fn load_state(&mut self, state: &EngineState) -> Result<(), String> {
        let adams = state.check(&weights::shapes(&self.model))?;
        let model = weights::write(self.model.clone(), &state.weights)?;
        let ids = weights::param_ids(&model).into_iter().map(|(_, id)| id);
        self.optim = Optimizer::loaded(self.optim.settings, ids.zip(adams), &self.device.clone().inner());
        self.model = model;
        Ok(())
    }

    fn mse<'a>(&'a self, rows: &'a Encoded) -> Pending<'a, f64> {
        Box::pin(async move { mse(&self.model.valid(), rows).await })
    }
}
