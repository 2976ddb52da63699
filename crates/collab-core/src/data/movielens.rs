//! Parsers for the MovieLens files, from bytes (the browser hands bytes, never paths).
//!
//! - ML-100k: `u.data` (tab separated user, item, rating, timestamp) and `u.item` (pipe
//!   separated, latin-1: "Kolya (1996)" has no accents but others do), or the
//!   `ml-100k.zip` archive as GroupLens serves it.
//! - MovieLens "latest": `ratings.csv` and `movies.csv`, with a header and half stars.

use std::io::{Cursor, Read};

use super::ratings::{Rating, RatingsTable};
use crate::error::{DataError, Result};

/// Parses `u.data`: `user \t item \t rating \t timestamp`, one rating a line.
pub fn parse_u_data(bytes: &[u8], file: &str) -> Result<Vec<Rating>> {
    let text = std::str::from_utf8(bytes).map_err(|_| DataError::NotText { file: file.into() })?;
    let mut ratings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        let at = Field { file, line: index + 1 };
        if fields.len() != 4 {
            return Err(at.columns(4, fields.len(), "tabs"));
        }
        ratings.push(Rating {
            user: at.number(fields[0], "user id")?,
            item: at.number(fields[1], "movie id")?,
            rating: at.rating(fields[2])?,
            timestamp: at.number(fields[3], "timestamp")?,
        });
    }
    if ratings.is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    Ok(ratings)
}

/// Parses `u.item`: `id | title | release date | video date | url | 19 genre flags`,
/// latin-1 encoded. Only the id and title are kept.
pub fn parse_u_item(bytes: &[u8], file: &str) -> Result<Vec<(u32, String)>> {
    // ISO-8859-1 is a subset of windows-1252 for every byte u.item uses; encoding_rs
    // names it that way, as browsers do.
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    let mut items = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        let at = Field { file, line: index + 1 };
        if fields.len() < 2 {
            return Err(at.columns(24, fields.len(), "'|'"));
        }
        items.push((at.number(fields[0], "movie id")?, fields[1].to_string()));
    }
    if items.is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    Ok(items)
}

/// Reads `ml-100k.zip` (or any zip holding `u.data` and, optionally, `u.item`).
pub fn parse_ml100k_zip(bytes: &[u8], file: &str) -> Result<RatingsTable> {
    let not_zip = |e: zip::result::ZipError| DataError::NotZip { file: file.into(), reason: e.to_string() };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_zip)?;
    let find = |archive: &zip::ZipArchive<Cursor<&[u8]>>, name: &str| {
        archive.file_names().find(|n| *n == name || n.ends_with(&format!("/{name}"))).map(str::to_string)
    };
    let data_name = find(&archive, "u.data").ok_or(DataError::MissingInZip { file: file.into(), missing: "u.data" })?;
    let item_name = find(&archive, "u.item");
    let mut read = |name: &str| -> Result<Vec<u8>> {
        let mut entry = archive.by_name(name).map_err(not_zip)?;
        let mut out = Vec::new();
        entry.read_to_end(&mut out).map_err(|e| DataError::NotZip { file: file.into(), reason: e.to_string() })?;
        Ok(out)
    };
    let ratings = parse_u_data(&read(&data_name)?, "u.data")?;
    let titles = match item_name {
        Some(name) => parse_u_item(&read(&name)?, "u.item")?.into_iter().collect(),
        None => Default::default(),
    };
    Ok(RatingsTable { ratings, titles })
}

/// Builds a table from `u.data` and, optionally, `u.item`.
pub fn parse_ml100k_files(u_data: &[u8], u_item: Option<&[u8]>) -> Result<RatingsTable> {
    let ratings = parse_u_data(u_data, "u.data")?;
    let titles = match u_item {
        Some(bytes) => parse_u_item(bytes, "u.item")?.into_iter().collect(),
        None => Default::default(),
    };
    Ok(RatingsTable { ratings, titles })
}

/// Parses MovieLens "latest" `ratings.csv`: `userId,movieId,rating,timestamp` with a header.
pub fn parse_ratings_csv(bytes: &[u8], file: &str) -> Result<Vec<Rating>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let mut ratings = Vec::new();
    for (index, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let at = Field { file, line: index + 2 };
        let record = record.map_err(|_| DataError::NotText { file: file.into() })?;
        if record.len() != 4 {
            return Err(at.columns(4, record.len(), "commas"));
        }
        ratings.push(Rating {
            user: at.number(&record[0], "user id")?,
            item: at.number(&record[1], "movie id")?,
            rating: at.rating(&record[2])?,
            timestamp: at.number(&record[3], "timestamp")?,
        });
    }
    if ratings.is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    Ok(ratings)
}

/// Parses MovieLens "latest" `movies.csv`: `movieId,title,genres` (titles may be quoted).
pub fn parse_movies_csv(bytes: &[u8], file: &str) -> Result<Vec<(u32, String)>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let mut items = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let at = Field { file, line: index + 2 };
        let record = record.map_err(|_| DataError::NotText { file: file.into() })?;
        if record.len() != 3 {
            return Err(at.columns(3, record.len(), "commas"));
        }
        items.push((at.number(&record[0], "movie id")?, record[1].to_string()));
    }
    if items.is_empty() {
        return Err(DataError::Empty { file: file.into() });
    }
    Ok(items)
}

/// Where a field came from, so that every error can say so.
struct Field<'a> {
    file: &'a str,
    line: usize,
}

impl Field<'_> {
    fn columns(&self, expected: usize, found: usize, sep: &'static str) -> DataError {
        DataError::ColumnCount { file: self.file.into(), line: self.line, expected, found, sep }
    }

    fn number<T: std::str::FromStr>(&self, value: &str, column: &'static str) -> Result<T> {
        value.trim().parse().map_err(|_| DataError::NotNumeric {
            file: self.file.into(),
            line: self.line,
            column,
            value: value.into(),
        })
    }

    fn rating(&self, value: &str) -> Result<f32> {
        let rating: f32 = self.number(value, "rating")?;
        if !(0.5..=5.0).contains(&rating) {
            return Err(DataError::RatingOutOfRange { file: self.file.into(), line: self.line, value: rating });
        }
        Ok(rating)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_u_data_lines() {
        let ratings = parse_u_data(b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n", "u.data").unwrap();
        assert_eq!(ratings.len(), 2);
        assert_eq!(ratings[0], Rating { user: 196, item: 242, rating: 3.0, timestamp: 881250949 });
    }

    #[test]
    fn u_item_is_latin1() {
        // 0xE9 is é in latin-1 and not valid UTF-8 on its own.
        let items = parse_u_item(b"242|Kolya (1996)|24-Jan-1997||url|0\n1|Caf\xe9 (1995)|||\n", "u.item").unwrap();
        assert_eq!(items[0], (242, "Kolya (1996)".to_string()));
        assert_eq!(items[1].1, "Café (1995)");
    }

    #[test]
    fn bad_lines_name_file_line_and_problem() {
        let err = parse_u_data(b"1\t2\t3\t4\n1\t2\t3\n", "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 2: expected 4 fields separated by tabs, found 3");
        let err = parse_u_data(b"1\tx\t3\t4\n", "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: the movie id \"x\" is not a number");
        let err = parse_u_data(b"1\t2\t7\t4\n", "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: rating 7 is outside 0.5 to 5");
        let err = parse_u_data(b"", "u.data").unwrap_err();
        assert_eq!(err, DataError::Empty { file: "u.data".into() });
    }

    #[test]
    fn zip_errors_are_values() {
        let err = parse_ml100k_zip(b"not a zip at all", "ml-100k.zip").unwrap_err();
        assert!(matches!(err, DataError::NotZip { .. }), "{err}");
        let mut cursor = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut cursor);
            zip.start_file("ml-100k/README", zip::write::SimpleFileOptions::default()).unwrap();
            zip.finish().unwrap();
        }
        let err = parse_ml100k_zip(&cursor.into_inner(), "ml-100k.zip").unwrap_err();
        assert_eq!(err.to_string(), "ml-100k.zip has no u.data inside");
    }

    #[test]
    fn latest_csv_with_half_stars_and_quoted_titles() {
        let ratings =
            parse_ratings_csv(b"userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n", "ratings.csv").unwrap();
        assert_eq!(ratings[0].rating, 2.5);
        let movies =
            parse_movies_csv(b"movieId,title,genres\n11,\"American President, The (1995)\",Comedy\n", "movies.csv")
                .unwrap();
        assert_eq!(movies[0], (11, "American President, The (1995)".to_string()));
        let err = parse_ratings_csv(b"userId,movieId,rating,timestamp\n1,31,9,1\n", "ratings.csv").unwrap_err();
        assert_eq!(err.to_string(), "ratings.csv, line 2: rating 9 is outside 0.5 to 5");
    }
}
