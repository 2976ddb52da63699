//! One file holds a trained model: its spec, the vocabularies it was trained with and
//! every tensor, so that loading it gives back exactly the same predictions.
//!
//! Layout: the 8 bytes `COLLAB1\n`, a little-endian u32 header length, the JSON header,
//! then every tensor's values as little-endian f32 in header order.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::data::Vocab;
use crate::error::DataError;
use crate::model::{CollabModel, ModelSpec};
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
    let json = serde_json::to_vec(&header).expect("a header always serialises");
    let mut out =
        Vec::with_capacity(12 + json.len() + 4 * weights.tensors.iter().map(|t| t.values.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    for tensor in &weights.tensors {
        for v in &tensor.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

/// Reads a file written by [`save`] and rebuilds the model on `device`.
pub fn load(bytes: &[u8], device: &Device) -> Result<LoadedModel, DataError> {
    let bad = |why: &str| DataError::ModelFile(why.to_string());
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(bad("it is not a model saved by this notebook"));
    }
    let len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let json = bytes.get(12..12 + len).ok_or_else(|| bad("it is cut short"))?;
    let mut header: ModelHeader = serde_json::from_slice(json).map_err(|e| bad(&format!("bad header: {e}")))?;
    let mut floats = bytes[12 + len..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")));
    for tensor in &mut header.tensors {
        let n: usize = tensor.shape.iter().product();
        tensor.values = floats.by_ref().take(n).collect();
        if tensor.values.len() != n {
            return Err(bad("it is cut short"));
        }
    }
    if floats.next().is_some() || !(bytes.len() - 12 - len).is_multiple_of(4) {
        return Err(bad("it has bytes left over after the weights"));
    }
    let model = header.spec.init(0, device);
    let model = weights::write(model, &Weights { tensors: header.tensors }).map_err(|e| bad(&e))?;
    Ok(LoadedModel {
        spec: header.spec,
        users: Vocab::from_labels(header.users),
        items: Vocab::from_labels(header.items),
        model,
    })
}
