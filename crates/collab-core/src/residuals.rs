//! Where a fit is wrong: its predictions of the validation ratings held against the
//! ratings (fastai's `show_results`, for the whole split at once), the error by how many
//! training ratings a user or a movie had (the cold-start curve), and the worst
//! predictions. Any model: it needs only the predictions.

use serde::{Deserialize, Serialize};

use crate::data::Encoded;

/// Validation ratings drawn on the scatter: every k-th, at most this many.
pub const POINTS: usize = 400;
/// The worst predictions listed.
pub const WORST: usize = 10;
/// Where the count bins start: 0 (never seen in training), 1–4, 5–9, 10–19, 20–49,
/// 50–99, 100 and more training ratings.
pub const EDGES: [usize; 7] = [0, 1, 5, 10, 20, 50, 100];

/// One validation rating and the model's prediction of it (indices as the data encodes them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rated {
    /// User index.
    pub user: i32,
    /// Movie index.
    pub item: i32,
    /// The rating.
    pub actual: f32,
    /// The model's prediction of it.
    pub predicted: f32,
}

impl Rated {
    /// Prediction minus rating.
    pub fn error(&self) -> f64 {
        self.predicted as f64 - self.actual as f64
    }
}

/// The validation ratings of users (or movies) with `from..=to` training ratings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CountBin {
    /// Fewest training ratings in the bin.
    pub from: usize,
    /// `None`: no upper end.
    pub to: Option<usize>,
    /// Validation ratings in the bin.
    pub ratings: usize,
    /// Their root mean squared error (NaN when the bin is empty).
    pub rmse: f64,
}

/// The validation ratings of one value (3, or 3.5 in the half-star releases).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ByRating {
    /// The rating.
    pub rating: f32,
    /// Validation ratings of that value.
    pub count: usize,
    /// The mean prediction for them.
    pub mean_predicted: f64,
    /// Their RMSE.
    pub rmse: f64,
}

/// The validation split's errors, summed up for the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residuals {
    /// Validation ratings.
    pub count: usize,
    /// Their RMSE: the square root of the fit's last valid loss.
    pub rmse: f64,
    /// Every k-th validation rating, at most [`POINTS`], in the split's order.
    pub points: Vec<Rated>,
    /// Per rating value, lowest first.
    pub by_rating: Vec<ByRating>,
    /// By the user's training ratings ([`EDGES`]).
    pub by_user: Vec<CountBin>,
    /// By the movie's training ratings ([`EDGES`]).
    pub by_item: Vec<CountBin>,
    /// The [`WORST`] largest errors, largest first.
    pub worst: Vec<Rated>,
}

impl Residuals {
    /// The errors of `predicted` (one per rating of `valid`, in order), with the counts
    /// of users and movies taken from `train`.
    pub fn new(valid: &Encoded, predicted: &[f32], train: &Encoded) -> Self {
        let rated: Vec<Rated> = (0..valid.len().min(predicted.len()))
            .map(|r| Rated {
                user: valid.users[r],
                item: valid.items[r],
                actual: valid.ratings[r],
                predicted: predicted[r],
            })
            .collect();
        let counts = |ids: &[i32]| {
            let mut counts = Vec::new();
            for &id in ids {
                let id = id.max(0) as usize;
                if id >= counts.len() {
                    counts.resize(id + 1, 0usize);
                }
                counts[id] += 1;
            }
            counts
        };
        let (user_counts, item_counts) = (counts(&train.users), counts(&train.items));
        let count_of = |counts: &[usize], id: i32| counts.get(id.max(0) as usize).copied().unwrap_or(0);
        let step = rated.len().div_ceil(POINTS).max(1);
        let mut worst = rated.clone();
        worst.sort_by(|a, b| b.error().abs().total_cmp(&a.error().abs()));
        worst.truncate(WORST);
        Residuals {
            count: rated.len(),
            rmse: rmse(rated.iter()),
            points: rated.iter().step_by(step).copied().collect(),
            by_rating: by_rating(&rated),
            by_user: bins(&rated, |r| count_of(&user_counts, r.user)),
            by_item: bins(&rated, |r| count_of(&item_counts, r.item)),
            worst,
        }
    }
}

fn rmse<'a>(rated: impl Iterator<Item = &'a Rated>) -> f64 {
    let (sum, n) = rated.fold((0.0, 0usize), |(s, n), r| (s + r.error() * r.error(), n + 1));
    (sum / n as f64).sqrt()
}

fn by_rating(rated: &[Rated]) -> Vec<ByRating> {
    let mut values: Vec<f32> = rated.iter().map(|r| r.actual).collect();
    values.sort_by(f32::total_cmp);
    values.dedup();
    values
        .into_iter()
        .map(|rating| {
            let these: Vec<&Rated> = rated.iter().filter(|r| r.actual == rating).collect();
            let mean = these.iter().map(|r| r.predicted as f64).sum::<f64>() / these.len() as f64;
            ByRating { rating, count: these.len(), mean_predicted: mean, rmse: rmse(these.into_iter()) }
        })
        .collect()
}

fn bins(rated: &[Rated], count: impl Fn(&Rated) -> usize) -> Vec<CountBin> {
    EDGES
        .iter()
        .enumerate()
        .map(|(n, &from)| {
            let to = EDGES.get(n + 1).map(|next| next - 1);
            let inside: Vec<&Rated> =
                rated.iter().filter(|r| count(r) >= from && to.is_none_or(|t| count(r) <= t)).collect();
            CountBin { from, to, ratings: inside.len(), rmse: rmse(inside.into_iter()) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(users: &[i32], items: &[i32], ratings: &[f32]) -> Encoded {
        Encoded { users: users.to_vec(), items: items.to_vec(), ratings: ratings.to_vec() }
    }

    #[test]
    fn bins_count_training_ratings_and_the_worst_come_first() {
        // User 1 has 5 training ratings, user 2 one, user 3 none; item 7 has 6.
        let train = rows(&[1, 1, 1, 1, 1, 2], &[7, 7, 7, 7, 7, 7], &[3.0; 6]);
        let valid = rows(&[1, 2, 3, 3], &[7, 8, 7, 9], &[4.0, 2.0, 5.0, 1.0]);
        let predicted = [3.5, 2.0, 3.0, 2.5];
        let r = Residuals::new(&valid, &predicted, &train);
        assert_eq!(r.count, 4);
        let mse: f64 = (0.25 + 0.0 + 4.0 + 2.25) / 4.0;
        assert!((r.rmse - mse.sqrt()).abs() < 1e-12);
        // Users: 0 ratings → user 3 (two ratings), 1–4 → user 2, 5–9 → user 1.
        let users: Vec<(usize, usize)> = r.by_user.iter().map(|b| (b.from, b.ratings)).collect();
        assert_eq!(users, vec![(0, 2), (1, 1), (5, 1), (10, 0), (20, 0), (50, 0), (100, 0)]);
        assert!((r.by_user[0].rmse - ((4.0 + 2.25) / 2.0f64).sqrt()).abs() < 1e-12);
        assert!(r.by_user[3].rmse.is_nan(), "an empty bin has no error");
        assert_eq!((r.by_user[1].to, r.by_user[6].to), (Some(4), None));
        // Items: 7 has 6 (two ratings), 8 and 9 none.
        let items: Vec<(usize, usize)> = r.by_item.iter().map(|b| (b.from, b.ratings)).filter(|b| b.1 > 0).collect();
        assert_eq!(items, vec![(0, 2), (5, 2)]);
        // Worst first; every rating a point (fewer than POINTS).
        let worst: Vec<f32> = r.worst.iter().map(|w| w.actual).collect();
        assert_eq!(worst, vec![5.0, 1.0, 4.0, 2.0]);
        assert_eq!(r.points.len(), 4);
        assert_eq!(r.points[2], Rated { user: 3, item: 7, actual: 5.0, predicted: 3.0 });
        // Per rating value: lowest first, with its mean prediction.
        let values: Vec<(f32, usize, f64)> =
            r.by_rating.iter().map(|b| (b.rating, b.count, b.mean_predicted)).collect();
        assert_eq!(values, vec![(1.0, 1, 2.5), (2.0, 1, 2.0), (4.0, 1, 3.5), (5.0, 1, 3.0)]);
    }

    #[test]
    fn a_large_split_draws_every_kth_rating() {
        let n = 1000;
        let valid = rows(&vec![1; n], &vec![1; n], &(0..n).map(|i| (i % 5 + 1) as f32).collect::<Vec<_>>());
        let predicted: Vec<f32> = (0..n).map(|i| i as f32 / n as f32 * 5.0).collect();
        let r = Residuals::new(&valid, &predicted, &rows(&[], &[], &[]));
        assert!(r.points.len() <= POINTS && r.points.len() > POINTS / 2, "{}", r.points.len());
        assert_eq!(r.points[1].predicted, predicted[3], "every third rating of 1,000");
        assert_eq!(r.worst.len(), WORST);
        assert!(r.worst.windows(2).all(|w| w[0].error().abs() >= w[1].error().abs()));
        assert_eq!(r.by_user.iter().map(|b| b.ratings).sum::<usize>(), n, "every rating in one bin");
    }
}
