//! The page's elements, looked up once at start (a missing id stops the page with its
//! name), and the patches the sections draw applied to them, writing only what changed.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement};

use crate::sections::Patch;

/// The page's document.
pub fn document() -> Result<Document, String> {
    web_sys::window().and_then(|w| w.document()).ok_or_else(|| "no document".to_string())
}

/// Sets the inner HTML of `#id` before the page's elements are looked up.
pub fn set_html_by_id(id: &str, html: &str) -> Result<(), String> {
    document()?.get_element_by_id(id).ok_or_else(|| format!("the page has no #{id}"))?.set_inner_html(html);
    Ok(())
}

/// Shows a message the page could not go on without, where the visitor will see it.
pub fn show_fatal(message: &str) {
    let shown = document().ok().and_then(|d| d.get_element_by_id("fatal"));
    match shown {
        Some(e) => e.set_text_content(Some(&format!("The page could not start: {message}"))),
        None => web_sys::console::warn_1(&JsValue::from_str(message)),
    }
}

/// A JavaScript error as text.
pub fn js_error(value: JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// Milliseconds since the page (or the worker) started, through the global `performance`.
pub fn now_ms() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"));
    performance.ok().and_then(|p| p.dyn_into::<web_sys::Performance>().ok()).map_or(0.0, |p| p.now())
}

/// The elements by id, and what was last written to each.
pub struct Page {
    els: HashMap<&'static str, Element>,
    written: RefCell<HashMap<(&'static str, &'static str), String>>,
}

impl Page {
    /// Looks up every id; the first missing one is the error.
    pub fn new(ids: &[&'static str]) -> Result<Page, String> {
        let document = document()?;
        let mut els = HashMap::new();
        for &id in ids {
            let element = document.get_element_by_id(id).ok_or_else(|| format!("the page has no #{id}"))?;
            els.insert(id, element);
        }
        // Section 2's outputs are inside the table drawn at start.
        for id in crate::sections::factors::MATCHES {
            els.insert(id, document.get_element_by_id(id).ok_or_else(|| format!("the page has no #{id}"))?);
        }
        Ok(Page { els, written: RefCell::new(HashMap::new()) })
    }

    /// The element `#id` (every id the page uses was checked at start).
    pub fn el(&self, id: &'static str) -> &Element {
        &self.els[id]
    }

    /// Applies the patches, skipping any that would write what is already there.
    pub fn apply(&self, patches: &[Patch]) {
        let mut written = self.written.borrow_mut();
        for patch in patches {
            let flag;
            let (id, what, value) = match patch {
                Patch::Text(id, v) => (*id, "text", v),
                Patch::Html(id, v) => (*id, "html", v),
                Patch::Attr(id, name, v) => (*id, *name, v),
                Patch::Flag(id, name, on) => {
                    flag = on.to_string();
                    (*id, *name, &flag)
                }
            };
            if written.get(&(id, what)) == Some(value) {
                continue;
            }
            let Some(element) = self.els.get(id) else {
                web_sys::console::error_1(&format!("a section drew into #{id}, which the page did not look up").into());
                continue;
            };
            match patch {
                Patch::Text(..) => element.set_text_content(Some(value)),
                Patch::Html(..) => element.set_inner_html(value),
                Patch::Attr(_, name, _) => {
                    let _ = element.set_attribute(name, value);
                }
                Patch::Flag(_, name, true) => {
                    let _ = element.set_attribute(name, "");
                }
                Patch::Flag(_, name, false) => {
                    let _ = element.remove_attribute(name);
                }
            }
            written.insert((id, what), value.clone());
        }
    }

    /// The value of an input or select.
    pub fn value(&self, id: &'static str) -> Result<String, String> {
        value_of(self.el(id)).ok_or_else(|| format!("#{id} has no value"))
    }

    /// Whether the checkbox `#id` is ticked.
    pub fn checked(&self, id: &'static str) -> bool {
        self.el(id).dyn_ref::<web_sys::HtmlInputElement>().is_some_and(|i| i.checked())
    }

    /// Sets the value of an input or select, or ticks a checkbox for "1" (the URL's
    /// settings at start).
    pub fn set_value(&self, id: &'static str, value: &str) {
        let element = self.el(id);
        if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
            if input.type_() == "checkbox" {
                input.set_checked(value == "1");
            } else {
                input.set_value(value);
            }
        } else if let Some(select) = element.dyn_ref::<web_sys::HtmlSelectElement>() {
            select.set_value(value);
        }
    }

    /// Moves focus into the element matching `selector` inside `#id`.
    pub fn focus_in(&self, id: &'static str, selector: &str) -> Option<HtmlElement> {
        let element: HtmlElement = self.el(id).query_selector(selector).ok()??.dyn_into().ok()?;
        let _ = element.focus();
        Some(element)
    }
}

/// The value of an input or select element.
pub fn value_of(element: &Element) -> Option<String> {
    if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
        return Some(input.value());
    }
    element.dyn_ref::<web_sys::HtmlSelectElement>().map(|s| s.value())
}
