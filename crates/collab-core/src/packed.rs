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
    let end = len.checked_add(12).filter(|&end| end <= bytes.len()).ok_or("it is cut short")?;
    let header = serde_json::from_slice(&bytes[12..end]).map_err(header_error)?;
    let rest = &bytes[end..];
    if !rest.len().is_multiple_of(4) {
        return Err("it is cut short".into());
    }
    let floats = rest.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect();
    Ok((header, floats))
}

/// What is wrong with a header, in words: the JSON reader's "expected usize at line 1
/// column 45" means nothing to a visitor. Headers are one line, so the column is the
/// character.
fn header_error(e: serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = e.column();
    match e.classify() {
        Category::Eof => "it is cut short inside its header".into(),
        Category::Syntax | Category::Io => {
            format!("its header is damaged at character {at}: it is not text this notebook writes")
        }
        Category::Data => {
            format!("its header was changed after saving: near character {at} a value is missing or of the wrong kind")
        }
    }
}

/// Values a shape holds, or `None` if the count overflows (a crafted header).
fn elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// Checks that `tensors`' shapes account for exactly `count` values, without
/// allocating anything: header sizes are only believed when the bytes hold them.
pub fn check_count(tensors: &[NamedTensor], count: usize) -> Result<(), String> {
    let mut total = 0usize;
    for t in tensors {
        let n = elements(&t.shape).ok_or_else(|| {
            format!("its {} claims an impossible shape {:?}", crate::error::clip(&t.path, 40), t.shape)
        })?;
        total = total.checked_add(n).ok_or("its tensors claim more values than any file holds")?;
    }
    match total.cmp(&count) {
        std::cmp::Ordering::Greater => {
            Err(format!("it is cut short: its header lists {total} values, the file holds {count}"))
        }
        std::cmp::Ordering::Less => Err("it has bytes left over after the weights".into()),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

/// Hands out `floats` to `tensors` by their shapes, refusing too few or too many.
pub fn fill<'a>(tensors: impl Iterator<Item = &'a mut NamedTensor>, floats: &[f32]) -> Result<(), String> {
    let mut offset = 0usize;
    for tensor in tensors {
        let n = elements(&tensor.shape).ok_or("a tensor claims an impossible shape")?;
        let end = offset.checked_add(n).filter(|&end| end <= floats.len()).ok_or("it is cut short")?;
        tensor.values = floats[offset..end].to_vec();
        offset = end;
    }
    if offset != floats.len() {
        return Err("it has bytes left over after the weights".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file [`pack`] makes of `json` as the header, and no values.
    fn with_header(json: &str) -> Vec<u8> {
        let mut bytes = b"COLLAB1\n".to_vec();
        bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
        bytes.extend_from_slice(json.as_bytes());
        bytes
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Header {
        n: usize,
        name: String,
    }

    #[test]
    fn header_errors_are_said_in_words() {
        let read = |json: &str| unpack::<Header>(&with_header(json), b"COLLAB1\n", "a model").unwrap_err();
        // serde_json: "invalid type: string \"x\", expected usize at line 1 column 8".
        assert_eq!(
            read(r#"{"n":"x","name":"a"}"#),
            "its header was changed after saving: near character 8 a value is missing or of the wrong kind"
        );
        // "EOF while parsing a string at line 1 column 10".
        assert_eq!(read(r#"{"name":"ab"#), "it is cut short inside its header");
        // "expected value at line 1 column 6".
        assert_eq!(read(r#"{"n":}"#), "its header is damaged at character 6: it is not text this notebook writes");
        for message in [read(r#"{"n":"x","name":"a"}"#), read(r#"{"name":"ab"#), read(r#"{"n":}"#)] {
            assert!(!message.contains("line 1") && !message.contains("usize") && !message.contains("EOF"), "{message}");
        }
    }
}
