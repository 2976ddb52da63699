//! The runs table: every fit of this visit and those kept from earlier ones, each with
//! what it was, where it ran, how it ended, its link and "restore"; the ticked ones'
//! curves on one chart with axes.

use super::{Patch, attr, flag, html, text};
use crate::html::{Frame, escape, fitted};
use crate::runs::{Run, RunsState};
use crate::state::App;

pub const IDS: &[&str] = &["runs", "runs-status", "runs-rows", "runs-chart", "runs-forget"];

/// A run's colour on the chart and beside its number (by its number, so that it keeps it).
const COLOURS: [&str; 8] = ["#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#0a7c8c", "#e16f24", "#57606a"];

pub fn colour(number: u64) -> &'static str {
    COLOURS[(number as usize).wrapping_sub(1) % COLOURS.len()]
}

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let r = &app.runs;
    out.push(attr("runs", "data-state", if r.runs.is_empty() { "pending" } else { "ready" }));
    out.push(text("runs-status", status(r)));
    out.push(html("runs-rows", rows(r)));
    out.push(html("runs-chart", chart(r)));
    out.push(flag("runs-forget", "disabled", r.runs.is_empty()));
}

fn status(r: &RunsState) -> String {
    let what = match r.runs.len() {
        0 => "No runs yet: every series of sheet steps and every fit of section 8 and of the weight-decay pair is \
              recorded here."
            .to_string(),
        1 => "1 run.".to_string(),
        n => format!("{n} runs, the newest first."),
    };
    if r.message.is_empty() { what } else { format!("{what} {}", r.message) }
}

/// A loss as the table writes it.
fn loss(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.4}"))
}

/// Seconds as the table writes them.
fn seconds(s: f64) -> String {
    if s < 10.0 { format!("{s:.2} s") } else { format!("{s:.0} s") }
}

/// The table's rows, the newest first: what the run was in one cell (where, model,
/// settings, device, data), then its figures, each cell labelled (`data-label`) for the
/// phone's layout, where a row is drawn as a card.
pub fn rows(r: &RunsState) -> String {
    r.runs
        .iter()
        .rev()
        .map(|run| {
            let n = run.number;
            let checked = if r.shown.contains(&n) { " checked" } else { "" };
            format!(
                "<tr data-run=\"{n}\"><td data-label=\"show\"><input type=\"checkbox\" data-show=\"{n}\" aria-label=\"Show run {n} on the chart\"{checked}></td>\
                 <td data-label=\"run\" class=\"number\"><span class=\"swatch\" style=\"background: {}\"></span> {n} \
                 <button type=\"button\" data-restore=\"{n}\">restore</button> <a href=\"{}\">link</a></td>\
                 <td data-label=\"what\" class=\"what\"><span class=\"where\">{}</span> · <b class=\"model\">{}</b><br>\
                 <span class=\"settings\">{}</span><br><span class=\"device\">{}</span> · <span class=\"data\">{}</span></td>\
                 <td data-label=\"train loss\" class=\"train-loss\">{}</td><td data-label=\"valid loss\" class=\"valid-loss\">{}</td>\
                 <td data-label=\"time\" class=\"time\">{}</td><td data-label=\"epochs\" class=\"epochs\">{:.2}</td><td data-label=\"state\" class=\"state\">{}</td></tr>",
                colour(n),
                escape(&run.query()),
                run.place.words(),
                escape(&run.model),
                escape(&run.settings),
                escape(&run.device),
                escape(&run.data),
                loss(run.train_loss),
                loss(run.valid_loss),
                seconds(run.seconds),
                run.epochs(),
                run.state.words(),
            )
        })
        .collect()
}

/// The ticked runs' losses against epochs, on a log scale (a sheet's MSE falls from
/// about 10 to 0.01, a fit's from 1.3 to 0.8: both must be read on one chart): the
/// training loss as a line, the validation (or held-out) loss dashed with a dot at each
/// point, the run's number at its end. Each run's numbers travel in `data-train` and
/// `data-valid` (JSON).
pub fn chart(r: &RunsState) -> String {
    let shown: Vec<&Run> = r.runs.iter().filter(|run| r.shown.contains(&run.number)).collect();
    let frame = Frame { left: 66.0, right: 570.0, top: 12.0, bottom: 170.0 };
    let values: Vec<f64> = shown
        .iter()
        .flat_map(|run| run.train.iter().chain(&run.valid).map(|p| p.1))
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if values.len() < 2 {
        return "<text x=\"76\" y=\"90\">Tick a run to draw its losses</text>".into();
    }
    let range = fitted(values.iter().map(|v| v.log10()));
    let x_max = shown.iter().map(|run| run.epochs()).fold(0.0, f64::max).max(1e-9);
    let log = |points: &[(f64, f64)]| -> Vec<(f64, f64)> {
        points.iter().filter(|p| p.1 > 0.0).map(|&(x, y)| (x, y.log10())).collect()
    };
    let json = |points: &[(f64, f64)]| {
        let v: Vec<String> = points.iter().map(|p| format!("[{},{}]", p.0, p.1)).collect();
        format!("[{}]", v.join(","))
    };
    let lines: String = shown
        .iter()
        .map(|run| {
            let c = colour(run.number);
            let (train, valid) = (log(&run.train), log(&run.valid));
            let dots: String = valid
                .iter()
                .map(|&p| {
                    let (x, y) = frame.point_in(p, x_max, range);
                    format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{c}\"/>")
                })
                .collect();
            let end = train.last().or(valid.last()).map(|&p| frame.point_in(p, x_max, range)).map_or(String::new(), |(x, y)| {
                format!("<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{c}\">{}</text>", (x + 4.0).min(590.0), y + 4.0, run.number)
            });
            format!(
                "<g class=\"run\" data-run=\"{}\" data-train=\"{}\" data-valid=\"{}\">\
                 <polyline class=\"train\" stroke=\"{c}\" points=\"{}\"/><polyline class=\"valid\" stroke=\"{c}\" points=\"{}\"/>{dots}{end}</g>",
                run.number,
                json(&run.train),
                json(&run.valid),
                frame.points_in(&train, x_max, range),
                frame.points_in(&valid, x_max, range),
            )
        })
        .collect();
    format!(
        "<line x1=\"66\" y1=\"170\" x2=\"570\" y2=\"170\" class=\"axis\"/><line x1=\"66\" y1=\"12\" x2=\"66\" y2=\"170\" class=\"axis\"/>\
         {}{}<text x=\"12\" y=\"91\" text-anchor=\"middle\" transform=\"rotate(-90 12 91)\">MSE (log scale)</text>\
         <text x=\"318\" y=\"204\" text-anchor=\"middle\">epochs (a sheet step on every cell is one)</text>\
         <text x=\"318\" y=\"220\" text-anchor=\"middle\">— training loss · - - ● validation (the sheet: held-out) loss</text>{lines}",
        frame.log_ticks(range),
        x_ticks(&frame, x_max),
    )
}

/// Ticks along the epochs axis: at most about ten, at whole epochs where that many fit.
fn x_ticks(frame: &Frame, x_max: f64) -> String {
    let step = if x_max <= 1.0 {
        0.25
    } else {
        let raw = x_max / 8.0;
        let pow = 10f64.powf(raw.log10().floor());
        [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * pow).find(|s| *s >= raw).unwrap_or(10.0 * pow).max(1.0)
    };
    let mut out = String::new();
    let mut e = 0.0;
    while e <= x_max + 1e-9 {
        let (x, _) = frame.point((e, 0.0), x_max, 1.0);
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"170\" x2=\"{x:.1}\" y2=\"174\" class=\"axis\"/><text x=\"{x:.1}\" y=\"186\" text-anchor=\"middle\">{}</text>",
            e
        ));
        e += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::{Place, RunState};

    fn run(number: u64, valid: Vec<(f64, f64)>) -> Run {
        Run {
            number,
            place: Place::Train,
            model: "DotProductBias".into(),
            settings: "5 epochs".into(),
            link: vec![("lr".into(), "0.005".into())],
            device: "CPU".into(),
            data: "d".into(),
            train_loss: Some(0.7),
            valid_loss: valid.last().map(|p| p.1),
            seconds: 12.5,
            train: vec![(0.5, 1.3), (1.0, 0.9)],
            valid,
            state: RunState::Done,
            live: None,
        }
    }

    #[test]
    fn only_ticked_runs_are_drawn_with_their_exact_losses() {
        let mut r = RunsState {
            runs: vec![run(1, vec![(1.0, 0.95)]), run(2, vec![(1.0, 0.85), (2.0, 0.8)])],
            ..RunsState::default()
        };
        r.shown.insert(2);
        let svg = chart(&r);
        assert!(
            svg.contains("data-run=\"2\" data-train=\"[[0.5,1.3],[1,0.9]]\" data-valid=\"[[1,0.85],[2,0.8]]\""),
            "{svg}"
        );
        assert!(!svg.contains("data-run=\"1\""));
        assert!(svg.contains("MSE (log scale)") && svg.contains("epochs"));
        r.shown.clear();
        assert_eq!(chart(&r), "<text x=\"76\" y=\"90\">Tick a run to draw its losses</text>");
        let table = rows(&r);
        assert!(table.find("data-run=\"2\"").unwrap() < table.find("data-run=\"1\"").unwrap(), "the newest first");
        assert!(
            table.contains("<td data-label=\"valid loss\" class=\"valid-loss\">0.8000</td>") && table.contains("12 s")
        );
        assert!(table.contains("<a href=\"?lr=0.005\">link</a>"));
    }
}
