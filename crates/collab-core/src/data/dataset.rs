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

    /// The rows at `rows`, in that order. A training batch's rows lie anywhere in the
    /// split (ml-25m's: three columns of 80 MB each), so each is asked for a few rows ahead.
    pub fn select(&self, rows: &[usize]) -> Encoded {
        const AHEAD: usize = 16;
        let n = rows.len();
        let mut out =
            Encoded { users: Vec::with_capacity(n), items: Vec::with_capacity(n), ratings: Vec::with_capacity(n) };
        for (j, &r) in rows.iter().enumerate() {
            if let Some(&ahead) = rows.get(j + AHEAD) {
                crate::prefetch::at(&self.users, ahead);
                crate::prefetch::at(&self.items, ahead);
                crate::prefetch::at(&self.ratings, ahead);
            }
            out.users.push(self.users[r]);
            out.items.push(self.items[r]);
            out.ratings.push(self.ratings[r]);
        }
        out
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

/// Ids to their vocabulary index (0, `#na#`, for an id not in it): a table by id where
/// the ids are dense enough (MovieLens's are), a hash map otherwise.
enum IdIndex {
    Dense(Vec<i32>),
    Sparse(std::collections::HashMap<u32, i32>),
}

impl IdIndex {
    fn new(pairs: impl Iterator<Item = (u32, i32)> + Clone) -> Self {
        let (count, top) = pairs.clone().fold((0usize, 0u32), |(n, top), (id, _)| (n + 1, top.max(id)));
        if (top as usize) < 8 * count + 1024 {
            let mut dense = vec![0; top as usize + 1];
            for (id, index) in pairs {
                dense[id as usize] = index;
            }
            IdIndex::Dense(dense)
        } else {
            IdIndex::Sparse(pairs.collect())
        }
    }

    fn get(&self, id: u32) -> i32 {
        match self {
            IdIndex::Dense(dense) => dense.get(id as usize).copied().unwrap_or(0),
            IdIndex::Sparse(map) => map.get(&id).copied().unwrap_or(0),
        }
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
    ///
    /// fastai shrinks the frame before the split, which makes every text column a
    /// categorical over the whole file, and Categorify keeps all of a categorical's
    /// values: titles get a vocabulary of every title in the file. Integer columns
    /// (user ids, movie ids) get the training rows' values only, so a user seen only in
    /// validation maps to #na#. The labels are made once a distinct id, not once a
    /// rating: ml-25m's 25 million ratings have 162,541 users and 59,047 movies.
    pub fn new(table: &RatingsTable, settings: DataSettings) -> Self {
        let n = table.ratings.len();
        // The same permutation as a vector of usize would get (a shuffle's draws depend
        // only on the length), in half the memory.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.shuffle(&mut StdRng::seed_from_u64(settings.seed));
        // fastai's RandomSplitter: the first `int(valid_pct * n)` of a permutation are validation.
        let cut = (settings.valid_pct as f64 * n as f64) as usize;
        let (valid_rows, train_rows) = order.split_at(cut);
        let rating = |r: &u32| &table.ratings[*r as usize];

        // Integer columns: the training rows' ids, in numeric order, behind #na#.
        let id_vocab = |ids: &mut dyn Iterator<Item = u32>| -> (Vocab, IdIndex) {
            let mut ids: Vec<u32> = ids.collect();
            ids.sort_unstable();
            ids.dedup();
            let index = IdIndex::new(ids.iter().enumerate().map(|(i, &id)| (id, i as i32 + 1)));
            let labels = std::iter::once(NA.to_string()).chain(ids.iter().map(u32::to_string)).collect();
            (Vocab::from_labels(labels), index)
        };
        let (users, user_index) = id_vocab(&mut train_rows.iter().map(|r| rating(r).user));
        let (items, item_index) = match settings.item_key {
            ItemKey::Title => {
                // Every item of the file by its title; items with one title are one.
                let mut ids: Vec<u32> = table.ratings.iter().map(|r| r.item).collect();
                ids.sort_unstable();
                ids.dedup();
                let titled: Vec<(u32, String)> = ids.into_iter().map(|id| (id, table.title(id))).collect();
                let vocab = Vocab::new(titled.iter().map(|(_, t)| t.clone()).collect(), false);
                let index = IdIndex::new(titled.iter().map(|(id, t)| (*id, vocab.encode(t))));
                (vocab, index)
            }
            ItemKey::Id => id_vocab(&mut train_rows.iter().map(|r| rating(r).item)),
        };
        let encode = |rows: &[u32]| Encoded {
            users: rows.iter().map(|r| user_index.get(rating(r).user)).collect(),
            items: rows.iter().map(|r| item_index.get(rating(r).item)).collect(),
            ratings: rows.iter().map(|r| rating(r).rating).collect(),
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

    /// fastai's encoding as it was first written here, a label string a rating: the
    /// reference the scalable one must equal.
    fn by_labels(table: &RatingsTable, settings: DataSettings) -> (Vocab, Vocab, Encoded, Encoded) {
        let n = table.ratings.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut StdRng::seed_from_u64(settings.seed));
        let cut = (settings.valid_pct as f64 * n as f64) as usize;
        let (valid_rows, train_rows) = order.split_at(cut);
        let user_labels: Vec<String> = table.ratings.iter().map(|r| r.user.to_string()).collect();
        let item_labels: Vec<String> = match settings.item_key {
            ItemKey::Title => table.ratings.iter().map(|r| table.title(r.item)).collect(),
            ItemKey::Id => table.ratings.iter().map(|r| r.item.to_string()).collect(),
        };
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
        (users, items, train, valid)
    }

    #[test]
    fn the_encoding_is_the_one_by_label_strings() {
        use crate::data::synth::{SynthSettings, generate};
        let dense = generate(SynthSettings { users: 50, items: 40, density: 0.3, ..SynthSettings::default() });
        // Two ids with one title, an id without a title, sparse ids (the hash map's case).
        let mut t = dense.clone();
        t.titles.insert(2, t.titles[&1].clone());
        t.titles.remove(&3);
        for (i, r) in t.ratings.iter_mut().enumerate().filter(|(i, _)| i % 9 == 0) {
            r.user = 4_000_000_000 - i as u32;
            r.item = 3_000_000_000 + (i % 5) as u32;
        }
        for (seed, t) in (0..6).flat_map(|seed| [(seed, &dense), (seed, &t)]) {
            for item_key in [ItemKey::Title, ItemKey::Id] {
                let settings = DataSettings { seed, item_key, ..Default::default() };
                let d = CollabData::new(t, settings);
                let (users, items, train, valid) = by_labels(t, settings);
                assert_eq!((d.users, d.items, d.train, d.valid), (users, items, train, valid), "{seed} {item_key:?}");
            }
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
