//! Sections 4 and 5: one rating's factors fetched by a one-hot matrix product and by an
//! embedding lookup, side by side, from the spreadsheet's current numbers; the product
//! walked row by row (Next row / Play), so the visitor sees every row but one multiplied
//! by 0; and a step on that one rating, showing that only the looked-up rows move.

use std::cell::{Cell, RefCell};

use collab_core::lesson::{Lookup, lookup_both};
use collab_core::sheet::{ITEM_FACTORS, USER_FACTORS};
use collab_core::weights::NamedTensor;
use gloo::timers::future::TimeoutFuture;

use crate::app::{App, Shared};
use crate::dom;

/// Milliseconds between two rows when the product plays by itself.
const PLAY_MS: u32 = 150;

/// The last computed rating, kept so that walking the product needs no device call.
struct Drawn {
    lookup: Lookup,
    users: NamedTensor,
    items: NamedTensor,
    user: usize,
    item: usize,
    k: usize,
}

thread_local! {
    static DRAWN: RefCell<Option<Drawn>> = const { RefCell::new(None) };
    /// Rows multiplied so far, user table first then movie table; `None`: all shown.
    static WALK: Cell<Option<usize>> = const { Cell::new(None) };
    /// Bumped to stop a playing walk.
    static PLAYING: Cell<u64> = const { Cell::new(0) };
}

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

/// Recomputes both ways for the picked rating and draws them (the walk starts over).
pub fn refresh(app: &Shared) {
    let Some((u, i)) = picked() else { return };
    let (sheet, device) = {
        let a = app.borrow();
        (a.sheet.clone(), a.device.device.clone())
    };
    wasm_bindgen_futures::spawn_local(async move {
        match lookup_both(&sheet, u, i, &device).await {
            Ok(l) => {
                let _ = render_result(&l);
                let users = sheet.weights.get(USER_FACTORS).expect("user table").clone();
                let items = sheet.weights.get(ITEM_FACTORS).expect("item table").clone();
                let k = sheet.settings.k;
                DRAWN.with(|d| *d.borrow_mut() = Some(Drawn { lookup: l, users, items, user: u, item: i, k }));
                stop_walk();
                let _ = dom::set_attr("lookup", "data-state", "ready");
            }
            Err(e) => {
                let _ = dom::set_text("lookup-message", &e.to_string());
            }
        }
    });
}

/// Shows the whole product again.
fn stop_walk() {
    PLAYING.with(|p| p.set(p.get() + 1));
    WALK.with(|w| w.set(None));
    let _ = draw_products();
    let _ = dom::set_text("lookup-walk-note", "");
    let _ = dom::set_attr("lookup", "data-walk", "off");
}

/// Draws both products, as far as the walk has gone.
fn draw_products() -> Result<(), String> {
    DRAWN.with(|d| {
        let d = d.borrow();
        let Some(d) = d.as_ref() else { return Ok(()) };
        let n_users = d.lookup.user_one_hot.len();
        // Rows done in each table, and whether the walk is in it.
        let (users_walk, items_walk) = match WALK.with(Cell::get) {
            None => (None, None),
            Some(w) if w < n_users => (Some((w + 1, true)), Some((0, false))),
            Some(w) => (Some((n_users, false)), Some((w + 1 - n_users, true))),
        };
        let l = &d.lookup;
        dom::set_html("lookup-user", &product_html("user", &l.user_one_hot, &d.users, d.user, d.k, users_walk))?;
        dom::set_html("lookup-item", &product_html("movie", &l.item_one_hot, &d.items, d.item, d.k, items_walk))
    })
}

/// Multiplies one more row; false once every row of both tables is done.
fn next_row() -> Result<bool, String> {
    let Some((n_users, n_items, user, item)) = DRAWN.with(|d| {
        d.borrow().as_ref().map(|d| (d.lookup.user_one_hot.len(), d.lookup.item_one_hot.len(), d.user, d.item))
    }) else {
        return Err("pick a rating first".into());
    };
    let at = WALK.with(|w| w.get().map_or(0, |w| w + 1));
    if at >= n_users + n_items {
        dom::set_text(
            "lookup-walk-note",
            &format!(
                "Done: {} rows were multiplied by 0 and added nothing; one row of each table survived.",
                n_users + n_items - 2
            ),
        )?;
        WALK.with(|w| w.set(None));
        draw_products()?;
        dom::set_attr("lookup", "data-walk", "done")?;
        return Ok(false);
    }
    WALK.with(|w| w.set(Some(at)));
    draw_products()?;
    let (what, row, hit) = if at < n_users { ("user", at, user) } else { ("movie", at - n_users, item) };
    let note = if row == hit {
        format!("{what} row {row}: the one-hot value is 1, so this row is copied into the sum: these are the factors.")
    } else {
        format!("{what} row {row}: the one-hot value is 0, so 0 × the row adds nothing to the sum.")
    };
    dom::set_text("lookup-walk-note", &note)?;
    dom::set_attr("lookup", "data-walk", "on")?;
    Ok(true)
}

/// Walks every row by itself, one every [`PLAY_MS`], until done or interrupted.
fn play() {
    let me = PLAYING.with(|p| {
        p.set(p.get() + 1);
        p.get()
    });
    WALK.with(|w| w.set(None));
    wasm_bindgen_futures::spawn_local(async move {
        while PLAYING.with(Cell::get) == me {
            match next_row() {
                Ok(true) => TimeoutFuture::new(PLAY_MS).await,
                Ok(false) => break,
                Err(e) => {
                    let _ = dom::set_text("lookup-message", &e);
                    break;
                }
            }
        }
    });
}

/// The one-hot vector beside the factor table and the sum of the row products. While
/// walking (`walk`: rows done, and whether the walk is in this table), later rows wait
/// greyed out and the sum covers the rows done; the surviving row is marked once reached.
fn product_html(
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
            let v = table.values[row * k + f];
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
    dom::listen(&dom::by_id("lookup-next")?, "click", |_| {
        PLAYING.with(|p| p.set(p.get() + 1));
        if let Err(e) = next_row() {
            let _ = dom::set_text("lookup-message", &e);
        }
    });
    dom::listen(&dom::by_id("lookup-play")?, "click", |_| play());
    dom::listen(&dom::by_id("lookup-all")?, "click", |_| stop_walk());
    dom::on_click_async("lookup-step", app, "lookup-message", |a| Box::pin(async move { step_one(&a).await }))?;
    refresh(app);
    Ok(())
}
