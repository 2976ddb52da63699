//! One validation of training settings, shared by the page's controls, the page's
//! worker and the CLI: every setting that cannot train is refused before anything is
//! built, with the reason in words.
//!
//! The bounds are generous for a teaching notebook (fastai's lesson uses 50 factors,
//! 5 epochs, lr 5e-3, wd 0.1, batch 64) and keep one fit within a browser tab's memory.
//! Settings inside them can still make a fit diverge; the learner's guard
//! ([`super::guard`]) stops those at the step where it happens.

use std::ops::RangeInclusive;

use super::fit_settings::FitSettings;
use super::guard::short_number;
use crate::data::CollabData;
use crate::model::{ModelKind, ModelSpec};

/// The factors' bound belongs to the model (a model file is checked against it too).
pub use crate::model::{FACTORS, factors};

/// Epochs of one fit.
pub const EPOCHS: RangeInclusive<usize> = 1..=50;
/// Ratings per training batch: up to 65,536, for big data (ml-25m trains at 4,096 and
/// more); the lesson's is 64.
pub const BATCH_SIZE: RangeInclusive<usize> = 1..=65_536;
/// Largest learning rate accepted (the smallest is anything above 0).
pub const MAX_LR: f64 = 10.0;
/// Largest weight decay accepted.
pub const MAX_WD: f64 = 10.0;

fn within(value: usize, range: RangeInclusive<usize>, what: &str) -> Result<usize, String> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!("the {what} must be {} to {}, not {value}", range.start(), range.end()))
    }
}

/// Number of epochs.
pub fn epochs(value: usize) -> Result<usize, String> {
    within(value, EPOCHS, "number of epochs")
}

/// Batch size (before the data is known; see [`against_data`]).
pub fn batch_size(value: usize) -> Result<usize, String> {
    within(value, BATCH_SIZE, "batch size")
}

/// Learning rate: a number above 0, at most [`MAX_LR`].
pub fn lr(value: f64) -> Result<f64, String> {
    if value.is_finite() && value > 0.0 && value <= MAX_LR {
        Ok(value)
    } else {
        Err(format!("the learning rate must be a number above 0 and at most {MAX_LR}, not {}", short_number(value)))
    }
}

/// Weight decay: a number from 0 to [`MAX_WD`].
pub fn wd(value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..=MAX_WD).contains(&value) {
        Ok(value)
    } else {
        Err(format!("the weight decay must be a number from 0 to {MAX_WD}, not {}", short_number(value)))
    }
}

/// Every setting of a fit of `spec` (factors count only for the dot models: the neural
/// ones size their embeddings by fastai's rule).
pub fn fit(spec: &ModelSpec, fit: &FitSettings) -> Result<(), String> {
    if !matches!(spec.kind, ModelKind::CollabNn | ModelKind::EmbeddingNn) {
        factors(spec.n_factors)?;
    }
    epochs(fit.epochs)?;
    lr(fit.schedule.peak())?;
    wd(fit.optim.wd)?;
    Ok(())
}

/// What the data must hold for a fit: a training split with at least one full batch
/// (fastai drops the last partial batch, so a larger batch would train nothing).
pub fn against_data(data: &CollabData) -> Result<(), String> {
    batch_size(data.settings.batch_size)?;
    let (rows, batch) = (data.train.len(), data.settings.batch_size);
    if rows == 0 {
        return Err("the training split is empty: load data with more ratings".into());
    }
    if batch > rows {
        return Err(format!(
            "the batch size {batch} is larger than the {rows} training ratings: choose a batch size of at most {rows}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_cannot_train_and_says_why() {
        assert_eq!(factors(0).unwrap_err(), "the number of factors must be 1 to 400, not 0");
        assert!(factors(1).is_ok() && factors(400).is_ok() && factors(100_000).is_err());
        assert!(epochs(0).is_err());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
            assert!(lr(bad).is_err(), "lr {bad}");
        }
        for bad in [-5.0, f64::NAN, 1e300] {
            assert!(wd(bad).is_err(), "wd {bad}");
        }
        assert!(lr(5e-3).is_ok() && wd(0.0).is_ok() && wd(0.1).is_ok());
        // Echoed as typed, not as 301 digits.
        assert_eq!(wd(1e300).unwrap_err(), "the weight decay must be a number from 0 to 10, not 1e300");
        assert_eq!(lr(1e9).unwrap_err(), "the learning rate must be a number above 0 and at most 10, not 1e9");
    }
}
