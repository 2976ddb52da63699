//! Ratings parsed line by line as the bytes arrive: from a zip member as it is unpacked,
//! or from a file as it is read. The text is never held whole (ml-25m's `ratings.csv`
//! is 678 MB; its ratings, parsed, 400 MB), one line at a time lives in a buffer, and
//! the table grows to the file's estimated count within the [`Budget`].

use std::io::{BufRead, Read};

use super::budget::{Budget, bytes_words};
use super::field::{Field, skip_bom};
use super::ratings::Rating;
use super::release::Layout;
use crate::error::{DataError, Result};
use crate::text::grouped;

/// The longest line read. A ratings line is under 100 bytes; this leaves room for a
/// damaged file's long field to be quoted in part in its error (a 5 MB field is), and
/// bounds the line buffer.
pub const MAX_LINE: u64 = 16 << 20;

/// Ratings between two calls of a reader's watcher (what a page's progress bar shows).
pub const WATCH_EVERY: usize = 1 << 16;

/// Reads every rating of `reader` (`size`: its length, or what a zip's header declares
/// it to be) in `layout`'s format, named `file` in messages. `damaged` says what a read
/// that fails means (a zip member that cannot be unpacked); `watch` hears the count of
/// ratings read every [`WATCH_EVERY`] of them. A size beyond the budget is
/// refused before anything is read; the count and the bytes are checked again as they
/// arrive, since a zip's header may lie.
pub fn read_ratings<R: BufRead>(
    mut reader: R,
    size: u64,
    layout: Layout,
    file: &str,
    budget: Budget,
    damaged: &dyn Fn(std::io::Error) -> DataError,
    watch: &dyn Fn(usize),
) -> Result<Vec<Rating>> {
    let too_large = |bytes: u64| DataError::TooLarge {
        file: file.into(),
        size: bytes_words(bytes),
        most: grouped(budget.max_ratings() as u64),
        budget: budget.words(),
    };
    if size > budget.ratings_file_bytes() {
        return Err(too_large(size));
    }
    let mut table = Growing { ratings: Vec::new(), size, budget };
    let (mut line, mut number, mut read, mut header_checked) = (Vec::new(), 0usize, 0u64, false);
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE + 1).read_until(b'\n', &mut line).map_err(damaged)?;
        if n == 0 {
            break;
        }
        number += 1;
        read += n as u64;
        if read > budget.ratings_file_bytes() {
            return Err(too_large(read));
        }
        let at = Field { file, line: number };
        if n as u64 > MAX_LINE {
            return Err(DataError::LineTooLong { file: file.into(), line: number, most: bytes_words(MAX_LINE) });
        }
        let bytes = if number == 1 { skip_bom(&line) } else { &line };
        let text = std::str::from_utf8(bytes).map_err(|_| DataError::NotText { file: file.into() })?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let mut fields = [""; 4];
        let mut found = 0;
        for field in text.split(sep(layout)) {
            if found < 4 {
                fields[found] = field;
            }
            found += 1;
        }
        // A csv file's first line may be its header ("userId,movieId,rating,timestamp"):
        // a first line whose first field is not a number is one.
        if layout == Layout::Csv
            && !std::mem::replace(&mut header_checked, true)
            && fields[0].trim().parse::<f64>().is_err()
        {
            continue;
        }
        if found != 4 {
            return Err(at.columns(4, found, layout.separator_words()));
        }
        let rating = Rating {
            user: at.number(fields[0], "user id")?,
            item: at.number(fields[1], "movie id")?,
            rating: at.rating(fields[2])?,
            timestamp: at.number(fields[3], "timestamp")?,
        };
        table.push(rating, read, file)?;
        if table.ratings.len().is_multiple_of(WATCH_EVERY) {
            watch(table.ratings.len());
        }
    }
    if table.ratings.is_empty() {
        return Err(DataError::Empty { file: file.into(), holds: "ratings" });
    }
    table.ratings.shrink_to_fit();
    Ok(table.ratings)
}

/// `layout`'s separator as a pattern.
fn sep(layout: Layout) -> &'static str {
    std::str::from_utf8(layout.separator()).expect("separators are ASCII")
}

/// The table as it grows: at most the budget's ratings, each growth sized by the file's
/// estimated count.
struct Growing {
    ratings: Vec<Rating>,
    /// The file's size as stated (its length, or a zip header's word).
    size: u64,
    budget: Budget,
}

impl Growing {
    /// Adds one rating, `read` bytes into the file.
    fn push(&mut self, rating: Rating, read: u64, file: &str) -> Result<()> {
        if self.ratings.len() == self.ratings.capacity() {
            self.grow(read, file)?;
        }
        self.ratings.push(rating);
        Ok(())
    }

    /// Room for the ratings the whole file is estimated to hold (the count so far scaled
    /// by the share of its bytes read, plus a sixty-fourth), but never more than twice
    /// what has been read: a size stated by a zip's header is a claim, and a small file
    /// that claims gigabytes must not make the table reserve them.
    fn grow(&mut self, read: u64, file: &str) -> Result<()> {
        let (len, max) = (self.ratings.len(), self.budget.max_ratings());
        if len >= max {
            let (max, budget) = (grouped(max as u64), self.budget.words());
            return Err(DataError::TooManyRatings { file: file.into(), max, budget });
        }
        let estimate = (len as u128 * self.size.max(read) as u128 / read.max(1) as u128) as usize;
        let want = (estimate + estimate / 64 + 1024).clamp(len + 1, (2 * len + 1024).min(max));
        self.ratings
            .try_reserve_exact(want - len)
            .map_err(|_| DataError::NoMemory { file: file.into(), ratings: grouped(want as u64) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], layout: Layout, budget: Budget) -> Result<Vec<Rating>> {
        let damaged = |e: std::io::Error| DataError::NotText { file: e.to_string() };
        read_ratings(text, text.len() as u64, layout, "r", budget, &damaged, &|_| ())
    }

    #[test]
    fn each_layout_reads_its_separator() {
        let want = Rating { user: 1, item: 31, rating: 2.5, timestamp: 1_260_759_144 };
        for (text, layout) in [
            (&b"1\t31\t2.5\t1260759144\n"[..], Layout::Tab),
            (b"1::31::2.5::1260759144\r\n", Layout::Dat),
            (b"userId,movieId,rating,timestamp\n1,31,2.5,1260759144", Layout::Csv),
        ] {
            assert_eq!(read(text, layout, Budget::STATED).unwrap(), [want], "{layout:?}");
        }
        let err = read(b"1::31:2.5::1\n", Layout::Dat, Budget::STATED).unwrap_err();
        // The watcher hears the count every WATCH_EVERY ratings.
        let heard = std::cell::RefCell::new(Vec::new());
        let text = "1,2,3.5,4\n".repeat(2 * WATCH_EVERY + 5);
        let damaged = |e: std::io::Error| DataError::NotText { file: e.to_string() };
        let n = text.len() as u64;
        let all = read_ratings(text.as_bytes(), n, Layout::Csv, "r", Budget::STATED, &damaged, &|c| {
            heard.borrow_mut().push(c)
        });
        assert_eq!((all.unwrap().len(), heard.into_inner()), (2 * WATCH_EVERY + 5, vec![WATCH_EVERY, 2 * WATCH_EVERY]));
        assert_eq!(err.to_string(), "r, line 1: expected 4 fields separated by '::', found 3");
    }

    #[test]
    fn the_table_stays_within_the_budget_and_near_16_bytes_a_rating() {
        let text = "1,2,3.5,4\n".repeat(10_000);
        let table = read(text.as_bytes(), Layout::Csv, Budget::STATED).unwrap();
        assert_eq!((table.len(), table.capacity()), (10_000, 10_000));
        // A budget of 1,000 ratings (17,067 bytes with the titles' share): the file is
        // refused before it is read, for its size.
        let small = Budget { bytes: 17_067 };
        assert_eq!(small.max_ratings(), 1000);
        let err = read(text.as_bytes(), Layout::Csv, small).unwrap_err().to_string();
        assert_eq!(
            err,
            "r is 97.7 KiB of text: even at 64 bytes a line that is more than the 1,000 ratings this notebook \
             keeps within its memory budget of 16.7 KiB (16 bytes a rating)"
        );
        // A file that claims to be small is counted as it is read.
        let damaged = |e: std::io::Error| DataError::NotText { file: e.to_string() };
        let err =
            read_ratings(text.as_bytes(), 10, Layout::Csv, "r", small, &damaged, &|_| ()).unwrap_err().to_string();
        assert_eq!(
            err,
            "r holds more than 1,000 ratings: this notebook keeps at most 1,000 ratings (16 bytes each) within its \
             memory budget of 16.7 KiB; MovieLens 32M, the largest release, has 32,000,204"
        );
    }
}
