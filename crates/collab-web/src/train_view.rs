//! Section 8: train on the loaded data (all of MovieLens-100k once loaded) with fastai's
//! one-cycle schedule, in slices of about 20 ms so the page never freezes; or step one
//! batch and see what it touched. Settings travel in the URL.

use std::sync::Arc;

use burn::module::Module;
use collab_core::data::{CollabData, DataSettings, ItemKey};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read;
use collab_core::train::{FitSettings, Learner, OptimSettings, OptimizerKind, Schedule, WdKind};
use gloo::timers::future::TimeoutFuture;

use crate::app::{App, Shared, Trained};
use crate::{dom, learned_view, url};

/// Milliseconds of training between yields to the browser.
const SLICE_MS: f64 = 20.0;
/// At most this many batches between two loss reads (one point on the chart each).
const SLICE_BATCHES: usize = 50;
/// Validation rows per slice.
const VALID_CHUNK: usize = 2048;

/// The settings the controls hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainSettings {
    pub kind: ModelKind,
    pub factors: usize,
    pub epochs: usize,
    pub lr: f64,
    pub wd: f64,
    pub wd_kind: WdKind,
    pub batch_size: usize,
    pub seed: u64,
}

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

/// Reads and checks the controls; the message names the first bad one.
pub fn read_settings() -> Result<TrainSettings, String> {
    fn num<T: std::str::FromStr>(id: &str, what: &str, ok: impl Fn(&T) -> bool) -> Result<T, String> {
        let text = dom::value(id)?;
        text.trim().parse::<T>().ok().filter(|v| ok(v)).ok_or(format!("“{text}” is not a valid {what}"))
    }
    Ok(TrainSettings {
        kind: kind_of(&dom::value("train-model")?).ok_or("unknown model")?,
        factors: num("train-factors", "number of factors (1 to 400)", |v: &usize| (1..=400).contains(v))?,
        epochs: num("train-epochs", "number of epochs (1 to 50)", |v: &usize| (1..=50).contains(v))?,
        lr: num("train-lr", "learning rate", |v: &f64| v.is_finite() && *v > 0.0 && *v < 10.0)?,
        wd: num("train-wd", "weight decay", |v: &f64| v.is_finite() && *v >= 0.0)?,
        wd_kind: if dom::value("train-wdkind")? == "l2" { WdKind::L2 } else { WdKind::Decoupled },
        batch_size: num("train-bs", "batch size (1 to 4096)", |v: &usize| (1..=4096).contains(v))?,
        seed: num("train-seed", "seed", |_: &u64| true)?,
    })
}

/// A learner for the loaded table and the settings.
pub fn new_learner(app: &App, s: TrainSettings) -> Learner {
    let settings = DataSettings { item_key: ItemKey::Title, valid_pct: 0.2, seed: s.seed, batch_size: s.batch_size };
    let data = Arc::new(CollabData::new(&app.table, settings));
    let spec = ModelSpec { n_factors: s.factors, ..ModelSpec::new(s.kind, data.users.len(), data.items.len()) };
    let fit = FitSettings {
        epochs: s.epochs,
        schedule: Schedule::OneCycle { lr_max: s.lr },
        optim: OptimSettings { kind: OptimizerKind::Adam, wd: s.wd, wd_kind: s.wd_kind },
        seed: s.seed,
    };
    Learner::new(data, spec, fit, &app.device.device)
}

/// Forgets the learner (new data, or Reset).
pub fn reset(app: &mut App) {
    app.train.learner = None;
    app.train.running = false;
    app.train.train_points.clear();
    app.train.epoch_ms = 0.0;
    app.train.run_id += 1;
    app.train.busy = false;
    let _ = dom::set_html("train-rows", "");
    let _ = dom::set_html("train-chart", "");
    let _ = dom::set_html("train-batch", "");
    let _ = dom::set_text("train-status", "Not started.");
    let _ = dom::set_attr("train-progress", "value", "0");
    let _ = dom::set_text("train-start", "Train");
    let _ = dom::set_attr("train", "data-state", "idle");
}

/// Takes the learner out (creating it if needed) so it can cross an `await`.
fn take_learner(app: &Shared) -> Result<Learner, String> {
    let settings = read_settings()?;
    let mut a = app.borrow_mut();
    if a.train.busy {
        return Err("the model is busy with another batch".into());
    }
    a.train.busy = true;
    match a.train.learner.take() {
        Some(l) => Ok(l),
        None => {
            let learner = new_learner(&a, settings);
            render_split(&learner)?;
            a.train.epoch_ms = 0.0;
            Ok(learner)
        }
    }
}

fn put_back(app: &Shared, learner: Learner) {
    let mut a = app.borrow_mut();
    a.train.learner = Some(learner);
    a.train.busy = false;
}

/// Validation sums computed a chunk at a time, yielding to the browser between chunks.
pub async fn valid_sums(learner: &Learner) -> Vec<burn::tensor::Tensor<1>> {
    let mut sums = Vec::new();
    for begin in (0..learner.data.valid.len()).step_by(VALID_CHUNK) {
        sums.push(learner.valid_sse(begin, VALID_CHUNK));
        TimeoutFuture::new(0).await;
    }
    sums
}

/// Validates in slices, closes the epoch and records the row.
async fn close_epoch(app: &Shared, learner: &mut Learner) -> Result<(), String> {
    let start = dom::now_ms();
    let sums = valid_sums(learner).await;
    let ms = app.borrow().train.epoch_ms + dom::now_ms() - start;
    learner.close_epoch(sums, ms / 1000.0).await.map_err(|e| e.to_string())?;
    app.borrow_mut().train.epoch_ms = 0.0;
    render_rows(learner)
}

/// Runs slices until paused, reset or done.
async fn run(app: Shared) {
    let run_id = app.borrow().train.run_id;
    loop {
        let mut learner = match take_learner(&app) {
            Ok(l) => l,
            Err(e) => {
                stop(&app, &e);
                return;
            }
        };
        if learner.steps_done() == 0 {
            // Splitting the data and building the model was one task already: let the
            // browser breathe before the first slice.
            TimeoutFuture::new(0).await;
        }
        let start = dom::now_ms();
        let mut batches = 0;
        while batches < SLICE_BATCHES
            && dom::now_ms() - start < SLICE_MS
            && !learner.is_done()
            && !learner.epoch_complete()
        {
            learner.train_batch(false);
            batches += 1;
        }
        let result = async {
            let smooth = learner.read_losses().await.map_err(|e| e.to_string())?;
            // Counted after the read: on WebGPU the batches only queued their work.
            app.borrow_mut().train.epoch_ms += dom::now_ms() - start;
            app.borrow_mut().train.train_points.push((learner.steps_done(), smooth));
            if learner.epoch_complete() && !learner.data.valid.is_empty() {
                close_epoch(&app, &mut learner).await?;
            }
            Ok::<(), String>(())
        }
        .await;
        let done = learner.is_done();
        let reset_meanwhile = app.borrow().train.run_id != run_id;
        if reset_meanwhile {
            return;
        }
        render_progress(&learner, &app.borrow());
        if done {
            finish(&app, learner);
            return;
        }
        put_back(&app, learner);
        if let Err(e) = result {
            stop(&app, &format!("Training stopped: {e}. The weights of the last completed step are kept."));
            return;
        }
        if !app.borrow().train.running {
            let _ = dom::set_text("train-status", "Paused.");
            return;
        }
        TimeoutFuture::new(0).await;
    }
}

fn stop(app: &Shared, message: &str) {
    app.borrow_mut().train.running = false;
    let _ = dom::set_text("train-status", message);
    let _ = dom::set_text("train-start", "Train");
}

/// Training is over: keep the model for sections 9 and 10.
fn finish(app: &Shared, learner: Learner) {
    let status = format!("Done: {} epochs, {} steps.", learner.history.len(), learner.steps_done());
    let mut rated = std::collections::HashMap::<i32, Vec<usize>>::new();
    for (&u, &i) in learner.data.train.users.iter().zip(&learner.data.train.items) {
        rated.entry(u).or_default().push(i as usize);
    }
    {
        let mut a = app.borrow_mut();
        a.trained = Some(Trained {
            spec: learner.spec.clone(),
            users: learner.data.users.clone(),
            items: learner.data.items.clone(),
            model: learner.model.valid(),
            rated,
        });
        a.train.running = false;
    }
    put_back(app, learner);
    let _ = dom::set_text("train-status", &status);
    let _ = dom::set_text("train-start", "Train");
    let _ = dom::set_attr("train", "data-state", "done");
    learned_view::refresh(app);
}

/// One batch, shown in full: who, what, rating, prediction, loss, schedule, rows moved.
async fn step_one(app: &Shared) -> Result<(), String> {
    if app.borrow().train.running {
        return Err("pause training first".into());
    }
    let mut learner = take_learner(app)?;
    let outcome = async {
        if learner.is_done() {
            return Err("the fit is complete; Reset to start again".to_string());
        }
        let trace = learner.train_batch_traced().ok_or("no batch left in this epoch")?;
        let preds = read::floats(trace.step.preds.clone()).await.map_err(|e| e.to_string())?;
        let loss = read::floats(trace.step.loss.clone()).await.map_err(|e| e.to_string())?[0];
        let user_moves = read::floats(trace.user_moves.clone()).await.map_err(|e| e.to_string())?;
        let item_moves = read::floats(trace.item_moves.clone()).await.map_err(|e| e.to_string())?;
        render_batch(&learner, &trace, &preds, loss, &user_moves, &item_moves)?;
        let smooth = learner.read_losses().await.map_err(|e| e.to_string())?;
        app.borrow_mut().train.train_points.push((learner.steps_done(), smooth));
        if learner.epoch_complete() && !learner.data.valid.is_empty() {
            close_epoch(app, &mut learner).await?;
        }
        Ok(())
    }
    .await;
    render_progress(&learner, &app.borrow());
    if learner.is_done() {
        finish(app, learner);
    } else {
        put_back(app, learner);
    }
    outcome
}

fn render_split(l: &Learner) -> Result<(), String> {
    let d = &l.data;
    let (users_na, items_na) = d.valid_only_counts();
    dom::set_html(
        "train-split",
        &format!(
            "<li>{} training ratings, {} validation ratings (a seeded random 20%).</li>\
             <li>Vocabularies built from the training ratings only: {} users and {} movies, each counting <code>#na#</code> at index 0.</li>\
             <li>Index 0, <code>#na#</code> (“not available”), stands for anyone or anything the training split never saw. \
             {users_na} validation ratings come from users who appear only in validation, and {items_na} are of movies that do: \
             the model meets them as index 0 and can only guess from row 0, which training never moved.</li>",
            d.train.len(),
            d.valid.len(),
            d.users.len(),
            d.items.len()
        ),
    )
}

fn render_rows(l: &Learner) -> Result<(), String> {
    let rows: String = l
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

fn render_progress(l: &Learner, app: &App) {
    let total = l.total_steps().max(1);
    let _ = dom::set_attr("train-progress", "max", &total.to_string());
    let _ = dom::set_attr("train-progress", "value", &l.steps_done().to_string());
    let (lr, beta1) = l.settings.schedule.at(l.steps_done().min(total - 1), total);
    let _ = dom::set_text(
        "train-status",
        &format!(
            "step {} of {total}, epoch {} · lr {lr:.2e} · beta1 {beta1:.3}",
            l.steps_done(),
            l.epoch().min(l.settings.epochs - 1)
        ),
    );
    let _ = dom::set_html("train-chart", &chart(&app.train.train_points, l));
}

/// Smoothed train loss by step, and valid loss at each epoch's end.
fn chart(points: &[(usize, f64)], l: &Learner) -> String {
    let total = l.total_steps().max(1) as f64;
    let per_epoch = l.data.batches_per_epoch().max(1) as f64;
    let valid: Vec<(f64, f64)> = l.history.iter().map(|r| ((r.epoch + 1) as f64 * per_epoch, r.valid_loss)).collect();
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

fn render_batch(
    l: &Learner,
    t: &collab_core::train::BatchTrace,
    preds: &[f32],
    loss: f32,
    user_moves: &[f32],
    item_moves: &[f32],
) -> Result<(), String> {
    let d = &l.data;
    let b = &t.step.batch;
    let mut html = format!(
        "<p>Step {} (epoch {}): learning rate {:.3e}, beta1 {:.4}; batch loss (MSE) <output id=\"train-batch-loss\">{loss:.4}</output></p>\
         <div class=\"side-by-side\"><table class=\"plain\" aria-label=\"The batch\"><thead><tr><th>user</th><th>movie</th><th>rating</th><th>prediction</th></tr></thead><tbody>",
        t.step.step, t.step.epoch, t.step.lr, t.step.beta1
    );
    for (n, pred) in preds.iter().enumerate().take(12) {
        html.push_str(&format!(
            "<tr><td>{} (#{})</td><td>{} (#{})</td><td>{}</td><td>{:.2}</td></tr>",
            d.users.labels[b.users[n] as usize],
            b.users[n],
            dom::escape(&d.items.labels[b.items[n] as usize]),
            b.items[n],
            b.ratings[n],
            pred
        ));
    }
    if b.len() > 12 {
        html.push_str(&format!("<tr><td colspan=\"4\">… and {} more</td></tr>", b.len() - 12));
    }
    html.push_str("</tbody></table>");
    let moved = |label: &str, rows: &[i32], moves: &[f32], name: &dyn Fn(usize) -> String| {
        let mut pairs: Vec<(i32, f32)> = rows.iter().copied().zip(moves.iter().copied()).collect();
        pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut h = format!(
            "<table class=\"plain\" aria-label=\"{label} rows moved\"><thead><tr><th>{label} row</th><th>moved by</th></tr></thead><tbody>"
        );
        for (row, m) in pairs.iter().take(8) {
            h.push_str(&format!("<tr><td>{}</td><td>{m:.5}</td></tr>", dom::escape(&name(*row as usize))));
        }
        h + &format!(
            "<tr><td colspan=\"2\">{} rows touched; the other rows only felt weight decay</td></tr></tbody></table>",
            rows.len()
        )
    };
    html.push_str(&moved("user", &t.user_rows, user_moves, &|r| format!("{} (#{r})", d.users.labels[r])));
    html.push_str(&moved("movie", &t.item_rows, item_moves, &|r| d.items.labels[r].clone()));
    html.push_str("</div>");
    dom::set_html("train-batch", &html)
}

/// Wires the buttons and the settings (which also go into the URL).
pub fn wire(app: &Shared) -> Result<(), String> {
    url::apply_to_controls(&CONTROLS)?;
    reset(&mut app.borrow_mut());
    for (id, _) in CONTROLS {
        let a = app.clone();
        dom::listen(&dom::by_id(id)?, "change", move |_| {
            url::store_controls(&CONTROLS);
            match read_settings() {
                Ok(_) => {
                    let _ = dom::set_text("train-message", "");
                    reset(&mut a.borrow_mut());
                }
                Err(e) => {
                    let _ = dom::set_text("train-message", &format!("{e}; training keeps its last good settings."));
                }
            }
        });
    }
    let a = app.clone();
    dom::listen(&dom::by_id("train-start")?, "click", move |_| {
        let start = {
            let mut app = a.borrow_mut();
            app.train.running = !app.train.running;
            app.train.running
        };
        let _ = dom::set_text("train-start", if start { "Pause" } else { "Resume" });
        let _ = dom::set_attr("train", "data-state", if start { "running" } else { "paused" });
        if start {
            wasm_bindgen_futures::spawn_local(run(a.clone()));
        }
    });
    dom::on_click_async("train-step", app, "train-message", |a| Box::pin(async move { step_one(&a).await }))?;
    let a = app.clone();
    dom::listen(&dom::by_id("train-reset")?, "click", move |_| reset(&mut a.borrow_mut()));
    Ok(())
}
