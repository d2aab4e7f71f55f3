//! Property tests: for any input, a client sees exactly the event the caller built, or the
//! builder refused the input. Checked with the spec parser in `tests/common` and, as a second
//! opinion, the `eventsource-stream` crate.

use crate::common;

use bytes::Bytes;
use common::oracle::{assert_client_saw, build, build_on, expected, Input};
use common::{peer_parse, Parser};
use proptest::prelude::*;
use sse_wire::{Error, Event, Field};
use std::time::Duration;

/// Strings made to hit every framing rule: line breaks of each kind and in odd orders, NUL,
/// BOM, U+2028, colons, spaces, field-like text, any scalar value, and now and then a long line.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "\r", "\n", "\r\n", "\n\r", "\r\r", "\0", "\u{FEFF}", "\u{2028}", "\u{2029}", "\u{85}",
            " ", "  ", "\t", ":", ": ", "data: x", "event:", "id: 1", "retry: 1", "é", "🦀",
        ])
        .prop_map(str::to_owned),
        4 => any::<char>().prop_map(String::from),
        2 => "[a-z ]{0,8}",
    ];
    let short = prop::collection::vec(piece, 0..24).prop_map(|v| v.concat());
    let long = (
        1usize..70_000,
        any::<char>(),
        prop::option::of(0usize..70_000),
    )
        .prop_map(|(n, c, brk)| {
            let mut s = c.to_string().repeat(n);
            if let Some(at) = brk {
                let at = (0..=at.min(s.len()))
                    .rev()
                    .find(|&i| s.is_char_boundary(i))
                    .unwrap_or(0);
                s.insert(at, '\n');
            }
            s
        });
    prop_oneof![19 => short, 1 => long]
}

/// Mostly values the field accepts (so the encoding gets tested), sometimes anything (so the
/// refusals do).
fn field_value(forbidden: &'static [char]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => nasty().prop_map(move |s| s.replace(forbidden, "")),
        1 => nasty(),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    (
        prop::option::of(nasty()),
        prop::option::of(field_value(&['\r', '\n'])),
        prop::option::of(field_value(&['\r', '\n', '\0'])),
        prop::option::of(any::<u64>()),
        prop::collection::vec(nasty(), 0..3),
    )
        .prop_map(|(data, event, id, retry_ms, comments)| Input {
            data,
            event,
            id,
            retry_ms,
            comments,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Invariants 1–3: one event with exactly the caller's fields (or a refusal), one blank
    /// line, exact length.
    #[test]
    fn client_sees_exactly_the_input(input in input()) {
        let Some(ev) = build(&input) else { return Ok(()) };
        let bytes = ev.to_bytes();
        prop_assert_eq!(bytes.len(), ev.encoded_len());
        prop_assert!(bytes.ends_with(b"\n\n") || &bytes[..] == b"\n");
        assert_client_saw(&Parser::parse(&bytes), &input);

        // Second opinion: the eventsource-stream crate.
        let peer = peer_parse(vec![bytes.clone()]);
        let want = expected(&input);
        prop_assert_eq!(peer.len(), want.len());
        for (got, want) in peer.iter().zip(&want) {
            prop_assert_eq!(&got.event, &want.event_type);
            prop_assert_eq!(&got.data, &want.data);
            prop_assert_eq!(&got.id, &want.last_event_id);
            prop_assert_eq!(got.retry, input.retry_ms.map(Duration::from_millis));
        }
    }

    /// Setting `event` and `id` again replaces them: the bytes and the length are those of an
    /// event given the last values only (the length of their lines is kept as they are set).
    #[test]
    fn setting_type_and_id_again_replaces_them(
        input in input(),
        earlier_event in field_value(&['\r', '\n']),
        earlier_id in field_value(&['\r', '\n', '\0']),
    ) {
        let Some(want) = build(&input) else { return Ok(()) };
        // Earlier values, for the fields the input sets again (a refused one is not set).
        let mut ev = Event::new();
        if input.event.is_some() {
            ev = ev.clone().event(earlier_event.as_str()).unwrap_or(ev);
        }
        if input.id.is_some() {
            ev = ev.clone().id(earlier_id.as_str()).unwrap_or(ev);
        }
        let got = build_on(ev, &input).expect("the input was accepted on a new event");
        let bytes = got.to_bytes();
        prop_assert_eq!(&bytes, &want.to_bytes());
        prop_assert_eq!(got.encoded_len(), bytes.len());
    }

    /// The crate's own decoder, on both ends: for every event the encoder accepts,
    /// decode(encode(e)) is e as a client sees it (data with CR and CRLF as LF), however the
    /// bytes are cut: at every point (for events up to 2 KiB; at 64 points for longer ones),
    /// and one byte at a time (up to 4 KiB).
    #[test]
    fn the_decoder_reads_back_what_the_encoder_wrote(input in input()) {
        let Some(ev) = build(&input) else { return Ok(()) };
        let bytes = ev.to_bytes();
        let want = expected(&input);
        let decode = |chunks: &mut dyn Iterator<Item = Bytes>| {
            let mut decoder = sse_wire::decode::Decoder::new();
            let mut got = Vec::new();
            for chunk in chunks {
                decoder.push(chunk);
                while let Some(event) = decoder.next_event() {
                    let event = event.unwrap();
                    got.push(common::Dispatched {
                        event_type: event.event_type().to_owned(),
                        data: event.data().to_owned(),
                        last_event_id: event.last_event_id().to_owned(),
                    });
                }
            }
            let end = decoder.finish();
            (got, end)
        };
        let cuts: Vec<usize> = match bytes.len() {
            n if n <= 2048 => (0..=n).collect(),
            n => (0..64).map(|i| i * n / 63).collect(),
        };
        for at in cuts {
            let (got, end) = decode(&mut [bytes.slice(..at), bytes.slice(at..)].into_iter());
            prop_assert_eq!(&got, &want, "cut at {}", at);
            prop_assert_eq!(end.retry, input.retry_ms);
        }
        if bytes.len() <= 4096 {
            let (got, _) = decode(&mut (0..bytes.len()).map(|i| bytes.slice(i..i + 1)));
            prop_assert_eq!(&got, &want, "one byte at a time");
        }
    }

    /// Splitting the bytes anywhere, or feeding them one byte at a time, changes nothing.
    #[test]
    fn any_split_gives_the_same_events(input in input()) {
        let Some(ev) = build(&input) else { return Ok(()) };
        let bytes = ev.to_bytes();
        if bytes.len() > 400 { return Ok(()) }
        for at in 0..=bytes.len() {
            let mut p = Parser::new();
            p.feed(&bytes[..at]);
            p.feed(&bytes[at..]);
            assert_client_saw(&p, &input);
            let peer = peer_parse(vec![bytes.slice(..at), bytes.slice(at..)]);
            prop_assert_eq!(peer.len(), expected(&input).len(), "split at {}", at);
        }
        let mut p = Parser::new();
        for b in bytes.iter() {
            p.feed(std::slice::from_ref(b));
        }
        assert_client_saw(&p, &input);
        let peer = peer_parse(bytes.iter().map(|&b| Bytes::copy_from_slice(&[b])).collect());
        prop_assert_eq!(peer.len(), expected(&input).len());
    }

    /// Many events in a row: each dispatches once, in order, and ids persist as the spec says.
    #[test]
    fn sequences_stay_separate(inputs in prop::collection::vec(input(), 1..8)) {
        let built: Vec<(Input, Event)> =
            inputs.into_iter().filter_map(|i| build(&i).map(|e| (i, e))).collect();
        let mut stream = Vec::new();
        let mut want = Vec::new();
        let mut last_id = String::new();
        for (input, ev) in &built {
            ev.encode_into(&mut stream);
            if let Some(id) = &input.id {
                last_id = id.clone();
            }
            for mut d in expected(input) {
                d.last_event_id = last_id.clone();
                want.push(d);
            }
        }
        let p = Parser::parse(&stream);
        prop_assert_eq!(&p.events, &want);
        prop_assert_eq!(p.blank_lines, built.len());
    }

    /// Data from `Bytes` is shared when valid and refused (at the right byte) when not. It is
    /// checked a block of 16 KiB at a time, so the inputs also cross the first and second block
    /// boundary, with characters, breaks and bad bytes cut by it.
    #[test]
    fn data_from_bytes(
        filler in prop_oneof![Just(0usize), 16_370usize..16_390, 32_750usize..32_770],
        tail in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            "[a\r\néあ😀]{0,16}".prop_map(String::into_bytes),
        ],
    ) {
        let mut raw = vec![b'a'; filler];
        raw.extend_from_slice(&tail);
        let result = Event::new().data_utf8(Bytes::from(raw.clone()));
        match std::str::from_utf8(&raw) {
            Ok(s) => {
                let ev = result.unwrap();
                prop_assert_eq!(ev.get_data(), Some(s));
                prop_assert_eq!(ev.to_bytes(), Event::new().data(s).to_bytes());
            }
            Err(e) => prop_assert_eq!(
                result.unwrap_err(),
                Error::InvalidUtf8 { field: Field::Data, valid_up_to: e.valid_up_to() }
            ),
        }
    }
}
