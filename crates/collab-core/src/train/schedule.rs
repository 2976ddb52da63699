//! fastai's one-cycle schedule (`fit_one_cycle`), per training batch.
//!
//! The learning rate warms up from `lr_max / 25` to `lr_max` over the first quarter of
//! training with a cosine, then anneals to `lr_max / 1e5`; Adam's beta1 does the
//! opposite, 0.95 -> 0.85 -> 0.95.

use std::f64::consts::PI;

/// fastai's `SchedCos`: cosine interpolation from `start` to `end` as `t` goes 0 -> 1.
pub fn cos_interp(start: f64, end: f64, t: f64) -> f64 {
    start + (1.0 + (PI * (1.0 - t)).cos()) * (end - start) / 2.0
}

/// How the learning rate (and beta1) change over training.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Schedule {
    /// fastai's fit_one_cycle with this peak learning rate.
    OneCycle {
        /// Peak learning rate.
        lr_max: f64,
    },
    /// The same learning rate and beta1 = 0.9 at every step (plain `fit`).
    Constant {
        /// Learning rate.
        lr: f64,
    },
    /// fastai's LR finder (`LRFinder`, a `ParamScheduler` with `SchedExp`): batch `i`
    /// trains at `start · (end / start)^(i / num_it)`; beta1 stays at Adam's 0.9, since
    /// the finder schedules only the learning rate.
    Exponential {
        /// Learning rate of the first batch.
        start: f64,
        /// The rate batch `num_it` would train at (the last one trains just below it).
        end: f64,
        /// Batches of the sweep.
        num_it: usize,
    },
}

/// fastai's defaults: warm up for 25% of the steps, start at lr_max/25, end at lr_max/1e5.
const PCT_START: f64 = 0.25;
const DIV: f64 = 25.0;
const DIV_FINAL: f64 = 1e5;
const MOMS: (f64, f64, f64) = (0.95, 0.85, 0.95);

impl Schedule {
    /// The largest learning rate it reaches (what the bounds check).
    pub fn peak(&self) -> f64 {
        match *self {
            Schedule::OneCycle { lr_max } => lr_max,
            Schedule::Constant { lr } => lr,
            Schedule::Exponential { start, end, .. } => start.max(end),
        }
    }

    /// Learning rate and beta1 at batch `step` (0-based) of `total` batches.
    pub fn at(&self, step: usize, total: usize) -> (f64, f64) {
        match *self {
            Schedule::Constant { lr } => (lr, 0.9),
            Schedule::Exponential { start, end, num_it } => {
                (start * (end / start).powf(step as f64 / num_it.max(1) as f64), 0.9)
            }
            Schedule::OneCycle { lr_max } => {
                // fastai's ParamScheduler: pos = train_iter / total_iters.
                let pos = step as f64 / total.max(1) as f64;
                if pos < PCT_START {
                    let t = pos / PCT_START;
                    (cos_interp(lr_max / DIV, lr_max, t), cos_interp(MOMS.0, MOMS.1, t))
                } else {
                    let t = (pos - PCT_START) / (1.0 - PCT_START);
                    (cos_interp(lr_max, lr_max / DIV_FINAL, t), cos_interp(MOMS.1, MOMS.2, t))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn one_cycle_matches_fastai_at_chosen_steps() {
        let s = Schedule::OneCycle { lr_max: 5e-3 };
        let total = 1000;
        // Start: lr_max/25, beta1 0.95.
        let (lr, mom) = s.at(0, total);
        assert!(close(lr, 2e-4) && close(mom, 0.95), "{lr} {mom}");
        // Peak at 25%.
        let (lr, mom) = s.at(250, total);
        assert!(close(lr, 5e-3) && close(mom, 0.85), "{lr} {mom}");
        // Half-way through the warm-up: the cosine's midpoint.
        let (lr, mom) = s.at(125, total);
        assert!(close(lr, (2e-4 + 5e-3) / 2.0) && close(mom, 0.90), "{lr} {mom}");
        // 40% of the way: fastai's formula written out.
        let t = (0.4 - 0.25) / 0.75;
        let want_lr = 5e-3 + (1.0 + (PI * (1.0 - t)).cos()) * (5e-8 - 5e-3) / 2.0;
        let want_mom = 0.85 + (1.0 + (PI * (1.0 - t)).cos()) * (0.95 - 0.85) / 2.0;
        let (lr, mom) = s.at(400, total);
        assert!(close(lr, want_lr) && close(mom, want_mom), "{lr} {mom}");
        // The end approaches lr_max / 1e5.
        let (lr, mom) = s.at(999, total);
        assert!(lr < 1e-6 && lr > 5e-8 && mom > 0.9499, "{lr} {mom}");
    }

    #[test]
    fn cos_interp_endpoints() {
        assert!(close(cos_interp(1.0, 3.0, 0.0), 1.0));
        assert!(close(cos_interp(1.0, 3.0, 1.0), 3.0));
    }
}
