//! The two kernels of the dot-product models' training step on a GPU, in CubeCL (which
//! compiles them to WGSL for WebGPU, and to the native shading languages elsewhere).
//!
//! They do the arithmetic of [`crate::train::host`], in the same order: one thread a
//! rating for the prediction and the loss, then one thread a parameter for its gradient
//! and its update. All the parameters lie in one buffer, table after table: user
//! factors, item factors, then (DotProductBias) user biases and item biases.
//!
//! The gradient of a row is gathered rather than scattered: the host packs, next to the
//! batch's indices, each row's list of the ratings that touch it (in batch order, so
//! that the sum is added up in the host's order), and the thread of each parameter adds
//! up its row's list. No two threads write one number, so no atomics are needed (WebGPU
//! has no atomic float add), and every parameter is written exactly once per step, as
//! fastai's dense update needs: rows outside the batch still decay and move with Adam's
//! running averages.

use cubecl::prelude::*;

/// One thread a rating of the batch: the prediction, its squared error, and
/// `dx = scale * error * dpred/dx`, the loss's derivative by the pre-activation (the dot
/// product plus the biases). `rows` holds, from `base`, the batch's user indices, then
/// its item indices (see [`super::pack`]), and `ratings` its ratings from `ratings_at`:
/// both hold the other batches uploaded with it too.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn dot_forward(
    params: &[f32],
    rows: &[i32],
    ratings: &[f32],
    preds: &mut [f32],
    dx: &mut [f32],
    squared: &mut [f32],
    k: u32,
    items_at: u32,
    user_bias_at: u32,
    item_bias_at: u32,
    base: u32,
    ratings_at: u32,
    low: f32,
    high: f32,
    scale: f32,
    #[comptime] biased: bool,
    #[comptime] ranged: bool,
) {
    let n = preds.len();
    let b = ABSOLUTE_POS;
    if b >= n {
        terminate!();
    }
    let k = k as usize;
    let base = base as usize;
    let user = rows[base + b] as usize;
    let item = rows[base + n + b] as usize;
    let u = user * k;
    let i = items_at as usize + item * k;
    let mut x = 0.0f32;
    for c in 0..k {
        x += params[u + c] * params[i + c];
    }
    if biased {
        x = x + params[user_bias_at as usize + user] + params[item_bias_at as usize + item];
    }
    let mut pred = x;
    let mut slope = 1.0f32;
    if ranged {
        let s = 1.0f32 / (1.0f32 + (-x).exp());
        pred = s * (high - low) + low;
        slope = s * (1.0f32 - s) * (high - low);
    }
    let error = pred - ratings[ratings_at as usize + b];
    preds[b] = pred;
    squared[b] = error * error;
    dx[b] = scale * error * slope;
}

/// One thread a parameter: its gradient, gathered from the ratings that touch its row,
/// then fastai's update (weight decay, then Adam or SGD) written to the new buffers.
/// The old buffers are only read, so every thread sees the weights of before the step.
///
/// `rows` holds, after the batch's users and items (from `base`), each user's start in
/// the list of its ratings (`user_starts`, one more than there are users), that list
/// (`user_list`), and the same for the items.
#[cube(launch)]
#[allow(clippy::too_many_arguments, unused_assignments)] // every branch below sets `row`
pub fn dot_update(
    params: &[f32],
    grad_avg: &[f32],
    sqr_avg: &[f32],
    rows: &[i32],
    dx: &[f32],
    new_params: &mut [f32],
    new_grad_avg: &mut [f32],
    new_sqr_avg: &mut [f32],
    k: u32,
    items_at: u32,
    user_bias_at: u32,
    item_bias_at: u32,
    base: u32,
    user_starts: u32,
    user_list: u32,
    item_starts: u32,
    item_list: u32,
    decay: f32,
    l2: f32,
    b1: f32,
    one_b1: f32,
    b2: f32,
    one_b2: f32,
    debias2: f32,
    eps: f32,
    step_size: f32,
    tiny: f32,
    #[comptime] adam: bool,
) {
    let p = ABSOLUTE_POS;
    if p >= params.len() {
        terminate!();
    }
    let n = dx.len();
    let base = base as usize;
    let k = k as usize;
    let items_at = items_at as usize;
    let user_bias_at = user_bias_at as usize;
    let item_bias_at = item_bias_at as usize;
    // Which table, which row, which column; and whose list of ratings to add up.
    let mut row = 0usize;
    let mut column = 0usize;
    let mut by_user = true;
    let mut factor = true;
    if p < items_at {
        row = p / k;
        column = p % k;
    } else if p < user_bias_at {
        row = (p - items_at) / k;
        column = (p - items_at) % k;
        by_user = false;
    } else if p < item_bias_at {
        row = p - user_bias_at;
        factor = false;
    } else {
        row = p - item_bias_at;
        by_user = false;
        factor = false;
    }
    let mut starts = item_starts as usize;
    let mut list = item_list as usize;
    if by_user {
        starts = user_starts as usize;
        list = user_list as usize;
    }
    let first = rows[starts + row] as usize;
    let end = rows[starts + row + 1] as usize;
    let mut g = 0.0f32;
    for j in first..end {
        let b = rows[list + j] as usize;
        if factor {
            // A user's factor moves with the item's factor, and the other way round.
            let mut other = rows[base + b] as usize * k + column;
            if by_user {
                other = items_at + rows[base + n + b] as usize * k + column;
            }
            g += dx[b] * params[other];
        } else {
            g += dx[b];
        }
    }
    let value = params[p];
    let g = g + value * l2;
    let kept = value * decay;
    if adam {
        let mut avg = grad_avg[p] * b1 + g * one_b1;
        let mut sqr = sqr_avg[p] * b2 + g * g * one_b2;
        // As the host does: no subnormal running averages (see optimizer::flush).
        if avg.abs() < tiny {
            avg = 0.0f32;
        }
        if sqr.abs() < tiny {
            sqr = 0.0f32;
        }
        new_grad_avg[p] = avg;
        new_sqr_avg[p] = sqr;
        new_params[p] = kept - avg / ((sqr / debias2).sqrt() + eps) * step_size;
    } else {
        new_grad_avg[p] = grad_avg[p];
        new_sqr_avg[p] = sqr_avg[p];
        new_params[p] = kept - g * step_size;
    }
}
