//! Indices (`Vec<usize>`: movies by rank, ratings by movie) as one buffer of u32s in the
//! machine's byte order (both threads are one machine's), not as JSON: at ml-25m's
//! 62,423 movies, parsing them as text was milliseconds of the page's thread, a copy of
//! bytes is not. Use with `#[serde(with = "crate::index_bytes")]`.

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(indices: &[usize], to: S) -> Result<S::Ok, S::Error> {
    let words = indices.iter().map(|&i| u32::try_from(i)).collect::<Result<Vec<u32>, _>>().map_err(S::Error::custom)?;
    serde_bytes::serialize(bytemuck::cast_slice::<u32, u8>(&words), to)
}

pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Vec<usize>, D::Error> {
    let bytes = serde_bytes::ByteBuf::deserialize(from)?;
    if !bytes.len().is_multiple_of(4) {
        return Err(D::Error::custom("a list of indices came back the wrong size"));
    }
    Ok(bytes.chunks_exact(4).map(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]) as usize).collect())
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Ranked(#[serde(with = "super")] Vec<usize>);

    #[test]
    fn indices_cross_as_bytes_and_come_back_the_same() {
        let ranked = Ranked(vec![0, 7, 62_423, u32::MAX as usize]);
        let json = serde_json::to_string(&ranked).unwrap();
        assert_eq!(serde_json::from_str::<Ranked>(&json).unwrap(), ranked);
        if usize::BITS > 32 {
            assert!(serde_json::to_string(&Ranked(vec![usize::MAX])).is_err(), "too big for a u32: refused, not cut");
        }
        assert!(serde_json::from_str::<Ranked>("[1,2,3]").is_err(), "three bytes are no u32");
    }
}
