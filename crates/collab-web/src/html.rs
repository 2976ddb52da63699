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

/// `1234567` as `1,234,567` (the core's one grouping, as its messages write counts).
pub fn group(n: usize) -> String {
    collab_core::text::grouped(n as u64)
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

impl Frame {
    /// A log scale's ticks: the bottom, middle and top of `range` (in log10), written as
    /// the losses they are, at the frame's left edge.
    pub fn log_ticks(&self, (lo, hi): (f64, f64)) -> String {
        [(lo, self.bottom), ((lo + hi) / 2.0, (self.top + self.bottom) / 2.0), (hi, self.top)]
            .iter()
            .map(|&(v, y)| {
                let loss = 10f64.powf(v);
                let digits = (2 - loss.log10().floor() as i32).clamp(0, 6) as usize;
                format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{loss:.digits$}</text>",
                    self.left - 4.0,
                    y + 4.0
                )
            })
            .collect()
    }
}

/// The largest finite value of `values`, at least `floor`.
pub fn finite_max(values: impl IntoIterator<Item = f64>, floor: f64) -> f64 {
    values.into_iter().filter(|v| v.is_finite()).fold(floor, f64::max)
}

/// A map of movies: `(item, x, y)` points drawn in a box of `size`, axes through its
/// middle, each point scaled to the largest coordinate (times `zoom`); the first
/// `labelled` points get a label where it overlaps no earlier one.
pub struct MapView<'a> {
    pub points: &'a [(usize, f32, f32)],
    pub size: (f32, f32),
    pub zoom: f32,
    pub labelled: usize,
}

impl MapView<'_> {
    /// The SVG: a dot a point (`<g data-item>`, coloured by `colour`, titled by `label`
    /// and `hover`), labels cut to 24 characters.
    pub fn svg(&self, label: impl Fn(usize) -> String, colour: impl Fn(usize) -> &'static str, hover: &str) -> String {
        let (w, h) = self.size;
        let max = self.points.iter().fold(1e-6f32, |m, p| m.max(p.1.abs()).max(p.2.abs()));
        let mut svg = format!(
            "<line x1=\"0\" y1=\"{cy}\" x2=\"{w}\" y2=\"{cy}\" class=\"axis\"/><line x1=\"{cx}\" y1=\"0\" x2=\"{cx}\" y2=\"{h}\" class=\"axis\"/>",
            cx = w / 2.0,
            cy = h / 2.0
        );
        // Labels go where they overlap no earlier one (right, left, above or below the dot),
        // or not at all; the most rated titles come first, so they win.
        let mut taken: Vec<Box2> = Vec::new();
        for (n, &(i, x, y)) in self.points.iter().enumerate() {
            let (cx, cy) =
                (w / 2.0 + (w / 2.0 - 20.0) * self.zoom * x / max, h / 2.0 - (h / 2.0 - 20.0) * self.zoom * y / max);
            let name = label(i);
            svg.push_str(&format!(
                "<g data-item=\"{i}\"><circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4\" style=\"fill: {}\"><title>{}{hover}</title></circle>",
                colour(i),
                escape(&name)
            ));
            if n < self.labelled {
                let short: String = name.chars().take(24).collect();
                if let Some((lx, ly)) = place_label(cx, cy, short.chars().count() as f32 * LABEL_CHAR, w, &mut taken) {
                    svg.push_str(&format!("<text x=\"{lx:.1}\" y=\"{ly:.1}\">{}</text>", escape(&short)));
                }
            }
            svg.push_str("</g>");
        }
        svg
    }
}

/// The map's labels: their height and a character's width at the 11 px of style.css's
/// `#map text` (the least any chart text is drawn at).
const LABEL_HEIGHT: f32 = 12.0;
const LABEL_CHAR: f32 = 6.0;

/// A label's box on the map: left, top, right, bottom.
type Box2 = (f32, f32, f32, f32);

/// Where a label `width` wide goes beside the dot at (cx, cy), inside `0..right`: the
/// first of right, left, above and below that overlaps no box in `taken` (then taken
/// too), or nowhere.
pub fn place_label(cx: f32, cy: f32, width: f32, right: f32, taken: &mut Vec<Box2>) -> Option<(f32, f32)> {
    const HEIGHT: f32 = LABEL_HEIGHT;
    let spots = [
        (cx + 6.0, cy + 4.0),
        (cx - 6.0 - width, cy + 4.0),
        (cx - width / 2.0, cy - 8.0),
        (cx - width / 2.0, cy + 17.0),
    ];
    let overlaps = |a: &Box2, b: &Box2| a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
    let (x, y) = spots.into_iter().find(|&(x, y)| {
        let b = (x, y - HEIGHT + 2.0, x + width, y + 2.0);
        (0.0..=right - width).contains(&x) && !taken.iter().any(|t| overlaps(t, &b))
    })?;
    taken.push((x, y - HEIGHT + 2.0, x + width, y + 2.0));
    Some((x, y))
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
