//! What a fit that learned nothing says about its settings, read from its losses.
//!
//! A fit whose validation loss ends no better than always predicting the mean training
//! rating failed for one of three reasons, and each has its own remedy. The course of
//! the losses tells them apart (the rate's size alone does not: 0.005 is too low for a
//! table of 500 ratings and right for 100,000):
//! - the training loss fell below the mean's loss while the validation loss did not:
//!   the model memorised its training ratings (more weight decay, fewer factors);
//! - the validation loss barely moved, or fell at every epoch without getting there:
//!   the steps were too small (a higher learning rate);
//! - the validation loss rose above where it started, or went up and down: the steps
//!   overshoot (a lower learning rate).

use super::guard::short_number;
use super::metrics::EpochMetrics;

/// A validation loss that moved by less than this share of where it started did not move.
const STILL: f64 = 0.01;
/// An epoch whose validation loss is over the previous one by more than this share rose.
const ROSE: f64 = 0.01;
/// A training loss under this share of the mean's loss fitted the training ratings.
const FITTED: f64 = 0.9;

/// Why a fit learned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The losses fell too slowly, or not at all.
    RateTooLow,
    /// The validation loss rose or jumped about.
    RateTooHigh,
    /// The training loss fell, the validation loss did not.
    Memorised,
}

/// The losses a verdict is read from.
#[derive(Debug, Clone, Copy)]
pub struct Course<'a> {
    /// Validation loss of the untrained model.
    pub start: f64,
    /// Each closed epoch's row.
    pub epochs: &'a [EpochMetrics],
    /// Validation loss of always predicting the mean training rating.
    pub baseline: f64,
}

impl Course<'_> {
    /// `None` when the fit learned something (its last validation loss beats the
    /// baseline) or when the numbers are not there to judge.
    pub fn verdict(&self) -> Option<Verdict> {
        let last = self.epochs.last()?;
        let valid = last.valid_loss;
        if ![self.start, valid, self.baseline, last.train_loss].iter().all(|x| x.is_finite()) || valid < self.baseline {
            return None;
        }
        if last.train_loss < FITTED * self.baseline {
            return Some(Verdict::Memorised);
        }
        if (valid - self.start).abs() <= STILL * self.start {
            return Some(Verdict::RateTooLow);
        }
        let mut before = self.start;
        let mut rose = false;
        for row in self.epochs {
            rose |= row.valid_loss > before * (1.0 + ROSE);
            before = row.valid_loss;
        }
        Some(if rose || valid > self.start { Verdict::RateTooHigh } else { Verdict::RateTooLow })
    }

    /// The verdict in the visitor's words, with the numbers it was read from and what
    /// to try next.
    pub fn advice(&self, lr: f64, wd: f64) -> Option<String> {
        let verdict = self.verdict()?;
        let last = self.epochs.last()?;
        let (start, valid, base) = (self.start, last.valid_loss, self.baseline);
        let average = format!("no better than always predicting the average rating ({base:.4})");
        Some(match verdict {
            Verdict::RateTooLow => format!(
                "this fit learned too little: its valid loss went only from {start:.4} to {valid:.4}, {average}; \
                 the steps were too small: the learning rate {} is probably too low, try {}",
                short_number(lr),
                short_number(lr * 10.0)
            ),
            Verdict::RateTooHigh => format!(
                "this fit learned nothing: its valid loss went from {start:.4} to {valid:.4}, rising or jumping \
                 about, {average}; the steps overshoot: the learning rate {} is probably too high, try {}",
                short_number(lr),
                short_number(lr / 10.0)
            ),
            Verdict::Memorised => format!(
                "this fit memorised its training ratings: its training loss fell to {:.4} but its valid loss \
                 {valid:.4} is {average}; more weight decay (now {}) or fewer factors would help",
                last.train_loss,
                short_number(wd)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(start: f64, losses: &[(f64, f64)]) -> Option<Verdict> {
        Course { start, epochs: &EpochMetrics::course(losses), baseline: 1.0 }.verdict()
    }

    #[test]
    fn each_course_of_the_losses_has_its_verdict() {
        // Learned: the last valid loss beats the baseline, whatever came before.
        assert_eq!(verdict(2.0, &[(3.0, 3.0), (0.95, 0.9)]), None);
        // Did not move at all (lr 1e-30), either way within 1%.
        assert_eq!(verdict(2.0, &[(2.0, 2.0), (2.01, 2.01)]), Some(Verdict::RateTooLow));
        assert_eq!(verdict(2.0, &[(2.0, 1.99)]), Some(Verdict::RateTooLow));
        // Fell at every epoch, not far enough.
        assert_eq!(verdict(2.0, &[(1.9, 1.8), (1.6, 1.5), (1.4, 1.3)]), Some(Verdict::RateTooLow));
        // Ended above where it started.
        assert_eq!(verdict(2.0, &[(3.0, 3.0)]), Some(Verdict::RateTooHigh));
        // Ended lower, but rose on the way: jumping about.
        assert_eq!(verdict(2.0, &[(1.5, 1.5), (2.5, 2.5), (1.4, 1.4)]), Some(Verdict::RateTooHigh));
        // The training loss fell well under the mean's, the valid loss did not follow.
        assert_eq!(verdict(2.0, &[(0.5, 1.2), (0.3, 1.4)]), Some(Verdict::Memorised));
        // Nothing to judge.
        assert_eq!(verdict(2.0, &[]), None);
        assert_eq!(verdict(f64::NAN, &[(3.0, 3.0)]), None);
    }

    #[test]
    fn the_advice_points_the_way_its_verdict_does() {
        let course = |losses: &[(f64, f64)]| {
            Course { start: 2.0, epochs: &EpochMetrics::course(losses), baseline: 1.0 }.advice(5e-3, 0.1)
        };
        let low = course(&[(1.9, 1.8)]).unwrap();
        assert!(low.contains("went only from 2.0000 to 1.8000"), "{low}");
        assert!(low.contains("the learning rate 0.005 is probably too low, try 0.05"), "{low}");
        let high = course(&[(3.0, 3.0)]).unwrap();
        assert!(high.contains("the learning rate 0.005 is probably too high, try 5e-4"), "{high}");
        let memorised = course(&[(0.3, 1.4)]).unwrap();
        assert!(memorised.contains("more weight decay (now 0.1) or fewer factors"), "{memorised}");
        assert!(!memorised.contains("learning rate"), "{memorised}");
    }
}
