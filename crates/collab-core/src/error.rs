//! Errors in plain words: every message names the file, the line and what is wrong,
//! because the page shows it to a visitor who dropped the file.

use thiserror::Error;

/// What went wrong while reading ratings or movie files.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DataError {
    /// A file held nothing (or only a header).
    #[error("{file} is empty: it holds no {holds}")]
    Empty {
        /// The file's name as the visitor knows it.
        file: String,
        /// What the file should hold: "ratings" or "titles".
        holds: &'static str,
    },
    /// A file of titles was given without the file of ratings it goes with.
    #[error("{file} holds the movies' titles, not ratings: pick {missing} with it")]
    TitlesOnly {
        /// The titles' file, as named.
        file: String,
        /// The ratings' file it needs.
        missing: &'static str,
    },
    /// A line had the wrong number of fields.
    #[error("{file}, line {line}: expected {expected} fields separated by {sep}, found {found}")]
    ColumnCount {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Fields the format needs.
        expected: usize,
        /// Fields found.
        found: usize,
        /// How the format separates fields, in words.
        sep: &'static str,
    },
    /// None of the files given is one the notebook reads.
    #[error(
        "expected ml-100k.zip or another MovieLens zip (ml-latest-small, ml-1m, ml-10m, ml-20m, ml-25m, ml-32m, \
         ml-latest), u.data (with u.item), ratings.dat (with movies.dat), or ratings.csv (with movies.csv)"
    )]
    NoKnownFile,
    /// A field that must be a number was not.
    #[error("{file}, line {line}: the {column} \"{value}\" is not a number")]
    NotNumeric {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Which column, in words.
        column: &'static str,
        /// The text found.
        value: String,
    },
    /// A whole number too large (or negative) for its column.
    #[error("{file}, line {line}: the {column} {value} is out of range ({range})")]
    OutOfRange {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// Which column, in words.
        column: &'static str,
        /// The text found (cut to a readable length).
        value: String,
        /// The values the column takes, in words.
        range: String,
    },
    /// More ratings than the memory budget holds (found while reading).
    #[error(
        "{file} holds more than {max} ratings: this notebook keeps at most {max} ratings (16 bytes each) within its \
         memory budget of {budget}; MovieLens 32M, the largest release, has 32,000,204"
    )]
    TooManyRatings {
        /// File name.
        file: String,
        /// The most ratings kept, written with thousands' commas.
        max: String,
        /// The budget in words ("1 GiB").
        budget: String,
    },
    /// A ratings file whose size alone (its length, or its zip header's word) is beyond
    /// the budget: refused before it is read.
    #[error(
        "{file} is {size} of text: even at 64 bytes a line that is more than the {most} ratings this notebook keeps \
         within its memory budget of {budget} (16 bytes a rating)"
    )]
    TooLarge {
        /// File name.
        file: String,
        /// Its size in words.
        size: String,
        /// The most ratings kept, with thousands' commas.
        most: String,
        /// The budget in words.
        budget: String,
    },
    /// A titles file larger than the budget's share for titles.
    #[error("{file} is {size}: a titles file of more than {most} is not read (MovieLens 32M's is under 5 MiB)")]
    TitlesTooLarge {
        /// File name.
        file: String,
        /// Its size in words.
        size: String,
        /// The most read, in words.
        most: String,
    },
    /// A file that could not be read (a disk's error, or a zip member that does not unpack).
    #[error("{file} cannot be read ({why})")]
    Unreadable {
        /// File name.
        file: String,
        /// The system's words.
        why: String,
    },
    /// A line too long to be a line of ratings.
    #[error("{file}, line {line} is longer than {most}: this is not a file of ratings")]
    LineTooLong {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The longest line read, in words.
        most: String,
    },
    /// The memory for the table could not be had (within the budget, but the machine or
    /// the browser tab has less).
    #[error("{file}: the memory for {ratings} ratings could not be had on this machine")]
    NoMemory {
        /// File name.
        file: String,
        /// How many ratings were being made room for.
        ratings: String,
    },
    /// A member of an archive that cannot be read or is too large.
    #[error("{file}: {entry} {problem}")]
    ZipEntry {
        /// Archive name.
        file: String,
        /// Member name (cut to a readable length).
        entry: String,
        /// What is wrong with it, in words.
        problem: String,
    },
    /// A rating outside 0.5..=5.
    #[error("{file}, line {line}: rating {value} is outside 0.5 to 5")]
    RatingOutOfRange {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The rating as written (cut to a readable length).
        value: String,
    },
    /// The bytes are not a zip archive.
    #[error("{file} is not a zip archive")]
    NotZip {
        /// File name.
        file: String,
    },
    /// The bytes start as a zip does but cannot be read as one: the end, where a zip
    /// lists its files, is missing (a download cut short) or damaged.
    #[error("{file} is cut short or damaged: it starts as a zip but its end is missing or broken; download it again")]
    DamagedZip {
        /// File name.
        file: String,
    },
    /// The archive holds no ratings file of any layout.
    #[error("{file} has no u.data inside, nor a ratings.dat or ratings.csv: it holds no MovieLens ratings")]
    MissingInZip {
        /// Archive name.
        file: String,
    },
    /// Text that is not valid UTF-8 where UTF-8 is required.
    #[error("{file} is not UTF-8 text")]
    NotText {
        /// File name.
        file: String,
    },
    /// A saved model file that cannot be read back.
    #[error("the model file cannot be read: {0}")]
    ModelFile(String),
}

/// `text` cut to at most `max` characters, with an ellipsis when cut: messages quote
/// what a visitor typed or a file held, and a 5 MB field must not become a 5 MB message.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}… ({} characters)", &text[..at], text.chars().count()),
        None => text.to_string(),
    }
}

/// Short alias used across the crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
