//! Section 1, the data: the ratings as a table, the cross-table with its blanks, and
//! loading MovieLens (the served copy, a file picker or a dropped file).

use collab_core::data::{CrossTable, RatingsTable, movielens};
use collab_core::error::clip;
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, HtmlInputElement};

use crate::app::{App, Shared, set_table};
use crate::dom::{self, escape};

/// Draws the counts, the first ratings and the cross-table.
pub fn render(app: &App) -> Result<(), String> {
    let table = &app.table;
    let (users, items) = table.counts();
    let label = format!("{}: {} ratings, {users} users, {items} movies", app.source, group(table.ratings.len()));
    dom::set_text("data-label", &label)?;
    dom::set_text("data-counts", &label)?;
    let mut rows = String::new();
    for r in table.ratings.iter().take(8) {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.user,
            r.item,
            escape(&table.title(r.item)),
            r.rating,
            r.timestamp
        ));
    }
    dom::set_html("data-rows", &rows)?;
    dom::set_html("data-cross", &cross_html(&CrossTable::top(table, 15)))?;
    Ok(())
}

fn cross_html(cross: &CrossTable) -> String {
    let mut html = String::from("<thead><tr><th scope=\"col\">user \\ movie</th>");
    for title in &cross.titles {
        html.push_str(&format!("<th scope=\"col\" title=\"{0}\"><span>{0}</span></th>", escape(title)));
    }
    html.push_str("</tr></thead><tbody>");
    for (u, row) in cross.cells.iter().enumerate() {
        html.push_str(&format!("<tr><th scope=\"row\">{}</th>", cross.users[u]));
        for cell in row {
            match cell {
                Some(r) => html.push_str(&format!("<td>{r}</td>")),
                None => html.push_str("<td class=\"blank\" aria-label=\"not rated\"></td>"),
            }
        }
        html.push_str("</tr>");
    }
    html + "</tbody>"
}

/// Wires the served-copy button, the file picker and the drop zone.
pub fn wire(app: &Shared) -> Result<(), String> {
    let a = app.clone();
    dom::listen(&dom::by_id("data-served")?, "click", move |_| {
        let app = a.clone();
        wasm_bindgen_futures::spawn_local(async move { report(load_served(&app).await) });
    });
    let a = app.clone();
    dom::listen(&dom::by_id("data-file")?, "change", move |event| {
        let input: Option<HtmlInputElement> = event.target().and_then(|t| t.dyn_into().ok());
        let files = input.and_then(|i| i.files()).map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect());
        let app = a.clone();
        wasm_bindgen_futures::spawn_local(async move { report(load_files(&app, files.unwrap_or_default()).await) });
    });
    let drop_zone = dom::by_id("data-drop")?;
    dom::keep(EventListener::new_with_options(
        &drop_zone,
        "dragover",
        EventListenerOptions::enable_prevent_default(),
        |e| e.prevent_default(),
    ));
    let a = app.clone();
    dom::keep(EventListener::new_with_options(
        &drop_zone,
        "drop",
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            e.prevent_default();
            let files = e
                .dyn_ref::<DragEvent>()
                .and_then(|d| d.data_transfer())
                .and_then(|t| t.files())
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            let app = a.clone();
            wasm_bindgen_futures::spawn_local(async move { report(load_files(&app, files).await) });
        },
    ));
    Ok(())
}

/// Shows the outcome of a load in the page; a failure leaves the loaded data alone.
fn report(result: Result<String, String>) {
    let (text, state) = match result {
        Ok(done) => (done, "loaded"),
        Err(message) => (format!("Nothing was loaded: {message}. The data you had is still here."), "error"),
    };
    let _ = dom::set_text("data-progress", &text);
    let _ = dom::set_attr("data-progress", "data-state", state);
}

async fn load_served(app: &Shared) -> Result<String, String> {
    dom::set_text("data-progress", "Fetching data/ml-100k.zip …")?;
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str("data/ml-100k.zip"))
        .await
        .map_err(dom::js_error)?
        .dyn_into()
        .map_err(dom::js_error)?;
    if !response.ok() {
        return Err(
            "this server has no copy of MovieLens-100k (run scripts/fetch-data.sh, or pick the file below)".into()
        );
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(dom::js_error)?).await.map_err(dom::js_error)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    dom::set_text("data-progress", &format!("Reading {} of ratings …", size(bytes.len())))?;
    let table = movielens::parse_ml100k_zip(&bytes, "ml-100k.zip").map_err(|e| e.to_string())?;
    finish(app, table, "MovieLens-100k (served copy)".into())
}

async fn load_files(app: &Shared, files: Vec<File>) -> Result<String, String> {
    if files.is_empty() {
        return Err("no file was given".into());
    }
    let mut named = Vec::new();
    for file in files {
        dom::set_text("data-progress", &format!("Reading {} ({}) …", file.name(), size(file.size() as usize)))?;
        let buffer = JsFuture::from(file.array_buffer()).await.map_err(dom::js_error)?;
        named.push((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()));
    }
    let find = |want: &str| named.iter().find(|(n, _)| n.eq_ignore_ascii_case(want)).map(|(_, b)| b.as_slice());
    let has = |want: &str| find(want).map(|_| want.to_string());
    // The files actually read, which alone name the data.
    let (table, used): (_, Vec<String>) =
        if let Some((name, bytes)) = named.iter().find(|(n, _)| n.to_ascii_lowercase().ends_with(".zip")) {
            (movielens::parse_ml100k_zip(bytes, name), vec![name.clone()])
        } else if let Some(data) = find("u.data") {
            (
                movielens::parse_ml100k_files(data, find("u.item")),
                ["u.data", "u.item"].iter().filter_map(|n| has(n)).collect(),
            )
        } else if let Some(ratings) = find("ratings.csv") {
            let table = movielens::parse_ratings_csv(ratings, "ratings.csv").and_then(|ratings| {
                let titles = match find("movies.csv") {
                    Some(m) => movielens::parse_movies_csv(m, "movies.csv")?.into_iter().collect(),
                    None => Default::default(),
                };
                Ok(RatingsTable { ratings, titles })
            });
            (table, ["ratings.csv", "movies.csv"].iter().filter_map(|n| has(n)).collect())
        } else {
            return Err("expected ml-100k.zip, u.data (with u.item), or ratings.csv (with movies.csv)".into());
        };
    let table = table.map_err(|e| e.to_string())?;
    let ignored: Vec<String> =
        named.iter().map(|(n, _)| n.clone()).filter(|n| !used.iter().any(|u| u.eq_ignore_ascii_case(n))).collect();
    let mut done = finish(app, table, format!("your file {}", used.join(" + ")))?;
    if !ignored.is_empty() {
        done.push_str(&format!(" Not used: {} (one data set at a time).", clip(&ignored.join(", "), 80)));
    }
    Ok(done)
}

fn finish(app: &Shared, table: RatingsTable, source: String) -> Result<String, String> {
    let n = table.ratings.len();
    set_table(app, table, source.clone())?;
    Ok(format!("Loaded {source}: {} ratings.", group(n)))
}

fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / 1048576.0)
    } else {
        format!("{} kB", bytes.div_ceil(1024))
    }
}
