//! Settings in the URL's query string, so that a shared link reproduces the setup.

use web_sys::UrlSearchParams;

use crate::dom;

fn params() -> Option<UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()
}

/// Sets each control `(element id, query key)` that the URL names.
pub fn apply_to_controls(controls: &[(&str, &str)]) -> Result<(), String> {
    let Some(params) = params() else { return Ok(()) };
    for (id, key) in controls {
        if let Some(value) = params.get(key) {
            let element = dom::by_id(id)?;
            if let Some(input) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlInputElement>(&element) {
                input.set_value(&value);
            } else if let Some(select) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlSelectElement>(&element) {
                select.set_value(&value);
            }
        }
    }
    Ok(())
}

/// Writes the controls' values into the URL (without reloading or adding history).
pub fn store_controls(controls: &[(&str, &str)]) {
    let Some(params) = params() else { return };
    for (id, key) in controls {
        if let Ok(value) = dom::value(id) {
            params.set(key, &value);
        }
    }
    let query: String = params.to_string().into();
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("?{query}")));
    }
}
