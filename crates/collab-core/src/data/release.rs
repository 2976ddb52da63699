//! The MovieLens releases as GroupLens publishes them, and the three layouts they come in.
//!
//! Each release's zip holds one top folder (`ml-25m/`, `ml-10M100K/`, …) with a ratings
//! file and a titles file in one of three layouts, beside files the notebook does not use
//! (tags, links, genome scores, users), which are never unpacked. A load says which
//! release it recognised: by the zip's folder, or, for loose files, by the layout and the
//! number of ratings GroupLens published for it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a release lays out its ratings and titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layout {
    /// MovieLens-100k: `u.data` (`user \t item \t rating \t timestamp`) and `u.item`
    /// (`|`-separated, latin-1, 19 genre flags).
    Tab,
    /// ml-1m and ml-10m: `ratings.dat` (`UserID::MovieID::Rating::Timestamp`) and
    /// `movies.dat` (`MovieID::Title::Genres`; latin-1 in ml-1m, UTF-8 in ml-10m).
    Dat,
    /// ml-latest-small, ml-latest, ml-20m, ml-25m, ml-32m: `ratings.csv`
    /// (`userId,movieId,rating,timestamp` with a header line) and `movies.csv`
    /// (`movieId,title,genres`, titles quoted when they hold commas, UTF-8).
    Csv,
}

impl Layout {
    /// Every layout, in the order files picked together are looked for.
    pub const ALL: [Layout; 3] = [Layout::Tab, Layout::Dat, Layout::Csv];

    /// The file that holds the ratings.
    pub const fn ratings_file(self) -> &'static str {
        match self {
            Layout::Tab => "u.data",
            Layout::Dat => "ratings.dat",
            Layout::Csv => "ratings.csv",
        }
    }

    /// The file that holds the titles (and genres).
    pub const fn titles_file(self) -> &'static str {
        match self {
            Layout::Tab => "u.item",
            Layout::Dat => "movies.dat",
            Layout::Csv => "movies.csv",
        }
    }

    /// What separates the fields of a ratings line.
    pub const fn separator(self) -> &'static [u8] {
        match self {
            Layout::Tab => b"\t",
            Layout::Dat => b"::",
            Layout::Csv => b",",
        }
    }

    /// The separator in words, for messages ("expected 4 fields separated by tabs").
    pub const fn separator_words(self) -> &'static str {
        match self {
            Layout::Tab => "tabs",
            Layout::Dat => "'::'",
            Layout::Csv => "commas",
        }
    }
}

/// One MovieLens release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Release {
    /// MovieLens-100k (1998): the lesson's data.
    Ml100k,
    /// ml-latest-small: the "education and development" sample, half stars.
    LatestSmall,
    /// ml-latest: the full, changing "latest" data set.
    Latest,
    /// MovieLens-1M (2003).
    Ml1m,
    /// MovieLens-10M (2009), half stars.
    Ml10m,
    /// MovieLens-20M (2015).
    Ml20m,
    /// MovieLens-25M (2019).
    Ml25m,
    /// MovieLens-32M (2024).
    Ml32m,
}

impl Release {
    /// Every release, smallest first.
    pub const ALL: [Release; 8] = [
        Release::Ml100k,
        Release::LatestSmall,
        Release::Ml1m,
        Release::Ml10m,
        Release::Ml20m,
        Release::Ml25m,
        Release::Ml32m,
        Release::Latest,
    ];

    /// Its name as GroupLens's page and the lessons say it.
    pub const fn name(self) -> &'static str {
        match self {
            Release::Ml100k => "MovieLens 100K",
            Release::LatestSmall => "MovieLens latest small",
            Release::Latest => "MovieLens latest",
            Release::Ml1m => "MovieLens 1M",
            Release::Ml10m => "MovieLens 10M",
            Release::Ml20m => "MovieLens 20M",
            Release::Ml25m => "MovieLens 25M",
            Release::Ml32m => "MovieLens 32M",
        }
    }

    /// The top folder of its zip (and the zip's name without `.zip`, except ml-10m's,
    /// which GroupLens names `ml-10m.zip`).
    pub const fn folder(self) -> &'static str {
        match self {
            Release::Ml100k => "ml-100k",
            Release::LatestSmall => "ml-latest-small",
            Release::Latest => "ml-latest",
            Release::Ml1m => "ml-1m",
            Release::Ml10m => "ml-10M100K",
            Release::Ml20m => "ml-20m",
            Release::Ml25m => "ml-25m",
            Release::Ml32m => "ml-32m",
        }
    }

    /// Its layout.
    pub const fn layout(self) -> Layout {
        match self {
            Release::Ml100k => Layout::Tab,
            Release::Ml1m | Release::Ml10m => Layout::Dat,
            _ => Layout::Csv,
        }
    }

    /// The number of ratings GroupLens published (none for ml-latest, which changes).
    pub const fn ratings(self) -> Option<usize> {
        match self {
            Release::Ml100k => Some(100_000),
            Release::LatestSmall => Some(100_836),
            Release::Latest => None,
            Release::Ml1m => Some(1_000_209),
            Release::Ml10m => Some(10_000_054),
            Release::Ml20m => Some(20_000_263),
            Release::Ml25m => Some(25_000_095),
            Release::Ml32m => Some(32_000_204),
        }
    }

    /// Whether its titles are latin-1 (ml-100k's `u.item`, ml-1m's `movies.dat`); the
    /// others' are UTF-8.
    pub const fn latin1_titles(self) -> bool {
        matches!(self, Release::Ml100k | Release::Ml1m)
    }

    /// Whether it has half stars (0.5 to 5) rather than whole ones (1 to 5).
    pub const fn half_stars(self) -> bool {
        !matches!(self, Release::Ml100k | Release::Ml1m)
    }

    /// The release whose zip has this top folder (compared without case).
    pub fn of_folder(folder: &str) -> Option<Release> {
        Release::ALL.into_iter().find(|r| r.folder().eq_ignore_ascii_case(folder))
    }

    /// The release of `layout` with exactly `ratings` ratings, as published.
    pub fn of_count(layout: Layout, ratings: usize) -> Option<Release> {
        Release::ALL.into_iter().find(|r| r.layout() == layout && r.ratings() == Some(ratings))
    }
}

impl fmt::Display for Release {
    /// "MovieLens 25M (ml-25m)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.folder())
    }
}

/// What a load recognised: the layout it read, and the release when one is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recognised {
    /// The layout read.
    pub layout: Layout,
    /// The release, by the zip's folder or by the published number of ratings.
    pub release: Option<Release>,
}

impl Recognised {
    /// The release named by a zip's `folder`, if it has this layout; else the release
    /// of this layout with `ratings` ratings.
    pub fn new(layout: Layout, folder: Option<&str>, ratings: usize) -> Self {
        let by_folder = folder.and_then(Release::of_folder).filter(|r| r.layout() == layout);
        Self { layout, release: by_folder.or_else(|| Release::of_count(layout, ratings)) }
    }
}

impl fmt::Display for Recognised {
    /// "MovieLens 25M (ml-25m)", or "MovieLens's ratings.csv layout (no release of this size)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.release {
            Some(release) => release.fmt(f),
            None => {
                write!(f, "MovieLens's {} layout (not the size of a published release)", self.layout.ratings_file())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_recognised_by_folder_or_by_count() {
        assert_eq!(Recognised::new(Layout::Csv, Some("ml-25m"), 7).release, Some(Release::Ml25m));
        assert_eq!(Recognised::new(Layout::Dat, Some("ML-10m100k"), 7).release, Some(Release::Ml10m));
        // A folder of another layout does not count; the number of ratings then decides.
        assert_eq!(Recognised::new(Layout::Tab, Some("ml-25m"), 100_000).release, Some(Release::Ml100k));
        assert_eq!(Recognised::new(Layout::Dat, None, 1_000_209).release, Some(Release::Ml1m));
        assert_eq!(Recognised::new(Layout::Csv, None, 100_836).release, Some(Release::LatestSmall));
        let other = Recognised::new(Layout::Csv, Some("mine"), 12);
        assert_eq!(other.release, None);
        assert_eq!(other.to_string(), "MovieLens's ratings.csv layout (not the size of a published release)");
        assert_eq!(Release::Ml25m.to_string(), "MovieLens 25M (ml-25m)");
        // No two releases of one layout share a published count.
        for a in Release::ALL {
            for b in Release::ALL {
                if a != b && a.layout() == b.layout() {
                    assert!(a.ratings().is_none() || a.ratings() != b.ratings(), "{a} {b}");
                }
            }
        }
    }
}
