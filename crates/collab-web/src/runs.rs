//! Every fit on the page kept as a run, so that fits can be compared instead of written
//! down: the sheet's series (one per change of its numbers or settings) and section 8's
//! and the weight-decay pair's fits. A run is read from the state it comes from after
//! every message (`update::runs::sync`), so no rule of training has to remember to record it; runs
//! that stopped are kept in the browser ([`Kept`], as JSON) and come back on the next
//! visit, with their settings as a link.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::protocol::Slot;

/// Runs kept: the oldest go first (a run still live on the page stays).
pub const RUNS_KEPT: usize = 30;
/// Points a run's curve keeps (a long fit's are thinned evenly).
pub const CURVE_POINTS: usize = 150;
/// The browser's storage key of the kept runs.
pub const STORAGE_KEY: &str = "collab-runs";
/// The most bytes of kept runs read back (more is not this page's: refused unread).
pub const KEPT_BYTES: usize = 4 << 20;

/// Where a run trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Place {
    /// The spreadsheet (section 3): plain gradient steps on its corner of the data.
    Sheet,
    /// Section 8's training.
    Train,
    /// One of the overfitting comparison's pair.
    Pair,
}

impl Place {
    /// As the table says it.
    pub fn words(self) -> &'static str {
        match self {
            Place::Sheet => "sheet",
            Place::Train => "section 8",
            Place::Pair => "wd pair",
        }
    }
}

/// How a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunState {
    Running,
    Paused,
    Done,
    Stopped,
}

impl RunState {
    pub fn words(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Done => "done",
            RunState::Stopped => "stopped",
        }
    }
}

/// What a run of this visit comes from (a kept run has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// A fit of the worker: its slot and run id.
    Fit(Slot, u64),
    /// One of the sheet's series (its id).
    Sheet(u64),
}

/// One run, as the table shows it and the browser keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Its number in the table and on the chart (never reused while kept).
    pub number: u64,
    pub place: Place,
    /// The model, as the page names it.
    pub model: String,
    /// The rest of its settings, in words.
    pub settings: String,
    /// Its settings as the page's address names them: its link, and what "restore" sets.
    pub link: Vec<(String, String)>,
    pub device: String,
    /// The data it trained on, in words.
    pub data: String,
    /// Its last training loss (MSE; the sheet's: of the cells stepped on).
    pub train_loss: Option<f64>,
    /// Its last validation loss (the sheet's: of its held-out cells, when some are).
    pub valid_loss: Option<f64>,
    /// Training time.
    pub seconds: f64,
    /// `(epoch, loss)`: the training loss as it went (an epoch is a pass over the
    /// training ratings; a sheet step on every cell is one).
    pub train: Vec<(f64, f64)>,
    /// `(epoch, loss)`: the validation (or held-out) loss.
    pub valid: Vec<(f64, f64)>,
    pub state: RunState,
    /// What it comes from on this visit.
    #[serde(skip)]
    pub live: Option<Live>,
}

/// The runs of the page.
#[derive(Debug, Clone, Default)]
pub struct RunsState {
    /// Oldest first.
    pub runs: Vec<Run>,
    /// The numbers of the runs drawn on the chart.
    pub shown: BTreeSet<u64>,
    /// What the last restore or read of the kept runs said.
    pub message: String,
}

/// What the browser keeps.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Kept {
    pub runs: Vec<Run>,
    pub shown: BTreeSet<u64>,
}

impl RunsState {
    /// The runs as the browser keeps them (JSON).
    pub fn to_json(&self) -> String {
        let kept = KeptRef { runs: &self.runs, shown: &self.shown };
        serde_json::to_string(&kept).unwrap_or_default()
    }

    /// Takes the runs kept by an earlier visit, before this visit's (which are numbered
    /// after them); the newest [`RUNS_KEPT`] stay.
    pub fn restore_kept(&mut self, json: &str) -> Result<(), String> {
        if json.len() > KEPT_BYTES {
            return Err(format!("{} bytes, more than this page keeps", json.len()));
        }
        let kept: Kept = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let runs: Vec<Run> = kept.runs.into_iter().map(Run::checked).collect();
        let mut next = runs.iter().map(|r| r.number).max().unwrap_or(0);
        let mut shown: BTreeSet<u64> = kept.shown.into_iter().filter(|n| runs.iter().any(|r| r.number == *n)).collect();
        let mut all = runs;
        for mut run in std::mem::take(&mut self.runs) {
            next += 1;
            if self.shown.contains(&run.number) {
                shown.insert(next);
            }
            run.number = next;
            all.push(run);
        }
        self.runs = all;
        self.shown = shown;
        self.trim();
        Ok(())
    }

    /// Records the runs of this visit's current sources (`found`, each a fit or the
    /// sheet's series, as it stands now): true when the runs changed in a way worth
    /// keeping in the browser (anything but a run still training). A run whose source is
    /// gone (a new fit, Reset, new data, a sheet setting changed) is no longer live: it
    /// keeps its numbers, and stops if it was under way.
    pub fn record(&mut self, found: Vec<Run>) -> bool {
        let mut keep = false;
        for run in self.runs.iter_mut().filter(|r| r.live.is_some()) {
            if !found.iter().any(|f| f.live == run.live) {
                run.live = None;
                if matches!(run.state, RunState::Running | RunState::Paused) {
                    run.state = RunState::Stopped;
                }
                keep = true;
            }
        }
        for mut run in found {
            match self.runs.iter_mut().find(|r| r.live == run.live) {
                Some(old) => {
                    run.number = old.number;
                    // Where a run trained is read while it trains: a worker started later
                    // (for another fit) says nothing of it.
                    if old.state != RunState::Running {
                        run.device.clone_from(&old.device);
                        run.link.clone_from(&old.link);
                    }
                    if *old != run {
                        keep |= run.state != RunState::Running;
                        *old = run;
                    }
                }
                None => {
                    run.number = self.runs.iter().map(|r| r.number).max().unwrap_or(0) + 1;
                    // A new run is drawn, and so is its curve as it goes.
                    self.shown.insert(run.number);
                    keep |= run.state != RunState::Running;
                    self.runs.push(run);
                    // What was said of the runs before is said of another table.
                    self.message.clear();
                    keep |= self.trim();
                }
            }
        }
        keep
    }

    /// At most [`RUNS_KEPT`] runs: the oldest that are no longer live go first. True when
    /// one went.
    fn trim(&mut self) -> bool {
        let mut trimmed = false;
        while self.runs.len() > RUNS_KEPT {
            let Some(old) = self.runs.iter().position(|r| r.live.is_none()) else { break };
            let gone = self.runs.remove(old);
            self.shown.remove(&gone.number);
            trimmed = true;
        }
        trimmed
    }

    /// Forgets every run but those still live (they would be recorded again at once):
    /// how many stay.
    pub fn forget(&mut self) -> usize {
        self.runs.retain(|r| r.live.is_some());
        self.shown.retain(|n| self.runs.iter().any(|r| r.number == *n));
        self.runs.len()
    }

    pub fn get(&self, number: u64) -> Option<&Run> {
        self.runs.iter().find(|r| r.number == number)
    }
}

/// [`Kept`], borrowed, to write.
#[derive(Serialize)]
struct KeptRef<'a> {
    runs: &'a [Run],
    shown: &'a BTreeSet<u64>,
}

impl Run {
    /// A run read back from the browser: only finite figures, curves within bounds (a
    /// kept file edited by hand cannot make the page draw without end).
    fn checked(mut self) -> Self {
        self = self.finite();
        self.seconds = if self.seconds.is_finite() { self.seconds.max(0.0) } else { 0.0 };
        self.train = thinned(&self.train);
        self.valid = thinned(&self.valid);
        // A kept run is not training any more, whatever it was when kept.
        if matches!(self.state, RunState::Running | RunState::Paused) {
            self.state = RunState::Stopped;
        }
        self.live = None;
        self
    }

    /// How far it went, in epochs.
    pub fn epochs(&self) -> f64 {
        self.train.iter().chain(&self.valid).map(|p| p.0).fold(0.0, f64::max)
    }

    /// Its link's query string (`?model=dot&…`).
    pub fn query(&self) -> String {
        let mut out = String::from("?");
        for (n, (key, value)) in self.link.iter().enumerate() {
            if n > 0 {
                out.push('&');
            }
            out.push_str(&format!("{}={}", encode(key), encode(value)));
        }
        out
    }
}

/// A query component written so that any text survives the address.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// At most [`CURVE_POINTS`] finite points, evenly taken, the last always among them.
pub fn thinned(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    if finite.len() <= CURVE_POINTS {
        return finite;
    }
    let last = finite.len() - 1;
    (0..CURVE_POINTS).map(|n| finite[n * last / (CURVE_POINTS - 1)]).collect()
}

impl Run {
    /// Only finite losses (a diverged run says so by having none).
    pub fn finite(mut self) -> Self {
        self.train_loss = self.train_loss.filter(|v| v.is_finite());
        self.valid_loss = self.valid_loss.filter(|v| v.is_finite());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_curve_is_thinned_evenly_to_its_last_point_and_loses_what_is_no_number() {
        let long: Vec<(f64, f64)> = (0..1000).map(|n| (n as f64, if n == 3 { f64::NAN } else { 1.0 })).collect();
        let thin = thinned(&long);
        assert_eq!(thin.len(), CURVE_POINTS);
        assert_eq!(thin.first(), Some(&(0.0, 1.0)));
        assert_eq!(thin.last(), Some(&(999.0, 1.0)));
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(thinned(&long[..5]).len(), 4, "the NaN point is left out");
    }

    #[test]
    fn a_link_is_written_so_that_any_value_survives_the_address() {
        let run = Run {
            number: 1,
            place: Place::Train,
            model: String::new(),
            settings: String::new(),
            link: vec![("lr".into(), "1e-3".into()), ("x".into(), "a b&c=d".into())],
            device: String::new(),
            data: String::new(),
            train_loss: None,
            valid_loss: None,
            seconds: 0.0,
            train: Vec::new(),
            valid: Vec::new(),
            state: RunState::Done,
            live: None,
        };
        assert_eq!(run.query(), "?lr=1e-3&x=a%20b%26c%3Dd");
    }
}
