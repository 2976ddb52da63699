//! A model for sections 9 and 10, read in a worker, never on the page's thread: a fit's
//! in the training worker that holds it, when the fit ends ([`read_trained`]); a file's
//! in a worker of its own (`web::link::start_reader`), the file checked and loaded first
//! ([`read_saved`]). The reading is everything that takes work in proportion to the
//! model's size (movies ranked, the PCA map, k-means taste profiles over every user row:
//! a tenth of a second natively at ml-25m's size, several times that in wasm). The page
//! keeps a handle on the saved model (a `Blob`: what Save hands back; its bytes never
//! enter the page) and what comes back here: the movies' side of the model, from which it
//! answers searches, profiles and "you as a new user" among the listable movies (a fit's
//! 1,000 most rated; every movie of a model from a file). The users' side (their ids and
//! rows: 162,541 ids and 33 MB of the 45 at ml-25m) stays in the worker that read it, as
//! [`ModelUsers`], which answers for one user at a time ([`UserRow`]).

use burn::tensor::Device;
use collab_core::interpret::{MAP_FIT, MAP_MOVIES, Tables, average_user, items_by_bias, map_points, most_rated};
use collab_core::model::{CollabModel, ModelSpec};
use collab_core::profiles::{self, Profile};
use collab_core::rated::RatedBy;
use collab_core::{read, weights};
use serde::{Deserialize, Serialize};

/// Where the page keeps a model as saved: a handle on a `Blob` in the browser's store
/// (the runtime holds the handles), never the bytes. What Save hands back; the worker that
/// read the model names it so when it answers for one of its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SavedModel {
    /// The model of section 8's fit `run`, saved by its worker.
    Fit(u64),
    /// A model file the visitor picked (the page's `n`th).
    File(u64),
}

/// What a saved model says of itself (its users are counted in `spec`; their ids stay in
/// the worker: [`ModelUsers`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub spec: ModelSpec,
    /// Item labels by index, `#na#` first.
    #[serde(with = "crate::json_bytes")]
    pub items: Vec<String>,
    /// What loading said of its names ("2 names cut to 200 characters"), if anything.
    pub note: Option<String>,
}

/// Ratings a movie needs before a list may name it (see [`listable`]).
pub const LIST_MIN_RATINGS: usize = 5;

/// Movies section 10 asks the visitor to rate: the most rated.
pub const TO_RATE: usize = 12;

/// Movies of lowest and of highest bias that section 9 lists.
pub const BIAS_SHOWN: usize = 10;

/// Each item's ratings as the reading and the page use them: `counts` if they are the
/// model's items' (a fit's), else zeros (a model from a file: its movies then stay in
/// index order).
pub fn counts_for(counts: &[usize], n_items: usize) -> Vec<usize> {
    if counts.len() == n_items { counts.to_vec() } else { vec![0; n_items] }
}

/// A model as a worker read it: what goes to the page, and the users' side, which stays.
pub struct Read {
    pub page: (ModelFile, ModelReading),
    pub users: ModelUsers,
}

/// Checks and loads the saved model `bytes` ([`collab_core::save::load`]: sizes against
/// the bytes, vocabularies against the tables, finite weights) on `device`, and reads it
/// for the page with `counts` ([`read_tables`]); the page keeps it as `saved`.
pub async fn read_saved(bytes: &[u8], counts: &[usize], saved: SavedModel, device: &Device) -> Result<Read, String> {
    let loaded = collab_core::save::load(bytes, device).map_err(|e| e.to_string())?;
    let counts = counts_for(counts, loaded.items.len());
    let tables = tables_of(&loaded.model, &loaded.spec).await?;
    let note = loaded.note();
    let reading = read_tables(&loaded.model, &loaded.spec, tables.as_ref(), &counts, &loaded.items.labels).await?;
    // The file's tables are done with: their user rows move to the users' side.
    let rows = tables.map(UserRows::from).unwrap_or_default();
    let collab_core::save::LoadedModel { spec, users, items, .. } = loaded;
    let users = ModelUsers { saved, ids: users.labels, rows, rated: None };
    Ok(Read { page: (ModelFile { spec, items: items.labels, note }, reading), users })
}

/// Reads a fit's `model` (of `spec`, over `users` × `items`, with its `tables` as
/// [`tables_of`] read them) for the page with `counts` ([`read_tables`]), where it was
/// trained: nothing is saved and loaded again. The page keeps it as `saved`; who rated
/// what is the worker's to add to the users' side ([`ModelUsers::rated`]).
pub async fn read_trained(
    model: &CollabModel,
    spec: &ModelSpec,
    tables: Option<&Tables>,
    (users, items): (&collab_core::data::Vocab, &collab_core::data::Vocab),
    counts: &[usize],
    saved: SavedModel,
) -> Result<Read, String> {
    let counts = counts_for(counts, items.len());
    let reading = read_tables(model, spec, tables, &counts, &items.labels).await?;
    // The fit's tables stay with the worker (its errors are predicted from them): the
    // user rows are copied.
    let rows = tables
        .map(|t| UserRows { k: t.k, factors: t.user_factors.clone(), bias: t.user_bias.clone() })
        .unwrap_or_default();
    let file = ModelFile { spec: spec.clone(), items: items.labels.clone(), note: None };
    Ok(Read { page: (file, reading), users: ModelUsers { saved, ids: users.labels.clone(), rows, rated: None } })
}

/// The users' side of a model, kept by the worker that read it: every user's id and row
/// (none for a neural model), and, for a fit, who rated what. The page asks for one user
/// at a time ([`ModelUsers::row`]).
pub struct ModelUsers {
    /// The model as the page keeps it: a question about another model is refused.
    pub saved: SavedModel,
    /// User ids by index, `#na#` first.
    ids: Vec<String>,
    /// Factors (`k` a user) and biases, by index; empty for a neural model.
    rows: UserRows,
    /// Who rated what in the fit that trained the model (`None` for a model file).
    pub rated: Option<RatedBy>,
}

/// The users' factor rows and biases (empty without biases).
#[derive(Default)]
struct UserRows {
    k: usize,
    factors: Vec<f32>,
    bias: Vec<f32>,
}

impl From<Tables> for UserRows {
    fn from(t: Tables) -> Self {
        UserRows { k: t.k, factors: t.user_factors, bias: t.user_bias }
    }
}

/// One user of a model, as the page asks for them: their row, and (for a fit) the movies
/// they rated, training then validation, with their stars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    /// The id as the model knows it.
    pub id: String,
    pub index: i32,
    pub factors: Vec<f32>,
    pub bias: f32,
    pub rated: Vec<usize>,
    pub stars: Vec<f32>,
}

impl ModelUsers {
    /// User `typed` (as typed: spaces around it do not count), if the model knows them:
    /// the last of equal ids, as the model's vocabulary indexed them; never `#na#`.
    pub fn row(&self, typed: &str) -> Result<UserRow, String> {
        let id = typed.trim();
        let index = self
            .ids
            .iter()
            .rposition(|u| u == id)
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("user “{}” is not in the training data", collab_core::error::clip(typed, 40)))?;
        let UserRows { k, factors, bias } = &self.rows;
        let row = factors.get(index * k..(index + 1) * k).unwrap_or_default().to_vec();
        let (rated, stars) = match &self.rated {
            Some(by) => {
                let (items, stars) = by.of(index as i32);
                (items.iter().filter_map(|&i| usize::try_from(i).ok()).collect(), stars.to_vec())
            }
            None => (Vec::new(), Vec::new()),
        };
        let bias = bias.get(index).copied().unwrap_or(0.0);
        Ok(UserRow { id: id.to_string(), index: index as i32, factors: row, bias, rated, stars })
    }
}

/// What a worker read off a model for the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReading {
    /// The factor tables (`None` for a neural model).
    pub tables: Option<PackedTables>,
    /// Predictions of three fixed pairs, for the save/load check.
    pub check: String,
    /// The movies a list may name ([`listable`]), most rated first.
    #[serde(with = "crate::index_bytes")]
    pub listable: Vec<usize>,
    /// The [`TO_RATE`] most rated movies (training and validation ratings), most first.
    pub most_rated: Vec<usize>,
    /// The movies section 9 lists by bias (not all 62,423 at ml-25m).
    pub bias_ends: BiasEnds,
    /// The most rated movies on the book's PCA map: (item, component 0, component 2).
    pub map: Vec<(usize, f32, f32)>,
    /// The users' rows grouped into taste profiles (empty for a neural model).
    pub profiles: Vec<Profile>,
    /// The average user's row and bias (where "you as a new user" starts; empty for a
    /// neural model).
    pub average: (Vec<f32>, f32),
}

/// The [`BIAS_SHOWN`] movies of lowest bias, lowest first, and of highest, highest first
/// (both empty without biases), with their biases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BiasEnds {
    pub lowest: Vec<(usize, f32)>,
    pub highest: Vec<(usize, f32)>,
}

/// The movies' side of [`Tables`] as it crosses between threads: every number in one
/// byte buffer ([`crate::f32_bytes`]). The users' side stays in the worker
/// ([`ModelUsers`]): unpacked, the tables have no user rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackedTables {
    pub n_items: usize,
    pub k: usize,
    pub biased: bool,
    pub y_range: Option<(f32, f32)>,
    /// Item factors, then the item biases if any.
    #[serde(with = "crate::f32_bytes")]
    pub values: Vec<f32>,
}

impl PackedTables {
    /// The movies' side of `t`.
    pub fn pack(t: &Tables) -> Self {
        let values = [t.item_factors.as_slice(), &t.item_bias].concat();
        PackedTables { n_items: t.n_items(), k: t.k, biased: !t.item_bias.is_empty(), y_range: t.y_range, values }
    }

    /// The movies' tables (no user rows), if the numbers are as many as the sizes say.
    pub fn unpack(self) -> Result<Tables, String> {
        let n = self.n_items;
        let factors = n.checked_mul(self.k);
        let want = factors.and_then(|f| f.checked_add(if self.biased { n } else { 0 }));
        if want != Some(self.values.len()) {
            return Err("the model's tables came back the wrong size".into());
        }
        // The factors keep the numbers' memory; only the biases move.
        let mut item_factors = self.values;
        let item_bias = item_factors.split_off(n * self.k);
        Ok(Tables {
            user_factors: Vec::new(),
            item_factors,
            k: self.k,
            user_bias: Vec::new(),
            item_bias,
            y_range: self.y_range,
        })
    }
}

/// The factor tables of `model` (of `spec`), `None` for a neural model.
pub async fn tables_of(model: &CollabModel, spec: &ModelSpec) -> Result<Option<Tables>, String> {
    let w = weights::read(model).await.map_err(|e| e.to_string())?;
    Ok(Tables::from_weights(&w, spec))
}

/// Reads `model` (of `spec`, with its `tables` as [`tables_of`] read them) for the page:
/// the movies' tables, its predictions of three fixed pairs, and every ranking, map and
/// profile the sections draw, with `counts` (ratings of each item, one a movie:
/// [`counts_for`]) and the movies' `labels`. The user rows are the caller's to keep
/// ([`UserRows`]).
async fn read_tables(
    model: &CollabModel,
    spec: &ModelSpec,
    tables: Option<&Tables>,
    counts: &[usize],
    labels: &[String],
) -> Result<ModelReading, String> {
    let check = check(model, spec).await?;
    let popular = most_rated(counts);
    let mut reading = ModelReading {
        tables: None,
        check,
        listable: listable(&popular, labels, counts),
        most_rated: popular.iter().copied().take(TO_RATE).collect(),
        bias_ends: Default::default(),
        map: vec![],
        profiles: vec![],
        average: Default::default(),
    };
    if let Some(t) = tables {
        let by_bias = items_by_bias(t);
        let highest = by_bias.iter().rev().take(BIAS_SHOWN).copied().collect();
        reading.bias_ends = BiasEnds { lowest: by_bias.into_iter().take(BIAS_SHOWN).collect(), highest };
        reading.map = map_points(t, &popular, MAP_FIT, MAP_MOVIES);
        reading.profiles = profiles::offered(t, &popular);
        reading.average = average_user(t);
        reading.tables = Some(PackedTables::pack(t));
    }
    Ok(reading)
}

/// The movies a list may name, most rated first: the book's 1,000 most rated titles,
/// each with at least [`LIST_MIN_RATINGS`] ratings (a movie rated once or twice keeps
/// factors near where weight decay left them, and ranks by noise), and no placeholder
/// title (MovieLens-100k calls one film "unknown"). A loaded model has no counts: every
/// movie but the placeholders.
pub fn listable(popular: &[usize], labels: &[String], counts: &[usize]) -> Vec<usize> {
    let counted = counts.iter().any(|&c| c > 0);
    let named = |i: &usize| labels.get(*i).is_some_and(|t| !t.trim().eq_ignore_ascii_case("unknown"));
    let enough = |i: &usize| !counted || counts.get(*i).copied().unwrap_or(0) >= LIST_MIN_RATINGS;
    let cap = if counted { MAP_FIT } else { usize::MAX };
    popular.iter().copied().take(cap).filter(named).filter(enough).collect()
}

/// The model's predictions of three fixed pairs, in words: a saved and reloaded model
/// must give the same.
async fn check(model: &CollabModel, spec: &ModelSpec) -> Result<String, String> {
    let pairs: Vec<(i32, i32)> = [(1, 1), (2, 5), (3, 10)]
        .into_iter()
        .map(|(u, i)| (u.min(spec.n_users as i32 - 1), i.min(spec.n_items as i32 - 1)))
        .collect();
    let batch = collab_core::data::Encoded {
        users: pairs.iter().map(|p| p.0).collect(),
        items: pairs.iter().map(|p| p.1).collect(),
        ratings: vec![0.0; pairs.len()],
    };
    let device = model.item_factors().device();
    let (users, items, _) = collab_core::train::to_device(&batch, &device);
    let preds = read::floats(model.forward(users, items)).await.map_err(|e| e.to_string())?;
    let check: Vec<String> =
        pairs.iter().zip(&preds).map(|((u, i), p)| format!("user #{u} × movie #{i}: {p:.5}")).collect();
    Ok(check.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use collab_core::data::Vocab;
    use collab_core::model::ModelKind;

    #[test]
    fn a_reading_crosses_threads_and_comes_back_the_same_and_its_users_stay() {
        let spec = ModelSpec { n_factors: 3, ..ModelSpec::new(ModelKind::DotProductBias, 5, 4) };
        let users = Vocab::new((1..5).map(|i| i.to_string()).collect(), true);
        let items = Vocab::new(["Alien (1979)", "Brazil (1985)", "Heat (1995)"].map(String::from).to_vec(), false);
        let model = spec.init(2, &Device::flex());
        let bytes = read::block_on(collab_core::save::save(&model, &spec, &users, &items)).unwrap();
        let read = read::block_on(read_saved(&bytes, &[0, 3, 1, 2], SavedModel::File(1), &Device::flex())).unwrap();
        let page = &read.page;
        assert_eq!(page.0.items, items.labels);
        assert_eq!(page.1.most_rated, [1, 3, 2], "most rated first");
        let t = page.1.tables.clone().unwrap().unpack().unwrap();
        assert_eq!((t.k, t.n_items(), t.user_factors.len()), (3, 4, 0), "the page gets no user rows");
        // Labels cross as JSON bytes ([`crate::json_bytes`]), indices and the tables'
        // numbers as bytes.
        let json = serde_json::to_string(page).unwrap();
        let back: (ModelFile, ModelReading) = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, page);
        // The users stay in the worker, which answers for one at a time.
        let whole = read::block_on(tables_of(&model, &spec)).unwrap().unwrap();
        let row = read.users.row(" 3 ").unwrap();
        assert_eq!((row.id.as_str(), row.index), ("3", 3));
        assert_eq!((row.factors.as_slice(), row.bias), (whole.user(3), whole.user_bias[3]));
        assert!(row.rated.is_empty(), "a model file knows no ratings");
        assert_eq!(read.users.row("9").unwrap_err(), "user “9” is not in the training data");
        assert!(read.users.row("#na#").is_err(), "fastai's placeholder is no user");
        assert_eq!(page.1.average, collab_core::interpret::average_user(&whole));
    }

    #[test]
    fn a_fits_model_read_where_it_was_trained_reads_as_its_saved_file_does() {
        use collab_core::data::Encoded;
        let users = Vocab::new((1..7).map(|i| i.to_string()).collect(), true);
        let items = Vocab::new((1..9).map(|i| format!("movie {i}")).collect(), false);
        let counts = [0, 4, 1, 7, 2, 9, 3, 0, 5];
        let train = Encoded { users: vec![2, 1, 2], items: vec![5, 3, 1], ratings: vec![4.0, 3.0, 2.5] };
        let valid = Encoded { users: vec![2], items: vec![8], ratings: vec![1.0] };
        for kind in [ModelKind::DotProductBias, ModelKind::DotProduct, ModelKind::CollabNn] {
            let spec = ModelSpec { n_factors: 4, ..ModelSpec::new(kind, 7, 9) };
            let model = spec.init(5, &Device::flex());
            let tables = read::block_on(tables_of(&model, &spec)).unwrap();
            let kept = SavedModel::Fit(3);
            let vocabs = (&users, &items);
            let mut here = read::block_on(read_trained(&model, &spec, tables.as_ref(), vocabs, &counts, kept)).unwrap();
            here.users.rated = Some(RatedBy::new(7, &[&train, &valid]));
            let bytes = read::block_on(collab_core::save::save(&model, &spec, &users, &items)).unwrap();
            let saved = read::block_on(read_saved(&bytes, &counts, SavedModel::File(1), &Device::flex())).unwrap();
            assert_eq!(here.page, saved.page, "{kind:?}");
            assert_eq!(here.page.1.most_rated[..3], [5, 3, 8], "most rated first");
            let (fit, file) = (here.users.row("2").unwrap(), saved.users.row("2").unwrap());
            assert_eq!((&fit.factors, fit.bias), (&file.factors, file.bias), "{kind:?}");
            // The fit's worker knows who rated what: training, then validation.
            assert_eq!(
                (fit.rated.as_slice(), fit.stars.as_slice()),
                ([5, 1, 8].as_slice(), [4.0, 2.5, 1.0].as_slice())
            );
            assert_eq!(here.users.saved, SavedModel::Fit(3));
        }
    }

    #[test]
    fn the_movies_tables_are_packed_and_come_back_the_same() {
        for biased in [true, false] {
            let t = Tables {
                user_factors: (0..6).map(|v| v as f32 * 0.5).collect(),
                item_factors: (0..8).map(|v| -(v as f32)).collect(),
                k: 2,
                user_bias: if biased { vec![0.1, 0.2, 0.3] } else { vec![] },
                item_bias: if biased { vec![1.0, f32::MIN_POSITIVE, -0.0, 7.5] } else { vec![] },
                y_range: biased.then_some((0.0, 5.5)),
            };
            let packed = PackedTables::pack(&t);
            assert_eq!(packed.n_items, 4);
            let items = Tables { user_factors: vec![], user_bias: vec![], ..t.clone() };
            assert_eq!(packed.clone().unpack().unwrap(), items);
            let mut short = packed.clone();
            short.values.pop();
            assert_eq!(short.unpack().unwrap_err(), "the model's tables came back the wrong size");
            let huge = PackedTables { n_items: usize::MAX, ..packed };
            assert!(huge.unpack().is_err(), "sizes that overflow are refused, not allocated");
        }
    }
}
