//! Allocation counts and live bytes, counted exactly by a global allocator: the benchmark's
//! memory targets. One test function runs every check in turn, so that no other test thread
//! allocates while the counters run.

#[path = "../common/counting_alloc.rs"]
mod counting_alloc;

mod alloc;
mod decoder_memory;
mod hub_memory;
mod memory;

#[test]
fn allocation_counts_and_live_bytes() {
    alloc::allocations_per_event();
    memory::memory_held_by_the_stream();
    hub_memory::a_stalled_subscriber_keeps_memory_bounded();
    hub_memory::one_off_topics_are_freed();
    decoder_memory::two_long_data_lines_take_their_size();
    decoder_memory::an_oversized_event_is_refused_within_the_limit();
    decoder_memory::a_pending_data_line_does_not_pin_its_chunk();
}
