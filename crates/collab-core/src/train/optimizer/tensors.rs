//! The update as tensor operations, on any device: the reference the fused pass and the
//! written-out steps are tested against.

use burn::tensor::{Device, Tensor, TensorData};

use super::{BETA2, EPS, OptimSettings, OptimizerKind, Rule, WdKind};
use crate::train::state::HostAdam;

/// fastai's update as a dozen tensor operations a parameter, its running averages kept
/// as tensors on the parameter's device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tensors;

/// Adam's state of one parameter, flattened, on its device.
#[derive(Clone)]
pub struct TensorAdam {
    grad_avg: Tensor<1>,
    sqr_avg: Tensor<1>,
    step: i32,
}

impl Rule for Tensors {
    type State = TensorAdam;

    const NAME: &'static str = "burn autodiff, optimizer as tensor operations";

    fn update(
        settings: &OptimSettings,
        wd: f64,
        p: Tensor<1>,
        grad: Tensor<1>,
        state: Option<TensorAdam>,
        lr: f64,
        beta1: f64,
    ) -> (Tensor<1>, Option<TensorAdam>) {
        // Lazy Adam moves only what the gradient reaches: where it is not zero.
        let reached = (settings.kind == OptimizerKind::LazyAdam).then(|| (grad.clone().not_equal_elem(0.0), p.clone()));
        let (p, grad) = match settings.wd_kind {
            WdKind::Decoupled if wd != 0.0 => (p.mul_scalar(1.0 - lr * wd), grad),
            WdKind::L2 if wd != 0.0 => (p.clone(), grad + p.mul_scalar(2.0 * wd)),
            _ => (p, grad),
        };
        match settings.kind {
            OptimizerKind::Sgd => (p - grad.mul_scalar(lr), None),
            OptimizerKind::Adam | OptimizerKind::LazyAdam => {
                let TensorAdam { grad_avg: old_avg, sqr_avg: old_sqr, step } = state.unwrap_or_else(|| TensorAdam {
                    grad_avg: grad.zeros_like(),
                    sqr_avg: grad.zeros_like(),
                    step: 0,
                });
                // fastai's average_grad and average_sqr_grad, both with dampening.
                let grad_avg = old_avg.clone().mul_scalar(beta1) + grad.clone().mul_scalar(1.0 - beta1);
                let sqr_avg = old_sqr.clone().mul_scalar(BETA2) + grad.powi_scalar(2).mul_scalar(1.0 - BETA2);
                let step = step + 1;
                let debias1 = 1.0 - beta1.powi(step);
                let debias2 = 1.0 - BETA2.powi(step);
                let denom = sqr_avg.clone().div_scalar(debias2).sqrt().add_scalar(EPS);
                let p = p - grad_avg.clone().div(denom).mul_scalar(lr / debias1);
                match reached {
                    Some((reached, old)) => {
                        let grad_avg = old_avg.mask_where(reached.clone(), grad_avg);
                        let sqr_avg = old_sqr.mask_where(reached.clone(), sqr_avg);
                        (old.mask_where(reached, p), Some(TensorAdam { grad_avg, sqr_avg, step }))
                    }
                    None => (p, Some(TensorAdam { grad_avg, sqr_avg, step })),
                }
            }
        }
    }

    fn averages(state: &TensorAdam, _device: &Device) -> ([Tensor<1>; 2], i32) {
        ([state.grad_avg.clone(), state.sqr_avg.clone()], state.step)
    }

    fn from_host(adam: HostAdam, device: &Device) -> TensorAdam {
        let tensor = |v: Vec<f32>| {
            let n = v.len();
            Tensor::from_data(TensorData::new(v, [n]), device)
        };
        TensorAdam { grad_avg: tensor(adam.grad_avg), sqr_avg: tensor(adam.sqr_avg), step: adam.step }
    }
}
