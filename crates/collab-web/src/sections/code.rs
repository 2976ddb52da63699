//! The code behind each section (see `notebook`): drawn into the section's
//! "The code behind this section" box with the page's current settings.

use super::{Patch, text};
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
    "code-learned",
    "code-you",
    "export-notebook",
];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    for cell in notebook::cells(app) {
        if let Some(id) = IDS.iter().find(|id| id.strip_prefix("code-") == Some(cell.section)) {
            out.push(text(id, cell.code));
        }
    }
}
