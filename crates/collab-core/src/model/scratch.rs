//! The lesson's "from scratch" DotProductBias: parameters made directly and indexed,
//! no Embedding module, to show that an embedding is nothing more than that.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor};

use super::apply_y_range;
use super::init::{Init, param2};

/// Settings of the from-scratch model.
#[derive(Config, Debug, PartialEq)]
pub struct ScratchConfig {
    /// Users in the vocabulary (with `#na#`).
    pub n_users: usize,
    /// Items in the vocabulary (with `#na#`).
    pub n_items: usize,
    /// Latent factors per user and item.
    #[config(default = 50)]
    pub n_factors: usize,
    /// Output range of sigmoid_range, if any.
    #[config(default = "Some((0.0, 5.5))")]
    pub y_range: Option<(f32, f32)>,
}

impl ScratchConfig {
    /// Builds the model: every parameter drawn from N(0, 0.01), as the lesson's
    /// `create_params` does.
    pub fn init(&self, seed: u64, device: &Device) -> ScratchDotBias {
        let mut init = Init::new(seed);
        let mut param = |rows: usize, cols: usize| param2(init.normal(rows * cols, 0.01), [rows, cols], device);
        ScratchDotBias {
            user_factors: param(self.n_users, self.n_factors),
            user_bias: param(self.n_users, 1),
            item_factors: param(self.n_items, self.n_factors),
            item_bias: param(self.n_items, 1),
            y_range: self.y_range,
        }
    }
}

/// DotProductBias with bare parameter tables.
#[derive(Module, Debug)]
pub struct ScratchDotBias {
    /// `[n_users, n_factors]`, N(0, 0.01).
    pub user_factors: Param<Tensor<2>>,
    /// `[n_users, 1]`, N(0, 0.01).
    pub user_bias: Param<Tensor<2>>,
    /// `[n_items, n_factors]`, N(0, 0.01).
    pub item_factors: Param<Tensor<2>>,
    /// `[n_items, 1]`, N(0, 0.01).
    pub item_bias: Param<Tensor<2>>,
    /// Output range of sigmoid_range, if any.
    #[module(skip)]
    pub y_range: Option<(f32, f32)>,
}

impl ScratchDotBias {
    /// Predicted ratings.
    ///
    /// # Shapes
    /// - users, items: `[batch]`
    /// - output: `[batch]`
    pub fn forward(&self, users: Tensor<1, Int>, items: Tensor<1, Int>) -> Tensor<1> {
        let u = self.user_factors.val().select(0, users.clone()); // [batch, n_factors]
        let i = self.item_factors.val().select(0, items.clone()); // [batch, n_factors]
        let x = (u * i).sum_dim(1); // [batch, 1]
        let x = x + self.user_bias.val().select(0, users) + self.item_bias.val().select(0, items); // [batch, 1]
        apply_y_range(x.squeeze_dim::<1>(1), self.y_range) // [batch]
    }
}
