//! The decoder with arbitrary bytes cut at arbitrary points, under arbitrary limits: it never
//! panics, never holds more than its limits, and within the default limits dispatches exactly
//! what the tests' independent parser of the standard does (`tests/common/whatwg.rs`).
#![no_main]

#[path = "../../tests/common/whatwg.rs"]
mod whatwg;

use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sse_wire::decode::{Decoder, Limits};

#[derive(Arbitrary, Debug)]
struct Input {
    bytes: Vec<u8>,
    cuts: Vec<u16>,
    /// Small limits, so that they are reached; `None` for the defaults.
    limits: Option<(u8, u8)>,
}

fuzz_target!(|input: Input| {
    let limits = match input.limits {
        Some((line, event)) => Limits { max_line: usize::from(line), max_event: usize::from(event) },
        None => Limits::default(),
    };
    let mut points: Vec<usize> = input
        .cuts
        .iter()
        .map(|&c| usize::from(c) % (input.bytes.len() + 1))
        .collect();
    points.sort_unstable();
    let mut decoder = Decoder::with_limits(limits);
    let mut events = Vec::new();
    let mut errors = 0;
    let mut from = 0;
    for to in points.into_iter().chain([input.bytes.len()]) {
        decoder.push(Bytes::copy_from_slice(&input.bytes[from..to]));
        from = to;
        while let Some(event) = decoder.next_event() {
            match event {
                Ok(e) => {
                    // The limit counts input bytes; each invalid byte becomes a 3-byte U+FFFD.
                    assert!(e.data().len() <= 3 * limits.max_event);
                    events.push(whatwg::Dispatched {
                        event_type: e.event_type().to_owned(),
                        data: e.data().to_owned(),
                        last_event_id: e.last_event_id().to_owned(),
                    });
                }
                Err(_) => errors += 1,
            }
            assert!(decoder.buffered() <= limits.max_line + limits.max_event);
        }
        assert!(decoder.buffered() <= limits.max_line + limits.max_event);
    }
    let end = decoder.finish();
    if input.limits.is_none() && input.bytes.len() < limits.max_line {
        let reference = whatwg::Parser::parse(&input.bytes);
        assert_eq!(errors, 0);
        assert_eq!(events, reference.events);
        assert_eq!(end.last_event_id, reference.last_event_id);
        assert_eq!(end.retry, reference.retries.last().copied());
    }
});
