//! Section 9's "why?": one recommended movie's prediction written out (each factor's
//! product, the biases, sigmoid_range) and the user's own movies most like it. Every
//! number also travels whole in a `data-value`, so the terms can be added up again.

use super::{Patch, html};
use crate::html::escape;
use crate::state::{App, Why};

pub const IDS: &[&str] = &["rec-why"];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let l = &app.learned;
    let labels = l.read.as_ref().and_then(|r| r.as_ref().ok()).map_or(&[][..], |r| &r.labels[..]);
    out.push(html("rec-why", l.why.as_ref().map(|w| view(w, labels)).unwrap_or_default()));
}

/// A number shown to 4 decimals, carried whole.
fn cell(v: f32) -> String {
    format!("<td data-value=\"{v}\">{v:.4}</td>")
}

pub fn view(w: &Why, labels: &[String]) -> String {
    let e = &w.explanation;
    let title = labels.get(w.item).map_or("?", String::as_str);
    // Largest products first: the factors that decide the match.
    let mut order: Vec<usize> = (0..e.products.len()).collect();
    order.sort_by(|&a, &b| e.products[b].abs().total_cmp(&e.products[a].abs()));
    let rows: String = order
        .iter()
        .map(|&f| {
            format!(
                "<tr class=\"product\"><td>{f}</td>{}{}{}</tr>",
                cell(e.user[f]),
                cell(e.item[f]),
                cell(e.products[f])
            )
        })
        .collect();
    let dot: f32 = e.products.iter().sum();
    let squash = match e.y_range {
        Some((lo, hi)) => format!(
            "<p>sigmoid_range({lo}, {hi}): {lo} + ({hi} − {lo}) × sigmoid(<span data-value=\"{}\">{:.4}</span>) = \
             <output id=\"why-prediction\" data-value=\"{}\">{:.4}</output>, the score in the list.</p>",
            e.total, e.total, e.prediction, e.prediction
        ),
        None => format!(
            "<p>No sigmoid_range in this model: the sum is the prediction, \
             <output id=\"why-prediction\" data-value=\"{}\">{:.4}</output>.</p>",
            e.prediction, e.prediction
        ),
    };
    let closest = if e.closest.is_empty() {
        "<p class=\"note\">This model does not know which movies the user rated (it was loaded from a file).</p>"
            .to_string()
    } else {
        let items: String = e
            .closest
            .iter()
            .zip(&w.ratings)
            .map(|(&(i, cos), rating)| {
                let rated = rating.map(|r| format!(", rated {r}")).unwrap_or_default();
                format!(
                    "<li>{} <span class=\"note\">(cosine {cos:.3}{rated})</span></li>",
                    escape(labels.get(i).map_or("?", String::as_str))
                )
            })
            .collect();
        format!(
            "<p>The movies user {} rated whose factors point most the same way (cosine of the movie rows):</p><ol>{items}</ol>",
            escape(&w.user)
        )
    };
    format!(
        "<h4>Why {} for user {}</h4>\
         <p>The prediction is the dot product of the user's row and the movie's row, plus both biases{}. The \
         factors' products, largest first:</p>\
         <div class=\"scroll\"><table class=\"plain why\" aria-label=\"The prediction term by term\">\
         <thead><tr><th>factor</th><th>user</th><th>movie</th><th>product</th></tr></thead><tbody>{rows}</tbody>\
         <tfoot><tr><th colspan=\"3\">dot product (sum of the {} products)</th>{}</tr>\
         <tr class=\"bias\"><th colspan=\"3\">+ user bias</th>{}</tr>\
         <tr class=\"bias\"><th colspan=\"3\">+ movie bias</th>{}</tr>\
         <tr><th colspan=\"3\">= sum</th>{}</tr></tfoot></table></div>{squash}{closest}",
        escape(title),
        escape(&w.user),
        if e.y_range.is_some() { ", through sigmoid_range" } else { "" },
        e.products.len(),
        cell(dot),
        cell(e.user_bias),
        cell(e.item_bias),
        cell(e.total)
    )
}

#[cfg(test)]
mod tests {
    use collab_core::interpret::{Tables, explain};

    use super::*;

    #[test]
    fn every_term_is_drawn_whole_and_the_closest_movies_with_the_users_ratings() {
        let t = Tables {
            user_factors: vec![0.0, 0.0, 0.5, 0.5],
            item_factors: vec![0.0, 0.0, 1.0, 0.1, 2.0, 0.3, -1.0, 0.0],
            k: 2,
            user_bias: vec![0.0, -0.1],
            item_bias: vec![0.0, 0.2, 0.5, -0.4],
            y_range: Some((0.0, 5.5)),
        };
        let explanation = explain(&t, t.user(1), -0.1, 2, &[1, 3], 2);
        let why = Why { user: "7".into(), item: 2, explanation: explanation.clone(), ratings: vec![Some(5.0), None] };
        let labels: Vec<String> = ["#na#", "A & B", "C", "D"].map(String::from).to_vec();
        let html = view(&why, &labels);
        assert!(html.starts_with("<h4>Why C for user 7</h4>"));
        // Largest product first: 2.0 × 0.5 = 1, then 0.3 × 0.5 = 0.15.
        assert!(html.contains("<tr class=\"product\"><td>0</td><td data-value=\"0.5\">0.5000</td><td data-value=\"2\">2.0000</td><td data-value=\"1\">1.0000</td></tr><tr class=\"product\"><td>1</td>"));
        for v in [explanation.total, explanation.user_bias, explanation.item_bias, explanation.prediction] {
            assert!(html.contains(&format!("data-value=\"{v}\"")), "{v}");
        }
        assert!(html.contains(&format!("<output id=\"why-prediction\" data-value=\"{}\">", explanation.prediction)));
        // cos((2, 0.3), (1, 0.1)) = 2.03 / (2.0224 × 1.0050) = 0.999; with (-1, 0): -2 / 2.0224 = -0.989.
        assert!(html.contains("<li>A &amp; B <span class=\"note\">(cosine 0.999, rated 5)</span></li>"), "{html}");
        assert!(html.contains("<li>D <span class=\"note\">(cosine -0.989)</span></li>"), "{html}");
    }
}
