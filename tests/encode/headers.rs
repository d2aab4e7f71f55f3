//! The response head constants and `Last-Event-ID` parsing: every refusal is typed, nothing
//! panics, nothing is trimmed.

use proptest::prelude::*;
use sse_wire::headers::{self, last_event_id, last_event_id_u64, LAST_EVENT_ID_MAX_LEN};
use sse_wire::{Error, Field};

#[test]
fn response_headers() {
    assert_eq!(
        headers::RESPONSE_HEADERS,
        [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
            ("x-accel-buffering", "no")
        ]
    );
}

#[test]
fn last_event_id_rules() {
    assert_eq!(last_event_id(b""), Ok(""));
    assert_eq!(
        last_event_id(" a b ".as_bytes()),
        Ok(" a b "),
        "kept as given"
    );
    assert_eq!(last_event_id("é🦀".as_bytes()), Ok("é🦀"));
    let max = "x".repeat(LAST_EVENT_ID_MAX_LEN);
    assert_eq!(last_event_id(max.as_bytes()), Ok(max.as_str()));
    let over = "x".repeat(LAST_EVENT_ID_MAX_LEN + 1);
    assert_eq!(
        last_event_id(over.as_bytes()),
        Err(Error::TooLong {
            field: Field::LastEventId,
            len: LAST_EVENT_ID_MAX_LEN + 1,
            max: LAST_EVENT_ID_MAX_LEN
        })
    );
    for (raw, found, index) in [
        (&b"a\rb"[..], '\r', 1),
        (b"\n", '\n', 0),
        (b"12\0", '\0', 2),
    ] {
        assert_eq!(
            last_event_id(raw),
            Err(Error::InvalidChar {
                field: Field::LastEventId,
                found,
                index
            })
        );
    }
    assert_eq!(
        last_event_id(b"ok\xff"),
        Err(Error::InvalidUtf8 {
            field: Field::LastEventId,
            valid_up_to: 2
        })
    );
}

#[test]
fn numeric_last_event_id() {
    let nan = Err(Error::NotANumber {
        field: Field::LastEventId,
    });
    assert_eq!(last_event_id_u64(b"0"), Ok(0));
    assert_eq!(last_event_id_u64(b"0041"), Ok(41));
    assert_eq!(last_event_id_u64(b"18446744073709551615"), Ok(u64::MAX));
    for raw in [
        &b""[..],
        b"+1",
        b"-1",
        b" 1",
        b"1 ",
        b"1.0",
        b"0x10",
        b"18446744073709551616",
        b"\xd9\xa1",
    ] {
        assert_eq!(last_event_id_u64(raw), nan, "{raw:?}");
    }
    assert!(matches!(
        last_event_id_u64(b"1\n"),
        Err(Error::InvalidChar { .. })
    ));
}

/// Found by the `last_event_id` fuzz target (its oracle forgot the length cap): a number with
/// thousands of leading zeros is refused as too long, like any other header over the cap, and
/// one just within the cap is accepted.
#[test]
fn leading_zeros_and_the_length_cap() {
    let over = "0".repeat(2000);
    assert_eq!(
        last_event_id_u64(over.as_bytes()),
        Err(Error::TooLong {
            field: Field::LastEventId,
            len: 2000,
            max: LAST_EVENT_ID_MAX_LEN
        })
    );
    let within = format!("{}7", "0".repeat(LAST_EVENT_ID_MAX_LEN - 1));
    assert_eq!(last_event_id_u64(within.as_bytes()), Ok(7));
}

proptest! {
    /// Any bytes: a typed answer, never a panic; and an id the crate itself wrote is accepted
    /// back exactly.
    #[test]
    fn any_header_bytes(raw in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = last_event_id(&raw);
        let _ = last_event_id_u64(&raw);
    }

    #[test]
    fn ids_round_trip(id in "[^\r\n\0]{0,64}", n in any::<u64>()) {
        let written = sse_wire::Event::new().id(id.as_str()).unwrap();
        prop_assert_eq!(last_event_id(written.get_id().unwrap().as_bytes()), Ok(id.as_str()));
        let written = sse_wire::Event::new().id(n);
        prop_assert_eq!(last_event_id_u64(written.get_id().unwrap().as_bytes()), Ok(n));
    }
}

#[test]
fn last_event_id_from_a_query_parameter() {
    use sse_wire::headers::{last_event_id_from_query as from_query, LAST_EVENT_ID_QUERY as NAME};
    let ok = |s: &str| Some(Ok(s.to_owned()));
    assert_eq!(from_query("lastEventId=41", NAME), ok("41"));
    assert_eq!(
        from_query("x=1&lastEventId=41&lastEventId=7", NAME),
        ok("41"),
        "the first counts"
    );
    assert_eq!(
        from_query("last%45ventId=41", NAME),
        ok("41"),
        "the name is decoded too"
    );
    assert_eq!(from_query("lastEventId=a+b%2Bc", NAME), ok("a b+c"));
    assert_eq!(
        from_query("lastEventId=100%", NAME),
        ok("100%"),
        "a malformed escape stays"
    );
    assert_eq!(from_query("lastEventId=%zz", NAME), ok("%zz"));
    assert_eq!(from_query("lastEventId=", NAME), ok(""));
    assert_eq!(from_query("lastEventId", NAME), ok(""));
    assert_eq!(from_query("lastEventIdx=1", NAME), None);
    assert_eq!(from_query("", NAME), None);
    assert_eq!(from_query("lastEventId=caf%C3%A9", NAME), ok("café"));
    // Checked as the header is: NUL, CR, LF, invalid UTF-8, too long.
    for bad in ["%00", "%0D", "%0A", "%FF"] {
        assert!(
            from_query(&format!("lastEventId=1{bad}"), NAME)
                .unwrap()
                .is_err(),
            "{bad}"
        );
    }
    let long = "9".repeat(sse_wire::headers::LAST_EVENT_ID_MAX_LEN + 1);
    assert!(from_query(&format!("lastEventId={long}"), NAME)
        .unwrap()
        .is_err());
}
