//! Whole training runs: reproducible with a seed, and learning planted tastes down to
//! near the noise floor.

use std::sync::Arc;

use burn::tensor::Device;
use collab_core::data::synth::{SynthSettings, generate};
use collab_core::data::{CollabData, DataSettings, ItemKey};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read::block_on;
use collab_core::train::{FitSettings, Learner, Snapshot};

use crate::host;

fn learner(kind: ModelKind, table_seed: u64, epochs: usize) -> Learner {
    let table =
        generate(SynthSettings { users: 300, items: 200, factors: 3, density: 0.4, noise: 0.3, seed: table_seed });
    let data = Arc::new(CollabData::new(&table, DataSettings { item_key: ItemKey::Id, ..DataSettings::default() }));
    let spec = ModelSpec { n_factors: 10, ..ModelSpec::new(kind, data.users.len(), data.items.len()) };
    Learner::new(data, spec, FitSettings { epochs, ..FitSettings::default() }, &Device::flex())
}

#[test]
fn seeded_run_is_reproducible_bit_for_bit() {
    let run = || {
        let mut l = learner(ModelKind::DotProductBias, 5, 1);
        for _ in 0..40 {
            l.train_batch().unwrap();
        }
        let smooth = block_on(l.read_losses()).unwrap();
        (host(&l.model()), smooth.to_bits())
    };
    assert_eq!(run(), run());
}

#[test]
fn dot_product_bias_reaches_near_the_noise_floor() {
    // Ratings are planted tastes plus N(0, 0.3) noise, rounded to whole stars: even the
    // planted model itself cannot beat the rounding and noise. Measure that floor on the
    // same generator, then ask the trained model to come within reach of it.
    let mut l = learner(ModelKind::DotProductBias, 8, 6);
    let clock = || 0.0;
    let first = block_on(l.run_epoch(&clock)).unwrap();
    let mut last = first;
    while !l.is_done() {
        last = block_on(l.run_epoch(&clock)).unwrap();
    }
    let ratings = &l.data().valid.ratings;
    let mean = ratings.iter().sum::<f32>() / ratings.len() as f32;
    let variance = ratings.iter().map(|r| (r - mean).powi(2)).sum::<f32>() as f64 / ratings.len() as f64;
    // Rounding alone costs 1/12 (uniform error of a rounded star) and the noise 0.09.
    let floor = 1.0 / 12.0 + 0.09;
    println!(
        "valid MSE: epoch 0 {:.4}, last {:.4}; ratings' variance {variance:.4}; floor about {floor:.3}",
        first.valid_loss, last.valid_loss
    );
    assert!(last.valid_loss < first.valid_loss);
    assert!(last.valid_loss < 0.45 * variance, "learned little: {} vs variance {variance}", last.valid_loss);
    assert!(last.valid_loss < floor + 0.15, "{} is far above the floor {floor}", last.valid_loss);
}

#[test]
fn stepping_api_reports_schedule_and_epochs() {
    let mut l = learner(ModelKind::DotProduct, 2, 2);
    let per_epoch = l.data().batches_per_epoch();
    let first = l.train_batch().unwrap();
    assert_eq!((first.step, first.epoch), (0, 0));
    assert!((first.lr - 5e-3 / 25.0).abs() < 1e-12 && (first.beta1 - 0.95).abs() < 1e-12);
    assert_eq!(first.batch.len(), 64);
    for _ in 1..per_epoch {
        l.train_batch().unwrap();
    }
    assert!(l.epoch_complete());
    assert!(l.train_batch().is_none(), "an epoch must be closed before the next starts");
    let row = block_on(l.end_epoch(&|| 1.5)).unwrap();
    assert_eq!(row.epoch, 0);
    assert!(row.valid_loss.is_finite() && (row.rmse - row.valid_loss.sqrt()).abs() < 1e-12);
    assert!(l.train_batch().is_some());
}

#[test]
fn a_traced_batch_says_which_rows_moved() {
    let mut l = learner(ModelKind::DotProductBias, 3, 1);
    let trace = l.train_batch_traced().unwrap();
    assert!(!trace.user_rows.is_empty() && trace.user_rows.windows(2).all(|w| w[0] < w[1]));
    let moves = trace.user_moves.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
    assert_eq!(moves.len(), trace.user_rows.len());
    assert!(moves.iter().all(|&m| m > 0.0), "every touched row moved: {moves:?}");
}

#[test]
fn fit_calls_back_each_epoch_and_can_stop() {
    let mut l = learner(ModelKind::DotProduct, 4, 3);
    let mut seen = Vec::new();
    let rows = block_on(l.fit(&|| 0.0, |row| {
        seen.push(row.epoch);
        if row.epoch == 1 { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }
    }))
    .unwrap();
    assert_eq!(seen, vec![0, 1]);
    assert_eq!(rows.len(), 2);
    assert!(!l.is_done(), "stopped after two of three epochs");
}

/// A snapshot of burn's engine (what a page training on WebGPU keeps) restored on the
/// CPU, where the dot-product models take the host step: it carries on where burn would
/// have, to rounding (both engines name the optimizer's state alike).
#[test]
fn a_snapshot_of_burns_engine_carries_on_on_the_host_step() {
    use collab_core::train::StepPath;
    for kind in [ModelKind::DotProduct, ModelKind::DotProductBias, ModelKind::Scratch] {
        let fresh = learner(kind, 8, 2);
        let mut a = Learner::on_path(
            fresh.data().clone(),
            fresh.spec().clone(),
            *fresh.settings(),
            &Device::flex(),
            StepPath::Tensors,
        );
        for _ in 0..100 {
            a.train_batch().unwrap();
        }
        let snapshot = block_on(a.snapshot()).unwrap();
        let mut b = Learner::restore(a.data().clone(), &snapshot, &Device::flex()).unwrap();
        let on_host = |l: &Learner| l.step_kind() == "whole step on the host";
        assert!(on_host(&b) && !on_host(&a) && on_host(&fresh), "{kind:?}");
        for _ in 0..30 {
            a.train_batch().unwrap();
            b.train_batch().unwrap();
        }
        let (la, lb) = (block_on(a.read_losses()).unwrap(), block_on(b.read_losses()).unwrap());
        assert!((la - lb).abs() < 1e-6, "{kind:?}: smoothed loss {la} vs {lb}");
        for (ta, tb) in host(&a.model()).tensors.iter().zip(&host(&b.model()).tensors) {
            let d = ta.values.iter().zip(&tb.values).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(d < 1e-6, "{kind:?} {}: {d}", ta.path);
            // 30 steps of Adam moved every weight: the comparison is not of the snapshot's.
            assert_ne!(ta.values, host(&fresh.model()).tensors.iter().find(|t| t.path == ta.path).unwrap().values);
        }
    }
}

#[test]
fn snapshot_restored_on_a_fresh_device_carries_on_bit_for_bit() {
    for kind in ModelKind::ALL {
        let mut a = learner(kind, 8, 2);
        for _ in 0..100 {
            a.train_batch().unwrap();
        }
        let bytes = block_on(a.snapshot()).unwrap().to_bytes();
        let snapshot = Snapshot::from_bytes(&bytes).unwrap();
        assert_eq!(snapshot.steps_done(), 100);
        // A new device, as after losing the GPU; the data is rebuilt from the same table.
        let mut b = Learner::restore(a.data().clone(), &snapshot, &Device::flex()).unwrap();
        let zero = || 0.0;
        // Through an epoch's end (the shuffle of epoch 1 must match too) and 30 more steps.
        let row_a = block_on(a.run_epoch(&zero)).unwrap();
        let row_b = block_on(b.run_epoch(&zero)).unwrap();
        assert_eq!(row_a, row_b, "{kind:?}");
        for _ in 0..30 {
            a.train_batch().unwrap();
            b.train_batch().unwrap();
        }
        assert_eq!(block_on(a.read_losses()).unwrap().to_bits(), block_on(b.read_losses()).unwrap().to_bits());
        assert_eq!(host(&a.model()), host(&b.model()), "{kind:?}");
        assert_eq!(a.history(), b.history());
    }
}

#[test]
fn snapshot_refuses_other_data_and_bad_bytes() {
    let mut a = learner(ModelKind::DotProduct, 8, 1);
    a.train_batch().unwrap();
    let snapshot = block_on(a.snapshot()).unwrap();
    let small = generate(SynthSettings { users: 20, items: 10, seed: 3, ..SynthSettings::default() });
    let data = Arc::new(CollabData::new(&small, DataSettings::default()));
    let err = Learner::restore(data, &snapshot, &Device::flex()).err().unwrap();
    assert!(err.contains("the data has"), "{err}");
    let bytes = snapshot.to_bytes();
    assert!(Snapshot::from_bytes(&bytes[..bytes.len() - 4]).unwrap_err().contains("cut short"));
    assert!(Snapshot::from_bytes(b"COLLAB1\nxxxx").unwrap_err().contains("not a training snapshot"));
}

fn learner_with(kind: ModelKind, fit: FitSettings) -> Learner {
    let table = generate(SynthSettings { users: 300, items: 200, factors: 3, density: 0.4, noise: 0.3, seed: 5 });
    let data = Arc::new(CollabData::new(&table, DataSettings { item_key: ItemKey::Id, ..DataSettings::default() }));
    let spec = ModelSpec { n_factors: 10, y_range: None, ..ModelSpec::new(kind, data.users.len(), data.items.len()) };
    Learner::new(data, spec, fit, &Device::flex())
}

#[test]
fn a_diverging_fit_stops_at_the_step_that_broke_with_the_last_finite_weights() {
    use collab_core::train::{Schedule, TrainError};
    // A constant learning rate of 1e9 (the learner itself does not check settings: the
    // guard must hold whatever it is given). Train 30 steps, read once.
    let fit = FitSettings { epochs: 1, schedule: Schedule::Constant { lr: 1e9 }, ..FitSettings::default() };
    for kind in [ModelKind::DotProductBias, ModelKind::EmbeddingNn] {
        let mut l = learner_with(kind, fit);
        for _ in 0..30 {
            l.train_batch().unwrap();
        }
        let err = block_on(l.read_losses()).unwrap_err();
        let TrainError::Diverged(d) = &err else { panic!("{kind:?}: {err}") };
        let step = d.step.unwrap();
        assert!((1..=30).contains(&step), "{kind:?}: step {step}");
        assert!(err.to_string().contains(&format!("at step {step}: learning rate 1e9 is too high")), "{err}");
        // The learner stands just before the step that broke, every weight finite.
        assert_eq!(l.steps_done(), step - 1, "{kind:?}");
        assert!(
            host(&l.model()).tensors.iter().all(|t| t.values.iter().all(|v| v.is_finite())),
            "{kind:?}: weights stay finite"
        );
        // ... and goes no further: no batch, the same answer on every read.
        assert!(l.train_batch().is_none());
        assert_eq!(block_on(l.read_losses()).unwrap_err().to_string(), err.to_string());
        assert!(block_on(l.snapshot()).is_err());
    }
    // The same divergence is found when read after every step.
    let mut l = learner_with(ModelKind::DotProductBias, fit);
    let stopped = read_every_step(&mut l);
    let (read_at, step) = stopped.expect("lr 1e9 diverges within 30 steps");
    assert_eq!(read_at, step, "read at every step, the broken step is the one just taken");
}

/// Takes up to 30 steps of `l`, reading the losses after each, until the guard reports a
/// divergence: how many steps were taken then, and the step it names.
fn read_every_step(l: &mut Learner) -> Option<(usize, usize)> {
    for n in 1..=30 {
        l.train_batch().unwrap();
        if let Err(collab_core::train::TrainError::Diverged(d)) = block_on(l.read_losses()) {
            return Some((n, d.step.unwrap()));
        }
    }
    None
}

#[test]
fn a_big_models_guard_checkpoints_less_often_and_finds_the_same_step() {
    use collab_core::train::Schedule;
    // 4,000 users and 4,000 movies at 400 factors: 3.2 million numbers, a checkpoint every
    // third read. Read after every step, the step that broke is still the one just taken,
    // replayed from an older checkpoint.
    let table = generate(SynthSettings { users: 4000, items: 4000, factors: 4, density: 0.002, noise: 0.3, seed: 3 });
    let data = Arc::new(CollabData::new(&table, DataSettings { item_key: ItemKey::Id, ..DataSettings::default() }));
    let spec =
        ModelSpec { n_factors: 400, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
    assert!((spec.n_users + spec.n_items) * 401 > 3 << 20, "big enough for a checkpoint every third read");
    let fit = FitSettings { epochs: 1, schedule: Schedule::Constant { lr: 1e4 }, ..FitSettings::default() };
    let mut l = Learner::new(data, spec, fit, &Device::flex());
    let stopped = read_every_step(&mut l);
    let (read_at, step) = stopped.expect("lr 1e4 diverges within 30 steps");
    assert_eq!(step % 3, 2, "step {step}: two steps past the last checkpoint, so the replay takes two");
    assert_eq!(read_at, step, "the broken step is the one just taken");
    assert_eq!(l.steps_done(), step - 1);
    assert!(host(&l.model()).tensors.iter().all(|t| t.values.iter().all(|v| v.is_finite())));
}

#[test]
fn a_fit_that_stays_finite_is_untouched_by_the_guard() {
    let fit = FitSettings { epochs: 1, ..FitSettings::default() };
    let mut l = learner_with(ModelKind::DotProductBias, fit);
    let rows = block_on(l.fit(&|| 0.0, |_| std::ops::ControlFlow::Continue(()))).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(l.divergence().is_none() && l.is_done());
}

#[test]
fn settings_that_cannot_train_are_refused_up_front() {
    use collab_core::train::limits;
    let table = generate(SynthSettings { users: 10, items: 10, factors: 2, density: 0.5, noise: 0.3, seed: 1 });
    let data = CollabData::new(&table, DataSettings { batch_size: 4096, ..DataSettings::default() });
    let err = limits::against_data(&data).unwrap_err();
    assert!(err.starts_with("the batch size 4096 is larger than the"), "{err}");
    let data = CollabData::new(&table, DataSettings { batch_size: 8, ..DataSettings::default() });
    assert!(limits::against_data(&data).is_ok());
}

#[test]
fn a_fit_that_learns_nothing_says_which_way_to_move_the_rate() {
    use collab_core::data::synth;
    use collab_core::train::Schedule;
    // The page's demo table with section 8's defaults (DotProductBias, 50 factors, 5 epochs,
    // wd 0.1, batch 64, seed 42): 0.005 is the lesson's rate for 100,000 ratings, and far
    // too small a step for 500.
    let data = Arc::new(CollabData::new(&synth::demo(), DataSettings::default()));
    let spec = ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len());
    let run = |lr_max: f64, epochs: usize| {
        let fit = FitSettings { epochs, schedule: Schedule::OneCycle { lr_max }, ..FitSettings::default() };
        let mut l = Learner::new(data.clone(), spec.clone(), fit, &Device::flex());
        block_on(l.fit(&|| 0.0, |_| std::ops::ControlFlow::Continue(()))).unwrap();
        (block_on(l.learned_nothing()).unwrap(), l.history().last().unwrap().valid_loss, data.mean_baseline())
    };
    let (low, ..) = run(5e-3, 5);
    let low = low.expect("0.005 on the demo table learns too little");
    assert!(low.contains("the learning rate 0.005 is probably too low, try 0.05"), "{low}");
    // And at the rate it points to, the same fit learns: the advice was the right way round.
    let (none, valid, baseline) = run(5e-2, 5);
    assert_eq!(none, None);
    assert!(valid < 0.8 * baseline, "valid {valid} against the mean's {baseline}");
    let (still, ..) = run(1e-30, 5);
    assert!(still.expect("lr 1e-30 moves nothing").contains("the learning rate 1e-30 is probably too low"));
    // Saturating steps: sigmoid_range pins the predictions at the ends of the range.
    let (high, ..) = run(9.99, 1);
    let high = high.expect("lr 9.99 overshoots");
    assert!(high.contains("the learning rate 9.99 is probably too high, try 0.999"), "{high}");
}

#[test]
fn time_batches_times_only_the_batches_after_the_warmup() {
    // A clock that ticks 1 ms per look: the warm-up's looks are not counted, and the
    // answer is the time from the start of the timed batches to their read (and to the
    // last one's call), per batch.
    let ticks = std::cell::Cell::new(0.0);
    let now = || {
        ticks.set(ticks.get() + 1.0);
        ticks.get()
    };
    let mut l = learner(ModelKind::DotProductBias, 5, 1);
    let times = block_on(l.time_batches(5, 30, &now)).unwrap();
    assert_eq!(l.steps_done(), 35);
    // Looks at ticks 1 (start), 2 (queued) and 3 (read back).
    assert_eq!(times.ms, 2.0 / 30.0, "from the start to the read, 30 batches");
    assert_eq!(times.queue_ms, 1.0 / 30.0, "from the start to the last batch queued");
    // The same learner on the same steps as a plain run: timing changes no number.
    let mut plain = learner(ModelKind::DotProductBias, 5, 1);
    for _ in 0..35 {
        plain.train_batch().unwrap();
    }
    block_on(plain.read_losses()).unwrap();
    assert_eq!(host(&l.model()), host(&plain.model()));
    // Nothing left in the epoch to time: said in words, not a division by zero.
    let batches = l.data().batches_per_epoch();
    let mut spent = learner(ModelKind::DotProductBias, 5, 1);
    let e = block_on(spent.time_batches(batches, 30, &now)).unwrap_err();
    assert!(e.to_string().contains("no batch was left to time"), "{e}");
}

#[test]
fn the_lr_finder_trains_at_its_schedule_and_stops_at_four_times_the_minimum() {
    use collab_core::train::lr_find::{self, Stop};
    let table = generate(SynthSettings { users: 300, items: 200, factors: 3, density: 0.4, noise: 0.3, seed: 3 });
    // The book's first model, no sigmoid_range: nothing bounds its loss as the rate grows.
    let mut texts = collab_core::settings::Texts::defaults();
    texts.set(collab_core::settings::Key::Model, "dotraw");
    let settings = texts.settings().unwrap();
    let data = Arc::new(settings.data(&table));
    let mut learner = settings.lr_finder(data.clone(), &Device::flex());
    assert_eq!(learner.settings().optim.wd, lr_find::WD);
    let sweep = block_on(lr_find::run(&mut learner)).unwrap();
    // Each recorded rate is the one its batch trained at.
    assert_eq!(learner.steps_done(), sweep.lrs.len());
    for (i, lr) in sweep.lrs.iter().enumerate() {
        assert_eq!(*lr, lr_find::schedule(100).at(i, 0).0);
    }
    // Up to 10 with Adam, the loss blows up before the last batch, and the stop rule holds.
    assert_eq!(sweep.stop, Some(Stop::Diverged), "{:?}", sweep.losses);
    let min = sweep.losses.iter().copied().fold(f64::INFINITY, f64::min);
    let last = *sweep.losses.last().unwrap();
    assert!(last > 4.0 * min && sweep.losses[..sweep.losses.len() - 1].iter().all(|&l| l <= 4.0 * min));
    // The suggestion lies on the curve's fall: below the curve's start, before its minimum.
    let s = lr_find::Sweep::suggestion(&sweep).unwrap();
    let argmin = sweep.losses.iter().position(|&l| l == min).unwrap();
    assert!(s.index < argmin && s.loss < sweep.losses[10], "{s:?} min at {argmin}");
}

/// Batches up to 65,536 ratings are taken, with fastai's Adam and lazy Adam, on the host
/// step and burn's tensors alike (one step of each, the same loss and weights).
#[test]
fn a_batch_of_65536_trains_on_every_cpu_path() {
    use collab_core::train::{OptimSettings, OptimizerKind, StepPath, limits};
    assert!(limits::batch_size(65_536).is_ok());
    assert_eq!(limits::batch_size(65_537).unwrap_err(), "the batch size must be 1 to 65536, not 65537");
    let table = generate(SynthSettings { users: 420, items: 300, factors: 3, density: 0.7, noise: 0.3, seed: 2 });
    let settings = DataSettings { item_key: ItemKey::Id, batch_size: 65_536, ..DataSettings::default() };
    let data = Arc::new(CollabData::new(&table, settings));
    limits::against_data(&data).unwrap();
    assert_eq!(data.batches_per_epoch(), 1);
    let spec =
        ModelSpec { n_factors: 8, ..ModelSpec::new(ModelKind::DotProductBias, data.users.len(), data.items.len()) };
    for kind in [OptimizerKind::Adam, OptimizerKind::LazyAdam] {
        let fit = FitSettings {
            epochs: 1,
            optim: OptimSettings { kind, ..OptimSettings::default() },
            ..FitSettings::default()
        };
        let step = |path| {
            let mut l = Learner::on_path(data.clone(), spec.clone(), fit, &crate::device(), path);
            let loss = block_on(collab_core::read::floats(l.train_batch().unwrap().loss)).unwrap()[0];
            (loss, host(&l.model()))
        };
        let ((host_loss, host_weights), (tensor_loss, tensor_weights)) =
            (step(StepPath::Direct), step(StepPath::Tensors));
        assert!(
            host_loss.is_finite() && (host_loss - tensor_loss).abs() < 1e-5,
            "{kind:?}: {host_loss} vs {tensor_loss}"
        );
        for (a, b) in host_weights.tensors.iter().zip(&tensor_weights.tensors) {
            let gap = a.values.iter().zip(&b.values).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
            assert!(gap < 1e-6, "{kind:?} {}: {gap}", a.path);
        }
    }
}
