//! `collab`: train the lesson's models on MovieLens from the command line, or time the
//! reference run. Every setting of the page's section 8 is an option of the same name,
//! checked as the page checks it (`collab train --help`).
//!
//! ```text
//! collab train <a MovieLens zip | u.data [u.item] | ratings.dat [movies.dat] | ratings.csv [movies.csv] | folder>...
//!     [--model dotbias]
//!     [--factors 50] [--epochs 5] [--lr 0.005] [--wd 0.1] [--wdkind decoupled] [--bs 64] [--seed 42]
//!     [--device auto|cpu|webgpu]
//! collab bench [data]... [the same options]
//! ```

mod args;
mod bench;
mod device;
mod load;

use std::sync::Arc;
use std::time::Instant;

use collab_core::read::block_on;
use collab_core::train::{format_table, limits};

fn main() {
    let parsed = match args::Args::parse(std::env::args_os().skip(1)) {
        Ok(parsed) => parsed,
        // clap prints its own errors and --help (to stdout, exit 0).
        Err(args::Refused::Cli(e)) => e.exit(),
        Err(args::Refused::Setting(message)) => {
            eprintln!("error: {message}\n\nFor more information, try '--help'.");
            std::process::exit(2);
        }
    };
    if let Err(message) = run(parsed) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run(args: args::Args) -> Result<(), String> {
    let (table, source) = load::ratings(&args.paths, args.command == args::Command::Bench)?;
    let (n_users, n_items) = table.counts();
    let note = table.note().map(|n| format!(" ({n})")).unwrap_or_default();
    println!("data: {source}: {} ratings, {n_users} users, {n_items} movies{note}", table.ratings.len());
    if let Some(recognised) = table.recognised {
        println!("release: {recognised}");
    }
    let settings = args.settings;
    let data = Arc::new(settings.data(&table));
    limits::against_data(&data)?;
    let spec = settings.spec(&data);
    println!(
        "model: {} ({} users x {} items in the vocabularies, '#na#' at 0); {} train / {} valid ratings",
        spec.kind.name(),
        data.users.len(),
        data.items.len(),
        data.train.len(),
        data.valid.len()
    );
    if args.command == args::Command::Bench {
        bench::run(&data, &spec, settings.fit(), device::Choice::benched(args.device))?;
        println!("machine load (1-minute average) at the end: {}", load::machine_load());
        return Ok(());
    }
    let (choice, device, why) = device::place(args.device, &settings, &data);
    println!("device: {} ({why})", choice.name());
    let mut learner = settings.learner(data, &device);
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
