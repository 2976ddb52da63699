//! A field as one buffer of JSON bytes (a `Uint8Array` between threads), not as one
//! JavaScript value an element: serde-wasm-bindgen turns a value an element at a time on
//! the receiving thread, and ml-25m's 162,541 user ids or 62,423 titles took that thread
//! hundreds of milliseconds; a buffer crosses at memory speed and parses in one pass.
//! Use with `#[serde(with = "crate::json_bytes")]`.

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<T: Serialize, S: Serializer>(value: &T, to: S) -> Result<S::Ok, S::Error> {
    serde_bytes::serialize(&serde_json::to_vec(value).map_err(S::Error::custom)?, to)
}

pub fn deserialize<'de, T: for<'a> Deserialize<'a>, D: Deserializer<'de>>(from: D) -> Result<T, D::Error> {
    let bytes = serde_bytes::ByteBuf::deserialize(from)?;
    serde_json::from_slice(&bytes).map_err(D::Error::custom)
}
