//! Section 8's fit checked one rating at a time: its predictions of the validation
//! ratings against the ratings, the error by how many training ratings a user or a movie
//! had (cold start), and the worst predictions, by name.

use collab_core::residuals::{CountBin, Rated, Residuals};

use super::{Patch, attr, html, text};
use crate::html::{Frame, escape, group};
use crate::state::{App, Errors, Trained};

pub const IDS: &[&str] =
    &["errors", "errors-summary", "errors-scatter", "errors-by-rating", "errors-users", "errors-items", "errors-worst"];

/// Why there is nothing to show yet.
pub const WAITING: &str = "Train a model in section 8 to see where it is wrong. (A model loaded from a file comes without its validation ratings.)";

/// What the section says while the fit's worker predicts the validation ratings.
pub const COMING: &str = "Predicting every validation rating with the trained model…";

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let errors = app.learned.model.as_ref().map(|m| (m, &m.errors));
    let fitted = match errors {
        Some((m, Errors::Ready(r, users))) => Some((m, r.as_ref(), users.as_slice())),
        _ => None,
    };
    let said = match errors {
        Some((_, Errors::Coming)) => COMING.to_string(),
        Some((_, Errors::Failed(e))) => {
            format!("Where the model is wrong could not be worked out: {}.", e.trim_end_matches('.'))
        }
        _ => WAITING.to_string(),
    };
    out.push(attr("errors", "data-state", if fitted.is_some() { "ready" } else { "pending" }));
    out.push(text("errors-summary", fitted.map_or(said, |(_, r, _)| summary(r))));
    out.push(html("errors-scatter", fitted.map(|(_, r, _)| scatter(r)).unwrap_or_default()));
    out.push(html("errors-by-rating", fitted.map(|(_, r, _)| by_rating(r)).unwrap_or_default()));
    out.push(html("errors-users", fitted.map(|(_, r, _)| bins(&r.by_user)).unwrap_or_default()));
    out.push(html("errors-items", fitted.map(|(_, r, _)| bins(&r.by_item)).unwrap_or_default()));
    out.push(html("errors-worst", fitted.map(|(m, r, users)| worst(m, r, users)).unwrap_or_default()));
}

pub fn summary(r: &Residuals) -> String {
    format!(
        "The {} validation ratings, which the model never trained on: RMSE {:.4} (the square root of the last valid loss). \
         The chart draws {} of them.",
        group(r.count),
        r.rmse,
        group(r.points.len())
    )
}

/// The chart's range: the ratings' scale, widened to any prediction outside it (a model
/// without sigmoid_range can predict below 0 or above 5.5).
pub fn range(r: &Residuals) -> (f64, f64) {
    r.points.iter().fold((0.0, 5.5), |(lo, hi), p| (lo.min(p.predicted as f64), hi.max(p.predicted as f64)))
}

/// Predicted (up) against rated (across), one dot a rating, each spread a little
/// across its column so that a column reads as a cloud; the diagonal is a perfect
/// prediction, and a bar across each column marks its mean prediction. Each dot carries
/// its numbers (`data-*`), which are exact.
pub fn scatter(r: &Residuals) -> String {
    let frame = Frame { left: 40.0, right: 390.0, top: 10.0, bottom: 290.0 };
    let (lo, hi) = range(r);
    let at = |x: f64, y: f64| {
        let (px, _) = frame.point((x - lo, 0.0), hi - lo, 1.0);
        let (_, py) = frame.point_in((0.0, y), 1.0, (lo, hi));
        (px, py)
    };
    let dots: String = r
        .points
        .iter()
        .enumerate()
        .map(|(n, p)| {
            // A fixed spread of ±0.18 stars by position: the same picture every time.
            let spread = ((n * 7919) % 37) as f64 / 36.0 * 0.36 - 0.18;
            let (x, y) = at(p.actual as f64 + spread, p.predicted as f64);
            format!(
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" class=\"dot\" data-user=\"{}\" data-item=\"{}\" \
                 data-actual=\"{}\" data-predicted=\"{}\"/>",
                p.user, p.item, p.actual, p.predicted
            )
        })
        .collect();
    let means: String = r
        .by_rating
        .iter()
        .map(|b| {
            let (x0, y) = at(b.rating as f64 - 0.3, b.mean_predicted);
            let (x1, _) = at(b.rating as f64 + 0.3, b.mean_predicted);
            format!("<line x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\" class=\"mean\"/>")
        })
        .collect();
    let (d0x, d0y) = at(lo, lo);
    let (d1x, d1y) = at(hi, hi);
    let ticks: String = (0..=5)
        .map(|v| {
            let (x, y) = at(v as f64, v as f64);
            format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" class=\"hint\" text-anchor=\"middle\">{v}</text>\
                 <text x=\"{:.1}\" y=\"{:.1}\" class=\"hint\" text-anchor=\"end\">{v}</text>",
                frame.bottom + 16.0,
                frame.left - 5.0,
                y + 4.0
            )
        })
        .collect();
    format!(
        "<line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"axis\"/><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\" class=\"axis\"/>\
         <line x1=\"{d0x:.1}\" y1=\"{d0y:.1}\" x2=\"{d1x:.1}\" y2=\"{d1y:.1}\" class=\"diagonal\"/>{ticks}{dots}{means}\
         <text x=\"{:.1}\" y=\"{:.1}\" class=\"hint\" text-anchor=\"middle\">rating</text>\
         <text x=\"12\" y=\"{:.1}\" class=\"hint\" text-anchor=\"middle\" transform=\"rotate(-90 12 {:.1})\">prediction</text>",
        (frame.left + frame.right) / 2.0,
        frame.bottom + 34.0,
        (frame.top + frame.bottom) / 2.0,
        (frame.top + frame.bottom) / 2.0,
        l = frame.left,
        r = frame.right,
        t = frame.top,
        b = frame.bottom,
    )
}

/// A number of stars as the releases write it: 4, or 3.5.
fn stars(v: f32) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

fn by_rating(r: &Residuals) -> String {
    r.by_rating
        .iter()
        .map(|b| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.3}</td></tr>",
                stars(b.rating),
                group(b.count),
                b.mean_predicted,
                b.rmse
            )
        })
        .collect()
}

/// A bin's label: "none", "1–4", "100 or more".
pub fn span(b: &CountBin) -> String {
    match b.to {
        Some(0) => "none".into(),
        Some(to) => format!("{}–{to}", b.from),
        None => format!("{} or more", b.from),
    }
}

/// The cold-start curve as a table: each bin's ratings and RMSE, with a bar as long as its RMSE.
fn bins(bins: &[CountBin]) -> String {
    let widest = bins.iter().map(|b| b.rmse).filter(|v| v.is_finite()).fold(0.0, f64::max).max(1e-9);
    bins.iter()
        .map(|b| {
            let (rmse, bar) = if b.ratings == 0 {
                ("—".to_string(), String::new())
            } else {
                let width = (b.rmse / widest * 100.0).round();
                (format!("{:.3}", b.rmse), format!("<span class=\"bar\" style=\"width:{width}%\"></span>"))
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{rmse}</td><td class=\"bar-cell\">{bar}</td></tr>",
                span(b),
                group(b.ratings)
            )
        })
        .collect()
}

/// The worst predictions, by name (`users`: their users' ids, in their order).
fn worst(m: &Trained, r: &Residuals, users: &[String]) -> String {
    // Index 0 is fastai's `#na#`: a user (or movie) the training split never saw.
    let name = |label: Option<&String>, i: i32| match usize::try_from(i).ok().filter(|&i| i > 0) {
        Some(i) => label.map(|s| escape(s)).unwrap_or_else(|| i.to_string()),
        None => "#na# (not in training)".to_string(),
    };
    r.worst
        .iter()
        .enumerate()
        .map(|(n, w): (usize, &Rated)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:+.2}</td></tr>",
                name(users.get(n), w.user),
                name(usize::try_from(w.item).ok().and_then(|i| m.items.get(i)), w.item),
                stars(w.actual),
                w.predicted,
                w.error()
            )
        })
        .collect()
}
