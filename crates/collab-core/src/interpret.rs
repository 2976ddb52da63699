//! What a trained model learned, read off its tables on the host (after one async read):
//! biases ranked, a PCA map of item factors, nearest items by cosine, recommendations,
//! and a new user's embedding fitted from a few ratings with the items frozen.

use std::cmp::Ordering;

use crate::model::ModelSpec;

/// The most rated titles the book fits its PCA map on, and the most a list (similar
/// movies, recommendations) draws from: the page's, the exported notebook's and the
/// benchmark's rule.
pub const MAP_FIT: usize = 1000;
/// The most rated of those drawn on the map (the book draws 50).
pub const MAP_MOVIES: usize = 50;
/// How a new user's row is fitted ([`fit_new_user`]): steps, learning rate and weight
/// decay, the page's and the benchmark's.
pub const NEW_USER_FIT: (usize, f32, f32) = (400, 0.5, 0.01);

/// A model's tables on the host, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Tables {
    /// `[n_users, k]` user factors.
    pub user_factors: Vec<f32>,
    /// `[n_items, k]` item factors.
    pub item_factors: Vec<f32>,
    /// Factors per row.
    pub k: usize,
    /// `[n_users]` user biases (empty without biases).
    pub user_bias: Vec<f32>,
    /// `[n_items]` item biases (empty without biases).
    pub item_bias: Vec<f32>,
    /// sigmoid_range, if the model has one.
    pub y_range: Option<(f32, f32)>,
}

impl Tables {
    /// Reads the tables out of a dot model's weights (`None` for neural models, whose
    /// predictions are not a dot product).
    pub fn from_weights(w: &crate::weights::Weights, spec: &ModelSpec) -> Option<Self> {
        let get = |paths: &[&str]| paths.iter().find_map(|p| w.get(p)).map(|t| t.values.clone());
        use crate::model::ModelKind::*;
        if !matches!(spec.kind, DotProduct | DotProductBias | Scratch) {
            return None;
        }
        Some(Self {
            user_factors: get(&["user_factors.weight", "user_factors"])?,
            item_factors: get(&["item_factors.weight", "item_factors"])?,
            k: spec.n_factors,
            user_bias: get(&["user_bias.weight", "user_bias"]).unwrap_or_default(),
            item_bias: get(&["item_bias.weight", "item_bias"]).unwrap_or_default(),
            y_range: spec.y_range,
        })
    }

    /// Row `i` of the item factors.
    pub fn item(&self, i: usize) -> &[f32] {
        &self.item_factors[i * self.k..(i + 1) * self.k]
    }

    /// Row `u` of the user factors.
    pub fn user(&self, u: usize) -> &[f32] {
        &self.user_factors[u * self.k..(u + 1) * self.k]
    }

    /// Number of items (with `#na#`).
    pub fn n_items(&self) -> usize {
        self.item_factors.len() / self.k.max(1)
    }

    /// The prediction for a user vector and bias against item `i`, as the model computes it.
    pub fn predict(&self, user: &[f32], user_bias: f32, i: usize) -> f32 {
        let dot: f32 = user.iter().zip(self.item(i)).map(|(a, b)| a * b).sum();
        let x = dot + user_bias + self.item_bias.get(i).copied().unwrap_or(0.0);
        match self.y_range {
            Some((lo, hi)) => lo + (hi - lo) / (1.0 + (-x).exp()),
            None => x,
        }
    }

    /// The prediction for each of `rows` (user, item), as the model computes it: a pass
    /// over the tables, where the model's forward pass would gather a copy of every row.
    pub fn predictions(&self, rows: &crate::data::Encoded) -> Vec<f32> {
        let index = |i: i32| usize::try_from(i).unwrap_or(0);
        rows.users
            .iter()
            .zip(&rows.items)
            .map(|(&u, &i)| {
                let u = index(u);
                self.predict(self.user(u), self.user_bias.get(u).copied().unwrap_or(0.0), index(i))
            })
            .collect()
    }
}

/// Item indices sorted by bias, lowest first (`#na#` left out).
pub fn items_by_bias(t: &Tables) -> Vec<(usize, f32)> {
    let mut ranked: Vec<(usize, f32)> = t.item_bias.iter().copied().enumerate().skip(1).collect();
    ranked.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal));
    ranked
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na * nb) }
}

/// The items a list may name: `#na#` and items outside the tables left out.
fn listable<'a>(t: &Tables, candidates: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    let n = t.n_items();
    candidates.iter().copied().filter(move |&i| i != 0 && i < n)
}

/// The best `n` of `scored`, highest first.
fn best(mut scored: Vec<(usize, f32)>, n: usize) -> Vec<(usize, f32)> {
    scored.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
    scored.truncate(n);
    scored
}

/// The `n` items among `candidates` most similar to `item` by cosine of their factors.
/// The caller chooses the candidates: an item rated once or twice has factors that
/// weight decay left near zero, and their direction says little.
pub fn similar_items(t: &Tables, item: usize, candidates: &[usize], n: usize) -> Vec<(usize, f32)> {
    best(listable(t, candidates).filter(|&i| i != item).map(|i| (i, cosine(t.item(item), t.item(i)))).collect(), n)
}

/// The `n` items among `candidates` predicted highest for a user vector, skipping `rated`.
pub fn recommend(
    t: &Tables,
    user: &[f32],
    user_bias: f32,
    candidates: &[usize],
    rated: &[usize],
    n: usize,
) -> Vec<(usize, f32)> {
    let scored = listable(t, candidates).filter(|i| !rated.contains(i)).map(|i| (i, t.predict(user, user_bias, i)));
    best(scored.collect(), n)
}

/// A prediction written out term by term: why a movie is recommended.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The user's factors.
    pub user: Vec<f32>,
    /// The movie's factors.
    pub item: Vec<f32>,
    /// `user[f] × item[f]` for each factor `f`.
    pub products: Vec<f32>,
    /// The user's bias (0 without biases).
    pub user_bias: f32,
    /// The movie's bias (0 without biases).
    pub item_bias: f32,
    /// The sum of the products and the biases: what sigmoid_range squashes.
    pub total: f32,
    /// sigmoid_range, if the model has one.
    pub y_range: Option<(f32, f32)>,
    /// The model's prediction.
    pub prediction: f32,
    /// The movies among the user's own closest to this one (cosine of their factors),
    /// most similar first.
    pub closest: Vec<(usize, f32)>,
}

/// The prediction of a user vector and bias for `item`, in the order [`Tables::predict`]
/// adds it up (so the terms give its very number), and the `n` movies of `rated` whose
/// factors point most the same way.
pub fn explain(t: &Tables, user: &[f32], user_bias: f32, item: usize, rated: &[usize], n: usize) -> Explanation {
    let products: Vec<f32> = user.iter().zip(t.item(item)).map(|(a, b)| a * b).collect();
    let dot: f32 = products.iter().sum();
    let item_bias = t.item_bias.get(item).copied().unwrap_or(0.0);
    let total = dot + user_bias + item_bias;
    let prediction = match t.y_range {
        Some((lo, hi)) => lo + (hi - lo) / (1.0 + (-total).exp()),
        None => total,
    };
    let closest =
        best(listable(t, rated).filter(|&i| i != item).map(|i| (i, cosine(t.item(item), t.item(i)))).collect(), n);
    Explanation {
        user: user.to_vec(),
        item: t.item(item).to_vec(),
        products,
        user_bias,
        item_bias,
        total,
        y_range: t.y_range,
        prediction,
        closest,
    }
}

/// The book's map: the first `components` principal axes of the factors of the items
/// `rows` (fastbook fits them on the 1,000 most rated titles, so that rare titles with
/// tiny, decayed factors move neither the centre nor the axes), and each of those items'
/// coordinates on them, in the order of `rows`.
pub fn pca_items(t: &Tables, rows: &[usize], components: usize) -> Vec<Vec<f32>> {
    let k = t.k;
    let n = rows.len();
    if n == 0 {
        return Vec::new();
    }
    let rows: Vec<&[f32]> = rows.iter().map(|&i| t.item(i)).collect();
    let mean: Vec<f64> = (0..k).map(|j| rows.iter().map(|r| r[j] as f64).sum::<f64>() / n as f64).collect();
    let mut cov = vec![0.0f64; k * k];
    for r in &rows {
        for a in 0..k {
            for b in 0..k {
                cov[a * k + b] += (r[a] as f64 - mean[a]) * (r[b] as f64 - mean[b]) / n as f64;
            }
        }
    }
    // Power iteration with deflation: k is at most a few hundred, and 2-3 axes are wanted.
    let mut axes: Vec<Vec<f64>> = Vec::new();
    for c in 0..components.min(k) {
        let mut v: Vec<f64> = (0..k).map(|j| 1.0 + ((j * 7 + c * 3) % 5) as f64).collect();
        let mut lambda = 0.0;
        for _ in 0..500 {
            let mut next: Vec<f64> = (0..k).map(|a| (0..k).map(|b| cov[a * k + b] * v[b]).sum()).collect();
            let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            next.iter_mut().for_each(|x| *x /= norm);
            lambda = norm;
            v = next;
        }
        for a in 0..k {
            for b in 0..k {
                cov[a * k + b] -= lambda * v[a] * v[b];
            }
        }
        axes.push(v);
    }
    rows.iter()
        .map(|r| axes.iter().map(|ax| (0..k).map(|j| (r[j] as f64 - mean[j]) * ax[j]).sum::<f64>() as f32).collect())
        .collect()
}

/// Item indices by how many ratings `counts` gives each, most first (ties in index
/// order), `#na#` (index 0) left out.
pub fn most_rated(counts: &[usize]) -> Vec<usize> {
    let mut popular: Vec<usize> = (1..counts.len()).collect();
    popular.sort_by_key(|&i| std::cmp::Reverse(counts[i]));
    popular
}

/// The book's map of the movie factors: principal components 0 and 2 (of 3; 0 and 1
/// with two factors) fitted on the `fit` first items of `popular`, for the first
/// `drawn` of them: `(item, x, y)`. Empty with fewer than two factors.
pub fn map_points(t: &Tables, popular: &[usize], fit: usize, drawn: usize) -> Vec<(usize, f32, f32)> {
    if t.k < 2 {
        return Vec::new();
    }
    let fit: Vec<usize> = popular.iter().copied().take(fit).collect();
    let coords = pca_items(t, &fit, 3);
    let y = if t.k >= 3 { 2 } else { 1 };
    fit.iter().zip(&coords).take(drawn).map(|(&i, c)| (i, c[0], c[y])).collect()
}

/// Turns each axis of `frame` to agree with `next` (a map of the same items at another
/// epoch): a principal axis has no sign of its own, so without this a map played epoch
/// by epoch would flip where it should move.
pub fn align_axes(frame: &mut [(usize, f32, f32)], next: &[(usize, f32, f32)]) {
    let next: std::collections::HashMap<usize, (f32, f32)> = next.iter().map(|&(i, x, y)| (i, (x, y))).collect();
    let (mut dx, mut dy) = (0.0f64, 0.0f64);
    for &(i, x, y) in frame.iter() {
        if let Some(&(nx, ny)) = next.get(&i) {
            dx += (x * nx) as f64;
            dy += (y * ny) as f64;
        }
    }
    for p in frame.iter_mut() {
        if dx < 0.0 {
            p.1 = -p.1;
        }
        if dy < 0.0 {
            p.2 = -p.2;
        }
    }
}

/// A fit's maps by epoch with each one's axes turned to agree with the next, back from
/// `last` (the trained model's own map, which the last frame equals up to its axes'
/// signs): played in order, points move instead of flipping.
pub fn align_back(frames: &[Vec<(usize, f32, f32)>], last: &[(usize, f32, f32)]) -> Vec<Vec<(usize, f32, f32)>> {
    let mut out: Vec<Vec<(usize, f32, f32)>> = Vec::with_capacity(frames.len());
    let mut next = last.to_vec();
    for frame in frames.iter().rev() {
        let mut frame = frame.clone();
        align_axes(&mut frame, &next);
        next = frame.clone();
        out.push(frame);
    }
    out.reverse();
    out
}

/// A fit's maps by epoch with each one's axes turned to agree with the one before: two
/// fits from the same start (the weight-decay pair) start from the same picture.
pub fn align_forward(frames: &[Vec<(usize, f32, f32)>]) -> Vec<Vec<(usize, f32, f32)>> {
    let mut out: Vec<Vec<(usize, f32, f32)>> = Vec::with_capacity(frames.len());
    for frame in frames {
        let mut frame = frame.clone();
        if let Some(before) = out.last() {
            align_axes(&mut frame, before);
        }
        out.push(frame);
    }
    out
}

/// Fits a new user's factors and bias to `(item, rating)` pairs by gradient descent on
/// the squared error, the items held fixed. Starts from `start` (the average user).
pub fn fit_new_user(
    t: &Tables,
    ratings: &[(usize, f32)],
    start: (&[f32], f32),
    steps: usize,
    lr: f32,
    wd: f32,
) -> (Vec<f32>, f32) {
    let (mut u, mut b) = (start.0.to_vec(), start.1);
    let has_bias = !t.item_bias.is_empty();
    for _ in 0..steps {
        let mut gu = vec![0.0f32; t.k];
        let mut gb = 0.0f32;
        for &(i, r) in ratings {
            let pred = t.predict(&u, b, i);
            // d pred / d x for sigmoid_range is (pred - lo) * (hi - pred) / (hi - lo).
            let dx = match t.y_range {
                Some((lo, hi)) => (pred - lo) * (hi - pred) / (hi - lo),
                None => 1.0,
            };
            let g = 2.0 * (pred - r) * dx / ratings.len() as f32;
            gu.iter_mut().zip(t.item(i)).for_each(|(gj, ij)| *gj += g * ij);
            gb += g;
        }
        u.iter_mut().zip(&gu).for_each(|(uj, gj)| *uj -= lr * (gj + 2.0 * wd * *uj));
        if has_bias {
            b -= lr * gb;
        }
    }
    (u, b)
}

/// The mean of the user rows (index 1..) and of the user biases: the "average user".
pub fn average_user(t: &Tables) -> (Vec<f32>, f32) {
    let n = (t.user_factors.len() / t.k.max(1)).saturating_sub(1).max(1);
    let mut mean = vec![0.0f32; t.k];
    for u in 1..=n {
        mean.iter_mut().zip(t.user(u)).for_each(|(m, x)| *m += x / n as f32);
    }
    let bias = t.user_bias.iter().skip(1).sum::<f32>() / n as f32;
    (mean, bias)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        // Items 1 and 2 point the same way, item 3 the opposite; item 3 has the lowest bias.
        Tables {
            user_factors: vec![0.0, 0.0, 1.0, 0.0, 0.5, 0.5],
            item_factors: vec![0.0, 0.0, 1.0, 0.1, 2.0, 0.3, -1.0, 0.0],
            k: 2,
            user_bias: vec![0.0, 0.1, -0.1],
            item_bias: vec![0.0, 0.2, 0.5, -0.4],
            y_range: Some((0.0, 5.5)),
        }
    }

    #[test]
    fn the_map_is_the_pca_of_the_most_rated_and_its_axes_turn_to_agree() {
        // Ties keep index order; #na# (0) is never on the map.
        assert_eq!(most_rated(&[9, 1, 5, 1, 0]), vec![2, 1, 3, 4]);
        let t = tables();
        let popular = most_rated(&[0, 3, 2, 1]);
        let map = map_points(&t, &popular, 3, 2);
        let pcs = pca_items(&t, &[1, 2, 3], 3);
        assert_eq!(map, vec![(1, pcs[0][0], pcs[0][1]), (2, pcs[1][0], pcs[1][1])], "two factors: components 0 and 1");
        assert!(map_points(&Tables { k: 1, ..tables() }, &popular, 3, 2).is_empty(), "one factor: no map");
        let mut flipped: Vec<(usize, f32, f32)> = map.iter().map(|&(i, x, y)| (i, -x, y)).collect();
        align_axes(&mut flipped, &map);
        assert_eq!(flipped, map, "a flipped axis turns back");
    }

    #[test]
    fn biases_similarity_and_recommendations() {
        let t = tables();
        assert_eq!(items_by_bias(&t).iter().map(|x| x.0).collect::<Vec<_>>(), vec![3, 1, 2]);
        let all = [0, 1, 2, 3];
        assert_eq!(similar_items(&t, 1, &all, 1)[0].0, 2);
        assert_eq!(similar_items(&t, 1, &[3], 1)[0].0, 3, "only among the candidates");
        let recs = recommend(&t, t.user(1), 0.1, &all, &[2], 5);
        assert_eq!(
            recs.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![1, 3],
            "rated item 2 and #na# left out, best first"
        );
        let recs = recommend(&t, t.user(1), 0.1, &[3, 9], &[], 5);
        assert_eq!(recs.iter().map(|x| x.0).collect::<Vec<_>>(), vec![3], "only candidates in the tables");
    }

    #[test]
    fn an_explanation_adds_up_to_the_prediction_it_explains() {
        let t = tables();
        let all = [0, 1, 2, 3];
        // User 2, (0.5, 0.5), bias -0.1, and item 2, (2.0, 0.3), bias 0.5: products 1.0 and
        // 0.15, total 1.0 + 0.15 - 0.1 + 0.5 = 1.55, prediction 5.5 · sigmoid(1.55).
        let e = explain(&t, t.user(2), -0.1, 2, &[1, 3], 2);
        assert_eq!(e.products, vec![1.0, 0.15]);
        assert_eq!((e.user_bias, e.item_bias), (-0.1, 0.5));
        assert!((e.total - 1.55).abs() < 1e-6);
        assert!((e.prediction - 5.5 / (1.0 + (-1.55f32).exp())).abs() < 1e-6);
        // The very number the recommendation ranked by.
        let recs = recommend(&t, t.user(2), -0.1, &all, &[], 5);
        assert_eq!(recs.iter().find(|r| r.0 == 2).unwrap().1, e.prediction);
        assert_eq!(e.prediction, t.predict(t.user(2), -0.1, 2));
        // Item 1 points nearly the way item 2 does, item 3 the opposite way.
        assert_eq!(e.closest.iter().map(|c| c.0).collect::<Vec<_>>(), vec![1, 3]);
        assert!(e.closest[0].1 > 0.99 && e.closest[1].1 < -0.98);
        // Without sigmoid_range the total is the prediction.
        let raw = Tables { y_range: None, ..tables() };
        let e = explain(&raw, raw.user(2), -0.1, 2, &[], 2);
        assert_eq!(e.prediction, e.total);
        assert!(e.closest.is_empty());
    }

    #[test]
    fn pca_finds_the_main_axis() {
        // Items spread along (1, 1) with little spread across it.
        let mut item_factors = vec![0.0, 0.0];
        for i in 0..20 {
            let s = i as f32 - 10.0;
            item_factors.extend([s + 0.01 * (i % 3) as f32, s - 0.01 * (i % 2) as f32]);
        }
        let t = Tables { item_factors, k: 2, ..tables() };
        let coords = pca_items(&t, &(1..=20).collect::<Vec<_>>(), 2);
        assert_eq!(coords.len(), 20);
        let spread = |c: usize| coords.iter().map(|p| p[c] * p[c]).sum::<f32>();
        assert!(spread(0) > 1000.0 * spread(1));
    }

    #[test]
    fn pca_of_a_subset_matches_a_hand_computation() {
        // Items 1-4 at (3, 1), (-1, 1), (1, 2), (1, 0): centre (1, 1); deviations
        // (2, 0), (-2, 0), (0, 1), (0, -1); covariance diag(2, 0.5), so the first axis is x
        // and the second y, and the coordinates are the deviations (up to each axis' sign).
        // Item 5, far away, is not among the rows and must change nothing.
        let item_factors = vec![0.0, 0.0, 3.0, 1.0, -1.0, 1.0, 1.0, 2.0, 1.0, 0.0, 100.0, -50.0];
        let t = Tables { item_factors, k: 2, ..tables() };
        let coords = pca_items(&t, &[1, 2, 3, 4], 2);
        let want = [[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]];
        let sign = |c: usize| if coords[0][c] * want[0][c] + coords[2][c] * want[2][c] < 0.0 { -1.0 } else { 1.0 };
        for (got, want) in coords.iter().zip(want) {
            for c in 0..2 {
                assert!((got[c] * sign(c) - want[c]).abs() < 1e-4, "{coords:?}");
            }
        }
        let reversed: Vec<Vec<f32>> = coords.iter().rev().cloned().collect();
        assert_eq!(pca_items(&t, &[4, 3, 2, 1], 2), reversed, "in the order of rows");
    }

    #[test]
    fn new_user_fit_moves_predictions_toward_their_ratings() {
        let t = tables();
        let (start, b0) = average_user(&t);
        let ratings = [(1, 5.0), (3, 1.0)];
        let (u, b) = fit_new_user(&t, &ratings, (&start, b0), 300, 0.5, 0.0);
        let err = |u: &[f32], b| ratings.iter().map(|&(i, r)| (t.predict(u, b, i) - r).powi(2)).sum::<f32>();
        assert!(err(&u, b) < 0.25 * err(&start, b0), "{} vs {}", err(&u, b), err(&start, b0));
        assert_eq!(u.len(), 2);
    }
}
