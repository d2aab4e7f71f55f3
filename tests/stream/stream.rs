//! The `EventStream` adapter: order, no added delay, errors, the chunk cap, zero copy,
//! keep-alive, cancellation. Polled by hand with scripted inner streams, so every test is
//! deterministic and nothing sleeps.

use crate::common;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::task::noop_waker;
use proptest::prelude::*;
use sse_wire::{Encoded, Event, EventStream, KeepAlive};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// One step of a scripted stream.
#[derive(Debug, Clone)]
enum Step<T> {
    Item(T),
    Pending,
}

/// A stream that plays a script the test can extend between polls. When the script runs out it
/// ends, or stays pending if `open`.
/// The script's remaining steps, shared with the test.
type Steps<T> = Rc<RefCell<VecDeque<Step<T>>>>;

struct Script<T> {
    steps: Steps<T>,
    open: bool,
}

impl<T> Script<T> {
    fn new(steps: impl IntoIterator<Item = Step<T>>, open: bool) -> (Script<T>, Steps<T>) {
        let steps = Rc::new(RefCell::new(steps.into_iter().collect()));
        (
            Script {
                steps: steps.clone(),
                open,
            },
            steps,
        )
    }
}

impl<T> Unpin for Script<T> {}

impl<T> Stream for Script<T> {
    type Item = T;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
        match self.steps.borrow_mut().pop_front() {
            Some(Step::Item(t)) => Poll::Ready(Some(t)),
            Some(Step::Pending) => Poll::Pending,
            None if self.open => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

/// What one poll of the adapter gave.
#[derive(Debug, PartialEq)]
enum Out<E> {
    Chunk(Bytes),
    Err(E),
    Pending,
    End,
}

fn poll<S: Stream<Item = Result<Bytes, E>> + Unpin, E>(s: &mut S) -> Out<E> {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    match Pin::new(s).poll_next(&mut cx) {
        Poll::Ready(Some(Ok(b))) => Out::Chunk(b),
        Poll::Ready(Some(Err(e))) => Out::Err(e),
        Poll::Ready(None) => Out::End,
        Poll::Pending => Out::Pending,
    }
}

/// Polls until the end, stepping over `Pending`s (bounded).
fn drain<S: Stream<Item = Result<Bytes, E>> + Unpin, E>(s: &mut S) -> Vec<Out<E>> {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        match poll(s) {
            Out::Pending => continue,
            Out::End => return out,
            o => out.push(o),
        }
    }
    panic!("stream did not end");
}

fn ev(s: &str) -> Event {
    Event::new().data(s)
}

fn chunk(s: &str) -> Out<Infallible> {
    Out::Chunk(Bytes::copy_from_slice(s.as_bytes()))
}

#[test]
fn ready_events_share_a_chunk_and_pending_flushes_at_once() {
    use Step::*;
    let (inner, _) = Script::new(
        [
            Item(ev("1")),
            Item(ev("2")),
            Pending,
            Item(ev("3")),
            Pending,
        ],
        false,
    );
    let mut s = EventStream::new(inner);
    // 1 and 2 were ready together; the inner stream then went pending: both go out now.
    assert_eq!(poll(&mut s), chunk("data: 1\n\ndata: 2\n\n"));
    assert_eq!(poll(&mut s), chunk("data: 3\n\n"));
    assert_eq!(poll(&mut s), Out::End);
    assert_eq!(poll(&mut s), Out::End, "stays ended");
}

#[test]
fn pending_with_nothing_buffered_is_pending() {
    use Step::*;
    let (inner, script) = Script::new([Pending], true);
    let mut s = EventStream::new(inner);
    assert_eq!(poll(&mut s), Out::Pending);
    assert_eq!(poll(&mut s), Out::Pending);
    script.borrow_mut().push_back(Item(ev("late")));
    assert_eq!(
        poll(&mut s),
        chunk("data: late\n\n"),
        "sent as soon as it is ready"
    );
}

#[test]
fn errors_pass_through_in_order() {
    use Step::*;
    let items = [
        Item(Ok(ev("a"))),
        Item(Err("boom")),
        Item(Err("again")),
        Item(Ok(ev("b"))),
        Item(Ok(ev("c"))),
    ];
    let (inner, _) = Script::new(items, false);
    let mut s = EventStream::new(inner);
    assert_eq!(
        drain(&mut s),
        [
            Out::Chunk(Bytes::from_static(b"data: a\n\n")),
            Out::Err("boom"),
            Out::Err("again"),
            Out::Chunk(Bytes::from_static(b"data: b\n\ndata: c\n\n")),
        ]
    );
}

#[test]
fn chunk_cap_is_respected() {
    let events: Vec<_> = (0..10)
        .map(|i| Step::Item(ev(&format!("event number {i}"))))
        .collect();
    let one = ev("event number 0").encoded_len(); // 23 bytes
    let (inner, _) = Script::new(events, false);
    let out = drain(&mut EventStream::new(inner).max_chunk(50));
    let sizes: Vec<usize> = out
        .iter()
        .map(|o| if let Out::Chunk(c) = o { c.len() } else { 0 })
        .collect();
    assert_eq!(sizes, [2 * one; 5]);

    // Cap 0: one event per chunk. An event larger than the cap still goes out whole.
    let (inner, _) = Script::new(
        [Step::Item(ev("a")), Step::Item(ev(&"x".repeat(100)))],
        false,
    );
    let out = drain(&mut EventStream::new(inner).max_chunk(0));
    assert_eq!(
        out,
        [
            chunk("data: a\n\n"),
            chunk(&format!("data: {}\n\n", "x".repeat(100)))
        ]
    );
}

/// Multi-line events are packed as tightly as one-line ones: an event that fits the room left
/// goes in (it is written into the room rather than measured first), and one that does not is
/// taken back whole and starts the next chunk.
#[test]
fn multi_line_events_fill_chunks_exactly() {
    let one = ev("a\nb").encoded_len(); // "data: a\ndata: b\n\n", 17 bytes
    for (cap, per_chunk) in [
        (2 * one, 2),
        (2 * one - 1, 1),
        (3 * one, 3),
        (3 * one + 5, 3),
    ] {
        let events: Vec<_> = (0..6).map(|_| Step::Item(ev("a\nb"))).collect();
        let (inner, _) = Script::new(events, false);
        let out = drain(&mut EventStream::new(inner).max_chunk(cap));
        let want: Vec<_> = (0..6 / per_chunk)
            .map(|_| chunk(&"data: a\ndata: b\n\n".repeat(per_chunk)))
            .collect();
        assert_eq!(out, want, "cap {cap}");
    }
}

#[test]
fn large_one_line_data_is_not_copied() {
    let payload = Bytes::from(vec![b'p'; 64 * 1024]);
    let owned = "s".repeat(8 * 1024);
    let owned_ptr = owned.as_ptr();
    let events = [
        Step::Item(ev("before")),
        Step::Item(
            Event::new()
                .id("1")
                .unwrap()
                .data_utf8(payload.clone())
                .unwrap(),
        ),
        Step::Item(Event::new().data(owned)),
        Step::Item(ev("after")),
    ];
    let (inner, _) = Script::new(events, false);
    let out = drain(&mut EventStream::new(inner));
    let chunks: Vec<Bytes> = out
        .into_iter()
        .map(|o| if let Out::Chunk(c) = o { c } else { panic!() })
        .collect();
    assert_eq!(chunks.len(), 5);
    assert_eq!(chunks[0], "data: before\n\nid: 1\ndata: ");
    assert_eq!(
        chunks[1].as_ptr(),
        payload.as_ptr(),
        "the caller's Bytes, shared"
    );
    assert_eq!(chunks[1].len(), payload.len());
    assert_eq!(chunks[2], "\n\ndata: ");
    assert_eq!(
        chunks[3].as_ptr(),
        owned_ptr,
        "the caller's String buffer, moved"
    );
    assert_eq!(chunks[4], "\n\ndata: after\n\n");
}

#[test]
fn one_line_data_of_4_kib_and_more_is_not_copied() {
    // The documented threshold, at its edge: 4,095 bytes are copied into the chunk with the
    // events around them, 4,096 are sent in the caller's own buffer.
    for (len, shared) in [(4095, false), (4096, true)] {
        let owned = "s".repeat(len);
        let owned_ptr = owned.as_ptr();
        let events = [
            Step::Item(ev("before")),
            Step::Item(Event::new().data(owned)),
            Step::Item(ev("after")),
        ];
        let (inner, _) = Script::new(events, false);
        let chunks: Vec<Bytes> = drain(&mut EventStream::new(inner))
            .into_iter()
            .map(|o| if let Out::Chunk(c) = o { c } else { panic!() })
            .collect();
        let all: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
        let want = format!(
            "data: before\n\ndata: {}\n\ndata: after\n\n",
            "s".repeat(len)
        );
        assert_eq!(all, want.as_bytes(), "{len} bytes");
        assert_eq!(
            chunks.iter().any(|c| c.as_ptr() == owned_ptr),
            shared,
            "{len} bytes: {} chunks",
            chunks.len()
        );
    }
}

#[test]
fn frames_are_sent_as_they_are() {
    let big = Encoded::from(Event::new().data("b".repeat(5000)));
    let small = Encoded::from(ev("small"));
    let steps = [
        Step::Item(small.clone()),
        Step::Item(small.clone()),
        Step::Item(big.clone()),
        Step::Item(small),
    ];
    let (inner, _) = Script::new(steps, false);
    let out = drain(&mut EventStream::new(inner));
    assert_eq!(out.len(), 3);
    assert_eq!(out[0], chunk("data: small\n\ndata: small\n\n"));
    match &out[1] {
        Out::Chunk(c) => assert_eq!(c.as_ptr(), big.as_bytes().as_ptr(), "shared, not copied"),
        o => panic!("{o:?}"),
    }
    assert_eq!(out[2], chunk("data: small\n\n"));
}

use common::hand_timer::HandTimer;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn keep_alive_after_a_whole_silent_period() {
    use Step::*;
    let (inner, events) = Script::<Event>::new([], true);
    let (timer, clock) = HandTimer::new();
    let ka = KeepAlive::new(timer, secs(15)).comment("ka");
    let mut s = EventStream::new(inner).keep_alive(ka);
    let ka = || chunk(": ka\n\n");
    let at = |t: u64| clock.set(secs(t));

    assert_eq!(poll(&mut s), Out::Pending, "silent for less than a period");
    at(14);
    assert_eq!(poll(&mut s), Out::Pending);
    at(15);
    assert_eq!(poll(&mut s), ka(), "silent for a whole period");
    assert_eq!(poll(&mut s), Out::Pending, "one per period");

    // An event at 20 s: the next keep-alive is one period after it, at 35 s, not at 45 s.
    at(20);
    events.borrow_mut().push_back(Item(ev("1")));
    assert_eq!(poll(&mut s), chunk("data: 1\n\n"));
    assert_eq!(poll(&mut s), Out::Pending);
    at(30);
    assert_eq!(poll(&mut s), Out::Pending, "traffic 10 s ago");
    at(34);
    assert_eq!(poll(&mut s), Out::Pending);
    at(35);
    assert_eq!(poll(&mut s), ka(), "15 s after the event");
    at(50);
    assert_eq!(poll(&mut s), ka(), "and 15 s after the keep-alive");

    // Event and an expired timer ready together: the event goes first, and counts as traffic.
    at(70);
    events.borrow_mut().push_back(Item(ev("2")));
    assert_eq!(poll(&mut s), chunk("data: 2\n\n"));
    assert_eq!(poll(&mut s), Out::Pending);

    // A zero-copy event is three chunks; a keep-alive due in between must not split it.
    let big = "z".repeat(10_000);
    events.borrow_mut().extend([Item(ev(&big)), Pending]);
    at(200);
    let mut bytes = Vec::new();
    for _ in 0..3 {
        match poll(&mut s) {
            Out::Chunk(c) => bytes.extend_from_slice(&c),
            o => panic!("{o:?}"),
        }
    }
    assert_eq!(bytes, format!("data: {big}\n\n").as_bytes());

    // When the events end, the stream ends, whatever the timer says.
    let (inner, _) = Script::<Event>::new([], false);
    let (timer, clock) = HandTimer::new();
    let mut s = EventStream::new(inner).keep_alive(KeepAlive::new(timer, secs(1)));
    clock.set(secs(100));
    assert_eq!(poll(&mut s), Out::End, "no keep-alive after the last event");
}

/// Whatever the times of the events, the stream is never silent for more than one period, and
/// never sends a keep-alive before a whole period of silence.
#[test]
fn silence_never_exceeds_one_period() {
    use Step::*;
    let period = 15;
    for seed in 0..200u64 {
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let (inner, events) = Script::<Event>::new([], true);
        let (timer, clock) = HandTimer::new();
        let mut s = EventStream::new(inner).keep_alive(KeepAlive::new(timer, secs(period)));
        let mut last_out = 0;
        assert_eq!(poll(&mut s), Out::Pending);
        for t in 1..400 {
            clock.set(secs(t));
            let event = next(4) == 0;
            if event {
                events.borrow_mut().push_back(Item(ev("e")));
            }
            // Poll as a server would: until pending.
            loop {
                match poll(&mut s) {
                    Out::Pending => break,
                    Out::Chunk(c) if c == ":\n\n" => {
                        assert_eq!(t - last_out, period, "seed {seed}: keep-alive at {t}");
                        last_out = t;
                    }
                    Out::Chunk(_) => last_out = t,
                    o => panic!("{o:?}"),
                }
            }
            assert!(
                t - last_out < period,
                "seed {seed}: silent since {last_out} at {t}"
            );
        }
    }
}

#[test]
fn keep_alive_periods_are_clamped_not_refused() {
    let (timer, _) = HandTimer::new();
    let ka = KeepAlive::new(timer, Duration::ZERO);
    assert_eq!(ka.period(), sse_wire::MIN_PERIOD);
    let (timer, clock) = HandTimer::new();
    let (inner, _) = Script::<Event>::new([], true);
    let mut s = EventStream::new(inner).keep_alive(KeepAlive::new(timer, Duration::MAX));
    assert_eq!(poll(&mut s), Out::Pending);
    clock.set(Duration::MAX - secs(1));
    assert_eq!(
        poll(&mut s),
        Out::Pending,
        "a period of Duration::MAX never ends"
    );
}

#[test]
fn dropping_the_adapter_drops_the_inner_stream() {
    struct Guard(Rc<RefCell<bool>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            *self.0.borrow_mut() = true;
        }
    }
    let dropped = Rc::new(RefCell::new(false));
    let guard = Guard(dropped.clone());
    let inner = futures_util::stream::poll_fn(move |_| {
        let _ = &guard;
        Poll::<Option<Event>>::Pending
    });
    let mut s = EventStream::new(Box::pin(inner));
    assert_eq!(poll(&mut s), Out::Pending);
    drop(s);
    assert!(*dropped.borrow());
}

/// An item for the property test: an event (sometimes large enough for zero copy), a frame,
/// or an error.
fn item() -> impl Strategy<Value = Result<Event, u8>> {
    prop_oneof![
        6 => "[a-z\\n\\r ]{0,40}".prop_map(|s| Ok(Event::new().data(s))),
        // Large data: one line (zero copy), or lines every `every` bytes (written line by line).
        1 => (4000usize..9000, prop_oneof![Just(None), (1usize..100).prop_map(Some)]).prop_map(
            |(n, every)| {
                let s: String = (0..n)
                    .map(|i| match every {
                        Some(k) if i % k == k - 1 => if i % 3 == 0 { '\r' } else { '\n' },
                        _ => 'q',
                    })
                    .collect();
                Ok(Event::new().id(n).data(s))
            }
        ),
        1 => any::<u8>().prop_map(Err),
    ]
}

/// What a property-test item encodes to.
trait Wire {
    fn wire(&self) -> Vec<u8>;
}

impl Wire for Event {
    fn wire(&self) -> Vec<u8> {
        self.to_bytes().to_vec()
    }
}

impl Wire for Encoded {
    fn wire(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

/// Invariants 4 and 5: chunking changes boundaries only, respects the cap, and never holds an
/// item back when the inner stream is pending; errors come out in order.
fn check_coalescing<T>(
    steps: &[(Result<T, u8>, bool)],
    cap: usize,
    keep_chunks: bool,
) -> Result<(), TestCaseError>
where
    T: Wire + Clone,
    Result<T, u8>: sse_wire::StreamItem<Error = u8>,
{
    let mut script = Vec::new();
    let mut want = Vec::new();
    let mut want_errors = Vec::new();
    let mut ends = Vec::new();
    for (item, pending_after) in steps {
        match item {
            Ok(item) => {
                want.extend_from_slice(&item.wire());
                ends.push(want.len());
            }
            Err(e) => want_errors.push((want.len(), *e)),
        }
        script.push(Step::Item(item.clone()));
        if *pending_after {
            script.push(Step::Pending);
        }
    }
    let total = script.len();
    let (inner, remaining) = Script::new(script.clone(), false);
    let mut s = EventStream::new(inner).max_chunk(cap);
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut got = Vec::new();
    let mut got_errors = Vec::new();
    let mut kept = Vec::new();
    loop {
        match Pin::new(&mut s).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(c))) => {
                prop_assert!(!c.is_empty());
                let start = got.len();
                got.extend_from_slice(&c);
                if keep_chunks {
                    kept.push(c.clone());
                }
                // A chunk over the cap is one item alone, or a piece of one: no item ends
                // strictly inside it.
                if c.len() > cap {
                    prop_assert!(
                        !ends.iter().any(|&e| start < e && e < got.len()),
                        "a {}-byte chunk over the cap of {} joins items",
                        c.len(),
                        cap
                    );
                }
            }
            Poll::Ready(Some(Err(e))) => got_errors.push((got.len(), e)),
            Poll::Ready(None) => break,
            Poll::Pending => {
                // No added delay: everything the inner stream yielded so far is out.
                let consumed = total - remaining.borrow().len();
                let mut sent = Vec::new();
                for step in &script[..consumed] {
                    if let Step::Item(Ok(item)) = step {
                        sent.extend_from_slice(&item.wire());
                    }
                }
                prop_assert_eq!(&got, &sent);
            }
        }
    }
    prop_assert_eq!(&got, &want);
    prop_assert_eq!(&got_errors, &want_errors);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn coalescing_only_moves_chunk_boundaries(
        steps in prop::collection::vec((item(), any::<bool>()), 0..40),
        cap in prop_oneof![Just(0usize), 1usize..200, Just(sse_wire::DEFAULT_MAX_CHUNK)],
        // Keeping every chunk alive (a slow body) stops the adapter from reusing its buffer
        // blocks; dropping them at once lets it; both paths must give the same bytes.
        keep_chunks in any::<bool>(),
    ) {
        check_coalescing(&steps, cap, keep_chunks)?;
    }

    /// The same for frames, small (copied into the chunk) and large (sent as they are).
    #[test]
    fn coalescing_frames_only_moves_chunk_boundaries(
        steps in prop::collection::vec((item().prop_map(|i| i.map(Encoded::from)), any::<bool>()), 0..40),
        cap in prop_oneof![Just(0usize), 1usize..200, Just(sse_wire::DEFAULT_MAX_CHUNK)],
        keep_chunks in any::<bool>(),
    ) {
        check_coalescing(&steps, cap, keep_chunks)?;
    }
}

/// Found by the `stream` fuzz target: a large multi-line event written line by line into a
/// buffer whose block had too little room left for the next line lost the lines already
/// buffered (the buffer was replaced by a fresh block instead of being sent first). Run both
/// with chunks dropped at once (so blocks are reused, as in the fuzz run) and kept alive.
#[test]
fn streamed_event_survives_a_full_block() {
    use Step::*;
    let z = |n: usize| "z".repeat(4096 + n);
    let big_lines = format!(
        "{}{}",
        "\r".repeat(6) + "2\r\r\u{8}\0\0\0" + &"\r".repeat(22),
        z(3341)
    );
    // The fuzz input's sequence: large and small events, pending points, then the multi-line ones.
    let mut events: Vec<Step<Event>> = vec![
        Item(Event::new().data(z(2697))),
        Pending,
        Item(ev("\n")),
        Item(Event::new().id(3054112013u32).data("")),
        Item(ev(">\n")),
        Item(Event::new().data(z(8458))),
        Pending,
    ];
    for data in [big_lines.clone(), "\r".repeat(27) + &z(3341)] {
        events.push(Item(Event::new().id(218959117u32).data(data)));
        events.push(Pending);
    }
    let want: Vec<u8> = events
        .iter()
        .filter_map(|s| {
            if let Item(e) = s {
                Some(e.to_bytes().to_vec())
            } else {
                None
            }
        })
        .flatten()
        .collect();
    for cap in [17, 100, 4096, sse_wire::DEFAULT_MAX_CHUNK] {
        let (inner, _) = Script::new(events.clone(), false);
        let mut s = EventStream::new(inner).max_chunk(cap);
        let mut got = Vec::new();
        loop {
            match poll(&mut s) {
                Out::Chunk(c) => got.extend_from_slice(&c), // dropped at once
                Out::Pending => continue,
                Out::End => break,
                Out::Err(e) => match e {},
            }
        }
        assert!(
            got == want,
            "cap {cap}, chunks dropped: {} bytes, want {}",
            got.len(),
            want.len()
        );

        let (inner, _) = Script::new(events.clone(), false);
        let mut s = EventStream::new(inner).max_chunk(cap);
        let chunks: Vec<Bytes> = drain(&mut s)
            .into_iter()
            .map(|o| {
                if let Out::Chunk(c) = o {
                    c
                } else {
                    panic!("{o:?}")
                }
            })
            .collect();
        let got = chunks.concat();
        assert!(
            got == want,
            "cap {cap}, chunks kept: {} bytes, want {}",
            got.len(),
            want.len()
        );
    }
}

#[test]
fn keep_alive_and_lifetime_share_one_timer_armed_for_the_earlier_deadline() {
    use sse_wire::Lifetime;
    let (inner, _events) = Script::<Event>::new([], true);
    let (timer, clock) = HandTimer::new();
    let (second, second_clock) = HandTimer::new();
    let ka = KeepAlive::new(timer, secs(15)).comment("ka");
    let lifetime = Lifetime::new(second, secs(40)).last_event(Event::new().retry(secs(2)));
    let mut s = EventStream::new(inner)
        .keep_alive(ka)
        .max_lifetime(lifetime);
    let at = |t: u64| clock.set(secs(t));

    assert_eq!(poll(&mut s), Out::Pending);
    assert_eq!(
        clock.deadline(),
        secs(15),
        "armed for the keep-alive, the earlier"
    );
    assert_eq!(
        second_clock.deadline(),
        Duration::MAX,
        "the second timer is never used"
    );
    at(15);
    assert_eq!(poll(&mut s), chunk(": ka\n\n"));
    assert_eq!(poll(&mut s), Out::Pending);
    at(30);
    assert_eq!(poll(&mut s), chunk(": ka\n\n"));
    assert_eq!(poll(&mut s), Out::Pending);
    assert_eq!(
        clock.deadline(),
        secs(40),
        "then for the lifetime, before the next keep-alive"
    );
    at(40);
    assert_eq!(
        poll(&mut s),
        chunk("retry: 2000\n\n"),
        "the last event at the age"
    );
    assert_eq!(poll(&mut s), Out::End);
}

#[test]
fn an_event_stream_is_send_and_sync_with_its_timer() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let (timer, _) = HandTimer::new();
    let events = futures_util::stream::iter([Event::new().data("x")]);
    let s = EventStream::new(events).keep_alive(KeepAlive::new(timer, secs(15)));
    assert_send_sync(&s);
}
