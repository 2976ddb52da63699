//! Lazy Adam's memory on the host step ([`super::host`]), laid out for a step that
//! touches a batch's rows of tables far larger than the caches.
//!
//! In the buffer's layout ([`DotTables`], [`HostAdam`]) a row the batch reaches lies in
//! five places: its factors and its bias in the weights, in the gradient, and in each of
//! Adam's two running averages, each far from the others, so that every row costs some
//! twenty cache misses (and as many TLB misses) a step. Here:
//! - the running averages lie row by row ([`RowAverages`]): a row's averages of its
//!   factors and bias, then of their squares, side by side in one block;
//! - the gradient lies in a small buffer with one slot a distinct row of the batch, in
//!   the order the batch first names them, so that adding to it and reading it back never
//!   misses.
//!
//! The arithmetic is [`adam_pass`]'s, number by number, and each row's gradient is added
//! up in the batch's order as in the buffer: the numbers are those of the buffer's layout
//! to the bit. A snapshot ([`RowAverages::to_host`], [`RowAverages::of_host`]) is in the
//! buffer's layout, as every engine's is.

use super::optimizer::fused::adam_pass;
use super::optimizer::{OptimSettings, OptimizerKind, Update};
use super::state::HostAdam;
use super::tables::DotTables;
use crate::data::Encoded;
use crate::prefetch;

/// How many rows ahead the optimizer's loop asks for a row's memory: enough to cover a
/// miss to memory (a row's update takes some 100 ns), few enough that what it asked for
/// is still in the cache when it gets there.
const AHEAD: usize = 6;

/// Where a table row's slot is when the batch has not named it.
const NONE: u32 = u32::MAX;

/// Lazy Adam's running averages row by row: users, then items; for each, the averages of
/// its factors then its bias (the "width"), then the averages of their squares.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct RowAverages {
    values: Vec<f32>,
    /// Adam steps taken (one count for every table, as in the buffer's layout).
    step: i32,
}

impl RowAverages {
    /// The same averages in the buffer's layout, as a snapshot holds them.
    pub fn to_host(&self, t: &DotTables) -> HostAdam {
        let (mut grad_avg, mut sqr_avg) = (vec![0.0; t.size], vec![0.0; t.size]);
        let width = width(t);
        for (row, block) in self.values.chunks_exact(2 * width).enumerate() {
            let (avg, sqr) = block.split_at(width);
            for (part, at) in places(t, row).enumerate() {
                let ours = part * t.k..(part * t.k + at.len());
                grad_avg[at.clone()].copy_from_slice(&avg[ours.clone()]);
                sqr_avg[at].copy_from_slice(&sqr[ours]);
            }
        }
        HostAdam { grad_avg, sqr_avg, step: self.step }
    }

    /// `adam` (in the buffer's layout) row by row.
    pub fn of_host(t: &DotTables, adam: &HostAdam) -> Self {
        let width = width(t);
        let mut values = vec![0.0; rows(t) * 2 * width];
        for (row, block) in values.chunks_exact_mut(2 * width).enumerate() {
            let (avg, sqr) = block.split_at_mut(width);
            for (part, at) in places(t, row).enumerate() {
                let ours = part * t.k..(part * t.k + at.len());
                avg[ours.clone()].copy_from_slice(&adam.grad_avg[at.clone()]);
                sqr[ours].copy_from_slice(&adam.sqr_avg[at]);
            }
        }
        Self { values, step: adam.step }
    }
}

/// Numbers a table row has: its factors, and its bias when the model has biases.
fn width(t: &DotTables) -> usize {
    t.k + usize::from(t.biased())
}

/// Rows of the tables: users, then items.
fn rows(t: &DotTables) -> usize {
    t.n_users + t.n_items
}

/// Where table row `row` (a user, or `n_users` + an item) lies in the buffer: its factors,
/// then its bias.
fn places(t: &DotTables, row: usize) -> impl Iterator<Item = std::ops::Range<usize>> + use<> {
    match row.checked_sub(t.n_users) {
        None => t.rows_of(row, false),
        Some(item) => t.rows_of(item, true),
    }
}

/// Lazy Adam on the host step: the running averages and a step's working memory.
#[derive(Clone)]
pub(super) struct LazyRows {
    /// The running averages, from the first step on.
    pub averages: Option<RowAverages>,
    /// The step's distinct rows (a user, or `n_users` + an item), in the order the batch
    /// first names them: slot `s` is `rows[s]`.
    rows: Vec<u32>,
    /// Each table row's slot while a step runs, [`NONE`] otherwise.
    slot: Vec<u32>,
    /// The step's gradient, [`width`] numbers a slot: all zeros between steps.
    pub grad: Vec<f32>,
}

impl LazyRows {
    /// Before the first step, for the tables `t`.
    pub fn new(t: &DotTables) -> Self {
        Self { averages: None, rows: Vec::new(), slot: vec![NONE; rows(t)], grad: Vec::new() }
    }

    /// Gives each distinct row of `batch` a slot, and where each rating's user and item
    /// gradients start in [`LazyRows::grad`].
    pub fn gather(&mut self, t: &DotTables, batch: &Encoded) -> Vec<(usize, usize)> {
        let width = width(t);
        let mut slot_of = |row: usize| {
            let slot = &mut self.slot[row];
            if *slot == NONE {
                *slot = self.rows.len() as u32;
                self.rows.push(row as u32);
            }
            *slot as usize * width
        };
        let at = batch.users.iter().zip(&batch.items);
        let at = at.map(|(&u, &i)| (slot_of(u as usize), slot_of(t.n_users + i as usize))).collect();
        if self.grad.len() < self.rows.len() * width {
            self.grad.resize(self.rows.len() * width, 0.0);
        }
        at
    }

    /// Lazy Adam's step over the rows [`LazyRows::gather`] gave slots, with the gradient
    /// added into their slots: each number with a gradient moves, with its averages; the
    /// rest stay. Leaves the gradient at zero and no row with a slot.
    pub fn step(&mut self, t: &DotTables, settings: &OptimSettings, values: &mut [f32], (lr, beta1): (f64, f64)) {
        let width = width(t);
        let averages = self.averages.get_or_insert_with(|| RowAverages { values: vec![0.0; rows(t) * 2 * width], step: 0 });
        averages.step += 1;
        let u = Update::new(settings, settings.wd, lr, beta1, averages.step);
        let (rows, avgs) = (&self.rows, &mut averages.values);
        for (s, &row) in rows.iter().enumerate() {
            if let Some(&ahead) = rows.get(s + AHEAD) {
                let ahead = ahead as usize;
                places(t, ahead).for_each(|at| prefetch::span(values, at));
                prefetch::span(avgs, ahead * 2 * width..(ahead + 1) * 2 * width);
            }
            let row = row as usize;
            let (avg, sqr) = avgs[row * 2 * width..(row + 1) * 2 * width].split_at_mut(width);
            let grad = &mut self.grad[s * width..(s + 1) * width];
            for (part, at) in places(t, row).enumerate() {
                let ours = part * t.k..(part * t.k + at.len());
                let (g, a, q) = (&mut grad[ours.clone()], &mut avg[ours.clone()], &mut sqr[ours]);
                adam_pass(OptimizerKind::LazyAdam, &u, &mut values[at], g, a, q);
            }
            self.slot[row] = NONE;
        }
        self.rows.clear();
    }
}
