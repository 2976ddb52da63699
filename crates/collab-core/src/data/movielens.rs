//! Reading MovieLens as GroupLens ships it, from bytes or any seekable reader (the
//! browser hands bytes, the CLI an open file; never paths): a release's zip, or its
//! loose files picked together. The three layouts ([`Layout`]) and the releases
//! ([`Release`]) are in `release.rs`; the ratings are parsed as they are unpacked
//! (`stream.rs`) within one memory budget (`budget.rs`); the titles by `titles.rs`.
//!
//! Only the ratings file and the titles file of a zip are ever unpacked: tags, links,
//! genome scores and users.dat are passed over unread, whatever their size.

use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};

use super::budget::{Budget, bytes_words};
use super::field::QUOTE;
use super::ratings::{Rating, RatingsTable};
use super::release::{Layout, Recognised};
use super::stream::read_ratings;
use super::titles::{Item, parse_titles};
use crate::error::{DataError, Result, clip};

/// The ratings with the titles and genres of `items`, counting the titles that were cut.
fn table(ratings: Vec<Rating>, items: Vec<Item>, recognised: Recognised) -> RatingsTable {
    let genres = items.iter().filter(|i| i.genres != 0).map(|i| (i.id, i.genres)).collect();
    let cut_titles = items.iter().filter(|i| i.cut).count();
    let titles = items.into_iter().map(|i| (i.id, i.title)).collect();
    RatingsTable { ratings, titles, genres, cut_titles, recognised: Some(recognised) }
}

/// The ratings of `bytes` in `layout`'s format, within the stated budget (what the fuzz
/// targets and tests call on one file).
pub fn parse_ratings(bytes: &[u8], layout: Layout, file: &str) -> Result<Vec<Rating>> {
    let damaged = |e: std::io::Error| DataError::Unreadable { file: file.into(), why: e.to_string() };
    read_ratings(bytes, bytes.len() as u64, layout, file, Budget::STATED, &damaged, &|_| ())
}

/// The ratings file of one reader: its length, found by seeking, is checked against the
/// budget before a byte is read.
fn ratings_of<R: Read + Seek>(
    mut reader: R,
    layout: Layout,
    file: &str,
    budget: Budget,
    watch: &dyn Fn(usize),
) -> Result<Vec<Rating>> {
    let unreadable = |e: std::io::Error| DataError::Unreadable { file: file.into(), why: e.to_string() };
    let size = reader.seek(SeekFrom::End(0)).and_then(|n| reader.seek(SeekFrom::Start(0)).map(|_| n));
    let size = size.map_err(unreadable)?;
    read_ratings(BufReader::with_capacity(1 << 16, reader), size, layout, file, budget, &unreadable, watch)
}

/// The whole of a titles file of `size` bytes (stated), at most the budget's share for
/// titles: the size is checked before reading, and the bytes as they are read.
fn titles_bytes(reader: impl Read, size: u64, file: &str, budget: Budget) -> Result<Vec<u8>> {
    let most = budget.titles_bytes();
    let too_large =
        |size: u64| DataError::TitlesTooLarge { file: file.into(), size: bytes_words(size), most: bytes_words(most) };
    if size > most {
        return Err(too_large(size));
    }
    let mut bytes = Vec::new();
    reader
        .take(most + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DataError::Unreadable { file: file.into(), why: e.to_string() })?;
    if bytes.len() as u64 > most {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads a MovieLens zip as published (any release: `ml-100k.zip` … `ml-32m.zip`), or
/// any zip holding one ratings file of a layout and, optionally, its titles file. The
/// release is recognised by the folder the ratings lie in. Only those two members are
/// unpacked; the ratings are parsed as they are.
pub fn read_zip<R: Read + Seek>(reader: R, file: &str, budget: Budget) -> Result<RatingsTable> {
    read_zip_watched(reader, file, budget, &|_| ())
}

/// [`read_zip`], telling `watch` how many ratings are read as it goes (see
/// [`super::stream::WATCH_EVERY`]).
pub fn read_zip_watched<R: Read + Seek>(
    mut reader: R,
    file: &str,
    budget: Budget,
    watch: &dyn Fn(usize),
) -> Result<RatingsTable> {
    // A zip starts with "PK": one that does and still cannot be opened lost its end (the
    // directory a zip keeps there) or was damaged; anything else is not a zip.
    let file = &clip(file, QUOTE);
    let mut start = [0u8; 2];
    let starts_as_zip = reader.read_exact(&mut start).is_ok() && start == *b"PK";
    let not_zip = |_| match starts_as_zip {
        true => DataError::DamagedZip { file: file.clone() },
        false => DataError::NotZip { file: file.clone() },
    };
    reader.seek(SeekFrom::Start(0)).map_err(|e| DataError::Unreadable { file: file.clone(), why: e.to_string() })?;
    let mut archive = zip::ZipArchive::new(reader).map_err(not_zip)?;
    let find = |archive: &zip::ZipArchive<R>, name: &str| -> Result<Option<String>> {
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
    let mut ratings_member = None;
    for layout in Layout::ALL {
        if let Some(name) = find(&archive, layout.ratings_file())? {
            ratings_member = Some((layout, name));
            break;
        }
    }
    let (layout, ratings_name) = ratings_member.ok_or(DataError::MissingInZip { file: file.into() })?;
    let titles_name = find(&archive, layout.titles_file())?;
    let entry_error =
        |name: &str, problem: String| DataError::ZipEntry { file: file.into(), entry: clip(name, QUOTE), problem };
    let damaged = |name: &str| {
        let name = name.to_string();
        move |e: std::io::Error| entry_error(&name, format!("is damaged and cannot be unpacked ({e})"))
    };
    let unsupported = |name: &str, e: zip::result::ZipError| match e {
        zip::result::ZipError::UnsupportedArchive(why) => entry_error(
            name,
            format!(
                "is stored in a way this notebook cannot read ({why}); it reads zips made with deflate, as MovieLens \
                 serves them"
            ),
        ),
        _ => DataError::DamagedZip { file: file.clone() },
    };
    let ratings = {
        let entry = archive.by_name(&ratings_name).map_err(|e| unsupported(&ratings_name, e))?;
        let size = entry.size();
        let reader = BufReader::with_capacity(1 << 16, entry);
        read_ratings(reader, size, layout, layout.ratings_file(), budget, &damaged(&ratings_name), watch)?
    };
    // The release's folder: the one the ratings lie in ("ml-25m/ratings.csv").
    let folder = ratings_name.rsplit('/').nth(1);
    let recognised = Recognised::new(layout, folder, ratings.len());
    let items = match titles_name {
        Some(name) => {
            let entry = archive.by_name(&name).map_err(|e| unsupported(&name, e))?;
            let size = entry.size();
            let bytes = titles_bytes(entry, size, layout.titles_file(), budget).map_err(|e| match e {
                DataError::Unreadable { why, .. } => {
                    entry_error(&name, format!("is damaged and cannot be unpacked ({why})"))
                }
                other => other,
            })?;
            let latin1 = recognised.release.map(|r| r.latin1_titles());
            parse_titles(&bytes, layout, latin1, layout.titles_file())?
        }
        None => Vec::new(),
    };
    Ok(table(ratings, items, recognised))
}

/// [`read_zip`] of bytes in memory, within the stated budget (the page's served copy).
pub fn parse_zip(bytes: &[u8], file: &str) -> Result<RatingsTable> {
    read_zip(Cursor::new(bytes), file, Budget::STATED)
}

/// The file names [`read_named`] reads, compared without case: what the CLI takes
/// from a folder, as the page would from the same files picked.
pub const NAMES: [&str; 6] = ["u.data", "u.item", "ratings.dat", "movies.dat", "ratings.csv", "movies.csv"];

/// True when [`read_named`] reads a file of this name (any `.zip`, or one of [`NAMES`]).
pub fn is_read(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip") || NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// A table read from files picked or dropped together: the first `.zip`, else the
/// ratings file of the first layout found (`u.data`, `ratings.dat`, `ratings.csv`, with
/// its titles file when given); names compared without case. Returns the table and the
/// names of the files it was read from, which alone name the data (the page and the CLI
/// both choose the parser here). Files not used are not read.
pub fn read_named<R: Read + Seek>(files: Vec<(String, R)>, budget: Budget) -> Result<(RatingsTable, Vec<String>)> {
    read_named_watched(files, budget, &|_| ())
}

/// [`read_named`], telling `watch` how many ratings are read as it goes (the page's
/// loading worker reports them).
pub fn read_named_watched<R: Read + Seek>(
    files: Vec<(String, R)>,
    budget: Budget,
    watch: &dyn Fn(usize),
) -> Result<(RatingsTable, Vec<String>)> {
    let mut files: Vec<Option<(String, R)>> = files.into_iter().map(Some).collect();
    let mut take =
        |want: &dyn Fn(&str) -> bool| files.iter_mut().find(|f| f.as_ref().is_some_and(|(n, _)| want(n)))?.take();
    if let Some((name, reader)) = take(&|n: &str| n.to_ascii_lowercase().ends_with(".zip")) {
        let table = read_zip_watched(reader, &name, budget, watch)?;
        return Ok((table, vec![name]));
    }
    for layout in Layout::ALL {
        let Some((name, reader)) = take(&|n: &str| n.eq_ignore_ascii_case(layout.ratings_file())) else { continue };
        let ratings = ratings_of(reader, layout, &name, budget, watch)?;
        let recognised = Recognised::new(layout, None, ratings.len());
        let mut used = vec![name];
        let items = match take(&|n: &str| n.eq_ignore_ascii_case(layout.titles_file())) {
            Some((titles, mut reader)) => {
                let unreadable = |e: std::io::Error| DataError::Unreadable { file: titles.clone(), why: e.to_string() };
                let size = reader.seek(SeekFrom::End(0)).and_then(|n| reader.seek(SeekFrom::Start(0)).map(|_| n));
                let bytes = titles_bytes(reader, size.map_err(unreadable)?, &titles, budget)?;
                let latin1 = recognised.release.map(|r| r.latin1_titles());
                let items = parse_titles(&bytes, layout, latin1, &titles)?;
                used.push(titles);
                items
            }
            None => Vec::new(),
        };
        return Ok((table(ratings, items, recognised), used));
    }
    // Titles alone: say which file holds the ratings.
    for layout in Layout::ALL {
        if let Some((name, _)) = take(&|n: &str| n.eq_ignore_ascii_case(layout.titles_file())) {
            return Err(DataError::TitlesOnly { file: name, missing: layout.ratings_file() });
        }
    }
    Err(DataError::NoKnownFile)
}

/// [`read_named`] of files in memory, within the stated budget (the page's picked files).
pub fn parse_named(files: &[(String, Vec<u8>)]) -> Result<(RatingsTable, Vec<String>)> {
    read_named(files.iter().map(|(n, b)| (n.clone(), Cursor::new(b.as_slice()))).collect(), Budget::STATED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ratings::GENRES;
    use crate::data::synth::zip_of;
    use crate::data::titles::{Item, parse_movies_csv, parse_u_item};

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
        let ratings =
            parse_ratings(b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n", Layout::Tab, "u.data").unwrap();
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
        let err = parse_ratings(b"1\t2\t3\t4\n1\t2\t3\n", Layout::Tab, "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 2: expected 4 fields separated by tabs, found 3");
        let err = parse_ratings(b"1\tx\t3\t4\n", Layout::Tab, "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: the movie id \"x\" is not a number");
        let err = parse_ratings(b"1\t2\t7\t4\n", Layout::Tab, "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: rating 7 is outside 0.5 to 5");
        let err = parse_ratings(b"", Layout::Tab, "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data is empty: it holds no ratings");
    }

    #[test]
    fn zip_errors_are_values() {
        let err = parse_zip(b"not a zip at all", "ml-100k.zip").unwrap_err();
        assert!(matches!(err, DataError::NotZip { .. }), "{err}");
        let mut cursor = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut cursor);
            zip.start_file("ml-100k/README", zip::write::SimpleFileOptions::default()).unwrap();
            zip.finish().unwrap();
        }
        let err = parse_zip(&cursor.into_inner(), "ml-100k.zip").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ml-100k.zip has no u.data inside, nor a ratings.dat or ratings.csv: it holds no MovieLens ratings"
        );
    }

    #[test]
    fn latest_csv_with_half_stars_and_quoted_titles() {
        let ratings =
            parse_ratings(b"userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n", Layout::Csv, "ratings.csv")
                .unwrap();
        assert_eq!(ratings[0].rating, 2.5);
        let movies =
            parse_movies_csv(b"movieId,title,genres\n11,\"American President, The (1995)\",Comedy\n", "movies.csv")
                .unwrap();
        assert_eq!((movies[0].id, movies[0].title.as_str()), (11, "American President, The (1995)"));
        let err =
            parse_ratings(b"userId,movieId,rating,timestamp\n1,31,9,1\n", Layout::Csv, "ratings.csv").unwrap_err();
        assert_eq!(err.to_string(), "ratings.csv, line 2: rating 9 is outside 0.5 to 5");
    }

    #[test]
    fn numbers_out_of_range_are_called_so_and_long_fields_are_cut() {
        let err = parse_ratings(b"4294967296\t2\t3\t4\n", Layout::Tab, "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: the user id 4294967296 is out of range (0 to 4294967295)");
        let err = parse_ratings(b"-5\t2\t3\t4\n", Layout::Tab, "u.data").unwrap_err();
        assert!(err.to_string().contains("user id -5 is out of range"), "{err}");
        let err = parse_ratings(b"1\t2\t3\t18446744073709551616\n", Layout::Tab, "u.data").unwrap_err();
        assert!(err.to_string().contains("timestamp 18446744073709551616 is out of range"), "{err}");
        let long = "x".repeat(5_000_000);
        let err =
            parse_ratings(format!("1\t{long}\t3\t4\n").as_bytes(), Layout::Tab, "u.data").unwrap_err().to_string();
        assert!(err.len() < 200, "{} characters", err.len());
        assert!(err.contains("(5000000 characters)"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_skipped_in_every_format() {
        assert_eq!(parse_ratings(b"\xEF\xBB\xBF196\t242\t3\t1\n", Layout::Tab, "u.data").unwrap()[0].user, 196);
        assert_eq!(parse_u_item(b"\xEF\xBB\xBF1|Toy Story (1995)|\n", "u.item").unwrap()[0].title, "Toy Story (1995)");
        let csv = b"\xEF\xBB\xBFuserId,movieId,rating,timestamp\n1,31,2.5,1\n";
        assert_eq!(parse_ratings(csv, Layout::Csv, "ratings.csv").unwrap().len(), 1);
        let movies = b"\xEF\xBB\xBFmovieId,title,genres\n11,Heat (1995),Action\n";
        assert_eq!(parse_movies_csv(movies, "movies.csv").unwrap()[0].id, 11);
    }

    #[test]
    fn a_csv_without_its_header_keeps_its_first_row() {
        let ratings = parse_ratings(b"1,31,2.5,1260759144\n2,32,4,1\n", Layout::Csv, "ratings.csv").unwrap();
        assert_eq!(ratings.len(), 2);
        assert_eq!(ratings[0].user, 1);
    }

    #[test]
    fn zips_with_two_u_data_or_too_much_inside_are_refused_with_the_reason() {
        let one = b"1\t2\t3\t4\n".as_slice();
        let two = zip_of(&[("a/u.data", one), ("b/u.data", one)]);
        let err = parse_zip(&two, "x.zip").unwrap_err().to_string();
        assert_eq!(err, "x.zip: u.data is in it 2 times (a/u.data, b/u.data): keep one and zip again");
        // A budget of 1,000 ratings: rows beyond it are refused as they are read,
        // whatever their size once packed.
        let small = Budget { bytes: 17_067 };
        let many = "1\t2\t3\t4\n".repeat(1001);
        let bomb = zip_of(&[("u.data", many.as_bytes())]);
        let err = read_zip(Cursor::new(&bomb), "bomb.zip", small).unwrap_err();
        assert!(matches!(err, DataError::TooManyRatings { .. }), "{err}");
        assert!(read_zip(Cursor::new(zip_of(&[("u.data", &many.as_bytes()[8..])])), "ok.zip", small).is_ok());
        // Bytes beyond what the budget's ratings could take: refused by the header's
        // size before reading, and, when the header lies, as they are read.
        let big = vec![b' '; 64_001];
        let bomb = zip_of(&[("u.data", &big)]);
        let err = read_zip(Cursor::new(&bomb), "bomb.zip", small).unwrap_err().to_string();
        assert!(err.starts_with("u.data is 62.5 KiB of text: even at 64 bytes a line"), "{err}");
        // A header that claims 4 GiB, with the stated budget: refused before unpacking
        // (the page's hostile-file test drops this one).
        let claims = crate::data::synth::declaring(&zip_of(&[("u.data", b"1\t2\t3\t4\n")]), u32::MAX - 1);
        let err = parse_zip(&claims, "ml-100k.zip").unwrap_err().to_string();
        assert_eq!(
            err,
            "u.data is 4.0 GiB of text: even at 64 bytes a line that is more than the 62,914,560 ratings this \
             notebook keeps within its memory budget of 1 GiB (16 bytes a rating)"
        );
        let liar = crate::data::synth::declaring(&bomb, 100);
        let err = read_zip(Cursor::new(&liar), "bomb.zip", small).unwrap_err().to_string();
        assert!(err.starts_with("u.data is 62.5 KiB of text: even at 64 bytes a line"), "{err}");
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
        let plain = parse_named(&[file("u.data", b"1\t2\t3\t4\n"), file("u.item", b"2|Heat (1995)|\n")]).unwrap();
        assert_eq!(plain.0.note(), None);
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
        let err = parse_ratings(b"1\t2\t1e309\t4\n", Layout::Tab, "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: rating 1e309 is outside 0.5 to 5");
        let err = parse_ratings(b"1,2,NaN,4\n", Layout::Csv, "ratings.csv").unwrap_err();
        assert_eq!(err.to_string(), "ratings.csv, line 1: the rating \"NaN\" is not a number");
        let err = parse_ratings(b"1\t2\tinf\t4\n", Layout::Tab, "u.data").unwrap_err();
        assert_eq!(err.to_string(), "u.data, line 1: the rating \"inf\" is not a number");
        // A zip cut short is said to be so, not "Could not find EOCD".
        let zip = zip_of(&[("ml-100k/u.data", &b"1\t2\t3\t4\n".repeat(50))]);
        for cut in [zip.len() / 2, zip.len() - 10] {
            let err = parse_zip(&zip[..cut], "ml-100k.zip").unwrap_err().to_string();
            assert_eq!(
                err,
                "ml-100k.zip is cut short or damaged: it starts as a zip but its end is missing or broken; \
                 download it again"
            );
        }
        let err = parse_zip(b"hello", "ml-100k.zip").unwrap_err();
        assert_eq!(err.to_string(), "ml-100k.zip is not a zip archive");
        for err in [
            parse_zip(&zip[..zip.len() / 2], "ml-100k.zip").unwrap_err(),
            parse_ratings(b"1\t2\t1e309\t4\n", Layout::Tab, "u.data").unwrap_err(),
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
        let err = parse_zip(&bad, "x.zip").unwrap_err().to_string();
        assert!(err.starts_with("x.zip: u.data is damaged"), "{err}");
    }
}
