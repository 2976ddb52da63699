//! The update as one pass over each parameter's numbers on the host: decay, both running
//! averages and the debiased step, element by element, in place. burn's engine on the
//! CPU takes it for every parameter ([`Fused`]); the host step ([`crate::train::host`])
//! runs [`pass`] over its tables directly.

use burn::tensor::{Device, Tensor, TensorData};

use super::{OptimSettings, OptimizerKind, Rule, Update};
use crate::train::state::HostAdam;

/// fastai's update as [`pass`], its running averages kept as vectors on the host: the
/// CPU's rule (on a GPU, the reads back to the host would stall every step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fused;

impl Rule for Fused {
    type State = HostAdam;

    const NAME: &'static str = "burn autodiff, fused optimizer pass";

    fn update(
        settings: &OptimSettings,
        wd: f64,
        p: Tensor<1>,
        grad: Tensor<1>,
        state: Option<HostAdam>,
        lr: f64,
        beta1: f64,
    ) -> (Tensor<1>, Option<HostAdam>) {
        let device = p.device();
        // burn-flex's parameters are f32 already: `convert` moves them, and then they can
        // be updated where they lie.
        let mut values = p.into_data().convert::<f32>();
        let mut grad = grad.into_data().convert::<f32>();
        let (Ok(p), Ok(g)) = (values.as_mut_slice::<f32>(), grad.as_mut_slice::<f32>()) else {
            unreachable!("both were just converted to f32")
        };
        let state = pass(settings, wd, p, g, state, lr, beta1);
        (Tensor::from_data(values, &device), state)
    }

    fn averages(state: &HostAdam, device: &Device) -> ([Tensor<1>; 2], i32) {
        let tensor = |v: &Vec<f32>| Tensor::from_data(TensorData::new(v.clone(), [v.len()]), device);
        ([tensor(&state.grad_avg), tensor(&state.sqr_avg)], state.step)
    }

    fn from_host(adam: HostAdam, _device: &Device) -> HostAdam {
        adam
    }
}

/// The update of one parameter in one pass over its numbers, in place, in the tensor
/// version's order of operations (each scalar rounded to f32 as the tensor operations
/// round it). The pass also sets each gradient to zero as it uses it, so that a caller
/// that adds gradients into a table kept between steps ([`crate::train::host`]) finds it
/// clean. The loop has no branches, so the compiler vectorises it: an absent decay
/// multiplies by 1 and an absent L2 term adds 0, which change no number.
pub(in crate::train) fn pass(
    settings: &OptimSettings,
    wd: f64,
    p: &mut [f32],
    grad: &mut [f32],
    state: Option<HostAdam>,
    lr: f64,
    beta1: f64,
) -> Option<HostAdam> {
    let step = state.as_ref().map_or(0, |s| s.step) + 1;
    let u = Update::new(settings, wd, lr, beta1, step);
    match settings.kind {
        OptimizerKind::Sgd => {
            for (p, g) in p.iter_mut().zip(grad) {
                let g = std::mem::take(g) + *p * u.l2;
                *p = *p * u.decay - g * u.step_size;
            }
            None
        }
        OptimizerKind::Adam | OptimizerKind::LazyAdam => {
            let mut adam = state.unwrap_or_else(|| HostAdam::zeros(p.len()));
            adam_pass(settings.kind, &u, p, grad, &mut adam.grad_avg, &mut adam.sqr_avg);
            Some(HostAdam { step, ..adam })
        }
    }
}

/// Adam's update of `p` in place, in the tensor version's order of operations, taking
/// (and zeroing) the gradient. Lazy Adam leaves a number whose gradient is zero as it
/// is, its averages too. fastai's dense loop has no branches, so the compiler vectorises
/// it.
#[inline(always)]
pub(in crate::train) fn adam_pass(
    kind: OptimizerKind,
    u: &Update,
    p: &mut [f32],
    grad: &mut [f32],
    avg: &mut [f32],
    sqr: &mut [f32],
) {
    let one = |p: &mut f32, g: f32, avg: &mut f32, sqr: &mut f32| {
        let g = g + *p * u.l2;
        let kept = *p * u.decay;
        *avg = flush(*avg * u.b1 + g * u.one_b1);
        *sqr = flush(*sqr * u.b2 + g * g * u.one_b2);
        *p = kept - *avg / ((*sqr / u.debias2).sqrt() + u.eps) * u.step_size;
    };
    match kind {
        // Without a branch, so that it vectorises too: every number is computed, and
        // where the gradient is zero the old one is kept, chosen by a mask of bits (the
        // compiler vectorises that, not an `if` here).
        OptimizerKind::LazyAdam => {
            let Update { decay, l2, b1, one_b1, b2, one_b2, debias2, eps, step_size } = *u;
            for (((p, g), avg), sqr) in p.iter_mut().zip(grad.iter_mut()).zip(avg.iter_mut()).zip(sqr.iter_mut()) {
                let raw = std::mem::take(g);
                let g = raw + *p * l2;
                let kept = *p * decay;
                let new_avg = flush(*avg * b1 + g * one_b1);
                let new_sqr = flush(*sqr * b2 + g * g * one_b2);
                let new_p = kept - new_avg / ((new_sqr / debias2).sqrt() + eps) * step_size;
                let reached = 0u32.wrapping_sub(u32::from(raw != 0.0));
                let pick = |new: f32, old: f32| f32::from_bits((new.to_bits() & reached) | (old.to_bits() & !reached));
                *avg = pick(new_avg, *avg);
                *sqr = pick(new_sqr, *sqr);
                *p = pick(new_p, *p);
            }
        }
        _ => {
            for (((p, g), avg), sqr) in p.iter_mut().zip(grad).zip(avg).zip(sqr) {
                one(p, std::mem::take(g), avg, sqr);
            }
        }
    }
}

/// Running averages under this size are set to zero by [`pass`] (and the GPU's kernel).
pub(in crate::train) const TINY: f32 = 1e-30;

/// `x`, or zero when it is under [`TINY`]. A row that gets no gradient for a while (a
/// movie with few ratings) sees its running average of the gradient shrink by beta1 at
/// every step, and after some 800 steps it is a subnormal number, which x86 processors
/// (and wasm running on them) add and multiply tens of times more slowly than a normal
/// one: measured, a 5-epoch fit took twice its first epoch's time per epoch. Flushing
/// changes no weight: the step divides by at least eps = 1e-5, so what is dropped moves a
/// weight by under 1e-25, far below the last digit of any weight that is not zero.
#[inline(always)]
fn flush(x: f32) -> f32 {
    if x.abs() < TINY { 0.0 } else { x }
}
