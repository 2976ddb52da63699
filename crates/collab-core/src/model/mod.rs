//! The models of the lesson, as burn modules, and one enum that the learner, the page
//! and the saved files use to hold any of them.

pub mod dot;
pub mod init;
pub mod nn;
pub mod scratch;

use std::ops::RangeInclusive;

use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

pub use dot::{DotConfig, DotProductBias};
pub use nn::{CollabNn, NnConfig, emb_size};
pub use scratch::{ScratchConfig, ScratchDotBias};

/// Latent factors of the dot-product models: generous for a teaching notebook (the
/// lesson uses 50), and small enough that one fit stays within a browser tab's memory.
pub const FACTORS: RangeInclusive<usize> = 1..=400;

/// A number of latent factors within [`FACTORS`], or why not.
pub fn factors(value: usize) -> Result<usize, String> {
    if FACTORS.contains(&value) {
        Ok(value)
    } else {
        Err(format!("the number of factors must be {} to {}, not {value}", FACTORS.start(), FACTORS.end()))
    }
}

/// `sigmoid(x) * (hi - lo) + lo`: keeps predictions in a rating's range.
pub fn sigmoid_range<const D: usize>(x: Tensor<D>, lo: f32, hi: f32) -> Tensor<D> {
    sigmoid(x) * (hi - lo) + lo
}

/// [`sigmoid_range`] when a range is set, the identity otherwise.
pub fn apply_y_range<const D: usize>(x: Tensor<D>, y_range: Option<(f32, f32)>) -> Tensor<D> {
    match y_range {
        Some((lo, hi)) => sigmoid_range(x, lo, hi),
        None => x,
    }
}

/// Which of the lesson's models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelKind {
    /// dot(user, item).
    DotProduct,
    /// dot(user, item) + user bias + item bias.
    DotProductBias,
    /// DotProductBias with bare parameters, indexed by hand.
    Scratch,
    /// Embeddings concatenated, one hidden layer of 100.
    CollabNn,
    /// fastai's `collab_learner(use_nn=True, layers=[100, 50])`.
    EmbeddingNn,
}

impl ModelKind {
    /// Every kind, in the lesson's order.
    pub const ALL: [ModelKind; 5] =
        [Self::DotProduct, Self::DotProductBias, Self::Scratch, Self::CollabNn, Self::EmbeddingNn];

    /// The short name of the CLI's `--model` and the page's URL (`?model=`).
    pub fn key(self) -> &'static str {
        match self {
            Self::DotProduct => "dot",
            Self::DotProductBias => "dotbias",
            Self::Scratch => "scratch",
            Self::CollabNn => "nn",
            Self::EmbeddingNn => "embnn",
        }
    }

    /// The name the lesson uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::DotProduct => "DotProduct",
            Self::DotProductBias => "DotProductBias",
            Self::Scratch => "DotProductBias (from scratch)",
            Self::CollabNn => "CollabNN",
            Self::EmbeddingNn => "EmbeddingNN [100, 50]",
        }
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;

    /// Reads [`ModelKind::key`] back.
    fn from_str(key: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|k| k.key() == key).ok_or_else(|| {
            format!("unknown model '{}' (dot, dotbias, scratch, nn, embnn)", crate::error::clip(key, 40))
        })
    }
}

/// Everything needed to rebuild a model: saved next to its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Which model.
    pub kind: ModelKind,
    /// Users in the vocabulary (with `#na#`).
    pub n_users: usize,
    /// Items in the vocabulary (with `#na#`).
    pub n_items: usize,
    /// Latent factors (the dot models; the neural ones use `emb_size`).
    pub n_factors: usize,
    /// sigmoid_range output range, if any.
    pub y_range: Option<(f32, f32)>,
}

impl ModelSpec {
    /// The lesson's settings: 50 factors, y_range (0, 5.5).
    pub fn new(kind: ModelKind, n_users: usize, n_items: usize) -> Self {
        Self { kind, n_users, n_items, n_factors: 50, y_range: Some((0.0, 5.5)) }
    }

    /// Checks a spec that came from outside (a model file, a snapshot) before anything
    /// is allocated from it: users and movies beyond `#na#`, factors within
    /// [`FACTORS`], and a sensible output range.
    pub fn check(&self) -> Result<(), String> {
        if self.n_users < 2 || self.n_items < 2 {
            return Err(format!(
                "it has {} users and {} movies counting '#na#': a model needs at least one real user and one real movie",
                self.n_users, self.n_items
            ));
        }
        factors(self.n_factors)?;
        if let Some((lo, hi)) = self.y_range
            && !(lo.is_finite() && hi.is_finite() && lo < hi)
        {
            return Err(format!("its output range ({lo}, {hi}) is not a range"));
        }
        Ok(())
    }

    /// The shape of the user and the item embedding tables this spec builds.
    pub fn table_shapes(&self) -> ([usize; 2], [usize; 2]) {
        match self.kind {
            ModelKind::CollabNn | ModelKind::EmbeddingNn => {
                ([self.n_users, emb_size(self.n_users)], [self.n_items, emb_size(self.n_items)])
            }
            _ => ([self.n_users, self.n_factors], [self.n_items, self.n_factors]),
        }
    }

    /// Builds the model with weights drawn from `seed`.
    pub fn init(&self, seed: u64, device: &Device) -> CollabModel {
        let (n_users, n_items) = (self.n_users, self.n_items);
        let dot = |bias| DotConfig { n_users, n_items, n_factors: self.n_factors, bias, y_range: self.y_range };
        let nn = |layers| NnConfig { n_users, n_items, layers, y_range: self.y_range };
        match self.kind {
            ModelKind::DotProduct => CollabModel::Dot(dot(false).init(seed, device)),
            ModelKind::DotProductBias => CollabModel::Dot(dot(true).init(seed, device)),
            ModelKind::Scratch => CollabModel::Scratch(
                ScratchConfig { n_users, n_items, n_factors: self.n_factors, y_range: self.y_range }.init(seed, device),
            ),
            ModelKind::CollabNn => CollabModel::Nn(nn(vec![100]).init(seed, device)),
            ModelKind::EmbeddingNn => CollabModel::Nn(nn(vec![100, 50]).init(seed, device)),
        }
    }
}

/// Any of the lesson's models.
#[derive(Module, Debug)]
pub enum CollabModel {
    /// DotProduct or DotProductBias.
    Dot(DotProductBias),
    /// The from-scratch DotProductBias.
    Scratch(ScratchDotBias),
    /// CollabNN or EmbeddingNN.
    Nn(CollabNn),
}

impl CollabModel {
    /// Predicted ratings.
    ///
    /// # Shapes
    /// - users, items: `[batch]`
    /// - output: `[batch]`
    pub fn forward(&self, users: Tensor<1, Int>, items: Tensor<1, Int>) -> Tensor<1> {
        match self {
            Self::Dot(m) => m.forward(users, items),
            Self::Scratch(m) => m.forward(users, items),
            Self::Nn(m) => m.forward(users, items),
        }
    }

    /// The item factor table `[n_items, k]`.
    pub fn item_factors(&self) -> Tensor<2> {
        match self {
            Self::Dot(m) => m.item_factors.weight.val(),
            Self::Scratch(m) => m.item_factors.val(),
            Self::Nn(m) => m.item_factors.weight.val(),
        }
    }

    /// The user factor table `[n_users, k]`.
    pub fn user_factors(&self) -> Tensor<2> {
        match self {
            Self::Dot(m) => m.user_factors.weight.val(),
            Self::Scratch(m) => m.user_factors.val(),
            Self::Nn(m) => m.user_factors.weight.val(),
        }
    }

    /// The item bias table `[n_items, 1]`, for the models that have one.
    pub fn item_bias(&self) -> Option<Tensor<2>> {
        match self {
            Self::Dot(m) => m.item_bias.as_ref().map(|b| b.weight.val()),
            Self::Scratch(m) => Some(m.item_bias.val()),
            Self::Nn(_) => None,
        }
    }
}

#[cfg(test)]
mod kind_tests {
    use super::ModelKind;

    #[test]
    fn every_kind_reads_back_from_its_key_and_a_bad_key_is_named() {
        for kind in ModelKind::ALL {
            assert_eq!(kind.key().parse::<ModelKind>(), Ok(kind));
        }
        assert_eq!("svd".parse::<ModelKind>().unwrap_err(), "unknown model 'svd' (dot, dotbias, scratch, nn, embnn)");
    }
}
