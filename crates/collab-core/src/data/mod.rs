//! Ratings in, encoded batches out: file parsers, fastai's split and vocabularies,
//! the cross-table, and the synthetic demo data.

pub mod crosstab;
pub mod dataset;
pub mod movielens;
pub mod ratings;
pub mod synth;

pub use crosstab::CrossTable;
pub use dataset::{CollabData, DataSettings, Encoded, ItemKey, NA, Vocab};
pub use ratings::{GENRES, Rating, RatingsTable};
