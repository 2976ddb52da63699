//! The neural models: the lesson's CollabNN and fastai's `collab_learner(use_nn=True)`
//! EmbeddingNN (the tabular model with hidden layers [100, 50]).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{BatchNorm, BatchNormConfig, Embedding, Linear};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor};

use super::apply_y_range;
use super::dot::lookup;
use super::init::Init;

/// fastai's `get_emb_sz` rule: `min(600, round(1.6 * n ** 0.56))`.
pub fn emb_size(n_categories: usize) -> usize {
    600.min((1.6 * (n_categories as f64).powf(0.56)).round() as usize)
}

/// Settings of a neural model.
#[derive(Config, Debug, PartialEq)]
pub struct NnConfig {
    /// Users in the vocabulary (with `#na#`).
    pub n_users: usize,
    /// Items in the vocabulary (with `#na#`).
    pub n_items: usize,
    /// Hidden layer sizes: `[100]` is CollabNN, `[100, 50]` is fastai's EmbeddingNN.
    #[config(default = "vec![100]")]
    pub layers: Vec<usize>,
    /// Output range of sigmoid_range, if any.
    #[config(default = "Some((0.0, 5.5))")]
    pub y_range: Option<(f32, f32)>,
}

impl NnConfig {
    /// Builds the model. With one hidden layer it is CollabNN (Linear, ReLU, Linear);
    /// with more it is fastai's tabular model (Linear without bias, ReLU, BatchNorm per
    /// hidden layer, then Linear to 1).
    pub fn init(&self, seed: u64, device: &Device) -> CollabNn {
        let mut init = Init::new(seed);
        let (du, di) = (emb_size(self.n_users), emb_size(self.n_items));
        let user_factors = init.embedding(self.n_users, du, device);
        let item_factors = init.embedding(self.n_items, di, device);
        let batch_norm = self.layers.len() > 1;
        let mut hidden = Vec::new();
        let mut norms = Vec::new();
        let mut d_in = du + di;
        for &d_out in &self.layers {
            hidden.push(init.linear(d_in, d_out, !batch_norm, device));
            if batch_norm {
                // fastai's `_get_norm` starts batch norm's bias at 1e-3 (burn: 0).
                let mut norm = BatchNormConfig::new(d_out).init(device);
                norm.beta = Param::from_tensor(Tensor::full([d_out], 1e-3, device));
                norms.push(norm);
            }
            d_in = d_out;
        }
        let output = init.linear(d_in, 1, true, device);
        CollabNn { user_factors, item_factors, hidden, norms, output, y_range: self.y_range }
    }
}

/// Concatenated user and item embeddings through an MLP to one rating.
#[derive(Module, Debug)]
pub struct CollabNn {
    /// `[n_users, emb_size(n_users)]`, fastai init.
    pub user_factors: Embedding,
    /// `[n_items, emb_size(n_items)]`, fastai init.
    pub item_factors: Embedding,
    /// Hidden linear layers, PyTorch's default uniform init.
    pub hidden: Vec<Linear>,
    /// One batch norm after each hidden layer's ReLU (empty for CollabNN).
    pub norms: Vec<BatchNorm>,
    /// Last layer to one output.
    pub output: Linear,
    /// Output range of sigmoid_range, if any.
    #[module(skip)]
    pub y_range: Option<(f32, f32)>,
}

impl CollabNn {
    /// Predicted ratings.
    ///
    /// # Shapes
    /// - users, items: `[batch]`
    /// - output: `[batch]`
    pub fn forward(&self, users: Tensor<1, Int>, items: Tensor<1, Int>) -> Tensor<1> {
        let u = lookup(&self.user_factors, users); // [batch, du]
        let i = lookup(&self.item_factors, items); // [batch, di]
        let mut x = Tensor::cat(vec![u, i], 1); // [batch, du + di]
        for (index, layer) in self.hidden.iter().enumerate() {
            x = relu(layer.forward(x)); // [batch, hidden]
            if let Some(norm) = self.norms.get(index) {
                x = norm.forward(x);
            }
        }
        let x = self.output.forward(x).squeeze_dim::<1>(1); // [batch]
        apply_y_range(x, self.y_range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emb_sizes_match_fastai() {
        assert_eq!(emb_size(944), 74);
        assert_eq!(emb_size(1665), 102);
        assert_eq!(emb_size(10_000_000), 600);
    }

    #[test]
    fn batch_norm_bias_starts_at_fastais_1e_3() {
        use crate::model::{ModelKind, ModelSpec};
        let device = Device::flex();
        let model = ModelSpec::new(ModelKind::EmbeddingNn, 944, 1665).init(1, &device);
        let w = crate::read::block_on(crate::weights::read(&model)).unwrap();
        let betas: Vec<_> =
            w.tensors.iter().filter(|t| t.path.starts_with("norms") && t.path.ends_with("beta")).collect();
        assert_eq!(
            betas.len(),
            2,
            "one batch norm per hidden layer: {:?}",
            w.tensors.iter().map(|t| &t.path).collect::<Vec<_>>()
        );
        assert!(betas.iter().all(|t| t.values.iter().all(|&v| v == 1e-3)));
        let shapes: Vec<_> =
            w.tensors.iter().filter(|t| t.path.ends_with("factors.weight")).map(|t| t.shape.clone()).collect();
        assert_eq!(shapes, [vec![944, 74], vec![1665, 102]], "the lesson's embedding shapes");
    }
}
