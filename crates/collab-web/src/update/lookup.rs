//! The lookup's rules: which rating is shown, the walk through the one-hot product, and
//! the step on one rating.

use collab_core::sheet::{ITEM_FACTORS, SheetStep, USER_FACTORS};

use crate::effect::Effect;
use crate::msg::{LookupMsg, Msg};
use crate::state::{App, LookupShown};

/// Milliseconds between two rows when the product plays by itself.
const PLAY_MS: u32 = 150;

pub fn update(app: &mut App, msg: LookupMsg) -> Vec<Effect> {
    match msg {
        LookupMsg::Pick(cell) => {
            app.lookup.pick = Some(cell);
            app.lookup.moved.clear();
            super::lookup_effect(app)
        }
        LookupMsg::Computed { generation, cell: at, result } => {
            if generation != app.sheet.generation || Some(at) != app.lookup_cell() {
                return Vec::new();
            }
            let weights = &app.sheet.sheet.weights;
            let tables = weights.get(USER_FACTORS).cloned().zip(weights.get(ITEM_FACTORS).cloned());
            let l = &mut app.lookup;
            match result.and_then(|lookup| Ok((lookup, tables.ok_or("the sheet has no factor tables")?))) {
                Ok((lookup, (users, items))) => {
                    l.shown = Some(LookupShown {
                        generation,
                        user: at.0,
                        item: at.1,
                        lookup,
                        users,
                        items,
                        k: app.sheet.sheet.settings.k,
                    });
                    l.walk = None;
                    l.walk_done = false;
                    l.playing = None;
                    l.message.clear();
                }
                Err(e) => l.message = e,
            }
            Vec::new()
        }
        LookupMsg::Next => {
            app.lookup.playing = None;
            next_row(app);
            Vec::new()
        }
        LookupMsg::Play => {
            let id = app.new_id();
            let l = &mut app.lookup;
            l.playing = Some(id);
            l.walk = None;
            l.walk_done = false;
            tick(app, id)
        }
        LookupMsg::Tick(id) => tick(app, id),
        LookupMsg::ShowAll => {
            let l = &mut app.lookup;
            l.playing = None;
            l.walk = None;
            l.walk_done = false;
            Vec::new()
        }
        LookupMsg::Step => match app.lookup_cell() {
            Some(at) => vec![Effect::StepSheet {
                generation: app.sheet.generation,
                sheet: app.sheet.sheet.clone(),
                cells: vec![at],
                lookup: true,
            }],
            None => {
                app.lookup.message = "pick a rating first".into();
                Vec::new()
            }
        },
        LookupMsg::Stepped { generation, result } => {
            if generation != app.sheet.generation {
                return Vec::new();
            }
            let (sheet, step, eval) = match result {
                Ok(done) => done,
                Err(e) => {
                    app.lookup.message = e;
                    return Vec::new();
                }
            };
            let moved = moved_text(&step, sheet.dims());
            match super::sheet::stepped(app, sheet, step, eval, 1) {
                Ok(effects) => {
                    app.lookup.moved = moved;
                    effects
                }
                Err(e) => {
                    app.lookup.message = e;
                    Vec::new()
                }
            }
        }
    }
}

/// A tick of play `id`: one more row, and the next tick unless the walk is over or
/// another play (or a click) took over.
fn tick(app: &mut App, id: u64) -> Vec<Effect> {
    if app.lookup.playing != Some(id) {
        return Vec::new();
    }
    if next_row(app) {
        vec![Effect::After { ms: PLAY_MS, msg: Box::new(Msg::Lookup(LookupMsg::Tick(id))) }]
    } else {
        app.lookup.playing = None;
        Vec::new()
    }
}

/// Multiplies one more row; false once every row of both tables is done.
fn next_row(app: &mut App) -> bool {
    let l = &mut app.lookup;
    let Some(shown) = &l.shown else {
        l.message = "pick a rating first".into();
        return false;
    };
    let rows = shown.lookup.user_one_hot.len() + shown.lookup.item_one_hot.len();
    let at = l.walk.map_or(0, |w| w + 1);
    if at >= rows {
        l.walk = None;
        l.walk_done = true;
        return false;
    }
    l.walk = Some(at);
    l.walk_done = false;
    true
}

/// Which rows of each factor table a step on one rating changed.
pub fn moved_text(step: &SheetStep, (n_users, n_items): (usize, usize)) -> String {
    let moved = |path: &str| -> Vec<usize> {
        let Some(d) = step.deltas.get(path) else { return Vec::new() };
        let k = d.shape[1];
        (0..d.shape[0]).filter(|r| d.values[r * k..(r + 1) * k].iter().any(|&x| x != 0.0)).collect()
    };
    let (users, items) = (moved(USER_FACTORS), moved(ITEM_FACTORS));
    format!(
        "After one step on this rating, user rows {users:?} and movie rows {items:?} changed; the other {} user rows and {} movie rows did not.",
        n_users - users.len(),
        n_items - items.len()
    )
}
