//! The byte layout shared by saved models and training snapshots: 8 magic bytes, a
//! little-endian u32 header length, a JSON header, then tensor values as little-endian
//! f32, in the order the header lists them. One layout, so one reader to trust.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::weights::NamedTensor;

/// Frames `header` and the values of `tensors` (in order).
pub fn pack<'a, H: Serialize>(magic: &[u8; 8], header: &H, tensors: impl Iterator<Item = &'a NamedTensor>) -> Vec<u8> {
    let json = serde_json::to_vec(header).expect("a header of plain data always serialises");
    let mut out = Vec::with_capacity(12 + json.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    for tensor in tensors {
        for v in &tensor.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Reads what [`pack`] wrote: the header and the flat values after it. The error says
/// in words what is wrong ("it is cut short").
pub fn unpack<H: DeserializeOwned>(bytes: &[u8], magic: &[u8; 8], what: &str) -> Result<(H, Vec<f32>), String> {
    if bytes.len() < 12 || &bytes[..8] != magic {
        return Err(format!("it is not {what} saved by this notebook"));
    }
    let len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let json = bytes.get(12..12 + len).ok_or("it is cut short")?;
    let header = serde_json::from_slice(json).map_err(|e| format!("bad header: {e}"))?;
    let rest = &bytes[12 + len..];
    if !rest.len().is_multiple_of(4) {
        return Err("it is cut short".into());
    }
    let floats = rest.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect();
    Ok((header, floats))
}

/// Hands out `floats` to `tensors` by their shapes, refusing too few or too many.
pub fn fill<'a>(tensors: impl Iterator<Item = &'a mut NamedTensor>, floats: &[f32]) -> Result<(), String> {
    let mut offset = 0;
    for tensor in tensors {
        let n: usize = tensor.shape.iter().product();
        tensor.values = floats.get(offset..offset + n).ok_or("it is cut short")?.to_vec();
        offset += n;
    }
    if offset != floats.len() {
        return Err("it has bytes left over after the weights".into());
    }
    Ok(())
}
