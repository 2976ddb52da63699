//! The formula on the spreadsheet's focused cell, with its live numbers, as a spreadsheet
//! shows SUMPRODUCT: on a rating cell, the prediction as a sum of products (plus biases,
//! through sigmoid_range when on); on a factor or bias, the gradient of the MSE with
//! respect to it, term by term over the ratings it takes part in.

use collab_core::sheet::{ITEM_BIAS, ITEM_FACTORS, Sheet, SheetEval, USER_BIAS, USER_FACTORS};

use crate::grid::{Cell, layout, number};

/// Terms written out before "… and N more".
const SHOWN: usize = 4;

/// The formula for the cell at `cursor`, or a hint when it has none.
pub fn at(sheet: &Sheet, eval: Option<&SheetEval>, cursor: (usize, usize)) -> String {
    let Some(eval) = eval else { return String::new() };
    match layout(sheet).get(cursor.0).and_then(|r| r.get(cursor.1)) {
        Some(Cell::Rating { user, item }) => prediction(sheet, eval, *user, *item),
        Some(Cell::Number { path, row, col, name }) => match gradient(sheet, eval, path, *row, *col) {
            Some((terms, total)) => format!("{name}: ∂MSE/∂w = {terms} = {total:.5}"),
            None => format!("{name}: it takes part in no rated cell, so the MSE has no gradient for it."),
        },
        _ => "Put the cursor on a rating to see its prediction as a sum of products, or on a factor to see its \
              gradient."
            .into(),
    }
}

/// What one prediction is made of before sigmoid_range.
struct Parts {
    /// (user factor, movie factor) per factor.
    pairs: Vec<(f32, f32)>,
    dot: f32,
    /// (user bias, movie bias) when the sheet has biases.
    biases: Option<(f32, f32)>,
}

fn parts(sheet: &Sheet, user: usize, item: usize) -> Parts {
    let k = sheet.settings.k;
    let pairs: Vec<(f32, f32)> =
        (0..k).map(|f| (number(sheet, USER_FACTORS, user, f), number(sheet, ITEM_FACTORS, item, f))).collect();
    let dot = pairs.iter().map(|(u, m)| u * m).sum();
    let biases = sheet.settings.bias.then(|| (number(sheet, USER_BIAS, user, 0), number(sheet, ITEM_BIAS, item, 0)));
    Parts { pairs, dot, biases }
}

/// "user 13 × Star Wars (1977): 0.120×0.450 + … = 1.2345 (+ biases) (→ 5.5·σ(x))".
pub fn prediction(sheet: &Sheet, eval: &SheetEval, user: usize, item: usize) -> String {
    let Parts { pairs, dot, biases } = parts(sheet, user, item);
    let products: Vec<String> = pairs.iter().map(|(u, m)| format!("{u:.3}×{m:.3}")).collect();
    let mut text = format!(
        "user {} × {}: SUMPRODUCT = {} = {dot:.4}",
        sheet.cross.users[user],
        sheet.cross.titles[item],
        products.join(" + ")
    );
    let mut x = dot;
    if let Some((ub, mb)) = biases {
        x += ub + mb;
        text.push_str(&format!(" + user bias {ub:.3} + movie bias {mb:.3} = {x:.4}"));
    }
    let pred = eval.preds[user][item];
    if sheet.settings.y_range {
        text.push_str(&format!("; sigmoid_range: 5.5 × σ({x:.4}) = {pred:.4}"));
    }
    match sheet.cross.cells[user][item] {
        Some(r) => {
            let e = pred - r;
            text.push_str(&format!(". Rated {r}: error {e:.4}, squared {:.4}.", e * e))
        }
        None => text.push_str(". Not rated: this prediction is what a recommender would go by."),
    }
    text
}

/// ∂MSE/∂w for the number at `path[row][col]`, written as a sum over the rated cells it
/// takes part in, and its value: 2/n × Σ (prediction − rating) × slope × the other
/// factor, where n counts every rated cell a step learns from (the held-out ones are not
/// in the loss it minimises) and the slope is sigmoid_range's (1 without it).
pub fn gradient(sheet: &Sheet, eval: &SheetEval, path: &str, row: usize, col: usize) -> Option<(String, f32)> {
    let rated = sheet.trained_on();
    let n = rated.len() as f32;
    let cells: Vec<(usize, usize, f32)> = rated
        .into_iter()
        .filter(|(u, i, _)| match path {
            p if p == USER_FACTORS || p == USER_BIAS => *u == row,
            p if p == ITEM_FACTORS || p == ITEM_BIAS => *i == row,
            _ => false,
        })
        .collect();
    if cells.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut terms = Vec::new();
    for (u, i, r) in &cells {
        let pred = eval.preds[*u][*i];
        let slope = if sheet.settings.y_range {
            let s = pred / 5.5;
            5.5 * s * (1.0 - s)
        } else {
            1.0
        };
        let other = match path {
            p if p == USER_FACTORS => number(sheet, ITEM_FACTORS, *i, col),
            p if p == ITEM_FACTORS => number(sheet, USER_FACTORS, *u, col),
            _ => 1.0,
        };
        total += 2.0 / n * (pred - r) * slope * other;
        if terms.len() < SHOWN {
            let slope = if sheet.settings.y_range { format!("×{slope:.3}") } else { String::new() };
            terms.push(format!("({pred:.3}−{r}){slope}×{other:.3}"));
        }
    }
    let more = if cells.len() > SHOWN { format!(" + … ({} more)", cells.len() - SHOWN) } else { String::new() };
    Some((format!("2/{n} × [{}{more}]", terms.join(" + ")), total))
}

#[cfg(test)]
mod tests {
    use collab_core::data::CrossTable;
    use collab_core::data::synth::{SynthSettings, generate};
    use collab_core::read::block_on;
    use collab_core::sheet::{SheetSettings, USER_FACTORS};
    use collab_core::train::WdKind;

    use super::*;

    fn sheet(bias: bool, y_range: bool) -> Sheet {
        let table = generate(SynthSettings { users: 20, items: 15, density: 0.5, ..SynthSettings::default() });
        let settings = SheetSettings { k: 3, bias, y_range, wd: 0.0, wd_kind: WdKind::L2, ..SheetSettings::default() };
        Sheet::new(CrossTable::top(&table, 15), settings, 2)
    }

    #[test]
    fn the_prediction_is_the_sum_of_its_shown_products() {
        let device = burn::tensor::Device::flex();
        for (bias, y_range) in [(false, false), (true, true)] {
            let s = sheet(bias, y_range);
            let eval = block_on(s.evaluate(&device)).unwrap();
            let (u, i, _) = s.rated()[3];
            let Parts { pairs, dot, biases } = parts(&s, u, i);
            let x = dot + biases.map_or(0.0, |(a, b)| a + b);
            let pred = if y_range { 5.5 / (1.0 + (-x).exp()) } else { x };
            assert!((pred - eval.preds[u][i]).abs() < 1e-5, "{pred} vs {}", eval.preds[u][i]);
            assert_eq!(pairs.len(), 3);
            let text = prediction(&s, &eval, u, i);
            assert!(text.contains(&format!("= {dot:.4}")) && text.contains("Rated"), "{text}");
        }
    }

    #[test]
    fn the_gradient_written_out_is_the_one_the_step_takes() {
        let device = burn::tensor::Device::flex();
        for (bias, y_range) in [(false, false), (true, true)] {
            let mut s = sheet(bias, y_range);
            let eval = block_on(s.evaluate(&device)).unwrap();
            let (row, col) = (s.rated()[0].0, 1);
            let (terms, total) = gradient(&s, &eval, USER_FACTORS, row, col).unwrap();
            assert!(terms.starts_with(&format!("2/{} × [(", s.rated().len())), "{terms}");
            // A full-batch step's gradient of the same number, from burn's autodiff.
            let step = block_on(s.step(&device, &[])).unwrap();
            let g = step.grads.get(USER_FACTORS).unwrap();
            let autodiff = g.values[row * g.shape[1] + col];
            assert!((total - autodiff).abs() < 1e-5, "written out {total}, autodiff {autodiff}");
        }
    }
}
