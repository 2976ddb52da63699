//! `collab bench`: the reference fit on the chosen device along each of the learner's
//! step paths with their ratios: on the CPU (flex) the step written out on the host, burn
//! with the fused optimizer and burn with the optimizer as tensor operations, where one
//! epoch's time goes on each, and one epoch of each model on each; on wgpu the two-kernel
//! GPU step and burn's tensors. Then milliseconds per batch of the reference model and
//! EmbeddingNN on each device and path, at batch 64 and at a GPU-sized batch, timed as
//! the page's device race times them. Prints figures, asserts nothing.

use std::sync::Arc;
use std::time::Instant;

use burn::tensor::Device;
use collab_core::data::{CollabData, DataSettings};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read::block_on;
use collab_core::train::{
    EpochMetrics, FitSettings, Learner, OptimSettings, OptimizerKind, RACE_STEPS, RACE_WARMUP, StepPath, bench,
    format_table,
};

use crate::device::Choice;

/// A fresh learner on the CPU along `path`.
fn learner(data: &Arc<CollabData>, spec: &ModelSpec, fit: FitSettings, path: StepPath) -> Learner {
    Learner::on_path(data.clone(), spec.clone(), fit, &Device::flex(), path)
}

/// A batch size that keeps a GPU busy: the per-batch figures are also given at it.
const GPU_BATCH: usize = 4096;

/// The batch size of the figures at scale (the issue's: ml-25m at batch 4096).
pub const SCALE_BATCH: usize = 4096;

/// The most ratings the comparison of paths and models runs on (MovieLens-100k's size,
/// with room): beyond it, only the figures at scale.
pub const REFERENCE_MAX: usize = 200_000;

/// One epoch of DotProductBias on the CPU's host step at [`SCALE_BATCH`], with fastai's
/// Adam and with lazy Adam: the epoch's training time, ms a batch, the validation's time
/// and the valid MSE after it (a one-epoch one-cycle fit at the given learning rate).
pub fn scale(data: &Arc<CollabData>, spec: &ModelSpec, settings: FitSettings) -> Result<(), String> {
    let data = match data.settings.batch_size {
        SCALE_BATCH => data.clone(),
        _ => Arc::new(CollabData {
            settings: DataSettings { batch_size: SCALE_BATCH, ..data.settings },
            ..(**data).clone()
        }),
    };
    let spec = ModelSpec { kind: ModelKind::DotProductBias, y_range: Some((0.0, 5.5)), ..spec.clone() };
    println!(
        "at scale: {} with {} factors, batch {SCALE_BATCH}, one epoch (one-cycle, lr {}), on the CPU's host step:",
        spec.kind.name(),
        spec.n_factors,
        settings.schedule.peak()
    );
    for kind in [OptimizerKind::Adam, OptimizerKind::LazyAdam] {
        let fit = FitSettings { epochs: 1, optim: OptimSettings { kind, ..settings.optim }, ..settings };
        let mut l = learner(&data, &spec, fit, StepPath::Direct);
        let start = Instant::now();
        let mut batches = 0;
        while l.train_batch().is_some() {
            batches += 1;
        }
        let train = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let row = block_on(l.end_epoch(&|| 0.0)).map_err(|e| e.to_string())?;
        let valid = start.elapsed().as_secs_f64();
        println!(
            "  {:<9} {train:.2} s an epoch ({batches} batches, {:.3} ms a batch), validation {valid:.2} s, valid MSE \
             {:.4} ({})",
            kind.key(),
            train * 1000.0 / batches.max(1) as f64,
            row.valid_loss,
            l.step_kind()
        );
    }
    Ok(())
}

/// The page's reading of a dot-product model (sections 9 and 10: biases ranked, the
/// book's PCA map, taste profiles, similar movies, recommendations, a new user fitted),
/// timed natively on tables of this data's size and `k` factors. Their numbers are made
/// up (the work does not depend on them, except k-means, which then runs all its rounds:
/// the longest case); the counts that rank the movies are the data's own.
pub fn interpretation(data: &CollabData, k: usize) {
    use collab_core::interpret::{self, Tables};
    let (n_users, n_items) = (data.users.len(), data.items.len());
    let made_up = |n: usize, salt: usize| -> Vec<f32> {
        (0..n).map(|i| ((i.wrapping_mul(2_654_435_761).wrapping_add(salt)) % 2001) as f32 / 2000.0 - 0.5).collect()
    };
    let t = Tables {
        user_factors: made_up(n_users * k, 1),
        item_factors: made_up(n_items * k, 2),
        k,
        user_bias: made_up(n_users, 3),
        item_bias: made_up(n_items, 4),
        y_range: Some((0.0, 5.5)),
    };
    let counts = collab_core::rated::item_counts(n_items, &[&data.train, &data.valid]);
    println!(
        "interpretation, on the host ({n_users} users x {n_items} movies, {k} factors), as the page reads a model:"
    );
    let time = |what: &str, f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        println!("  {what:<48} {:>8.1} ms", start.elapsed().as_secs_f64() * 1000.0);
    };
    let mut popular = Vec::new();
    time("movies ranked by ratings", &mut || popular = interpret::most_rated(&counts));
    let listable: Vec<usize> = popular.iter().copied().take(interpret::MAP_FIT).collect();
    time("movies ranked by bias", &mut || drop(interpret::items_by_bias(&t)));
    let (fit, drawn) = (interpret::MAP_FIT, interpret::MAP_MOVIES);
    time(&format!("the PCA map ({fit} most rated, {drawn} drawn)"), &mut || {
        drop(interpret::map_points(&t, &popular, fit, drawn))
    });
    let profiles = collab_core::profiles::PROFILES;
    time(&format!("{profiles} taste profiles (k-means, every user assigned)"), &mut || {
        drop(collab_core::profiles::offered(&t, &popular))
    });
    time("similar movies (among the 1,000 most rated)", &mut || {
        drop(interpret::similar_items(&t, popular[0], &listable, 10))
    });
    time("recommendations for one user", &mut || drop(interpret::recommend(&t, t.user(1), 0.0, &listable, &[], 10)));
    let rated: Vec<(usize, f32)> = listable.iter().take(10).map(|&i| (i, 4.0)).collect();
    time("a new user fitted from 10 ratings", &mut || {
        let (mean, bias) = interpret::average_user(&t);
        let (steps, lr, wd) = interpret::NEW_USER_FIT;
        drop(interpret::fit_new_user(&t, &rated, (&mean, bias), steps, lr, wd));
    });
}

/// A whole fit: its rows and seconds.
fn fit(mut l: Learner) -> Result<(Vec<EpochMetrics>, f64), String> {
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64();
    let rows = block_on(l.fit(&clock, |_| std::ops::ControlFlow::Continue(()))).map_err(|e| e.to_string())?;
    Ok((rows, start.elapsed().as_secs_f64()))
}

/// Runs the benchmark on `data` with the reference `spec` and `fit`, the fit on `device`
/// (`gpu`: wgpu's device, or why there is none).
pub fn run(data: &Arc<CollabData>, spec: &ModelSpec, settings: FitSettings, device: Choice) -> Result<(), String> {
    let valid = |rows: &[EpochMetrics]| rows.last().map_or(f64::NAN, |r| r.valid_loss);
    // wgpu's runtime starts once a process: every use below shares this device.
    let gpu = Choice::Wgpu.device();
    if device == Choice::Wgpu {
        let wgpu = gpu.clone()?;
        let (rows, direct) = fit(Learner::new(data.clone(), spec.clone(), settings, &wgpu))?;
        print!("{}", format_table(&rows));
        println!("fit on wgpu: {direct:.2} s for {} epochs, final valid MSE {:.4}", rows.len(), valid(&rows));
        let (rows, tensors) = fit(Learner::on_path(data.clone(), spec.clone(), settings, &wgpu, StepPath::Tensors))?;
        println!(
            "the same fit on wgpu along burn's tensors: {tensors:.2} s, valid MSE {:.4}, {:.2}x the kernels' time",
            valid(&rows),
            tensors / direct
        );
        return per_batch(data, spec, gpu);
    }
    let (rows, host) = fit(learner(data, spec, settings, StepPath::Direct))?;
    print!("{}", format_table(&rows));
    let epochs = rows.len();
    println!(
        "fit: {host:.2} s for {epochs} epochs ({:.2} s an epoch), final valid MSE {:.4}",
        host / epochs as f64,
        valid(&rows)
    );
    println!("the same fit along each CPU path (time, final valid MSE, time / the direct path's):");
    for path in [StepPath::FusedOptimizer, StepPath::Tensors] {
        let (rows, seconds) = fit(learner(data, spec, settings, path))?;
        println!(
            "  {:<8} {:<48} {seconds:.2} s, valid MSE {:.4}, {:.2}x",
            path.key(),
            path.describe(),
            valid(&rows),
            seconds / host
        );
    }
    println!("one epoch, where its time goes:");
    for path in StepPath::ALL.into_iter().rev() {
        let mut l = learner(data, spec, settings, path);
        let start = Instant::now();
        let split =
            block_on(bench::profile_epoch(&mut l, &|| start.elapsed().as_secs_f64())).map_err(|e| e.to_string())?;
        println!("  {:<8} {split}", path.key());
    }
    println!("one epoch of each model (seconds along each path; tensors / direct and fused / direct):");
    for kind in ModelKind::ALL {
        let spec = ModelSpec { n_factors: spec.n_factors, ..ModelSpec::new(kind, spec.n_users, spec.n_items) };
        let one = FitSettings { epochs: 1, ..settings };
        let time = |path| fit(learner(data, &spec, one, path)).map(|(_, seconds)| seconds);
        let (host, fused, tensors) =
            (time(StepPath::Direct)?, time(StepPath::FusedOptimizer)?, time(StepPath::Tensors)?);
        println!(
            "  {:<30} direct {host:.2} s, fused {fused:.2} s, tensors {tensors:.2} s: {:.2}x, {:.2}x",
            kind.name(),
            tensors / host,
            fused / host
        );
    }
    per_batch(data, spec, gpu)
}

/// Milliseconds per batch of DotProductBias and EmbeddingNN on each device along the
/// direct path and burn's tensors, at batch 64 and at [`GPU_BATCH`], timed as the page's
/// device race does: a fresh learner, a few untimed batches, then timed ones up to a
/// read of their losses.
fn per_batch(data: &Arc<CollabData>, spec: &ModelSpec, gpu: Result<Device, String>) -> Result<(), String> {
    let start = Instant::now();
    let now_ms = || start.elapsed().as_secs_f64() * 1000.0;
    let devices = [(Choice::Flex, Ok(Device::flex())), (Choice::Wgpu, gpu)];
    println!("ms per batch ({RACE_WARMUP} untimed batches, then {RACE_STEPS} timed, as the page's device race):");
    for batch_size in [64, GPU_BATCH] {
        let data = Arc::new(CollabData { settings: DataSettings { batch_size, ..data.settings }, ..(**data).clone() });
        for kind in [ModelKind::DotProductBias, ModelKind::EmbeddingNn] {
            let spec = ModelSpec { n_factors: spec.n_factors, ..ModelSpec::new(kind, spec.n_users, spec.n_items) };
            let mut laps = Vec::new();
            for (choice, device) in &devices {
                for path in [StepPath::Direct, StepPath::Tensors] {
                    let ms = device.clone().and_then(|d| {
                        let mut l = Learner::on_path(data.clone(), spec.clone(), FitSettings::default(), &d, path);
                        let ms = block_on(l.time_batches(RACE_WARMUP, RACE_STEPS, &now_ms)).map_err(|e| e.to_string());
                        ms.map(|t| (t, l.step_kind()))
                    });
                    laps.push(match ms {
                        Ok((t, how)) => {
                            format!(
                                "{} {} {:.3} ms, {:.3} ms to queue ({how})",
                                choice.name(),
                                path.key(),
                                t.ms,
                                t.queue_ms
                            )
                        }
                        Err(e) => format!("{} {}: {e}", choice.name(), path.key()),
                    });
                }
            }
            println!("  {:<30} batch {batch_size}:", kind.name());
            for lap in laps {
                println!("    {lap}");
            }
        }
    }
    Ok(())
}
