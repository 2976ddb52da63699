//! Parsers of the titles' files, one per layout: `u.item` (ml-100k), `movies.dat`
//! (ml-1m, ml-10m) and `movies.csv` (the csv releases). Each gives the movie's id, its
//! title (bounded, [`crate::text::MAX_TEXT`]) and its genres as a mask over [`GENRES`].
//! A titles file is small (ml-32m's is under 5 MB) and is read whole, within the budget's
//! share for it ([`super::budget::Budget::titles_bytes`]).

use super::field::{Field, skip_bom};
use super::ratings::GENRES;
use super::release::Layout;
use crate::error::{DataError, Result};
use crate::text::bounded;

/// One movie of a titles file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Movie id, as in the ratings.
    pub id: u32,
    /// Title with year, at most [`crate::text::MAX_TEXT`] characters.
    pub title: String,
    /// Genres as a mask (bit n: [`GENRES`]`[n]`).
    pub genres: u32,
    /// True when the file's title was longer and is cut.
    pub cut: bool,
}

/// Parses the titles file of `layout`. `latin1` says the text's encoding where the
/// release fixes it (ml-100k and ml-1m: latin-1; the others UTF-8); `None` (loose `.dat`
/// files of no known release) takes UTF-8 when the bytes are valid UTF-8, else latin-1.
pub fn parse_titles(bytes: &[u8], layout: Layout, latin1: Option<bool>, file: &str) -> Result<Vec<Item>> {
    match layout {
        Layout::Tab => parse_u_item(bytes, file),
        Layout::Dat => parse_movies_dat(bytes, latin1, file),
        Layout::Csv => parse_movies_csv(bytes, file),
    }
}

/// ISO-8859-1: each byte is the character of the same number (windows-1252, which
/// browsers substitute for it, differs in 0x80-0x9F).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The text of a titles file, without a byte-order mark.
fn text(bytes: &[u8], latin1_text: Option<bool>) -> String {
    let bytes = skip_bom(bytes);
    match latin1_text {
        Some(true) => latin1(bytes),
        _ => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) if latin1_text.is_none() => latin1(bytes),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// Parses `u.item`: `id | title | release date | video date | url | 19 genre flags`,
/// latin-1 encoded. The id, title and genre flags are kept; a flag that is missing or
/// not `1` counts as not set.
pub fn parse_u_item(bytes: &[u8], file: &str) -> Result<Vec<Item>> {
    let text = text(bytes, Some(true));
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
    non_empty(items, file)
}

/// The mask of `|`-joined genre names ("Adventure|Children|Fantasy"). Later releases
/// write "Children" for ml-100k's "Children's" and "(no genres listed)" for its
/// "unknown"; "IMAX", which ml-100k has not, is left out.
fn genre_mask(names: &str) -> u32 {
    names.split('|').fold(0, |mask, name| {
        let name = match name.trim() {
            "Children" => "Children's",
            "(no genres listed)" => "unknown",
            other => other,
        };
        mask | GENRES.iter().position(|g| *g == name).map_or(0, |n| 1 << n)
    })
}

/// Parses `movies.dat`: `MovieID::Title::Genres`. The title is what lies between the
/// first and the last `::`, so a title holding `::` stays whole.
pub fn parse_movies_dat(bytes: &[u8], latin1: Option<bool>, file: &str) -> Result<Vec<Item>> {
    let text = text(bytes, latin1);
    let mut items = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = Field { file, line: index + 1 };
        let (Some((id, rest)), Some((_, genres))) = (line.split_once("::"), line.rsplit_once("::")) else {
            return Err(at.columns(3, 1, "'::'"));
        };
        let title = rest.rsplit_once("::").map_or(rest, |(title, _)| title);
        if title.len() == rest.len() {
            return Err(at.columns(3, 2, "'::'"));
        }
        let (title, cut) = bounded(title);
        items.push(Item { id: at.number(id, "movie id")?, title, genres: genre_mask(genres), cut });
    }
    non_empty(items, file)
}

/// Parses `movies.csv`: `movieId,title,genres` (titles quoted when they hold commas),
/// with or without its header line (a first line whose first field is not a number).
pub fn parse_movies_csv(bytes: &[u8], file: &str) -> Result<Vec<Item>> {
    let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(skip_bom(bytes));
    let mut items = Vec::new();
    for (index, record) in reader.into_records().enumerate() {
        let record = record.map_err(|_| DataError::NotText { file: file.into() })?;
        let line = record.position().map_or(index + 1, |p| p.line() as usize);
        if index == 0 && record.get(0).is_some_and(|f| f.trim().parse::<f64>().is_err()) {
            continue;
        }
        let at = Field { file, line };
        if record.len() != 3 {
            return Err(at.columns(3, record.len(), "commas"));
        }
        let (title, cut) = bounded(&record[1]);
        items.push(Item { id: at.number(&record[0], "movie id")?, title, genres: genre_mask(&record[2]), cut });
    }
    non_empty(items, file)
}

/// `items`, or the error of a file that holds none.
fn non_empty(items: Vec<Item>, file: &str) -> Result<Vec<Item>> {
    if items.is_empty() {
        return Err(DataError::Empty { file: file.into(), holds: "titles" });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movies_dat_in_both_encodings_with_genres() {
        // ml-1m: latin-1 (0xE9 is é).
        let dat = b"1::Toy Story (1995)::Animation|Children's|Comedy\n73::Mis\xe9rables, Les (1995)::Drama|War\n";
        let items = parse_movies_dat(dat, Some(true), "movies.dat").unwrap();
        assert_eq!(items[1].title, "Misérables, Les (1995)");
        assert_eq!(items[0].genres, 1 << 3 | 1 << 4 | 1 << 5);
        // ml-10m: UTF-8; unknown encoding: UTF-8 when valid, else latin-1.
        let utf8 = "73::Misérables, Les (1995)::Drama\n".as_bytes();
        assert_eq!(parse_movies_dat(utf8, Some(false), "m").unwrap()[0].title, "Misérables, Les (1995)");
        assert_eq!(parse_movies_dat(utf8, None, "m").unwrap()[0].title, "Misérables, Les (1995)");
        assert_eq!(parse_movies_dat(dat, None, "m").unwrap()[1].title, "Misérables, Les (1995)");
        // A title holding '::' stays whole; a line without genres is refused.
        assert_eq!(
            parse_movies_dat(b"5::Dr. No:: Part 2 (1962)::Action\n", None, "m").unwrap()[0].title,
            "Dr. No:: Part 2 (1962)"
        );
        let err = parse_movies_dat(b"5::Heat (1995)\n", None, "movies.dat").unwrap_err();
        assert_eq!(err.to_string(), "movies.dat, line 1: expected 3 fields separated by '::', found 2");
    }

    #[test]
    fn movies_csv_genres_follow_the_later_names() {
        let csv = b"movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n\
                    2,\"American President, The (1995)\",Comedy|Drama|Romance\n3,Lost (2010),(no genres listed)\n\
                    4,Big (2012),IMAX\n";
        let items = parse_movies_csv(csv, "movies.csv").unwrap();
        let names = |mask: u32| (0..19).filter(|n| mask & 1 << n != 0).map(|n| GENRES[n]).collect::<Vec<_>>();
        assert_eq!(names(items[0].genres), ["Adventure", "Animation", "Children's", "Comedy", "Fantasy"]);
        assert_eq!(items[1].title, "American President, The (1995)");
        assert_eq!(names(items[2].genres), ["unknown"]);
        assert_eq!(items[3].genres, 0);
    }
}
