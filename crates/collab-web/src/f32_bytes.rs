//! Numbers (`Vec<f32>`: a model's tables) as one buffer of bytes in the machine's byte
//! order (both threads are one machine's), which a structured clone copies at memory
//! speed; as JavaScript numbers, ml-25m's 3 million would take the receiving thread
//! seconds. (Handing the buffer over instead, as a transferred `Float32Array` copied once
//! into wasm memory, was tried: the page's thread took 170 to 186 ms over that one copy at
//! ml-25m, against 35 to 73 ms for this whole message: docs/benchmarks.md.) Use with
//! `#[serde(with = "crate::f32_bytes")]`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(numbers: &[f32], to: S) -> Result<S::Ok, S::Error> {
    serde_bytes::serialize(bytemuck::cast_slice::<f32, u8>(numbers), to)
}

pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Vec<f32>, D::Error> {
    let bytes = serde_bytes::ByteBuf::deserialize(from)?;
    if !bytes.len().is_multiple_of(4) {
        return Err(D::Error::custom("a list of numbers came back the wrong size"));
    }
    // One copy, at memory speed (the bytes' buffer is not aligned for floats).
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Numbers(#[serde(with = "super")] Vec<f32>);

    #[test]
    fn numbers_cross_as_bytes_and_come_back_the_same() {
        let numbers = Numbers(vec![0.0, -0.0, 1.5, f32::MIN_POSITIVE, f32::MAX, -7.25e-3]);
        let json = serde_json::to_string(&numbers).unwrap();
        let back: Numbers = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            numbers.0.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert!(serde_json::from_str::<Numbers>("[1,2,3]").is_err(), "three bytes are no f32");
    }
}
