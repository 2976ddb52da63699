//! The page's fields read and checked in one place: section 8's training controls
//! (through the core's settings path, [`collab_core::settings`], the one the page's
//! address and the CLI take too), the spreadsheet's settings, and the hand-set factors.

use collab_core::error::clip;
use collab_core::settings::Key;
use collab_core::sheet::SheetSettings;
use collab_core::train::WdKind;

pub use collab_core::settings::{DeviceChoice, RAW_DOT, Texts as TrainControls, book_wd};

/// Section 8's controls: element id and the setting it holds, in [`Key::ALL`]'s order
/// (the setting's name is its key in the page's address).
pub const TRAIN_CONTROLS: [(&str, Key); 9] = [
    ("train-model", Key::Model),
    ("train-factors", Key::Factors),
    ("train-epochs", Key::Epochs),
    ("train-lr", Key::Lr),
    ("train-wd", Key::Wd),
    ("train-wdkind", Key::WdKind),
    ("train-bs", Key::BatchSize),
    ("train-seed", Key::Seed),
    ("train-on", Key::Device),
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

/// A finite number for which `ok` holds, or a message saying what was expected.
pub fn finite(text: &str, what: &str, ok: impl Fn(f64) -> bool) -> Result<f64, String> {
    number(text, what, |v: f64| if v.is_finite() && ok(v) { Ok(v) } else { Err(String::new()) })
        .map_err(|_| format!("“{}” is not a valid {what}", clip(text, 40)))
}

/// The spreadsheet's controls: element id and URL key, in the page's order.
pub const SHEET_CONTROLS: [(&str, &str); 7] = [
    ("sheet-k", "sk"),
    ("sheet-lr", "slr"),
    ("sheet-batch", "sbatch"),
    ("sheet-bias", "sbias"),
    ("sheet-range", "srange"),
    ("sheet-wd", "swd"),
    ("sheet-wdkind", "swdkind"),
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
        }
    }
}

impl SheetControls {
    /// The controls as `(URL key, value)` pairs in [`SHEET_CONTROLS`]' order (ticks as 1 or 0).
    pub fn query(&self) -> Vec<(&'static str, String)> {
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
        ];
        SHEET_CONTROLS.iter().map(|(_, key)| *key).zip(values).collect()
    }
}

/// The sheet's settings from its controls: every good value is taken, a bad one keeps
/// the old value and is named in the message.
pub fn sheet_settings(old: SheetSettings, c: &SheetControls) -> (SheetSettings, usize, Result<(), String>) {
    let mut s = old;
    let mut errors = Vec::new();
    let mut take = |r: Result<f64, String>, to: &mut f64| match r {
        Ok(v) => *to = v,
        Err(e) => errors.push(e),
    };
    take(finite(&c.lr, "learning rate (a number above 0)", |v| v > 0.0), &mut s.lr);
    take(finite(&c.wd, "weight decay (0 or more)", |v| v >= 0.0), &mut s.wd);
    match finite(&c.k, "number of factors (1 to 10)", |v| (1.0..=10.0).contains(&v) && v.fract() == 0.0) {
        Ok(k) => s.k = k as usize,
        Err(e) => errors.push(e),
    }
    s.wd_kind = if c.decoupled { WdKind::Decoupled } else { WdKind::L2 };
    s.bias = c.bias;
    s.y_range = c.y_range;
    let batch = c.batch.trim().parse().unwrap_or(0);
    let result = if errors.is_empty() { Ok(()) } else { Err(format!("{}; the old value is kept.", errors.join("; "))) };
    (s, batch, result)
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

/// A hand-set factor: any finite number.
pub fn factor(text: &str) -> Result<f32, String> {
    text.trim().parse::<f32>().ok().filter(|v| v.is_finite()).ok_or(format!("“{}” is not a number", clip(text, 40)))
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
        };
        let (s, batch, result) = sheet_settings(old, &c);
        assert_eq!((s.lr, s.k, s.wd, s.bias, s.wd_kind, batch), (0.5, old.k, old.wd, true, WdKind::Decoupled, 4));
        let message = result.unwrap_err();
        assert!(message.contains("“11” is not a valid number of factors") && message.contains("“-2”"), "{message}");
        assert!(message.ends_with("the old value is kept."));
    }

    #[test]
    fn factors_must_be_finite_numbers() {
        assert_eq!(factor(" 2.5 "), Ok(2.5));
        assert_eq!(factor("inf").unwrap_err(), "“inf” is not a number");
        assert_eq!(factor("x").unwrap_err(), "“x” is not a number");
    }
}
