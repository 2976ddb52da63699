//! Section 2, latent factors by hand: the inputs (drawn once, at start) and each
//! movie's match with the visitor.

use super::{Patch, text};
use crate::html::escape;
use crate::state::{App, FACTOR_MOVIES, FACTOR_NAMES, FACTOR_USER};

/// The matches' outputs, one per movie.
pub const MATCHES: [&str; 3] = ["factors-match-0", "factors-match-1", "factors-match-2"];
pub const IDS: &[&str] = &["factors-table", "factors-message"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    if let Some(matches) = &app.factors.matches {
        for (id, v) in MATCHES.iter().zip(matches) {
            out.push(text(id, format!("{v:.3}")));
        }
    }
    out.push(text("factors-message", app.factors.message.clone()));
}

/// The input table with the starting numbers (its inputs are then the visitor's).
pub fn table_html() -> String {
    let mut html = String::from("<thead><tr><th scope=\"col\"></th>");
    for f in FACTOR_NAMES {
        html.push_str(&format!("<th scope=\"col\">{f}</th>"));
    }
    html.push_str("<th scope=\"col\">match (dot product)</th></tr></thead><tbody>");
    html.push_str(&row("you", "user", &FACTOR_USER, None));
    for (m, (title, factors)) in FACTOR_MOVIES.iter().enumerate() {
        html.push_str(&row(title, &format!("movie{m}"), factors, Some(m)));
    }
    html + "</tbody>"
}

/// The input ids, the visitor's three first, in the order [`crate::msg::FactorsMsg::Edited`] takes.
pub fn input_ids() -> Vec<String> {
    ["user", "movie0", "movie1", "movie2"].iter().flat_map(|r| (0..3).map(move |f| format!("{r}-{f}"))).collect()
}

fn row(label: &str, id: &str, values: &[f32; 3], movie: Option<usize>) -> String {
    let mut html = format!("<tr><th scope=\"row\">{}</th>", escape(label));
    for (f, v) in values.iter().enumerate() {
        html.push_str(&format!(
            "<td><input id=\"{id}-{f}\" type=\"text\" inputmode=\"decimal\" size=\"5\" value=\"{v}\" aria-label=\"{} of {}\"></td>",
            FACTOR_NAMES[f],
            escape(label)
        ));
    }
    html.push_str(&match movie {
        Some(m) => format!("<td><output id=\"factors-match-{m}\">…</output></td></tr>"),
        None => "<td></td></tr>".into(),
    });
    html
}
