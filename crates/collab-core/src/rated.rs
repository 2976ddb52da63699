//! Who rated what, kept by user: what a recommendation must leave out (every movie the
//! user rated, in training and validation alike) and what "why?" quotes (the user's own
//! stars). The worker that trained a model builds it once from the fit's data and answers
//! the page one user at a time, so that a release's millions of ratings never cross to
//! the page.

use crate::data::Encoded;

/// Every rating's item and stars, grouped by user (a counting sort: 8 bytes a rating).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatedBy {
    /// Where each user's ratings start in `items` and `stars`; one more than the users.
    starts: Vec<u32>,
    items: Vec<i32>,
    stars: Vec<f32>,
}

impl RatedBy {
    /// The ratings of `parts` (training, then validation) by user index, each user's in
    /// the order the parts hold them. Indices outside `0..n_users` are left out.
    pub fn new(n_users: usize, parts: &[&Encoded]) -> Self {
        let rows = || parts.iter().flat_map(|p| p.users.iter().zip(&p.items).zip(&p.ratings));
        let user = |u: i32| usize::try_from(u).ok().filter(|&u| u < n_users);
        let mut starts = vec![0u32; n_users + 1];
        for ((&u, _), _) in rows() {
            if let Some(u) = user(u) {
                starts[u + 1] += 1;
            }
        }
        for u in 0..n_users {
            starts[u + 1] += starts[u];
        }
        let total = starts[n_users] as usize;
        let (mut items, mut stars) = (vec![0; total], vec![0.0; total]);
        let mut next = starts.clone();
        for ((&u, &i), &r) in rows() {
            if let Some(u) = user(u) {
                let at = next[u] as usize;
                (items[at], stars[at]) = (i, r);
                next[u] += 1;
            }
        }
        RatedBy { starts, items, stars }
    }

    /// User `user`'s rated items and their stars (empty for an unknown user).
    pub fn of(&self, user: i32) -> (&[i32], &[f32]) {
        let Some(u) = usize::try_from(user).ok().filter(|&u| u + 1 < self.starts.len()) else {
            return (&[], &[]);
        };
        let range = self.starts[u] as usize..self.starts[u + 1] as usize;
        (&self.items[range.clone()], &self.stars[range])
    }
}

/// Ratings of each item index in `parts` (the page's popularity order counts training
/// and validation ratings, as the book's map does); indices outside `0..n_items` are
/// left out.
pub fn item_counts(n_items: usize, parts: &[&Encoded]) -> Vec<usize> {
    let mut counts = vec![0; n_items];
    for &i in parts.iter().flat_map(|p| &p.items) {
        if let Some(c) = usize::try_from(i).ok().and_then(|i| counts.get_mut(i)) {
            *c += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(rows: &[(i32, i32, f32)]) -> Encoded {
        Encoded {
            users: rows.iter().map(|r| r.0).collect(),
            items: rows.iter().map(|r| r.1).collect(),
            ratings: rows.iter().map(|r| r.2).collect(),
        }
    }

    #[test]
    fn each_users_ratings_come_back_training_first_and_nothing_else() {
        let train = part(&[(2, 5, 4.5), (1, 3, 1.0), (2, 1, 3.0), (0, 4, 2.0)]);
        let valid = part(&[(2, 7, 5.0), (9, 1, 1.0), (-1, 1, 1.0)]);
        let by = RatedBy::new(4, &[&train, &valid]);
        assert_eq!(by.of(2), (&[5, 1, 7][..], &[4.5, 3.0, 5.0][..]));
        assert_eq!(by.of(1), (&[3][..], &[1.0][..]));
        assert_eq!(by.of(0), (&[4][..], &[2.0][..]), "#na# keeps its own");
        assert_eq!(by.of(3), (&[][..], &[][..]));
        // Out of range (the 9 and -1 above were left out): nothing, and no panic.
        assert_eq!(by.of(4), (&[][..], &[][..]));
        assert_eq!(by.of(-1), (&[][..], &[][..]));
        assert_eq!(by.items.len(), 5);
        // Counts take every rating of an item, whoever gave it.
        assert_eq!(item_counts(6, &[&train, &valid]), vec![0, 3, 0, 1, 1, 1]);
    }
}
