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
    /// of users and movies taken from `train`. One pass over the ratings for the sums
    /// (each group's sums in the split's order) and a selection for the worst: no copy
    /// and no sort of the split, which at ml-25m's 5 million validation ratings took
    /// seconds in wasm.
    pub fn new(valid: &Encoded, predicted: &[f32], train: &Encoded) -> Self {
        let n = valid.len().min(predicted.len());
        let rated = |r: usize| Rated {
            user: valid.users[r],
            item: valid.items[r],
            actual: valid.ratings[r],
            predicted: predicted[r],
        };
        let (user_counts, item_counts) = (counts(&train.users), counts(&train.items));
        let count_of = |counts: &[usize], id: i32| counts.get(id.max(0) as usize).copied().unwrap_or(0);
        let bin_of = |count: usize| EDGES.iter().rposition(|&from| count >= from).unwrap_or(0);
        let (mut all, mut by_user, mut by_item) =
            (Sums::default(), [Sums::default(); EDGES.len()], [Sums::default(); EDGES.len()]);
        // (rating, its sums, the sum of its predictions), in the order first seen.
        let mut by_value: Vec<(f32, Sums, f64)> = Vec::new();
        for r in 0..n {
            let x = rated(r);
            let e = x.error();
            all.add(e);
            by_user[bin_of(count_of(&user_counts, x.user))].add(e);
            by_item[bin_of(count_of(&item_counts, x.item))].add(e);
            match by_value.iter_mut().find(|v| v.0 == x.actual) {
                Some(v) => {
                    v.1.add(e);
                    v.2 += x.predicted as f64;
                }
                None => {
                    let mut sums = Sums::default();
                    sums.add(e);
                    by_value.push((x.actual, sums, x.predicted as f64));
                }
            }
        }
        by_value.sort_by(|a, b| a.0.total_cmp(&b.0));
        let step = n.div_ceil(POINTS).max(1);
        Residuals {
            count: n,
            rmse: all.rmse(),
            points: (0..n).step_by(step).map(rated).collect(),
            by_rating: by_value
                .into_iter()
                .map(|(rating, sums, predicted)| ByRating {
                    rating,
                    count: sums.n,
                    mean_predicted: predicted / sums.n as f64,
                    rmse: sums.rmse(),
                })
                .collect(),
            by_user: bins(&by_user),
            by_item: bins(&by_item),
            worst: worst(n, rated),
        }
    }
}

/// A group's squared errors, summed in the split's order.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    squares: f64,
    n: usize,
}

impl Sums {
    fn add(&mut self, error: f64) {
        self.squares += error * error;
        self.n += 1;
    }

    /// NaN when the group is empty.
    fn rmse(&self) -> f64 {
        (self.squares / self.n as f64).sqrt()
    }
}

/// Training ratings of each id.
fn counts(ids: &[i32]) -> Vec<usize> {
    let mut counts = Vec::new();
    for &id in ids {
        let id = id.max(0) as usize;
        if id >= counts.len() {
            counts.resize(id + 1, 0usize);
        }
        counts[id] += 1;
    }
    counts
}

fn bins(sums: &[Sums; EDGES.len()]) -> Vec<CountBin> {
    EDGES
        .iter()
        .enumerate()
        .map(|(n, &from)| CountBin {
            from,
            to: EDGES.get(n + 1).map(|next| next - 1),
            ratings: sums[n].n,
            rmse: sums[n].rmse(),
        })
        .collect()
}

/// The [`WORST`] largest errors of the `n` ratings, largest first (equal ones in the
/// split's order, as a stable sort of them all would give), kept as they go by.
fn worst(n: usize, rated: impl Fn(usize) -> Rated) -> Vec<Rated> {
    let before = |a: &(usize, Rated), b: &(usize, Rated)| {
        b.1.error().abs().total_cmp(&a.1.error().abs()).then(a.0.cmp(&b.0)).is_lt()
    };
    let mut top: Vec<(usize, Rated)> = Vec::with_capacity(WORST + 1);
    for r in 0..n {
        let x = (r, rated(r));
        if top.len() < WORST || top.last().is_some_and(|last| before(&x, last)) {
            let at = top.partition_point(|t| before(t, &x));
            top.insert(at, x);
            top.truncate(WORST);
        }
    }
    top.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_gives_every_number_the_first_way_did() {
        // 20,000 ratings in half stars, ties among the errors, users and movies over
        // every count bin.
        let n = 20_000;
        let valid = Encoded {
            users: (0..n).map(|r| (r * 7919) % 500).collect(),
            items: (0..n).map(|r| (r * 104_729) % 300).collect(),
            ratings: (0..n).map(|r| ((r * 31) % 10 + 1) as f32 / 2.0).collect(),
        };
        let predicted: Vec<f32> = (0..n).map(|r| ((r * 17) % 23) as f32 / 4.0).collect();
        // User u has u % 130 training ratings, movie i has i % 110: every bin, 0 included.
        let repeat = |ids: i32, of: i32| (0..ids).flat_map(move |id| std::iter::repeat_n(id, (id % of) as usize));
        let users: Vec<i32> = repeat(500, 130).collect();
        let items: Vec<i32> = repeat(300, 110).cycle().take(users.len()).collect();
        let train = Encoded { ratings: vec![3.0; users.len()], users, items };
        let got = Residuals::new(&valid, &predicted, &train);
        let want = reference(&valid, &predicted, &train);
        assert_eq!(format!("{got:?}"), format!("{want:?}"), "every sum in the same order, the worst in the same order");
        assert_eq!(got.worst.len(), WORST);
        assert!(got.by_user.iter().chain(&got.by_item).all(|b| b.ratings > 0), "every bin holds ratings");
    }

    /// Residuals as they were first written (every rating copied, sorted and filtered
    /// again per group): what the one pass must give, number for number.
    fn reference(valid: &Encoded, predicted: &[f32], train: &Encoded) -> Residuals {
        let rated: Vec<Rated> = (0..valid.len().min(predicted.len()))
            .map(|r| Rated {
                user: valid.users[r],
                item: valid.items[r],
                actual: valid.ratings[r],
                predicted: predicted[r],
            })
            .collect();
        // The counts are as the one pass takes them (that part did not change).
        let (user_counts, item_counts) = (counts(&train.users), counts(&train.items));
        let count_of = |counts: &[usize], id: i32| counts.get(id.max(0) as usize).copied().unwrap_or(0);
        let step = rated.len().div_ceil(POINTS).max(1);
        let mut worst = rated.clone();
        worst.sort_by(|a, b| b.error().abs().total_cmp(&a.error().abs()));
        worst.truncate(WORST);
        Residuals {
            count: rated.len(),
            rmse: old_rmse(rated.iter()),
            points: rated.iter().step_by(step).copied().collect(),
            by_rating: old_by_rating(&rated),
            by_user: old_bins(&rated, |r| count_of(&user_counts, r.user)),
            by_item: old_bins(&rated, |r| count_of(&item_counts, r.item)),
            worst,
        }
    }

    fn old_rmse<'a>(rated: impl Iterator<Item = &'a Rated>) -> f64 {
        let (sum, n) = rated.fold((0.0, 0usize), |(s, n), r| (s + r.error() * r.error(), n + 1));
        (sum / n as f64).sqrt()
    }

    fn old_by_rating(rated: &[Rated]) -> Vec<ByRating> {
        let mut values: Vec<f32> = rated.iter().map(|r| r.actual).collect();
        values.sort_by(f32::total_cmp);
        values.dedup();
        values
            .into_iter()
            .map(|rating| {
                let these: Vec<&Rated> = rated.iter().filter(|r| r.actual == rating).collect();
                let mean = these.iter().map(|r| r.predicted as f64).sum::<f64>() / these.len() as f64;
                ByRating { rating, count: these.len(), mean_predicted: mean, rmse: old_rmse(these.into_iter()) }
            })
            .collect()
    }

    fn old_bins(rated: &[Rated], count: impl Fn(&Rated) -> usize) -> Vec<CountBin> {
        EDGES
            .iter()
            .enumerate()
            .map(|(n, &from)| {
                let to = EDGES.get(n + 1).map(|next| next - 1);
                let inside: Vec<&Rated> =
                    rated.iter().filter(|r| count(r) >= from && to.is_none_or(|t| count(r) <= t)).collect();
                CountBin { from, to, ratings: inside.len(), rmse: old_rmse(inside.into_iter()) }
            })
            .collect()
    }

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
