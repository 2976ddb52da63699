//! Section 2, latent factors by hand: three movies and one visitor described by three
//! numbers each; the match of each movie is their dot product, computed on the device.

use collab_core::lesson::dot_products;

use crate::app::Shared;
use crate::dom;

/// The movies and their starting factors (sci-fi, action, old).
const MOVIES: [(&str, [f32; 3]); 3] = [
    ("Star Wars (1977)", [0.98, 0.9, 0.6]),
    ("Casablanca (1942)", [-0.9, -0.3, 0.95]),
    ("Toy Story (1995)", [0.1, 0.2, -0.8]),
];
/// The visitor's starting taste.
const USER: [f32; 3] = [0.9, 0.8, -0.6];
const FACTORS: [&str; 3] = ["sci-fi", "action", "old"];

/// Draws the inputs (once) and wires them.
pub fn wire(app: &Shared) -> Result<(), String> {
    let mut html = String::from("<thead><tr><th scope=\"col\"></th>");
    for f in FACTORS {
        html.push_str(&format!("<th scope=\"col\">{f}</th>"));
    }
    html.push_str("<th scope=\"col\">match (dot product)</th></tr></thead><tbody>");
    html.push_str(&row("you", "user", &USER, None));
    for (m, (title, factors)) in MOVIES.iter().enumerate() {
        html.push_str(&row(title, &format!("movie{m}"), factors, Some(m)));
    }
    dom::set_html("factors-table", &(html + "</tbody>"))?;
    let a = app.clone();
    dom::listen(&dom::by_id("factors-table")?, "input", move |_| update(&a));
    update(app);
    Ok(())
}

fn row(label: &str, id: &str, values: &[f32; 3], movie: Option<usize>) -> String {
    let mut html = format!("<tr><th scope=\"row\">{}</th>", dom::escape(label));
    for (f, v) in values.iter().enumerate() {
        html.push_str(&format!(
            "<td><input id=\"{id}-{f}\" type=\"text\" inputmode=\"decimal\" size=\"5\" value=\"{v}\" aria-label=\"{} of {}\"></td>",
            FACTORS[f],
            dom::escape(label)
        ));
    }
    html.push_str(&match movie {
        Some(m) => format!("<td><output id=\"factors-match-{m}\">…</output></td></tr>"),
        None => "<td></td></tr>".into(),
    });
    html
}

/// Reads the inputs; a bad one is named and the dot products keep their last values.
fn read(id: &str) -> Result<Vec<f32>, String> {
    (0..3)
        .map(|f| {
            let text = dom::value(&format!("{id}-{f}"))?;
            text.trim()
                .parse::<f32>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or(format!("“{}” is not a number", collab_core::error::clip(&text, 40)))
        })
        .collect()
}

fn update(app: &Shared) {
    let device = app.borrow().device.device.clone();
    let inputs =
        read("user").and_then(|u| Ok((u, (0..3).map(|m| read(&format!("movie{m}"))).collect::<Result<Vec<_>, _>>()?)));
    let (user, movies) = match inputs {
        Ok(x) => x,
        Err(e) => {
            let _ = dom::set_text("factors-message", &format!("{e}: the matches keep their last values."));
            return;
        }
    };
    wasm_bindgen_futures::spawn_local(async move {
        match dot_products(&user, &movies, &device).await {
            Ok(matches) => {
                for (m, v) in matches.iter().enumerate() {
                    let _ = dom::set_text(&format!("factors-match-{m}"), &format!("{v:.3}"));
                }
                let _ = dom::set_text("factors-message", "");
            }
            Err(e) => {
                let _ = dom::set_text("factors-message", &e.to_string());
            }
        }
    });
}
