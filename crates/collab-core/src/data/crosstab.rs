//! The cross-table of the most active users by the most rated items, blanks where a
//! user did not rate: the spreadsheet view of the data.

use std::collections::HashMap;

use super::ratings::RatingsTable;

/// `k` users by `k` items, with the rating where there is one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CrossTable {
    /// User ids, most active first.
    pub users: Vec<u32>,
    /// Item ids, most rated first.
    pub items: Vec<u32>,
    /// Titles of `items`.
    pub titles: Vec<String>,
    /// `cells[u][i]`: the rating of `users[u]` for `items[i]`, if any.
    pub cells: Vec<Vec<Option<f32>>>,
}

impl CrossTable {
    /// The `k` most active users and `k` most rated items (ties broken by smaller id),
    /// each set shown in id order, as `pd.crosstab` orders its rows and columns.
    pub fn top(table: &RatingsTable, k: usize) -> Self {
        let most = |key: fn(&crate::data::Rating) -> u32| {
            let mut counts: HashMap<u32, usize> = HashMap::new();
            for r in &table.ratings {
                *counts.entry(key(r)).or_default() += 1;
            }
            let mut ids: Vec<(u32, usize)> = counts.into_iter().collect();
            ids.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut top: Vec<u32> = ids.into_iter().take(k).map(|(id, _)| id).collect();
            top.sort_unstable();
            top
        };
        let users = most(|r| r.user);
        let items = most(|r| r.item);
        let mut cells = vec![vec![None; items.len()]; users.len()];
        for r in &table.ratings {
            let (Some(u), Some(i)) = (users.iter().position(|&x| x == r.user), items.iter().position(|&x| x == r.item))
            else {
                continue;
            };
            cells[u][i] = Some(r.rating);
        }
        let titles = items.iter().map(|&i| table.title(i)).collect();
        Self { users, items, titles, cells }
    }

    /// The rated cells as (row, column, rating).
    pub fn rated(&self) -> Vec<(usize, usize, f32)> {
        let mut out = Vec::new();
        for (u, row) in self.cells.iter().enumerate() {
            for (i, cell) in row.iter().enumerate() {
                if let Some(r) = cell {
                    out.push((u, i, *r));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth::{SynthSettings, generate};

    #[test]
    fn picks_most_active_users_and_most_rated_items() {
        let table = generate(SynthSettings { users: 40, items: 30, density: 0.5, ..Default::default() });
        let cross = CrossTable::top(&table, 15);
        assert_eq!((cross.users.len(), cross.items.len()), (15, 15));
        let count = |u: u32| table.ratings.iter().filter(|r| r.user == u).count();
        let least_in = cross.users.iter().map(|&u| count(u)).min().unwrap();
        let most_out = (1..=40).filter(|u| !cross.users.contains(u)).map(count).max().unwrap();
        assert!(least_in >= most_out);
        let rated = cross.rated();
        for &(u, i, r) in &rated {
            assert!(
                table.ratings.iter().any(|x| x.user == cross.users[u] && x.item == cross.items[i] && x.rating == r)
            );
        }
        assert!(rated.len() < 15 * 15, "blanks remain");
        assert!(cross.users.windows(2).all(|w| w[0] < w[1]), "users in id order: {:?}", cross.users);
        assert!(cross.items.windows(2).all(|w| w[0] < w[1]), "movies in id order: {:?}", cross.items);
    }
}
