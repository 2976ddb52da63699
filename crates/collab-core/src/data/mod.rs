//! Ratings in, encoded batches out: file parsers, fastai's split and vocabularies,
//! the cross-table, and the synthetic demo data.

pub mod budget;
pub mod crosstab;
pub mod dataset;
mod field;
pub mod generate;
pub mod movielens;
pub mod ratings;
pub mod release;
pub mod stream;
pub mod synth;
pub mod titles;

pub use budget::Budget;
pub use crosstab::CrossTable;
pub use dataset::{CollabData, DataSettings, Encoded, ItemKey, NA, Vocab};
pub use ratings::{GENRES, Rating, RatingsTable};
pub use release::{Layout, Recognised, Release};
