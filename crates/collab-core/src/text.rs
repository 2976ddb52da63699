//! Every piece of text read from a file (a movie title, a model's user and movie names)
//! is bounded where it is read: at most [`MAX_TEXT`] characters. A `u.item` whose one
//! title was 1 MB long once froze the page for minutes, copied into the spreadsheet's
//! headers, labels and pickers; bounded at the parser, no file can do that. What was cut
//! is counted and said in the load message ("3 titles cut to 200 characters").

/// The most characters one text field of a file keeps (MovieLens's titles are far shorter).
pub const MAX_TEXT: usize = 200;

/// `text` as kept: itself when it has at most [`MAX_TEXT`] characters, else its first
/// `MAX_TEXT - 1` and an ellipsis (so a cut text says so, and cutting it again changes
/// nothing). The flag is true when it was cut.
pub fn bounded(text: &str) -> (String, bool) {
    cut(text, MAX_TEXT)
}

/// `text` in at most `max` characters (at least 1): itself, or its first `max - 1` and
/// an ellipsis; the flag is true when it was cut. (The page shows titles shorter still
/// where each is copied many times.)
pub fn cut(text: &str, max: usize) -> (String, bool) {
    let max = max.max(1);
    match text.char_indices().nth(max) {
        Some(_) => {
            let (at, _) = text.char_indices().nth(max - 1).expect("longer than max");
            (format!("{}…", &text[..at]), true)
        }
        None => (text.to_string(), false),
    }
}

/// "3 titles cut to 200 characters" (`one` and `many` name the field: "title",
/// "titles"), or nothing when none was.
pub fn cut_note(count: usize, one: &str, many: &str) -> Option<String> {
    match count {
        0 => None,
        1 => Some(format!("1 {one} cut to {MAX_TEXT} characters")),
        n => Some(format!("{n} {many} cut to {MAX_TEXT} characters")),
    }
}

/// A whole number with commas between thousands: "25,000,095".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_once_and_says_so() {
        assert_eq!(bounded("Heat (1995)"), ("Heat (1995)".to_string(), false));
        let exact = "é".repeat(MAX_TEXT);
        assert_eq!(bounded(&exact), (exact.clone(), false), "a text of exactly the bound is kept");
        let (cut, was) = bounded(&"é".repeat(1_000_000));
        assert!(was);
        assert_eq!(cut.chars().count(), MAX_TEXT);
        assert!(cut.ends_with('…'));
        assert_eq!(bounded(&cut), (cut.clone(), false), "cutting again changes nothing");
    }

    #[test]
    fn the_note_counts() {
        assert_eq!(cut_note(0, "title", "titles"), None);
        assert_eq!(cut_note(1, "title", "titles").unwrap(), "1 title cut to 200 characters");
        assert_eq!(cut_note(3, "title", "titles").unwrap(), "3 titles cut to 200 characters");
    }
}
