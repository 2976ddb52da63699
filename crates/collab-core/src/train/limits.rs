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

pub use super::gpu::largest_buffer;

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

/// The bytes of `spec`'s tables (factors and biases): the size of the one buffer the GPU
/// step keeps them in (Adam's two averages are two more of the same size).
pub fn tables_bytes(spec: &ModelSpec) -> u64 {
    let (users, items) = spec.table_shapes();
    // Each row's factors and its bias.
    let rows = |[n, k]: [usize; 2]| (n as u64).saturating_mul(k as u64 + 1);
    let numbers = rows(users).saturating_add(rows(items));
    numbers.saturating_mul(4)
}

/// Whether a fit of `spec` fits `device`: on a GPU its tables must fit the largest
/// buffer the device binds ([`super::gpu::largest_buffer`]; 400 factors of ml-25m's
/// 162,541 users and 62,423 movies take 345 MB), or the fit is refused in words before
/// anything is built, and the page trains on the CPU.
pub fn on_device(spec: &ModelSpec, device: &burn::tensor::Device) -> Result<(), String> {
    within_buffer(tables_bytes(spec), largest_buffer(device))
}

fn within_buffer(bytes: u64, largest: Option<u64>) -> Result<(), String> {
    match largest {
        Some(largest) if bytes > largest => Err(format!(
            "the model's tables take {} MB, more than the {} MB this GPU holds in one buffer: train on the CPU, \
             or with fewer factors",
            bytes.div_ceil(1 << 20),
            largest >> 20
        )),
        _ => Ok(()),
    }
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
    fn a_gpu_takes_only_tables_that_fit_its_largest_buffer() {
        use crate::model::ModelKind;
        // ml-25m's vocabularies (with `#na#`) at the lesson's 50 factors and at 400.
        let at = |n_factors| ModelSpec { n_factors, ..ModelSpec::new(ModelKind::DotProductBias, 162_542, 62_425) };
        assert_eq!(tables_bytes(&at(50)), (162_542 + 62_425) * 51 * 4);
        let big = tables_bytes(&at(400));
        assert_eq!(big.div_ceil(1 << 20), 345);
        let webgpu_default = 128 << 20;
        assert!(within_buffer(tables_bytes(&at(50)), Some(webgpu_default)).is_ok(), "46 MB fits");
        assert_eq!(
            within_buffer(big, Some(webgpu_default)).unwrap_err(),
            "the model's tables take 345 MB, more than the 128 MB this GPU holds in one buffer: train on the CPU, or \
             with fewer factors"
        );
        assert!(within_buffer(big, Some(2 << 30)).is_ok());
        assert!(within_buffer(u64::MAX, None).is_ok(), "the CPU has no such limit");
        assert!(on_device(&at(400), &burn::tensor::Device::flex()).is_ok());
    }

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
