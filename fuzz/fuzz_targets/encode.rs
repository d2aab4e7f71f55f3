//! The builder and the encoder with arbitrary field values: every run either gets the
//! documented typed error, or bytes that a spec parser turns into exactly the input event.
//! The oracle is the one the property tests use (`tests/common/oracle.rs`).
#![no_main]

#[path = "../../tests/common/whatwg.rs"]
mod whatwg;
#[path = "../../tests/common/oracle.rs"]
mod oracle;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sse_wire::{Error, Event, Field};

#[derive(Arbitrary, Debug)]
struct Fields {
    comments: Vec<String>,
    event: Option<String>,
    id: Option<String>,
    retry_ms: Option<u64>,
    data: Option<String>,
    /// Data given as raw bytes instead, through `Event::data_utf8`.
    raw_data: Option<Vec<u8>>,
    /// A type and an id set first and then replaced by `event` and `id` (only where those are
    /// set, and only if accepted), which must leave no trace.
    earlier_event: Option<String>,
    earlier_id: Option<String>,
}

fuzz_target!(|fields: Fields| {
    let mut input = oracle::Input {
        comments: fields.comments,
        event: fields.event,
        id: fields.id,
        retry_ms: fields.retry_ms,
        data: fields.data,
    };
    let mut earlier = Event::new();
    if let (Some(t), Some(_)) = (&fields.earlier_event, &input.event) {
        earlier = earlier.clone().event(t.as_str()).unwrap_or(earlier);
    }
    if let (Some(id), Some(_)) = (&fields.earlier_id, &input.id) {
        earlier = earlier.clone().id(id.as_str()).unwrap_or(earlier);
    }
    let Some(mut ev) = oracle::build_on(earlier, &input) else { return };
    if let Some(raw) = fields.raw_data {
        match (ev.clone().data_utf8(bytes::Bytes::from(raw.clone())), std::str::from_utf8(&raw)) {
            (Ok(e), Ok(s)) => {
                assert_eq!(e.to_bytes(), ev.clone().data(s).to_bytes());
                ev = e;
                input.data = Some(s.to_owned());
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
    oracle::assert_client_saw(&whatwg::Parser::parse(&bytes), &input);
});

