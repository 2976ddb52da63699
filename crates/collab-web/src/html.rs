//! Small pieces of HTML and SVG shared by the sections: escaping, lists, numbers in
//! words, and the one helper behind the page's three line charts.

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Characters of a title where the page copies it into many elements (each of the
/// spreadsheet's cells names its movie, and the lookup's picker each rating): there it
/// is shown cut; the column's header holds it whole (at most the core's
/// [`collab_core::text::MAX_TEXT`]) in its `title`, shown on demand.
pub const SHORT: usize = 60;

/// `text` cut to [`SHORT`] characters, with an ellipsis when cut.
pub fn short(text: &str) -> String {
    collab_core::text::cut(text, SHORT).0
}

/// `1234567` as `1,234,567`.
pub fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A file size in words.
pub fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / 1048576.0)
    } else {
        format!("{} kB", bytes.div_ceil(1024))
    }
}

/// Ranked items as `<li>`s: label and value.
pub fn ranked_list(items: &[(usize, f32)], labels: &[String]) -> String {
    items
        .iter()
        .filter_map(|&(i, v)| Some(format!("<li>{} <span class=\"note\">{v:.3}</span></li>", escape(labels.get(i)?))))
        .collect()
}

/// Where a chart draws: the SVG box its data maps into (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

impl Frame {
    /// The SVG point of `(x, y)` for data spanning `0..=x_max` and `0..=y_max`.
    pub fn point(&self, (x, y): (f64, f64), x_max: f64, y_max: f64) -> (f64, f64) {
        let x_max = if x_max > 0.0 { x_max } else { 1.0 };
        let y_max = if y_max > 0.0 { y_max } else { 1.0 };
        (self.left + (self.right - self.left) * x / x_max, self.bottom - (self.bottom - self.top) * y / y_max)
    }

    /// The `points` attribute of a polyline through the finite points (SVG cannot draw
    /// NaN or infinity; a diverged value is left out, not drawn off the chart).
    pub fn points(&self, data: &[(f64, f64)], x_max: f64, y_max: f64) -> String {
        data.iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&p| {
                let (x, y) = self.point(p, x_max, y_max);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A y-range fitted to the finite `values` with a margin of 8% each side, so a chart
/// shows their changes instead of a line squashed against the top (`(0, 1)` when none).
pub fn fitted(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-3);
    (lo - pad, hi + pad)
}

impl Frame {
    /// The SVG point of `(x, y)` for x in `0..=x_max` and y in `range`.
    pub fn point_in(&self, (x, y): (f64, f64), x_max: f64, (lo, hi): (f64, f64)) -> (f64, f64) {
        self.point((x, y - lo), x_max, hi - lo)
    }

    /// [`Frame::points`] for y in `range`.
    pub fn points_in(&self, data: &[(f64, f64)], x_max: f64, range: (f64, f64)) -> String {
        let shifted: Vec<(f64, f64)> = data.iter().map(|&(x, y)| (x, y - range.0)).collect();
        self.points(&shifted, x_max, range.1 - range.0)
    }

    /// Labels of `range` at its bottom, middle and top, at the frame's left edge.
    pub fn y_ticks(&self, (lo, hi): (f64, f64)) -> String {
        [(lo, self.bottom), ((lo + hi) / 2.0, (self.top + self.bottom) / 2.0), (hi, self.top)]
            .iter()
            .map(|(v, y)| {
                format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" class=\"hint\" text-anchor=\"end\">{v:.3}</text>",
                    self.left - 3.0,
                    y + 3.0
                )
            })
            .collect()
    }
}

/// The largest finite value of `values`, at least `floor`.
pub fn finite_max(values: impl IntoIterator<Item = f64>, floor: f64) -> f64 {
    values.into_iter().filter(|v| v.is_finite()).fold(floor, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">&</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(
            (group(0), group(999), group(1000), group(1234567)),
            ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
        );
        assert_eq!((size(1), size(2048), size(3 << 20)), ("1 kB".into(), "2 kB".into(), "3.0 MB".into()));
    }

    #[test]
    fn the_frame_maps_data_and_drops_non_finite_points() {
        let f = Frame { left: 40.0, right: 590.0, top: 10.0, bottom: 170.0 };
        assert_eq!(f.point((0.0, 0.0), 10.0, 2.0), (40.0, 170.0));
        assert_eq!(f.point((10.0, 2.0), 10.0, 2.0), (590.0, 10.0));
        assert_eq!(f.point((5.0, 1.0), 0.0, 0.0).0, 40.0 + 550.0 * 5.0, "an empty range counts as 1");
        assert_eq!(
            f.points(&[(0.0, 1.0), (1.0, f64::NAN), (2.0, f64::INFINITY), (2.0, 0.5)], 2.0, 1.0),
            "40.0,10.0 590.0,90.0"
        );
        assert_eq!(finite_max([1.0, f64::NAN, 3.0, f64::INFINITY], 0.1), 3.0);
    }

    #[test]
    fn a_fitted_range_frames_the_data_with_a_margin() {
        let (lo, hi) = fitted([0.8, f64::NAN, 1.0]);
        assert!((lo - 0.784).abs() < 1e-9 && (hi - 1.016).abs() < 1e-9, "{lo} {hi}");
        assert_eq!(fitted([f64::NAN]), (0.0, 1.0));
        let f = Frame { left: 40.0, right: 590.0, top: 10.0, bottom: 170.0 };
        assert_eq!(f.point_in((0.0, 0.8), 1.0, (0.8, 1.0)), (40.0, 170.0));
        assert_eq!(f.point_in((1.0, 1.0), 1.0, (0.8, 1.0)).1, 10.0);
    }

    #[test]
    fn ranked_lists_skip_unknown_items() {
        let labels = vec!["#na#".to_string(), "A & B".to_string()];
        assert_eq!(ranked_list(&[(1, 0.5), (7, 1.0)], &labels), "<li>A &amp; B <span class=\"note\">0.500</span></li>");
    }
}
