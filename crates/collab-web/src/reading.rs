//! A model for sections 9 and 10, read in a worker, never on the page's thread: a fit's
//! in the training worker that holds it, when the fit ends ([`read_trained`]); a file's
//! in a worker of its own (`web::link::read_model`), the file checked and loaded first
//! ([`read_saved`]). The reading is everything that takes work in proportion to the
//! model's size (movies ranked, the PCA map, k-means taste profiles over every user row:
//! a tenth of a second natively at ml-25m's size, several times that in wasm). The page
//! keeps a handle on the saved model (a `Blob`: what Save hands back; its bytes never
//! enter the page) and what comes back here, and answers searches and recommendations
//! from the tables, among the listable movies (a fit's 1,000 most rated; every movie of
//! a model from a file).

use burn::tensor::Device;
use collab_core::interpret::{MAP_FIT, MAP_MOVIES, Tables, items_by_bias, map_points, most_rated};
use collab_core::model::{CollabModel, ModelSpec};
use collab_core::profiles::{self, Profile};
use collab_core::{read, weights};
use serde::{Deserialize, Serialize};

/// What a saved model says of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub spec: ModelSpec,
    /// User ids by index, `#na#` first.
    #[serde(with = "crate::json_bytes")]
    pub users: Vec<String>,
    /// Item labels by index, `#na#` first.
    #[serde(with = "crate::json_bytes")]
    pub items: Vec<String>,
    /// What loading said of its names ("2 names cut to 200 characters"), if anything.
    pub note: Option<String>,
}

/// Each item's ratings as the reading and the page use them: `counts` if they are the
/// model's items' (a fit's), else zeros (a model from a file: its movies then stay in
/// index order).
pub fn counts_for(counts: &[usize], n_items: usize) -> Vec<usize> {
    if counts.len() == n_items { counts.to_vec() } else { vec![0; n_items] }
}

/// Checks and loads the saved model `bytes` ([`collab_core::save::load`]: sizes against
/// the bytes, vocabularies against the tables, finite weights) on `device`, and reads it
/// for the page with `counts` ([`read_model`]).
pub async fn read_saved(bytes: &[u8], counts: &[usize], device: &Device) -> Result<(ModelFile, ModelReading), String> {
    let loaded = collab_core::save::load(bytes, device).map_err(|e| e.to_string())?;
    let counts = counts_for(counts, loaded.items.len());
    let reading = read_model(&loaded.model, &loaded.spec, &counts).await?;
    let note = loaded.note();
    let collab_core::save::LoadedModel { spec, users, items, .. } = loaded;
    Ok((ModelFile { spec, users: users.labels, items: items.labels, note }, reading))
}

/// Reads a fit's `model` (of `spec`, over `users` × `items`, with its `tables` as
/// [`tables_of`] read them) for the page with `counts` ([`read_model`]), where it was
/// trained: nothing is saved and loaded again.
pub async fn read_trained(
    model: &CollabModel,
    spec: &ModelSpec,
    tables: Option<Tables>,
    (users, items): (&collab_core::data::Vocab, &collab_core::data::Vocab),
    counts: &[usize],
) -> Result<(ModelFile, ModelReading), String> {
    let counts = counts_for(counts, items.len());
    let reading = read_tables(model, spec, tables, &counts).await?;
    let file = ModelFile { spec: spec.clone(), users: users.labels.clone(), items: items.labels.clone(), note: None };
    Ok((file, reading))
}

/// What a worker read off a model for the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReading {
    /// The factor tables (`None` for a neural model).
    pub tables: Option<PackedTables>,
    /// Predictions of three fixed pairs, for the save/load check.
    pub check: String,
    /// Item indices by ratings (training and validation), most first.
    #[serde(with = "crate::json_bytes")]
    pub popular: Vec<usize>,
    /// Movies by bias, lowest first (empty without biases).
    #[serde(with = "crate::json_bytes")]
    pub by_bias: Vec<(usize, f32)>,
    /// The most rated movies on the book's PCA map: (item, component 0, component 2).
    pub map: Vec<(usize, f32, f32)>,
    /// The users' rows grouped into taste profiles (empty for a neural model).
    pub profiles: Vec<Profile>,
}

/// [`Tables`] as they cross between threads: every number in one byte buffer (a
/// structured clone copies it at memory speed; as JavaScript numbers, millions of them
/// would take seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackedTables {
    pub n_users: usize,
    pub n_items: usize,
    pub k: usize,
    pub biased: bool,
    pub y_range: Option<(f32, f32)>,
    /// User factors, item factors, then the user and item biases if any, as
    /// little-endian f32.
    #[serde(with = "serde_bytes")]
    pub values: Vec<u8>,
}

impl PackedTables {
    pub fn pack(t: &Tables) -> Self {
        let all = [&t.user_factors, &t.item_factors, &t.user_bias, &t.item_bias];
        let mut values = Vec::with_capacity(all.iter().map(|v| v.len() * 4).sum());
        for v in all.into_iter().flatten() {
            values.extend_from_slice(&v.to_le_bytes());
        }
        PackedTables {
            n_users: t.user_factors.len() / t.k.max(1),
            n_items: t.n_items(),
            k: t.k,
            biased: !t.item_bias.is_empty(),
            y_range: t.y_range,
            values,
        }
    }

    /// The tables, if the buffer holds exactly the numbers the sizes say.
    pub fn unpack(&self) -> Result<Tables, String> {
        let rows = self.n_users.checked_add(self.n_items);
        let biases = if self.biased { rows } else { Some(0) };
        let want = rows.and_then(|n| n.checked_mul(self.k)).zip(biases).and_then(|(n, b)| n.checked_add(b));
        if want.and_then(|n| n.checked_mul(4)) != Some(self.values.len()) {
            return Err("the model's tables came back the wrong size".into());
        }
        let mut floats = self.values.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut take = |n: usize| floats.by_ref().take(n).collect::<Vec<f32>>();
        let (k, bias) = (self.k, |n: usize| if self.biased { n } else { 0 });
        Ok(Tables {
            user_factors: take(self.n_users * k),
            item_factors: take(self.n_items * k),
            k,
            user_bias: take(bias(self.n_users)),
            item_bias: take(bias(self.n_items)),
            y_range: self.y_range,
        })
    }
}

/// Reads `model` (of `spec`) for the page: its tables, its predictions of three fixed
/// pairs, and every ranking, map and profile the sections draw, with `counts` (ratings
/// of each item, one a movie: [`counts_for`]).
pub async fn read_model(model: &CollabModel, spec: &ModelSpec, counts: &[usize]) -> Result<ModelReading, String> {
    read_tables(model, spec, tables_of(model, spec).await?, counts).await
}

/// The factor tables of `model` (of `spec`), `None` for a neural model.
pub async fn tables_of(model: &CollabModel, spec: &ModelSpec) -> Result<Option<Tables>, String> {
    let w = weights::read(model).await.map_err(|e| e.to_string())?;
    Ok(Tables::from_weights(&w, spec))
}

/// [`read_model`] with the model's `tables` already read.
async fn read_tables(
    model: &CollabModel,
    spec: &ModelSpec,
    tables: Option<Tables>,
    counts: &[usize],
) -> Result<ModelReading, String> {
    let check = check(model, spec).await?;
    let popular = most_rated(counts);
    let (by_bias, map) = match &tables {
        Some(t) => (items_by_bias(t), map_points(t, &popular, MAP_FIT, MAP_MOVIES)),
        None => (Vec::new(), Vec::new()),
    };
    let profiles = tables.as_ref().map(|t| profiles::offered(t, &popular)).unwrap_or_default();
    let tables = tables.as_ref().map(PackedTables::pack);
    Ok(ModelReading { tables, check, popular, by_bias, map, profiles })
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

    #[test]
    fn a_reading_crosses_threads_and_comes_back_the_same() {
        use burn::tensor::Device;
        use collab_core::data::Vocab;
        use collab_core::model::ModelKind;
        let spec = ModelSpec { n_factors: 3, ..ModelSpec::new(ModelKind::DotProductBias, 5, 4) };
        let users = Vocab::new((1..5).map(|i| i.to_string()).collect(), true);
        let items = Vocab::new(["Alien (1979)", "Brazil (1985)", "Heat (1995)"].map(String::from).to_vec(), false);
        let model = spec.init(2, &Device::flex());
        let bytes = read::block_on(collab_core::save::save(&model, &spec, &users, &items)).unwrap();
        let read = read::block_on(read_saved(&bytes, &[0, 3, 1, 2], &Device::flex())).unwrap();
        assert_eq!(read.0.users, users.labels);
        assert_eq!(read.1.popular, [1, 3, 2], "most rated first");
        assert_eq!(read.1.tables.as_ref().unwrap().unpack().unwrap().k, 3);
        // Labels and rankings cross as JSON bytes ([`crate::json_bytes`]), the tables as bytes.
        let json = serde_json::to_string(&read).unwrap();
        let back: (ModelFile, ModelReading) = serde_json::from_str(&json).unwrap();
        assert_eq!(back, read);
    }

    #[test]
    fn a_fits_model_read_where_it_was_trained_reads_as_its_saved_file_does() {
        use burn::tensor::Device;
        use collab_core::data::Vocab;
        use collab_core::model::ModelKind;
        let users = Vocab::new((1..7).map(|i| i.to_string()).collect(), true);
        let items = Vocab::new((1..9).map(|i| format!("movie {i}")).collect(), false);
        let counts = [0, 4, 1, 7, 2, 9, 3, 0, 5];
        for kind in [ModelKind::DotProductBias, ModelKind::DotProduct, ModelKind::CollabNn] {
            let spec = ModelSpec { n_factors: 4, ..ModelSpec::new(kind, 7, 9) };
            let model = spec.init(5, &Device::flex());
            let tables = read::block_on(tables_of(&model, &spec)).unwrap();
            let here = read::block_on(read_trained(&model, &spec, tables, (&users, &items), &counts)).unwrap();
            let bytes = read::block_on(collab_core::save::save(&model, &spec, &users, &items)).unwrap();
            let saved = read::block_on(read_saved(&bytes, &counts, &Device::flex())).unwrap();
            assert_eq!(here, saved, "{kind:?}");
            assert_eq!(here.1.popular[..3], [5, 3, 8], "most rated first");
        }
    }

    #[test]
    fn tables_cross_as_bytes_and_come_back_the_same() {
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
            assert_eq!((packed.n_users, packed.n_items), (3, 4));
            assert_eq!(packed.unpack().unwrap(), t);
            let mut short = packed.clone();
            short.values.pop();
            assert_eq!(short.unpack().unwrap_err(), "the model's tables came back the wrong size");
            let huge = PackedTables { n_users: usize::MAX, ..packed };
            assert!(huge.unpack().is_err(), "sizes that overflow are refused, not allocated");
        }
    }
}
