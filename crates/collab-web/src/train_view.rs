//! Section 8: train on the loaded data (all of MovieLens-100k once loaded) with fastai's
//! one-cycle schedule, or step one batch and see what it touched. The training itself
//! runs in the worker (`worker.rs`); this view sends commands and draws what comes back.
//! Settings travel in the URL.

use collab_core::error::clip;
use collab_core::model::ModelKind;
use collab_core::save::load;
use collab_core::train::{WdKind, limits};

use crate::app::{Job, Shared, Trained};
use crate::protocol::{BatchView, Progress, Slot, SplitCounts, ToWorker, TrainSettings};
use crate::{dom, learned_view, trainer, url};

/// The controls' ids, their URL keys, and the values to start from.
pub const CONTROLS: [(&str, &str); 8] = [
    ("train-model", "model"),
    ("train-factors", "factors"),
    ("train-epochs", "epochs"),
    ("train-lr", "lr"),
    ("train-wd", "wd"),
    ("train-wdkind", "wdkind"),
    ("train-bs", "bs"),
    ("train-seed", "seed"),
];

/// Model names in the URL and the select.
pub fn kind_of(name: &str) -> Option<ModelKind> {
    Some(match name {
        "dot" => ModelKind::DotProduct,
        "dotbias" => ModelKind::DotProductBias,
        "scratch" => ModelKind::Scratch,
        "nn" => ModelKind::CollabNn,
        "embnn" => ModelKind::EmbeddingNn,
        _ => return None,
    })
}

/// Reads and checks the controls with the core's shared limits (the CLI checks the same);
/// the message names the first bad one.
pub fn read_settings() -> Result<TrainSettings, String> {
    fn num<T: std::str::FromStr, U>(id: &str, what: &str, check: impl Fn(T) -> Result<U, String>) -> Result<U, String> {
        let text = dom::value(id)?;
        let value = text.trim().parse::<T>().map_err(|_| format!("“{}” is not a valid {what}", clip(&text, 40)))?;
        check(value)
    }
    let kind = kind_of(&dom::value("train-model")?).ok_or("unknown model")?;
    let factors = match kind {
        // The neural models size their embeddings by fastai's rule; the field is unused.
        ModelKind::CollabNn | ModelKind::EmbeddingNn => 50,
        _ => num("train-factors", "number of factors", limits::factors)?,
    };
    Ok(TrainSettings {
        kind,
        factors,
        epochs: num("train-epochs", "number of epochs", limits::epochs)?,
        lr: num("train-lr", "learning rate", limits::lr)?,
        wd: num("train-wd", "weight decay", limits::wd)?,
        wd_kind: if dom::value("train-wdkind")? == "l2" { WdKind::L2 } else { WdKind::Decoupled },
        batch_size: num("train-bs", "batch size", limits::batch_size)?,
        seed: num("train-seed", "seed", |v: u64| Ok(v))?,
    })
}

/// Forgets section 8's fit (new data, new settings, or Reset).
pub fn reset(app: &Shared) {
    app.borrow_mut().train.jobs.remove(&Slot::Train);
    trainer::post(&ToWorker::Reset { slot: Slot::Train });
    let _ = dom::set_html("train-rows", "");
    let _ = dom::set_html("train-chart", "");
    let _ = dom::set_html("train-batch", "");
    let _ = dom::set_html("train-split", "");
    show_message("");
    let _ = dom::set_text("train-status", "Not started.");
    let _ = dom::set_attr("train-progress", "value", "0");
    let _ = dom::set_text("train-start", "Train");
    let _ = dom::set_attr("train", "data-state", "idle");
}

/// The settings of the fit in the worker, or the controls' if there is none yet.
fn job_settings(app: &Shared) -> Result<TrainSettings, String> {
    match app.borrow().train.jobs.get(&Slot::Train) {
        Some(job) => Ok(job.settings),
        None => read_settings(),
    }
}

/// Records whether section 8 trains, creating its job with `settings` if there is none.
fn remember(app: &Shared, settings: TrainSettings, running: bool) {
    app.borrow_mut().train.jobs.entry(Slot::Train).or_insert(Job { settings, running, snapshot: None, done: false });
    set_running(app, running);
}

/// True while section 8 trains (not paused, not done).
fn is_running(app: &Shared) -> bool {
    app.borrow().train.jobs.get(&Slot::Train).is_some_and(|j| j.running)
}

fn set_running(app: &Shared, running: bool) {
    if let Some(job) = app.borrow_mut().train.jobs.get_mut(&Slot::Train) {
        job.running = running;
    }
}

/// Train / Pause / Resume.
fn toggle(app: &Shared) -> Result<(), String> {
    if is_running(app) {
        set_running(app, false);
        trainer::post(&ToWorker::Pause { slot: Slot::Train });
        dom::set_text("train-start", "Resume")?;
        dom::set_text("train-status", "Paused.")?;
        return dom::set_attr("train", "data-state", "paused");
    }
    if app.borrow().train.jobs.get(&Slot::Train).is_some_and(|j| j.done) {
        // Train after a finished fit trains a new one (with the controls' settings).
        reset(app);
    }
    let settings = job_settings(app)?;
    remember(app, settings, true);
    trainer::post(&ToWorker::Run { slot: Slot::Train, settings });
    dom::set_text("train-status", "Training…")?;
    dom::set_text("train-start", "Pause")?;
    dom::set_attr("train", "data-state", "running")
}

/// One batch, shown in full when the worker answers.
fn step_one(app: &Shared) -> Result<(), String> {
    if is_running(app) {
        return Err("pause training first".into());
    }
    let settings = job_settings(app)?;
    remember(app, settings, false);
    trainer::post(&ToWorker::Step { slot: Slot::Train, settings });
    Ok(())
}

/// Shows a message from training under its buttons.
pub fn show_message(message: &str) {
    let _ = dom::set_text("train-message", message);
}

/// A command failed in the worker: training stops; the fit so far stays there.
pub fn on_failed(app: &Shared, message: &str) {
    set_running(app, false);
    show_message(message);
    if app.borrow().train.jobs.get(&Slot::Train).is_some_and(|j| j.done) {
        // A refused command after the end (Step past the last batch): still done.
        return;
    }
    let _ = dom::set_text("train-status", "Stopped.");
    let _ = dom::set_text("train-start", "Train");
    let _ = dom::set_attr("train", "data-state", "stopped");
}

/// Draws where the fit stands.
pub fn on_progress(app: &Shared, p: &Progress) {
    // After Reset (or new data) the page has no fit: a report the worker sent before it
    // heard of the Reset is stale, and must not bring back "Paused at step …".
    if !app.borrow().train.jobs.contains_key(&Slot::Train) {
        return;
    }
    let _ = render_rows(p);
    render_progress(p);
    if !p.done && !is_running(app) {
        let _ = dom::set_text("train-status", &format!("Paused at step {} of {}.", p.steps_done, p.total_steps));
    }
    if p.done {
        set_running(app, false);
        if let Some(job) = app.borrow_mut().train.jobs.get_mut(&Slot::Train) {
            job.done = true;
        }
        let _ = dom::set_text("train-status", &format!("Done: {} epochs, {} steps.", p.history.len(), p.steps_done));
        let _ = dom::set_text("train-start", "Train");
        let _ = dom::set_attr("train", "data-state", "done");
    }
}

/// Training is over: keep the model for sections 9 and 10.
pub fn on_trained(app: &Shared, model: &[u8], train_users: &[i32], train_items: &[i32]) {
    let loaded = match load(model, &learned_view::interpretation_device()) {
        Ok(loaded) => loaded,
        Err(e) => return show_message(&format!("the trained model could not be loaded: {e}")),
    };
    let mut rated = std::collections::HashMap::<i32, Vec<usize>>::new();
    for (&u, &i) in train_users.iter().zip(train_items) {
        rated.entry(u).or_default().push(i as usize);
    }
    app.borrow_mut().trained =
        Some(Trained { spec: loaded.spec, users: loaded.users, items: loaded.items, model: loaded.model, rated });
    learned_view::refresh(app);
}

/// The split and what `#na#` means, with this data's numbers.
pub fn render_split(d: &SplitCounts) -> Result<(), String> {
    dom::set_html(
        "train-split",
        &format!(
            "<li>{} training ratings, {} validation ratings (a seeded random 20%).</li>\
             <li>Vocabularies built from the training ratings only: {} users and {} movies, each counting <code>#na#</code> at index 0.</li>\
             <li>Index 0, <code>#na#</code> (“not available”), stands for anyone or anything the training split never saw. \
             {} validation ratings come from users who appear only in validation, and {} are of movies that do: \
             the model meets them as index 0 and can only guess from row 0, which training never moved.</li>",
            d.train, d.valid, d.users, d.items, d.valid_only_users, d.valid_only_items
        ),
    )
}

/// fastai's table: epoch, train_loss, valid_loss, rmse, time.
fn render_rows(p: &Progress) -> Result<(), String> {
    let rows: String = p
        .history
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{}</td><td>{:.6}</td><td>{:.6}</td><td>{:.4}</td><td>{:.2} s</td></tr>",
                r.epoch, r.train_loss, r.valid_loss, r.rmse, r.seconds
            )
        })
        .collect();
    dom::set_html("train-rows", &rows)
}

fn render_progress(p: &Progress) {
    let _ = dom::set_attr("train-progress", "max", &p.total_steps.to_string());
    let _ = dom::set_attr("train-progress", "value", &p.steps_done.to_string());
    let _ = dom::set_text(
        "train-status",
        &format!(
            "step {} of {}, epoch {} · lr {:.2e} · beta1 {:.3}",
            p.steps_done, p.total_steps, p.epoch, p.lr, p.beta1
        ),
    );
    let _ = dom::set_html("train-chart", &chart(p));
}

/// Smoothed train loss by step, and valid loss at each epoch's end (finite values only:
/// there is no valid loss without a validation split, and SVG cannot draw NaN).
fn chart(p: &Progress) -> String {
    let total = p.total_steps.max(1) as f64;
    let per_epoch = p.batches_per_epoch.max(1) as f64;
    let valid: Vec<(f64, f64)> = p
        .history
        .iter()
        .map(|r| ((r.epoch + 1) as f64 * per_epoch, r.valid_loss))
        .filter(|v| v.1.is_finite())
        .collect();
    let points: Vec<(usize, f64)> = p.points.iter().copied().filter(|v| v.1.is_finite()).collect();
    let max = points.iter().map(|p| p.1).chain(valid.iter().map(|v| v.1)).fold(0.1f64, f64::max);
    let xy = |step: f64, loss: f64| format!("{:.1},{:.1}", 40.0 + 550.0 * step / total, 170.0 - 160.0 * loss / max);
    let train: Vec<String> = points.iter().map(|&(s, v)| xy(s as f64, v)).collect();
    let dots: String = valid
        .iter()
        .map(|&(s, v)| format!("<circle cx=\"{}\" r=\"3.5\" class=\"valid\"/>", xy(s, v).replace(',', "\" cy=\"")))
        .collect();
    format!(
        "<line x1=\"40\" y1=\"170\" x2=\"590\" y2=\"170\" class=\"axis\"/><line x1=\"40\" y1=\"10\" x2=\"40\" y2=\"170\" class=\"axis\"/>\
         <text x=\"4\" y=\"16\" class=\"hint\">{max:.2}</text><text x=\"4\" y=\"170\" class=\"hint\">0</text>\
         <polyline class=\"train\" points=\"{}\"/>{dots}\
         <text x=\"460\" y=\"20\" class=\"hint\">— train (smoothed) ● valid</text>",
        train.join(" ")
    )
}

/// A stepped batch: who, what, rating, prediction, loss, schedule, rows moved.
pub fn render_batch(v: &BatchView) -> Result<(), String> {
    let mut html = format!(
        "<p>Step {} (epoch {}): learning rate {:.3e}, beta1 {:.4}; batch loss (MSE) <output id=\"train-batch-loss\">{:.4}</output></p>\
         <div class=\"side-by-side\"><table class=\"plain\" aria-label=\"The batch\"><thead><tr><th>user</th><th>movie</th><th>rating</th><th>prediction</th></tr></thead><tbody>",
        v.step, v.epoch, v.lr, v.beta1, v.loss
    );
    for r in &v.rows {
        html.push_str(&format!(
            "<tr><td>{} (#{})</td><td>{} (#{})</td><td>{}</td><td>{:.2}</td></tr>",
            dom::escape(&r.user),
            r.user_index,
            dom::escape(&r.title),
            r.item_index,
            r.rating,
            r.prediction
        ));
    }
    if v.batch_len > v.rows.len() {
        html.push_str(&format!("<tr><td colspan=\"4\">… and {} more</td></tr>", v.batch_len - v.rows.len()));
    }
    html.push_str("</tbody></table>");
    let moved = |label: &str, moves: &[(String, f32)], touched: usize| {
        let mut h = format!(
            "<table class=\"plain\" aria-label=\"{label} rows moved\"><thead><tr><th>{label} row</th><th>moved by</th></tr></thead><tbody>"
        );
        for (name, m) in moves {
            h.push_str(&format!("<tr><td>{}</td><td>{m:.5}</td></tr>", dom::escape(name)));
        }
        h + &format!(
            "<tr><td colspan=\"2\">{touched} rows touched; the other rows only felt weight decay</td></tr></tbody></table>"
        )
    };
    html.push_str(&moved("user", &v.user_moves, v.users_touched));
    html.push_str(&moved("movie", &v.item_moves, v.items_touched));
    html.push_str("</div>");
    dom::set_html("train-batch", &html)
}

/// Wires the buttons and the settings (which also go into the URL).
pub fn wire(app: &Shared) -> Result<(), String> {
    url::apply_to_controls(&CONTROLS)?;
    for (id, _) in CONTROLS {
        let a = app.clone();
        dom::listen(&dom::by_id(id)?, "change", move |_| {
            url::store_controls(&CONTROLS);
            match read_settings() {
                Ok(_) => reset(&a),
                Err(e) => show_message(&format!("{e}; training keeps its last good settings.")),
            }
        });
    }
    dom::on_click("train-start", app, "train-message", toggle)?;
    dom::on_click("train-step", app, "train-message", step_one)?;
    let a = app.clone();
    dom::listen(&dom::by_id("train-reset")?, "click", move |_| reset(&a));
    Ok(())
}
