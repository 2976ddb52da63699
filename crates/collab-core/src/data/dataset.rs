//! fastai's `CollabDataLoaders.from_df`, reproduced: a seeded random 80/20 split,
//! vocabularies with `#na#` at index 0 (a text column's from the whole file, an integer
//! column's from the training split), shuffled batches.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::ratings::RatingsTable;

/// fastai's name for the "unknown" category at index 0 of every vocabulary.
pub const NA: &str = "#na#";

/// How items are identified: by movie title (the lesson's choice) or by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemKey {
    /// Two ids with the same title are one item, as with `item_name='title'`.
    Title,
    /// Each movie id is its own item.
    Id,
}

/// Settings of the split and the batches.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataSettings {
    /// Items by title or id.
    pub item_key: ItemKey,
    /// Share of ratings held out for validation (fastai: 0.2).
    pub valid_pct: f32,
    /// Seed of the split and of the batch shuffles.
    pub seed: u64,
    /// Ratings per batch (fastai: 64).
    pub batch_size: usize,
}

impl Default for DataSettings {
    fn default() -> Self {
        Self { item_key: ItemKey::Title, valid_pct: 0.2, seed: 42, batch_size: 64 }
    }
}

/// Encoded ratings: indices into the vocabularies and the ratings themselves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Encoded {
    /// User index per rating (0 = `#na#`).
    pub users: Vec<i32>,
    /// Item index per rating (0 = `#na#`).
    pub items: Vec<i32>,
    /// The rating.
    pub ratings: Vec<f32>,
}

impl Encoded {
    /// Number of ratings.
    pub fn len(&self) -> usize {
        self.ratings.len()
    }

    /// True when there is no rating.
    pub fn is_empty(&self) -> bool {
        self.ratings.is_empty()
    }

    /// The rows at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Encoded {
        Encoded {
            users: rows.iter().map(|&r| self.users[r]).collect(),
            items: rows.iter().map(|&r| self.items[r]).collect(),
            ratings: rows.iter().map(|&r| self.ratings[r]).collect(),
        }
    }
}

/// A vocabulary: index to label, with `#na#` at 0 and the rest sorted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Vocab {
    /// Labels by index.
    pub labels: Vec<String>,
    #[serde(skip)]
    index: BTreeMap<String, i32>,
}

impl Vocab {
    /// Builds the vocabulary of `values` (sorted, deduplicated) behind `#na#`.
    pub fn new(mut values: Vec<String>, numeric: bool) -> Self {
        if numeric {
            values.sort_by_key(|v| v.parse::<u64>().unwrap_or(u64::MAX));
        } else {
            values.sort();
        }
        values.dedup();
        let labels: Vec<String> = std::iter::once(NA.to_string()).chain(values).collect();
        Self::from_labels(labels)
    }

    /// Rebuilds the lookup from saved labels.
    pub fn from_labels(labels: Vec<String>) -> Self {
        let index = labels.iter().enumerate().map(|(i, l)| (l.clone(), i as i32)).collect();
        Self { labels, index }
    }

    /// Index of `label`, or 0 (`#na#`) if the training split never saw it.
    pub fn encode(&self, label: &str) -> i32 {
        self.index.get(label).copied().filter(|&i| i > 0).unwrap_or(0)
    }

    /// Number of entries including `#na#`.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Never true: `#na#` is always there.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The split and encoded data a learner trains on.
#[derive(Debug, Clone)]
pub struct CollabData {
    /// Split and batch settings.
    pub settings: DataSettings,
    /// User ids as text, `#na#` first.
    pub users: Vocab,
    /// Item titles (or ids), `#na#` first.
    pub items: Vocab,
    /// Training ratings.
    pub train: Encoded,
    /// Validation ratings.
    pub valid: Encoded,
}

impl CollabData {
    /// Splits and encodes `table` as fastai does.
    pub fn new(table: &RatingsTable, settings: DataSettings) -> Self {
        let n = table.ratings.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut StdRng::seed_from_u64(settings.seed));
        // fastai's RandomSplitter: the first `int(valid_pct * n)` of a permutation are validation.
        let cut = (settings.valid_pct as f64 * n as f64) as usize;
        let (valid_rows, train_rows) = order.split_at(cut);

        // Each rating's labels, made once (titles are looked up and cloned only here).
        let user_labels: Vec<String> = table.ratings.iter().map(|r| r.user.to_string()).collect();
        let item_labels: Vec<String> = match settings.item_key {
            ItemKey::Title => {
                let titles: std::collections::HashMap<u32, String> =
                    table.ratings.iter().map(|r| (r.item, table.title(r.item))).collect();
                table.ratings.iter().map(|r| titles[&r.item].clone()).collect()
            }
            ItemKey::Id => table.ratings.iter().map(|r| r.item.to_string()).collect(),
        };
        // fastai shrinks the frame before the split, which makes every text column a
        // categorical over the whole file, and Categorify keeps all of a categorical's
        // values: titles get a vocabulary of every title in the file. Integer columns
        // (user ids, movie ids) get the training rows' values only, so a user seen only in
        // validation maps to #na#.
        let users = Vocab::new(train_rows.iter().map(|&r| user_labels[r].clone()).collect(), true);
        let items = match settings.item_key {
            ItemKey::Title => Vocab::new(item_labels.clone(), false),
            ItemKey::Id => Vocab::new(train_rows.iter().map(|&r| item_labels[r].clone()).collect(), true),
        };
        let encode = |rows: &[usize]| Encoded {
            users: rows.iter().map(|&r| users.encode(&user_labels[r])).collect(),
            items: rows.iter().map(|&r| items.encode(&item_labels[r])).collect(),
            ratings: rows.iter().map(|&r| table.ratings[r].rating).collect(),
        };
        let (train, valid) = (encode(train_rows), encode(valid_rows));
        Self { settings, users, items, train, valid }
    }

    /// Training batches of one epoch: shuffled with the epoch's own seed, the last
    /// partial batch dropped (fastai's `drop_last=True` for training).
    pub fn train_batches(&self, epoch: usize) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.train.len()).collect();
        let seed = self.settings.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64 + 1);
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        order.chunks_exact(self.settings.batch_size).map(<[usize]>::to_vec).collect()
    }

    /// Number of training batches in an epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.train.len() / self.settings.batch_size
    }

    /// The validation MSE of the simplest guess there is, the mean training rating for
    /// everyone (NaN without ratings on either side): a fit that does no better learned nothing.
    pub fn mean_baseline(&self) -> f64 {
        let n = self.train.ratings.len() as f64;
        let mean = self.train.ratings.iter().map(|&r| r as f64).sum::<f64>() / n;
        let v = self.valid.ratings.len() as f64;
        self.valid.ratings.iter().map(|&r| (r as f64 - mean).powi(2)).sum::<f64>() / v
    }

    /// Validation ratings whose user or item is `#na#` (seen only in validation).
    pub fn valid_only_counts(&self) -> (usize, usize) {
        let users = self.valid.users.iter().filter(|&&u| u == 0).count();
        let trained: std::collections::HashSet<i32> = self.train.items.iter().copied().collect();
        let items = self.valid.items.iter().filter(|i| !trained.contains(i)).count();
        (users, items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ratings::Rating;

    fn table(rows: &[(u32, u32, f32)]) -> RatingsTable {
        RatingsTable {
            ratings: rows.iter().map(|&(user, item, rating)| Rating { user, item, rating, timestamp: 0 }).collect(),
            titles: [(1, "B movie".to_string()), (2, "A movie".to_string()), (3, "A movie".to_string())].into(),
            ..RatingsTable::default()
        }
    }

    #[test]
    fn vocab_has_na_first_and_sorted_labels() {
        let vocab = Vocab::new(vec!["10".into(), "9".into(), "10".into()], true);
        assert_eq!(vocab.labels, vec!["#na#", "9", "10"]);
        assert_eq!(vocab.encode("10"), 2);
        assert_eq!(vocab.encode("11"), 0);
        assert_eq!(vocab.encode(NA), 0);
    }

    #[test]
    fn validation_only_user_maps_to_na() {
        // User 99 has a single rating: depending on the seed it is in the training split
        // (and so in the vocabulary) or only in validation, where it must be encoded as 0.
        let mut rows: Vec<(u32, u32, f32)> = (0..40).map(|i| (1 + i % 4, 1 + i % 3, 3.0)).collect();
        rows.push((99, 1, 5.0));
        let mut seen_as_na = 0;
        for seed in 0..20 {
            let d = CollabData::new(&table(&rows), DataSettings { seed, ..Default::default() });
            let in_vocab = d.users.labels.iter().any(|l| l == "99");
            let in_valid_as_na = d.valid.users.iter().zip(&d.valid.ratings).any(|(&u, &r)| u == 0 && r == 5.0);
            assert!(in_vocab != in_valid_as_na, "seed {seed}");
            seen_as_na += usize::from(in_valid_as_na);
        }
        assert!(seen_as_na > 0, "some seed must put user 99 in validation only");
    }

    #[test]
    fn a_title_only_in_validation_is_in_the_vocabulary_but_a_user_only_there_is_not() {
        // Movie 3 ("C movie") and user 99 have one rating each, which some seed puts in
        // validation only: the title keeps its own row, the user id maps to #na#.
        let mut t = table(&(0..40).map(|i| (1 + i % 4, 1 + i % 2, 3.0)).collect::<Vec<_>>());
        t.titles.insert(3, "C movie".into());
        t.ratings.push(Rating { user: 99, item: 3, rating: 5.0, timestamp: 0 });
        let mut seen = 0;
        for seed in 0..30 {
            let d = CollabData::new(&t, DataSettings { seed, ..Default::default() });
            assert!(d.items.labels.iter().any(|l| l == "C movie"), "seed {seed}: every title is in the vocabulary");
            let last = d.valid.ratings.iter().position(|&r| r == 5.0);
            if let Some(at) = last {
                seen += 1;
                assert_eq!(d.valid.users[at], 0, "seed {seed}: user 99 is #na#");
                assert_eq!(d.valid.items[at], d.items.encode("C movie"));
                assert!(d.valid.items[at] > 0);
                assert_eq!(d.valid_only_counts(), (1, 1), "seed {seed}");
            }
        }
        assert!(seen > 0, "some seed must put the rating in validation");
        // Integer movie ids follow the training rows, as user ids do.
        for seed in 0..30 {
            let d = CollabData::new(&t, DataSettings { seed, item_key: ItemKey::Id, ..Default::default() });
            if d.valid.ratings.contains(&5.0) {
                assert!(!d.items.labels.iter().any(|l| l == "3"), "seed {seed}");
            }
        }
    }

    #[test]
    fn items_by_title_merge_ids_with_one_title() {
        let rows: Vec<(u32, u32, f32)> = (0..30).map(|i| (1, 1 + i % 3, 4.0)).collect();
        let data = CollabData::new(&table(&rows), DataSettings { valid_pct: 0.0, ..Default::default() });
        assert_eq!(data.items.labels, vec!["#na#", "A movie", "B movie"]);
        let by_id = CollabData::new(
            &table(&rows),
            DataSettings { valid_pct: 0.0, item_key: ItemKey::Id, ..Default::default() },
        );
        assert_eq!(by_id.items.labels, vec!["#na#", "1", "2", "3"]);
    }

    #[test]
    fn split_is_seeded_and_batches_drop_the_last_partial() {
        let rows: Vec<(u32, u32, f32)> = (0..1000).map(|i| (i % 50, i % 70, 1.0 + (i % 5) as f32)).collect();
        let settings = DataSettings { item_key: ItemKey::Id, ..Default::default() };
        let a = CollabData::new(&table(&rows), settings);
        let b = CollabData::new(&table(&rows), settings);
        assert_eq!(a.valid, b.valid);
        assert_eq!(a.valid.len(), 200);
        assert_eq!(a.batches_per_epoch(), 800 / 64);
        let batches = a.train_batches(0);
        assert_eq!(batches.len(), 12);
        assert!(batches.iter().all(|b| b.len() == 64));
        assert_ne!(a.train_batches(0), a.train_batches(1), "each epoch reshuffles");
    }
}
