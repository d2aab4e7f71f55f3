//! A stalled subscriber cannot make the hub hold more than its configured history: a million
//! events published past one that never reads, and another whose `EventStream` read once and
//! stopped, with live memory counted exactly by the allocator.
//!
//! One test function, so no other test thread allocates while the counters run.

use futures_core::Stream;
use futures_util::task::noop_waker;
use sse_wire::{Event, EventStream, Hub, HubConfig};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::counting_alloc;

pub fn a_stalled_subscriber_keeps_memory_bounded() {
    const HISTORY: usize = 10_000;
    const HISTORY_BYTES: usize = 1 << 20;
    // The log's bytes, and per retained event its bookkeeping (the entry, the shared bytes'
    // header), counted generously; plus one chunk for the stream that read once.
    const BOUND: i64 = (HISTORY_BYTES + HISTORY * 256 + 64 * 1024) as i64;

    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let hub = Hub::new(
        HubConfig::default()
            .history(HISTORY)
            .history_bytes(HISTORY_BYTES),
    );
    let base = counting_alloc::live();
    let mut never_reads = hub.subscribe(["t"], None);
    let mut read_once = EventStream::new(hub.subscribe(["t"], None));
    let payload = "x".repeat(100);
    let mut most = 0;
    for n in 0..1_000_000u64 {
        hub.publish("t", Event::new().data(payload.as_str()))
            .unwrap();
        if n == 0 {
            assert!(matches!(
                Pin::new(&mut read_once).poll_next(&mut cx),
                Poll::Ready(Some(Ok(_)))
            ));
        }
        if n % 4096 == 0 {
            most = most.max(counting_alloc::live() - base);
        }
    }
    most = most.max(counting_alloc::live() - base);
    assert!(most <= BOUND, "{most} bytes live, bound {BOUND}");
    let (events, bytes) = hub.retained();
    assert!(bytes <= HISTORY_BYTES, "{bytes} bytes retained");
    // Each event is about 120 bytes: the byte limit, not the count, is what bounds the log.
    assert!(
        events > HISTORY_BYTES / 130 && events < HISTORY,
        "{events} events retained"
    );

    // Both learn that they missed events, and are cut off.
    match Pin::new(&mut never_reads).poll_next(&mut cx) {
        Poll::Ready(Some(e)) => assert!(e.as_bytes().starts_with(b"event: reset\nid: ")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Pin::new(&mut never_reads).poll_next(&mut cx),
        Poll::Ready(None)
    ));
    match Pin::new(&mut read_once).poll_next(&mut cx) {
        Poll::Ready(Some(Ok(chunk))) => assert!(chunk.starts_with(b"event: reset\n")),
        other => panic!("{other:?}"),
    }
}
