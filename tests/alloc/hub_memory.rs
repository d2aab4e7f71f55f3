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

/// Topic names a client makes up (a subscription to a one-off topic, a publish that ages out)
/// are freed with the topic: 100,000 of them leave the hub holding what it held before, plus
/// at most the bounded memory of the topics it remembers by name.
pub fn one_off_topics_are_freed() {
    let hub = Hub::new(HubConfig::default().max_age(std::time::Duration::from_millis(1)));
    // Warm up: the hub's tables at their working size.
    for n in 0..5_000 {
        drop(hub.subscribe([format!("warm-{n}")], None));
    }
    let base = counting_alloc::live();
    for n in 0..100_000u64 {
        drop(hub.subscribe([format!("client-made-topic-{n}")], None));
    }
    let after_subscribes = counting_alloc::live() - base;
    assert!(
        after_subscribes <= 4096,
        "{after_subscribes} bytes kept by 100,000 one-off subscriptions"
    );
    assert_eq!(hub.topics(), 0);

    for n in 0..20_000u64 {
        hub.publish(&format!("one-off-{n}"), Event::new().data("x"))
            .unwrap();
        if n % 1_000 == 999 {
            std::thread::sleep(std::time::Duration::from_millis(2)); // the older ones age out
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(2));
    hub.publish("last", Event::new().data("x")).unwrap();
    assert_eq!(hub.topics(), 1);
    // Up to 4,096 forgotten topics, by name, with a number each: bounded whatever the count.
    let kept = counting_alloc::live() - base;
    assert!(
        kept <= 1 << 20,
        "{kept} bytes kept after 20,000 one-off topics aged out"
    );
}
