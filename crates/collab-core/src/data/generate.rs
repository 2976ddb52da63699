//! Stand-ins for every MovieLens release, laid out exactly as GroupLens ships them (top
//! folder, file names, separators, header lines, encodings, id ranges, whole or half
//! stars), at any size, with planted tastes: MovieLens itself may not be redistributed,
//! so the tests and the benchmarks use these.
//!
//! Each user and movie gets a hidden taste vector and a bias; a rating is their dot
//! product plus the biases and noise, rounded to the release's star step. Users rate
//! distinct movies (as in MovieLens, one rating a pair). Movie ids are spread over the
//! release's id range with gaps, as the real ones are. The files the notebook does not
//! read (tags, links, genome scores, users) are written as short stand-ins. The zip is
//! written as it is generated ([`write_zip`]), so an ml-25m-sized one never lies whole in
//! memory.

use std::io::{Seek, Write};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use super::ratings::GENRES;
use super::release::{Layout, Release};

/// The published shape of a release: users, movies listed, the largest movie id, and
/// the first and last timestamps (GroupLens's README files; approximate for ml-latest).
const fn shape(release: Release) -> (usize, usize, u32, u32, u32) {
    match release {
        Release::Ml100k => (943, 1_682, 1_682, 874_724_710, 893_286_638),
        Release::LatestSmall => (610, 9_742, 193_609, 828_124_615, 1_537_799_250),
        Release::Latest => (330_975, 86_537, 288_983, 789_652_004, 1_689_842_195),
        Release::Ml1m => (6_040, 3_883, 3_952, 956_703_932, 1_046_454_590),
        Release::Ml10m => (69_878, 10_681, 65_133, 789_652_009, 1_231_131_736),
        Release::Ml20m => (138_493, 27_278, 131_262, 789_652_009, 1_427_784_002),
        Release::Ml25m => (162_541, 62_423, 209_171, 789_652_009, 1_574_327_703),
        Release::Ml32m => (200_948, 87_585, 292_757, 789_652_009, 1_697_164_147),
    }
}

/// What to generate: a release's layout with this many ratings, users and movies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stand {
    /// The release whose layout is written.
    pub release: Release,
    /// Ratings, exactly.
    pub ratings: usize,
    /// Users (ids 1 to `users`).
    pub users: usize,
    /// Movies listed in the titles file (ids spread over the release's id range).
    pub movies: usize,
    /// Hidden taste dimensions.
    pub factors: usize,
    /// Standard deviation of the noise before rounding.
    pub noise: f32,
    /// Seed.
    pub seed: u64,
}

impl Stand {
    /// `release`'s layout with `ratings` ratings; users and movies scaled from the
    /// published ones by the square root of the share (the release's own numbers at its
    /// own size), with room for every user's ratings to fall on distinct movies.
    pub fn new(release: Release, ratings: usize) -> Self {
        let (users, movies, ..) = shape(release);
        let published = release.ratings().unwrap_or(33_832_162);
        let share = (ratings as f64 / published as f64).sqrt().min(1.0);
        let movies = ((movies as f64 * share).ceil() as usize).clamp(1, movies);
        let users = ((users as f64 * share).ceil() as usize).max(ratings.div_ceil(movies)).max(1);
        Self { release, ratings, users, movies, factors: 8, noise: 0.6, seed: 1 }
    }

    /// `release` at its published size.
    pub fn published(release: Release) -> Self {
        Self::new(release, release.ratings().unwrap_or(33_832_162))
    }

    /// The id of the `index`th movie: spread over the release's id range, in order.
    pub fn movie_id(&self, index: usize) -> u32 {
        let (.., top, _, _) = shape(self.release);
        let top = (top as usize).max(self.movies);
        (1 + index * top / self.movies) as u32
    }
}

/// The hidden tastes: one vector and one bias a user and a movie.
struct Tastes {
    factors: usize,
    users: Vec<f32>,
    movies: Vec<f32>,
    user_bias: Vec<f32>,
    movie_bias: Vec<f32>,
}

impl Tastes {
    fn new(stand: &Stand, rng: &mut StdRng) -> Self {
        let normal = Normal::new(0.0f32, 1.0).expect("unit normal");
        let scale = 1.0 / (stand.factors as f32).sqrt();
        let mut draw = |n: usize, s: f32| -> Vec<f32> { (0..n).map(|_| normal.sample(rng) * s).collect() };
        Self {
            factors: stand.factors,
            users: draw(stand.users * stand.factors, scale),
            movies: draw(stand.movies * stand.factors, scale),
            user_bias: draw(stand.users, 0.3),
            movie_bias: draw(stand.movies, 0.4),
        }
    }

    /// The planted rating before noise.
    fn rating(&self, user: usize, movie: usize) -> f32 {
        let k = self.factors;
        let u = &self.users[user * k..user * k + k];
        let m = &self.movies[movie * k..movie * k + k];
        let dot: f32 = u.iter().zip(m).map(|(a, b)| a * b).sum();
        3.5 + 1.2 * dot + self.user_bias[user] + self.movie_bias[movie]
    }

    /// The genres of a movie: one for its strongest planted factor, sometimes Drama too,
    /// so that the map's colours mean something on generated data.
    fn genres(&self, movie: usize) -> u32 {
        let m = &self.movies[movie * self.factors..(movie + 1) * self.factors];
        let strongest = (0..m.len()).max_by(|&a, &b| m[a].abs().total_cmp(&m[b].abs())).unwrap_or(0);
        1 << [1, 5, 8, 15, 14, 16, 11, 3][strongest % 8] | u32::from(movie.is_multiple_of(7)) << 8
    }
}

/// How many ratings each user gives: about the same, some more and some fewer, at most
/// one a movie, `stand.ratings` in all.
fn counts(stand: &Stand, rng: &mut StdRng) -> Vec<usize> {
    let (n, users, movies) = (stand.ratings, stand.users.max(1), stand.movies.max(1));
    let mut counts: Vec<usize> = (0..users).map(|u| n / users + usize::from(u < n % users)).collect();
    // Move ratings between neighbours: the total stays, the counts spread.
    for u in (0..users.saturating_sub(1)).step_by(2) {
        let room = (movies - counts[u + 1]).min(counts[u].saturating_sub(1));
        let moved = if room > 0 { rng.random_range(0..=room) } else { 0 };
        counts[u] -= moved;
        counts[u + 1] += moved;
    }
    counts
}

/// The rating's text in the release's form: whole stars as "4" (ml-100k, ml-1m, and
/// ml-10m's whole ones), "4.0" and "3.5" in the csv releases.
fn star_text(release: Release, stars: f32) -> String {
    match release.layout() {
        Layout::Csv => format!("{stars:.1}"),
        _ if stars.fract() == 0.0 => format!("{stars:.0}"),
        _ => format!("{stars}"),
    }
}

/// Writes every rating's line, in order of users, through `out` (a chunk at a time).
fn write_ratings(stand: &Stand, tastes: &Tastes, rng: &mut StdRng, out: &mut dyn Write) -> std::io::Result<()> {
    let release = stand.release;
    let sep = std::str::from_utf8(release.layout().separator()).expect("ASCII");
    let (.., first, last) = shape(release);
    let noise = Normal::new(0.0f32, stand.noise.max(0.0)).expect("noise");
    let counts = counts(stand, rng);
    let movies = stand.movies;
    let mut chunk = String::with_capacity(1 << 20);
    if release.layout() == Layout::Csv {
        chunk.push_str("userId,movieId,rating,timestamp\n");
    }
    for (user, &count) in counts.iter().enumerate() {
        // Distinct movies: a walk from a random start by a step coprime to the count.
        let start = rng.random_range(0..movies);
        let step = loop {
            let step = rng.random_range(1..movies.max(2));
            if gcd(step, movies) == 1 {
                break step;
            }
        };
        for k in 0..count {
            let movie = (start + k * step) % movies;
            let raw = tastes.rating(user, movie) + noise.sample(rng);
            let stars = match release.half_stars() {
                true => ((raw * 2.0).round() / 2.0).clamp(0.5, 5.0),
                false => raw.round().clamp(1.0, 5.0),
            };
            let when = rng.random_range(first..=last);
            let (id, stars) = (stand.movie_id(movie), star_text(release, stars));
            chunk.push_str(&format!("{}{sep}{id}{sep}{stars}{sep}{when}\n", user + 1));
        }
        if chunk.len() > 1 << 20 {
            out.write_all(chunk.as_bytes())?;
            chunk.clear();
        }
    }
    out.write_all(chunk.as_bytes())
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The `index`th movie's title: a few real ones (one with a comma, for the csv's quotes,
/// and one with an accent, for the encodings), then "Movie n (year)".
fn title(index: usize) -> String {
    const REAL: [&str; 4] =
        ["Toy Story (1995)", "American President, The (1995)", "Misérables, Les (1995)", "Heat (1995)"];
    REAL.get(index).map_or_else(|| format!("Movie {} ({})", index + 1, 1950 + index % 70), |t| t.to_string())
}

/// The genre names of a mask, `|`-joined, in the release's words ("Children" after
/// ml-1m, "(no genres listed)" for none).
fn genre_names(release: Release, mask: u32) -> String {
    let names: Vec<&str> = (0..GENRES.len())
        .filter(|n| mask & 1 << n != 0)
        .map(|n| match (GENRES[n], release) {
            ("Children's", r) if r.layout() == Layout::Csv || r == Release::Ml10m => "Children",
            (name, _) => name,
        })
        .collect();
    if names.is_empty() { "(no genres listed)".into() } else { names.join("|") }
}

/// The titles file's bytes, in the release's layout and encoding.
fn titles(stand: &Stand, tastes: &Tastes) -> Vec<u8> {
    let release = stand.release;
    let mut out = String::new();
    if release.layout() == Layout::Csv {
        out.push_str("movieId,title,genres\n");
    }
    for index in 0..stand.movies {
        let (id, title, mask) = (stand.movie_id(index), title(index), tastes.genres(index));
        match release.layout() {
            Layout::Tab => {
                let flags: String = (0..GENRES.len()).map(|n| if mask & 1 << n != 0 { "|1" } else { "|0" }).collect();
                out.push_str(&format!("{id}|{title}|01-Jan-1995||http://example.invalid/{id}{flags}\n"));
            }
            Layout::Dat => out.push_str(&format!("{id}::{title}::{}\n", genre_names(release, mask))),
            Layout::Csv if title.contains(',') => {
                out.push_str(&format!("{id},\"{title}\",{}\n", genre_names(release, mask)))
            }
            Layout::Csv => out.push_str(&format!("{id},{title},{}\n", genre_names(release, mask))),
        }
    }
    match release.latin1_titles() {
        // Latin-1: one byte a character (every generated title fits).
        true => out.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect(),
        false => out.into_bytes(),
    }
}

/// The files a release ships beside its ratings and titles, as short stand-ins (the
/// notebook never unpacks them).
fn others(release: Release) -> Vec<(&'static str, &'static [u8])> {
    let readme: (&str, &[u8]) = ("README.txt", b"Stand-in generated for tests; not MovieLens data.\n");
    match release {
        Release::Ml100k => vec![("README", readme.1), ("u.info", b"943 users\n1682 items\n100000 ratings\n")],
        Release::Ml1m => vec![("README", readme.1), ("users.dat", b"1::F::1::10::48067\n")],
        Release::Ml10m => vec![("README.html", readme.1), ("tags.dat", b"15::4973::excellent!::1215184630\n")],
        Release::LatestSmall | Release::Latest | Release::Ml32m => vec![
            readme,
            ("links.csv", b"movieId,imdbId,tmdbId\n1,0114709,862\n"),
            ("tags.csv", b"userId,movieId,tag,timestamp\n2,60756,funny,1445714994\n"),
        ],
        Release::Ml20m | Release::Ml25m => vec![
            readme,
            ("links.csv", b"movieId,imdbId,tmdbId\n1,0114709,862\n"),
            ("tags.csv", b"userId,movieId,tag,timestamp\n2,60756,funny,1445714994\n"),
            ("genome-scores.csv", b"movieId,tagId,relevance\n1,1,0.02875\n"),
            ("genome-tags.csv", b"tagId,tag\n1,007\n"),
        ],
    }
}

/// Writes `stand`'s zip to `out` as GroupLens lays it out (`ml-25m/ratings.csv`, …),
/// generating the ratings as they are packed; then the members in `extra` (name within
/// the folder, bytes; each in place of the stand-in of that name), for tests of zips
/// with more inside.
pub fn write_zip<W: Write + Seek>(stand: &Stand, out: W, extra: &[(&str, &[u8])]) -> std::io::Result<W> {
    let mut rng = StdRng::seed_from_u64(stand.seed);
    let tastes = Tastes::new(stand, &mut rng);
    let layout = stand.release.layout();
    let folder = stand.release.folder();
    // Level 1: a few times faster to write than the default, for the large stand-ins.
    let options = zip::write::SimpleFileOptions::default().compression_level(Some(1));
    let mut zip = zip::ZipWriter::new(out);
    zip.add_directory(format!("{folder}/"), options)?;
    for (name, bytes) in others(stand.release).into_iter().filter(|(n, _)| !extra.iter().any(|(e, _)| e == n)) {
        zip.start_file(format!("{folder}/{name}"), options)?;
        zip.write_all(bytes)?;
    }
    zip.start_file(format!("{folder}/{}", layout.titles_file()), options)?;
    zip.write_all(&titles(stand, &tastes))?;
    zip.start_file(format!("{folder}/{}", layout.ratings_file()), options)?;
    write_ratings(stand, &tastes, &mut rng, &mut zip)?;
    for (name, bytes) in extra {
        zip.start_file(format!("{folder}/{name}"), options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?)
}

/// [`write_zip`] into memory (tests, small sizes).
pub fn zip(stand: &Stand) -> Vec<u8> {
    write_zip(stand, std::io::Cursor::new(Vec::new()), &[]).expect("writing to memory").into_inner()
}

/// The ratings file and the titles file of `stand`, loose, as (name, bytes): what a
/// visitor picks after unzipping.
pub fn loose(stand: &Stand) -> Vec<(String, Vec<u8>)> {
    let mut rng = StdRng::seed_from_u64(stand.seed);
    let tastes = Tastes::new(stand, &mut rng);
    let layout = stand.release.layout();
    let titles = titles(stand, &tastes);
    let mut ratings = Vec::new();
    write_ratings(stand, &tastes, &mut rng, &mut ratings).expect("writing to memory");
    vec![(layout.ratings_file().into(), ratings), (layout.titles_file().into(), titles)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::movielens::{parse_named, parse_zip};

    #[test]
    fn every_release_layout_loads_with_its_release_named() {
        for release in Release::ALL {
            let stand = Stand::new(release, 3_000);
            let table = parse_zip(&zip(&stand), &format!("{}.zip", release.folder())).unwrap();
            let recognised = table.recognised.unwrap();
            assert_eq!((recognised.layout, recognised.release), (release.layout(), Some(release)), "{release}");
            assert_eq!(table.ratings.len(), 3_000, "{release}");
            assert_eq!(table.titles.len(), stand.movies, "{release}");
            assert_eq!(table.title(stand.movie_id(2)), "Misérables, Les (1995)", "{release}: the encoding");
            assert_eq!(table.title(stand.movie_id(1)), "American President, The (1995)", "{release}");
            let halves = table.ratings.iter().filter(|r| r.rating.fract() != 0.0).count();
            assert_eq!(halves > 0, release.half_stars(), "{release}: {halves} half stars");
            let (.., top, first, last) = shape(release);
            assert!(table.ratings.iter().all(|r| r.item <= top && (first..=last).contains(&r.timestamp)));
            // One rating a (user, movie) pair, as in MovieLens.
            let mut pairs: Vec<(u32, u32)> = table.ratings.iter().map(|r| (r.user, r.item)).collect();
            pairs.sort_unstable();
            pairs.dedup();
            assert_eq!(pairs.len(), 3_000, "{release}");
            // Loose files read the same, and a published count names the release without a folder.
            let (loose_table, _) = parse_named(&loose(&stand)).unwrap();
            assert_eq!(loose_table.ratings, table.ratings, "{release}");
            assert_eq!(loose_table.titles, table.titles, "{release}");
            assert_eq!(loose_table.recognised.unwrap().release, None, "{release}: 3,000 is no release's count");
        }
    }

    #[test]
    fn the_published_sizes_are_the_releases() {
        let stand = Stand::published(Release::Ml1m);
        assert_eq!((stand.ratings, stand.users, stand.movies), (1_000_209, 6_040, 3_883));
        assert_eq!((stand.movie_id(0), stand.movie_id(stand.movies - 1)), (1, 3_951));
        assert!((1..stand.movies).all(|i| stand.movie_id(i) > stand.movie_id(i - 1)), "distinct ids");
        let stand = Stand::published(Release::Ml25m);
        assert_eq!((stand.users, stand.movies), (162_541, 62_423));
    }

    #[test]
    fn the_files_are_laid_out_as_grouplens_lays_them_out() {
        let text = |release, n| {
            let files = loose(&Stand::new(release, n));
            (String::from_utf8_lossy(&files[0].1).into_owned(), files[1].1.clone())
        };
        let (ratings, titles) = text(Release::Ml25m, 50);
        assert!(ratings.starts_with("userId,movieId,rating,timestamp\n1,"), "{ratings}");
        assert!(ratings.lines().nth(1).unwrap().split(',').nth(2).unwrap().contains('.'), "4.0, 3.5");
        assert!(String::from_utf8(titles).unwrap().starts_with("movieId,title,genres\n1,Toy Story (1995),"));
        let (ratings, titles) = text(Release::Ml1m, 50);
        assert_eq!(ratings.lines().next().unwrap().split("::").count(), 4);
        assert!(titles.windows(4).any(|w| w == b"Mis\xe9"), "ml-1m's titles are latin-1");
        let (_, titles) = text(Release::Ml10m, 50);
        assert!(String::from_utf8(titles).unwrap().contains("Misérables"), "ml-10m's are UTF-8");
        let (ratings, _) = text(Release::Ml100k, 50);
        assert_eq!(ratings.lines().next().unwrap().split('\t').count(), 4);
    }
}
