//! `collab bench`: the reference fit on the chosen device; on the CPU (flex) also timed
//! with the optimizer's tensor version, where one epoch's time goes, and one epoch of each
//! model both ways; then milliseconds per batch of the reference model and EmbeddingNN on
//! each device, timed as the page's device race times them. Prints figures, asserts
//! nothing.

use std::sync::Arc;
use std::time::Instant;

use burn::tensor::Device;
use collab_core::data::CollabData;
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read::block_on;
use collab_core::train::{EpochMetrics, FitSettings, Learner, Phase, RACE_STEPS, RACE_WARMUP, format_table};

use crate::device::Choice;

/// A fresh learner on the CPU, its optimizer fused or not.
fn learner(data: &Arc<CollabData>, spec: &ModelSpec, fit: FitSettings, fused: bool) -> Learner {
    let mut l = Learner::new(data.clone(), spec.clone(), fit, &Device::flex());
    l.set_fused_optimizer(fused);
    l
}

/// A whole fit: its rows and seconds.
fn fit(mut l: Learner) -> Result<(Vec<EpochMetrics>, f64), String> {
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64();
    let rows = block_on(l.fit(&clock, |_| std::ops::ControlFlow::Continue(()))).map_err(|e| e.to_string())?;
    Ok((rows, start.elapsed().as_secs_f64()))
}

/// One epoch split into the phases of its steps and the validation pass (seconds).
fn profile(mut l: Learner) -> Result<[f64; 5], String> {
    let mut split = [0.0f64; 5];
    let mut last = Instant::now();
    // Each phase runs from the previous mark (the step's start is the last step's end).
    let mut mark = |phase: Phase| {
        let now = Instant::now();
        split[phase as usize] += (now - last).as_secs_f64();
        last = now;
    };
    while l.train_batch_marked(&mut mark).is_some() {}
    let start = Instant::now();
    block_on(l.end_epoch(0.0)).map_err(|e| e.to_string())?;
    split[4] = start.elapsed().as_secs_f64();
    Ok(split)
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
    let (rows, fused) = fit(learner(data, spec, settings, true))?;
    print!("{}", format_table(&rows));
    let epochs = rows.len();
    println!(
        "fit: {fused:.2} s for {epochs} epochs ({:.2} s an epoch), final valid MSE {:.4}",
        fused / epochs as f64,
        valid(&rows)
    );
    let (tensor_rows, tensor) = fit(learner(data, spec, settings, false))?;
    println!(
        "the same fit with the optimizer as tensor operations: {tensor:.2} s, final valid MSE {:.4}; \
         fused pass {:.2}x faster",
        valid(&tensor_rows),
        tensor / fused
    );
    for (label, fused) in [("fused optimizer", true), ("tensor optimizer", false)] {
        let s = profile(learner(data, spec, settings, fused))?;
        let total: f64 = s.iter().sum();
        let pct = |v: f64| 100.0 * v / total;
        println!(
            "one epoch, {label}: {total:.2} s = forward {:.2} s ({:.0}%), backward {:.2} s ({:.0}%), optimizer {:.2} s ({:.0}%), \
             bookkeeping {:.2} s ({:.0}%), validation {:.2} s ({:.0}%)",
            s[0],
            pct(s[0]),
            s[1],
            pct(s[1]),
            s[2],
            pct(s[2]),
            s[3],
            pct(s[3]),
            s[4],
            pct(s[4])
        );
    }
    println!("one epoch of each model (tensor / fused optimizer time):");
    for kind in ModelKind::ALL {
        let spec = ModelSpec { n_factors: spec.n_factors, ..ModelSpec::new(kind, spec.n_users, spec.n_items) };
        let one = FitSettings { epochs: 1, ..settings };
        let (_, fused) = fit(learner(data, &spec, one, true))?;
        let (_, tensor) = fit(learner(data, &spec, one, false))?;
        println!("  {:<30} fused {fused:.2} s, tensor {tensor:.2} s: {:.2}x", kind.name(), tensor / fused);
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
