//! Asking the processor for memory before a loop reaches it: the one place that does.
//!
//! The host step reads and writes rows picked at random from tables far larger than the
//! caches (ml-25m's at 50 factors: 45 MB of weights, as much again of each of Adam's
//! running averages), and without huge pages each such row is a cache miss and a TLB
//! miss. A loop over a batch knows its next rows long before it gets to them, so it asks
//! for the rows a few places ahead: the misses overlap one another and the arithmetic
//! instead of following one by one. A hint only: it changes no number, and where there is
//! no such instruction (wasm32) it does nothing.

/// Bytes in a cache line (x86_64's): one hint fetches one line.
const LINE: usize = 64;

/// Asks for the cache lines that hold `data[range]` (clipped to `data`), for reading and
/// writing soon.
#[inline(always)]
pub(crate) fn span<T>(data: &[T], range: std::ops::Range<usize>) {
    let end = range.end.min(data.len());
    if range.start >= end {
        return;
    }
    let first = data[range.start..end].as_ptr() as usize;
    let last = first + (end - range.start) * size_of::<T>() - 1;
    let mut line = first & !(LINE - 1);
    while line <= last {
        hint(line as *const u8);
        line += LINE;
    }
}

/// Asks for the cache line that holds `data[at]`, if there is such a number.
#[inline(always)]
pub(crate) fn at<T>(data: &[T], at: usize) {
    if let Some(x) = data.get(at) {
        hint((x as *const T).cast());
    }
}

/// The prefetch instruction for the line at `p` (into every cache level).
#[inline(always)]
fn hint(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint that never faults nor changes memory, whatever the
    // address; SSE, which has it, is part of every x86_64 processor.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
