//! Parsers for the MovieLens files, from bytes (the browser hands bytes, never paths).
//!
//! - ML-100k: `u.data` (tab separated user, item, rating, timestamp) and `u.item` (pipe
//!   separated, latin-1: "Kolya (1996)" has no accents but others do), or the
//!   `ml-100k.zip` archive as GroupLens serves it.
//! - MovieLens "latest": `ratings.csv` and `movies.csv`, with a header and half stars.

use std::io::{Cursor, Read};

use super::ratings::{GENRES, Rating, RatingsTable};
use crate::error::{DataError, Result, clip};
use crate::text::bounded;

/// The most ratings one file may hold: ten times MovieLens-100k, as much as one
/// browser tab trains in reasonable time. A file with more is refused, not truncated.
pub const MAX_RATINGS: usize = 1_000_000;
/// The most bytes one member of a zip may inflate to (MovieLens-100k's largest is 1.9 MB).
pub const MAX_INFLATED: u64 = 64 << 20;
/// Characters of a field quoted back in a message.
const QUOTE: usize = 40;

/// The bytes without a leading UTF-8 byte-order mark (editors on Windows add one).
fn skip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Parses `u.data`: `user \t item \t rating \t timestamp`, one rating a line.
pub fn parse_u_data(bytes: &[u8], file: &str) -> Result<Vec<Rating>> {
    let text = std::str::from_utf8(skip_bom(bytes)).map_err(|_| DataError::NotText { file: file.into() })?;
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
        at.room(&ratings)?;
        ratings.push(Rating {
            user: at.number(fields[0], "user id")?,
            item: at.number(fields[1], "movie id")?,
            rating: at.rating(fields[2])?,
            timestamp: at.number(fields[3], "timestamp")?,
        });
    }
    if ratings.is_empty() {
        return Err(DataError::Empty { file: file.into(), holds: "ratings" });
    }
    Ok(ratings)
}

/// One line of `u.item`: the movie's id, title and genres (bit n: [`GENRES`]`[n]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Movie id, as in `u.data`.
    pub id: u32,
    /// Title with year, at most [`crate::text::MAX_TEXT`] characters.
    pub title: String,
    /// Genre flags as a mask; a flag that is missing or not `1` counts as not set.
    pub genres: u32,
    /// True when the file's title was longer and is cut.
    pub cut: bool,
}

/// The ratings with the titles and genres of `items` (from [`parse_u_item`] or
/// [`parse_movies_csv`]), counting the titles that were cut.
fn table(ratings: Vec<Rating>, items: Vec<Item>) -> RatingsTable {
    let genres = items.iter().filter(|i| i.genres != 0).map(|i| (i.id, i.genres)).collect();
    let cut_titles = items.iter().filter(|i| i.cut).count();
    RatingsTable { ratings, titles: items.into_iter().map(|i| (i.id, i.title)).collect(), genres, cut_titles }
}

/// Parses `u.item`: `id | title | release date | video date | url | 19 genre flags`,
/// latin-1 encoded. The id, title and genre flags are kept.
pub fn parse_u_item(bytes: &[u8], file: &str) -> Result<Vec<Item>> {
    // ISO-8859-1: each byte is the character of the same number (windows-1252, which
    // browsers substitute for it, differs in 0x80-0x9F).
    let text: String = skip_bom(bytes).iter().map(|&b| char::from(b)).collect();
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
        let genres = fields.iter().skip(5).take(GENRES.len()).enumerate().filter(|(_, f)| f.trim() == "1");
        let (title, cut) = bounded(fields[1]);
        items.push(Item {
            id: at.number(fields[0], "movie id")?,
            title,
            genres: genres.fold(0, |mask, (n, _)| mask | 1 << n),
            cut,
        });
    }
    if items.is_empty() {
        return Err(DataError::Empty { file: file.into(), holds: "titles" });
    }
    Ok(items)
}

/// Reads `ml-100k.zip` (or any zip holding one `u.data` and, optionally, one `u.item`).
/// Each member is inflated up to [`MAX_INFLATED`] bytes, whatever its header claims.
pub fn parse_ml100k_zip(bytes: &[u8], file: &str) -> Result<RatingsTable> {
    // A zip starts with "PK": one that does and still cannot be opened lost its end (the
    // directory a zip keeps there) or was damaged; anything else is not a zip.
    let file = &clip(file, QUOTE);
    let not_zip = |_| match bytes.starts_with(b"PK") {
        true => DataError::DamagedZip { file: file.clone() },
        false => DataError::NotZip { file: file.clone() },
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_zip)?;
    let find = |archive: &zip::ZipArchive<Cursor<&[u8]>>, name: &str| -> Result<Option<String>> {
        let found: Vec<&str> =
            archive.file_names().filter(|n| *n == name || n.ends_with(&format!("/{name}"))).collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.to_string())),
            many => Err(DataError::ZipEntry {
                file: file.into(),
                entry: name.into(),
                problem: format!(
                    "is in it {} times ({}): keep one and zip again",
                    many.len(),
                    clip(&many.join(", "), 2 * QUOTE)
                ),
            }),
        }
    };
    let data_name =
        find(&archive, "u.data")?.ok_or(DataError::MissingInZip { file: file.into(), missing: "u.data" })?;
    let item_name = find(&archive, "u.item")?;
    let mut read = |name: &str| -> Result<Vec<u8>> {
        let entry_error =
            |problem: String| DataError::ZipEntry { file: file.into(), entry: clip(name, QUOTE), problem };
        let entry = archive.by_name(name).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(why) => entry_error(format!(
                "is stored in a way this notebook cannot read ({why}); it reads zips made with deflate, as MovieLens serves them"
            )),
            _ => DataError::DamagedZip { file: file.clone() },
        })?;
        let mut out = Vec::new();
        entry
            .take(MAX_INFLATED + 1)
            .read_to_end(&mut out)
            .map_err(|e| entry_error(format!("is damaged and cannot be unpacked ({e})")))?;
        if out.len() as u64 > MAX_INFLATED {
            return Err(entry_error(format!(
                "unpacks to more than {} MB, more than this notebook reads",
                MAX_INFLATED >> 20
            )));
        }
        Ok(out)
    };
    let ratings = parse_u_data(&read(&data_name)?, "u.data")?;
    let items = match item_name {
        Some(name) => parse_u_item(&read(&name)?, "u.item")?,
        None => Vec::new(),
    };
    Ok(table(ratings, items))
}

/// The file names [`parse_named`] reads, compared without case: what the CLI takes
/// from a folder, as the page would from the same files picked.
pub const NAMES: [&str; 4] = ["u.data", "u.item", "ratings.csv", "movies.csv"];

/// True when [`parse_named`] reads a file of this name (any `.zip`, or one of [`NAMES`]).
pub fn is_read(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip") || NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// A table read from files picked or dropped together: the first `.zip`, else `u.data`
/// (with `u.item`), else `ratings.csv` (with `movies.csv`); names compared without case.
/// Returns the table and the names of the files it was read from, which alone name the
/// data (the page and the CLI both choose the parser here).
pub fn parse_named(files: &[(String, Vec<u8>)]) -> Result<(RatingsTable, Vec<String>)> {
    let find = |want: &str| files.iter().find(|(n, _)| n.eq_ignore_ascii_case(want));
    let used =
        |wanted: &[&str]| -> Vec<String> { wanted.iter().filter_map(|w| find(w)).map(|f| f.0.clone()).collect() };
    if let Some((name, bytes)) = files.iter().find(|(n, _)| n.to_ascii_lowercase().ends_with(".zip")) {
        return Ok((parse_ml100k_zip(bytes, name)?, vec![name.clone()]));
    }
    if let Some((_, data)) = find("u.data") {
        let table = parse_ml100k_files(data, find("u.item").map(|f| f.1.as_slice()))?;
        return Ok((table, used(&["u.data", "u.item"])));
    }
    if let Some((_, ratings)) = find("ratings.csv") {
        let ratings = parse_ratings_csv(ratings, "ratings.csv")?;
        let items = match find("movies.csv") {
            Some((_, m)) => parse_movies_csv(m, "movies.csv")?,
            None => Vec::new(),
        };
        return Ok((table(ratings, items), used(&["ratings.csv", "movies.csv"])));
    }
    // Titles alone: say which file holds the ratings.
    for (titles, ratings) in [("u.item", "u.data"), ("movies.csv", "ratings.csv")] {
        if let Some((name, _)) = find(titles) {
            return Err(DataError::TitlesOnly { file: name.clone(), missing: ratings });
        }
    }
    Err(DataError::NoKnownFile)
}

/// Builds a table from `u.data` and, optionally, `u.item`.
pub fn parse_ml100k_files(u_data: &[u8], u_item: Option<&[u8]>) -> Result<RatingsTable> {
    let ratings = parse_u_data(u_data, "u.data")?;
    let items = match u_item {
        Some(bytes) => parse_u_item(bytes, "u.item")?,
        None => Vec::new(),
    };
    Ok(table(ratings, items))
}

/// The records of a MovieLens "latest" CSV file, numbered by line, without its header
/// line. The header is optional: a first line whose first field is a number is data.
fn csv_records(bytes: &[u8], file: &str) -> Result<Vec<(usize, csv::StringRecord)>> {
    let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(skip_bom(bytes));
    let mut out = Vec::new();
    for (index, record) in reader.into_records().enumerate() {
        let record = record.map_err(|_| DataError::NotText { file: file.into() })?;
        let is_header = index == 0 && record.get(0).is_some_and(|f| f.trim().parse::<f64>().is_err());
        if !is_header {
            out.push((index + 1, record));
        }
    }
    Ok(out)
}

/// Parses MovieLens "latest" `ratings.csv`: `userId,movieId,rating,timestamp`, with or
/// without its header line.
pub fn parse_ratings_csv(bytes: &[u8], file: &str) -> Result<Vec<Rating>> {
    let mut ratings = Vec::new();
    for (line, record) in csv_records(bytes, file)? {
        let at = Field { file, line };
        if record.len() != 4 {
            return Err(at.columns(4, record.len(), "commas"));
        }
        at.room(&ratings)?;
        ratings.push(Rating {
            user: at.number(&record[0], "user id")?,
            item: at.number(&record[1], "movie id")?,
            rating: at.rating(&record[2])?,
            timestamp: at.number(&record[3], "timestamp")?,
        });
    }
    if ratings.is_empty() {
        return Err(DataError::Empty { file: file.into(), holds: "ratings" });
    }
    Ok(ratings)
}

/// Parses MovieLens "latest" `movies.csv`: `movieId,title,genres` (titles may be
/// quoted), with or without its header line. Its genres are not read (no genre mask).
pub fn parse_movies_csv(bytes: &[u8], file: &str) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for (line, record) in csv_records(bytes, file)? {
        let at = Field { file, line };
        if record.len() != 3 {
            return Err(at.columns(3, record.len(), "commas"));
        }
        let (title, cut) = bounded(&record[1]);
        items.push(Item { id: at.number(&record[0], "movie id")?, title, genres: 0, cut });
    }
    if items.is_empty() {
        return Err(DataError::Empty { file: file.into(), holds: "titles" });
    }
    Ok(items)
}

/// Where a field came from, so that every error can say so.
struct Field<'a> {
    file: &'a str,
    line: usize,
}

/// The numbers a column's type holds, for "out of range" messages.
trait Bounds: std::str::FromStr {
    const RANGE: &'static str;
}

impl Bounds for u32 {
    const RANGE: &'static str = "0 to 4294967295";
}

impl Bounds for i64 {
    const RANGE: &'static str = "-9223372036854775808 to 9223372036854775807";
}

impl Bounds for f32 {
    const RANGE: &'static str = "a finite number";
}

impl Field<'_> {
    fn columns(&self, expected: usize, found: usize, sep: &'static str) -> DataError {
        DataError::ColumnCount { file: self.file.into(), line: self.line, expected, found, sep }
    }

    /// Refuses one rating more than [`MAX_RATINGS`].
    fn room(&self, ratings: &[Rating]) -> Result<()> {
        if ratings.len() >= MAX_RATINGS {
            return Err(DataError::TooManyRatings { file: self.file.into(), max: MAX_RATINGS });
        }
        Ok(())
    }

    /// A whole number that does not fit its column is out of range; anything else
    /// that does not parse is not a number.
    fn number<T: Bounds>(&self, value: &str, column: &'static str) -> Result<T> {
        let trimmed = value.trim();
        trimmed.parse().map_err(|_| {
            let digits = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
            let whole = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            let (file, line, value) = (self.file.into(), self.line, clip(value, QUOTE));
            if whole {
                DataError::OutOfRange { file, line, column, value, range: T::RANGE.into() }
            } else {
                DataError::NotNumeric { file, line, column, value }
            }
        })
    }

    /// A rating from 0.5 to 5. "NaN" and "inf" parse as floats but are not numbers a
    /// rating can be; one too large for an f32 ("1e309") is quoted as written, not as "inf".
    fn rating(&self, value: &str) -> Result<f32> {
        let rating: f32 = self.number(value, "rating")?;
        let written = value.trim();
        if rating.is_nan() || (rating.is_infinite() && !written.bytes().any(|b| b.is_ascii_digit())) {
            let (file, line, value) = (self.file.into(), self.line, clip(value, QUOTE));
            return Err(DataError::NotNumeric { file, line, column: "rating", value });
        }
        if !(0.5..=5.0).contains(&rating) {
            let (file, line, value) = (self.file.into(), self.line, clip(written, QUOTE));
            return Err(DataError::RatingOutOfRange { file, line, value });
        }
        Ok(rating)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth::zip_of;

    #[test]
    fn parse_named_picks_the_parser_by_file_name_and_says_what_it_used() {
        let file = |n: &str, b: &[u8]| (n.to_string(), b.to_vec());
        let (table, used) = parse_named(&[
            file("notes.txt", b"x"),
            file("U.DATA", b"1\t2\t3\t4\n"),
            file("u.item", b"2|Heat (1995)|x\n"),
        ])
        .unwrap();
        assert_eq!((table.ratings.len(), table.title(2).as_str()), (1, "Heat (1995)"));
        assert_eq!(used, ["U.DATA", "u.item"]);
        let csv = parse_named(&[file("ratings.csv", b"1,2,3.5,4\n")]).unwrap();
        assert_eq!((csv.0.ratings[0].rating, csv.1), (3.5, vec!["ratings.csv".to_string()]));
        let zip = zip_of(&[("ml-100k/u.data", b"1\t2\t3\t4\n5\t6\t2\t1\n")]);
        let (table, used) = parse_named(&[file("u.data", b"junk"), file("ml-100k.zip", &zip)]).unwrap();
        assert_eq!((table.ratings.len(), used), (2, vec!["ml-100k.zip".to_string()]));
        assert_eq!(parse_named(&[file("notes.txt", b"x")]).unwrap_err(), DataError::NoKnownFile);
    }

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
        assert_eq!(items[0], Item { id: 242, title: "Kolya (1996)".to_string(), genres: 0, cut: false });
        assert_eq!(items[1].title, "Café (1995)");
        // Bytes 0x80-0x9F are latin-1's control characters, not windows-1252's € or ‚.
        let items = parse_u_item(b"5|A\x80\x82\x9f (1995)|\n", "u.item").unwrap();
        assert_eq!(items[0].title, "A\u{80}\u{82}\u{9f} (1995)");
    }

    #[test]
    fn u_item_keeps_the_genre_flags() {
        // Toy Story: Animation, Children's, Comedy (columns 3, 4, 5 of the 19).
        let line = b"1|Toy Story (1995)|01-Jan-1995||url|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
        let item = &parse_u_item(line, "u.item").unwrap()[0];
        assert_eq!(item.genres, 1 << 3 | 1 << 4 | 1 << 5);
        assert_eq!(
            (0..19).filter(|n| item.genres & 1 << n != 0).map(|n| GENRES[n]).collect::<Vec<_>>(),
            ["Animation", "Children's", "Comedy"]
        );
        // Flags that are missing or not 1 are not set; a short line is still a title.
        assert_eq!(parse_u_item(b"2|Heat (1995)|x||u|0|x|1\n", "u.item").unwrap()[0].genres, 1 << 2);
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
        assert_eq!(err.to_string(), "u.data is empty: it holds no ratings");
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
        assert_eq!((movies[0].id, movies[0].title.as_str()), (11, "American President, The (1995)"));
        let err = parse_ratings_csv(b"userId,movieId,rating,timestamp\n1,31,9,1\n", "ratings.csv").unwrap_err();
        assert_eq!(err.to_string(), "ratings.csv, line 2: rating 9 is outside 0.5 to 5");
    }

    #[test]
    fn numbers_out_of_range_are_called_so_and_long_fields_are_cut() {
        let err = parse_u_data(b"4294967296\t2\t3\t4\n", "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: the user id 4294967296 is out of range (0 to 4294967295)");
        let err = parse_u_data(b"-5\t2\t3\t4\n", "u.data").unwrap_err();
        assert!(err.to_string().contains("user id -5 is out of range"), "{err}");
        let err = parse_u_data(b"1\t2\t3\t18446744073709551616\n", "u.data").unwrap_err();
        assert!(err.to_string().contains("timestamp 18446744073709551616 is out of range"), "{err}");
        let long = "x".repeat(5_000_000);
        let err = parse_u_data(format!("1\t{long}\t3\t4\n").as_bytes(), "u.data").unwrap_err().to_string();
        assert!(err.len() < 200, "{} characters", err.len());
        assert!(err.contains("(5000000 characters)"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_skipped_in_every_format() {
        assert_eq!(parse_u_data(b"\xEF\xBB\xBF196\t242\t3\t1\n", "u.data").unwrap()[0].user, 196);
        assert_eq!(parse_u_item(b"\xEF\xBB\xBF1|Toy Story (1995)|\n", "u.item").unwrap()[0].title, "Toy Story (1995)");
        let csv = b"\xEF\xBB\xBFuserId,movieId,rating,timestamp\n1,31,2.5,1\n";
        assert_eq!(parse_ratings_csv(csv, "ratings.csv").unwrap().len(), 1);
        let movies = b"\xEF\xBB\xBFmovieId,title,genres\n11,Heat (1995),Action\n";
        assert_eq!(parse_movies_csv(movies, "movies.csv").unwrap()[0].id, 11);
    }

    #[test]
    fn a_csv_without_its_header_keeps_its_first_row() {
        let ratings = parse_ratings_csv(b"1,31,2.5,1260759144\n2,32,4,1\n", "ratings.csv").unwrap();
        assert_eq!(ratings.len(), 2);
        assert_eq!(ratings[0].user, 1);
    }

    #[test]
    fn zips_with_two_u_data_or_too_much_inside_are_refused_with_the_reason() {
        let one = b"1\t2\t3\t4\n".as_slice();
        let two = zip_of(&[("a/u.data", one), ("b/u.data", one)]);
        let err = parse_ml100k_zip(&two, "x.zip").unwrap_err().to_string();
        assert_eq!(err, "x.zip: u.data is in it 2 times (a/u.data, b/u.data): keep one and zip again");
        // Rows beyond the limit: refused, whatever their size once packed.
        let many = "1\t2\t3\t4\n".repeat(MAX_RATINGS + 1);
        let bomb = zip_of(&[("u.data", many.as_bytes())]);
        assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
        let err = parse_ml100k_zip(&bomb, "bomb.zip").unwrap_err();
        assert!(matches!(err, DataError::TooManyRatings { .. }), "{err}");
        // Bytes beyond the inflation limit: refused after reading at most the limit.
        let big = vec![b' '; (MAX_INFLATED + 10) as usize];
        let bomb = zip_of(&[("u.data", &big)]);
        let err = parse_ml100k_zip(&bomb, "bomb.zip").unwrap_err().to_string();
        assert!(err.contains("unpacks to more than 64 MB"), "{err}");
    }

    #[test]
    fn a_title_of_a_megabyte_is_cut_and_counted() {
        let long = "x".repeat(1 << 20);
        let u_item = format!("1|{long}|01-Jan-1995||url|0|1\n2|Heat (1995)|\n3|{long}é|\n");
        let items = parse_u_item(u_item.as_bytes(), "u.item").unwrap();
        assert_eq!(items.iter().map(|i| i.cut).collect::<Vec<_>>(), [true, false, true]);
        assert_eq!(items[0].title.chars().count(), crate::text::MAX_TEXT);
        assert_eq!(items[0].genres, 1 << 1, "the flags after a cut title are still read");
        let file = |n: &str, b: &[u8]| (n.to_string(), b.to_vec());
        let (table, _) =
            parse_named(&[file("u.data", b"1\t1\t3\t4\n1\t2\t3\t4\n"), file("u.item", u_item.as_bytes())]).unwrap();
        assert_eq!(table.cut_titles, 2);
        assert_eq!(table.note().unwrap(), "2 titles cut to 200 characters");
        assert!(table.titles.values().all(|t| t.chars().count() <= crate::text::MAX_TEXT));
        // movies.csv the same.
        let movies = format!("movieId,title,genres\n1,\"{long}\",Drama\n");
        let (table, _) =
            parse_named(&[file("ratings.csv", b"1,1,3.5,4\n"), file("movies.csv", movies.as_bytes())]).unwrap();
        assert_eq!((table.cut_titles, table.note().unwrap().as_str()), (1, "1 title cut to 200 characters"));
        // A table with nothing cut says nothing.
        assert_eq!(parse_ml100k_files(b"1\t2\t3\t4\n", Some(b"2|Heat (1995)|\n")).unwrap().note(), None);
    }

    #[test]
    fn each_refusal_names_the_real_fault() {
        let file = |n: &str, b: &[u8]| (n.to_string(), b.to_vec());
        // An empty u.item holds no titles (not "no ratings").
        let err = parse_named(&[file("u.data", b"1\t2\t3\t4\n"), file("u.item", b"")]).unwrap_err();
        assert_eq!(err.to_string(), "u.item is empty: it holds no titles");
        let err = parse_movies_csv(b"movieId,title,genres\n", "movies.csv").unwrap_err();
        assert_eq!(err.to_string(), "movies.csv is empty: it holds no titles");
        // u.item without u.data: the missing file is named.
        let err = parse_named(&[file("U.ITEM", b"2|Heat (1995)|\n")]).unwrap_err();
        assert_eq!(err.to_string(), "U.ITEM holds the movies' titles, not ratings: pick u.data with it");
        let err = parse_named(&[file("movies.csv", b"1,Heat (1995),Drama\n")]).unwrap_err();
        assert_eq!(err.to_string(), "movies.csv holds the movies' titles, not ratings: pick ratings.csv with it");
        // A rating too large for a float is quoted as written, not as "inf"; NaN and inf
        // are not numbers.
        let err = parse_u_data(b"1\t2\t1e309\t4\n", "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: rating 1e309 is outside 0.5 to 5");
        let err = parse_ratings_csv(b"1,2,NaN,4\n", "ratings.csv").unwrap_err();
        assert_eq!(err.to_string(), "ratings.csv, line 1: the rating \"NaN\" is not a number");
        let err = parse_u_data(b"1\t2\tinf\t4\n", "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: the rating \"inf\" is not a number");
        // A zip cut short is said to be so, not "Could not find EOCD".
        let zip = zip_of(&[("ml-100k/u.data", &b"1\t2\t3\t4\n".repeat(50))]);
        for cut in [zip.len() / 2, zip.len() - 10] {
            let err = parse_ml100k_zip(&zip[..cut], "ml-100k.zip").unwrap_err().to_string();
            assert_eq!(
                err,
                "ml-100k.zip is cut short or damaged: it starts as a zip but its end is missing or broken; \
                 download it again"
            );
        }
        let err = parse_ml100k_zip(b"hello", "ml-100k.zip").unwrap_err();
        assert_eq!(err.to_string(), "ml-100k.zip is not a zip archive");
        for err in [
            parse_ml100k_zip(&zip[..zip.len() / 2], "ml-100k.zip").unwrap_err(),
            parse_u_data(b"1\t2\t1e309\t4\n", "u.data").unwrap_err(),
        ] {
            let text = err.to_string();
            assert!(!text.contains("EOCD") && !text.contains("inf"), "{text}");
        }
    }

    #[test]
    fn the_cli_reads_the_names_the_page_reads() {
        for name in ["u.data", "U.DATA", "u.item", "Ratings.CSV", "movies.csv", "ml-100k.zip", "X.ZIP"] {
            assert!(is_read(name), "{name}");
        }
        for name in ["u1.base", "u.info", "README", "u.data.bak"] {
            assert!(!is_read(name), "{name}");
        }
    }

    #[test]
    fn a_damaged_zip_member_is_not_called_a_non_zip() {
        use std::io::Write;
        let mut cursor = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut cursor);
            let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            zip.start_file("u.data", stored).unwrap();
            zip.write_all(&b"1\t2\t3\t4\n".repeat(100)).unwrap();
            zip.finish().unwrap();
        }
        let good = cursor.into_inner();
        let mut bad = good.clone();
        // Flip a byte of the stored data: its CRC no longer matches.
        let at = bad.windows(4).position(|w| w == b"1\t2\t").unwrap() + 40;
        bad[at] = b'9';
        let err = parse_ml100k_zip(&bad, "x.zip").unwrap_err().to_string();
        assert!(err.starts_with("x.zip: u.data is damaged"), "{err}");
    }
}
