//! Lazy Adam on the host step ([`super::host`]), laid out for a step that touches a
//! batch's rows of tables far larger than the caches.
//!
//! In the buffer's layout ([`DotTables`], [`HostAdam`]) a row the batch reaches lies in
//! eight places: its factors and its bias in the weights, in the gradient, and in each of
//! Adam's two running averages, each far from the others, so that every row costs some
//! twenty cache misses, and as many TLB misses (no huge pages), a step. Here:
//! - a row's weights and running averages lie together in one block ([`Block`]): its
//!   factors and bias, the averages of their gradients, then of their squares: one
//!   stretch of memory a row, most often within one page;
//! - the gradient lies in a small buffer with one slot a distinct row of the batch, in
//!   the order the batch first names them, so that adding to it and reading it back never
//!   misses.
//!
//! The arithmetic is [`adam_pass`]'s, number by number, and each row's gradient is added
//! up in the batch's order as in the buffer: the numbers are those of the buffer's layout
//! to the bit. Whatever reads the weights or the state (the model, a snapshot) gets them
//! in the buffer's layout, as every engine gives them ([`LazyRows::weights`],
//! [`LazyRows::averages`], [`LazyRows::blocks`]).

use super::optimizer::fused::adam_pass;
use super::optimizer::{OptimSettings, OptimizerKind, Update};
use super::state::HostAdam;
use super::tables::DotTables;
use crate::data::Encoded;
use crate::prefetch;

/// How many rows ahead the optimizer's loop asks for a row's block: enough to cover a
/// miss to memory (a row's update takes some 100 ns), few enough that what it asked for
/// is still in the cache when it gets there.
const AHEAD: usize = 6;

/// Where a table row's slot is when the batch has not named it.
const NONE: u32 = u32::MAX;

/// The shape of a row's block: `width` weights (its factors, then its bias when the
/// model has biases), then as many averages of their gradients, then of their squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Block {
    pub width: usize,
}

impl Block {
    /// The blocks of the tables `t`.
    pub fn of(t: &DotTables) -> Self {
        Self { width: t.k + usize::from(t.biased()) }
    }

    /// Numbers a block takes.
    pub fn len(self) -> usize {
        3 * self.width
    }
}

/// Rows of the tables: users, then items.
fn rows(t: &DotTables) -> usize {
    t.n_users + t.n_items
}

/// Where table row `row` (a user, or `n_users` + an item) lies in the buffer's layout:
/// its factors, then its bias; each at its place in the block.
fn places(t: &DotTables, row: usize) -> impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + use<> {
    let at = match row.checked_sub(t.n_users) {
        None => t.rows_of(row, false),
        Some(item) => t.rows_of(item, true),
    };
    let k = t.k;
    at.enumerate().map(move |(part, at)| (at.clone(), part * k..part * k + at.len()))
}

/// Lazy Adam on the host step: the step count and a step's working memory. The weights
/// and averages are the engine's, in blocks ([`LazyRows::blocks`]).
#[derive(Clone)]
pub(super) struct LazyRows {
    /// Adam steps taken (one count for every table, as in the buffer's layout); `None`
    /// before the first.
    step: Option<i32>,
    /// The step's distinct rows (a user, or `n_users` + an item), in the order the batch
    /// first names them: slot `s` is `rows[s]`.
    rows: Vec<u32>,
    /// Each table row's slot while a step runs, [`NONE`] otherwise.
    slot: Vec<u32>,
    /// The step's gradient, a block's `width` numbers a slot: all zeros between steps.
    pub grad: Vec<f32>,
}

impl LazyRows {
    /// Lazy Adam after `step` steps (`None`: before the first), for the tables `t`.
    pub fn new(t: &DotTables, step: Option<i32>) -> Self {
        Self { step, rows: Vec::new(), slot: vec![NONE; rows(t)], grad: Vec::new() }
    }

    /// The blocks of weights `values` and running averages `adam` (in the buffer's
    /// layout; zeros when `None`).
    pub fn blocks(t: &DotTables, values: &[f32], adam: Option<&HostAdam>) -> Vec<f32> {
        let b = Block::of(t);
        let mut blocks = vec![0.0; rows(t) * b.len()];
        for (row, block) in blocks.chunks_exact_mut(b.len()).enumerate() {
            let (p, averages) = block.split_at_mut(b.width);
            let (avg, sqr) = averages.split_at_mut(b.width);
            for (at, ours) in places(t, row) {
                p[ours.clone()].copy_from_slice(&values[at.clone()]);
                if let Some(adam) = adam {
                    avg[ours.clone()].copy_from_slice(&adam.grad_avg[at.clone()]);
                    sqr[ours].copy_from_slice(&adam.sqr_avg[at]);
                }
            }
        }
        blocks
    }

    /// The weights in `blocks`, in the buffer's layout.
    pub fn weights(t: &DotTables, blocks: &[f32]) -> Vec<f32> {
        Self::unblock(t, blocks, 0)
    }

    /// The running averages in `blocks`, in the buffer's layout; `None` before the first
    /// step.
    pub fn averages(&self, t: &DotTables, blocks: &[f32]) -> Option<HostAdam> {
        self.step?;
        let width = Block::of(t).width;
        let (grad_avg, sqr_avg) = (Self::unblock(t, blocks, width), Self::unblock(t, blocks, 2 * width));
        Some(HostAdam { grad_avg, sqr_avg, step: self.step? })
    }

    /// Each table's sum (the divergence guard's finiteness check, at every read), added
    /// in the buffer's order: the sums over [`LazyRows::weights`], without building it.
    pub fn sums(t: &DotTables, blocks: &[f32]) -> Vec<f32> {
        let mut sums = vec![-0.0f32; t.tables.len()];
        let table_of = |at: usize| t.tables.iter().position(|table| (table.at..table.at + table.len).contains(&at));
        for (row, block) in blocks.chunks_exact(Block::of(t).len()).enumerate() {
            for (at, ours) in places(t, row) {
                if let Some(table) = table_of(at.start) {
                    sums[table] = block[ours].iter().fold(sums[table], |sum, v| sum + v);
                }
            }
        }
        sums
    }

    /// The part of each block that starts at `from`, in the buffer's layout.
    fn unblock(t: &DotTables, blocks: &[f32], from: usize) -> Vec<f32> {
        let mut out = vec![0.0; t.size];
        for (row, block) in blocks.chunks_exact(Block::of(t).len()).enumerate() {
            for (at, ours) in places(t, row) {
                out[at].copy_from_slice(&block[from + ours.start..from + ours.end]);
            }
        }
        out
    }

    /// Gives each distinct row of `batch` a slot, and where each rating's user and item
    /// gradients start in [`LazyRows::grad`].
    pub fn gather(&mut self, t: &DotTables, batch: &Encoded) -> Vec<(usize, usize)> {
        let width = Block::of(t).width;
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
    /// added into their slots, on `blocks`: each number with a gradient moves, with its
    /// averages; the rest stay. Leaves the gradient at zero and no row with a slot.
    pub fn step(&mut self, t: &DotTables, settings: &OptimSettings, blocks: &mut [f32], (lr, beta1): (f64, f64)) {
        let b = Block::of(t);
        let step = self.step.unwrap_or(0) + 1;
        self.step = Some(step);
        let u = Update::new(settings, settings.wd, lr, beta1, step);
        for (s, &row) in self.rows.iter().enumerate() {
            if let Some(&ahead) = self.rows.get(s + AHEAD) {
                let ahead = ahead as usize * b.len();
                prefetch::span(blocks, ahead..ahead + b.len());
            }
            let row = row as usize;
            let (p, averages) = blocks[row * b.len()..(row + 1) * b.len()].split_at_mut(b.width);
            let (avg, sqr) = averages.split_at_mut(b.width);
            let grad = &mut self.grad[s * b.width..(s + 1) * b.width];
            adam_pass(OptimizerKind::LazyAdam, &u, p, grad, avg, sqr);
            self.slot[row] = NONE;
        }
        self.rows.clear();
    }
}
