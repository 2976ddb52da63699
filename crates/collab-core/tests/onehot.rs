//! An embedding lookup is a one-hot matrix product: same values, same gradients.

use burn::nn::Embedding;
use burn::tensor::{Int, Tensor, TensorData};
use collab_core::model::dot::lookup;
use collab_core::model::init::Init;

use crate::device;

#[test]
fn one_hot_matmul_equals_gather_in_values_and_gradients() {
    let device = device();
    let (n, k) = (7, 4);
    let mut init = Init::new(11);
    let values = init.normal(n * k, 1.0);
    let index = vec![3, 0, 6, 3, 1];
    let b = index.len();
    let weights = || Tensor::<2>::from_data(TensorData::new(values.clone(), [n, k]), &device).require_grad();
    let idx = Tensor::<1, Int>::from_data(TensorData::new(index.clone(), [b]), &device);
    // An arbitrary downstream use of the rows, so that gradients differ per element.
    let upstream = Tensor::<2>::from_data(TensorData::new(init.normal(b * k, 1.0), [b, k]), &device);

    let w_gather = weights();
    let table = Embedding { weight: burn::module::Param::from_tensor(w_gather.clone()) };
    let gathered = lookup(&table, idx.clone()); // [b, k]

    let w_onehot = weights();
    // The page's one-hot rows, stacked: [b, n].
    let one_hot = Tensor::cat(index.iter().map(|&i| collab_core::lesson::one_hot(i as usize, n, &device)).collect(), 0);
    let product = one_hot.matmul(w_onehot.clone()); // [b, k]

    let a = gathered.clone().into_data().try_to_vec::<f32>().unwrap();
    let m = product.clone().into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(a, m, "values");

    let g_gather = (gathered * upstream.clone()).sum().backward();
    let g_onehot = (product * upstream).sum().backward();
    let ga = table.weight.val().grad(&g_gather).unwrap().into_data().try_to_vec::<f32>().unwrap();
    let gm = w_onehot.grad(&g_onehot).unwrap().into_data().try_to_vec::<f32>().unwrap();
    for (x, y) in ga.iter().zip(&gm) {
        assert!((x - y).abs() < 1e-6, "gradients {x} vs {y}");
    }
    // Rows never looked up (2, 4, 5) get no gradient; row 3, looked up twice, gets two.
    for row in [2, 4, 5] {
        assert!(ga[row * k..(row + 1) * k].iter().all(|&g| g == 0.0), "row {row}");
    }
    assert!(ga[3 * k..4 * k].iter().any(|&g| g != 0.0));
}
