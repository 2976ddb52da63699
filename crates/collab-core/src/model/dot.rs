//! The dot-product models: DotProduct and DotProductBias (fastai's EmbeddingDotBias).

use burn::config::Config;
use burn::module::Module;
use burn::nn::Embedding;
use burn::tensor::{Device, Int, Tensor};

use super::apply_y_range;
use super::init::Init;

/// Settings of a dot-product model.
#[derive(Config, Debug, PartialEq)]
pub struct DotConfig {
    /// Users in the vocabulary (with `#na#`).
    pub n_users: usize,
    /// Items in the vocabulary (with `#na#`).
    pub n_items: usize,
    /// Latent factors per user and item.
    #[config(default = 50)]
    pub n_factors: usize,
    /// Add a learned bias per user and per item.
    #[config(default = true)]
    pub bias: bool,
    /// Squash predictions into this range with sigmoid_range; the lesson uses (0, 5.5).
    #[config(default = "Some((0.0, 5.5))")]
    pub y_range: Option<(f32, f32)>,
}

impl DotConfig {
    /// Builds the model with fastai's initialisation from `seed`.
    pub fn init(&self, seed: u64, device: &Device) -> DotProductBias {
        let mut init = Init::new(seed);
        let user_factors = init.embedding(self.n_users, self.n_factors, device);
        let item_factors = init.embedding(self.n_items, self.n_factors, device);
        let (user_bias, item_bias) = if self.bias {
            (Some(init.embedding(self.n_users, 1, device)), Some(init.embedding(self.n_items, 1, device)))
        } else {
            (None, None)
        };
        DotProductBias { user_factors, item_factors, user_bias, item_bias, y_range: self.y_range }
    }
}

/// `dot(user, item) [+ user_bias + item_bias]`, optionally through sigmoid_range.
/// Without biases this is the lesson's DotProduct.
#[derive(Module, Debug)]
pub struct DotProductBias {
    /// `[n_users, n_factors]`, fastai init (N(0, 1) folded into (-2, 2), times 0.01).
    pub user_factors: Embedding,
    /// `[n_items, n_factors]`, same init.
    pub item_factors: Embedding,
    /// `[n_users, 1]`, same init; decayed like the factors (it is not a `.bias` parameter).
    pub user_bias: Option<Embedding>,
    /// `[n_items, 1]`, same init.
    pub item_bias: Option<Embedding>,
    /// Output range of sigmoid_range, if any.
    #[module(skip)]
    pub y_range: Option<(f32, f32)>,
}

impl DotProductBias {
    /// Predicted ratings.
    ///
    /// # Shapes
    /// - users, items: `[batch]`
    /// - output: `[batch]`
    pub fn forward(&self, users: Tensor<1, Int>, items: Tensor<1, Int>) -> Tensor<1> {
        let u = lookup(&self.user_factors, users.clone()); // [batch, n_factors]
        let i = lookup(&self.item_factors, items.clone()); // [batch, n_factors]
        let mut x = (u * i).sum_dim(1); // [batch, 1]
        if let (Some(ub), Some(ib)) = (&self.user_bias, &self.item_bias) {
            x = x + lookup(ub, users) + lookup(ib, items); // [batch, 1]
        }
        apply_y_range(x.squeeze_dim::<1>(1), self.y_range) // [batch]
    }
}

/// Rows of an embedding table by index: `[batch] -> [batch, d]`.
pub fn lookup(table: &Embedding, index: Tensor<1, Int>) -> Tensor<2> {
    let [batch] = index.dims();
    let d = table.weight.dims()[1];
    table.forward(index.unsqueeze_dim(1)).reshape([batch, d])
}
