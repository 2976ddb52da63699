//! Reading MovieLens from disk: the only place paths exist (the core takes bytes).

use std::path::Path;

use collab_core::data::{Budget, RatingsTable, Release, generate, movielens, synth};

/// The ratings in `paths`, read as the page reads files picked together: each file by
/// its name, each folder as the files in it the page would read ([`movielens::is_read`],
/// names in any case); the core chooses the parser. Without a path (bench only):
/// `data/ml-100k.zip` if fetched, else generated data of ML-100k's size. Returns the
/// table and where it came from, in words.
pub fn ratings(paths: &[String], allow_generated: bool) -> Result<(RatingsTable, String), String> {
    let paths = match paths {
        [] if Path::new("data/ml-100k.zip").exists() => vec!["data/ml-100k.zip".to_string()],
        [] if allow_generated => {
            let settings =
                synth::SynthSettings { users: 943, items: 1682, factors: 8, density: 0.063, noise: 0.8, seed: 1 };
            return Ok((synth::generate(settings), "generated ML-100k-sized data (data/ml-100k.zip not found)".into()));
        }
        [] => return Err("no data path given".into()),
        given => given.to_vec(),
    };
    let open =
        |p: &Path| std::fs::File::open(p).map(std::io::BufReader::new).map_err(|e| format!("{}: {e}", p.display()));
    let mut files = Vec::new();
    for path in &paths {
        let p = Path::new(path);
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| format!("{path}: {e}"))?;
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| movielens::is_read(n))
                .collect();
            names.sort();
            for name in names {
                files.push((name.clone(), open(&p.join(&name))?, p.join(&name).display().to_string()));
            }
        } else {
            let name = p.file_name().map_or(path.clone(), |n| n.to_string_lossy().into_owned());
            files.push((name, open(p)?, path.clone()));
        }
    }
    // The core reads each file as it needs it: a zip's unused members and files not
    // picked are never read.
    let shown: Vec<(String, String)> = files.iter().map(|(n, _, p)| (n.clone(), p.clone())).collect();
    let named = files.into_iter().map(|(n, f, _)| (n, f)).collect();
    let (table, used) = movielens::read_named(named, Budget::STATED).map_err(|e| e.to_string())?;
    let source: Vec<&str> =
        used.iter().filter_map(|u| shown.iter().find(|f| &f.0 == u)).map(|f| f.1.as_str()).collect();
    Ok((table, source.join(" + ")))
}

/// Writes a generated stand-in of `release`'s zip with `ratings` ratings (its published
/// count when none) to `out`, as it is generated.
pub fn generate(release: Release, ratings: Option<usize>, out: &str) -> Result<(), String> {
    let stand = ratings.map_or_else(|| generate::Stand::published(release), |n| generate::Stand::new(release, n));
    let start = std::time::Instant::now();
    let file = std::fs::File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let written = generate::write_zip(&stand, std::io::BufWriter::new(file), &[]).map_err(|e| format!("{out}: {e}"))?;
    drop(written);
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "{out}: {} in {}'s layout, {} ratings of {} users on {} movies (made up, from planted tastes), {:.1} MB, {:.1} s",
        release.folder(),
        release.name(),
        stand.ratings,
        stand.users,
        stand.movies,
        size as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// This process's peak resident memory in bytes (Linux's VmHWM), or 0 where unknown.
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).map_or(0, |kb| kb * 1024)
}

/// Bytes in megabytes, or "unknown" for 0.
pub fn megabytes(bytes: u64) -> String {
    if bytes == 0 { "unknown".into() } else { format!("{:.0} MB", bytes as f64 / 1e6) }
}

/// The 1-minute load average, so that a benchmark says how busy the machine was.
pub fn machine_load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary one.
    fn folder(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("collab-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn files_and_folders_are_read_as_the_page_reads_files_picked_together() {
        let dir = folder("names");
        std::fs::write(dir.join("U.DATA"), "1\t2\t3\t4\n5\t2\t4\t4\n").unwrap();
        std::fs::write(dir.join("U.ITEM"), "2|Heat (1995)|x\n").unwrap();
        std::fs::write(dir.join("u1.base"), "not read").unwrap();
        let (table, source) = ratings(&[dir.display().to_string()], false).unwrap();
        assert_eq!((table.ratings.len(), table.title(2).as_str()), (2, "Heat (1995)"), "names in any case");
        assert_eq!(source, format!("{} + {}", dir.join("U.DATA").display(), dir.join("U.ITEM").display()));
        // The same files given one by one.
        let (one, _) =
            ratings(&[dir.join("U.DATA").display().to_string(), dir.join("U.ITEM").display().to_string()], false)
                .unwrap();
        assert_eq!(one, table);
        // u.item alone: the missing file is named.
        let lone = ratings(&[dir.join("U.ITEM").display().to_string()], false).unwrap_err();
        assert_eq!(lone, "U.ITEM holds the movies' titles, not ratings: pick u.data with it");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_release_zip_and_its_loose_files_load_from_disk_with_the_release_named() {
        use collab_core::data::{Release, generate};
        let dir = folder("releases");
        for release in Release::ALL {
            let stand = generate::Stand::new(release, 2_000);
            let zip = dir.join(format!("{}.zip", release.folder()));
            std::fs::write(&zip, generate::zip(&stand)).unwrap();
            let (table, source) = ratings(&[zip.display().to_string()], false).unwrap();
            assert_eq!(source, zip.display().to_string());
            assert_eq!((table.ratings.len(), table.recognised.unwrap().release), (2_000, Some(release)));
            // Unzipped: the folder's files, read as the page reads them picked together.
            let loose = dir.join(release.folder());
            std::fs::create_dir_all(&loose).unwrap();
            for (name, bytes) in generate::loose(&stand) {
                std::fs::write(loose.join(name), bytes).unwrap();
            }
            let (from_folder, _) = ratings(&[loose.display().to_string()], false).unwrap();
            assert_eq!((from_folder.ratings, from_folder.titles), (table.ratings, table.titles), "{release}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
