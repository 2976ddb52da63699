//! The divergence guard: a loss or a weight that stops being a finite number ends the
//! run at the step where it happened, and the learner (or the sheet) keeps the last
//! state whose numbers were all finite. Without it a too-high learning rate trains on
//! in silence to a table of NaN.

use std::fmt;

use super::optimizer::{OptimSettings, WdKind};
use crate::read::ReadError;

/// Why a training step could not go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A device read failed (the WebGPU device was lost, for example).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The numbers stopped being finite.
    #[error("{0}")]
    Diverged(Divergence),
    /// There is nothing to train on (the reason in words).
    #[error("{0}")]
    Nothing(String),
}

/// Where and why the loss stopped being a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The 1-based step whose loss or update was not finite; `None` for a single step
    /// with no count (the spreadsheet's).
    pub step: Option<usize>,
    /// The offending value (NaN or ±infinity).
    pub value: f64,
    /// The most likely cause, in words.
    pub cause: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.value.is_nan() { "NaN (not a number)" } else { "infinite" };
        match self.step {
            Some(step) => write!(f, "the loss became {what} at step {step}: {}", self.cause),
            None => write!(f, "the loss became {what} in this step: {}", self.cause),
        }
    }
}

impl Divergence {
    /// A divergence at `step` under learning rate `lr` and `optim`'s weight decay.
    pub fn new(step: Option<usize>, value: f64, lr: f64, optim: &OptimSettings) -> Self {
        Self { step, value, cause: cause(lr, optim) }
    }
}

/// A number as a person would type it, to four significant digits: `0.005`, `0.9814`,
/// `1e9`, `1.5e-7`.
pub fn short_number(x: f64) -> String {
    fn trim(digits: String) -> String {
        if digits.contains('.') { digits.trim_end_matches('0').trim_end_matches('.').to_string() } else { digits }
    }
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    if x.abs() >= 1e4 || x.abs() < 1e-3 {
        let text = format!("{x:.3e}");
        let (mantissa, exponent) = text.split_once('e').expect("{:e} always writes an exponent");
        return format!("{}e{exponent}", trim(mantissa.to_string()));
    }
    let decimals = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    trim(format!("{x:.decimals$}"))
}

/// The likeliest reason, from the settings alone: a weight decay of 1 or more whose
/// shrink factor `1 - lr * wd` (L2: `1 - 2 lr wd`) leaves (0, 1) flips and grows the
/// weights every step; otherwise the learning rate.
fn cause(lr: f64, optim: &OptimSettings) -> String {
    let (lr_s, wd_s) = (short_number(lr), short_number(optim.wd));
    let shrink = match optim.wd_kind {
        WdKind::Decoupled => lr * optim.wd,
        WdKind::L2 => 2.0 * lr * optim.wd,
    };
    let decay_too_strong = optim.wd >= 1.0 && shrink >= 1.0;
    if decay_too_strong {
        format!("weight decay {wd_s} is too strong for learning rate {lr_s}; lower one of them")
    } else {
        format!("learning rate {lr_s} is too high; try a smaller one")
    }
}

/// True when every value is a finite number.
pub fn all_finite(values: &[f32]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// The first value that is not finite, if any.
pub fn first_non_finite(values: &[f32]) -> Option<f64> {
    values.iter().find(|v| !v.is_finite()).map(|&v| v as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_typed() {
        let cases = [
            (0.005, "0.005"),
            (0.9814034560968908, "0.9814"),
            (1e9, "1e9"),
            (1.5e-7, "1.5e-7"),
            (10.0, "10"),
            (0.1, "0.1"),
        ];
        for (x, want) in cases {
            assert_eq!(short_number(x), want);
        }
    }

    #[test]
    fn says_step_value_and_cause() {
        let adam = OptimSettings::default();
        let d = Divergence::new(Some(7), f64::NAN, 1e9, &adam);
        assert_eq!(
            d.to_string(),
            "the loss became NaN (not a number) at step 7: learning rate 1e9 is too high; try a smaller one"
        );
        let heavy = OptimSettings { wd: 1e300, ..adam };
        let d = Divergence::new(None, f64::INFINITY, 5e-3, &heavy);
        assert_eq!(
            d.to_string(),
            "the loss became infinite in this step: weight decay 1e300 is too strong for learning rate 0.005; lower one of them"
        );
    }
}
