//! The small computations the page's teaching cells show, each done with the crate's
//! real tensors on the device: hand-set factors, and the same rows fetched by a one-hot
//! matrix product and by an embedding lookup.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::model::dot::lookup;
use crate::model::{CollabModel, apply_y_range};
use crate::read::{self, ReadError};
use crate::sheet::Sheet;
use crate::train::TrainError;

/// Dot products of one user's factors with each movie's: the "match" of section 2.
pub async fn dot_products(user: &[f32], items: &[Vec<f32>], device: &Device) -> Result<Vec<f32>, ReadError> {
    let k = user.len();
    let u = Tensor::<2>::from_data(TensorData::new(user.to_vec(), [1, k]), device); // [1, k]
    let flat: Vec<f32> = items.iter().flat_map(|row| row.iter().copied()).collect();
    let i = Tensor::<2>::from_data(TensorData::new(flat, [items.len(), k]), device); // [n, k]
    read::floats(i.matmul(u.transpose()).reshape([-1])).await // [n]
}

/// A one-hot row vector `[1, n]` with its 1 at `index`, built on the host: burn's own
/// `one_hot` reads its indices back synchronously, which WebGPU in a browser forbids.
pub fn one_hot(index: usize, n: usize, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0f32; n];
    values[index] = 1.0;
    Tensor::from_data(TensorData::new(values, [1, n]), device)
}

/// One rating's factors fetched two ways, with the prediction and loss from each.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The user's one-hot vector, `[n_users]`.
    pub user_one_hot: Vec<f32>,
    /// The movie's one-hot vector, `[n_items]`.
    pub item_one_hot: Vec<f32>,
    /// one_hot(user) x user factor table, `[k]`.
    pub user_by_product: Vec<f32>,
    /// one_hot(movie) x movie factor table, `[k]`.
    pub item_by_product: Vec<f32>,
    /// The user's row fetched by index (the Embedding module), `[k]`.
    pub user_by_index: Vec<f32>,
    /// The movie's row fetched by index, `[k]`.
    pub item_by_index: Vec<f32>,
    /// The dot product of the two one-hot rows: the prediction before biases and squashing.
    pub dot: f32,
    /// The user's and the movie's bias, through the same one-hot products (when the
    /// model has biases).
    pub biases: Option<(f32, f32)>,
    /// sigmoid_range's bounds, when on: prediction = lo + (hi − lo)·σ(dot + biases).
    pub y_range: Option<(f32, f32)>,
    /// Prediction from the one-hot rows (plus biases and sigmoid_range if on).
    pub pred_by_product: f32,
    /// Prediction of the model itself (embedding lookups).
    pub pred_by_index: f32,
    /// Squared error of each.
    pub loss_by_product: f32,
    /// Squared error of the model's prediction.
    pub loss_by_index: f32,
    /// Multiply-adds of the two one-hot products.
    pub product_ops: usize,
    /// Numbers read by the two lookups.
    pub lookup_reads: usize,
}

/// Fetches the factors of rating (`user`, `item`) of the sheet by one-hot products and by
/// lookup, and predicts with each. The lookup side is the model's own forward pass.
pub async fn lookup_both(sheet: &Sheet, user: usize, item: usize, device: &Device) -> Result<Lookup, ReadError> {
    let (n_u, n_i) = sheet.dims();
    let k = sheet.settings.k;
    let rating = sheet.cross.cells[user][item].unwrap_or(0.0);
    let model = sheet.model(device);
    let idx = |i: usize| Tensor::<1, Int>::from_data(TensorData::new(vec![i as i32], [1]), device);
    let one_hot_u = one_hot(user, n_u, device); // [1, n_u]
    let one_hot_i = one_hot(item, n_i, device); // [1, n_i]
    let u_prod = one_hot_u.clone().matmul(model.user_factors()); // [1, k]
    let i_prod = one_hot_i.clone().matmul(model.item_factors()); // [1, k]
    let (u_idx, i_idx, biases) = match &model {
        CollabModel::Dot(m) => {
            let biases = match (&m.user_bias, &m.item_bias) {
                // Biases through the same one-hot products: [1, 1] each.
                (Some(ub), Some(ib)) => {
                    Some((one_hot_u.clone().matmul(ub.weight.val()), one_hot_i.clone().matmul(ib.weight.val())))
                }
                _ => None,
            };
            (lookup(&m.user_factors, idx(user)), lookup(&m.item_factors, idx(item)), biases)
        }
        _ => unreachable!("the sheet is a dot model"),
    };
    let dot = (u_prod.clone() * i_prod.clone()).sum_dim(1); // [1, 1]
    let mut x = dot.clone();
    if let Some((ub, ib)) = biases.clone() {
        x = x + ub + ib;
    }
    let pred_prod = apply_y_range(x.reshape([1]), sheet.model_y_range()); // [1]
    let pred_idx = model.forward(idx(user), idx(item)); // [1]
    let loss = |p: Tensor<1>| p.sub_scalar(rating).powi_scalar(2);
    let has_biases = biases.is_some();
    let mut parts = vec![
        one_hot_u.reshape([-1]),
        one_hot_i.reshape([-1]),
        u_prod.reshape([-1]),
        i_prod.reshape([-1]),
        u_idx.reshape([-1]),
        i_idx.reshape([-1]),
        pred_prod.clone(),
        pred_idx.clone(),
        loss(pred_prod),
        loss(pred_idx),
        dot.reshape([1]),
    ];
    if let Some((ub, ib)) = biases {
        parts.extend([ub.reshape([1]), ib.reshape([1])]);
    }
    let v = read::floats(Tensor::cat(parts, 0)).await?;
    let mut at = 0;
    let mut take = |n: usize| {
        at += n;
        v[at - n..at].to_vec()
    };
    Ok(Lookup {
        user_one_hot: take(n_u),
        item_one_hot: take(n_i),
        user_by_product: take(k),
        item_by_product: take(k),
        user_by_index: take(k),
        item_by_index: take(k),
        pred_by_product: take(1)[0],
        pred_by_index: take(1)[0],
        loss_by_product: take(1)[0],
        loss_by_index: take(1)[0],
        dot: take(1)[0],
        biases: has_biases.then(|| (take(1)[0], take(1)[0])),
        y_range: sheet.model_y_range(),
        product_ops: (n_u + n_i) * k,
        lookup_reads: 2 * k,
    })
}

/// The bias comparison on the sheet's own ratings: every fifth rated cell (in reading
/// order) is held out, the rest trained for `steps` full-batch steps from the sheet's
/// numbers, once without and once with biases; the RMSE of each on the held-out cells.
pub async fn bias_comparison(sheet: &Sheet, steps: usize, device: &Device) -> Result<(f32, f32), TrainError> {
    let rated = sheet.rated();
    let (held, trained): (Vec<_>, Vec<_>) = rated.into_iter().enumerate().partition(|(n, _)| n % 5 == 4);
    let held: Vec<(usize, usize, f32)> = held.into_iter().map(|(_, cell)| cell).collect();
    let trained: Vec<(usize, usize)> = trained.into_iter().map(|(_, (u, i, _))| (u, i)).collect();
    if held.is_empty() || trained.is_empty() {
        return Err(TrainError::Nothing("the sheet has too few ratings to hold some out".into()));
    }
    let mut rmse = [0.0f32; 2];
    for (slot, bias) in rmse.iter_mut().zip([false, true]) {
        let mut s = sheet.clone();
        s.settings.bias = bias;
        for _ in 0..steps {
            s.step(device, &trained).await?;
        }
        let eval = s.evaluate(device).await?;
        let sse: f32 = held.iter().map(|&(u, i, r)| (eval.preds[u][i] - r).powi(2)).sum();
        *slot = (sse / held.len() as f32).sqrt();
    }
    Ok((rmse[0], rmse[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CrossTable;
    use crate::data::synth::{SynthSettings, generate};
    use crate::read::block_on;
    use crate::sheet::SheetSettings;

    #[test]
    fn biases_predict_held_out_ratings_better() {
        // The demo table's ratings carry planted user and movie biases.
        let table = generate(SynthSettings { users: 40, items: 24, density: 0.55, ..SynthSettings::default() });
        let sheet = Sheet::new(CrossTable::top(&table, 15), SheetSettings::default(), 1);
        let (without, with) = block_on(bias_comparison(&sheet, 60, &Device::flex())).unwrap();
        assert!(with < without, "held-out RMSE with biases {with} should beat {without} without");
    }

    #[test]
    fn hand_set_dot_products() {
        let got =
            block_on(dot_products(&[1.0, 0.5, -1.0], &[vec![0.9, 0.1, 0.0], vec![0.0, 1.0, 1.0]], &Device::flex()))
                .unwrap();
        assert!((got[0] - 0.95).abs() < 1e-6 && (got[1] + 0.5).abs() < 1e-6, "{got:?}");
    }

    #[test]
    fn one_hot_and_lookup_agree_with_and_without_bias() {
        let table = generate(SynthSettings::default());
        for settings in [SheetSettings::default(), SheetSettings { bias: true, y_range: true, ..Default::default() }] {
            let mut sheet = Sheet::new(CrossTable::top(&table, 15), settings, 2);
            if settings.bias {
                sheet.set(crate::sheet::USER_BIAS, 4, 0, 0.3).unwrap();
            }
            let (u, i, _) = sheet.rated()[5];
            let l = block_on(lookup_both(&sheet, u, i, &Device::flex())).unwrap();
            assert_eq!(l.user_by_product, l.user_by_index);
            assert_eq!(l.item_by_product, l.item_by_index);
            assert!((l.pred_by_product - l.pred_by_index).abs() < 1e-6);
            assert_eq!(l.user_one_hot.iter().filter(|&&x| x == 1.0).count(), 1);
            assert_eq!(l.user_one_hot[u], 1.0);
            assert_eq!(l.product_ops, 30 * 5);
        }
    }
}
