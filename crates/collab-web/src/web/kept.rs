//! Files kept in the browser's Cache Storage (`collab-kept`), so that the data a visitor
//! loaded is offered again on the next visit, offline too.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response};

use super::dom::js_error;
use crate::protocol::{pack_files, unpack_files};

const CACHE: &str = "collab-kept";
/// The one entry: the last files loaded, packed.
const KEY: &str = "./kept/data";

async fn cache() -> Result<Cache, String> {
    let caches = web_sys::window().ok_or("no window")?.caches().map_err(js_error)?;
    JsFuture::from(caches.open(CACHE)).await.map_err(js_error)?.dyn_into().map_err(js_error)
}

/// Keeps `files`, replacing what was kept.
pub async fn keep(files: &[(String, Vec<u8>)]) -> Result<(), String> {
    let mut body = pack_files(files);
    let response = Response::new_with_opt_u8_array(Some(&mut body)).map_err(js_error)?;
    JsFuture::from(cache().await?.put_with_str(KEY, &response)).await.map_err(js_error)?;
    Ok(())
}

/// The kept files, if any.
pub async fn kept() -> Result<Option<Vec<(String, Vec<u8>)>>, String> {
    let found = JsFuture::from(cache().await?.match_with_str(KEY)).await.map_err(js_error)?;
    let Ok(response) = found.dyn_into::<Response>() else { return Ok(None) };
    let buffer = JsFuture::from(response.array_buffer().map_err(js_error)?).await.map_err(js_error)?;
    unpack_files(&js_sys::Uint8Array::new(&buffer).to_vec()).map(Some)
}
