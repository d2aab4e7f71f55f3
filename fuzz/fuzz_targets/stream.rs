//! The `EventStream` adapter with arbitrary event sequences, readiness patterns and chunk caps:
//! the output is byte for byte the events encoded one by one, errors arrive in place, and no
//! chunk over the cap joins two events.
#![no_main]

use arbitrary::Arbitrary;
use futures_core::Stream;
use libfuzzer_sys::fuzz_target;
use sse_wire::{Event, EventStream, Encoded};
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

#[derive(Arbitrary, Debug, Clone)]
enum Item {
    Event { data: String, id: Option<u32>, big: Option<u16> },
    Frame { data: String, big: Option<u16> },
    Error(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    items: Vec<(Item, bool)>,
    cap: u16,
}

fn event(data: &str, id: Option<u32>, big: Option<u16>) -> Event {
    // `big` makes data long enough for the zero-copy path (4 KiB and more).
    let data = match big {
        Some(n) => format!("{data}{}", "z".repeat(4096 + usize::from(n))),
        None => data.to_owned(),
    };
    let ev = Event::new().data(data);
    match id {
        Some(id) => ev.id(id),
        None => ev,
    }
}

enum Step {
    Item(Result<sse_wire::Encoded, u8>),
    Pending,
}

struct Script(VecDeque<Step>);

impl Stream for Script {
    type Item = Result<Encoded, u8>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.0.pop_front() {
            Some(Step::Item(item)) => Poll::Ready(Some(item)),
            Some(Step::Pending) => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

// Every input runs twice: once with the items as `Encoded`s, once as `Event`s, so both paths of
// the adapter are exercised.
fuzz_target!(|input: Input| {
    let cap = usize::from(input.cap);
    let mut want = Vec::new();
    let mut ends = Vec::new();
    let mut want_errors = Vec::new();
    let mut frames = VecDeque::new();
    let mut events = VecDeque::new();
    for (item, pending_after) in &input.items {
        match item {
            Item::Event { data, id, big } => {
                let ev = event(data, *id, *big);
                want.extend_from_slice(&ev.to_bytes());
                frames.push_back(Step::Item(Ok(Encoded::from(&ev))));
                events.push_back(Some(Ok(ev)));
            }
            Item::Frame { data, big } => {
                let ev = event(data, None, *big);
                want.extend_from_slice(&ev.to_bytes());
                frames.push_back(Step::Item(Ok(Encoded::from(&ev))));
                events.push_back(Some(Ok(ev)));
            }
            Item::Error(e) => {
                want_errors.push((want.len(), *e));
                frames.push_back(Step::Item(Err(*e)));
                events.push_back(Some(Err(*e)));
            }
        }
        ends.push(want.len());
        if *pending_after {
            frames.push_back(Step::Pending);
            events.push_back(None);
        }
    }

    let waker = futures_util::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let check = |mut s: Pin<&mut (dyn Stream<Item = Result<bytes::Bytes, u8>> + Unpin)>, cx: &mut Context<'_>| {
        let mut got = Vec::new();
        let mut errors = Vec::new();
        for _ in 0..1_000_000 {
            match s.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(c))) => {
                    assert!(!c.is_empty());
                    let start = got.len();
                    got.extend_from_slice(&c);
                    if c.len() > cap {
                        assert!(!ends.iter().any(|&e| start < e && e < got.len()), "over-cap chunk joins events");
                    }
                }
                Poll::Ready(Some(Err(e))) => errors.push((got.len(), e)),
                Poll::Ready(None) => {
                    assert_eq!(got, want);
                    assert_eq!(errors, want_errors);
                    return;
                }
                Poll::Pending => assert!(want.starts_with(&got)),
            }
        }
        panic!("stream did not end");
    };

    let mut by_frames = EventStream::new(Script(frames)).max_chunk(cap);
    check(Pin::new(&mut by_frames as &mut (dyn Stream<Item = _> + Unpin)), &mut cx);

    let by_events = futures_util::stream::poll_fn(move |_| match events.pop_front() {
        Some(Some(item)) => Poll::Ready(Some(item)),
        Some(None) => Poll::Pending,
        None => Poll::Ready(None),
    });
    let mut by_events = EventStream::new(by_events).max_chunk(cap);
    check(Pin::new(&mut by_events as &mut (dyn Stream<Item = _> + Unpin)), &mut cx);
});
