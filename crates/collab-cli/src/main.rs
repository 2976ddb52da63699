//! `collab`: train the lesson's models on MovieLens from the command line, or time the
//! reference run.
//!
//! ```text
//! collab train <ml-100k.zip | directory> [--model dotbias] [--epochs 5] [--lr 5e-3] [--wd 0.1] [--factors 50] [--seed 42] [--device flex|wgpu]
//! collab bench [ml-100k.zip | directory] [--device flex|wgpu]
//! ```

mod args;
mod bench;
mod device;
mod load;

use std::sync::Arc;
use std::time::Instant;

use collab_core::data::{CollabData, DataSettings};
use collab_core::model::ModelSpec;
use collab_core::read::block_on;
use collab_core::train::{Learner, format_table, limits};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args::Args::parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}\n\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    if let Err(message) = run(parsed) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run(args: args::Args) -> Result<(), String> {
    let (table, source) = load::ratings(args.path.as_deref(), args.command == args::Command::Bench)?;
    let (n_users, n_items) = table.counts();
    println!("data: {source}: {} ratings, {n_users} users, {n_items} movies", table.ratings.len());
    let data = Arc::new(CollabData::new(&table, DataSettings { seed: args.seed, ..DataSettings::default() }));
    limits::against_data(&data)?;
    let spec = ModelSpec { n_factors: args.factors, ..ModelSpec::new(args.model, data.users.len(), data.items.len()) };
    println!(
        "model: {} ({} users x {} items in the vocabularies, '#na#' at 0); {} train / {} valid ratings",
        args.model.name(),
        data.users.len(),
        data.items.len(),
        data.train.len(),
        data.valid.len()
    );
    if args.command == args::Command::Bench {
        bench::run(&data, &spec, args.fit, args.device)?;
        println!("machine load (1-minute average) at the end: {}", load::machine_load());
        return Ok(());
    }
    let mut learner = Learner::new(data, spec, args.fit, &args.device.device()?);
    println!("device: {}", args.device.name());
    let start = Instant::now();
    let clock = || start.elapsed().as_secs_f64();
    print!("{}", format_table(&[]));
    block_on(learner.fit(&clock, |row| {
        print!(
            "{}",
            format_table(std::slice::from_ref(row)).lines().last().map(|l| format!("{l}\n")).unwrap_or_default()
        );
        std::ops::ControlFlow::Continue(())
    }))
    .map_err(|e| e.to_string())?;
    if let Some(warning) = block_on(learner.learned_nothing()).map_err(|e| e.to_string())? {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
