//! Allocation counts are exact, unlike times, so the memory targets of the benchmark are checked
//! here: draining an `EventStream` makes at most 0.05 allocations per event beyond the caller's
//! own payloads, and no reallocation, for each of the benchmark's workload shapes.
//!
//! One test function, so no other test thread allocates while the counters run.

use futures_core::Stream;
use futures_util::task::noop_waker;
use sse_wire::{Event, EventStream};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::counting_alloc;

/// One event's input: type, id, data.
type Payload = (Option<&'static str>, Option<String>, String);

/// Builds events from ready-made payloads and drains the stream as a server would (each chunk
/// dropped once written). Returns (allocations, reallocations, output bytes).
fn drain(payloads: Vec<Payload>, as_bytes: bool) -> (u64, u64, usize) {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let (a0, r0) = counting_alloc::counts();
    let events = payloads.into_iter().map(move |(ty, id, data)| {
        let mut ev = Event::new();
        if let Some(ty) = ty {
            ev = ev.event(ty).unwrap();
        }
        if let Some(id) = id {
            ev = ev.id(id).unwrap();
        }
        if as_bytes {
            ev.data_utf8(bytes::Bytes::from(data)).unwrap()
        } else {
            ev.data(data)
        }
    });
    let mut body = EventStream::new(futures_util::stream::iter(events));
    let mut out = 0;
    while let Poll::Ready(Some(chunk)) = Pin::new(&mut body).poll_next(&mut cx) {
        out += chunk.unwrap().len();
    }
    drop(body);
    let (a1, r1) = counting_alloc::counts();
    (a1 - a0, r1 - r0, out)
}

pub fn allocations_per_event() {
    let mib = 1 << 20;
    let workloads: Vec<(&str, Vec<Payload>, bool)> = vec![
        (
            "W1 tiny",
            (0..20_000)
                .map(|i| (None, None, format!("Message {i}")))
                .collect(),
            false,
        ),
        (
            "W2 typical",
            (0..5_000)
                .map(|i| {
                    (
                        Some("update"),
                        Some(i.to_string()),
                        format!("{{\"n\":{i},\"pad\":\"{:0>180}\"}}", i),
                    )
                })
                .collect(),
            false,
        ),
        (
            "W3 multiline",
            (0..2_000)
                .map(|_| (None, None, vec!["m".repeat(80); 10].join("\n")))
                .collect(),
            false,
        ),
        (
            "W4 large",
            (0..100).map(|_| (None, None, "l".repeat(mib))).collect(),
            false,
        ),
        (
            "W4 large (Bytes)",
            (0..100).map(|_| (None, None, "b".repeat(mib))).collect(),
            true,
        ),
        (
            "W5 large-multiline",
            (0..100)
                .map(|_| (None, None, ("k".repeat(63) + "\n").repeat(mib / 64)))
                .collect(),
            false,
        ),
    ];
    // Building an event allocates nothing the caller did not: short `&str` values and integers
    // are stored inline, `String`s and `Arc<str>`s are moved or shared, not copied.
    let data = String::from("a payload the caller allocated");
    let shared: std::sync::Arc<str> = "shared text".into();
    let (a0, r0) = counting_alloc::counts();
    let event = Event::new()
        .event("update")
        .unwrap()
        .id(18_446_744_073_709_551_615u64)
        .data(data);
    let also = Event::new()
        .id("a-22-byte-long-id-1234")
        .unwrap()
        .data(shared.clone());
    let (a1, r1) = counting_alloc::counts();
    assert_eq!((a1 - a0, r1 - r0), (0, 0), "building events allocated");
    drop((event, also));

    for (name, payloads, as_bytes) in workloads {
        let events = payloads.len() as f64;
        let (allocs, reallocs, out) = drain(payloads, as_bytes);
        assert!(out > 0);
        let per_event = allocs as f64 / events;
        println!(
            "{name}: {allocs} allocations ({per_event:.4} per event), {reallocs} reallocations"
        );
        assert!(
            per_event <= 0.05,
            "{name}: {per_event} allocations per event"
        );
        assert_eq!(reallocs, 0, "{name}: reallocations");
    }

    // A small event longer than `max_chunk` goes in a chunk of its own, sized for it: two
    // allocations (its block, and the shared header `bytes` makes to hand the block out as a
    // chunk), not a block of `max_chunk` first and then one of its size. Plus one for the whole
    // stream: the slot where an event waits for the next chunk, made the first time one waits.
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let events: Vec<Event> = (0..100)
        .map(|_| Event::new().data("o".repeat(300)))
        .collect();
    let (a0, r0) = counting_alloc::counts();
    let mut body = EventStream::new(futures_util::stream::iter(events)).max_chunk(100);
    let mut chunks = 0;
    while let Poll::Ready(Some(chunk)) = Pin::new(&mut body).poll_next(&mut cx) {
        assert_eq!(chunk.unwrap().len(), 308, "one event per chunk");
        chunks += 1;
    }
    drop(body);
    let (a1, r1) = counting_alloc::counts();
    assert_eq!(chunks, 100);
    assert_eq!(
        (a1 - a0, r1 - r0),
        (200 + 1, 0),
        "oversized small events: allocations"
    );
}
