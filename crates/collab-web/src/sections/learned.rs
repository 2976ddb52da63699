//! Sections 9 and 10, and saving: the biases, the map of the movie factors, similar
//! movies, recommendations, the visitor as a new user, the save/load check. Every view
//! is of the current model: a new model clears what the old one showed.

use collab_core::interpret::align_back;

use super::{Patch, attr, flag, html, text};
use crate::html::{MapView, escape, ranked_list};
use crate::state::{App, MAP_FIT, ModelRead, NEURAL, Reading};

/// Movies on the map that get a label.
const MAP_LABELS: usize = 18;

pub const IDS: &[&str] = &[
    "learned",
    "learned-message",
    "bias-low",
    "bias-high",
    "map-zoom",
    "map-epochs",
    "map-epoch",
    "map-epoch-label",
    "map",
    "map-legend",
    "title-list",
    "similar-query",
    "similar-go",
    "similar-list",
    "rec-user",
    "rec-go",
    "rec-list",
    "rec-note",
    "model-save",
    "model-file",
    "model-check",
    "model-message",
    "you",
    "rate-list",
    "you-go",
    "you-message",
    "you-fit",
    "you-list",
    "avg-list",
    "you-note",
    "profiles",
    "profile-list",
];

pub fn render(app: &App, out: &mut Vec<Patch>) {
    let l = &app.learned;
    let read = l.read.as_ref().and_then(|r| r.as_ref().ok());
    let (state, why) = match (&l.model, &l.read) {
        _ if l.reading.is_some() => ("reading", l.reading.as_ref().map(Reading::words).unwrap_or_default()),
        (None, _) | (Some(_), None) => ("pending", String::new()),
        (Some(_), Some(Err(e))) => ("error", e.clone()),
        (Some(_), Some(Ok(r))) if r.tables.is_none() => ("neural", NEURAL.to_string()),
        (Some(_), Some(Ok(_))) => ("ready", String::new()),
    };
    out.push(attr("learned", "data-state", state));
    // While a model is read, that is the news (its questions' answers are for the old one).
    let news = l.message.is_empty() || l.reading.is_some();
    out.push(text("learned-message", if news { why } else { l.message.clone() }));
    out.push(text("model-check", read.map(|r| r.check.clone()).unwrap_or_default()));
    out.push(text("model-message", l.model_message.clone()));
    let tables = read.filter(|r| r.tables.is_some());
    let (low, high) = tables.map(biases).unwrap_or_default();
    out.push(html("bias-low", low));
    out.push(html("bias-high", high));
    // The map as it formed, epoch by epoch, when the model was trained here.
    let frames = match (tables, &l.model) {
        (Some(r), Some(m)) if m.maps.len() >= 2 && !r.map.is_empty() => align_back(&m.maps, &r.map),
        _ => Vec::new(),
    };
    let last = frames.len().saturating_sub(1);
    let epoch = l.map_epoch.filter(|&e| e < last).unwrap_or(last);
    out.push(flag("map-epochs", "hidden", frames.is_empty()));
    out.push(attr("map-epoch", "max", last.to_string()));
    out.push(attr("map-epoch", "value", epoch.to_string()));
    out.push(text("map-epoch-label", if frames.is_empty() { String::new() } else { epoch_label(epoch, last) }));
    let points = |r: &ModelRead| if frames.is_empty() { r.map.clone() } else { frames[epoch].clone() };
    out.push(html("map", tables.map(|r| map(r, &points(r), l.zoom)).unwrap_or_default()));
    out.push(html("map-legend", tables.map(legend).unwrap_or_default()));
    // The search's suggestions: the movies a list may name, most rated first, at most
    // MAP_FIT of them (any title can still be typed). Every title would be 62,000
    // options at ml-25m's size, megabytes of page built at every redraw.
    let options: String = tables
        .map(|r| {
            let shown = r.listable.iter().take(MAP_FIT);
            shown.map(|&i| format!("<option value=\"{}\">", escape(&r.labels[i]))).collect()
        })
        .unwrap_or_default();
    out.push(html("title-list", options));
    out.push(html("rate-list", tables.map(rate_list).unwrap_or_default()));
    let labels = read.map_or(&[][..], |r| &r.labels[..]);
    let list =
        |found: Option<&(String, Vec<(usize, f32)>)>| found.map(|f| ranked_list(&f.1, labels)).unwrap_or_default();
    out.push(html("similar-list", list(l.similar.as_ref())));
    out.push(html(
        "rec-list",
        l.recs.as_ref().map(|r| recs(&r.1, labels, l.why.as_ref().map(|w| w.item))).unwrap_or_default(),
    ));
    let y_range = tables.and_then(|r| r.tables.as_ref()).and_then(|t| t.y_range);
    out.push(text("rec-note", l.recs.as_ref().map(|r| scores_note(&r.1, y_range)).unwrap_or_default()));
    out.push(text("you-message", l.you_message.clone()));
    out.push(text("you-fit", l.you.as_ref().map(|y| y.fitted.clone()).unwrap_or_default()));
    out.push(html("you-list", l.you.as_ref().map(|y| ranked_list(&y.you, labels)).unwrap_or_default()));
    out.push(html("avg-list", l.you.as_ref().map(|y| ranked_list(&y.average, labels)).unwrap_or_default()));
    let you_scores = l.you.as_ref().map(|y| [&y.you[..], &y.average[..]].concat());
    out.push(text("you-note", you_scores.map(|s| scores_note(&s, y_range)).unwrap_or_default()));
    let picked = l.profile.as_ref().map(|p| p.0);
    out.push(html("profiles", tables.map(|r| profiles(r, picked)).unwrap_or_default()));
    out.push(html("profile-list", l.profile.as_ref().map(|p| ranked_list(&p.1, labels)).unwrap_or_default()));
}

/// The recommendations, each with a "why?" that writes its prediction out.
pub fn recs(items: &[(usize, f32)], labels: &[String], shown: Option<usize>) -> String {
    items
        .iter()
        .filter_map(|&(i, v)| {
            Some(format!(
                "<li>{} <span class=\"note\">{v:.3}</span> <button type=\"button\" class=\"why\" data-why=\"{i}\" \
                 aria-pressed=\"{}\">why?</button></li>",
                escape(labels.get(i)?),
                shown == Some(i)
            ))
        })
        .collect()
}

/// Each taste profile as a button: how many users, what it loves and dislikes.
pub fn profiles(r: &ModelRead, picked: Option<usize>) -> String {
    let names = |items: &[usize]| items.iter().map(|&i| escape(&r.labels[i])).collect::<Vec<_>>().join(", ");
    r.profiles
        .iter()
        .enumerate()
        .map(|(n, p)| {
            format!(
                "<li><button type=\"button\" data-profile=\"{n}\" aria-pressed=\"{}\">Taste {} ({} users)</button> \
                 loves {}; not {}</li>",
                picked == Some(n),
                n + 1,
                p.users,
                names(&p.loves),
                names(&p.dislikes)
            )
        })
        .collect()
}

/// What a list's scores are, and why one can pass the top star: said only when one does.
pub fn scores_note(scores: &[(usize, f32)], y_range: Option<(f32, f32)>) -> String {
    let top = scores.iter().map(|s| s.1).fold(f32::MIN, f32::max);
    if top <= 5.0 {
        return String::new();
    }
    match y_range {
        Some((lo, hi)) => format!(
            "Scores are predicted ratings. The model squashes its predictions into ({lo}, {hi}) with sigmoid_range: \
             the range reaches past 5 stars so that a 5 can be predicted at all (sigmoid never reaches its ends). A \
             score above 5, such as {top:.3}, is the model saying “a sure 5”; nobody can rate above 5."
        ),
        None => format!(
            "Scores are predicted ratings. This model has no sigmoid_range, so nothing keeps a prediction inside 1–5 \
             stars: {top:.3} is a dot product, and nobody can rate above 5."
        ),
    }
}

/// The ten lowest and ten highest movie biases.
fn biases(r: &ModelRead) -> (String, String) {
    let ends = &r.bias_ends;
    if ends.lowest.is_empty() {
        return ("<li>This model has no biases.</li>".into(), String::new());
    }
    (ranked_list(&ends.lowest, &r.labels), ranked_list(&ends.highest, &r.labels))
}

/// The book's map: components 0 and 2 of a PCA of the most rated titles' factors.
/// What the slider's position shows: the untrained model, an epoch (fastai counts from
/// 0), or the trained model.
pub fn epoch_label(epoch: usize, last: usize) -> String {
    match epoch {
        0 => format!("untrained: the random start (slide to see {last} epochs of training)"),
        e if e == last => format!("trained: after epoch {} (the model below)", e - 1),
        e => format!("after epoch {} of {last}", e - 1),
    }
}

/// The map of `points` (`(item, x, y)`), each scaled to the largest coordinate,
/// coloured by genre; a dot lists the movies like it.
pub fn map(r: &ModelRead, points: &[(usize, f32, f32)], zoom: f32) -> String {
    let k = r.tables.as_ref().map_or(0, |t| t.k);
    if k < 2 {
        return format!(
            "<text x=\"20\" y=\"200\" class=\"hint\">A map needs two axes, so at least 2 factors: this model has {k}. \
             Its single factor already orders the movies on one line.</text>"
        );
    }
    MapView { points, size: (600.0, 400.0), zoom, labelled: MAP_LABELS }.svg(
        |i| r.labels.get(i).cloned().unwrap_or_default(),
        |i| main_genre(r.genres.get(i).copied().unwrap_or(0)).map_or(OTHER, |g| g.1),
        ": click for similar movies",
    )
}

/// The genres the map colours, in order of precedence (a movie takes its first), with
/// their colours; a movie in none of them (or data without genres) is grey.
const MAP_GENRES: [(usize, &str); 8] = [
    (3, "#d4a017"),  // Animation
    (4, "#e377c2"),  // Children's
    (15, "#17becf"), // Sci-Fi
    (11, "#7f3f98"), // Horror
    (14, "#d62728"), // Romance
    (1, "#ff7f0e"),  // Action
    (5, "#2ca02c"),  // Comedy
    (8, "#1f77b4"),  // Drama
];
const OTHER: &str = "#9aa3ae";

/// The genre a movie is coloured by: (genre index, colour).
pub fn main_genre(mask: u32) -> Option<(usize, &'static str)> {
    MAP_GENRES.iter().copied().find(|(g, _)| mask & 1 << g != 0)
}

/// Which colour is which genre, for the genres on the map (none without genre data).
pub fn legend(r: &ModelRead) -> String {
    let shown: Vec<usize> = r.map.iter().filter_map(|(i, _, _)| main_genre(*r.genres.get(*i)?)).map(|g| g.0).collect();
    if shown.is_empty() {
        return String::new();
    }
    let swatch =
        |colour: &str, name: &str| format!("<span class=\"swatch\" style=\"background: {colour}\"></span> {name} ");
    let mut html: String = MAP_GENRES
        .iter()
        .filter(|(g, _)| shown.contains(g))
        .map(|&(g, colour)| swatch(colour, collab_core::data::GENRES[g]))
        .collect();
    html.push_str(&swatch(OTHER, "other"));
    html
}

/// The most rated movies, each with a 1–5 select.
fn rate_list(r: &ModelRead) -> String {
    r.most_rated
        .iter()
        .map(|&i| {
            format!(
                "<li><label>{} <select data-item=\"{i}\" aria-label=\"your rating of {0}\"><option value=\"\">not seen</option>\
                 <option>1</option><option>2</option><option>3</option><option>4</option><option>5</option></select></label></li>",
                escape(&r.labels[i])
            )
        })
        .collect()
}
