//! Reading one field of a file, with the file and line it came from, so that every
//! error says where and what: "u.data, line 2: the movie id \"x\" is not a number".

use crate::error::{DataError, Result, clip};

/// Characters of a field quoted back in a message.
pub(super) const QUOTE: usize = 40;

/// The bytes without a leading UTF-8 byte-order mark (editors on Windows add one).
pub(super) fn skip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Where a field came from.
pub(super) struct Field<'a> {
    pub file: &'a str,
    pub line: usize,
}

/// The numbers a column's type holds, for "out of range" messages.
pub(super) trait Bounds: std::str::FromStr {
    const RANGE: &'static str;
}

impl Bounds for u32 {
    const RANGE: &'static str = "0 to 4294967295";
}

impl Bounds for f32 {
    const RANGE: &'static str = "a finite number";
}

impl Field<'_> {
    pub fn columns(&self, expected: usize, found: usize, sep: &'static str) -> DataError {
        DataError::ColumnCount { file: self.file.into(), line: self.line, expected, found, sep }
    }

    /// A whole number that does not fit its column is out of range; anything else
    /// that does not parse is not a number.
    pub fn number<T: Bounds>(&self, value: &str, column: &'static str) -> Result<T> {
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
    pub fn rating(&self, value: &str) -> Result<f32> {
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
