//! Reading MovieLens from disk: the only place paths exist (the core takes bytes).

use std::path::Path;

use collab_core::data::{RatingsTable, movielens, synth};

/// The ratings at `path` (a zip, or a directory with ML-100k or "latest" files).
/// Without a path (bench only): `data/ml-100k.zip` if fetched, else generated data of
/// ML-100k's size.
pub fn ratings(path: Option<&str>, allow_generated: bool) -> Result<(RatingsTable, String), String> {
    let path = match path {
        Some(p) => p.to_string(),
        None if Path::new("data/ml-100k.zip").exists() => "data/ml-100k.zip".to_string(),
        None if allow_generated => {
            let settings =
                synth::SynthSettings { users: 943, items: 1682, factors: 8, density: 0.063, noise: 0.8, seed: 1 };
            return Ok((synth::generate(settings), "generated ML-100k-sized data (data/ml-100k.zip not found)".into()));
        }
        None => return Err("no data path given".into()),
    };
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let p = Path::new(&path);
    let table = if p.is_dir() {
        // The files a visitor would pick from this folder; the core chooses the parser.
        let mut files = Vec::new();
        for name in ["u.data", "u.item", "ratings.csv", "movies.csv"] {
            if p.join(name).exists() {
                files.push((name.to_string(), read(&p.join(name))?));
            }
        }
        movielens::parse_named(&files).map(|(table, _)| table)
    } else {
        movielens::parse_ml100k_zip(&read(p)?, &p.file_name().map_or(path.clone(), |n| n.to_string_lossy().into()))
    };
    Ok((table.map_err(|e| e.to_string())?, path))
}

/// The 1-minute load average, so that a benchmark says how busy the machine was.
pub fn machine_load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
