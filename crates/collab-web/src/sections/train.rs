//! Section 8: where the fit stands (status, progress, button, state), fastai's table of
//! epochs, the loss chart, the split, and a stepped batch in full.

use super::{Patch, attr, flag, html, text};
use crate::html::{Frame, escape, fitted};
use crate::protocol::{BatchView, Engine, Progress, SplitCounts};
use crate::state::{App, Fit, Phase};
use collab_core::model::nn::emb_size;

pub const IDS: &[&str] = &[
    "train",
    "train-device",
    "train-race",
    "train-on",
    "train-optim",
    "train-model",
    "train-factors",
    "train-factors-note",
    "train-epochs",
    "train-lr",
    "train-wd",
    "train-wdkind",
    "train-bs",
    "train-seed",
    "train-start",
    "train-step",
    "train-reset",
    "train-progress",
    "train-status",
    "train-message",
    "train-split",
    "train-rows",
    "train-chart",
    "train-batch",
    "train-lrfind",
    "train-lrfind-text",
    "train-lrfind-chart",
    "train-lrfind-use",
];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let t = &app.train;
    let (factors_used, note) = factors_note(app);
    out.push(flag("train-factors", "disabled", !factors_used));
    out.push(text("train-factors-note", note));
    out.push(text("train-device", device(app)));
    out.push(text("train-race", t.placed.clone()));
    out.push(text("train-message", t.message.clone()));
    out.push(text("train-status", status(t.fit.as_ref())));
    out.push(text("train-start", button(t.fit.as_ref())));
    out.push(attr("train", "data-state", state(t.fit.as_ref())));
    let progress = t.fit.as_ref().and_then(|f| f.progress.as_ref());
    out.push(attr("train-progress", "max", progress.map_or(1, |p| p.total_steps).to_string()));
    out.push(attr("train-progress", "value", progress.map_or(0, |p| p.steps_done).to_string()));
    out.push(html("train-rows", progress.map(rows).unwrap_or_default()));
    out.push(html("train-chart", progress.map(chart).unwrap_or_default()));
    out.push(html("train-split", t.split.as_ref().map(split).unwrap_or_default()));
    out.push(html("train-batch", t.batch.as_ref().map(batch).unwrap_or_default()));
    super::lr_find(
        t.lr_find.as_ref(),
        ["train-lrfind", "train-lrfind-text", "train-lrfind-chart", "train-lrfind-use"],
        out,
    );
}

/// Whether the factors field is used, and if not, what sizes the embeddings instead: the
/// neural models size each embedding by fastai's rule from its vocabulary (exact once a
/// fit has split the data, MovieLens-100k's figures before).
pub fn factors_note(app: &App) -> (bool, String) {
    let name = match app.train.controls.get(collab_core::settings::Key::Model) {
        "nn" => "CollabNN",
        "embnn" => "EmbeddingNN",
        _ => return (true, String::new()),
    };
    let sizes = match &app.train.split {
        Some(s) => format!("{} for {} users, {} for {} movies", emb_size(s.users), s.users, emb_size(s.items), s.items),
        None => format!("on MovieLens-100k {} for 944 users, {} for 1,665 movies", emb_size(944), emb_size(1665)),
    };
    (false, format!("(not used: {name} sizes its embeddings by fastai's rule, min(600, round(1.6·n^0.56)): {sizes})"))
}

/// The training worker's device as the visitor reads it (what it reported once ready).
pub fn device(app: &App) -> String {
    match (app.worker.ready, app.worker.engine) {
        (true, _) => app.worker.label.clone(),
        (false, Engine::Cpu) => "the CPU (starting…)".into(),
        (false, Engine::WebGpu) => "WebGPU (loading its module…)".into(),
    }
}

/// The section's state for styling and tests: idle, running, paused, done or stopped.
pub fn state(fit: Option<&Fit>) -> &'static str {
    match fit.map(|f| f.phase) {
        None => "idle",
        Some(Phase::Running) => "running",
        Some(Phase::Paused) => "paused",
        Some(Phase::Done) => "done",
        Some(Phase::Stopped) => "stopped",
    }
}

/// The Train button's label: what a click does next.
pub fn button(fit: Option<&Fit>) -> &'static str {
    match fit.map(|f| f.phase) {
        Some(Phase::Running) => "Pause",
        Some(Phase::Paused) => "Resume",
        _ => "Train",
    }
}

/// Where the fit stands, in words.
pub fn status(fit: Option<&Fit>) -> String {
    let Some(fit) = fit else { return "Not started.".into() };
    let p = fit.progress.as_ref();
    match (fit.phase, p) {
        (Phase::Running, None) => "Training…".into(),
        (Phase::Running, Some(p)) => format!(
            "step {} of {}, epoch {} · lr {:.2e} · beta1 {:.3}",
            p.steps_done, p.total_steps, p.epoch, p.lr, p.beta1
        ),
        (Phase::Paused, None) => "Paused.".into(),
        (Phase::Paused, Some(p)) => format!("Paused at step {} of {}.", p.steps_done, p.total_steps),
        (Phase::Done, p) => {
            let (epochs, steps) = p.map_or((0, 0), |p| (p.history.len(), p.steps_done));
            let plural = |n: usize, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
            format!("Done: {}, {}.", plural(epochs, "epoch"), plural(steps, "step"))
        }
        (Phase::Stopped, _) => "Stopped.".into(),
    }
}

/// fastai's table: epoch, train_loss, valid_loss, rmse, time.
fn rows(p: &Progress) -> String {
    p.history
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{}</td><td>{:.6}</td><td>{:.6}</td><td>{:.4}</td><td>{:.2} s</td></tr>",
                r.epoch, r.train_loss, r.valid_loss, r.rmse, r.seconds
            )
        })
        .collect()
}

/// Smoothed train loss by step, and valid loss at each epoch's end.
pub fn chart(p: &Progress) -> String {
    let total = p.total_steps.max(1) as f64;
    let per_epoch = p.batches_per_epoch.max(1) as f64;
    let valid: Vec<(f64, f64)> = p
        .history
        .iter()
        .map(|r| ((r.epoch + 1) as f64 * per_epoch, r.valid_loss))
        .filter(|v| v.1.is_finite())
        .collect();
    let points: Vec<(f64, f64)> = p.points.iter().map(|&(s, v)| (s as f64, v)).collect();
    let range = fitted(points.iter().chain(&valid).map(|p| p.1));
    let frame = Frame { left: 46.0, right: 590.0, top: 10.0, bottom: 160.0 };
    let dots: String = valid
        .iter()
        .map(|&v| {
            let (x, y) = frame.point_in(v, total, range);
            format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" class=\"valid\"/>")
        })
        .collect();
    // A tick at the end of each epoch, labelled with its number, as fastai's table counts.
    let epochs = (total / per_epoch).round() as usize;
    let ticks: String = (1..=epochs)
        .map(|e| {
            let (x, _) = frame.point((e as f64 * per_epoch, 0.0), total, 1.0);
            format!(
                "<line x1=\"{x:.1}\" y1=\"160\" x2=\"{x:.1}\" y2=\"164\" class=\"axis\"/>\
                 <text x=\"{x:.1}\" y=\"175\" class=\"hint\" text-anchor=\"end\">epoch {}</text>",
                e - 1
            )
        })
        .collect();
    format!(
        "<line x1=\"46\" y1=\"160\" x2=\"590\" y2=\"160\" class=\"axis\"/><line x1=\"46\" y1=\"10\" x2=\"46\" y2=\"160\" class=\"axis\"/>\
         {}{ticks}<polyline class=\"train\" points=\"{}\"/>{dots}\
         <text x=\"330\" y=\"20\" class=\"hint\">— train (smoothed) ● valid (end of epoch)</text>",
        frame.y_ticks(range),
        frame.points_in(&points, total, range)
    )
}

/// The split and what `#na#` means, with this data's numbers.
pub fn split(d: &SplitCounts) -> String {
    format!(
        "<li>{} training ratings, {} validation ratings (a seeded random 20%).</li>\
         <li>Vocabularies, each counting <code>#na#</code> at index 0: {} users, from the training ratings only \
         (user ids are numbers); {} movie titles, from the whole file (fastai turns a text column into a \
         category over every row before it splits).</li>\
         <li>Index 0, <code>#na#</code> (“not available”), stands for anyone the training split never saw. \
         {} validation ratings come from users who appear only in validation: the model meets them as \
         index 0 and can only guess from row 0, which training never moved. {} are of movies rated only in \
         validation: they have rows of their own, which training never moved either (weight decay only \
         shrinks them).</li>",
        d.train, d.valid, d.users, d.items, d.valid_only_users, d.valid_only_items
    )
}

/// A stepped batch: who, what, rating, prediction, loss, schedule, rows moved.
pub fn batch(v: &BatchView) -> String {
    let mut html = format!(
        "<p>Step {} (epoch {}): learning rate {:.3e}, beta1 {:.4}; batch loss (MSE) <output id=\"train-batch-loss\">{:.4}</output></p>\
         <div class=\"side-by-side\"><table class=\"plain\" aria-label=\"The batch\"><thead><tr><th>user</th><th>movie</th><th>rating</th><th>prediction</th></tr></thead><tbody>",
        v.step, v.epoch, v.lr, v.beta1, v.loss
    );
    for r in &v.rows {
        html.push_str(&format!(
            "<tr><td>{} (#{})</td><td>{} (#{})</td><td>{}</td><td>{:.2}</td></tr>",
            escape(&r.user),
            r.user_index,
            escape(&r.title),
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
            h.push_str(&format!("<tr><td>{}</td><td>{m:.5}</td></tr>", escape(name)));
        }
        h + &format!(
            "<tr><td colspan=\"2\">{touched} rows touched by this batch; the others moved too, by weight decay and by \
             Adam's momentum from earlier batches (fastai updates every row)</td></tr></tbody></table>"
        )
    };
    html.push_str(&moved("user", &v.user_moves, v.users_touched));
    html.push_str(&moved("movie", &v.item_moves, v.items_touched));
    html + "</div>" + &adam_note(v.lr)
}

/// Why the touched rows all moved by about the same amount: Adam's step is normalised.
pub fn adam_note(lr: f64) -> String {
    format!(
        "<p class=\"note\">This is Adam's step, not plain gradient descent: each weight moves by lr × (running \
         average of its gradient) ÷ (√(running average of its squared gradient) + ε), debiased. For a weight whose \
         gradient keeps its sign that is about lr = {lr:.2e} whatever the gradient's size, which is why the rows above \
         moved by similar amounts. (The spreadsheet takes plain steps, w − lr × gradient: there a weight moves in \
         proportion to its gradient.)</p>"
    )
}
