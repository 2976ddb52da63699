//! Taste profiles: the lesson's third answer to the bootstrapping problem (a new user has
//! no row). Group the learned user rows into a few clusters (k-means); each cluster's
//! centre is a row a new visitor can start from by picking the description that fits.

use std::cmp::Ordering;

use crate::interpret::{Tables, average_user, recommend};

/// One cluster of users.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// The mean of its users' rows: a user row to recommend for.
    pub center: Vec<f32>,
    /// The mean of its users' biases (0 without biases).
    pub bias: f32,
    /// How many users it holds.
    pub users: usize,
    /// The movies it likes most compared with the average user (among `described_by`),
    /// best first.
    pub loves: Vec<usize>,
    /// The movies it likes least compared with the average user, worst first.
    pub dislikes: Vec<usize>,
}

impl Profile {
    /// The `n` movies among `candidates` this profile's row predicts highest.
    pub fn recommend(&self, t: &Tables, candidates: &[usize], n: usize) -> Vec<(usize, f32)> {
        recommend(t, &self.center, self.bias, candidates, &[], n)
    }
}

/// Rounds of Lloyd's algorithm; it settles long before on a few thousand rows.
const ROUNDS: usize = 30;

/// The most user rows k-means rounds run on: beyond it (ml-10m and up) an even sample of
/// them, then every user is assigned once. MovieLens-100k, ml-1m and ml-latest-small are
/// below it and take every row in every round; on ml-25m's 162,000 users it keeps the
/// profiles to a small share of a second (a round over every row costs about 10 ms).
pub const SAMPLE: usize = 20_000;

/// Taste profiles offered to a new visitor.
pub const PROFILES: usize = 5;
/// The most rated movies that describe a profile: movies enough people rated to know them.
pub const PROFILE_MOVIES: usize = 300;
/// Movies each profile is said to love, and to dislike.
pub const SHOWN: usize = 3;

/// The profiles the page offers for tables `t`: [`PROFILES`] of them, each described by
/// [`SHOWN`] of the [`PROFILE_MOVIES`] first movies of `popular` (most rated first).
pub fn offered(t: &Tables, popular: &[usize]) -> Vec<Profile> {
    taste_profiles(t, PROFILES, &popular[..popular.len().min(PROFILE_MOVIES)], SHOWN)
}

/// `k` taste profiles of the user rows (index 1 on; 0 is `#na#`), each described by
/// `shown` movies from `described_by` (say, the movies with enough ratings to be known).
/// Deterministic: the first centre is the user farthest from the average, each next one
/// the user farthest from the centres so far; then k-means (on at most [`SAMPLE`] users).
pub fn taste_profiles(t: &Tables, k: usize, described_by: &[usize], shown: usize) -> Vec<Profile> {
    let n_users = t.user_factors.len() / t.k.max(1);
    let users: Vec<usize> = (1..n_users).collect();
    if users.is_empty() || k == 0 {
        return Vec::new();
    }
    let sample: Vec<usize> = users.iter().copied().step_by(users.len().div_ceil(SAMPLE)).collect();
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>();
    let (mean, _) = average_user(t);
    let farthest = |from: &dyn Fn(usize) -> f32| {
        sample.iter().copied().max_by(|&a, &b| from(a).partial_cmp(&from(b)).unwrap_or(Ordering::Equal))
    };
    let mut centers: Vec<Vec<f32>> = Vec::new();
    while centers.len() < k.min(sample.len()) {
        let nearest = |u: usize| {
            if centers.is_empty() {
                dist(t.user(u), &mean)
            } else {
                centers.iter().map(|c| dist(t.user(u), c)).fold(f32::INFINITY, f32::min)
            }
        };
        match farthest(&nearest) {
            Some(u) => centers.push(t.user(u).to_vec()),
            None => break,
        }
    }
    // Each user's nearest centre (the first of equals), each distance computed once.
    let assign = |users: &[usize], centers: &[Vec<f32>]| -> Vec<usize> {
        let mut distances = vec![0.0f32; centers.len()];
        users
            .iter()
            .map(|&u| {
                distances.iter_mut().zip(centers).for_each(|(d, c)| *d = dist(t.user(u), c));
                (0..centers.len())
                    .min_by(|&a, &b| distances[a].partial_cmp(&distances[b]).unwrap_or(Ordering::Equal))
                    .unwrap_or(0)
            })
            .collect()
    };
    // Every centre's members' mean in one pass, each row added in user order as a share of
    // its centre's count; `None` for a centre without members.
    let means = |users: &[usize], assigned: &[usize], k: usize| -> Vec<Option<Vec<f32>>> {
        let mut counts = vec![0usize; k];
        assigned.iter().for_each(|&c| counts[c] += 1);
        let mut sums = vec![vec![0.0f32; t.k]; k];
        for (&u, &c) in users.iter().zip(assigned) {
            let n = counts[c] as f32;
            sums[c].iter_mut().zip(t.user(u)).for_each(|(m, x)| *m += x / n);
        }
        sums.into_iter().zip(counts).map(|(m, n)| (n > 0).then_some(m)).collect()
    };
    let mut assigned = vec![0usize; sample.len()];
    for _ in 0..ROUNDS {
        assigned = assign(&sample, &centers);
        let new_means = means(&sample, &assigned, centers.len());
        let mut moved = false;
        for (center, new) in centers.iter_mut().zip(new_means) {
            if let Some(new) = new {
                moved |= new != *center;
                *center = new;
            }
        }
        if !moved {
            break;
        }
    }
    // A sample's centres take every user once: each profile holds all its users.
    let assigned = if sample.len() < users.len() {
        let all = assign(&users, &centers);
        let new_means = means(&users, &all, centers.len());
        for (center, new) in centers.iter_mut().zip(new_means) {
            if let Some(new) = new {
                *center = new;
            }
        }
        all
    } else {
        assigned
    };
    let mut profiles: Vec<Profile> = centers
        .into_iter()
        .enumerate()
        .filter_map(|(c, center)| {
            let members: Vec<usize> = users.iter().zip(&assigned).filter(|(_, a)| **a == c).map(|(u, _)| *u).collect();
            if members.is_empty() {
                return None;
            }
            let bias = if t.user_bias.is_empty() {
                0.0
            } else {
                members.iter().map(|&u| t.user_bias[u]).sum::<f32>() / members.len() as f32
            };
            // What sets this taste apart: the factor part of the prediction, relative to
            // the average user (biases are shared by every profile and would say nothing).
            let lean: Vec<f32> = center.iter().zip(&mean).map(|(c, m)| c - m).collect();
            let mut scored: Vec<(usize, f32)> =
                described_by.iter().map(|&i| (i, lean.iter().zip(t.item(i)).map(|(a, b)| a * b).sum())).collect();
            scored.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
            let loves = scored.iter().take(shown).map(|s| s.0).collect();
            let dislikes = scored.iter().rev().take(shown).map(|s| s.0).collect();
            Some(Profile { center, bias, users: members.len(), loves, dislikes })
        })
        .collect();
    profiles.sort_by_key(|p| std::cmp::Reverse(p.users));
    profiles
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Users in two planted tastes: factor 0 high or factor 1 high; movies of each kind.
    fn tables() -> Tables {
        let mut user_factors = vec![0.0, 0.0]; // #na#
        for u in 0..40 {
            let jitter = (u as f32 * 0.37).sin() * 0.05;
            user_factors.extend(if u % 2 == 0 { [1.0 + jitter, 0.0] } else { [0.0, 1.0 - jitter] });
        }
        let item_factors = vec![0.0, 0.0, 1.0, 0.0, 0.9, 0.1, 0.0, 1.0, 0.1, 0.9];
        Tables { user_factors, item_factors, k: 2, user_bias: vec![], item_bias: vec![], y_range: None }
    }

    #[test]
    fn beyond_the_sample_every_user_still_belongs_to_a_profile() {
        let n = SAMPLE * 2 + 7;
        let mut user_factors = vec![0.0, 0.0];
        for u in 0..n {
            let jitter = (u as f32 * 0.37).sin() * 0.05;
            // A fifth of one taste (a period the sample's stride of 3 does not share).
            user_factors.extend(if u % 5 == 0 { [1.0 + jitter, 0.0] } else { [0.0, 1.0 - jitter] });
        }
        let t = Tables { user_factors, ..tables() };
        let profiles = taste_profiles(&t, 2, &[1, 2, 3, 4], 1);
        assert_eq!(profiles.iter().map(|p| p.users).collect::<Vec<_>>(), [n - n.div_ceil(5), n.div_ceil(5)]);
        // Each centre is the mean of all its users, not only of the sample's.
        assert!(
            profiles[0].center[0].abs() < 1e-6 && (profiles[0].center[1] - 1.0).abs() < 0.05,
            "{:?}",
            profiles[0].center
        );
        assert!((profiles[1].center[0] - 1.0).abs() < 0.05 && profiles[1].center[1].abs() < 1e-6);
    }

    #[test]
    fn two_planted_tastes_come_out_as_two_profiles_that_recommend_differently() {
        let t = tables();
        let profiles = taste_profiles(&t, 2, &[1, 2, 3, 4], 1);
        assert_eq!(profiles.len(), 2);
        assert_eq!(profiles.iter().map(|p| p.users).sum::<usize>(), 40);
        assert!(profiles.iter().all(|p| p.users == 20), "each planted group is one profile");
        let loves: Vec<usize> = profiles.iter().map(|p| p.loves[0]).collect();
        assert!(
            loves.contains(&1) && loves.contains(&3),
            "one loves the factor-0 movie, the other the factor-1 one: {loves:?}"
        );
        let first = |p: &Profile| p.recommend(&t, &[1, 2, 3, 4], 2).iter().map(|r| r.0).collect::<Vec<_>>();
        assert_ne!(first(&profiles[0]), first(&profiles[1]));
        // Deterministic.
        assert_eq!(profiles, taste_profiles(&t, 2, &[1, 2, 3, 4], 1));
    }
}
