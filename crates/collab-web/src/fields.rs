//! The page's fields read and checked in one place: section 8's training controls
//! (through the core's settings path, [`collab_core::settings`], the one the page's
//! address and the CLI take too), the spreadsheet's settings, and the hand-set factors.

use collab_core::error::clip;
use collab_core::settings::Key;
use collab_core::sheet::{MAX_CELL, SheetSettings};
use collab_core::train::guard::short_number;
use collab_core::train::{WdKind, limits};

pub use collab_core::settings::{DeviceChoice, RAW_DOT, Texts as TrainControls, book_wd};

/// Section 8's controls: element id and the setting it holds, in [`Key::ALL`]'s order
/// (the setting's name is its key in the page's address).
pub const TRAIN_CONTROLS: [(&str, Key); 10] = [
    ("train-model", Key::Model),
    ("train-factors", Key::Factors),
    ("train-epochs", Key::Epochs),
    ("train-lr", Key::Lr),
    ("train-wd", Key::Wd),
    ("train-wdkind", Key::WdKind),
    ("train-bs", Key::BatchSize),
    ("train-seed", Key::Seed),
    ("train-on", Key::Device),
    ("train-optim", Key::Optim),
];

/// Parses `text` as a `T` and checks it with `check`; the message quotes what was typed.
pub fn number<T: std::str::FromStr, U>(
    text: &str,
    what: &str,
    check: impl Fn(T) -> Result<U, String>,
) -> Result<U, String> {
    let value = text.trim().parse::<T>().map_err(|_| format!("“{}” is not a valid {what}", clip(text, 40)))?;
    check(value)
}

/// The spreadsheet's controls: element id and URL key, in the page's order.
pub const SHEET_CONTROLS: [(&str, &str); 8] = [
    ("sheet-k", "sk"),
    ("sheet-lr", "slr"),
    ("sheet-batch", "sbatch"),
    ("sheet-bias", "sbias"),
    ("sheet-range", "srange"),
    ("sheet-wd", "swd"),
    ("sheet-wdkind", "swdkind"),
    ("sheet-held", "sheld"),
];

/// The spreadsheet's controls as text and ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetControls {
    pub lr: String,
    pub k: String,
    pub bias: bool,
    pub y_range: bool,
    pub wd: String,
    pub decoupled: bool,
    pub batch: String,
    /// Hold out a fifth of the rated cells.
    pub held: bool,
}

impl SheetControls {
    /// The controls showing `s` (and a batch of every rating).
    pub fn showing(s: &SheetSettings) -> Self {
        SheetControls {
            lr: s.lr.to_string(),
            k: s.k.to_string(),
            bias: s.bias,
            y_range: s.y_range,
            wd: s.wd.to_string(),
            decoupled: s.wd_kind == WdKind::Decoupled,
            batch: "0".into(),
            held: s.held_out,
        }
    }
}

impl SheetControls {
    /// The controls as `(URL key, value)` pairs in [`SHEET_CONTROLS`]' order (ticks as 1 or 0).
    pub fn query(&self) -> [(&'static str, String); 8] {
        let tick = |on: bool| if on { "1" } else { "0" }.to_string();
        let kind = if self.decoupled { "decoupled" } else { "l2" }.to_string();
        let values = [
            self.k.clone(),
            self.lr.clone(),
            self.batch.clone(),
            tick(self.bias),
            tick(self.y_range),
            self.wd.clone(),
            kind,
            tick(self.held),
        ];
        let mut values = values.into_iter();
        SHEET_CONTROLS.map(|(_, key)| (key, values.next().unwrap_or_default()))
    }
}

impl SheetControls {
    /// These controls with the values a link's `(URL key, value)` pairs give (a run's
    /// restore): [`SheetControls::query`] read back; a key the pairs lack keeps its value.
    pub fn with_query(&self, pairs: &[(String, String)]) -> Self {
        let mut values = self.query();
        for (key, value) in &mut values {
            if let Some((_, given)) = pairs.iter().find(|(k, _)| k == key) {
                *value = given.clone();
            }
        }
        let [k, lr, batch, bias, y_range, wd, kind, held] = values.map(|(_, v)| v);
        SheetControls {
            k,
            lr,
            batch,
            bias: bias == "1",
            y_range: y_range == "1",
            wd,
            decoupled: kind == "decoupled",
            held: held == "1",
        }
    }
}

/// The spreadsheet's factors per user and movie.
pub const SHEET_K: std::ops::RangeInclusive<usize> = 1..=10;

/// What a form's fields refused: each bad field's element id, and why in words (with
/// the value kept instead).
pub type Refused = Vec<(&'static str, String)>;

/// The sheet's settings from its controls: every good value is taken; a bad one keeps
/// the old value, and its field is named with why and what is kept. The weight decay is
/// checked as section 8's (and the CLI's) is.
pub fn sheet_settings(old: SheetSettings, c: &SheetControls) -> (SheetSettings, usize, Refused) {
    let mut s = old;
    let mut refused = Refused::new();
    let mut check = |id: &'static str, what: &str, text: &str, kept: String, r: Result<f64, String>| match r {
        _ if text.trim().is_empty() => {
            refused.push((id, format!("the {what} is empty; the sheet keeps {kept}")));
            None
        }
        Ok(v) => Some(v),
        Err(e) => {
            refused.push((id, format!("{e}; the sheet keeps {kept}")));
            None
        }
    };
    // No upper bound here: a rate far too high is the sheet's lesson in divergence.
    let lr = number(&c.lr, "learning rate", |v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(format!("the learning rate must be a number above 0, not {}", short_number(v)))
        }
    });
    s.lr = check("sheet-lr", "learning rate", &c.lr, old.lr.to_string(), lr).unwrap_or(old.lr);
    let wd = number(&c.wd, "weight decay", limits::wd);
    s.wd = check("sheet-wd", "weight decay", &c.wd, old.wd.to_string(), wd).unwrap_or(old.wd);
    let k = number(&c.k, "number of factors", |k: usize| {
        if SHEET_K.contains(&k) {
            Ok(k as f64)
        } else {
            Err(format!("the sheet's number of factors must be {} to {}, not {k}", SHEET_K.start(), SHEET_K.end()))
        }
    });
    s.k = check("sheet-k", "number of factors", &c.k, old.k.to_string(), k).map_or(old.k, |k| k as usize);
    s.wd_kind = if c.decoupled { WdKind::Decoupled } else { WdKind::L2 };
    s.bias = c.bias;
    s.y_range = c.y_range;
    s.held_out = c.held;
    let batch = c.batch.trim().parse().unwrap_or(0);
    (s, batch, refused)
}

/// The URL key of the data choice, and its value for the served MovieLens copy (a link
/// cannot carry a visitor's own file: that one stays in their browser, offered again).
pub const DATA_KEY: &str = "data";
pub const SERVED: &str = "served";

/// The URL key of the sheet's numbers, kept after a visitor's edit.
pub const SHEET_NUMBERS: &str = "sw";

/// Every number of the sheet (its tables in order, row-major) as URL text: 4 decimals
/// each, comma-separated.
pub fn sheet_numbers(sheet: &collab_core::sheet::Sheet) -> String {
    let all = sheet.weights.tensors.iter().flat_map(|t| t.values.iter());
    all.map(|v| format!("{v:.4}")).collect::<Vec<_>>().join(",")
}

/// Puts numbers written by [`sheet_numbers`] back into `sheet`: all of them, or none
/// (a link from a sheet of another shape, or a hand-edited one, is refused in words).
pub fn set_sheet_numbers(sheet: &mut collab_core::sheet::Sheet, text: &str) -> Result<(), String> {
    let values: Vec<f32> = text
        .split(',')
        .map(|v| v.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .map_err(|_| "the link's spreadsheet numbers are not numbers; the sheet starts from its own".to_string())?;
    let want: usize = sheet.weights.tensors.iter().map(|t| t.values.len()).sum();
    if values.len() != want {
        return Err(format!(
            "the link holds {} spreadsheet numbers, this sheet has {want}; it starts from its own",
            values.len()
        ));
    }
    let mut next = sheet.clone();
    let mut rest = values.as_slice();
    for t in 0..next.weights.tensors.len() {
        let (path, shape) = (next.weights.tensors[t].path.clone(), next.weights.tensors[t].shape.clone());
        let cols = shape.get(1).copied().unwrap_or(1);
        let n = next.weights.tensors[t].values.len();
        for (i, &v) in rest[..n].iter().enumerate() {
            next.set(&path, i / cols, i % cols, v)?;
        }
        rest = &rest[n..];
    }
    *sheet = next;
    Ok(())
}

/// A hand-set factor: a number between ±[`MAX_CELL`], as in the spreadsheet.
pub fn factor(text: &str) -> Result<f32, String> {
    let value = text
        .trim()
        .parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or(format!("“{}” is not a number", clip(text, 40)))?;
    if value.abs() > MAX_CELL {
        return Err(format!("“{}” is too large: a factor here is between -{MAX_CELL} and {MAX_CELL}", clip(text, 40)));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_controls_are_the_cores_settings_in_order_and_the_page_opens_on_their_defaults() {
        assert_eq!(TRAIN_CONTROLS.map(|c| c.1), Key::ALL);
        // The page's own values (index.html) are the core's defaults, which a bad value
        // in a link falls back to.
        let page = include_str!("../../../index.html");
        for (id, key) in TRAIN_CONTROLS {
            let at = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("#{id} is on the page"));
            let element = &page[at..];
            let value = if page[..at].ends_with("<select ") {
                let end = element.find("</select>").unwrap();
                let options = &element[..end];
                let chosen = options.find(" selected").map_or(0, |s| options[..s].rfind("<option").unwrap());
                let option = &options[options[chosen..].find("<option").unwrap() + chosen..];
                option.split('"').nth(1).unwrap().to_string()
            } else {
                element.split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
            };
            assert_eq!(value, key.default(), "#{id}");
        }
    }

    #[test]
    fn sheet_settings_keep_the_old_value_of_a_bad_field() {
        let old = SheetSettings::default();
        let c = SheetControls {
            lr: "0.5".into(),
            k: "11".into(),
            bias: true,
            y_range: false,
            wd: "-2".into(),
            decoupled: true,
            batch: "4".into(),
            held: false,
        };
        let (s, batch, refused) = sheet_settings(old, &c);
        assert_eq!((s.lr, s.k, s.wd, s.bias, s.wd_kind, batch), (0.5, old.k, old.wd, true, WdKind::Decoupled, 4));
        assert_eq!(
            refused,
            vec![
                ("sheet-wd", "the weight decay must be a number from 0 to 10, not -2; the sheet keeps 0".to_string()),
                ("sheet-k", "the sheet's number of factors must be 1 to 10, not 11; the sheet keeps 5".to_string()),
            ]
        );
    }

    #[test]
    fn every_learning_rate_the_sheet_cannot_step_with_is_named() {
        let old = SheetSettings::default();
        let with_lr = |lr: &str| {
            let c = SheetControls { lr: lr.into(), ..SheetControls::showing(&old) };
            let (s, _, refused) = sheet_settings(old, &c);
            assert_eq!(s.lr, old.lr, "{lr}: the old rate is kept");
            let [(id, why)] = &refused[..] else { panic!("{lr}: {refused:?}") };
            assert_eq!(*id, "sheet-lr");
            assert!(why.ends_with("; the sheet keeps 0.05"), "{why}");
            why.clone()
        };
        assert_eq!(with_lr("abc"), "“abc” is not a valid learning rate; the sheet keeps 0.05");
        assert_eq!(with_lr(""), "the learning rate is empty; the sheet keeps 0.05");
        for bad in ["0", "-0", "-0.1", "NaN", "inf"] {
            assert!(with_lr(bad).starts_with("the learning rate must be a number above 0, not "), "{bad}");
        }
        assert_eq!(with_lr("-0"), "the learning rate must be a number above 0, not -0; the sheet keeps 0.05");
        for bad in ["0", "11", "2.5", ""] {
            let c = SheetControls { k: bad.into(), ..SheetControls::showing(&old) };
            let (s, _, refused) = sheet_settings(old, &c);
            assert_eq!((s.k, refused.len(), refused[0].0), (5, 1, "sheet-k"), "{bad}");
        }
    }

    #[test]
    fn factors_must_be_finite_numbers() {
        assert_eq!(factor(" 2.5 "), Ok(2.5));
        assert_eq!(factor("inf").unwrap_err(), "“inf” is not a number");
        assert_eq!(factor("x").unwrap_err(), "“x” is not a number");
        assert_eq!(factor("-1000"), Ok(-1000.0));
        assert_eq!(factor("1e9").unwrap_err(), "“1e9” is too large: a factor here is between -1000 and 1000");
    }
}
