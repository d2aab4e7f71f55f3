//! A global allocator that counts allocations, reallocations and live bytes, for exact memory
//! figures.
//! Included with `#[path]` by `tests/alloc.rs` and the peer benchmark (`benches/peers`); a
//! binary that includes it gets it as its global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

/// Bytes allocated and not yet freed by the whole process.
#[allow(dead_code)]
pub fn live() -> i64 {
    LIVE.load(Relaxed)
}

/// The most bytes live at once since the last [`reset_peak`].
#[allow(dead_code)]
pub fn peak() -> i64 {
    PEAK.load(Relaxed)
}

/// Starts a new peak from what is live now.
#[allow(dead_code)]
pub fn reset_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

/// Adds `delta` to the live bytes, keeping the peak.
fn add_live(delta: i64) {
    let now = LIVE.fetch_add(delta, Relaxed) + delta;
    PEAK.fetch_max(now, Relaxed);
}

/// (allocations, reallocations) made so far by the whole process.
#[allow(dead_code)]
pub fn counts() -> (u64, u64) {
    (ALLOCS.load(Relaxed), REALLOCS.load(Relaxed))
}

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        add_live(layout.size() as i64);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        add_live(layout.size() as i64);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add_live(-(layout.size() as i64));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCS.fetch_add(1, Relaxed);
        add_live(new_size as i64 - layout.size() as i64);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;
