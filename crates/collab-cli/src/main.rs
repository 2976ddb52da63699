//! `collab`: train the lesson's models on MovieLens from the command line, or time the
//! reference run. Every setting of the page's section 8 is an option of the same name,
//! checked as the page checks it (`collab train --help`).
//!
//! ```text
//! collab train <a MovieLens zip | u.data [u.item] | ratings.dat [movies.dat] | ratings.csv [movies.csv] | folder>...
//!     [--model dotbias]
//!     [--factors 50] [--epochs 5] [--lr 0.005] [--wd 0.1] [--wdkind decoupled] [--bs 64] [--seed 42]
//!     [--device auto|cpu|webgpu] [--save model.bin]
//! collab bench [data]... [the same options]
//! collab generate <ml-100k | ml-latest-small | ml-1m | ml-10m | ml-20m | ml-25m | ml-32m | ml-latest> OUT.zip
//!     [--ratings N]
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

fn run(mut args: args::Args) -> Result<(), String> {
    if let Some((release, ratings)) = args.generate {
        return load::generate(release, ratings, &args.paths[0]);
    }
    let bench = args.command == args::Command::Bench;
    let started = Instant::now();
    let (table, source) = load::ratings(&args.paths, bench)?;
    let (load_s, load_rss) = (started.elapsed().as_secs_f64(), load::peak_rss());
    let (n_users, n_items) = table.counts();
    let note = table.note().map(|n| format!(" ({n})")).unwrap_or_default();
    println!("data: {source}: {} ratings, {n_users} users, {n_items} movies{note}", table.ratings.len());
    if let Some(recognised) = table.recognised {
        println!("release: {recognised}");
    }
    // A benchmark of data larger than the reference's takes its figures at scale only,
    // at the batch size those are taken at (the paths' and models' comparison would take
    // hours there).
    let reference = table.ratings.len() <= bench::REFERENCE_MAX;
    if bench && !reference {
        args.settings.batch_size = bench::SCALE_BATCH;
    }
    let settings = args.settings;
    let started = Instant::now();
    let data = Arc::new(settings.data(&table));
    drop(table);
    let split_s = started.elapsed().as_secs_f64();
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
    if bench {
        println!(
            "load: {load_s:.2} s (read and parsed as it is unpacked), peak RSS {}; split and encoded as fastai does: \
             {split_s:.2} s, peak RSS {}",
            load::megabytes(load_rss),
            load::megabytes(load::peak_rss())
        );
        bench::scale(&data, &spec, settings.fit())?;
        bench::interpretation(&data, spec.n_factors);
        if reference {
            bench::run(&data, &spec, settings.fit(), device::Choice::benched(args.device))?;
        } else {
            println!(
                "(the comparison of step paths and models runs on data of up to {} ratings, the reference's size)",
                bench::REFERENCE_MAX
            );
        }
        println!("peak RSS of the whole run: {}", load::megabytes(load::peak_rss()));
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
    if let Some(path) = &args.save {
        let data = learner.data();
        let bytes = block_on(collab_core::save::save(&learner.model(), learner.spec(), &data.users, &data.items))
            .map_err(|e| e.to_string())?;
        std::fs::write(path, &bytes).map_err(|e| format!("{path}: {e}"))?;
        println!("saved: {path} ({} bytes); the page's section 10 opens it", bytes.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_saves_a_model_the_page_loads() {
        use collab_core::data::{Release, generate};
        let dir = std::env::temp_dir().join(format!("collab-cli-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (zip, out) = (dir.join("ml-latest-small.zip"), dir.join("model.bin"));
        std::fs::write(&zip, generate::zip(&generate::Stand::new(Release::LatestSmall, 2_000))).unwrap();
        let argv = ["train", &zip.display().to_string(), "--epochs", "1", "--factors", "4", "--save"]
            .map(String::from)
            .into_iter()
            .chain([out.display().to_string()]);
        run(args::Args::parse(argv).unwrap()).unwrap();
        // What section 10 does with a picked file: the core's one loader, every check.
        let bytes = std::fs::read(&out).unwrap();
        let loaded = collab_core::save::load(&bytes, &burn::tensor::Device::flex()).unwrap();
        let table = load::ratings(&[zip.display().to_string()], false).unwrap().0;
        let (users, items) = table.counts();
        assert_eq!(loaded.spec.n_factors, 4);
        assert!(loaded.users.len() <= users + 1 && loaded.items.len() <= items + 1 && loaded.items.len() > 100);
        assert_eq!(loaded.users.labels[0], "#na#");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
