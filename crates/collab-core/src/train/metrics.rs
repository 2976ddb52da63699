//! What fastai prints per epoch, and the smoothed training loss behind it.

use serde::{Deserialize, Serialize};

/// One row of fastai's table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 0-based epoch.
    pub epoch: usize,
    /// Smoothed training loss at the end of the epoch.
    pub train_loss: f64,
    /// Mean squared error on the validation split.
    pub valid_loss: f64,
    /// Its square root.
    pub rmse: f64,
    /// Seconds the epoch took (training and validation), as the caller's clock says.
    pub seconds: f64,
}

impl EpochMetrics {
    /// Epoch `epoch`'s row from its two losses (the RMSE is the valid loss's root).
    pub fn new(epoch: usize, train_loss: f64, valid_loss: f64, seconds: f64) -> Self {
        Self { epoch, train_loss, valid_loss, rmse: valid_loss.sqrt(), seconds }
    }

    /// The rows of a course of `(train, valid)` losses, one an epoch (for tests and examples).
    pub fn course(losses: &[(f64, f64)]) -> Vec<Self> {
        losses.iter().enumerate().map(|(epoch, &(train, valid))| Self::new(epoch, train, valid, 0.0)).collect()
    }
}

/// fastai's AvgSmoothLoss: an exponential moving average (beta 0.98), debiased.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SmoothLoss {
    value: f64,
    count: i32,
}

/// fastai's smoothing factor.
pub const SMOOTH_BETA: f64 = 0.98;

impl SmoothLoss {
    /// Adds one batch loss.
    pub fn push(&mut self, loss: f64) {
        self.count += 1;
        self.value = SMOOTH_BETA * self.value + (1.0 - SMOOTH_BETA) * loss;
    }

    /// The debiased average so far (NaN before any batch).
    pub fn get(&self) -> f64 {
        self.value / (1.0 - SMOOTH_BETA.powi(self.count))
    }
}

/// fastai's table as text: `epoch  train_loss  valid_loss  time`.
pub fn format_table(rows: &[EpochMetrics]) -> String {
    let mut out = format!("{:<7}{:<12}{:<12}{:<10}{}\n", "epoch", "train_loss", "valid_loss", "rmse", "time");
    for r in rows {
        let secs = r.seconds.round() as u64;
        out.push_str(&format!(
            "{:<7}{:<12.6}{:<12.6}{:<10.4}{:02}:{:02}\n",
            r.epoch,
            r.train_loss,
            r.valid_loss,
            r.rmse,
            secs / 60,
            secs % 60
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_loss_is_debiased() {
        let mut s = SmoothLoss::default();
        s.push(2.0);
        assert!((s.get() - 2.0).abs() < 1e-12, "first value is the loss itself");
        s.push(1.0);
        let want = (0.98 * 0.02 * 2.0 + 0.02 * 1.0) / (1.0 - 0.98f64.powi(2));
        assert!((s.get() - want).abs() < 1e-12);
    }
}
