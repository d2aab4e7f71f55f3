//! `Event::json_data` (the `json` feature): compact, pretty-printed and raw JSON with line
//! breaks all arrive as the same JSON value.
#![cfg(feature = "json")]

use crate::common;

use serde::Serialize;
use serde_json::value::RawValue;
use sse_wire::Event;

#[derive(Serialize)]
struct Update<'a> {
    n: u64,
    text: &'a str,
}

fn client_value(ev: &Event) -> serde_json::Value {
    let p = common::Parser::parse(&ev.to_bytes());
    assert_eq!(p.events.len(), 1);
    serde_json::from_str(&p.events[0].data).unwrap()
}

#[test]
fn compact_json_is_one_line() {
    let ev = Event::new()
        .json_data(&Update {
            n: 1,
            text: "a\nb\r\n",
        })
        .unwrap();
    assert_eq!(
        ev.to_bytes(),
        "data: {\"n\":1,\"text\":\"a\\nb\\r\\n\"}\n\n"
    );
    assert_eq!(
        client_value(&ev)["text"],
        "a\nb\r\n",
        "escaped breaks inside strings are kept exactly"
    );
}

#[test]
fn pretty_and_raw_json_with_line_breaks_frame_correctly() {
    let value = serde_json::json!({"list": [1, 2, {"k": " v "}], "s": "x"});
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    assert!(pretty.contains('\n'));
    assert_eq!(client_value(&Event::new().data(pretty)), value);

    let raw = RawValue::from_string("{\r\n  \"a\": 1,\r  \"b\": [\n\n2]\r\n}".to_owned()).unwrap();
    let ev = Event::new().json_data(&raw).unwrap();
    assert_eq!(
        ev.to_bytes(),
        "data: {\ndata:   \"a\": 1,\ndata:   \"b\": [\ndata:\ndata: 2]\ndata: }\n\n"
    );
    assert_eq!(client_value(&ev), serde_json::json!({"a": 1, "b": [2]}));
}

#[test]
fn unserializable_value_is_an_error() {
    let mut map = std::collections::HashMap::new();
    map.insert(vec![1u8], 1);
    assert!(Event::new().json_data(&map).is_err());
}
