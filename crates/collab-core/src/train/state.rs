//! An engine's numbers on the host, in the one form every engine reads them to and loads
//! them from (so that a snapshot taken by any engine carries on on any other): the
//! weights by path, Adam's running averages named `<path>.grad_avg` and `<path>.sqr_avg`,
//! and each parameter's Adam step count. [`EngineState::check`] is the one check that
//! stands between a snapshot and every engine.

use crate::weights::{NamedTensor, Weights};

/// The weights and the optimizer's state of a learner's engine.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct EngineState {
    /// Every float tensor of the model, in its order.
    pub weights: Weights,
    /// Adam's running averages of each parameter that has taken an Adam step.
    pub optim: Weights,
    /// Each of those parameters' step counts, by path.
    pub steps: Vec<(String, i32)>,
}

/// Adam's running averages of one parameter (or of a buffer of several) on the host and
/// the steps it has taken: the form a snapshot holds them in, and the form the fused
/// pass updates in place.
#[derive(Clone, Debug, PartialEq)]
pub struct HostAdam {
    /// The running average of the gradient.
    pub grad_avg: Vec<f32>,
    /// The running average of its square.
    pub sqr_avg: Vec<f32>,
    /// Adam steps taken.
    pub step: i32,
}

impl HostAdam {
    /// The state before the first step of a parameter of `n` numbers.
    pub fn zeros(n: usize) -> Self {
        Self { grad_avg: vec![0.0; n], sqr_avg: vec![0.0; n], step: 0 }
    }
}

impl EngineState {
    /// Adds the state of the parameter at `path`.
    pub fn push_adam(&mut self, path: &str, adam: &HostAdam) {
        let named = |suffix: &str, values: &Vec<f32>| NamedTensor {
            path: format!("{path}.{suffix}"),
            shape: vec![values.len()],
            values: values.clone(),
        };
        self.optim.tensors.extend([named("grad_avg", &adam.grad_avg), named("sqr_avg", &adam.sqr_avg)]);
        self.steps.push((path.to_string(), adam.step));
    }

    /// Checks this state against a model's float tensors (path and shape each, in the
    /// model's order) before anything is changed, and gives each tensor's Adam state
    /// (`None` before its first Adam step). Refused, with the reason: another number of
    /// tensors, another path or shape, a step count for a parameter the model lacks, and
    /// running averages that are missing or of another size.
    pub fn check(&self, tables: &[(String, Vec<usize>)]) -> Result<Vec<Option<HostAdam>>, String> {
        crate::weights::check(tables, &self.weights)?;
        if let Some((path, _)) = self.steps.iter().find(|(path, _)| !tables.iter().any(|(p, _)| p == path)) {
            return Err(format!("the model has no parameter {path}"));
        }
        tables.iter().map(|(path, shape)| self.adam(path, shape.iter().product())).collect()
    }

    /// The state of the parameter `path` of `size` numbers: `None` when it has taken no
    /// step yet; an error when the averages are missing or of another size.
    fn adam(&self, path: &str, size: usize) -> Result<Option<HostAdam>, String> {
        let Some(&(_, step)) = self.steps.iter().find(|(p, _)| p == path) else { return Ok(None) };
        let values = |suffix: &str| -> Result<Vec<f32>, String> {
            let name = format!("{path}.{suffix}");
            let t = self.optim.get(&name).ok_or(format!("the optimizer state has no {name}"))?;
            if t.values.len() != size {
                return Err(format!(
                    "the optimizer state's {name} has {} numbers, the parameter {size}",
                    t.values.len()
                ));
            }
            Ok(t.values.clone())
        };
        Ok(Some(HostAdam { grad_avg: values("grad_avg")?, sqr_avg: values("sqr_avg")?, step }))
    }
}
