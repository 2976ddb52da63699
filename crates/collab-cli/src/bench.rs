//! `collab bench`: the reference fit on the chosen device; on the CPU (flex) the same fit
//! along each of the learner's CPU paths (the whole step on the host, burn with the fused
//! optimizer, burn with the optimizer as tensor operations) with their ratios, where one
//! epoch's time goes on each, and one epoch of each model on each; then milliseconds per
//! batch of the reference model and EmbeddingNN on each device, timed as the page's
//! device race times them. Prints figures, asserts nothing.

use std::sync::Arc;
use std::time::Instant;

use burn::tensor::Device;
use collab_core::data::CollabData;
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read::block_on;
use collab_core::train::{CpuPath, EpochMetrics, FitSettings, Learner, RACE_STEPS, RACE_WARMUP, format_table};

use crate::device::Choice;

/// A fresh learner on the CPU along `path`.
fn learner(data: &Arc<CollabData>, spec: &ModelSpec, fit: FitSettings, path: CpuPath) -> Learner {
    Learner::on_path(data.clone(), spec.clone(), fit, &Device::flex(), path)
}

/// A whole fit: its rows and seconds.
fn fit(mut l: Learner) -> Result<(Vec<EpochMetrics>, f64), String> {
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64();
    let rows = block_on(l.fit(&clock, |_| std::ops::ControlFlow::Continue(()))).map_err(|e| e.to_string())?;
    Ok((rows, start.elapsed().as_secs_f64()))
}

/// Runs the benchmark on `data` with the reference `spec` and `fit`, the fit on `device`.
pub fn run(data: &Arc<CollabData>, spec: &ModelSpec, settings: FitSettings, device: Choice) -> Result<(), String> {
    let valid = |rows: &[EpochMetrics]| rows.last().map_or(f64::NAN, |r| r.valid_loss);
    if device == Choice::Wgpu {
        let (rows, seconds) = fit(Learner::new(data.clone(), spec.clone(), settings, &device.device()?))?;
        print!("{}", format_table(&rows));
        println!("fit on wgpu: {seconds:.2} s for {} epochs, final valid MSE {:.4}", rows.len(), valid(&rows));
        return per_batch(data, spec);
    }
    let (rows, host) = fit(learner(data, spec, settings, CpuPath::Host))?;
    print!("{}", format_table(&rows));
    let epochs = rows.len();
    println!(
        "fit: {host:.2} s for {epochs} epochs ({:.2} s an epoch), final valid MSE {:.4}",
        host / epochs as f64,
        valid(&rows)
    );
    println!("the same fit along each CPU path (time, final valid MSE, time / host path's):");
    for path in [CpuPath::FusedOptimizer, CpuPath::Tensors] {
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
    for path in CpuPath::ALL.into_iter().rev() {
        let mut l = learner(data, spec, settings, path);
        let start = Instant::now();
        let split = block_on(l.profile_epoch(&|| start.elapsed().as_secs_f64())).map_err(|e| e.to_string())?;
        println!("  {:<8} {split}", path.key());
    }
    println!("one epoch of each model (seconds along each path; tensors / host and fused / host):");
    for kind in ModelKind::ALL {
        let spec = ModelSpec { n_factors: spec.n_factors, ..ModelSpec::new(kind, spec.n_users, spec.n_items) };
        let one = FitSettings { epochs: 1, ..settings };
        let time = |path| fit(learner(data, &spec, one, path)).map(|(_, seconds)| seconds);
        let (host, fused, tensors) = (time(CpuPath::Host)?, time(CpuPath::FusedOptimizer)?, time(CpuPath::Tensors)?);
        println!(
            "  {:<30} host {host:.2} s, fused {fused:.2} s, tensors {tensors:.2} s: {:.2}x, {:.2}x",
            kind.name(),
            tensors / host,
            fused / host
        );
    }
    per_batch(data, spec)
}

/// Milliseconds per batch (batch 64) of DotProductBias and EmbeddingNN on each device,
/// timed as the page's device race does: a fresh learner, a few untimed batches, then
/// timed ones up to a read of their losses.
fn per_batch(data: &Arc<CollabData>, spec: &ModelSpec) -> Result<(), String> {
    let start = Instant::now();
    let now_ms = || start.elapsed().as_secs_f64() * 1000.0;
    // One device each: wgpu's runtime is set up once.
    let devices: Vec<(Choice, Result<Device, String>)> =
        [Choice::Flex, Choice::Wgpu].into_iter().map(|c| (c, c.device())).collect();
    println!("ms per batch ({RACE_WARMUP} untimed batches, then {RACE_STEPS} timed, as the page's device race):");
    for kind in [ModelKind::DotProductBias, ModelKind::EmbeddingNn] {
        let spec = ModelSpec { n_factors: spec.n_factors, ..ModelSpec::new(kind, spec.n_users, spec.n_items) };
        let laps: Vec<String> = devices
            .iter()
            .map(|(choice, device)| {
                let ms = device.clone().and_then(|d| {
                    let mut l = Learner::new(data.clone(), spec.clone(), FitSettings::default(), &d);
                    block_on(l.time_batches(RACE_WARMUP, RACE_STEPS, &now_ms)).map_err(|e| e.to_string())
                });
                match ms {
                    Ok(ms) => format!("{} {ms:.3} ms", choice.name()),
                    Err(e) => format!("{}: {e}", choice.name()),
                }
            })
            .collect();
        println!("  {:<30} {}", kind.name(), laps.join("; "));
    }
    Ok(())
}
