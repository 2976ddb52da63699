//! Small DOM helpers: look elements up by id, set text, show errors.

use wasm_bindgen::{JsCast, JsValue};
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

/// Milliseconds since the page (or the worker) started: the core has no clock in the
/// browser. Works in both, through the global `performance`.
pub fn now_ms() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"));
    performance.ok().and_then(|p| p.dyn_into::<web_sys::Performance>().ok()).map_or(0.0, |p| p.now())
}

/// Sets the inner HTML of `#id` (the caller escapes what came from data).
pub fn set_html(id: &str, html: &str) -> Result<(), String> {
    by_id(id)?.set_inner_html(html);
    Ok(())
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

thread_local! {
    /// Listeners that live as long as the page (gloo removes a listener when dropped).
    static LISTENERS: std::cell::RefCell<Vec<gloo::events::EventListener>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Keeps a listener for the life of the page.
pub fn keep(listener: gloo::events::EventListener) {
    LISTENERS.with(|l| l.borrow_mut().push(listener));
}

/// Listens for `event` on `target` for the life of the page.
pub fn listen(target: &Element, event: &'static str, callback: impl FnMut(&web_sys::Event) + 'static) {
    keep(gloo::events::EventListener::new(target, event, callback));
}

/// The value of an input or select element.
pub fn value(id: &str) -> Result<String, String> {
    let element = by_id(id)?;
    if let Some(input) = element.dyn_ref::<web_sys::HtmlInputElement>() {
        return Ok(input.value());
    }
    element.dyn_ref::<web_sys::HtmlSelectElement>().map(|s| s.value()).ok_or_else(|| format!("#{id} has no value"))
}

/// Whether the checkbox `#id` is ticked.
pub fn checked(id: &str) -> Result<bool, String> {
    by_id(id)?
        .dyn_ref::<web_sys::HtmlInputElement>()
        .map(|i| i.checked())
        .ok_or_else(|| format!("#{id} is not a checkbox"))
}

/// On each click of `#id`, clears `#out`, runs `action(state)` and shows its error, if
/// any, in `#out`.
pub fn on_click<T: Clone + 'static>(
    id: &str,
    state: &T,
    out: &'static str,
    action: fn(&T) -> Result<(), String>,
) -> Result<(), String> {
    let state = state.clone();
    listen(&by_id(id)?, "click", move |_| {
        let _ = set_text(out, "");
        if let Err(e) = action(&state) {
            let _ = set_text(out, &e);
        }
    });
    Ok(())
}

/// An async action started by a button; an error it returns is shown in the page.
pub type Action<T> = fn(T) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>>;

/// On each click of `#id`, clears `#out`, runs `action(state)` and shows its error, if
/// any, in `#out`.
pub fn on_click_async<T: Clone + 'static>(
    id: &str,
    state: &T,
    out: &'static str,
    action: Action<T>,
) -> Result<(), String> {
    let state = state.clone();
    listen(&by_id(id)?, "click", move |_| {
        let _ = set_text(out, "");
        let future = action(state.clone());
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = future.await {
                let _ = set_text(out, &e);
            }
        });
    });
    Ok(())
}
