//! What the page's cells need of a table of ratings, worked out where the table lives
//! (the worker that parsed it) and sent to the page as a load's answer: the page never
//! holds the ratings themselves.

use collab_core::data::{CrossTable, RatingsTable, Recognised};

/// Users and movies of the spreadsheet's corner of the data.
pub const SHEET_SIZE: usize = 15;

/// One of the first ratings as the file lists them: user, movie, its title, stars, timestamp.
pub type FirstRow = (u32, u32, String, f32, u32);

/// The first ratings section 1 lists.
pub const FIRST_ROWS: usize = 8;

/// What the page's cells need of a table, worked out where the table lives (the worker
/// that parsed it) and sent as the answer of a load: section 1's figures and rows, the
/// sheet's corner, the map's genres.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataSummary {
    pub ratings: usize,
    pub users: usize,
    pub items: usize,
    /// Distinct (user, movie) pairs rated.
    pub rated: usize,
    /// The busiest users × the most rated movies (section 1's, and the sheet's numbers).
    pub cross: CrossTable,
    /// The first ratings.
    pub first: Vec<FirstRow>,
    /// Each titled movie's genre mask (bit n: `GENRES[n]`), sorted by title: the model's
    /// items are titles, which the page finds here by binary search (indexing ml-25m's
    /// 62,423 titles cost the page's thread 20 to 40 ms as a model arrived). It crosses from the worker as one buffer of JSON ([`crate::json_bytes`]): ml-25m's
    /// 62,423 pairs as JavaScript values held the page's thread over 50 ms to read.
    #[serde(with = "crate::json_bytes")]
    pub genres: Vec<(String, u32)>,
    /// The layout read and the release recognised, if any (what the exported notebook
    /// reads, and how the load names it).
    pub recognised: Option<Recognised>,
    /// What was cut on reading ("2 titles cut to 200 characters"), if anything.
    pub note: Option<String>,
}

impl DataSummary {
    pub fn of(table: &RatingsTable) -> Self {
        let (users, items) = table.counts();
        // Sorted and deduplicated rather than hashed: 8 bytes a rating, where a set of
        // 25 million pairs would take several times the table's own memory.
        let mut pairs: Vec<u64> = table.ratings.iter().map(|r| u64::from(r.user) << 32 | u64::from(r.item)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let first = table
            .ratings
            .iter()
            .take(FIRST_ROWS)
            .map(|r| (r.user, r.item, table.title(r.item), r.rating, r.timestamp))
            .collect();
        let mut genres: Vec<(String, u32)> =
            table.genres.iter().filter_map(|(id, &mask)| Some((table.titles.get(id)?.clone(), mask))).collect();
        genres.sort_unstable();
        DataSummary {
            ratings: table.ratings.len(),
            users,
            items,
            rated: pairs.len(),
            cross: CrossTable::top(table, SHEET_SIZE),
            first,
            genres,
            recognised: table.recognised,
            note: table.note(),
        }
    }

    /// The release recognised, in words ("MovieLens 1M (ml-1m)"), if any.
    pub fn release(&self) -> Option<String> {
        self.recognised.and_then(|r| r.release).map(|r| r.to_string())
    }

    /// The share of the users × movies matrix that holds a rating.
    pub fn filled(&self) -> f64 {
        self.rated as f64 / (self.users * self.items).max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use collab_core::data::synth::{SynthSettings, generate};

    #[test]
    fn a_summary_survives_the_crossing_with_its_genres() {
        let table = generate(SynthSettings { users: 20, items: 12, density: 0.5, ..SynthSettings::default() });
        let summary = DataSummary::of(&table);
        assert!(!summary.genres.is_empty());
        let back: DataSummary = serde_json::from_slice(&serde_json::to_vec(&summary).unwrap()).unwrap();
        assert_eq!(back, summary);
    }
}
