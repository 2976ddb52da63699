//! Settings in the URL's query string, so that a shared link reproduces the setup.

use web_sys::UrlSearchParams;

use super::dom::Page;

fn params() -> Option<UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()
}

/// Sets each control `(element id, query key)` that the URL names.
pub fn apply_to_controls(page: &Page, controls: &[(&'static str, &str)]) -> Result<(), String> {
    let Some(params) = params() else { return Ok(()) };
    for (id, key) in controls {
        if let Some(value) = params.get(key) {
            page.set_value(id, &value);
        }
    }
    Ok(())
}

/// The URL's values of `keys` that it names, as `(key, value)` pairs.
pub fn values(keys: impl IntoIterator<Item = &'static str>) -> Vec<(String, String)> {
    let Some(params) = params() else { return Vec::new() };
    keys.into_iter().filter_map(|key| Some((key.to_string(), params.get(key)?))).collect()
}

/// The URL's value for `key`, if any.
pub fn get(key: &str) -> Option<String> {
    params()?.get(key)
}

/// Writes `(key, value)` pairs into the URL (without reloading or adding history).
pub fn store(pairs: &[(&str, String)]) {
    let Some(params) = params() else { return };
    for (key, value) in pairs {
        params.set(key, value);
    }
    let query: String = params.to_string().into();
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("?{query}")));
    }
}
