//! One file holds a trained model: its spec, the vocabularies it was trained with and
//! every tensor, so that loading it gives back exactly the same predictions.
//!
//! Layout: the 8 bytes `COLLAB1\n`, then [`crate::packed`]'s header and values.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::data::Vocab;
use crate::error::DataError;
use crate::model::{CollabModel, ModelKind, ModelSpec};
use crate::packed;
use crate::read::ReadError;
use crate::weights::{self, NamedTensor, Weights};

const MAGIC: &[u8; 8] = b"COLLAB1\n";

/// What is saved besides the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    /// How to rebuild the model.
    pub spec: ModelSpec,
    /// User labels by index (`#na#` first).
    pub users: Vec<String>,
    /// Item labels by index (`#na#` first).
    pub items: Vec<String>,
    /// Paths and shapes of the tensors that follow.
    pub tensors: Vec<NamedTensor>,
}

/// A model read back from a file.
pub struct LoadedModel {
    /// Its spec.
    pub spec: ModelSpec,
    /// Its user vocabulary.
    pub users: Vocab,
    /// Its item vocabulary.
    pub items: Vocab,
    /// The model, on the device asked for.
    pub model: CollabModel,
    /// User and movie names longer than [`crate::text::MAX_TEXT`] characters, cut when read.
    pub cut_names: usize,
}

impl LoadedModel {
    /// What the load message adds about the file's names: "2 names cut to 200
    /// characters", or nothing.
    pub fn note(&self) -> Option<String> {
        crate::text::cut_note(self.cut_names, "name", "names")
    }
}

/// Serialises `model` with its vocabularies (one async device read).
pub async fn save(model: &CollabModel, spec: &ModelSpec, users: &Vocab, items: &Vocab) -> Result<Vec<u8>, ReadError> {
    let weights = weights::read(model).await?;
    let header = ModelHeader {
        spec: spec.clone(),
        users: users.labels.clone(),
        items: items.labels.clone(),
        tensors: weights.tensors.clone(),
    };
    Ok(packed::pack(MAGIC, &header, weights.tensors.iter()))
}

/// Reads a file written by [`save`] and rebuilds the model on `device`. The file is
/// checked whole before anything is built from it (see [`check`]), so a crafted or
/// damaged file is refused with the reason and never half-replaces a model.
pub fn load(bytes: &[u8], device: &Device) -> Result<LoadedModel, DataError> {
    let bad = DataError::ModelFile;
    let (mut header, floats): (ModelHeader, _) = packed::unpack(bytes, MAGIC, "a model").map_err(bad)?;
    check(&header, &floats).map_err(bad)?;
    packed::fill(header.tensors.iter_mut(), &floats).map_err(bad)?;
    let model = header.spec.init(0, device);
    let model = weights::write(model, &Weights { tensors: header.tensors }).map_err(bad)?;
    // Names are text from a file: bounded, as titles are (two cut alike share an index
    // in the lookup, as two movies of one title do; the tables keep every row).
    let mut cut_names = 0;
    let mut bound = |labels: Vec<String>| -> Vec<String> {
        let kept = labels.iter().map(|l| crate::text::bounded(l)).inspect(|(_, cut)| cut_names += usize::from(*cut));
        kept.map(|(l, _)| l).collect()
    };
    let (users, items) = (bound(header.users), bound(header.items));
    Ok(LoadedModel {
        spec: header.spec,
        users: Vocab::from_labels(users),
        items: Vocab::from_labels(items),
        model,
        cut_names,
    })
}

/// The paths of the tables a model of `kind` holds, in the order [`save`] writes them
/// (read once from a tiny model of each kind: sizes do not change them).
fn table_paths(kind: ModelKind) -> &'static [String] {
    static PATHS: std::sync::OnceLock<Vec<(ModelKind, Vec<String>)>> = std::sync::OnceLock::new();
    let all = PATHS.get_or_init(|| {
        let device = Device::flex();
        let tiny = |kind| ModelSpec { n_factors: 1, ..ModelSpec::new(kind, 2, 2) }.init(0, &device);
        ModelKind::ALL.into_iter().map(|k| (k, weights::tables(&tiny(k)).into_iter().map(|t| t.0).collect())).collect()
    });
    all.iter().find(|(k, _)| *k == kind).map_or(&[], |(_, paths)| paths)
}

/// Everything that can be known from the header and the values before a model is
/// built: the spec's sizes ([`ModelSpec::check`]), vocabularies as long as the
/// embedding tables, the tables the spec implies present with the right shapes (so
/// that the sizes the spec asks to allocate are backed by values in the file), the
/// values' count, and every value finite.
pub fn check(header: &ModelHeader, floats: &[f32]) -> Result<(), String> {
    let spec = &header.spec;
    spec.check()?;
    for (what, names, n) in [("user", &header.users, spec.n_users), ("movie", &header.items, spec.n_items)] {
        if names.len() != n {
            return Err(format!("its {what} list has {} names for a table of {n} {what}s", names.len()));
        }
    }
    // The kind it names must be the kind its tables are of (a Scratch header over
    // DotProductBias's tables once read "user_factors [20, 4] does not match the saved
    // user_factors.weight [20, 4]").
    let paths: Vec<&str> = header.tensors.iter().map(|t| t.path.as_str()).collect();
    if paths != table_paths(spec.kind) {
        let of = ModelKind::ALL.into_iter().find(|&k| paths == table_paths(k));
        return Err(match of {
            Some(other) => format!(
                "it says it is a {} but holds the tables of a {}: it was changed after saving",
                spec.kind.name(),
                other.name()
            ),
            None => format!(
                "its tables are not those of a {} (nor of any model this notebook trains): it was changed after \
                 saving or is damaged",
                spec.kind.name()
            ),
        });
    }
    let (users, items) = spec.table_shapes();
    for (path, shape) in [("user_factors", users), ("item_factors", items)] {
        let found = header.tensors.iter().find(|t| t.path == path || t.path == format!("{path}.weight"));
        match found {
            Some(t) if t.shape == shape => {}
            Some(t) => return Err(format!("its {path} table is {:?}, the spec says {shape:?}", t.shape)),
            None => return Err(format!("it has no {path} table")),
        }
    }
    packed::check_count(&header.tensors, floats.len())?;
    if floats.iter().any(|v| !v.is_finite()) {
        return Err("it holds weights that are not finite numbers (NaN or infinity)".into());
    }
    Ok(())
}
