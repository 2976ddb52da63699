//! Made-up ratings from planted tastes, in MovieLens' own file formats.
//!
//! The page's demo table and every test use these: MovieLens itself may not be
//! redistributed. Each user and movie gets a hidden taste vector; a rating is their
//! dot product plus biases and noise, rounded to a star. A model that learns well gets
//! close to the noise floor, which a test checks.

use std::io::Write;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

use super::ratings::{Rating, RatingsTable};

/// Titles for the demo: real films, made-up ratings.
pub const DEMO_TITLES: [&str; 24] = [
    "Star Wars (1977)",
    "Contact (1997)",
    "Fargo (1996)",
    "Return of the Jedi (1983)",
    "Liar Liar (1997)",
    "English Patient, The (1996)",
    "Scream (1996)",
    "Toy Story (1995)",
    "Air Force One (1997)",
    "Independence Day (ID4) (1996)",
    "Raiders of the Lost Ark (1981)",
    "Godfather, The (1972)",
    "Pulp Fiction (1994)",
    "Twelve Monkeys (1995)",
    "Silence of the Lambs, The (1991)",
    "Jerry Maguire (1996)",
    "Rock, The (1996)",
    "Empire Strikes Back, The (1980)",
    "Star Trek: First Contact (1996)",
    "Titanic (1997)",
    "Back to the Future (1985)",
    "Mission: Impossible (1996)",
    "Fugitive, The (1993)",
    "Kolya (1996)",
];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthSettings {
    /// Number of users.
    pub users: usize,
    /// Number of movies.
    pub items: usize,
    /// Hidden taste dimensions.
    pub factors: usize,
    /// Share of (user, movie) pairs that are rated.
    pub density: f32,
    /// Standard deviation of the noise added before rounding.
    pub noise: f32,
    /// Seed.
    pub seed: u64,
}

impl Default for SynthSettings {
    fn default() -> Self {
        Self { users: 30, items: 24, factors: 3, density: 0.7, noise: 0.3, seed: 7 }
    }
}

/// The page's demo table: 40 users x 24 movies, about half rated.
pub fn demo() -> RatingsTable {
    generate(SynthSettings { users: 40, items: 24, density: 0.55, ..SynthSettings::default() })
}

/// Generates a ratings table; titles come from [`DEMO_TITLES`], then "Movie n".
pub fn generate(settings: SynthSettings) -> RatingsTable {
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let normal = Normal::new(0.0f32, 1.0).expect("unit normal");
    let scale = 1.0 / (settings.factors as f32).sqrt();
    let mut taste = |n: usize| -> Vec<Vec<f32>> {
        (0..n).map(|_| (0..settings.factors).map(|_| normal.sample(&mut rng) * scale).collect()).collect()
    };
    let user_taste = taste(settings.users);
    let item_taste = taste(settings.items);
    let user_bias: Vec<f32> = (0..settings.users).map(|_| normal.sample(&mut rng) * 0.3).collect();
    let item_bias: Vec<f32> = (0..settings.items).map(|_| normal.sample(&mut rng) * 0.4).collect();
    let noise = Normal::new(0.0f32, settings.noise.max(0.0)).expect("noise");

    let mut ratings = Vec::new();
    for u in 0..settings.users {
        for i in 0..settings.items {
            if rng.random::<f32>() >= settings.density {
                continue;
            }
            let dot: f32 = user_taste[u].iter().zip(&item_taste[i]).map(|(a, b)| a * b).sum();
            let raw = 3.5 + 1.2 * dot + user_bias[u] + item_bias[i] + noise.sample(&mut rng);
            ratings.push(Rating {
                user: u as u32 + 1,
                item: i as u32 + 1,
                rating: raw.round().clamp(1.0, 5.0),
                timestamp: 874_000_000 + ((u * 7919 + i * 104_729) % 20_000_000) as u32,
            });
        }
    }
    let titles = (0..settings.items)
        .map(|i| {
            let title = DEMO_TITLES.get(i).map_or_else(|| format!("Movie {} (1990)", i + 1), |t| t.to_string());
            (i as u32 + 1, title)
        })
        .collect();
    // Made-up genres, one or two a movie, following its planted taste's strongest factor
    // (so that the map's colours mean something on generated data too).
    let genres = (0..settings.items)
        .map(|i| {
            let strongest = (0..item_taste[i].len())
                .max_by(|&a, &b| item_taste[i][a].abs().total_cmp(&item_taste[i][b].abs()))
                .unwrap_or(0);
            let genre = [1, 5, 8, 15, 14, 16, 11, 3][strongest % 8];
            (i as u32 + 1, 1u32 << genre | u32::from(i % 7 == 0) << 8)
        })
        .collect();
    RatingsTable { ratings, titles, genres, cut_titles: 0, recognised: None }
}

/// The table as `u.data` text.
pub fn to_u_data(table: &RatingsTable) -> Vec<u8> {
    let mut out = String::new();
    for r in &table.ratings {
        out.push_str(&format!("{}\t{}\t{}\t{}\n", r.user, r.item, r.rating, r.timestamp));
    }
    out.into_bytes()
}

/// The titles and genres as latin-1 `u.item` (the other columns made up).
pub fn to_u_item(table: &RatingsTable) -> Vec<u8> {
    let mut out = String::new();
    for (id, title) in &table.titles {
        let mask = table.genres.get(id).copied().unwrap_or(0);
        let flags: String = (0..19).map(|n| if mask & 1 << n != 0 { "|1" } else { "|0" }).collect();
        out.push_str(&format!("{id}|{title}|01-Jan-1995||http://example.invalid/{id}{flags}\n"));
    }
    // Latin-1: one byte per character; a character beyond it becomes '?'.
    out.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

/// The table as an `ml-100k.zip` laid out as GroupLens lays it out (`ml-100k/u.data`, ...).
pub fn to_ml100k_zip(table: &RatingsTable) -> Vec<u8> {
    zip_of(&[("ml-100k/u.data", &to_u_data(table)), ("ml-100k/u.item", &to_u_item(table))])
}

/// A zip (deflate) of the named files, in order: for tests of odd archives.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default();
        for (name, bytes) in files {
            zip.start_file(*name, options).expect("writing to memory");
            zip.write_all(bytes).expect("writing to memory");
        }
        zip.finish().expect("writing to memory");
    }
    cursor.into_inner()
}

/// `zip` with every member's uncompressed size, in its local header and in the central
/// directory, replaced by `size`: a zip whose headers lie, for tests of the reader's
/// checks (the data and its CRC are left as they are).
pub fn declaring(zip: &[u8], size: u32) -> Vec<u8> {
    let mut out = zip.to_vec();
    let mut at = 0;
    while at + 46 <= out.len() {
        let field = match &out[at..at + 4] {
            b"PK\x03\x04" => Some(at + 22),
            b"PK\x01\x02" => Some(at + 24),
            _ => None,
        };
        if let Some(field) = field {
            out[field..field + 4].copy_from_slice(&size.to_le_bytes());
        }
        at += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::movielens::parse_zip;
    use crate::data::{Layout, Recognised, Release};

    #[test]
    fn same_seed_same_table_and_zip_round_trips() {
        let a = generate(SynthSettings::default());
        assert_eq!(a, generate(SynthSettings::default()));
        assert!(a.ratings.len() > 300);
        assert!(a.ratings.iter().all(|r| (1.0..=5.0).contains(&r.rating)));
        let back = parse_zip(&to_ml100k_zip(&a), "ml-100k.zip").unwrap();
        let recognised = Recognised { layout: Layout::Tab, release: Some(Release::Ml100k) };
        assert_eq!(back, RatingsTable { recognised: Some(recognised), ..a });
    }

    #[test]
    fn latin1_titles_survive_the_round_trip() {
        let mut table = generate(SynthSettings { users: 3, items: 2, density: 1.0, ..Default::default() });
        table.titles.insert(1, "Ma vie en rose (1997) — no, Crónica".replace(" — no,", ""));
        let back = parse_zip(&to_ml100k_zip(&table), "ml-100k.zip").unwrap();
        assert_eq!(back.titles[&1], "Ma vie en rose (1997) Crónica");
    }
}
