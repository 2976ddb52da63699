//! The GPU step as one operation of burn's (its backend-extension API): it takes the
//! parameter buffer, Adam's two running averages and the packed batch as burn tensors
//! and gives back new ones, so that the learner keeps holding plain burn tensors (its
//! checkpoints are clones of handles, its reads are burn's reads). Under burn's kernel
//! fusion the operation is queued with the others and runs when they do.

use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Backend, ExtensionType, TensorMetadata, backend_extension};
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device;
use cubecl::calculate_cube_count_elemwise;
use cubecl::prelude::*;

use super::kernels::{dot_forward, dot_update};

/// The numbers of one step besides the tensors: the tables' layout, the model's
/// settings and the optimizer's update ([`crate::train::optimizer::Update`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepSettings {
    pub k: u32,
    pub items_at: u32,
    pub user_bias_at: u32,
    pub item_bias_at: u32,
    /// Where the batch's user indices start in the uploaded indices (its item indices
    /// follow them), where its ratings start among the uploaded ratings, and how many.
    pub base: u32,
    pub ratings_at: u32,
    pub n: u32,
    /// Where each part of the batch's packing starts in the uploaded indices
    /// ([`super::pack::Packed`]).
    pub user_starts: u32,
    pub user_list: u32,
    pub item_starts: u32,
    pub item_list: u32,
    pub biased: bool,
    /// sigmoid_range's ends, when the model has one.
    pub y_range: Option<(f32, f32)>,
    /// `2 / batch size`: the mean squared error's factor.
    pub scale: f32,
    pub adam: bool,
    pub update: crate::train::optimizer::Update,
}

/// What one step gives back.
#[derive(ExtensionType)]
#[extension_type(fusion: cfg(feature = "fusion"))]
pub struct StepOut<B: Backend> {
    pub params: FloatTensor<B>,
    pub grad_avg: FloatTensor<B>,
    pub sqr_avg: FloatTensor<B>,
    /// The predictions before the update.
    pub preds: FloatTensor<B>,
    /// Each rating's squared error.
    pub squared: FloatTensor<B>,
}

/// The shapes of what [`DotStep::dot_step`] returns, for burn's fusion, which queues
/// the operation before it runs.
#[cfg(feature = "fusion")]
fn step_out(
    params: &burn::backend::fusion::custom::TensorSpec,
    _grad_avg: &burn::backend::fusion::custom::TensorSpec,
    _sqr_avg: &burn::backend::fusion::custom::TensorSpec,
    _rows: &burn::backend::fusion::custom::TensorSpec,
    ratings: &burn::backend::fusion::custom::TensorSpec,
    settings: &StepSettings,
) -> StepOutMetadata {
    // One number a rating of the batch (the ratings uploaded hold the chunk's).
    let per_rating = burn::backend::fusion::custom::TensorSpec::new([settings.n as usize].into(), ratings.dtype);
    StepOutMetadata {
        params: params.clone(),
        grad_avg: params.clone(),
        sqr_avg: params.clone(),
        preds: per_rating.clone(),
        squared: per_rating,
    }
}

/// The step as a backend operation (on burn's CubeCL backend, and through its fusion).
#[backend_extension(Cube, Fusion: cfg(feature = "fusion"))]
pub trait DotStep: Backend {
    #[fusion(meta = step_out)]
    fn dot_step(
        params: FloatTensor<Self>,
        grad_avg: FloatTensor<Self>,
        sqr_avg: FloatTensor<Self>,
        rows: IntTensor<Self>,
        ratings: FloatTensor<Self>,
        settings: StepSettings,
    ) -> StepOut<Self>;
}

impl DotStep for CubeBackend {
    fn dot_step(
        params: FloatTensor<Self>,
        grad_avg: FloatTensor<Self>,
        sqr_avg: FloatTensor<Self>,
        rows: IntTensor<Self>,
        ratings: FloatTensor<Self>,
        s: StepSettings,
    ) -> StepOut<Self> {
        let [params, grad_avg, sqr_avg, rows, ratings] =
            [params, grad_avg, sqr_avg, rows, ratings].map(into_contiguous);
        let client = params.client.clone();
        let device = params.device.clone();
        let new = |len: usize| empty_device::<f32>(client.clone(), device.clone(), [len].into());
        let n = s.n as usize;
        let size = params.shape().num_elements();
        let (preds, dx, squared) = (new(n), new(n), new(n));
        let (low, high) = s.y_range.unwrap_or((0.0, 0.0));
        let dim = CubeDim::new(&client, n);
        dot_forward::launch(
            &client,
            calculate_cube_count_elemwise(&client, n, dim),
            dim,
            params.clone().into_buffer_arg(),
            rows.clone().into_buffer_arg(),
            ratings.into_buffer_arg(),
            preds.clone().into_buffer_arg(),
            dx.clone().into_buffer_arg(),
            squared.clone().into_buffer_arg(),
            s.k,
            s.items_at,
            s.user_bias_at,
            s.item_bias_at,
            s.base,
            s.ratings_at,
            low,
            high,
            s.scale,
            s.biased,
            s.y_range.is_some(),
        );
        let (new_params, new_grad_avg, new_sqr_avg) = (new(size), new(size), new(size));
        let u = s.update;
        let dim = CubeDim::new(&client, size);
        dot_update::launch(
            &client,
            calculate_cube_count_elemwise(&client, size, dim),
            dim,
            params.into_buffer_arg(),
            grad_avg.into_buffer_arg(),
            sqr_avg.into_buffer_arg(),
            rows.into_buffer_arg(),
            dx.into_buffer_arg(),
            new_params.clone().into_buffer_arg(),
            new_grad_avg.clone().into_buffer_arg(),
            new_sqr_avg.clone().into_buffer_arg(),
            s.k,
            s.items_at,
            s.user_bias_at,
            s.item_bias_at,
            s.base,
            s.user_starts,
            s.user_list,
            s.item_starts,
            s.item_list,
            u.decay,
            u.l2,
            u.b1,
            u.one_b1,
            u.b2,
            u.one_b2,
            u.debias2,
            u.eps,
            u.step_size,
            crate::train::optimizer::fused::TINY,
            s.adam,
        );
        StepOut { params: new_params, grad_avg: new_grad_avg, sqr_avg: new_sqr_avg, preds, squared }
    }
}
