//! The decoder against WHATWG HTML §9.2.6: each rule on its own, arbitrary byte streams cut
//! anywhere against the tests' independent parser (`tests/common/whatwg.rs`), the limits, and
//! the `Stream` adapter.

mod common;

use bytes::Bytes;
use common::{Dispatched, Parser};
use futures_util::{stream, StreamExt};
use proptest::prelude::*;
use sse_wire::decode::{DecodeError, DecodeStream, DecodeStreamError, Decoder, Limits};

/// Decodes `chunks` as one stream: the events, any errors, and what was left at the end.
fn decode_with(
    limits: Limits,
    chunks: &[&[u8]],
) -> (Vec<Dispatched>, Vec<DecodeError>, String, Option<u64>) {
    let mut decoder = Decoder::with_limits(limits);
    let (mut events, mut errors) = (Vec::new(), Vec::new());
    for chunk in chunks {
        decoder.push(Bytes::copy_from_slice(chunk));
        while let Some(event) = decoder.next_event() {
            match event {
                Ok(e) => events.push(Dispatched {
                    event_type: e.event_type().to_owned(),
                    data: e.data().to_owned(),
                    last_event_id: e.last_event_id().to_owned(),
                }),
                Err(e) => errors.push(e),
            }
        }
    }
    let end = decoder.finish();
    (events, errors, end.last_event_id, end.retry)
}

fn decode(chunks: &[&[u8]]) -> Vec<Dispatched> {
    let (events, errors, ..) = decode_with(Limits::default(), chunks);
    assert!(errors.is_empty(), "{errors:?}");
    events
}

fn ev(event_type: &str, data: &str, id: &str) -> Dispatched {
    Dispatched {
        event_type: event_type.into(),
        data: data.into(),
        last_event_id: id.into(),
    }
}

#[test]
fn line_ends_of_every_kind_and_cut_anywhere() {
    let want = vec![ev("message", "a\nb\nc", "")];
    for wire in [
        &b"data: a\ndata: b\ndata: c\n\n"[..],
        b"data: a\r\ndata: b\rdata: c\r\r",
        b"data: a\rdata: b\r\ndata: c\n\r\n",
    ] {
        assert_eq!(decode(&[wire]), want, "{wire:?}");
        for at in 0..=wire.len() {
            assert_eq!(
                decode(&[&wire[..at], &wire[at..]]),
                want,
                "{wire:?} cut at {at}"
            );
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode(&bytes), want, "{wire:?} byte by byte");
    }
    // A CR at the end of one chunk and an LF at the start of the next are one break...
    assert_eq!(
        decode(&[b"data: a\r", b"\ndata: b\n\n"]),
        [ev("message", "a\nb", "")]
    );
    // ...but LF then CR are two: the CR is an empty line, which dispatches.
    assert_eq!(
        decode(&[b"data: a\n", b"\rdata: b\n\n"]),
        [ev("message", "a", ""), ev("message", "b", "")]
    );
}

#[test]
fn one_leading_bom_is_removed_wherever_the_input_is_cut() {
    let wire = b"\xEF\xBB\xBFdata: x\n\n";
    for at in 0..=wire.len() {
        assert_eq!(
            decode(&[&wire[..at], &wire[at..]]),
            [ev("message", "x", "")],
            "cut at {at}"
        );
    }
    // A second BOM, or one after the start, is part of the field name: an unknown field.
    assert_eq!(decode(&[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n"]), []);
    assert_eq!(decode(&[b"\n\xEF\xBB\xBFdata: x\n\n"]), []);
    // Bytes that start like a BOM and are not one stay.
    assert_eq!(
        decode(&[b"\xEF\xBB", b"x: 1\ndata: y\n\n"]),
        [ev("message", "y", "")]
    );
    // Only at the stream's start: not after the first chunk, and again after `finish`.
    let mut d = Decoder::new();
    d.push(Bytes::from_static(b"data: a\n\n"));
    assert!(d.next_event().is_some());
    d.push(Bytes::from_static(b"\xEF\xBB\xBFdata: b\n\n"));
    assert!(d.next_event().is_none());
}

#[test]
fn fields_as_the_standard_reads_them() {
    let cases: &[(&[u8], &[Dispatched])] = &[
        (b"data\n\n", &[]), // no colon: `data` with an empty value: "" then LF, then removed
        (b"data\ndata\n\n", &[]),
        (b"data:\n\n", &[]),
        (b"data:  two spaces\n\n", &[]),
        (b"event: up\ndata: x\n\n", &[]),
        (b"event:\ndata: x\n\n", &[]),
        (b"Data: x\n\n", &[]),
        (b"data:x\n\n", &[]),
        (b": comment\ndata: x\n\n", &[]),
        (b"id: 1\n\ndata: x\n\n", &[]),
        (b"id: 1\ndata: x\n\nid\ndata: y\n\n", &[]),
        (b"id: a\x00b\ndata: x\n\n", &[]),
        (b"event: skipped\n\ndata: x\n\n", &[]),
        (b"data: \xff\xfe x \xe2\x82\n\n", &[]),
        (b"event: a\nevent: b\ndata: x\n\n", &[]),
        (b"data: x\n\ndata: unterminated", &[]),
    ];
    for (wire, _) in cases {
        // The expectation is the independent parser's, which reads the standard line by line.
        let want = Parser::parse(wire).events;
        assert_eq!(decode(&[wire]), want, "{}", String::from_utf8_lossy(wire));
    }
    // Spelled out for a few:
    assert_eq!(decode(&[b"data\n\n"]), [ev("message", "", "")]);
    assert_eq!(decode(&[b"data\ndata\n\n"]), [ev("message", "\n", "")]);
    assert_eq!(
        decode(&[b"data:  two spaces\n\n"]),
        [ev("message", " two spaces", "")]
    );
    assert_eq!(
        decode(&[b"id: a\x00b\ndata: x\n\n"]),
        [ev("message", "x", "")]
    );
    assert_eq!(
        decode(&[b"data: \xff x\n\n"]),
        [ev("message", "\u{FFFD} x", "")]
    );
}

#[test]
fn ids_persist_and_commit_only_at_dispatch() {
    let (events, _, last, _) = decode_with(
        Limits::default(),
        &[b"id: 7\ndata: a\n\ndata: b\n\nid: 8\n\nid: 9\ndata: cut"],
    );
    assert_eq!(events, [ev("message", "a", "7"), ev("message", "b", "7")]);
    // The data-less block still moved the id to 8; the unterminated one did not commit 9.
    assert_eq!(last, "8");
}

#[test]
fn retry_only_when_all_ascii_digits() {
    for (wire, want) in [
        (&b"retry: 3000\n"[..], Some(3000)),
        (b"retry: 03000\n", Some(3000)),
        (b"retry:  3000\n", None),
        (b"retry: -1\n", None),
        (b"retry: 1.5\n", None),
        (b"retry: 1e3\n", None),
        (b"retry:\n", None),
        (b"retry: 99999999999999999999999\n", Some(u64::MAX)),
        (b"retry: 5\nretry: x\n", Some(5)),
    ] {
        let (.., retry) = decode_with(Limits::default(), &[wire]);
        assert_eq!(retry, want, "{}", String::from_utf8_lossy(wire));
    }
}

#[test]
fn one_line_data_shares_the_input_chunk() {
    let chunk = Bytes::from_static(b"data: a payload longer than 22 bytes\n\n");
    let mut d = Decoder::new();
    d.push(chunk.clone());
    let data = d.next_event().unwrap().unwrap().into_data();
    let at = chunk.as_ptr() as usize + 6;
    assert_eq!(data.as_bytes().as_ptr() as usize, at, "not copied");
}

#[test]
fn limits_are_typed_errors_and_decoding_goes_on() {
    let limits = Limits {
        max_line: 16,
        max_event: 24,
    };
    // A long line, in one chunk or cut across several: an error, its event skipped, the next one
    // decoded.
    let long = b"data: this line is far too long\ndata: rest of it\n\ndata: next\n\n";
    for at in 0..=long.len() {
        let (events, errors, ..) = decode_with(limits, &[&long[..at], &long[at..]]);
        assert_eq!(
            errors,
            [DecodeError::LineTooLong { max: 16 }],
            "cut at {at}"
        );
        assert_eq!(events, [ev("message", "next", "")], "cut at {at}");
    }
    // Many short lines that add up past the event limit.
    let big = b"data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\ndata: ok\n\n";
    let (events, errors, ..) = decode_with(limits, &[big]);
    assert_eq!(errors, [DecodeError::EventTooLarge { max: 24 }]);
    assert_eq!(events, [ev("message", "ok", "")]);
}

/// Found by the fuzz target (its oracle had the bound wrong): invalid bytes within the event
/// limit decode to up to three times as many bytes of text, each one a U+FFFD.
#[test]
fn the_event_limit_counts_input_bytes() {
    let limits = Limits {
        max_line: 13,
        max_event: 13,
    };
    let (events, errors, ..) = decode_with(limits, &[b"data:\xff\xff\xff\xff\xff\xff\xff\n\n"]);
    assert!(errors.is_empty());
    assert_eq!(events, [ev("message", &"\u{FFFD}".repeat(7), "")]);
}

#[test]
fn memory_stays_bounded_on_a_line_that_never_ends() {
    let limits = Limits {
        max_line: 1024,
        max_event: 4096,
    };
    let mut d = Decoder::with_limits(limits);
    let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
    let mut errors = 0;
    for _ in 0..1000 {
        d.push(chunk.clone());
        while let Some(r) = d.next_event() {
            assert_eq!(r, Err(DecodeError::LineTooLong { max: 1024 }));
            errors += 1;
        }
        assert!(
            d.buffered() <= 1024,
            "holds {} bytes of the line",
            d.buffered()
        );
    }
    assert_eq!(errors, 1, "one error for the line, however long it goes on");
    assert!(
        d.buffered() <= 1024,
        "holds {} bytes of the line",
        d.buffered()
    );
    d.push(Bytes::from_static(b"\n\ndata: after\n\n"));
    assert_eq!(d.next_event().unwrap().unwrap().data(), "after");
}

#[test]
fn the_stream_adapter_passes_source_errors_and_ends_with_the_last_id() {
    let chunks = stream::iter(vec![
        Ok(Bytes::from_static(b"id: 1\ndata: a\n\n")),
        Err("connection reset"),
        Ok(Bytes::from_static(b"id: 2\ndata: b\n\ndata: lost")),
    ]);
    let mut s = DecodeStream::new(chunks);
    futures_executor::block_on(async {
        assert_eq!(s.next().await.unwrap().unwrap().data(), "a");
        assert!(matches!(
            s.next().await,
            Some(Err(DecodeStreamError::Source("connection reset")))
        ));
        assert_eq!(s.next().await.unwrap().unwrap().data(), "b");
        assert!(s.next().await.is_none());
    });
    assert_eq!(s.last_event_id(), "2");
}

/// Bytes that hit every rule: breaks of each kind, field names, colons, spaces, NUL, BOMs,
/// invalid UTF-8, digits.
fn wire() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => prop::sample::select(vec![
            &b"\n"[..], b"\r", b"\r\n", b"\n\n", b"data", b"data:", b"data: ", b"event:", b"event: t",
            b"id:", b"id: ", b"retry:", b"retry: 12", b":", b": c", b" ", b"\0", b"\xEF\xBB\xBF",
            b"\xff", b"\xe2\x82", "é🦀".as_bytes(), b"x", b"0", b"Data:",
        ]).prop_map(<[u8]>::to_vec),
        2 => prop::collection::vec(any::<u8>(), 0..6),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Any bytes, cut at any points: the same events, last id and retry as the independent
    /// parser of the standard.
    #[test]
    fn agrees_with_the_reference_parser(bytes in wire(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let reference = Parser::parse(&bytes);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for p in points.into_iter().chain([bytes.len()]) {
            chunks.push(&bytes[from..p]);
            from = p;
        }
        let (events, errors, last, retry) = decode_with(Limits::default(), &chunks);
        prop_assert!(errors.is_empty());
        prop_assert_eq!(events, reference.events);
        prop_assert_eq!(last, reference.last_event_id);
        prop_assert_eq!(retry, reference.retries.last().copied());
    }
}
