//! Fuzz targets for every parser of outside bytes: u.data, u.item, ratings.dat and
//! movies.dat, ratings.csv and movies.csv, the zip reader (every release's layout), and
//! the model and snapshot reader.
//!
//! Each target starts from the seed files in `fuzz/corpus/<target>/` and feeds its
//! parser mutated copies (bytes flipped, set, inserted, deleted, duplicated, cut, and
//! tokens such as huge numbers spliced in) for a bounded time, `COLLAB_FUZZ_SECONDS`
//! each (default 3; the test command gives 20). An input fails the target if the parser
//! panics or asks for one allocation over [`MAX_ALLOCATION`]: every parser must answer
//! bad bytes with an error in words. proptest draws the mutations and, on a failure,
//! shrinks them to a small reproduction; the seed of each run is printed.
//!
//! `cargo test --release -p collab-core --test fuzz -- --nocapture`
//! (`-- --ignored write_seeds` rewrites the seed files from the generators.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::tensor::{Device, Int, Tensor, TensorData};
use collab_core::data::synth::{self, SynthSettings};
use collab_core::data::{CollabData, DataSettings, Layout as FileLayout, Release, generate, movielens, titles};
use collab_core::model::{ModelKind, ModelSpec};
use collab_core::read::block_on;
use collab_core::save;
use collab_core::train::{FitSettings, Learner, Snapshot};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// The largest single allocation a parser may make for any input: the budget's share for
/// a titles file (64 MiB) with room for a vector's doubling.
const MAX_ALLOCATION: usize = 256 << 20;

/// The system allocator, noting per thread the largest single request since the last
/// reset (the targets run on parallel threads).
struct Watch;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: the thread-local may be gone while a thread exits.
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// One change to a seed.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, &'static [u8]),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Cut(usize),
}

/// Text that parsers must take apart carefully.
const TOKENS: &[&[u8]] = &[
    b"\t",
    b"\n",
    b"\r\n",
    b"|",
    b",",
    b"\"",
    b"-",
    b"0",
    b"9",
    b"-5",
    b"4294967296",
    b"18446744073709551616",
    b"99999999999999999999999",
    b"1e38",
    b"NaN",
    b"inf",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\x00",
    b"#na#",
    b"2000000000",
    b"[2000000000,2000000000,1000]",
    b"\"n_users\":100000000",
    b"PK\x03\x04",
    b"PK\x01\x02",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(at, t)| Mutation::Insert(at, t)),
        (any::<usize>(), 1..64usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), 1..256usize).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
        any::<usize>().prop_map(Mutation::Cut),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        let at = |i: usize| if len == 0 { 0 } else { i % len };
        match *m {
            Mutation::Flip(i, mask) if len > 0 => bytes[at(i)] ^= mask,
            Mutation::Set(i, b) if len > 0 => bytes[at(i)] = b,
            Mutation::Insert(i, t) => {
                let i = if len == 0 { 0 } else { i % (len + 1) };
                bytes.splice(i..i, t.iter().copied());
            }
            Mutation::Delete(i, n) if len > 0 => {
                let i = at(i);
                bytes.drain(i..(i + n).min(len));
            }
            Mutation::Duplicate(i, n) if len > 0 => {
                let i = at(i);
                let part = bytes[i..(i + n).min(len)].to_vec();
                bytes.splice(i..i, part);
            }
            Mutation::Cut(i) => bytes.truncate(if len == 0 { 0 } else { i % len }),
            _ => {}
        }
    }
    bytes
}

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target)
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(!seeds.is_empty(), "{} holds no seeds", dir.display());
    seeds
}

fn seconds() -> u64 {
    std::env::var("COLLAB_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3)
}

/// Runs `parse` on mutated seeds of `target` until the time is up.
fn fuzz(target: &str, parse: impl Fn(&[u8])) {
    let seeds = seeds(target);
    let input = (prop::sample::select(seeds.clone()), prop::collection::vec(mutation(), 0..6))
        .prop_map(|(seed, mutations)| apply(seed, &mutations));
    let seed: u64 = std::env::var("COLLAB_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let deadline = Instant::now() + Duration::from_secs(seconds());
    // Every seed as it is, then mutants.
    let mut tried = 0usize;
    for bytes in &seeds {
        parse(bytes);
        tried += 1;
    }
    let result = loop {
        if Instant::now() >= deadline {
            break Ok(());
        }
        let tree = input.new_tree(&mut runner).expect("the strategy always yields a value");
        let outcome = runner.run_one(tree, |bytes: Vec<u8>| {
            LARGEST.with(|l| l.set(0));
            parse(&bytes);
            let largest = LARGEST.with(Cell::get);
            if largest > MAX_ALLOCATION {
                return Err(TestCaseError::fail(format!(
                    "one allocation of {largest} bytes for {} input bytes",
                    bytes.len()
                )));
            }
            Ok(())
        });
        tried += 1;
        if let Err(e) = outcome {
            break Err(e);
        }
    };
    println!("fuzz {target}: {tried} inputs in {} s from {} seeds (COLLAB_FUZZ_SEED={seed})", seconds(), seeds.len());
    if let Err(e) = result {
        panic!("fuzz {target} failed (COLLAB_FUZZ_SEED={seed}): {e}");
    }
}

#[test]
fn u_data() {
    fuzz("u_data", |b| drop(movielens::parse_ratings(b, FileLayout::Tab, "u.data")));
}

#[test]
fn u_item() {
    fuzz("u_item", |b| drop(titles::parse_u_item(b, "u.item")));
}

#[test]
fn dat() {
    fuzz("dat", |b| {
        drop(movielens::parse_ratings(b, FileLayout::Dat, "ratings.dat"));
        for latin1 in [Some(true), Some(false), None] {
            drop(titles::parse_movies_dat(b, latin1, "movies.dat"));
        }
    });
}

#[test]
fn csv() {
    fuzz("csv", |b| {
        drop(movielens::parse_ratings(b, FileLayout::Csv, "ratings.csv"));
        drop(titles::parse_movies_csv(b, "movies.csv"));
    });
}

#[test]
fn zip() {
    fuzz("zip", |b| drop(movielens::parse_zip(b, "ml-100k.zip")));
}

/// The data the snapshot seeds were taken on (restoring needs the same vocabularies).
fn snapshot_data() -> Arc<CollabData> {
    let table = synth::generate(SynthSettings { users: 12, items: 9, factors: 2, density: 0.6, noise: 0.3, seed: 4 });
    Arc::new(CollabData::new(&table, DataSettings { batch_size: 8, ..DataSettings::default() }))
}

/// A model file or a snapshot: whatever loads must then work end to end.
#[test]
fn model() {
    let device = Device::flex();
    let data = snapshot_data();
    fuzz("model", |b| {
        if let Ok(loaded) = save::load(b, &device) {
            let last = |n: usize| n as i32 - 1;
            let index = |v: Vec<i32>| Tensor::<1, Int>::from_data(TensorData::new(v, [2]), &device);
            let preds = loaded
                .model
                .forward(index(vec![0, last(loaded.users.len())]), index(vec![0, last(loaded.items.len())]));
            assert_eq!(preds.dims(), [2]);
        }
        if let Ok(snapshot) = Snapshot::from_bytes(b)
            && let Ok(mut learner) = Learner::restore(data.clone(), &snapshot, &device)
        {
            learner.train_batch();
        }
    });
}

/// Rewrites the seed files from the generators (`-- --ignored write_seeds`).
#[test]
#[ignore]
fn write_seeds() {
    let table = synth::generate(SynthSettings { users: 12, items: 9, factors: 2, density: 0.6, noise: 0.3, seed: 4 });
    let write = |target: &str, name: &str, bytes: &[u8]| {
        std::fs::create_dir_all(corpus_dir(target)).unwrap();
        std::fs::write(corpus_dir(target).join(name), bytes).unwrap();
    };
    write("u_data", "u.data", &synth::to_u_data(&table));
    write("u_item", "u.item", &synth::to_u_item(&table));
    let ratings: String = std::iter::once("userId,movieId,rating,timestamp\n".to_string())
        .chain(table.ratings.iter().map(|r| format!("{},{},{},{}\n", r.user, r.item, r.rating, r.timestamp)))
        .collect();
    write("csv", "ratings.csv", ratings.as_bytes());
    let movies: String = std::iter::once("movieId,title,genres\n".to_string())
        .chain(table.titles.iter().map(|(id, t)| format!("{id},\"{t}\",Drama\n")))
        .collect();
    write("csv", "movies.csv", movies.as_bytes());
    write("zip", "ml-100k.zip", &synth::to_ml100k_zip(&table));
    // Every other layout, as a zip and as loose files (small stand-ins of two releases).
    for release in [Release::Ml1m, Release::Ml25m] {
        let stand = generate::Stand::new(release, 60);
        write("zip", &format!("{}.zip", release.folder()), &generate::zip(&stand));
        let target = if release.layout() == FileLayout::Dat { "dat" } else { "csv" };
        for (name, bytes) in generate::loose(&stand) {
            if target == "dat" {
                write(target, &name, &bytes);
            }
        }
    }
    let device = Device::flex();
    let data = snapshot_data();
    for (kind, name) in [(ModelKind::DotProductBias, "dotbias"), (ModelKind::EmbeddingNn, "embnn")] {
        let spec = ModelSpec { n_factors: 3, ..ModelSpec::new(kind, data.users.len(), data.items.len()) };
        let model = spec.init(1, &device);
        write(
            "model",
            &format!("{name}.model"),
            &block_on(save::save(&model, &spec, &data.users, &data.items)).unwrap(),
        );
        let mut learner =
            Learner::new(data.clone(), spec, FitSettings { epochs: 1, ..FitSettings::default() }, &device);
        learner.train_batch();
        write("model", &format!("{name}.snapshot"), &block_on(learner.snapshot()).unwrap().to_bytes());
    }
}

/// A reader that notes every byte range read from it: what a zip reader looked at.
struct Tracked {
    inner: std::io::Cursor<Vec<u8>>,
    reads: std::rc::Rc<std::cell::RefCell<Vec<std::ops::Range<u64>>>>,
}

impl std::io::Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let at = self.inner.position();
        let n = self.inner.read(buf)?;
        self.reads.borrow_mut().push(at..at + n as u64);
        Ok(n)
    }
}

impl std::io::Seek for Tracked {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

/// A zip with a genome member that unpacks past the budget loads its ratings, and the
/// genome member is never unpacked: no byte of its packed data is read (the reads are
/// tracked), and no allocation comes near its size (the allocation counter).
#[test]
fn a_genome_member_past_the_budget_is_never_unpacked() {
    use collab_core::data::Budget;
    let budget = Budget { bytes: 4 << 20 };
    let genome_line = "1,1,0.02875\n";
    let genome = "movieId,tagId,relevance\n".to_string() + &genome_line.repeat((6 << 20) / genome_line.len());
    assert!(genome.len() as u64 > budget.bytes, "the genome member unpacks past the budget");
    let stand = generate::Stand::new(Release::Ml25m, 20_000);
    // The genome member is followed by another (8 KiB that do not pack), as in GroupLens's
    // zip: a zip reader reads the archive's last bytes to find its directory.
    let mut state = 7u64;
    let tags: Vec<u8> = (0..8192)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            b'a' + (state >> 59) as u8
        })
        .collect();
    let extra: [(&str, &[u8]); 2] = [("genome-scores.csv", genome.as_bytes()), ("genome-tags.csv", &tags)];
    let zip = generate::write_zip(&stand, std::io::Cursor::new(Vec::new()), &extra).unwrap().into_inner();
    // Where the genome member's packed bytes lie.
    let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let member = archive.by_name("ml-25m/genome-scores.csv").unwrap();
    let (start, packed, unpacked) = (member.data_start(), member.compressed_size(), member.size());
    drop(member);
    assert_eq!(unpacked, genome.len() as u64);
    let genome_bytes = start..start + packed;
    let reads = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let reader = Tracked { inner: std::io::Cursor::new(zip.clone()), reads: reads.clone() };
    LARGEST.with(|l| l.set(0));
    let table = movielens::read_zip(reader, "ml-25m.zip", budget).unwrap();
    let largest = LARGEST.with(Cell::get);
    assert_eq!(table.ratings.len(), 20_000);
    assert_eq!(table.recognised.unwrap().release, Some(Release::Ml25m));
    let touched: Vec<_> =
        reads.borrow().iter().filter(|r| r.start < genome_bytes.end && genome_bytes.start < r.end).cloned().collect();
    assert!(touched.is_empty(), "reads inside the genome member's data {genome_bytes:?}: {touched:?}");
    assert!(reads.borrow().iter().map(|r| r.end - r.start).sum::<u64>() > 0, "the reads are tracked");
    assert!(largest < (1 << 20), "largest allocation {largest} bytes: the genome member was not unpacked into memory");
    // The same member is read when it is the ratings: the tracking sees it.
    let renamed = generate::write_zip(&stand, std::io::Cursor::new(Vec::new()), &[]).unwrap().into_inner();
    let reads = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    movielens::read_zip(Tracked { inner: std::io::Cursor::new(renamed.clone()), reads: reads.clone() }, "z", budget)
        .unwrap();
    let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(&renamed)).unwrap();
    let ratings = archive.by_name("ml-25m/ratings.csv").unwrap();
    let ratings_bytes = ratings.data_start()..ratings.data_start() + ratings.compressed_size();
    // The bytes of the ratings' data covered by some read (the reads' union).
    let mut clipped: Vec<(u64, u64)> = reads
        .borrow()
        .iter()
        .map(|r| (r.start.max(ratings_bytes.start), r.end.min(ratings_bytes.end)))
        .filter(|(a, b)| a < b)
        .collect();
    clipped.sort_unstable();
    let (mut read, mut reached) = (0, ratings_bytes.start);
    for (a, b) in clipped {
        read += b.saturating_sub(a.max(reached));
        reached = reached.max(b);
    }
    assert_eq!(read, ratings_bytes.end - ratings_bytes.start, "every packed byte of the ratings is read");
}
