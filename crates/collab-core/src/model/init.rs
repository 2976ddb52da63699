//! Weights drawn on the host from one seeded generator, then copied to the device.
//!
//! Drawing on the host makes a seed mean the same starting weights on burn-flex and on
//! WebGPU (their device generators differ), and makes a seeded run reproducible bit for bit.

use burn::module::Param;
use burn::nn::{Embedding, Linear};
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// A seeded source of initial weights.
pub struct Init {
    rng: StdRng,
}

impl Init {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed) }
    }

    /// fastai's embedding init: N(0, 1), folded into (-2, 2) with fmod, times 0.01.
    pub fn fastai_embedding(&mut self, rows: usize, cols: usize) -> Vec<f32> {
        let normal = Normal::new(0.0f32, 1.0).expect("unit normal");
        (0..rows * cols).map(|_| (normal.sample(&mut self.rng) % 2.0) * 0.01).collect()
    }

    /// Plain N(0, std), as the lesson's from-scratch model draws its parameters.
    pub fn normal(&mut self, n: usize, std: f32) -> Vec<f32> {
        let normal = Normal::new(0.0f32, std).expect("finite std");
        (0..n).map(|_| normal.sample(&mut self.rng)).collect()
    }

    /// U(-bound, bound), PyTorch's default for linear layers with bound 1/sqrt(fan_in).
    pub fn uniform(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n).map(|_| self.rng.random_range(-bound..=bound)).collect()
    }

    /// An embedding table of `rows` x `cols` with fastai's init.
    pub fn embedding(&mut self, rows: usize, cols: usize, device: &Device) -> Embedding {
        Embedding { weight: param2(self.fastai_embedding(rows, cols), [rows, cols], device) }
    }

    /// A linear layer `d_in -> d_out` with PyTorch's default init; `bias` false for the
    /// layers fastai puts before a batch norm.
    pub fn linear(&mut self, d_in: usize, d_out: usize, bias: bool, device: &Device) -> Linear {
        let bound = 1.0 / (d_in as f32).sqrt();
        // burn stores the weight as [d_input, d_output].
        let weight = param2(self.uniform(d_in * d_out, bound), [d_in, d_out], device);
        let bias = bias.then(|| {
            Param::from_tensor(Tensor::from_data(TensorData::new(self.uniform(d_out, bound), [d_out]), device))
        });
        Linear { weight, bias }
    }
}

/// A trainable 2-D parameter from host values.
pub fn param2(values: Vec<f32>, shape: [usize; 2], device: &Device) -> Param<Tensor<2>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fastai_init_is_folded_and_small() {
        let values = Init::new(0).fastai_embedding(100, 50);
        assert!(values.iter().all(|v| v.abs() < 0.02));
        let std = (values.iter().map(|v| v * v).sum::<f32>() / values.len() as f32).sqrt();
        assert!((0.0085..0.0105).contains(&std), "std {std}");
        assert_eq!(values, Init::new(0).fastai_embedding(100, 50));
    }
}
