//! Section 3, the spreadsheet: the grid, the loss figures, the loss chart and the Run
//! button, from the sheet's state.

use super::{Patch, attr, flag, html, text};
use crate::grid;
use crate::html::{Frame, escape};
use crate::state::{App, Series};

pub const IDS: &[&str] = &[
    "sheet",
    "sheet-k",
    "sheet-lr",
    "sheet-batch",
    "sheet-bias",
    "sheet-range",
    "sheet-wd",
    "sheet-wdkind",
    "sheet-step",
    "sheet-run",
    "sheet-randomise",
    "sheet-steps",
    "sheet-grid",
    "sheet-mse",
    "sheet-rmse",
    "sheet-l2",
    "sheet-formula",
    "sheet-message",
    "sheet-settings-message",
    "sheet-rewind",
    "sheet-chart",
    "sheet-series",
    "sheet-held",
    "sheet-held-mse",
    "sheet-held-figure",
    "sheet-lrfind",
    "sheet-lrfind-text",
    "sheet-lrfind-chart",
    "sheet-lrfind-use",
];

/// The sheet's controls, in the order the DOM side reads them.
pub const CONTROLS: [&str; 8] =
    ["sheet-lr", "sheet-k", "sheet-bias", "sheet-range", "sheet-wd", "sheet-wdkind", "sheet-batch", "sheet-held"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let s = &app.sheet;
    out.push(html(
        "sheet-grid",
        grid::html(&s.sheet, s.eval.as_ref(), s.last_step.as_ref(), s.cursor, s.editing.as_deref()),
    ));
    if let Some(eval) = &s.eval {
        out.push(text("sheet-mse", format!("{:.4}", eval.mse)));
        out.push(text("sheet-rmse", format!("{:.4}", eval.rmse)));
        out.push(text("sheet-l2", format!("{:.4}", eval.l2)));
    }
    out.push(text("sheet-steps", s.steps.to_string()));
    out.push(html("sheet-chart", chart(&s.series)));
    out.push(html("sheet-series", series_list(&s.series)));
    let held = s.eval.as_ref().filter(|_| s.evaluated()).and_then(|e| e.held_mse);
    out.push(text("sheet-held-mse", held.map(|h| format!("{h:.4}")).unwrap_or_default()));
    out.push(flag("sheet-held-figure", "hidden", held.is_none()));
    out.push(text("sheet-run", if s.running { "Stop" } else { "Run" }));
    out.push(attr("sheet-run", "aria-pressed", if s.running { "true" } else { "false" }));
    out.push(attr("sheet", "data-state", if s.evaluated() { "ready" } else { "pending" }));
    out.push(text("sheet-formula", crate::formula::at(&s.sheet, s.eval.as_ref().filter(|_| s.evaluated()), s.cursor)));
    out.push(text("sheet-message", s.message.clone()));
    let refused: Vec<&str> = s.refused.iter().map(|(_, why)| why.as_str()).collect();
    out.push(text("sheet-settings-message", refused.join(". ")));
    for id in ["sheet-lr", "sheet-k", "sheet-wd"] {
        let bad = s.refused.iter().any(|(field, _)| *field == id);
        out.push(attr(id, "aria-invalid", if bad { "true" } else { "false" }));
    }
    out.push(flag("sheet-rewind", "hidden", !(s.diverged && s.start.is_some())));
    super::lr_find(
        s.lr_find.as_ref(),
        ["sheet-lrfind", "sheet-lrfind-text", "sheet-lrfind-chart", "sheet-lrfind-use"],
        out,
    );
}

/// The losses of every series kept: the training MSE as a line, the held-out MSE
/// dashed, each series after the one before it on one step axis (a rule and its number
/// where it starts), on a log scale (a held-out loss rising from 0.4 to 0.5 while the
/// training loss falls from 7 to 0.02 must be seen), with the y axis labelled. Each series' numbers travel in its
/// `data-train` and `data-held` (JSON), for whoever reads the page's numbers.
pub fn chart(series: &[Series]) -> String {
    let frame = Frame { left: 66.0, right: 390.0, top: 12.0, bottom: 160.0 };
    // Each series' points: its start (if evaluated), then one per step, at a running x.
    let mut x = 0.0;
    let mut drawn = Vec::new();
    for s in series {
        let first = x;
        let mut train = Vec::new();
        let mut held = Vec::new();
        if let Some((t, h)) = s.start {
            train.push((x, f64::from(t)));
            held.extend(h.map(|h| (x, f64::from(h))));
            x += 1.0;
        }
        for (n, &t) in s.train.iter().enumerate() {
            let at = x + n as f64;
            train.push((at, f64::from(t)));
            held.extend(s.held.get(n).map(|&h| (at, f64::from(h))));
        }
        x += s.train.len() as f64;
        drawn.push((first, train, held));
    }
    let finite = |v: &&(f64, f64)| v.1.is_finite();
    let values: Vec<f64> = drawn.iter().flat_map(|d| d.1.iter().chain(&d.2).filter(finite).map(|p| p.1)).collect();
    if values.len() < 2 {
        return String::from("<text x=\"56\" y=\"90\">Step or Run to plot the loss</text>");
    }
    // On a log scale: a loss of 0 (or below, which an MSE never is) has no place on it.
    let log = |points: &[(f64, f64)]| -> Vec<(f64, f64)> {
        points.iter().map(|&(x, y)| (x, if y > 0.0 { y.log10() } else { f64::NAN })).collect()
    };
    let range = crate::html::fitted(values.iter().filter(|v| **v > 0.0).map(|v| v.log10()));
    let x_max = (x - 1.0).max(1.0);
    let json = |points: &[(f64, f64)]| {
        let v: Vec<String> =
            // The losses are float32s: each in its shortest form.
            points.iter().map(|p| if p.1.is_finite() { format!("{}", p.1 as f32) } else { "null".into() }).collect();
        format!("[{}]", v.join(","))
    };
    let many = drawn.len() > 1;
    let lines: String = drawn
        .iter()
        .enumerate()
        .map(|(n, (first, train, held))| {
            let (rule_x, _) = frame.point_in((*first, range.0), x_max, range);
            let rule = if many {
                format!(
                    "<line x1=\"{rule_x:.1}\" y1=\"12\" x2=\"{rule_x:.1}\" y2=\"160\" class=\"axis\"/>\
                     <text x=\"{:.1}\" y=\"{}\">{}</text>",
                    rule_x + 3.0,
                    // Series that start close together: their numbers at two heights.
                    26 + 14 * (n % 2),
                    n + 1
                )
            } else {
                String::new()
            };
            let held_line = if held.len() > 1 {
                format!("<polyline class=\"held\" points=\"{}\"/>", frame.points_in(&log(held), x_max, range))
            } else {
                String::new()
            };
            let train_line = if train.iter().filter(finite).count() > 1 {
                format!("<polyline class=\"train\" points=\"{}\"/>", frame.points_in(&log(train), x_max, range))
            } else {
                String::new()
            };
            format!(
                "<g class=\"series\" data-train=\"{}\" data-held=\"{}\">{rule}{train_line}{held_line}</g>",
                json(train),
                json(held)
            )
        })
        .collect();
    let held_key = if drawn.iter().any(|d| !d.2.is_empty()) { " - - held out" } else { "" };
    format!(
        "<line x1=\"66\" y1=\"160\" x2=\"390\" y2=\"160\" class=\"axis\"/><line x1=\"66\" y1=\"12\" x2=\"66\" y2=\"160\" class=\"axis\"/>\
         {}<text x=\"12\" y=\"86\" text-anchor=\"middle\" transform=\"rotate(-90 12 86)\">MSE (log scale)</text>\
         <text x=\"228\" y=\"180\" text-anchor=\"middle\">steps ({} in all)</text>\
         <text x=\"228\" y=\"196\" text-anchor=\"middle\">— MSE of the cells stepped on{held_key}</text>{lines}",
        frame.log_ticks(range),
        x_max as usize
    )
}

/// The series kept, in words, numbered as on the chart.
pub fn series_list(series: &[Series]) -> String {
    series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.start.is_some() || !s.train.is_empty())
        .map(|(n, s)| {
            let last = |v: &[f32]| v.last().map(|l| format!("{l:.4}"));
            let held = last(&s.held).map(|h| format!(", held-out MSE {h}")).unwrap_or_default();
            let end = last(&s.train).map(|t| format!(": {} steps, MSE {t}{held}", s.train.len())).unwrap_or_default();
            format!("<li value=\"{}\">{}{end}</li>", n + 1, escape(&s.label))
        })
        .collect()
}
