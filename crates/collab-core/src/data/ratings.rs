//! The in-memory ratings table every source is read into.

use std::collections::BTreeMap;

use super::release::Recognised;

/// One rating: who rated what, how much, when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// User id as in the file.
    pub user: u32,
    /// Item (movie) id as in the file.
    pub item: u32,
    /// The rating, 0.5 to 5.
    pub rating: f32,
    /// Seconds since 1970 (0 where the source has none; MovieLens's fit 32 bits until
    /// 2106, which keeps a rating at 16 bytes).
    pub timestamp: u32,
}

/// Ratings plus the titles (and, from `u.item`, the genres) of the rated items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingsTable {
    /// Every rating, in file order.
    pub ratings: Vec<Rating>,
    /// Item id to title; items without a title are shown by id.
    pub titles: BTreeMap<u32, String>,
    /// Item id to its genres, one bit per [`GENRES`] entry (items without are absent).
    pub genres: BTreeMap<u32, u32>,
    /// Titles longer than [`crate::text::MAX_TEXT`] characters, cut when read.
    pub cut_titles: usize,
    /// The layout and release read (none for generated tables).
    pub recognised: Option<Recognised>,
}

/// MovieLens-100k's 19 genres, in `u.item`'s column order (bit n of a genre mask).
pub const GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

impl RatingsTable {
    /// The title of an item, or its id in words where the source gave no title.
    pub fn title(&self, item: u32) -> String {
        self.titles.get(&item).cloned().unwrap_or_else(|| format!("movie {item}"))
    }

    /// What the load message adds about the file's text: "3 titles cut to 200
    /// characters", or nothing.
    pub fn note(&self) -> Option<String> {
        crate::text::cut_note(self.cut_titles, "title", "titles")
    }

    /// Numbers of distinct users and items.
    pub fn counts(&self) -> (usize, usize) {
        let users: std::collections::BTreeSet<u32> = self.ratings.iter().map(|r| r.user).collect();
        let items: std::collections::BTreeSet<u32> = self.ratings.iter().map(|r| r.item).collect();
        (users.len(), items.len())
    }
}
