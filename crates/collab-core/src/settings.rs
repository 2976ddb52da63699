//! The settings of a fit as text, read and checked in one place. Section 8's controls
//! (typed or chosen), the page's address (a shared link) and the CLI's options all name
//! them by [`Key::name`], read them with [`Texts::settings`] and take outside values
//! through [`Texts::with`]: the same names, the same bounds ([`crate::train::limits`])
//! and the same words, so that the page and the CLI refuse nothing the other accepts.

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::data::{CollabData, DataSettings, ItemKey, RatingsTable};
use crate::error::clip;
use crate::model::{ModelKind, ModelSpec};
use crate::train::guard::short_number;
use crate::train::{FitSettings, Learner, OptimSettings, OptimizerKind, Schedule, StepPath, WdKind, limits};

/// One setting of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Which of the lesson's models ([`MODELS`]).
    Model,
    /// Latent factors of the dot-product models.
    Factors,
    /// Epochs of the fit.
    Epochs,
    /// The one-cycle schedule's peak learning rate.
    Lr,
    /// Weight decay.
    Wd,
    /// How weight decay is applied: decoupled (fastai's) or L2 in the loss.
    WdKind,
    /// Ratings per batch.
    BatchSize,
    /// Seed of the split, the shuffles and the initial weights.
    Seed,
    /// Where to train ([`DeviceChoice`]).
    Device,
    /// The optimizer ([`OptimizerKind`]): fastai's Adam, or lazy Adam for big data.
    Optim,
}

/// The model value for DotProduct without sigmoid_range: the book's very first model.
pub const RAW_DOT: &str = "dotraw";

/// The model values, in the page's order.
pub const MODELS: [&str; 6] = [RAW_DOT, "dot", "dotbias", "scratch", "nn", "embnn"];

impl Key {
    /// Every setting, in the page's order (the order of [`Texts`]).
    pub const ALL: [Key; 10] = [
        Key::Model,
        Key::Factors,
        Key::Epochs,
        Key::Lr,
        Key::Wd,
        Key::WdKind,
        Key::BatchSize,
        Key::Seed,
        Key::Device,
        Key::Optim,
    ];

    /// Its name in the page's address (`?lr=`) and the CLI's option (`--lr`).
    pub const fn name(self) -> &'static str {
        match self {
            Key::Model => "model",
            Key::Factors => "factors",
            Key::Epochs => "epochs",
            Key::Lr => "lr",
            Key::Wd => "wd",
            Key::WdKind => "wdkind",
            Key::BatchSize => "bs",
            Key::Seed => "seed",
            Key::Device => "device",
            Key::Optim => "optim",
        }
    }

    /// Its name in words, as messages say it.
    pub const fn words(self) -> &'static str {
        match self {
            Key::Model => "model",
            Key::Factors => "number of factors",
            Key::Epochs => "number of epochs",
            Key::Lr => "learning rate",
            Key::Wd => "weight decay",
            Key::WdKind => "weight decay kind",
            Key::BatchSize => "batch size",
            Key::Seed => "seed",
            Key::Device => "device",
            Key::Optim => "optimizer",
        }
    }

    /// The value when none is given: the page's and the book's (fastai's lesson trains
    /// DotProductBias with 50 factors for 5 epochs at 5e-3, weight decay 0.1, batch 64).
    pub const fn default(self) -> &'static str {
        match self {
            Key::Model => "dotbias",
            Key::Factors => "50",
            Key::Epochs => "5",
            Key::Lr => "0.005",
            Key::Wd => "0.1",
            Key::WdKind => "decoupled",
            Key::BatchSize => "64",
            Key::Seed => "42",
            Key::Device => "auto",
            Key::Optim => "adam",
        }
    }

    /// The setting named `name` ([`Key::name`]).
    pub fn named(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What it takes, in words (the CLI's help).
    pub fn takes(self) -> String {
        let range = |r: RangeInclusive<usize>| format!("a whole number, {} to {}", r.start(), r.end());
        match self {
            Key::Model => format!(
                "{} (DotProduct without sigmoid_range, DotProduct, DotProductBias, DotProductBias from scratch, CollabNN, \
                 EmbeddingNN [100, 50])",
                MODELS.join(", ")
            ),
            Key::Factors => format!(
                "{} (the dot-product models; nn and embnn size theirs by fastai's rule)",
                range(limits::FACTORS)
            ),
            Key::Epochs => range(limits::EPOCHS),
            Key::Lr => {
                format!("a number above 0, at most {} (the one-cycle schedule's peak)", short_number(limits::MAX_LR))
            }
            Key::Wd => format!(
                "a number, 0 to {} (default {} for nn, as the book)",
                short_number(limits::MAX_WD),
                book_wd("nn")
            ),
            Key::WdKind => "decoupled (fastai's Adam: w ← w·(1 − lr·wd)) or l2 (wd·w² added to the loss)".into(),
            Key::BatchSize => range(limits::BATCH_SIZE),
            Key::Seed => "a whole number from 0 (of the split, the shuffles and the initial weights)".into(),
            Key::Device => "auto (the faster, timed first), cpu (or flex) or webgpu (or wgpu)".into(),
            Key::Optim => OptimizerKind::ALL.map(|k| format!("{} ({})", k.key(), k.describe())).join("; "),
        }
    }

    /// Checks one value on its own.
    pub fn check(self, text: &str) -> Result<(), Fault> {
        self.read(text).map(|_| ()).map_err(|why| Fault::new(self, text, why))
    }

    /// One value, or why it cannot be (completing "the learning rate 'x' …").
    fn read(self, text: &str) -> Result<Value, String> {
        let text = text.trim();
        let within = |r: RangeInclusive<usize>, check: fn(usize) -> Result<usize, String>| {
            let n = whole(text, *r.start() as u64..=*r.end() as u64, &format!("must be {} to {}", r.start(), r.end()))?;
            check(n as usize).map(Value::Count).map_err(|_| format!("must be {} to {}", r.start(), r.end()))
        };
        match self {
            Key::Model => model(text).map(|(kind, y_range)| Value::Model(kind, y_range)),
            Key::Factors => within(limits::FACTORS, limits::factors),
            Key::Epochs => within(limits::EPOCHS, limits::epochs),
            Key::BatchSize => within(limits::BATCH_SIZE, limits::batch_size),
            Key::Lr => real(text)
                .and_then(|v| {
                    limits::lr(v).map_err(|_| format!("must be above 0 and at most {}", short_number(limits::MAX_LR)))
                })
                .map(Value::Real),
            Key::Wd => real(text)
                .and_then(|v| limits::wd(v).map_err(|_| format!("must be 0 to {}", short_number(limits::MAX_WD))))
                .map(Value::Real),
            Key::WdKind => match text {
                "decoupled" => Ok(Value::WdKind(WdKind::Decoupled)),
                "l2" => Ok(Value::WdKind(WdKind::L2)),
                _ => Err("is not decoupled or l2".into()),
            },
            Key::Seed => whole(text, 0..=u64::MAX, "must be a whole number from 0").map(Value::Seed),
            Key::Device => match text {
                "auto" => Ok(Value::Device(DeviceChoice::Auto)),
                "cpu" | "flex" => Ok(Value::Device(DeviceChoice::Cpu)),
                "webgpu" | "wgpu" | "gpu" => Ok(Value::Device(DeviceChoice::WebGpu)),
                _ => Err("is not auto, cpu or webgpu".into()),
            },
            Key::Optim => text.parse().map(Value::Optim).map_err(|_| {
                let keys = OptimizerKind::ALL.map(|k| k.key());
                format!("is not {} or {}", keys[..keys.len() - 1].join(", "), keys[keys.len() - 1])
            }),
        }
    }
}

/// A value read by [`Key::read`].
enum Value {
    Model(ModelKind, bool),
    Count(usize),
    Real(f64),
    WdKind(WdKind),
    Seed(u64),
    Device(DeviceChoice),
    Optim(OptimizerKind),
}

/// The model a value names, and whether its output goes through sigmoid_range: the one
/// reading of a model's name (the page's exported notebook reads it here too).
pub fn model(text: &str) -> Result<(ModelKind, bool), String> {
    match text {
        RAW_DOT => Ok((ModelKind::DotProduct, false)),
        key => key
            .parse()
            .map(|kind| (kind, true))
            .map_err(|_| format!("is not a model this notebook trains ({})", MODELS.join(", "))),
    }
}

/// A finite number ("NaN" and "inf" parse as floats but are no setting's value).
fn real(text: &str) -> Result<f64, String> {
    text.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| "is not a number".to_string())
}

/// A whole number in `range`: "2.5" is not whole, "-1" and "1e9" are outside.
fn whole(text: &str, range: RangeInclusive<u64>, outside: &str) -> Result<u64, String> {
    let n = match text.parse::<u64>() {
        Ok(n) => n,
        Err(_) => {
            let v = real(text)?;
            if v.fract() != 0.0 {
                return Err("is not a whole number".into());
            }
            if v < 0.0 || v > u64::MAX as f64 {
                return Err(outside.into());
            }
            v as u64
        }
    };
    if range.contains(&n) { Ok(n) } else { Err(outside.into()) }
}

/// The weight decay the book trains a model with (the model's value): 0.01 for
/// CollabNN, 0.1 for the others.
pub fn book_wd(model: &str) -> &'static str {
    if model == "nn" { "0.01" } else { Key::Wd.default() }
}

/// A value that cannot be a setting: which, as written (cut to a readable length), why,
/// and what is used instead where something must be ([`Texts::with`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The setting.
    pub key: Key,
    /// The value as written, cut to a readable length.
    pub text: String,
    /// Why it cannot be, completing "the learning rate 'x' …": "is not a number".
    pub why: String,
    /// The value used in its place by [`Texts::with`].
    pub used: String,
}

impl Fault {
    fn new(key: Key, text: &str, why: String) -> Self {
        Fault { key, text: clip(text.trim(), 40), why, used: key.default().into() }
    }

    /// The fault as a link's: "the link's learning rate 'NaN' is not a number; 0.005 is used".
    pub fn in_link(&self) -> String {
        format!("the link's {} '{}' {}; {} is used", self.key.words(), self.text, self.why, self.used)
    }
}

impl fmt::Display for Fault {
    /// "the learning rate 'NaN' is not a number".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} '{}' {}", self.key.words(), self.text, self.why)
    }
}

/// Where a fit trains: the visitor's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// The faster of the CPU and WebGPU, timed on this model and batch size first.
    Auto,
    /// The CPU (burn-flex: the page's CPU module, the CLI's `flex`).
    Cpu,
    /// WebGPU (the page's GPU module; the CLI's `wgpu`, on Vulkan, Metal or DX12).
    WebGpu,
}

impl DeviceChoice {
    /// Its value in the page's select and address.
    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::WebGpu => "webgpu",
        }
    }
}

/// Every setting as text, in [`Key::ALL`]'s order: section 8's controls as the visitor
/// left them, or the CLI's options.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts(pub [String; 10]);

impl Texts {
    /// Every setting at its default.
    pub fn defaults() -> Self {
        Texts(Key::ALL.map(|k| k.default().to_string()))
    }

    /// The text of `key`.
    pub fn get(&self, key: Key) -> &str {
        &self.0[key as usize]
    }

    /// Sets the text of `key`.
    pub fn set(&mut self, key: Key, text: impl Into<String>) {
        self.0[key as usize] = text.into();
    }

    /// `(name, text)` pairs, in order: what the page keeps in its address.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        Key::ALL.iter().map(|k| (k.name(), self.get(*k).to_string())).collect()
    }

    /// These texts with the values given from outside (a link's, the CLI's), each
    /// checked: a bad one leaves the default in its place and is named in a [`Fault`].
    /// Names that are no setting are passed over (a link holds others). A model given
    /// without a weight decay takes the book's for it ([`book_wd`]), as choosing it in
    /// the page does.
    pub fn with<'a>(mut self, given: impl IntoIterator<Item = (&'a str, &'a str)>) -> (Self, Vec<Fault>) {
        let mut faults = Vec::new();
        let mut named = Vec::new();
        for (name, text) in given {
            let Some(key) = Key::named(name) else { continue };
            named.push(key);
            match key.read(text) {
                // The page's select holds a device by its own name, not by an alias.
                Ok(Value::Device(choice)) => self.set(key, choice.name()),
                Ok(_) => self.set(key, text.trim()),
                Err(why) => {
                    self.set(key, key.default());
                    faults.push(Fault::new(key, text, why));
                }
            }
        }
        if !named.contains(&Key::Wd) {
            let wd = book_wd(self.get(Key::Model));
            self.set(Key::Wd, wd);
        } else if let Some(fault) = faults.iter_mut().find(|f| f.key == Key::Wd) {
            fault.used = book_wd(self.get(Key::Model)).into();
            self.set(Key::Wd, fault.used.clone());
        }
        (self, faults)
    }

    /// Where to train (a value that is none counts as the timed choice).
    pub fn device(&self) -> DeviceChoice {
        match Key::Device.read(self.get(Key::Device)) {
            Ok(Value::Device(choice)) => choice,
            _ => DeviceChoice::Auto,
        }
    }

    /// Reads and checks every setting; the first bad one is named. The neural models
    /// size their embeddings by fastai's rule: their factors are not read.
    pub fn settings(&self) -> Result<Settings, Fault> {
        let read = |key: Key| Key::read(key, self.get(key)).map_err(|why| Fault::new(key, self.get(key), why));
        let Value::Model(kind, y_range) = read(Key::Model)? else { unreachable!("a model key reads a model") };
        let count = |key| match read(key)? {
            Value::Count(n) => Ok(n),
            _ => unreachable!("a count key reads a count"),
        };
        let real = |key| match read(key)? {
            Value::Real(v) => Ok(v),
            _ => unreachable!("a number key reads a number"),
        };
        let factors = match kind {
            ModelKind::CollabNn | ModelKind::EmbeddingNn => 50,
            _ => count(Key::Factors)?,
        };
        let Value::WdKind(wd_kind) = read(Key::WdKind)? else { unreachable!("a kind key reads a kind") };
        let Value::Seed(seed) = read(Key::Seed)? else { unreachable!("a seed key reads a seed") };
        let Value::Optim(optimizer) = read(Key::Optim)? else { unreachable!("an optimizer key reads an optimizer") };
        Ok(Settings {
            kind,
            factors,
            epochs: count(Key::Epochs)?,
            lr: real(Key::Lr)?,
            wd: real(Key::Wd)?,
            wd_kind,
            batch_size: count(Key::BatchSize)?,
            seed,
            y_range,
            optimizer,
        })
    }
}

/// The settings of one fit, checked: what the page's worker and the CLI train with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The model.
    pub kind: ModelKind,
    /// Its latent factors (the dot-product models).
    pub factors: usize,
    /// Epochs.
    pub epochs: usize,
    /// Peak learning rate of the one-cycle schedule.
    pub lr: f64,
    /// Weight decay.
    pub wd: f64,
    /// How the weight decay is applied.
    pub wd_kind: WdKind,
    /// Ratings per batch.
    pub batch_size: usize,
    /// Seed of the split, the shuffles and the initial weights.
    pub seed: u64,
    /// sigmoid_range on the output (off only for the book's first DotProduct).
    pub y_range: bool,
    /// The optimizer: fastai's Adam (the lesson's and the default), or lazy Adam for big
    /// data ([`Key::Optim`]: the page's select, `?optim=` and the CLI's `--optim`).
    #[serde(default = "fastai_adam")]
    pub optimizer: OptimizerKind,
}

/// The optimizer a fit takes unless told otherwise.
fn fastai_adam() -> OptimizerKind {
    OptimizerKind::Adam
}

impl Settings {
    /// These settings as text, on `device`: what [`Texts::settings`] reads back to the
    /// same settings (a kept run's link, and its "restore", are written with it).
    pub fn texts(&self, device: DeviceChoice) -> Texts {
        let model = if self.kind == ModelKind::DotProduct && !self.y_range { RAW_DOT } else { self.kind.key() };
        let wd_kind = match self.wd_kind {
            WdKind::Decoupled => "decoupled",
            WdKind::L2 => "l2",
        };
        Texts(Key::ALL.map(|key| match key {
            Key::Model => model.to_string(),
            Key::Factors => self.factors.to_string(),
            Key::Epochs => self.epochs.to_string(),
            Key::Lr => self.lr.to_string(),
            Key::Wd => self.wd.to_string(),
            Key::WdKind => wd_kind.to_string(),
            Key::BatchSize => self.batch_size.to_string(),
            Key::Seed => self.seed.to_string(),
            Key::Device => device.name().to_string(),
            Key::Optim => self.optimizer.key().to_string(),
        }))
    }

    /// fastai's split of `table` for these settings (titles as item keys, 20% held out).
    pub fn data(&self, table: &RatingsTable) -> CollabData {
        let settings =
            DataSettings { item_key: ItemKey::Title, valid_pct: 0.2, seed: self.seed, batch_size: self.batch_size };
        CollabData::new(table, settings)
    }

    /// The model these settings build over `data`'s vocabularies.
    pub fn spec(&self, data: &CollabData) -> ModelSpec {
        let mut spec =
            ModelSpec { n_factors: self.factors, ..ModelSpec::new(self.kind, data.users.len(), data.items.len()) };
        if !self.y_range {
            spec.y_range = None;
        }
        spec
    }

    /// A fresh learner over `data` on `device`: fastai's one-cycle Adam.
    pub fn learner(&self, data: Arc<CollabData>, device: &Device) -> Learner {
        self.learner_on(data, device, StepPath::Direct)
    }

    /// [`Settings::learner`] along `path` (the benchmark times the paths).
    pub fn learner_on(&self, data: Arc<CollabData>, device: &Device, path: StepPath) -> Learner {
        let spec = self.spec(&data);
        Learner::on_path(data, spec, self.fit(), device, path)
    }

    /// A fresh learner of these settings for fastai's LR finder (`learn.lr_find()` on the
    /// learner these settings make): the finder's schedule and epochs, Adam with the
    /// finder's weight decay (fastai's default, [`crate::train::lr_find::WD`], applied as
    /// these settings apply it), the same seed and batches.
    pub fn lr_finder(&self, data: Arc<CollabData>, device: &Device) -> Learner {
        use crate::train::lr_find;
        let spec = self.spec(&data);
        let optim = OptimSettings { kind: OptimizerKind::Adam, wd: lr_find::WD, wd_kind: self.wd_kind };
        let fit = lr_find::fit_settings(lr_find::NUM_IT, data.batches_per_epoch(), optim, self.seed);
        Learner::on_path(data, spec, fit, device, StepPath::Direct)
    }

    /// The fit's schedule and optimizer.
    pub fn fit(&self) -> FitSettings {
        FitSettings {
            epochs: self.epochs,
            schedule: Schedule::OneCycle { lr_max: self.lr },
            optim: OptimSettings { kind: self.optimizer, wd: self.wd, wd_kind: self.wd_kind },
            seed: self.seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first nine settings as given, the optimizer at its default.
    fn texts(values: [&str; 9]) -> Texts {
        Texts(std::array::from_fn(|n| values.get(n).copied().unwrap_or(Key::Optim.default()).to_string()))
    }

    #[test]
    fn settings_written_as_text_read_back_the_same() {
        let base = Texts::defaults().settings().unwrap();
        let cases = [
            base,
            Settings { kind: ModelKind::DotProduct, y_range: false, lr: 0.1, wd: 0.0, ..base },
            Settings { kind: ModelKind::EmbeddingNn, wd: 0.01, wd_kind: WdKind::L2, seed: u64::MAX, ..base },
            Settings { kind: ModelKind::Scratch, factors: 3, epochs: 1, lr: 1e-7 / 3.0, batch_size: 1, ..base },
            Settings { optimizer: OptimizerKind::LazyAdam, batch_size: 65_536, ..base },
        ];
        for s in cases {
            let texts = s.texts(DeviceChoice::WebGpu);
            assert_eq!(texts.settings().unwrap(), s, "{texts:?}");
            assert_eq!(texts.device(), DeviceChoice::WebGpu);
        }
        assert_eq!(base.texts(DeviceChoice::Cpu).get(Key::Model), "dotbias");
        assert_eq!(cases[1].texts(DeviceChoice::Auto).get(Key::Model), RAW_DOT);
    }

    #[test]
    fn the_defaults_read_as_the_books_fit() {
        let s = Texts::defaults().settings().unwrap();
        assert_eq!(
            (s.kind, s.factors, s.epochs, s.lr, s.wd, s.wd_kind, s.batch_size, s.seed, s.y_range),
            (ModelKind::DotProductBias, 50, 5, 0.005, 0.1, WdKind::Decoupled, 64, 42, true)
        );
        assert_eq!(Texts::defaults().device(), DeviceChoice::Auto);
        assert_eq!(s.optimizer, OptimizerKind::Adam, "fastai's Adam unless told");
        let (lazy, faults) = Texts::defaults().with([("optim", "lazy"), ("bs", "65536")]);
        assert!(faults.is_empty());
        let lazy = lazy.settings().unwrap();
        assert_eq!((lazy.optimizer, lazy.batch_size), (OptimizerKind::LazyAdam, 65_536));
        let raw = texts(["dotraw", "8", "1", "1e-2", "0", "l2", "16", "7", "cpu"]).settings().unwrap();
        assert_eq!((raw.kind, raw.y_range, raw.wd_kind, raw.lr), (ModelKind::DotProduct, false, WdKind::L2, 0.01));
        let nn = texts(["nn", "x", "1", "0.01", "0", "l2", "8", "1", "auto"]).settings().unwrap();
        assert_eq!(nn.factors, 50, "the neural models do not read the factors");
    }

    #[test]
    fn each_bad_value_is_named_with_the_fault() {
        let bad = |key: Key, text: &str| {
            let mut t = Texts::defaults();
            t.set(key, text);
            t.settings().unwrap_err().to_string()
        };
        assert_eq!(bad(Key::Lr, "NaN"), "the learning rate 'NaN' is not a number");
        assert_eq!(bad(Key::Lr, "abc"), "the learning rate 'abc' is not a number");
        assert_eq!(bad(Key::Lr, "1e9"), "the learning rate '1e9' must be above 0 and at most 10");
        assert_eq!(bad(Key::Wd, "1e300"), "the weight decay '1e300' must be 0 to 10");
        assert_eq!(bad(Key::Factors, "0"), "the number of factors '0' must be 1 to 400");
        assert_eq!(bad(Key::Epochs, "2.5"), "the number of epochs '2.5' is not a whole number");
        assert_eq!(bad(Key::Epochs, "-1"), "the number of epochs '-1' must be 1 to 50");
        assert_eq!(bad(Key::BatchSize, "1e9"), "the batch size '1e9' must be 1 to 65536");
        assert_eq!(bad(Key::Seed, "-3"), "the seed '-3' must be a whole number from 0");
        assert_eq!(
            bad(Key::Model, "svd"),
            "the model 'svd' is not a model this notebook trains (dotraw, dot, dotbias, scratch, nn, embnn)"
        );
        assert_eq!(bad(Key::WdKind, "L1"), "the weight decay kind 'L1' is not decoupled or l2");
        assert!(bad(Key::Lr, &"9".repeat(10_000)).len() < 120, "a long value is cut in the message");
        assert_eq!(Key::Device.check("tpu").unwrap_err().to_string(), "the device 'tpu' is not auto, cpu or webgpu");
        assert_eq!(bad(Key::Optim, "rmsprop"), "the optimizer 'rmsprop' is not adam, lazy or sgd");
        // Whole numbers written as numbers are whole numbers.
        assert_eq!(
            texts(["dot", "1e1", "5.0", "0.01", "0", "l2", "64", "18446744073709551615", "auto"])
                .settings()
                .map(|s| (s.factors, s.epochs, s.seed)),
            Ok((10, 5, u64::MAX))
        );
    }

    #[test]
    fn values_from_outside_are_checked_and_a_bad_one_is_replaced_by_its_default() {
        let (t, faults) = Texts::defaults().with([("model", "nonsense"), ("lr", "NaN"), ("sk", "3"), ("epochs", "2")]);
        assert_eq!((t.get(Key::Model), t.get(Key::Lr), t.get(Key::Epochs)), ("dotbias", "0.005", "2"));
        let said: Vec<String> = faults.iter().map(Fault::in_link).collect();
        assert_eq!(
            said,
            [
                "the link's model 'nonsense' is not a model this notebook trains (dotraw, dot, dotbias, scratch, nn, \
                 embnn); dotbias is used",
                "the link's learning rate 'NaN' is not a number; 0.005 is used",
            ]
        );
        assert!(t.settings().is_ok(), "what a link leaves always trains");
        // A model without a weight decay takes the book's; a bad decay falls back to it.
        let (t, faults) = Texts::defaults().with([("model", "nn")]);
        assert_eq!((t.get(Key::Wd), faults.len()), ("0.01", 0));
        let (t, faults) = Texts::defaults().with([("model", "nn"), ("wd", "-1")]);
        assert_eq!(t.get(Key::Wd), "0.01");
        assert_eq!(faults[0].in_link(), "the link's weight decay '-1' must be 0 to 10; 0.01 is used");
        let (t, _) = Texts::defaults().with([("model", "nn"), ("wd", "0.5"), ("device", "wgpu")]);
        assert_eq!((t.get(Key::Wd), t.get(Key::Device), t.device()), ("0.5", "webgpu", DeviceChoice::WebGpu));
    }

    #[test]
    fn names_are_one_per_setting() {
        for key in Key::ALL {
            assert_eq!(Key::named(key.name()), Some(key));
            assert!(key.check(key.default()).is_ok(), "{key:?}'s default passes its own check");
        }
        assert_eq!(Texts::defaults().pairs()[3], ("lr", "0.005".to_string()));
    }

    #[test]
    fn settings_make_fastais_split_and_learner() {
        use crate::data::synth::{SynthSettings, generate};
        let table = generate(SynthSettings { users: 30, items: 20, density: 0.5, ..SynthSettings::default() });
        let s = texts(["dotraw", "4", "2", "0.01", "0.1", "decoupled", "16", "3", "cpu"]).settings().unwrap();
        let data = s.data(&table);
        let total = data.train.len() + data.valid.len();
        assert_eq!(total, table.ratings.len());
        assert_eq!(data.valid.len(), (total as f64 * 0.2) as usize, "fastai holds out 20%");
        let learner = s.learner(Arc::new(data), &Device::flex());
        assert_eq!((learner.spec().n_factors, learner.settings().epochs, learner.spec().y_range), (4, 2, None));
    }
}
