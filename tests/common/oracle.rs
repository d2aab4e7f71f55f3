//! What a conformant client must see for an event built from arbitrary field values, shared by
//! the property tests (`tests/roundtrip.rs`) and the `encode` fuzz target. Checks panic, which
//! both proptest and libFuzzer report as a failing input.
#![allow(dead_code)]

use super::whatwg::{Dispatched, Parser};
use sse_wire::{Error, Event, Field};
use std::time::Duration;

/// The fields a caller passes, any of them absent.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub comments: Vec<String>,
    pub event: Option<String>,
    pub id: Option<String>,
    pub retry_ms: Option<u64>,
    pub data: Option<String>,
}

/// What a client receives for data: CR and CRLF become LF.
pub fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Asserts that `err` is the documented refusal of `value` for `field`: the first of `forbidden`
/// in it, at its byte index.
fn assert_refusal(err: Error, field: Field, value: &str, forbidden: &[char]) {
    let index = value
        .find(forbidden)
        .unwrap_or_else(|| panic!("{field} refused a valid value"));
    let found = value[index..].chars().next().unwrap();
    assert_eq!(
        err,
        Error::InvalidChar {
            field,
            found,
            index
        }
    );
}

/// Builds the event; `None` when the builder refused a value (checked to be the documented
/// refusal, at the first bad byte).
pub fn build(input: &Input) -> Option<Event> {
    build_on(Event::new(), input)
}

/// [`build`], setting the input's fields on `ev` instead of on a new event.
pub fn build_on(mut ev: Event, input: &Input) -> Option<Event> {
    for c in &input.comments {
        ev = ev.comment(c.as_str());
    }
    if let Some(t) = &input.event {
        match ev.event(t.as_str()) {
            Ok(e) => ev = e,
            Err(err) => {
                assert_refusal(err, Field::Event, t, &['\r', '\n']);
                return None;
            }
        }
    }
    if let Some(id) = &input.id {
        match ev.id(id.as_str()) {
            Ok(e) => ev = e,
            Err(err) => {
                assert_refusal(err, Field::Id, id, &['\r', '\n', '\0']);
                return None;
            }
        }
    }
    if let Some(ms) = input.retry_ms {
        ev = ev.retry(Duration::from_millis(ms));
    }
    if let Some(d) = &input.data {
        ev = ev.data(d.as_str());
    }
    Some(ev)
}

/// The events a conformant client must dispatch for `input` alone.
pub fn expected(input: &Input) -> Vec<Dispatched> {
    match &input.data {
        None => vec![],
        Some(d) => vec![Dispatched {
            event_type: match input.event.as_deref() {
                None | Some("") => "message".into(),
                Some(t) => t.into(),
            },
            data: normalize_newlines(d),
            last_event_id: input.id.clone().unwrap_or_default(),
        }],
    }
}

/// Asserts that `p`, having read exactly the bytes of `input`'s event, saw exactly that event:
/// the dispatch (or none), one blank line, the id, the retry and every comment line.
pub fn assert_client_saw(p: &Parser, input: &Input) {
    assert_eq!(p.events, expected(input));
    assert_eq!(p.blank_lines, 1, "one blank line, at the end");
    assert!(p.pending_line().is_empty());
    assert_eq!(p.last_event_id, input.id.as_deref().unwrap_or(""));
    assert_eq!(p.retries, input.retry_ms.into_iter().collect::<Vec<_>>());
    let comments: Vec<String> = input
        .comments
        .iter()
        .flat_map(|c| {
            normalize_newlines(c)
                .split('\n')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|l| if l.is_empty() { l } else { format!(" {l}") })
        .collect();
    assert_eq!(p.comments, comments);
}
