//! The one memory budget of a load: what reading a MovieLens file may keep.
//!
//! A load keeps the parsed ratings (a [`Rating`] is 16 bytes) and the titles' text; the
//! ratings' text itself is parsed line by line as it is read or unpacked and never held.
//! The budget is split once: a sixteenth for the titles' file (ml-32m's `movies.csv` is
//! under 5 MB), the rest for the ratings. The stated budget, [`Budget::STATED`], holds
//! ml-32m's 32,000,204 ratings with room to spare. Every size read from a file (a zip's
//! declared sizes, a file's length) is checked against it before anything is allocated,
//! and the count is checked again while reading, since a zip's header may lie.

use super::ratings::Rating;

/// How much memory a load may keep, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The whole budget.
    pub bytes: u64,
}

/// The fewest bytes a line of ratings is assumed to take when a file's size is checked
/// before reading: a longer line than this needs ids and timestamps no MovieLens file
/// has ("4294967295,4294967295,4.5,4294967295\r\n" is 38). A file larger than
/// `max_ratings × LINE_BOUND` is refused unread; one below it is counted as it is read.
pub const LINE_BOUND: u64 = 64;

impl Budget {
    /// The stated budget: 1 GiB, enough for ml-32m.
    pub const STATED: Budget = Budget { bytes: 1 << 30 };

    /// The most bytes the titles' file may take (a sixteenth of the budget).
    pub const fn titles_bytes(self) -> u64 {
        self.bytes / 16
    }

    /// The most ratings a load keeps: the rest of the budget at 16 bytes a rating.
    pub const fn max_ratings(self) -> usize {
        ((self.bytes - self.titles_bytes()) / size_of::<Rating>() as u64) as usize
    }

    /// The largest ratings file read: beyond it, it would hold more than
    /// [`Budget::max_ratings`] even at [`LINE_BOUND`] bytes a line.
    pub const fn ratings_file_bytes(self) -> u64 {
        self.max_ratings() as u64 * LINE_BOUND
    }

    /// The budget in words: "1 GiB" or "1.5 MiB".
    pub fn words(self) -> String {
        bytes_words(self.bytes)
    }
}

/// A size in words, binary units: "678.0 MiB", "1 GiB", "512 bytes".
pub fn bytes_words(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 { format!("{value} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::release::Release;

    #[test]
    fn the_stated_budget_holds_the_largest_release_and_its_words_are_right() {
        assert_eq!(size_of::<Rating>(), 16, "the parsed table is 16 bytes a rating");
        let b = Budget::STATED;
        assert_eq!(b.max_ratings(), 62_914_560);
        assert!(Release::ALL.iter().filter_map(|r| r.ratings()).all(|n| n <= b.max_ratings()));
        assert_eq!(b.words(), "1 GiB");
        assert_eq!(bytes_words(678 << 20), "678 MiB");
        assert_eq!(bytes_words(1536), "1.5 KiB");
        assert_eq!(bytes_words(7), "7 bytes");
        assert_eq!(crate::text::grouped(25_000_095), "25,000,095");
        assert_eq!(crate::text::grouped(999), "999");
        assert_eq!(crate::text::grouped(1000), "1,000");
    }
}
