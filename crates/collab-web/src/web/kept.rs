//! What the browser keeps between visits: the files a visitor loaded, in Cache Storage
//! (`collab-kept`), offered again on the next visit, offline too; and the runs table, in
//! local storage (small, and read at once when the page opens).

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
