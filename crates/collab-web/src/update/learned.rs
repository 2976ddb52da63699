//! Sections 9 and 10: a new model replaces every view of the old one; searches,
//! recommendations and the visitor's fit are ranked here, on the tables read once.

use collab_core::error::clip;
use collab_core::interpret::{self, Tables};

use crate::effect::Effect;
use crate::msg::LearnedMsg;
use crate::reading::{ModelFile, ModelReading, UserRow};
use crate::state::{App, Fitted, LearnedState, ModelRead, Reading, SavedModel, Trained, Why, YouFit};

/// Recommendations and similar movies shown.
const LIST_LEN: usize = 10;

pub fn update(app: &mut App, msg: LearnedMsg) -> Vec<Effect> {
    let l = &mut app.learned;
    match msg {
        LearnedMsg::Loaded { id, source, saved, result } => {
            loaded(app, id, Some(source), saved, Fitted::default(), result)
        }
        LearnedMsg::Similar(query) => {
            l.similar = None;
            let counts = l.model.as_ref().map(|m| m.counts.clone()).unwrap_or_default();
            let found = tables(l).and_then(|(t, r)| {
                let (index, note) = find_title(&r.labels, &counts, &query)?;
                Ok((r.labels[index].clone(), note, interpret::similar_items(t, index, &r.listable, LIST_LEN)))
            });
            match found {
                Ok((title, note, list)) => {
                    l.similar = Some((title, list));
                    l.message = note;
                }
                Err(e) => l.message = e,
            }
            Vec::new()
        }
        LearnedMsg::SimilarTo(item) => {
            let title = l.read.as_ref().and_then(|r| r.as_ref().ok()).and_then(|r| r.labels.get(item).cloned());
            match title {
                Some(title) => {
                    let mut effects = vec![Effect::SetControl { id: "similar-query", value: title.clone() }];
                    effects.extend(update(app, LearnedMsg::Similar(title)));
                    effects
                }
                None => Vec::new(),
            }
        }
        LearnedMsg::Profile(n) => {
            l.profile = None;
            let found = tables(l).and_then(|(t, r)| {
                let profile = r.profiles.get(n).ok_or("no such taste profile")?;
                Ok(profile.recommend(t, &r.listable, LIST_LEN))
            });
            finish(&mut l.message, found, |list| l.profile = Some((n, list)));
            Vec::new()
        }
        LearnedMsg::Why(item) => {
            let found = why(l, item);
            finish(&mut l.message, found, |why| l.why = Some(why));
            Vec::new()
        }
        LearnedMsg::Recommend(user) => {
            l.recs = None;
            l.why = None;
            l.asking = None;
            // A neural model, or one still being read, says so before anything is asked.
            let asked = tables(l).and_then(|_| {
                if let Some(gone) = &l.users_gone {
                    return Err(gone.clone());
                }
                if user.trim().is_empty() {
                    return Err("type a user id first".to_string());
                }
                l.model.as_ref().map(|m| m.saved).ok_or_else(|| "train a model first".to_string())
            });
            match asked {
                // The last user answered for: ranked at once.
                Ok(_) if l.user.as_ref().is_some_and(|u| u.id == user.trim()) => {
                    let found = recommend(l);
                    finish(&mut l.message, found, |list| l.recs = Some((user, list)));
                    Vec::new()
                }
                // The worker that read the model keeps its users: ask it for this one.
                Ok(saved) => {
                    l.message = format!("reading user {}…", clip(user.trim(), 40));
                    l.asking = Some(user.clone());
                    vec![Effect::AskUser { saved, user: user.trim().to_string() }]
                }
                Err(e) => {
                    l.message = e;
                    Vec::new()
                }
            }
        }
        LearnedMsg::User { saved, user, result } => {
            answered(l, saved, &user, result);
            Vec::new()
        }
        LearnedMsg::FitYou(ratings) => {
            l.you = None;
            let fitted = fit_you(l, &ratings);
            finish(&mut l.you_message, fitted, |you| l.you = Some(you));
            Vec::new()
        }
        LearnedMsg::MapEpoch(epoch) => {
            let last = l.model.as_ref().map_or(0, |m| m.maps.len().saturating_sub(1));
            l.map_epoch = (epoch < last).then_some(epoch);
            Vec::new()
        }
        LearnedMsg::Zoom(zoom) => {
            l.zoom = if zoom.is_finite() && zoom > 0.0 { zoom } else { 1.0 };
            Vec::new()
        }
        LearnedMsg::Save => match &l.model {
            Some(t) => vec![Effect::SaveModel(t.saved)],
            None => {
                l.model_message = "train a model first".into();
                Vec::new()
            }
        },
        LearnedMsg::Saved(result) => {
            l.model_message = match result {
                Ok(n) => format!("Saved {n} bytes as collab-model.bin."),
                Err(e) => e,
            };
            Vec::new()
        }
        LearnedMsg::File { name, saved } => match saved {
            Ok(saved) => {
                let id = app.new_id();
                app.learned.loading = id;
                app.learned.reading = Some(Reading::File(name.clone()));
                vec![Effect::ReadModel { id, source: name, saved }]
            }
            Err(e) => {
                l.model_message = format!("{e}. The model you had is still here.");
                Vec::new()
            }
        },
    }
}

/// Model load `id` was read: from the file `source` (`None`: section 8's fit, which
/// brings `fitted`), kept as `saved`. It replaces every view of the old model, which the
/// page lets go of; a load overtaken by a newer one, or one that failed, is let go of
/// itself, and the model shown stays.
pub fn loaded(
    app: &mut App,
    id: u64,
    source: Option<String>,
    saved: SavedModel,
    fitted: Fitted,
    result: Result<Box<(ModelFile, ModelReading)>, String>,
) -> Vec<Effect> {
    // The worker that read the model shown stopped since (a file's reader): the model
    // stays, but its users went with that worker.
    if let (Err(e), Some(shown)) = (&result, &app.learned.model)
        && shown.saved == saved
    {
        let gone = format!("{e}: load the model again to ask about a user");
        app.learned.message = gone.clone();
        app.learned.users_gone = Some(gone);
        app.learned.asking = None;
        return Vec::new();
    }
    if id != app.learned.loading {
        return vec![Effect::ForgetModel(saved)];
    }
    // Section 9 stops saying this model is on its way (not another one that still is).
    if app.learned.reading.as_ref().is_some_and(|r| r.of(saved)) {
        app.learned.reading = None;
    }
    let (file, reading) = match result {
        Ok(read) => *read,
        Err(e) => {
            match source {
                Some(_) => app.learned.model_message = format!("{e}. The model you had is still here."),
                None => app.train.message = format!("the trained model could not be read: {e}"),
            }
            return vec![Effect::ForgetModel(saved)];
        }
    };
    let model = Trained::new(file, saved, fitted);
    let message = match &source {
        Some(file) => {
            let note = model.note.as_ref().map(|n| format!(" {n}.")).unwrap_or_default();
            format!("Loaded {} from {}.{note}", model.spec.kind.name(), clip(file, 40))
        }
        None => String::new(),
    };
    let read = model_read(&model, reading, &app.data.summary.genres);
    // Every view of the old model goes with it.
    let old = app.learned.model.as_ref().map(|m| m.saved).filter(|&old| old != saved);
    app.learned = LearnedState {
        model: Some(model),
        read: Some(read),
        loading: app.learned.loading,
        reading: app.learned.reading.take(),
        zoom: app.learned.zoom,
        model_message: message,
        ..LearnedState::default()
    };
    old.map(Effect::ForgetModel).into_iter().collect()
}

/// Shows `result`: its value through `show` (clearing `message`), or its error in `message`.
fn finish<T>(message: &mut String, result: Result<T, String>, show: impl FnOnce(T)) {
    match result {
        Ok(value) => {
            message.clear();
            show(value);
        }
        Err(e) => *message = e,
    }
}

/// The movie a search means: a title equal to `query` (any case), else the one title
/// that contains it, else the most rated of those that do (and a note saying so).
pub fn find_title(labels: &[String], counts: &[usize], query: &str) -> Result<(usize, String), String> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return Err("type part of a title first".into());
    }
    // Index 0 is #na#, no movie.
    let titles = || labels.iter().enumerate().skip(1);
    if let Some((i, _)) = titles().find(|(_, t)| t.to_lowercase() == q) {
        return Ok((i, String::new()));
    }
    let matches: Vec<usize> = titles().filter(|(_, t)| t.to_lowercase().contains(&q)).map(|(i, _)| i).collect();
    let count = |i: &usize| counts.get(*i).copied().unwrap_or(0);
    let best = matches.iter().copied().max_by_key(|i| (count(i), std::cmp::Reverse(*i)));
    match (matches.len(), best) {
        (1, Some(one)) => Ok((one, String::new())),
        (n, Some(best)) => {
            Ok((best, format!("{n} titles contain “{}”; showing the most rated, {}.", query.trim(), labels[best])))
        }
        (_, None) => Err(format!("no title contains “{}”", collab_core::error::clip(query, 40))),
    }
}

/// The tables and what was read with them, or why there are none.
pub fn tables(l: &LearnedState) -> Result<(&Tables, &ModelRead), String> {
    match &l.read {
        _ if l.model.is_none() => Err("train a model first (or load one)".into()),
        None => Err("the model is still being read".into()),
        Some(Err(e)) => Err(e.clone()),
        Some(Ok(read)) => read.tables.as_ref().map(|t| (t, read)).ok_or_else(|| crate::state::NEURAL.to_string()),
    }
}

/// The worker that read the model kept as `saved` answered for `user`: the
/// recommendations waiting for them are ranked (an answer nobody waits for any more, or
/// about a model no longer shown, is dropped).
fn answered(l: &mut LearnedState, saved: SavedModel, user: &str, result: Result<Box<UserRow>, String>) {
    let Some(asking) = l.asking.clone() else { return };
    if l.model.as_ref().map(|m| m.saved) != Some(saved) || asking.trim() != user {
        return;
    }
    l.asking = None;
    match result {
        Ok(row) => {
            l.user = Some(*row);
            let found = recommend(l);
            finish(&mut l.message, found, |list| l.recs = Some((asking, list)));
        }
        Err(e) => l.message = e,
    }
}

/// Section 8's fit `run` will not bring its model after all (it failed, or its worker
/// ended): section 9 stops saying it is being read.
pub fn fit_read_ends(app: &mut App, run: u64) {
    if app.learned.reading.as_ref().and_then(Reading::fit) == Some(run) {
        app.learned.reading = None;
    }
}

/// The training worker is being replaced (a restart, new data): a user asked of it (a
/// fit's model's) will never be answered, nor a fit's model it was reading come, nor
/// where the fit's model is wrong, so the page stops waiting and says so.
pub fn worker_replaced(app: &mut App) {
    if matches!(app.learned.reading, Some(Reading::Fit(_))) {
        app.learned.reading = None;
    }
    let l = &mut app.learned;
    let Some(model) = l.model.as_mut().filter(|m| matches!(m.saved, SavedModel::Fit(_))) else { return };
    if l.asking.take().is_some() {
        l.message = "the training worker stopped before it answered: ask again".into();
    }
    // Where the fit's model is wrong was still being worked out there.
    if matches!(model.errors, crate::state::Errors::Coming) {
        model.errors = crate::state::Errors::Failed("the training worker stopped before it had worked them out".into());
    }
}

/// The recommendations for the last user the model's worker answered for.
fn recommend(l: &LearnedState) -> Result<Vec<(usize, f32)>, String> {
    let user = l.user.as_ref().ok_or("ask for a user first")?;
    let (t, read) = tables(l)?;
    Ok(interpret::recommend(t, &user.factors, user.bias, &read.listable, &user.rated, LIST_LEN))
}

/// Movies of the user's own shown beside an explanation.
const CLOSEST: usize = 3;

/// The prediction of the recommendation list's user for `item`, written out.
fn why(l: &LearnedState, item: usize) -> Result<Why, String> {
    let (typed, _) = l.recs.as_ref().ok_or("ask for recommendations first")?;
    let user = l.user.as_ref().filter(|u| u.id == typed.trim()).ok_or("ask for recommendations first")?;
    let (t, _) = tables(l)?;
    if item == 0 || item >= t.n_items() {
        return Err("that movie is not among the recommendations".into());
    }
    let (rated, stars) = (&user.rated, &user.stars);
    let explanation = interpret::explain(t, &user.factors, user.bias, item, rated, CLOSEST);
    // The user's own ratings of those movies, as the fit's data held them.
    let ratings =
        explanation.closest.iter().map(|&(i, _)| stars.get(rated.iter().position(|&r| r == i)?).copied()).collect();
    Ok(Why { user: user.id.clone(), item, explanation, ratings })
}

/// Fits the visitor's factors from their ratings, movies frozen.
fn fit_you(l: &LearnedState, ratings: &[(usize, f32)]) -> Result<YouFit, String> {
    if ratings.is_empty() {
        return Err("rate at least one movie".into());
    }
    let (t, read) = tables(l)?;
    if let Some(&(bad, _)) = ratings.iter().find(|(i, _)| *i == 0 || *i >= t.n_items()) {
        return Err(format!("movie #{bad} is not in this model"));
    }
    let (avg, avg_bias) = (&read.average.0, read.average.1);
    let (steps, lr, wd) = interpret::NEW_USER_FIT;
    let (you, you_bias) = interpret::fit_new_user(t, ratings, (avg, avg_bias), steps, lr, wd);
    let rated: Vec<usize> = ratings.iter().map(|r| r.0).collect();
    let predicted: Vec<f32> = ratings.iter().map(|&(i, _)| t.predict(&you, you_bias, i)).collect();
    let fitted: Vec<String> = ratings
        .iter()
        .zip(&predicted)
        .map(|(&(i, r), p)| format!("{}: you {r}, model {p:.2}", read.labels[i]))
        .collect();
    let worst = ratings.iter().zip(&predicted).map(|(&(_, r), p)| (r - p).abs()).fold(0.0, f32::max);
    let n = ratings.len();
    let ratings_word = if n == 1 { "rating" } else { "ratings" };
    let mut words = format!("Fitted from {n} {ratings_word} ({}).", fitted.join("; "));
    // Your row has k numbers (and a bias) to set: with no more ratings than that, some
    // row meets every rating, so a close fit is no sign the model knows your taste.
    let free = t.k + usize::from(!t.item_bias.is_empty());
    if worst < 0.25 && n <= free {
        words.push_str(&format!(
            "The model matches your {n} {ratings_word} almost exactly because your row has {free} numbers to set and \
             only {n} {ratings_word} to meet: many rows would do as well, so this says little about your taste yet. \
             The recommendations lean on movies like the ones you rated; rate more and they have to agree with all of \
             them."
        ));
    }
    Ok(YouFit {
        ratings: ratings.iter().map(|&(i, r)| (read.labels[i].clone(), r)).collect(),
        fitted: words,
        you: interpret::recommend(t, &you, you_bias, &read.listable, &rated, LIST_LEN),
        average: interpret::recommend(t, avg, avg_bias, &read.listable, &rated, LIST_LEN),
    })
}

/// Each item's genre mask (bit n: `GENRES[n]`) for the movies `model`'s maps draw, the
/// trained one (`map`) and the fit's by epoch, the only ones coloured by genre; 0 for
/// every other. Found by title (the model's items are titles) in the loaded data's
/// `genres`, sorted by title ([`crate::summary::DataSummary::genres`]): a search per drawn
/// movie, not a pass over all 62,423 of ml-25m's.
pub fn map_genres(model: &Trained, map: &[(usize, f32, f32)], genres: &[(String, u32)]) -> Vec<u32> {
    let mut masks = vec![0; model.items.len()];
    for i in map.iter().chain(model.maps.iter().flatten()).map(|p| p.0) {
        let Some(title) = model.items.get(i) else { continue };
        if let Ok(at) = genres.binary_search_by(|(t, _)| t.as_str().cmp(title)) {
            masks[i] = genres[at].1;
        }
    }
    masks
}

/// What the views draw of `model`, from what its worker read ([`crate::reading`]), with
/// the loaded data's `genres` by title: only what is linear in the movies is done here
/// (the tables unpacked, the mapped movies' genres).
pub fn model_read(model: &Trained, reading: ModelReading, genres: &[(String, u32)]) -> Result<ModelRead, String> {
    let ModelReading { tables, check, listable, most_rated, bias_ends, map, profiles, average } = reading;
    let tables = tables.map(crate::reading::PackedTables::unpack).transpose()?;
    let genres = map_genres(model, &map, genres);
    Ok(ModelRead {
        tables,
        labels: model.items.clone(),
        most_rated,
        listable,
        bias_ends,
        map,
        profiles,
        average,
        genres,
        check,
    })
}
