//! Section 3, the spreadsheet: drawing it, moving around it with the keyboard, editing
//! numbers, and the Step / Run / Randomise controls. Every number comes from the core
//! crate's model on the chosen device (see `collab_core::sheet`).

use collab_core::error::clip;
use collab_core::sheet::Sheet;
use collab_core::train::{Divergence, OptimSettings, WdKind};
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, KeyboardEvent};

use crate::app::{App, Shared};
use crate::dom;
use crate::sheet_grid::{self, Cell};

/// Redraws the grid, the loss figures and the chart from the app's state.
pub fn render(app: &App) -> Result<(), String> {
    let grid = dom::by_id("sheet-grid")?;
    grid.set_inner_html(&sheet_grid::html(&app.sheet, app.eval.as_ref(), app.last_step.as_ref(), app.cursor));
    if let Some(eval) = &app.eval {
        if eval.mse.is_nan() {
            message(
                "The 15 users and 15 movies shown share no rating: there is nothing to fit. Load data with more ratings.",
            );
        }
        dom::set_text("sheet-mse", &format!("{:.4}", eval.mse))?;
        dom::set_text("sheet-rmse", &format!("{:.4}", eval.rmse))?;
        dom::set_text("sheet-l2", &format!("{:.4}", eval.l2))?;
    }
    dom::set_text("sheet-steps", &app.steps.to_string())?;
    dom::set_html("sheet-chart", &chart(&app.history))?;
    dom::set_text("sheet-run", if app.running { "Stop" } else { "Run" })?;
    dom::set_attr("sheet-run", "aria-pressed", if app.running { "true" } else { "false" })?;
    dom::set_attr("sheet", "data-state", if app.eval.is_some() { "ready" } else { "pending" })?;
    crate::decay_view::render(app)
}

/// Re-evaluates the sheet on the device, then redraws (dropping a stale result).
pub fn refresh(app: &Shared) {
    let (sheet, device, generation) = {
        let a = app.borrow();
        (a.sheet.clone(), a.device.device.clone(), a.generation)
    };
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let eval = sheet.evaluate(&device).await;
        let mut a = app.borrow_mut();
        if a.generation != generation {
            return;
        }
        match eval {
            Ok(eval) => a.eval = Some(eval),
            Err(e) => message(&format!("The device could not compute the sheet: {e}")),
        }
        let _ = render(&a);
        focus_cursor(&a);
        drop(a);
        crate::lookup_view::refresh(&app);
    });
}

/// One gradient step (on the mini-batch the visitor chose), then a redraw.
async fn step(app: &Shared) -> Result<(), String> {
    let (mut sheet, device, generation, seed, size) = {
        let a = app.borrow();
        (a.sheet.clone(), a.device.device.clone(), a.generation, a.steps, batch_size()?)
    };
    let cells = sheet.batch(size, seed);
    let step = sheet.step(&device, &cells).await.map_err(|e| format!("{e}. The numbers before this step are kept."))?;
    let eval = sheet.evaluate(&device).await.map_err(|e| e.to_string())?;
    if !eval.mse.is_finite() {
        // The step's numbers are finite but so large that the loss overflows.
        let s = sheet.settings;
        let optim = OptimSettings { wd: s.wd, wd_kind: s.wd_kind, ..OptimSettings::default() };
        let divergence = Divergence::new(None, eval.mse as f64, s.lr, &optim);
        return Err(format!("{divergence}. The numbers before this step are kept."));
    }
    let mut a = app.borrow_mut();
    if a.generation != generation {
        return Ok(());
    }
    a.history.push(eval.mse);
    a.sheet = sheet;
    a.eval = Some(eval);
    a.last_step = Some(step);
    a.steps += 1;
    a.generation += 1;
    render(&a)
}

/// Repeats steps until Stop, one every animation-friendly pause.
async fn run(app: &Shared) {
    while app.borrow().running {
        if let Err(e) = step(app).await {
            message(&e);
            app.borrow_mut().running = false;
        }
        gloo::timers::future::TimeoutFuture::new(40).await;
    }
    let _ = render(&app.borrow());
}

fn batch_size() -> Result<usize, String> {
    Ok(dom::value("sheet-batch")?.parse().unwrap_or(0))
}

/// Says something under the sheet (and to screen readers, via role=status).
pub fn message(text: &str) {
    let _ = dom::set_text("sheet-message", text);
}

/// Wires the grid's keyboard and mouse handling and the controls.
pub fn wire(app: &Shared) -> Result<(), String> {
    let grid = dom::by_id("sheet-grid")?;
    let a = app.clone();
    dom::keep(EventListener::new_with_options(
        &grid,
        "keydown",
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            if let Some(key) = e.dyn_ref::<KeyboardEvent>() {
                on_key(&a, key);
            }
        },
    ));
    // Select on mousedown, as spreadsheets do: a redraw between mousedown and mouseup (an
    // evaluation finishing) would turn the click into a click on the table itself.
    let a = app.clone();
    dom::keep(EventListener::new_with_options(
        &grid,
        "mousedown",
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            if let Some(pos) = cell_of(e) {
                let mut app = a.borrow_mut();
                if app.editing && pos == app.cursor {
                    return;
                }
                // The redraw replaces the cell under the pointer; focus the new one ourselves,
                // after letting go of the state: moving focus fires `change` on a control
                // that had it, whose handler needs the state too.
                e.prevent_default();
                app.editing = false;
                app.cursor = pos;
                let _ = render(&app);
                let cell = cursor_element(&app);
                drop(app);
                if let Some(cell) = cell {
                    let _ = cell.focus();
                }
            }
        },
    ));
    // The first mousedown already moved the cursor here.
    let a = app.clone();
    dom::listen(&grid, "dblclick", move |_| start_edit(&a, None));
    wire_controls(app)
}

fn wire_controls(app: &Shared) -> Result<(), String> {
    dom::on_click_async("sheet-step", app, "sheet-message", |a| Box::pin(async move { step(&a).await }))?;
    let a = app.clone();
    dom::listen(&dom::by_id("sheet-run")?, "click", move |_| {
        let start = {
            let mut app = a.borrow_mut();
            app.running = !app.running;
            app.running
        };
        let _ = render(&a.borrow());
        if start {
            let app = a.clone();
            wasm_bindgen_futures::spawn_local(async move { run(&app).await });
        }
    });
    let a = app.clone();
    dom::listen(&dom::by_id("sheet-randomise")?, "click", move |_| {
        {
            let mut app = a.borrow_mut();
            let seed = app.steps + 7 + app.generation;
            app.sheet.randomise(seed);
            reset_history(&mut app);
        }
        refresh(&a);
    });
    for id in ["sheet-lr", "sheet-k", "sheet-bias", "sheet-range", "sheet-wd", "sheet-wdkind"] {
        let a = app.clone();
        dom::listen(&dom::by_id(id)?, "change", move |_| {
            let result = apply_settings(&mut a.borrow_mut());
            match result {
                Ok(()) => message(""),
                Err(e) => message(&e),
            }
            refresh(&a);
        });
    }
    Ok(())
}

/// Reads the controls into the sheet's settings; a bad value is refused and the old kept.
fn apply_settings(app: &mut App) -> Result<(), String> {
    let number = |id: &str, what: &str, ok: fn(f64) -> bool| -> Result<f64, String> {
        let text = dom::value(id)?;
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && ok(*v))
            .ok_or(format!("“{}” is not a valid {what}", clip(&text, 40)))
    };
    let s = &mut app.sheet.settings;
    let mut errors = Vec::new();
    match number("sheet-lr", "learning rate (a number above 0)", |v| v > 0.0) {
        Ok(lr) => s.lr = lr,
        Err(e) => errors.push(e),
    }
    match number("sheet-wd", "weight decay (0 or more)", |v| v >= 0.0) {
        Ok(wd) => s.wd = wd,
        Err(e) => errors.push(e),
    }
    s.wd_kind = if dom::value("sheet-wdkind")? == "decoupled" { WdKind::Decoupled } else { WdKind::L2 };
    let bias = dom::checked("sheet-bias")?;
    let y_range = dom::checked("sheet-range")?;
    let k = number("sheet-k", "number of factors (1 to 10)", |v| (1.0..=10.0).contains(&v) && v.fract() == 0.0);
    let layout_changes = bias != s.bias || k.as_ref().is_ok_and(|&k| k as usize != s.k);
    s.bias = bias;
    s.y_range = y_range;
    match k {
        Ok(k) if k as usize != app.sheet.settings.k => app.sheet.set_k(k as usize, app.steps + 11),
        Ok(_) => {}
        Err(e) => errors.push(e),
    }
    if layout_changes {
        app.cursor = (0, 0);
        app.editing = false;
    }
    reset_history(app);
    if errors.is_empty() { Ok(()) } else { Err(format!("{}; the old value is kept.", errors.join("; "))) }
}

fn reset_history(app: &mut App) {
    app.history.clear();
    app.last_step = None;
    app.generation += 1;
}

fn on_key(app: &Shared, key: &KeyboardEvent) {
    let editing = app.borrow().editing;
    let k = key.key();
    if editing {
        match k.as_str() {
            "Enter" => {
                key.prevent_default();
                commit(app, (1, 0));
            }
            "Tab" => {
                key.prevent_default();
                commit(app, (0, if key.shift_key() { -1 } else { 1 }));
            }
            "Escape" => {
                key.prevent_default();
                let mut a = app.borrow_mut();
                a.editing = false;
                let _ = render(&a);
                focus_cursor(&a);
                message("Edit cancelled; the old value is kept.");
            }
            _ => {}
        }
        return;
    }
    let delta = match k.as_str() {
        "ArrowUp" => Some((-1, 0)),
        "ArrowDown" => Some((1, 0)),
        "ArrowLeft" => Some((0, -1)),
        "ArrowRight" => Some((0, 1)),
        "Tab" => Some((0, if key.shift_key() { -1 } else { 1 })),
        _ => None,
    };
    if let Some(delta) = delta {
        key.prevent_default();
        let mut a = app.borrow_mut();
        a.cursor = moved(&a.sheet, a.cursor, delta);
        let _ = render(&a);
        focus_cursor(&a);
    } else if k == "Enter" || k == "F2" {
        key.prevent_default();
        start_edit(app, None);
    } else if k.chars().count() == 1 && !key.ctrl_key() && !key.meta_key() && !key.alt_key() {
        // Typing over a cell starts an edit with that character, as in a spreadsheet.
        key.prevent_default();
        start_edit(app, Some(k));
    }
}

fn moved(sheet: &Sheet, (r, c): (usize, usize), (dr, dc): (isize, isize)) -> (usize, usize) {
    let grid = sheet_grid::layout(sheet);
    let rows = grid.len() as isize;
    let cols = grid.first().map_or(0, Vec::len) as isize;
    ((r as isize + dr).clamp(0, rows - 1) as usize, (c as isize + dc).clamp(0, cols - 1) as usize)
}

/// Puts an editor in the cursor's cell if that cell holds a number.
fn start_edit(app: &Shared, typed: Option<String>) {
    let mut a = app.borrow_mut();
    let grid = sheet_grid::layout(&a.sheet);
    let Some(Cell::Number { path, row, col, name }) = grid.get(a.cursor.0).and_then(|r| r.get(a.cursor.1)).cloned()
    else {
        message("Only the factor and bias cells can be edited; predictions follow from them.");
        return;
    };
    a.editing = true;
    let _ = render(&a);
    let value = typed.unwrap_or_else(|| sheet_grid::number(&a.sheet, path, row, col).to_string());
    if let Some(cell) = cursor_element(&a) {
        cell.set_inner_html(&format!(
            "<input id=\"sheet-editor\" aria-label=\"{}\" value=\"{}\" autocomplete=\"off\">",
            dom::escape(&name),
            dom::escape(&value)
        ));
    }
    if let Some(input) = editor() {
        let _ = input.focus();
        let len = input.value().len() as u32;
        let _ = input.set_selection_range(len, len);
    }
}

/// Commits the editor's text: a finite number is written and everything recomputes;
/// anything else is refused with a message and the old value kept.
fn commit(app: &Shared, (dr, dc): (isize, isize)) {
    let Some(text) = editor().map(|i| i.value()) else { return };
    let result = {
        let mut a = app.borrow_mut();
        let grid = sheet_grid::layout(&a.sheet);
        let Some(Cell::Number { path, row, col, .. }) = grid.get(a.cursor.0).and_then(|r| r.get(a.cursor.1)).cloned()
        else {
            return;
        };
        let old = sheet_grid::number(&a.sheet, path, row, col);
        let parsed = text.trim().parse::<f32>().map_err(|_| format!("“{}” is not a number", clip(&text, 40)));
        let result =
            parsed.and_then(|v| a.sheet.set(path, row, col, v)).map_err(|e| format!("{e}: the cell keeps {old}."));
        a.editing = false;
        if result.is_ok() {
            a.cursor = moved(&a.sheet, a.cursor, (dr, dc));
            reset_history(&mut a);
        }
        let _ = render(&a);
        focus_cursor(&a);
        result
    };
    match result {
        Ok(()) => {
            message("");
            refresh(app);
        }
        Err(e) => message(&e),
    }
}

fn cell_of(event: &web_sys::Event) -> Option<(usize, usize)> {
    let target: web_sys::Element = event.target()?.dyn_into().ok()?;
    let cell = target.closest("[data-r]").ok()??;
    Some((cell.get_attribute("data-r")?.parse().ok()?, cell.get_attribute("data-c")?.parse().ok()?))
}

fn cursor_element(app: &App) -> Option<HtmlElement> {
    let selector = format!("#sheet-grid [data-r=\"{}\"][data-c=\"{}\"]", app.cursor.0, app.cursor.1);
    dom::document().ok()?.query_selector(&selector).ok()??.dyn_into().ok()
}

/// Moves keyboard focus to the cursor's cell, if focus is already in the grid.
fn focus_cursor(app: &App) {
    let in_grid = dom::document()
        .ok()
        .and_then(|d| d.active_element())
        .is_some_and(|e| e.closest("#sheet-grid").ok().flatten().is_some() || e.tag_name() == "BODY");
    if in_grid
        && !app.editing
        && let Some(cell) = cursor_element(app)
    {
        let _ = cell.focus();
    }
}

fn editor() -> Option<HtmlInputElement> {
    dom::by_id("sheet-editor").ok()?.dyn_into().ok()
}

/// The loss after each step as a small SVG line (finite values only: a step that
/// diverges is refused before it reaches the history, and SVG cannot draw NaN).
fn chart(history: &[f32]) -> String {
    let history: Vec<f32> = history.iter().copied().filter(|v| v.is_finite()).collect();
    if history.len() < 2 {
        return String::from("<text x=\"8\" y=\"40\" class=\"hint\">Step or Run to plot the loss</text>");
    }
    let max = history.iter().cloned().fold(f32::MIN, f32::max).max(1e-6);
    let n = history.len() as f32 - 1.0;
    let points: Vec<String> = history
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", 4.0 + 312.0 * i as f32 / n, 76.0 - 70.0 * v / max))
        .collect();
    format!(
        "<polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" points=\"{}\"/><text x=\"6\" y=\"12\" class=\"hint\">MSE {:.3} → {:.3}</text>",
        points.join(" "),
        history[0],
        history[history.len() - 1]
    )
}
