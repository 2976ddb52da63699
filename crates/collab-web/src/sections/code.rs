//! The code behind each section (see `notebook`): drawn into the section's
//! "The code behind this section" box with the page's current settings.

use super::{Patch, html};
use crate::html::escape;
use crate::notebook;
use crate::state::App;

pub const IDS: &[&str] = &[
    "code-data",
    "code-factors",
    "code-sheet",
    "code-lookup",
    "code-bias",
    "code-decay",
    "code-train",
    "code-errors",
    "code-learned",
    "code-you",
    "export-notebook",
];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    for cell in notebook::cells(app) {
        if let Some(id) = IDS.iter().find(|id| id.strip_prefix("code-") == Some(cell.section)) {
            out.push(html(id, lines(&cell.code)));
        }
    }
}

/// Code as one element a line: a cell that carries the page's numbers runs to thousands
/// of characters, and no text node of the page holds more than a line of it.
pub fn lines(code: &str) -> String {
    code.split('\n').map(|l| format!("<span>{}</span>", escape(l))).collect::<Vec<_>>().join("\n")
}
