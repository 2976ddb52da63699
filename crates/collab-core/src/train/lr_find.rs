//! fastai's learning-rate finder, `learn.lr_find()` as fastai 2.8 has it
//! (fastai/callback/schedule.py: `LRFinder`, `valley`, and `Learner.lr_find`).
//!
//! A mock fit from the current weights: batch `i` trains at `1e-7 · (10 / 1e-7)^(i / 100)`,
//! and after each batch the smoothed training loss (fastai's Recorder: an exponential
//! moving average, beta 0.98, debiased) is recorded with that batch's learning rate. The
//! sweep stops after 100 batches, or as soon as the smoothed loss exceeds four times the
//! lowest so far. The model is thrown away afterwards (fastai saves and reloads it), so
//! a sweep never changes a fit.
//!
//! The suggestion is fastai's default, `valley`: on the recorded curve less its first
//! tenth of `num_it` points and its last five (and anything from the first NaN on), the
//! longest run of falling losses (a longest decreasing subsequence), and the point about
//! half way into it (`max_start + int(s) + int(s/2)`, `s` a third of its length).

use serde::{Deserialize, Serialize};

use super::fit_settings::FitSettings;
use super::guard::TrainError;
use super::learner::Learner;
use super::metrics::SmoothLoss;
use super::optimizer::OptimSettings;
use super::schedule::Schedule;
use crate::read;

/// `lr_find`'s first learning rate.
pub const START_LR: f64 = 1e-7;
/// `lr_find`'s `end_lr`: the rate batch `num_it` would train at.
pub const END_LR: f64 = 10.0;
/// `lr_find`'s batches.
pub const NUM_IT: usize = 100;
/// The weight decay `learn.lr_find()` trains with when the learner was made without one
/// (as `collab_learner(dls, …)` is): Adam's own default.
pub const WD: f64 = 0.01;

/// The learning-rate schedule of a sweep of `num_it` batches (`LRFinder` raises fewer
/// than 6 to 6).
pub fn schedule(num_it: usize) -> Schedule {
    Schedule::Exponential { start: START_LR, end: END_LR, num_it: num_it.max(6) }
}

/// The fit a sweep of `num_it` batches runs, with `optim`'s optimizer and weight decay:
/// fastai's `n_epoch = num_it // len(dls.train) + 1` epochs of the exponential schedule.
pub fn fit_settings(num_it: usize, batches_per_epoch: usize, optim: OptimSettings, seed: u64) -> FitSettings {
    FitSettings { epochs: num_it / batches_per_epoch.max(1) + 1, schedule: schedule(num_it), optim, seed }
}

/// Why a sweep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stop {
    /// All `num_it` batches ran.
    Done,
    /// The smoothed loss went above four times its lowest value.
    Diverged,
    /// The smoothed loss stopped being a number. fastai runs on (NaN is never above four
    /// times anything) and records NaN to the end; the sweep records the same NaNs
    /// without computing them.
    NotANumber,
}

/// The recorded curve: fastai's `recorder.lrs` and `recorder.losses` after `lr_find`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// `num_it` as asked (the suggestion's cut uses it as given).
    pub num_it: usize,
    /// The learning rate of each batch taken.
    pub lrs: Vec<f64>,
    /// The smoothed loss after each batch.
    pub losses: Vec<f64>,
    /// `None` while it runs.
    pub stop: Option<Stop>,
    smooth: SmoothLoss,
    best: f64,
}

/// A suggested learning rate and the point of the curve it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The learning rate, as fastai returns it: a float32 (its `lrs` are a tensor).
    pub lr: f64,
    /// The smoothed loss there.
    pub loss: f64,
    /// Its index in [`Sweep::lrs`].
    pub index: usize,
}

impl Sweep {
    /// A sweep of `num_it` batches, nothing recorded yet.
    pub fn new(num_it: usize) -> Self {
        Sweep {
            num_it,
            lrs: Vec::new(),
            losses: Vec::new(),
            stop: None,
            smooth: SmoothLoss::default(),
            best: f64::INFINITY,
        }
    }

    /// True while batches remain to be taken.
    pub fn going(&self) -> bool {
        self.stop.is_none()
    }

    /// The learning rate of the next batch.
    pub fn next_lr(&self) -> f64 {
        schedule(self.num_it).at(self.lrs.len(), 0).0
    }

    /// Records the loss of the batch just taken at [`Sweep::next_lr`] (fastai's
    /// Recorder, then `LRFinder.after_batch`).
    pub fn record(&mut self, loss: f64) {
        if !self.going() {
            return;
        }
        let lr = self.next_lr();
        self.smooth.push(loss);
        let smoothed = self.smooth.get();
        self.lrs.push(lr);
        self.losses.push(smoothed);
        let num_it = self.num_it.max(6);
        if smoothed.is_nan() {
            // NaN stays NaN in the moving average: the rest of fastai's record.
            while self.lrs.len() < num_it {
                self.lrs.push(self.next_lr());
                self.losses.push(f64::NAN);
            }
            self.stop = Some(Stop::NotANumber);
            return;
        }
        self.best = self.best.min(smoothed);
        if smoothed > 4.0 * self.best {
            self.stop = Some(Stop::Diverged);
        } else if self.lrs.len() >= num_it {
            self.stop = Some(Stop::Done);
        }
    }

    /// fastai's default suggestion, `valley`, on the curve as `lr_find` cuts it; `None`
    /// when too little of it is left (fastai would fail on an empty tensor).
    pub fn suggestion(&self) -> Option<Suggestion> {
        let (from, _, losses) = self.cut()?;
        self.at(from + valley(&losses)?)
    }

    /// fastai's `steep` suggestion (`SuggestionMethod.Steep`): where the cut curve falls
    /// fastest against the log of the rate.
    pub fn steep(&self) -> Option<Suggestion> {
        let (from, lrs, losses) = self.cut()?;
        self.at(from + steep(&lrs, &losses)?)
    }

    /// The curve as `lr_find` hands it to a suggestion: `[num_it // 10 : -5]`, then up to
    /// the first NaN; as float32, as fastai's tensors hold it. With where it starts.
    fn cut(&self) -> Option<(usize, Vec<f32>, Vec<f32>)> {
        let from = self.num_it / 10;
        let to = self.losses.len().saturating_sub(5);
        if from >= to {
            return None;
        }
        let mut losses: Vec<f32> = self.losses[from..to].iter().map(|&l| l as f32).collect();
        if let Some(nan) = losses.iter().position(|l| l.is_nan()) {
            losses.truncate(nan);
        }
        let lrs = self.lrs[from..from + losses.len()].iter().map(|&l| l as f32).collect();
        Some((from, lrs, losses))
    }

    fn at(&self, index: usize) -> Option<Suggestion> {
        Some(Suggestion { lr: *self.lrs.get(index)? as f32 as f64, loss: self.losses[index], index })
    }
}

/// fastai's `steep`: the index of the steepest fall, `argmin((losses[1:] - losses[:-1]) /
/// (log(lrs[1:]) - log(lrs[:-1])))` (its first, as torch's argmin); `None` for fewer than
/// two points.
pub fn steep(lrs: &[f32], losses: &[f32]) -> Option<usize> {
    let slopes = (1..losses.len()).map(|i| (losses[i] - losses[i - 1]) / (lrs[i].ln() - lrs[i - 1].ln()));
    let mut best: Option<(usize, f32)> = None;
    for (i, g) in slopes.enumerate() {
        if best.is_none_or(|(_, b)| g < b) {
            best = Some((i, g));
        }
    }
    best.map(|(i, _)| i)
}

/// fastai's `valley` on `losses`: the index it picks, or `None` for no losses. Written as
/// fastai writes it, quirks included: the longest valley's start is `max_end - lds[max_end]`,
/// one before its first point, and an index of -1 is Python's last element.
pub fn valley(losses: &[f32]) -> Option<usize> {
    let n = losses.len();
    if n == 0 {
        return None;
    }
    let (mut max_start, mut max_end) = (0isize, 0usize);
    let mut lds = vec![1usize; n];
    for i in 1..n {
        for j in 0..i {
            if losses[i] < losses[j] && lds[i] < lds[j] + 1 {
                lds[i] = lds[j] + 1;
            }
            if lds[max_end] < lds[i] {
                max_end = i;
                max_start = max_end as isize - lds[max_end] as isize;
            }
        }
    }
    let sections = (max_end as isize - max_start) as f64 / 3.0;
    let idx = max_start + sections as isize + (sections / 2.0) as isize;
    Some(if idx < 0 { (n as isize + idx) as usize } else { idx as usize })
}

/// Runs a sweep on `learner`, a fresh one made with [`fit_settings`]: a batch at a time,
/// each loss read as it comes (the stop rule needs it). Epochs are closed as the learner
/// needs (fastai skips validation during a sweep; here it is computed and not used).
pub async fn run(learner: &mut Learner) -> Result<Sweep, TrainError> {
    let Schedule::Exponential { num_it, .. } = learner.settings().schedule else {
        return Err(TrainError::Nothing("a learning-rate sweep needs the finder's schedule".into()));
    };
    let mut sweep = Sweep::new(num_it);
    while sweep.going() {
        let Some(step) = learner.train_batch() else {
            if !learner.epoch_complete() {
                return Err(TrainError::Nothing("the sweep ran out of batches".into()));
            }
            match learner.end_epoch(&|| 0.0).await {
                Ok(_) => continue,
                // The last update left a weight that is not a number: the next loss is NaN.
                Err(TrainError::Diverged(_)) => {
                    sweep.record(f64::NAN);
                    continue;
                }
                Err(e) => return Err(e),
            }
        };
        let loss = read::floats(step.loss).await?[0];
        sweep.record(loss as f64);
    }
    Ok(sweep)
}

#[cfg(test)]
mod tests {
    //! Expected numbers computed with fastai's formulas written out in plain Python
    //! (`sched_exp`, Recorder's `torch.lerp(loss, val, 0.98)` debiased by `1 - 0.98**count`,
    //! `LRFinder.after_batch`'s stop rule, `lr_find`'s `[num_it//10:-5]` cut and `valley`).

    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn the_schedule_is_fastais_sched_exp() {
        // sched_exp(1e-7, 10, i/100) for i = 0, 1, 25, 50, 99.
        let want =
            [(0, 1e-7), (1, 1.202264434617413e-07), (25, 9.999999999999999e-06), (50, 0.001), (99, 8.317637711026709)];
        let s = schedule(NUM_IT);
        for (i, lr) in want {
            let (got, beta1) = s.at(i, 0);
            assert!(close(got, lr, 1e-12), "batch {i}: {got} against {lr}");
            assert_eq!(beta1, 0.9, "the finder leaves Adam's beta1 at 0.9");
        }
        // LRFinder raises num_it to 6: sched_exp(1e-7, 10, 5/6).
        assert!(close(schedule(3).at(5, 0).0, 0.4641588833612782, 1e-12));
        // n_epoch = num_it // len(dls.train) + 1.
        let optim = OptimSettings::default();
        assert_eq!(fit_settings(100, 1250, optim, 1).epochs, 1);
        assert_eq!(fit_settings(100, 30, optim, 1).epochs, 4);
        assert_eq!(fit_settings(100, 100, optim, 1).epochs, 2);
    }

    /// The raw batch loss of a made-up model as a function of log10(lr): high and flat,
    /// falling around 1e-3, blowing up above 1.
    fn falling_then_rising(i: usize, blow_up: f64, shift: f64) -> f64 {
        let x = schedule(NUM_IT).at(i, 0).0.log10();
        1.0 + 0.8 / (1.0 + (2.0 * (x + 3.0)).exp()) + (blow_up * (x + shift)).exp()
    }

    fn sweep_of(losses: impl Iterator<Item = f64>) -> Sweep {
        let mut sweep = Sweep::new(NUM_IT);
        for loss in losses {
            sweep.record(loss);
            if !sweep.going() {
                break;
            }
        }
        sweep
    }

    #[test]
    fn the_recorder_smooths_and_the_sweep_runs_to_num_it() {
        let sweep = sweep_of((0..200).map(|i| falling_then_rising(i, 2.5, -0.2)));
        assert_eq!(sweep.stop, Some(Stop::Done));
        assert_eq!(sweep.lrs.len(), 100);
        let first = [1.7997317351256077, 1.7997082362242254, 1.7996818375148722];
        for (got, want) in sweep.losses.iter().zip(first) {
            assert!(close(*got, want, 1e-12), "{got} against {want}");
        }
        assert!(close(sweep.losses[40], 1.768752261254246, 1e-12));
        assert!(close(sweep.losses[99], 1.9317750924093855, 1e-12));
        // valley: index 36 of the cut curve (10 + 36 of the record), lr 4.786300923226385e-4
        // (as a float32).
        let s = sweep.suggestion().unwrap();
        assert_eq!(s.index, 46);
        assert_eq!(s.lr, 0.0004786300923226385f64 as f32 as f64);
        assert!(close(s.loss, 1.7349114896086186, 1e-12));
        // steep: the slope's argmin at index 49 of the cut curve, lr 5.248074602497722e-3.
        let s = sweep.steep().unwrap();
        assert_eq!((s.index, s.lr), (10 + 49, 0.005248074602497722f64 as f32 as f64));
    }

    #[test]
    fn the_sweep_stops_at_four_times_the_lowest_loss() {
        let sweep = sweep_of((0..200).map(|i| falling_then_rising(i, 4.0, 0.5)));
        assert_eq!(sweep.stop, Some(Stop::Diverged));
        assert_eq!(sweep.lrs.len(), 95, "the batch that crossed 4× is recorded, as fastai's Recorder runs first");
        assert!(close(*sweep.lrs.last().unwrap(), 3.3113112148259076, 1e-12));
        assert!(close(*sweep.losses.last().unwrap(), 6.061402353499756, 1e-12));
        let min = sweep.losses.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(close(min, 1.405110168860419, 1e-12) && sweep.losses[78] == min);
        let s = sweep.suggestion().unwrap();
        assert_eq!(s.index, 10 + 33);
        assert_eq!(s.lr, 0.0002754228703338166f64 as f32 as f64);
        assert!(close(s.loss, 1.7543914195174555, 1e-12));
        assert_eq!(sweep.steep().unwrap().index, 10 + 49);
    }

    #[test]
    fn a_nan_is_recorded_to_the_end_and_the_suggestion_cut_before_it() {
        let sweep = sweep_of((0..100).map(|i| if i < 60 { falling_then_rising(i, 2.5, -0.2) } else { f64::NAN }));
        assert_eq!(sweep.stop, Some(Stop::NotANumber));
        assert_eq!(sweep.lrs.len(), 100);
        assert!(sweep.losses[59].is_finite() && sweep.losses[60..].iter().all(|l| l.is_nan()));
        assert!(close(sweep.lrs[99], 8.317637711026709, 1e-12));
        let s = sweep.suggestion().unwrap();
        assert_eq!(s.index, 10 + 23);
        assert_eq!(s.lr, 4.365158322401661e-05f64 as f32 as f64);
        assert!(close(s.loss, 1.787628492963938, 1e-12));
    }

    #[test]
    fn valley_is_fastais_including_its_quirks() {
        // lds = [1, 2, 1, 3, 4, 1, 5]: max_end 6, max_start 6 - 5 = 1, sections 5/3:
        // idx = 1 + 1 + 0 = 2 (fastai returns lrs[2] = 30.0).
        assert_eq!(valley(&[3.0, 2.0, 4.0, 1.0, 0.5, 5.0, 0.2]), Some(2));
        // Falling from the first point: max_start = 1 - 2 = -1, idx = -1 + 0 + 0 = -1,
        // which Python reads as the last element.
        assert_eq!(valley(&[2.0, 1.0]), Some(1));
        // [5,6,4,3,7,2,1,0.5,0.4,9]: fastai returns lrs[4] = 5.0.
        assert_eq!(valley(&[5.0, 6.0, 4.0, 3.0, 7.0, 2.0, 1.0, 0.5, 0.4, 9.0]), Some(4));
        assert_eq!(valley(&[]), None);
        // Too short a record for lr_find's cut.
        let mut short = Sweep::new(NUM_IT);
        (0..15).for_each(|_| short.record(1.0));
        assert_eq!(short.suggestion(), None);
    }
}
