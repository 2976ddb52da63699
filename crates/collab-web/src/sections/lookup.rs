//! Sections 4 and 5: one rating's factors fetched by a one-hot matrix product and by an
//! embedding lookup side by side; the product walked row by row; what a step on that
//! one rating moved.

use collab_core::lesson::Lookup;
use collab_core::weights::NamedTensor;

use super::{Patch, attr, html, text};
use crate::html::escape;
use crate::state::{App, LookupShown};

pub const IDS: &[&str] = &[
    "lookup",
    "lookup-pick",
    "lookup-next",
    "lookup-play",
    "lookup-all",
    "lookup-walk-note",
    "lookup-user",
    "lookup-item",
    "lookup-pred-product",
    "lookup-loss-product",
    "lookup-terms",
    "lookup-user-index",
    "lookup-item-index",
    "lookup-pred-index",
    "lookup-loss-index",
    "lookup-same",
    "lookup-cost",
    "lookup-step",
    "lookup-moved",
    "lookup-message",
];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let l = &app.lookup;
    out.push(html("lookup-pick", picker(app)));
    out.push(text("lookup-moved", l.moved.clone()));
    out.push(text("lookup-message", l.message.clone()));
    let Some(shown) = &l.shown else {
        out.push(attr("lookup", "data-state", "pending"));
        return;
    };
    result(&shown.lookup, out);
    let n_users = shown.lookup.user_one_hot.len();
    // Rows done in each table, and whether the walk is in it.
    let (users_walk, items_walk) = match l.walk {
        None => (None, None),
        Some(w) if w < n_users => (Some((w + 1, true)), Some((0, false))),
        Some(w) => (Some((n_users, false)), Some((w + 1 - n_users, true))),
    };
    let s = shown;
    out.push(html("lookup-user", product_html("user", &s.lookup.user_one_hot, &s.users, s.user, s.k, users_walk)));
    out.push(html("lookup-item", product_html("movie", &s.lookup.item_one_hot, &s.items, s.item, s.k, items_walk)));
    out.push(text("lookup-walk-note", walk_note(shown, l.walk, l.walk_done)));
    let walk = match (l.walk, l.walk_done) {
        (_, true) => "done",
        (Some(_), false) => "on",
        (None, false) => "off",
    };
    out.push(attr("lookup", "data-walk", walk));
    out.push(attr("lookup", "data-state", "ready"));
}

/// The sheet's rated cells as options (long format, as in the lesson's one-hot sheet).
fn picker(app: &App) -> String {
    let sheet = &app.sheet.sheet;
    let shown = app.lookup_cell();
    let mut html = String::new();
    for (n, (u, i, r)) in sheet.rated().into_iter().enumerate() {
        let selected = if shown == Some((u, i)) { " selected" } else { "" };
        html.push_str(&format!(
            "<option value=\"{u}:{i}\"{selected}>row {n}: user {} (index {u}) · {} (index {i}) · rated {r}</option>",
            sheet.cross.users[u],
            escape(&crate::html::short(&sheet.cross.titles[i]))
        ));
    }
    html
}

/// What the walk says of the row it reached.
pub fn walk_note(s: &LookupShown, walk: Option<usize>, done: bool) -> String {
    let n_users = s.lookup.user_one_hot.len();
    let rows = n_users + s.lookup.item_one_hot.len();
    if done {
        return format!(
            "Done: {} rows were multiplied by 0 and added nothing; one row of each table survived.",
            rows - 2
        );
    }
    let Some(at) = walk else { return String::new() };
    let (what, row, hit) = if at < n_users { ("user", at, s.user) } else { ("movie", at - n_users, s.item) };
    if row == hit {
        format!("{what} row {row}: the one-hot value is 1, so this row is copied into the sum: these are the factors.")
    } else {
        format!("{what} row {row}: the one-hot value is 0, so 0 × the row adds nothing to the sum.")
    }
}

/// How the two rows become the prediction, with every term: the dot product, the biases
/// if the model has them, and sigmoid_range if it is on.
pub fn terms(l: &Lookup) -> String {
    let mut sum = format!("user row · movie row = {:.4}", l.dot);
    let mut x = l.dot;
    if let Some((ub, ib)) = l.biases {
        x += ub + ib;
        sum = format!("{sum}; + user bias {ub:.4} + movie bias {ib:.4} = {x:.4}");
    }
    match l.y_range {
        Some((lo, hi)) => format!(
            "{sum}; sigmoid_range squashes it into ({lo}, {hi}): {lo} + {} × σ({x:.4}) = {:.4}, the prediction.",
            hi - lo,
            l.pred_by_product
        ),
        None => format!("{sum}, the prediction (no sigmoid_range)."),
    }
}

fn result(l: &Lookup, out: &mut Vec<Patch>) {
    let row = |v: &[f32]| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(", ");
    out.push(text("lookup-pred-product", format!("{:.4}", l.pred_by_product)));
    out.push(text("lookup-loss-product", format!("{:.4}", l.loss_by_product)));
    out.push(text("lookup-terms", terms(l)));
    out.push(text("lookup-pred-index", format!("{:.4}", l.pred_by_index)));
    out.push(text("lookup-loss-index", format!("{:.4}", l.loss_by_index)));
    out.push(text("lookup-user-index", row(&l.user_by_index)));
    out.push(text("lookup-item-index", row(&l.item_by_index)));
    let same = l.user_by_index == l.user_by_product
        && l.item_by_index == l.item_by_product
        && l.loss_by_index == l.loss_by_product;
    out.push(text("lookup-same", if same { "identical" } else { "different" }));
    out.push(text(
        "lookup-cost",
        format!(
            "{} multiply-adds for the two one-hot products, {} numbers read for the two lookups",
            l.product_ops, l.lookup_reads
        ),
    ));
}

/// The one-hot vector beside the factor table and the sum of the row products. While
/// walking (`walk`: rows done, and whether the walk is in this table), later rows wait
/// greyed out and the sum covers the rows done; the surviving row is marked once reached.
pub fn product_html(
    what: &str,
    one_hot: &[f32],
    table: &NamedTensor,
    index: usize,
    k: usize,
    walk: Option<(usize, bool)>,
) -> String {
    let mut html = format!(
        "<table class=\"onehot\" aria-label=\"one-hot vector of the {what} times the {what} factor table\"><thead><tr>\
         <th scope=\"col\">one-hot</th><th scope=\"col\">×</th>"
    );
    for f in 0..k {
        html.push_str(&format!("<th scope=\"col\">factor {}</th>", f + 1));
    }
    html.push_str("</tr></thead><tbody>");
    let done = |row: usize| walk.is_none_or(|(done, _)| row < done);
    let current = walk.and_then(|(done, active)| (active && done > 0).then(|| done - 1));
    let mut sum = vec![0.0f32; k];
    for (row, hot) in one_hot.iter().enumerate() {
        let mut classes = Vec::new();
        if row == index && done(row) {
            classes.push("hit");
        }
        if current == Some(row) {
            classes.push("current");
        }
        if !done(row) {
            classes.push("waiting");
        }
        let class = if classes.is_empty() { String::new() } else { format!(" class=\"{}\"", classes.join(" ")) };
        html.push_str(&format!("<tr{class}><td>{hot}</td><td></td>"));
        for (f, s) in sum.iter_mut().enumerate() {
            let v = table.values.get(row * k + f).copied().unwrap_or(f32::NAN);
            if done(row) {
                *s += hot * v;
            }
            html.push_str(&format!("<td>{v:.3}</td>"));
        }
        html.push_str("</tr>");
    }
    let label = match walk {
        Some((0, _)) => "sum so far (no row yet)".to_string(),
        Some((done, _)) if done < one_hot.len() => format!("sum of rows 0 to {} so far", done - 1),
        _ => format!("= {what} {index}'s factors"),
    };
    html.push_str(&format!("</tbody><tfoot><tr><th scope=\"row\" colspan=\"2\">{label}</th>"));
    for v in sum {
        html.push_str(&format!("<td>{v:.3}</td>"));
    }
    html + "</tr></tfoot></table>"
}
