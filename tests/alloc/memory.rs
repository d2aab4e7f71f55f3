//! What an `EventStream` holds, in bytes, counted exactly by the allocator: the chunk cap
//! bounds what is reserved, a buffer grown for one large event is not kept, and a stream that
//! waits for its next event holds no buffer at all.
//!
//! One test function, so no other test thread allocates while the counters run.

use bytes::Bytes;
use futures_core::Stream;
use futures_util::task::noop_waker;
use sse_wire::{Event, EventStream, DEFAULT_MAX_CHUNK, MAX_CHUNK_LIMIT};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::counting_alloc;

type Inner = Pin<Box<dyn Stream<Item = Event>>>;

/// The events, then pending forever (a live connection waiting for more).
fn open(events: Vec<Event>) -> Inner {
    use futures_util::StreamExt;
    Box::pin(futures_util::stream::iter(events).chain(futures_util::stream::pending()))
}

fn poll(s: &mut EventStream<Inner>) -> Poll<Option<Bytes>> {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    Pin::new(s)
        .poll_next(&mut cx)
        .map(|c| c.map(|c| c.unwrap()))
}

/// Polls until pending, dropping each chunk as a server does once it is written; appends the
/// bytes sent to `out`.
fn drain(s: &mut EventStream<Inner>, out: &mut Vec<u8>) {
    while let Poll::Ready(Some(chunk)) = poll(s) {
        out.extend_from_slice(&chunk);
    }
}

fn tiny() -> Vec<Event> {
    vec![Event::new().data("a"), Event::new().data("b")]
}

pub fn memory_held_by_the_stream() {
    // 1. A huge cap neither panics, nor aborts, nor reserves more than the limit.
    for cap in [usize::MAX, 1 << 40, 1 << 30, MAX_CHUNK_LIMIT + 1] {
        let mut s = EventStream::new(open(tiny())).max_chunk(cap);
        let before = counting_alloc::live();
        let Poll::Ready(Some(chunk)) = poll(&mut s) else {
            panic!("cap {cap}: no chunk")
        };
        let held = counting_alloc::live() - before;
        assert_eq!(chunk, "data: a\n\ndata: b\n\n");
        assert!(
            held <= MAX_CHUNK_LIMIT as i64,
            "cap {cap}: {held} bytes reserved for two tiny events"
        );
        drop(chunk);
        assert!(poll(&mut s).is_pending());
    }

    // 2. One item larger than the cap, sent whole: its buffer is not kept for what follows.
    let mib = "x".repeat(1 << 20);
    let lines = "y".repeat(40_000) + "\n" + &"z".repeat(40_000);
    let comments = (0..100_000).fold(Event::new(), |e, _| e.comment("c"));
    // With, for each, what of the event's own memory the stream keeps while it sends it: only
    // streamed data, which is written out from where it lies.
    let large = [
        ("comment", Event::new().comment(mib.as_str()).data("1"), 0),
        (
            "type",
            Event::new().event(mib.as_str()).unwrap().data("1"),
            0,
        ),
        ("id", Event::new().id(mib.as_str()).unwrap().data("1"), 0),
        (
            "long data lines",
            Event::new().data(lines.as_str()),
            lines.len(),
        ),
        ("10^5 comments", comments.data("1"), 0),
    ];
    for (name, event, own) in large {
        let want = [event.to_bytes(), Event::new().data("after").to_bytes()].concat();
        // The large event, then a small one that is ready at once: no idle moment between.
        let mut s = EventStream::new(open(vec![event, Event::new().data("after")]));
        let mut out = Vec::with_capacity(want.len());
        let mut most_live = i64::MIN;
        while let Poll::Ready(Some(chunk)) = poll(&mut s) {
            out.extend_from_slice(&chunk);
            drop(chunk);
            most_live = most_live.max(counting_alloc::live());
            if out.ends_with(b"data: after\n\n") {
                break;
            }
        }
        drop(s);
        // What the stream held between chunks: all it held, less what is left once it is gone.
        let most_held = most_live - counting_alloc::live() - own as i64;
        assert_eq!(out, want, "{name}");
        assert!(
            most_held <= DEFAULT_MAX_CHUNK as i64 + 1024, // one chunk's block, and bookkeeping
            "{name}: {most_held} bytes held between chunks"
        );
    }

    // 3. Waiting for the next event, the stream holds no buffer.
    let mut s = EventStream::new(open(vec![Event::new().data("one")]));
    let mut out = Vec::with_capacity(64);
    let before = counting_alloc::live();
    drain(&mut s, &mut out);
    assert_eq!(out, b"data: one\n\n");
    let held = counting_alloc::live() - before;
    assert!(held <= 0, "{held} bytes held by an idle stream");
}
