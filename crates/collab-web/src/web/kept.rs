//! What the browser keeps between visits. The files a visitor loaded, in Cache Storage
//! (`collab-kept`), offered again on the next visit, offline too: kept as the browser's
//! `Blob`s, joined behind a small index ([`crate::protocol::kept_head`]), so that the
//! browser copies them into the cache itself and the page never reads them whole (a
//! 600 MB release would otherwise pass through the page's memory). And the runs table, in
//! local storage (small, and read at once when the page opens).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, Cache, Response};

use super::dom::js_error;
use crate::protocol::{KEPT_INDEX_MAX, kept_head, kept_ranges};

const CACHE: &str = "collab-kept";
/// The one entry: the last files loaded.
const KEY: &str = "./kept/data";

async fn cache() -> Result<Cache, String> {
    let caches = web_sys::window().ok_or("no window")?.caches().map_err(js_error)?;
    JsFuture::from(caches.open(CACHE)).await.map_err(js_error)?.dyn_into().map_err(js_error)
}

/// Keeps `files`, replacing what was kept.
pub async fn keep(files: &[(String, Blob)]) -> Result<(), String> {
    let sizes: Vec<(String, u64)> = files.iter().map(|(n, b)| (n.clone(), b.size() as u64)).collect();
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(kept_head(&sizes).as_slice()));
    for (_, blob) in files {
        parts.push(blob);
    }
    let body = Blob::new_with_blob_sequence(&parts).map_err(js_error)?;
    let response = Response::new_with_opt_blob(Some(&body)).map_err(js_error)?;
    JsFuture::from(cache().await?.put_with_str(KEY, &response)).await.map_err(js_error)?;
    Ok(())
}

/// The bytes `start..end` of `blob`.
async fn bytes(blob: &Blob, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let part = blob.slice_with_f64_and_f64(start as f64, end as f64).map_err(js_error)?;
    let buffer = JsFuture::from(part.array_buffer()).await.map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The kept files, if any, as handles on the kept entry (nothing but the index is read).
pub async fn kept() -> Result<Option<Vec<(String, Blob)>>, String> {
    let found = JsFuture::from(cache().await?.match_with_str(KEY)).await.map_err(js_error)?;
    let Ok(response) = found.dyn_into::<Response>() else { return Ok(None) };
    let body: Blob = JsFuture::from(response.blob().map_err(js_error)?).await.map_err(js_error)?.unchecked_into();
    let size = body.size() as u64;
    let head = bytes(&body, 0, 4).await?;
    let length = u32::from_le_bytes(head.try_into().map_err(|_| "the kept files are cut short")?);
    if length > KEPT_INDEX_MAX || 4 + length as u64 > size {
        return Err("the kept files are cut short".into());
    }
    let index = bytes(&body, 4, 4 + length as u64).await?;
    kept_ranges(&index, size)?
        .into_iter()
        .map(|(name, start, end)| Ok((name, body.slice_with_f64_and_f64(start as f64, end as f64).map_err(js_error)?)))
        .collect::<Result<Vec<_>, String>>()
        .map(Some)
}

fn local_storage() -> Result<web_sys::Storage, String> {
    web_sys::window().ok_or("no window")?.local_storage().map_err(js_error)?.ok_or_else(|| "no local storage".into())
}

/// Keeps the runs (JSON), replacing what was kept.
pub fn keep_runs(json: &str) -> Result<(), String> {
    local_storage()?.set_item(crate::runs::STORAGE_KEY, json).map_err(js_error)
}

/// The kept runs (JSON), if any.
pub fn runs() -> Result<Option<String>, String> {
    local_storage()?.get_item(crate::runs::STORAGE_KEY).map_err(js_error)
}
