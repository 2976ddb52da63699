//! fastai's LR finder as the page shows it, for section 8 and the spreadsheet alike:
//! the curve fastai's `plot_lr_find` draws (smoothed loss against the learning rate on a
//! log scale, the last five points left off), the `valley` suggestion marked on it, and
//! what the sweep did, in words.

use collab_core::train::lr_find::{END_LR, START_LR, Stop, Suggestion, Sweep};

use crate::html::{Frame, escape, fitted};

/// One sweep the page asked for, and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct LrFind {
    /// The request id: an answer for another is dropped.
    pub id: u64,
    /// What it swept, in words ("DotProductBias, batch 64, on the CPU").
    pub about: String,
    /// `None` while it runs.
    pub result: Option<Result<Sweep, String>>,
}

impl LrFind {
    /// The suggestion, once the sweep is in and has one.
    pub fn suggestion(&self) -> Option<Suggestion> {
        self.result.as_ref()?.as_ref().ok()?.suggestion()
    }
}

/// A learning rate as the page writes it into a rate field and a link: three
/// significant figures, as a plain decimal from 0.01 to 99.9 (`0.0158`, `8.32`) and in
/// e-notation outside it (`1.32e-3`).
pub fn rate_text(lr: f64) -> String {
    let exponent = lr.abs().log10().floor() as i32;
    if (-2..2).contains(&exponent) {
        let decimals = (2 - exponent) as usize;
        format!("{lr:.decimals$}")
    } else {
        format!("{lr:.2e}")
    }
}

/// fastai's `plot_lr_find(skip_end=5)`: the points it draws.
pub fn drawn(sweep: &Sweep) -> Vec<(f64, f64)> {
    let n = sweep.lrs.len().saturating_sub(5);
    sweep.lrs.iter().copied().zip(sweep.losses.iter().copied()).take(n).collect()
}

/// The sweep in words, with the suggestion.
pub fn words(f: &LrFind) -> String {
    let sweep = match &f.result {
        None => return format!("Sweeping the learning rate from {START_LR:e} to {END_LR} ({}) …", escape(&f.about)),
        Some(Err(e)) => return format!("The learning-rate sweep failed: {}", escape(e)),
        Some(Ok(s)) => s,
    };
    let last = sweep.lrs.last().copied().unwrap_or(START_LR);
    let how = match sweep.stop {
        Some(Stop::Diverged) => format!(
            "stopped after {} batches, at lr {}, when the smoothed loss passed 4 × its lowest value",
            sweep.lrs.len(),
            rate_text(last)
        ),
        Some(Stop::NotANumber) => "stopped when the loss stopped being a number".to_string(),
        _ => format!("ran all {} batches, up to lr {}", sweep.lrs.len(), rate_text(last)),
    };
    let suggestion = match (sweep.suggestion(), sweep.steep()) {
        (Some(s), steep) => format!(
            " fastai's suggestion (<code>valley</code>, its default): <output class=\"lr-suggestion\">{}</output> \
             (●), where the smoothed loss is {:.4}: about half way into the longest stretch over which the loss \
             keeps falling, however slowly (fastai adds a third of its length and a sixth to its start).{}",
            rate_text(s.lr),
            s.loss,
            steep
                .map(|t| format!(
                    " The steepest fall (<code>steep</code>) is at <output class=\"lr-steep\">{}</output> (○).",
                    rate_text(t.lr)
                ))
                .unwrap_or_default()
        ),
        (None, _) => " Too few batches were recorded for a suggestion (fastai leaves off the first 10 and the last 5)."
            .to_string(),
    };
    format!("Swept {} from {START_LR:e}: {how}.{suggestion}", escape(&f.about))
}

/// The chart: smoothed loss against the learning rate (log scale, a tick a decade), the
/// suggestion as a dot. The points travel in `data-curve` as `[lr, loss]` pairs, and the
/// suggestion in `data-suggestion`, for whoever reads the page's numbers.
pub fn chart(f: &LrFind) -> String {
    let Some(Ok(sweep)) = &f.result else { return String::new() };
    let points = drawn(sweep);
    let frame = Frame { left: 56.0, right: 380.0, top: 12.0, bottom: 160.0 };
    let (lo_x, hi_x) = (START_LR.log10(), END_LR.log10());
    let range = fitted(points.iter().map(|p| p.1));
    let at = |lr: f64, loss: f64| frame.point_in((lr.log10() - lo_x, loss), hi_x - lo_x, range);
    let line: Vec<String> = points
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|&(lr, loss)| {
            let (x, y) = at(lr, loss);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let ticks: String = (lo_x as i32..=hi_x as i32)
        .map(|e| {
            let (x, _) = at(10f64.powi(e), range.0);
            format!(
                "<line x1=\"{x:.1}\" y1=\"160\" x2=\"{x:.1}\" y2=\"165\" class=\"axis\"/>\
                 <text x=\"{x:.1}\" y=\"178\" text-anchor=\"middle\">1e{e}</text>"
            )
        })
        .collect();
    let y_ticks: String = [(range.0, frame.bottom), (range.1, frame.top)]
        .iter()
        .map(|(v, y)| format!("<text x=\"52\" y=\"{:.1}\" text-anchor=\"end\">{v:.3}</text>", y + 4.0))
        .collect();
    let mark = |s: Option<Suggestion>, class: &str| match s {
        Some(s) => {
            let (x, y) = at(s.lr, s.loss);
            format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" class=\"{class}\"/>")
        }
        None => String::new(),
    };
    let dot = mark(sweep.steep(), "steep") + &mark(sweep.suggestion(), "suggestion");
    let curve: Vec<String> = points.iter().map(|(lr, loss)| format!("[{lr:e},{}]", json_number(*loss))).collect();
    format!(
        "<g data-curve=\"[{}]\" data-suggestion=\"{}\">\
         <line x1=\"56\" y1=\"160\" x2=\"380\" y2=\"160\" class=\"axis\"/><line x1=\"56\" y1=\"12\" x2=\"56\" y2=\"160\" class=\"axis\"/>\
         {ticks}{y_ticks}<text x=\"223\" y=\"196\" text-anchor=\"middle\">learning rate (log scale)</text>\
         <text x=\"14\" y=\"86\" text-anchor=\"middle\" transform=\"rotate(-90 14 86)\">loss</text>\
         <polyline class=\"curve\" points=\"{}\"/>{dot}</g>",
        curve.join(","),
        sweep.suggestion().map(|s| rate_text(s.lr)).unwrap_or_default(),
        line.join(" ")
    )
}

/// A loss in JSON: `null` for what JSON has no number for.
fn json_number(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "null".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(losses: &[f64]) -> LrFind {
        let mut sweep = Sweep::new(100);
        losses.iter().for_each(|&l| sweep.record(l));
        LrFind { id: 1, about: "DotProductBias".into(), result: Some(Ok(sweep)) }
    }

    #[test]
    fn the_chart_draws_fastais_points_and_marks_the_suggestion_on_the_curve() {
        // Flat, then falling, then rising: 60 batches, stopped by hand (no 4× yet).
        let losses: Vec<f64> = (0..60)
            .map(|i| {
                if i < 20 {
                    2.0
                } else if i < 45 {
                    2.0 - 0.05 * (i - 20) as f64
                } else {
                    0.75 + 0.1 * (i - 45) as f64
                }
            })
            .collect();
        let f = found(&losses);
        let sweep = f.result.clone().unwrap().unwrap();
        let s = f.suggestion().unwrap();
        let html = chart(&f);
        // fastai's plot leaves off the last five points.
        assert_eq!(drawn(&sweep).len(), 55);
        assert_eq!(html.matches("],[").count() + 1, 55);
        assert!(html.contains(&format!("data-suggestion=\"{}\"", rate_text(s.lr))));
        // The dot sits on the curve: its point is one of the polyline's.
        let lo = START_LR.log10();
        let range = fitted(drawn(&sweep).iter().map(|p| p.1));
        let frame = Frame { left: 56.0, right: 380.0, top: 12.0, bottom: 160.0 };
        let (x, y) = frame.point_in((sweep.lrs[s.index].log10() - lo, s.loss), END_LR.log10() - lo, range);
        assert!(html.contains(&format!("{x:.1},{y:.1}")), "{html}");
        assert!(words(&f).contains(&format!("<output class=\"lr-suggestion\">{}</output>", rate_text(s.lr))));
        assert_eq!(rate_text(0.0013182567), "1.32e-3");
        assert_eq!(rate_text(0.0013182567).parse::<f64>().unwrap(), 0.00132);
        assert_eq!(
            (rate_text(0.015848932), rate_text(8.317637711), rate_text(0.9120108)),
            ("0.0158".into(), "8.32".into(), "0.912".into())
        );
        assert_eq!((rate_text(12.34), rate_text(123.4)), ("12.3".into(), "1.23e2".into()));
    }

    #[test]
    fn words_say_how_the_sweep_ended() {
        let mut f = found(&[1.0; 15]);
        assert!(words(&f).contains("Too few batches"), "{}", words(&f));
        f.result = Some(Err("no data".into()));
        assert_eq!(words(&f), "The learning-rate sweep failed: no data");
        f.result = None;
        assert!(words(&f).starts_with("Sweeping the learning rate from 1e-7 to 10"));
        assert_eq!(chart(&f), "");
        let rising: Vec<f64> = (0..40).map(|i| 1.0 + 0.3 * i as f64).collect();
        assert!(words(&found(&rising)).contains("stopped after"), "{}", words(&found(&rising)));
    }
}
