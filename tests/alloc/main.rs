//! Allocation counts and live bytes, counted exactly by a global allocator: the benchmark's
//! memory targets. One test function runs every check in turn, so that no other test thread
//! allocates while the counters run.

#[path = "../common/counting_alloc.rs"]
mod counting_alloc;

mod alloc;
mod hub_memory;
mod memory;

#[test]
fn allocation_counts_and_live_bytes() {
    alloc::allocations_per_event();
    memory::memory_held_by_the_stream();
    hub_memory::a_stalled_subscriber_keeps_memory_bounded();
    hub_memory::one_off_topics_are_freed();
}
