//! Sections 4 and 5: one rating's factors fetched by a one-hot matrix product and by an
//! embedding lookup, side by side, from the spreadsheet's current numbers; and a step
//! on that one rating, showing that only the looked-up rows move.

use collab_core::lesson::{Lookup, lookup_both};
use collab_core::sheet::{ITEM_FACTORS, USER_FACTORS};
use collab_core::weights::NamedTensor;

use crate::app::{App, Shared};
use crate::dom;

/// Fills the rating picker from the sheet's rated cells (long format, as in the sheet's
/// `movielens_1hot` tab).
pub fn render_picker(app: &App) -> Result<(), String> {
    let sheet = &app.sheet;
    let mut html = String::new();
    for (n, (u, i, r)) in sheet.rated().into_iter().enumerate() {
        html.push_str(&format!(
            "<option value=\"{u}:{i}\">row {n}: user {} (index {u}) · {} (index {i}) · rated {r}</option>",
            sheet.cross.users[u],
            dom::escape(&sheet.cross.titles[i])
        ));
    }
    dom::set_html("lookup-pick", &html)
}

fn picked() -> Option<(usize, usize)> {
    let value = dom::value("lookup-pick").ok()?;
    let (u, i) = value.split_once(':')?;
    Some((u.parse().ok()?, i.parse().ok()?))
}

/// Recomputes both ways for the picked rating and draws them.
pub fn refresh(app: &Shared) {
    let Some((u, i)) = picked() else { return };
    let (sheet, device) = {
        let a = app.borrow();
        (a.sheet.clone(), a.device.device.clone())
    };
    wasm_bindgen_futures::spawn_local(async move {
        match lookup_both(&sheet, u, i, &device).await {
            Ok(l) => {
                let k = sheet.settings.k;
                let users = sheet.weights.get(USER_FACTORS).expect("user table");
                let items = sheet.weights.get(ITEM_FACTORS).expect("item table");
                let _ = dom::set_html(
                    "lookup-user",
                    &product_html("user", &l.user_one_hot, users, u, &l.user_by_product, k),
                );
                let _ = dom::set_html(
                    "lookup-item",
                    &product_html("movie", &l.item_one_hot, items, i, &l.item_by_product, k),
                );
                let _ = render_result(&l);
                let _ = dom::set_attr("lookup", "data-state", "ready");
            }
            Err(e) => {
                let _ = dom::set_text("lookup-message", &e.to_string());
            }
        }
    });
}

/// The one-hot vector beside the factor table, the surviving row marked, and the result.
fn product_html(what: &str, one_hot: &[f32], table: &NamedTensor, index: usize, result: &[f32], k: usize) -> String {
    let mut html = format!(
        "<table class=\"onehot\" aria-label=\"one-hot vector of the {what} times the {what} factor table\"><thead><tr>\
         <th scope=\"col\">one-hot</th><th scope=\"col\">×</th>"
    );
    for f in 0..k {
        html.push_str(&format!("<th scope=\"col\">factor {}</th>", f + 1));
    }
    html.push_str("</tr></thead><tbody>");
    for (row, hot) in one_hot.iter().enumerate() {
        let class = if row == index { " class=\"hit\"" } else { "" };
        html.push_str(&format!("<tr{class}><td>{hot}</td><td></td>"));
        for f in 0..k {
            html.push_str(&format!("<td>{:.3}</td>", table.values[row * k + f]));
        }
        html.push_str("</tr>");
    }
    html.push_str(&format!("</tbody><tfoot><tr><th scope=\"row\" colspan=\"2\">= {what} {index}'s factors</th>"));
    for v in result {
        html.push_str(&format!("<td>{v:.3}</td>"));
    }
    html + "</tr></tfoot></table>"
}

fn render_result(l: &Lookup) -> Result<(), String> {
    let row = |v: &[f32]| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(", ");
    dom::set_text("lookup-pred-product", &format!("{:.4}", l.pred_by_product))?;
    dom::set_text("lookup-loss-product", &format!("{:.4}", l.loss_by_product))?;
    dom::set_text("lookup-pred-index", &format!("{:.4}", l.pred_by_index))?;
    dom::set_text("lookup-loss-index", &format!("{:.4}", l.loss_by_index))?;
    dom::set_text("lookup-user-index", &row(&l.user_by_index))?;
    dom::set_text("lookup-item-index", &row(&l.item_by_index))?;
    let same = l.user_by_index == l.user_by_product
        && l.item_by_index == l.item_by_product
        && l.loss_by_index == l.loss_by_product;
    dom::set_text("lookup-same", if same { "identical" } else { "different" })?;
    dom::set_text(
        "lookup-cost",
        &format!(
            "{} multiply-adds for the two one-hot products, {} numbers read for the two lookups",
            l.product_ops, l.lookup_reads
        ),
    )
}

/// One SGD step on the picked rating alone; lists the rows that moved.
async fn step_one(app: &Shared) -> Result<(), String> {
    let (u, i) = picked().ok_or("pick a rating first")?;
    let (mut sheet, device) = {
        let a = app.borrow();
        (a.sheet.clone(), a.device.device.clone())
    };
    let step = sheet.step(&device, &[(u, i)]).await.map_err(|e| e.to_string())?;
    let moved = |path: &str| -> Vec<usize> {
        let d = step.deltas.get(path).expect("table");
        let k = d.shape[1];
        (0..d.shape[0]).filter(|r| d.values[r * k..(r + 1) * k].iter().any(|&x| x != 0.0)).collect()
    };
    let (users, items) = (moved(USER_FACTORS), moved(ITEM_FACTORS));
    dom::set_text(
        "lookup-moved",
        &format!(
            "After one step on this rating, user rows {users:?} and movie rows {items:?} changed; the other {} user rows and {} movie rows did not.",
            sheet.dims().0 - users.len(),
            sheet.dims().1 - items.len()
        ),
    )?;
    {
        let mut a = app.borrow_mut();
        a.sheet = sheet;
        a.last_step = Some(step);
        a.generation += 1;
    }
    crate::sheet_view::refresh(app);
    refresh(app);
    Ok(())
}

/// Wires the picker and the step button.
pub fn wire(app: &Shared) -> Result<(), String> {
    render_picker(&app.borrow())?;
    let a = app.clone();
    dom::listen(&dom::by_id("lookup-pick")?, "change", move |_| refresh(&a));
    dom::on_click_async("lookup-step", app, "lookup-message", |a| Box::pin(async move { step_one(&a).await }))?;
    refresh(app);
    Ok(())
}
