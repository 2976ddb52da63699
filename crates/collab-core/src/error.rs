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
    #[error("expected ml-100k.zip, u.data (with u.item), or ratings.csv (with movies.csv)")]
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
    /// More ratings than the notebook trains on in a browser tab.
    #[error("{file} holds more than {max} ratings: this notebook takes up to {max} (MovieLens-100k has 100,000)")]
    TooManyRatings {
        /// File name.
        file: String,
        /// The limit.
        max: usize,
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
    /// The archive lacks a file it needs.
    #[error("{file} has no {missing} inside")]
    MissingInZip {
        /// Archive name.
        file: String,
        /// The member that was looked for.
        missing: &'static str,
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
