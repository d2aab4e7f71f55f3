//! The builder and the encoder with arbitrary field values: every run either gets the
//! documented typed error, or bytes that a spec parser turns into exactly the input event.
#![no_main]

#[path = "../../tests/common/whatwg.rs"]
mod whatwg;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sse_wire::{Error, Event, Field};
use std::time::Duration;

#[derive(Arbitrary, Debug)]
struct Input {
    comments: Vec<String>,
    event: Option<String>,
    id: Option<String>,
    retry_ms: Option<u64>,
    data: Option<String>,
    raw_data: Option<Vec<u8>>,
}

fn first_of(s: &str, set: &[char]) -> Option<(usize, char)> {
    s.char_indices().find(|(_, c)| set.contains(c))
}

fuzz_target!(|input: Input| {
    let mut ev = Event::new();
    for c in &input.comments {
        ev = ev.comment(c.as_str());
    }
    if let Some(t) = &input.event {
        match ev.event(t.as_str()) {
            Ok(e) => ev = e,
            Err(err) => {
                let (index, found) = first_of(t, &['\r', '\n']).expect("refused a valid type");
                assert_eq!(err, Error::InvalidChar { field: Field::Event, found, index });
                return;
            }
        }
    }
    if let Some(id) = &input.id {
        match ev.id(id.as_str()) {
            Ok(e) => ev = e,
            Err(err) => {
                let (index, found) = first_of(id, &['\r', '\n', '\0']).expect("refused a valid id");
                assert_eq!(err, Error::InvalidChar { field: Field::Id, found, index });
                return;
            }
        }
    }
    if let Some(ms) = input.retry_ms {
        ev = ev.retry(Duration::from_millis(ms));
    }
    let mut data = input.data.clone();
    if let Some(d) = &data {
        ev = ev.data(d.as_str());
    }
    if let Some(raw) = &input.raw_data {
        match (ev.clone().data_utf8(bytes::Bytes::from(raw.clone())), std::str::from_utf8(raw)) {
            (Ok(e), Ok(s)) => {
                ev = e;
                data = Some(s.to_owned());
            }
            (Err(err), Err(utf8)) => assert_eq!(
                err,
                Error::InvalidUtf8 { field: Field::Data, valid_up_to: utf8.valid_up_to() }
            ),
            (got, want) => panic!("data_utf8 {got:?} but from_utf8 {want:?}"),
        }
    }

    let bytes = ev.to_bytes();
    assert_eq!(bytes.len(), ev.encoded_len());
    let mut via_bufmut = Vec::new();
    ev.encode_into(&mut via_bufmut);
    assert_eq!(&via_bufmut[..], &bytes[..]);

    let p = whatwg::Parser::parse(&bytes);
    assert_eq!(p.blank_lines, 1, "one blank line, at the end");
    assert!(p.pending_line().is_empty());
    assert_eq!(p.last_event_id, input.id.clone().unwrap_or_default());
    assert_eq!(p.retries, input.retry_ms.into_iter().collect::<Vec<_>>());
    match data {
        None => assert!(p.events.is_empty()),
        Some(d) => {
            let want = whatwg::Dispatched {
                event_type: input.event.filter(|t| !t.is_empty()).unwrap_or_else(|| "message".into()),
                data: d.replace("\r\n", "\n").replace('\r', "\n"),
                last_event_id: input.id.unwrap_or_default(),
            };
            assert_eq!(p.events, [want]);
        }
    }
});
