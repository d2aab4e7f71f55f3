//! Exact-bytes vectors for every framing rule in the spec notes (WHATWG HTML §9.2), each also
//! run through an independent spec parser to show what a client makes of the bytes.

use crate::common;

use bytes::Bytes;
use common::{Dispatched, Parser};
use sse_wire::{Encoded, Error, Event, Field};
use std::time::Duration;

/// Asserts the exact encoding, that `encoded_len` is exact, and that the three encoders agree.
#[track_caller]
fn bytes_of(ev: &Event, want: &str) -> Parser {
    let got = ev.to_bytes();
    assert_eq!(
        got,
        want.as_bytes(),
        "\n got: {:?}\nwant: {want:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(ev.encoded_len(), want.len());
    let mut v = Vec::new();
    ev.encode_into(&mut v);
    assert_eq!(v, want.as_bytes());
    assert_eq!(Encoded::from(ev).as_bytes(), want.as_bytes());
    Parser::parse(want.as_bytes())
}

fn message(data: &str) -> Dispatched {
    Dispatched {
        event_type: "message".into(),
        data: data.into(),
        last_event_id: String::new(),
    }
}

#[track_caller]
fn data_vector(data: &str, want: &str, client_sees: &str) {
    let p = bytes_of(&Event::new().data(data), want);
    assert_eq!(p.events, [message(client_sees)], "data {data:?}");
    assert_eq!(p.blank_lines, 1, "exactly one blank line, at the end");
}

// R16, R22: data is split on CRLF | CR | LF, one `data` line per piece, empty pieces included.
#[test]
fn data_lines() {
    data_vector("", "data:\n\n", "");
    data_vector("a", "data: a\n\n", "a");
    data_vector("a\n", "data: a\ndata:\n\n", "a\n");
    data_vector("\n", "data:\ndata:\n\n", "\n");
    data_vector("\n\n", "data:\ndata:\ndata:\n\n", "\n\n");
    data_vector("a\nb", "data: a\ndata: b\n\n", "a\nb");
    data_vector("a\r\nb", "data: a\ndata: b\n\n", "a\nb");
    data_vector("a\rb", "data: a\ndata: b\n\n", "a\nb");
    data_vector("a\n\rb", "data: a\ndata:\ndata: b\n\n", "a\n\nb");
    data_vector("a\r\r\nb", "data: a\ndata:\ndata: b\n\n", "a\n\nb");
    data_vector("\r\n\r\n", "data:\ndata:\ndata:\n\n", "\n\n");
    data_vector("\r", "data:\ndata:\n\n", "\n");
}

// R11: exactly one space after the colon is removed, so it is always written, and a value's own
// leading space, tab and trailing whitespace survive.
#[test]
fn leading_and_trailing_whitespace_survive() {
    data_vector(" x", "data:  x\n\n", " x");
    data_vector("  ", "data:   \n\n", "  ");
    data_vector("\tx", "data: \tx\n\n", "\tx");
    data_vector("x \t", "data: x \t\n\n", "x \t");
    data_vector("a\n b", "data: a\ndata:  b\n\n", "a\n b");
}

// R10: only the first colon separates; values may hold colons, and may start with one.
#[test]
fn colons_in_values() {
    data_vector("a:b", "data: a:b\n\n", "a:b");
    data_vector(":x", "data: :x\n\n", ":x");
    data_vector("a\n:b", "data: a\ndata: :b\n\n", "a\n:b");
    let p = bytes_of(
        &Event::new().event("a: b").unwrap().data("x"),
        "event: a: b\ndata: x\n\n",
    );
    assert_eq!(p.events[0].event_type, "a: b");
}

// R2, R4: NUL, BOM, U+2028/2029, NEL, VT, FF are data, not line breaks.
#[test]
fn other_characters_are_data() {
    for s in [
        "a\0b",
        "\u{FEFF}x",
        "a\u{2028}b\u{2029}c",
        "a\u{85}b",
        "a\x0bb\x0cc",
        "\x1c\x1d\x1e",
        "é🦀\u{202E}שלום",
    ] {
        data_vector(s, &format!("data: {s}\n\n"), s);
    }
}

#[test]
fn huge_line() {
    let big = "x".repeat(1 << 20);
    data_vector(&big, &format!("data: {big}\n\n"), &big);
}

// R15, R23: `event` sets the type; empty means `message`.
#[test]
fn event_type() {
    let p = bytes_of(
        &Event::new().event("update").unwrap().data("x"),
        "event: update\ndata: x\n\n",
    );
    assert_eq!(p.events[0].event_type, "update");
    let p = bytes_of(
        &Event::new().event("").unwrap().data("x"),
        "event:\ndata: x\n\n",
    );
    assert_eq!(p.events[0].event_type, "message");
    let p = bytes_of(
        &Event::new().event(" sp ace").unwrap().data("x"),
        "event:  sp ace\ndata: x\n\n",
    );
    assert_eq!(p.events[0].event_type, " sp ace");
    let p = bytes_of(
        &Event::new().event("a\0\u{FEFF}").unwrap().data("x"),
        "event: a\0\u{FEFF}\ndata: x\n\n",
    );
    assert_eq!(p.events[0].event_type, "a\0\u{FEFF}");
}

// R4, R15: CR or LF in the type would end the line: refused with the place it was found.
#[test]
fn event_type_with_line_break_is_refused() {
    for (s, found, index) in [("a\nb", '\n', 1), ("\rx", '\r', 0), ("ab\r\n", '\r', 2)] {
        assert_eq!(
            Event::new().event(s).unwrap_err(),
            Error::InvalidChar {
                field: Field::Event,
                found,
                index
            },
        );
    }
    let msg = Event::new().event("up\ndate").unwrap_err().to_string();
    assert_eq!(
        msg,
        "event value contains '\\n' at byte 2, which the field cannot carry"
    );
}

// R17, R20, R25, R26: ids.
#[test]
fn ids() {
    let p = bytes_of(
        &Event::new().id("42").unwrap().data("x"),
        "id: 42\ndata: x\n\n",
    );
    assert_eq!(p.events[0].last_event_id, "42");
    let p = bytes_of(
        &Event::new().id(" é").unwrap().data("x"),
        "id:  é\ndata: x\n\n",
    );
    assert_eq!(p.events[0].last_event_id, " é");
    assert_eq!(Event::new().id(0u64).to_bytes(), "id: 0\n\n");
    assert_eq!(
        Event::new().id(u64::MAX).to_bytes(),
        "id: 18446744073709551615\n\n"
    );
    assert_eq!(Event::new().id(-7i32).to_bytes(), "id: -7\n\n");

    // An empty id is written, and resets the client's last id.
    let mut p = Parser::parse(&Event::new().id("1").unwrap().data("a").to_bytes());
    p.feed(&Event::new().data("b").to_bytes());
    bytes_of(&Event::new().id("").unwrap().data("c"), "id:\ndata: c\n\n");
    p.feed(&Event::new().id("").unwrap().data("c").to_bytes());
    let ids: Vec<_> = p.events.iter().map(|e| e.last_event_id.as_str()).collect();
    assert_eq!(
        ids,
        ["1", "1", ""],
        "ids persist until reset by an empty id"
    );
}

#[test]
fn id_with_nul_or_line_break_is_refused() {
    for (s, found, index) in [("a\0", '\0', 1), ("\n", '\n', 0), ("12\r", '\r', 2)] {
        assert_eq!(
            Event::new().id(s).unwrap_err(),
            Error::InvalidChar {
                field: Field::Id,
                found,
                index
            }
        );
    }
}

// R18: retry in whole milliseconds, decimal digits only.
#[test]
fn retry() {
    let p = bytes_of(
        &Event::new().retry(Duration::from_secs(3)),
        "retry: 3000\n\n",
    );
    assert_eq!(p.retries, [3000]);
    assert!(p.events.is_empty());
    bytes_of(&Event::new().retry(Duration::ZERO), "retry: 0\n\n");
    bytes_of(
        &Event::new().retry(Duration::from_micros(1_500_999)),
        "retry: 1500\n\n",
    );
    bytes_of(
        &Event::new().retry(Duration::MAX),
        "retry: 18446744073709551615999\n\n",
    );
}

// R9: comments start with a colon; every line of a multi-line comment does.
#[test]
fn comments() {
    let p = bytes_of(&Event::new().comment("hi"), ": hi\n\n");
    assert_eq!(p.comments, [" hi"]);
    bytes_of(&Event::new().comment(""), ":\n\n");
    let p = bytes_of(
        &Event::new().comment("a\ndata: forged\r\n"),
        ": a\n: data: forged\n:\n\n",
    );
    assert!(p.events.is_empty(), "a comment can never become an event");
    bytes_of(
        &Event::new().comment("one").comment("two").data("x"),
        ": one\n: two\ndata: x\n\n",
    );
}

// R21, R24: without data nothing is dispatched, but the id still moves and the type is dropped.
#[test]
fn event_without_data() {
    let mut p = bytes_of(
        &Event::new().event("done").unwrap().id("5").unwrap(),
        "event: done\nid: 5\n\n",
    );
    assert!(p.events.is_empty());
    assert_eq!(p.last_event_id, "5");
    p.feed(b"data: next\n\n");
    assert_eq!(
        p.events,
        [Dispatched {
            event_type: "message".into(),
            data: "next".into(),
            last_event_id: "5".into()
        }]
    );
    let p = bytes_of(&Event::new(), "\n");
    assert!(p.events.is_empty());
}

// Field order and the full set.
#[test]
fn every_field() {
    let ev = Event::new()
        .data("d1\nd2")
        .retry(Duration::from_millis(10))
        .id("7")
        .unwrap()
        .event("e")
        .unwrap()
        .comment("c");
    let p = bytes_of(
        &ev,
        ": c\nevent: e\nid: 7\nretry: 10\ndata: d1\ndata: d2\n\n",
    );
    assert_eq!(
        p.events,
        [Dispatched {
            event_type: "e".into(),
            data: "d1\nd2".into(),
            last_event_id: "7".into()
        }]
    );
    assert_eq!(p.retries, [10]);
}

// Setting a field twice replaces it (comments add up).
#[test]
fn setting_twice() {
    let ev = Event::new()
        .data("a")
        .data("b")
        .event("x")
        .unwrap()
        .event("y")
        .unwrap();
    let ev = ev
        .id("1")
        .unwrap()
        .id("2")
        .unwrap()
        .retry(Duration::from_millis(1))
        .retry(Duration::from_millis(2));
    bytes_of(&ev, "event: y\nid: 2\nretry: 2\ndata: b\n\n");
    assert_eq!(ev.get_data(), Some("b"));
}

// R3: data from bytes must be UTF-8.
#[test]
fn data_from_bytes() {
    let ev = Event::new()
        .data_utf8(Bytes::from_static("ok é\n".as_bytes()))
        .unwrap();
    bytes_of(&ev, "data: ok é\ndata:\n\n");
    assert_eq!(
        Event::new()
            .data_utf8(Bytes::from_static(b"ab\xff"))
            .unwrap_err(),
        Error::InvalidUtf8 {
            field: Field::Data,
            valid_up_to: 2
        }
    );
}

// Every source of text gives the same bytes.
#[test]
fn text_sources() {
    use std::borrow::Cow;
    use std::sync::Arc;
    let want = "data: line1\ndata: line2\n\n";
    let s = "line1\nline2";
    for ev in [
        Event::new().data(s),
        Event::new().data(s.to_owned()),
        Event::new().data(Box::<str>::from(s)),
        Event::new().data(Arc::<str>::from(s)),
        Event::new().data(Cow::Borrowed(s)),
        Event::new().data(sse_wire::Text::from_static(s)),
        Event::new()
            .data_utf8(Bytes::from_static(s.as_bytes()))
            .unwrap(),
    ] {
        bytes_of(&ev, want);
    }
}

// R5: output never starts with a BOM, and every line starts with ASCII, so a U+FEFF in a value
// can never be taken for one.
#[test]
fn no_bom_and_ascii_line_starts() {
    let ev = Event::new()
        .comment("\u{FEFF}")
        .event("\u{FEFF}")
        .unwrap()
        .id("\u{FEFF}")
        .unwrap()
        .data("\u{FEFF}\n\u{FEFF}");
    let bytes = ev.to_bytes();
    for line in bytes.split(|&b| b == b'\n') {
        assert!(line.is_empty() || line[0].is_ascii(), "{line:?}");
    }
    let p = Parser::parse(&bytes);
    assert_eq!(p.events[0].data, "\u{FEFF}\n\u{FEFF}");
    assert_eq!(p.events[0].event_type, "\u{FEFF}");
    assert_eq!(p.events[0].last_event_id, "\u{FEFF}");
}
