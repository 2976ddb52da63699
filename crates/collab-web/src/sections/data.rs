//! Section 1, the data: the ratings as a table, the cross-table with its blanks, and
//! how the last load went.

use collab_core::data::CrossTable;

use super::{Patch, attr, html, text};
use crate::html::{escape, group};
use crate::state::{App, DataSummary};

pub const IDS: &[&str] = &[
    "data-label",
    "data-counts",
    "data-density",
    "data-rows",
    "data-cross",
    "data-drop",
    "data-served",
    "data-file",
    "data-progress",
    "data-kept",
    "data-bar",
    "data-cancel",
];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let d = &app.data;
    let s = &d.summary;
    let label = format!("{}: {} ratings, {} users, {} movies", d.source, group(s.ratings), s.users, s.items);
    out.push(text("data-label", label.clone()));
    out.push(text("data-counts", label));
    out.push(text("data-density", density(s)));
    let rows: String = s
        .first
        .iter()
        .map(|(user, item, title, rating, timestamp)| {
            format!(
                "<tr><td>{user}</td><td>{item}</td><td>{}</td><td>{rating}</td><td>{timestamp}</td></tr>",
                escape(title)
            )
        })
        .collect();
    out.push(html("data-rows", rows));
    out.push(html("data-cross", cross_html(&s.cross)));
    out.push(text("data-progress", d.progress.clone()));
    match &d.kept {
        Some(names) => {
            out.push(text("data-kept", format!("Load again: {names} (kept in this browser)")));
            out.push(attr("data-kept", "style", ""));
        }
        None => out.push(attr("data-kept", "style", "display: none")),
    }
    out.push(attr("data-progress", "data-state", d.progress_state));
    out.push(attr("data-progress", "data-memory", d.memory.map(|m| m.to_string()).unwrap_or_default()));
    // The bar and Cancel while a worker reads files.
    let shown = if d.loading.is_some() { "" } else { "display: none" };
    let (read, total) = d.loading.as_ref().map_or((0, 1), |l| (l.read, l.total.max(1)));
    out.push(attr("data-bar", "max", total.to_string()));
    out.push(attr("data-bar", "value", read.min(total).to_string()));
    out.push(attr("data-bar", "style", shown));
    out.push(attr("data-cancel", "style", shown));
}

/// How full the whole users × movies matrix is (the corner below is far fuller).
pub fn density(s: &DataSummary) -> String {
    let cells = s.users * s.items;
    format!(
        "Of all {} users × {} movies = {} cells, {} hold a rating: {:.1}%. The corner below is the busiest part of \
         that matrix, so it looks far fuller ({} of its {} cells) than the matrix is.",
        group(s.users),
        group(s.items),
        group(cells),
        group(s.rated),
        100.0 * s.filled(),
        s.cross.cells.iter().flatten().filter(|c| c.is_some()).count(),
        s.cross.cells.len() * s.cross.titles.len(),
    )
}

/// The cross-table: users down, movies across, blanks where no rating is.
pub fn cross_html(cross: &CrossTable) -> String {
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
