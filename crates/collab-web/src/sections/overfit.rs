//! The overfitting comparison: the pair's progress (fastai's default weight decay, and
//! more), then their train and valid losses side by side, and their maps as they formed.

use collab_core::interpret::align_forward;
use collab_core::train::EpochMetrics;

use super::{Patch, attr, flag, html, text};
use crate::html::{Frame, MapView, fitted};
use crate::state::{App, Phase};

pub const IDS: &[&str] = &[
    "overfit",
    "overfit-run",
    "overfit-status",
    "overfit-charts",
    "overfit-maps",
    "overfit-map-epoch",
    "overfit-map-label",
    "overfit-map-low",
    "overfit-map-low-caption",
    "overfit-map-high",
    "overfit-map-high-caption",
];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let o = &app.overfit;
    let (status, charts, state) = match (&o.failed, &o.pair) {
        (Some(why), _) => (why.clone(), String::new(), if o.pair.is_some() { "stopped" } else { "idle" }),
        (None, None) => (String::new(), String::new(), "idle"),
        (None, Some([baseline, decayed])) if baseline.phase == Phase::Done && decayed.phase == Phase::Done => {
            let rows = |f: &crate::state::Fit| f.progress.as_ref().map(|p| p.history.clone()).unwrap_or_default();
            let (a, b) = (rows(baseline), rows(decayed));
            if a.iter().all(|r| r.valid_loss.is_nan()) {
                ("The loaded data is too small to hold out a validation set.".into(), String::new(), "done")
            } else {
                // One axis for both, fitted to their losses: the gap is what to compare.
                let range = fitted(a.iter().chain(&b).flat_map(|r| [r.train_loss, r.valid_loss]));
                let (low, high) = (baseline.settings.wd, decayed.settings.wd);
                let book = (high == 0.1 && b.len() == FASTBOOK_WD_01.len()).then_some(&FASTBOOK_WD_01[..]);
                let charts = chart(&format!("fastai's default weight decay {low}"), &a, range, None)
                    + &chart(&format!("weight decay {high}"), &b, range, book);
                let status = verdict(low, &a, high, &b);
                (status, charts, "done")
            }
        }
        (None, Some(pair)) => {
            let step = |f: &crate::state::Fit| f.progress.as_ref().map_or((0, 0), |p| (p.steps_done, p.total_steps));
            let ((a, n), (b, m)) = (step(&pair[0]), step(&pair[1]));
            let (wa, wb) = (pair[0].settings.wd, pair[1].settings.wd);
            (
                format!("Training both… weight decay {wa}: step {a} of {n}; weight decay {wb}: step {b} of {m}"),
                String::new(),
                "running",
            )
        }
    };
    out.push(text("overfit-status", status));
    out.push(html("overfit-charts", charts));
    out.push(attr("overfit", "data-state", state));
    maps(app, out);
}

/// The pair's maps as they formed, side by side, at one epoch of a shared slider: what
/// more weight decay does to the picture, not only to the loss.
fn maps(app: &App, out: &mut Vec<Patch>) {
    let o = &app.overfit;
    let frames: Vec<(&crate::state::Fit, Vec<crate::state::MapPoints>)> = match &o.pair {
        Some(pair) if o.failed.is_none() && pair.iter().all(|f| f.phase == Phase::Done && f.maps.len() >= 2) => {
            pair.iter().map(|f| (f, align_forward(&f.maps))).collect()
        }
        _ => Vec::new(),
    };
    let last = frames.iter().map(|f| f.1.len()).min().unwrap_or(1) - 1;
    let epoch = o.map_epoch.unwrap_or(last).min(last);
    out.push(flag("overfit-maps", "hidden", frames.is_empty()));
    out.push(attr("overfit-map-epoch", "max", last.to_string()));
    out.push(attr("overfit-map-epoch", "value", epoch.to_string()));
    let said = match epoch {
        0 => "untrained (both start from the same random factors)".to_string(),
        e if e == last => format!("after epoch {} (trained)", e - 1),
        e => format!("after epoch {}", e - 1),
    };
    out.push(text("overfit-map-label", if frames.is_empty() { String::new() } else { said }));
    for (n, (svg, caption)) in
        [("overfit-map-low", "overfit-map-low-caption"), ("overfit-map-high", "overfit-map-high-caption")]
            .into_iter()
            .enumerate()
    {
        let drawn = frames.get(n).map(|(fit, maps)| {
            let view = MapView { points: &maps[epoch], size: (300.0, 240.0), zoom: 1.0, labelled: 8 };
            (
                view.svg(|i| fit.map_titles.get(&i).cloned().unwrap_or_default(), |_| "var(--accent)", ""),
                format!("weight decay {}", fit.settings.wd),
            )
        });
        let (map, words) = drawn.unwrap_or_default();
        out.push(html(svg, map));
        out.push(text(caption, words));
    }
}

/// What the pair measured, in words: each fit's gap between its last training and
/// validation loss, whether the validation loss rose after its best epoch (overfitting),
/// and what more weight decay did to both; only what the numbers show is said.
pub fn verdict(low: f64, a: &[EpochMetrics], high: f64, b: &[EpochMetrics]) -> String {
    let (Some(la), Some(lb)) = (a.last(), b.last()) else { return "Done.".into() };
    let gap = |r: &EpochMetrics| r.valid_loss - r.train_loss;
    let best = |rows: &[EpochMetrics]| rows.iter().map(|r| r.valid_loss).fold(f64::INFINITY, f64::min);
    let rose = |rows: &[EpochMetrics], last: &EpochMetrics| last.valid_loss > best(rows) + 1e-4;
    let mut words = format!(
        "Done. Weight decay {low}: training loss {:.3}, validation {:.3} (gap {:.3}){}. Weight decay {high}: training \
         {:.3}, validation {:.3} (gap {:.3}){}. ",
        la.train_loss,
        la.valid_loss,
        gap(la),
        if rose(a, la) {
            format!(", after its best of {:.3}: it rose, which is overfitting", best(a))
        } else {
            String::new()
        },
        lb.train_loss,
        lb.valid_loss,
        gap(lb),
        if rose(b, lb) { format!(", after its best of {:.3}: it rose", best(b)) } else { String::new() },
    );
    words.push_str(match (gap(lb) < gap(la), lb.valid_loss < la.valid_loss) {
        (true, true) => "More weight decay kept the weights smaller: a narrower gap and a better validation loss.",
        (true, false) => {
            "More weight decay narrowed the gap, but did not lower the validation loss here: it held the model back \
             as much as it kept it from memorising."
        }
        (false, true) => "More weight decay gave the better validation loss, without narrowing the gap.",
        (false, false) => {
            "Here more weight decay neither narrowed the gap nor lowered the validation loss: this fit may be too \
             short, or the data too small, to overfit."
        }
    });
    words
}

/// fastbook's valid loss by epoch for DotProductBias at weight decay 0.1 (ML-100k by
/// title, bs 64, 50 factors, `fit_one_cycle(5, 5e-3, wd=0.1)`, on a GPU).
pub const FASTBOOK_WD_01: [f64; 5] = [0.962, 0.885, 0.840, 0.823, 0.823];

/// One fit's train and valid loss by epoch on the shared y `range`, with the book's valid
/// losses as grey dots when they are comparable.
pub fn chart(title: &str, rows: &[EpochMetrics], range: (f64, f64), book: Option<&[f64]>) -> String {
    let n = rows.len().max(2) as f64 - 1.0;
    let frame = Frame { left: 40.0, right: 290.0, top: 20.0, bottom: 150.0 };
    let line = |f: fn(&EpochMetrics) -> f64| -> String {
        let data: Vec<(f64, f64)> = rows.iter().enumerate().map(|(i, r)| (i as f64, f(r))).collect();
        frame.points_in(&data, n, range)
    };
    let book_dots: String = book
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, v)| (range.0..=range.1).contains(*v))
        .map(|(i, &v)| {
            let (x, y) = frame.point_in((i as f64, v), n, range);
            format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" class=\"book\"/>")
        })
        .collect();
    let book_note = if book.is_some() { " ● fastbook's valid" } else { "" };
    let losses =
        |f: fn(&EpochMetrics) -> f64| rows.iter().map(|r| format!("{:.6}", f(r))).collect::<Vec<_>>().join(" ");
    format!(
        "<svg viewBox=\"0 0 300 170\" class=\"overfit\" role=\"img\" aria-label=\"{title}\" data-train=\"{}\" data-valid=\"{}\"><text x=\"40\" y=\"14\" class=\"hint\">{title}</text>\
         <line x1=\"40\" y1=\"150\" x2=\"290\" y2=\"150\" class=\"axis\"/>{}\
         <polyline class=\"train\" points=\"{}\"/><polyline class=\"valid\" points=\"{}\"/>{book_dots}\
         <text x=\"40\" y=\"166\" class=\"hint\">— train  - - valid{book_note} · valid {:.3} → {:.3}</text></svg>",
        losses(|r| r.train_loss),
        losses(|r| r.valid_loss),
        frame.y_ticks(range),
        line(|r| r.train_loss),
        line(|r| r.valid_loss),
        rows.first().map_or(f64::NAN, |r| r.valid_loss),
        rows.last().map_or(f64::NAN, |r| r.valid_loss),
    )
}
