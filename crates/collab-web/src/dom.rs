//! Small DOM helpers: look elements up by id, set text, show errors.

use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

/// The page's document.
pub fn document() -> Result<Document, String> {
    web_sys::window().and_then(|w| w.document()).ok_or_else(|| "no document".to_string())
}

/// The element with `id`, which the static page must have.
pub fn by_id(id: &str) -> Result<Element, String> {
    document()?.get_element_by_id(id).ok_or_else(|| format!("the page has no #{id}"))
}

/// Sets the text of `#id`.
pub fn set_text(id: &str, text: &str) -> Result<(), String> {
    by_id(id)?.set_text_content(Some(text));
    Ok(())
}

/// Sets an attribute of `#id`.
pub fn set_attr(id: &str, name: &str, value: &str) -> Result<(), String> {
    by_id(id)?.set_attribute(name, value).map_err(js_error)
}

/// Shows a message the page could not go on without, where the visitor will see it.
pub fn show_fatal(message: &str) {
    if set_text("fatal", &format!("The page could not start: {message}")).is_err() {
        web_sys::console::warn_1(&JsValue::from_str(message));
    }
}

/// A JavaScript error as text.
pub fn js_error(value: JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Milliseconds since the page loaded (the core has no clock in the browser).
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}
