//! The response head of an event stream, and the `Last-Event-ID` request header.
//!
//! Framework-agnostic: names and values are plain `&str`, to be handed to whatever header type
//! the server uses.

use crate::error::{Error, Field};

/// `Content-Type: text/event-stream`. Required: a client fails the connection when the type is
/// anything else (WHATWG HTML §9.2.2). The stream is always UTF-8, so no `charset` is needed
/// (clients ignore it).
pub const CONTENT_TYPE: (&str, &str) = ("content-type", "text/event-stream");

/// `Cache-Control: no-cache`. A cache that stored the response would replay old events, or
/// hold the stream back until it ends, which it never does.
pub const CACHE_CONTROL: (&str, &str) = ("cache-control", "no-cache");

/// `X-Accel-Buffering: no`. Tells nginx (and proxies that copy its behaviour) not to buffer
/// the response, which would delay every event until a buffer fills.
pub const X_ACCEL_BUFFERING: (&str, &str) = ("x-accel-buffering", "no");

/// The headers every event stream response should carry, as `(name, value)` pairs in
/// lowercase: [`CONTENT_TYPE`], [`CACHE_CONTROL`], [`X_ACCEL_BUFFERING`].
///
/// Do not compress the stream (no `Content-Encoding`): compressors hold data back until they
/// have a block's worth, which delays events exactly like a buffering proxy. Exclude
/// `text/event-stream` from any compression middleware.
///
/// ```
/// for (name, value) in sse_wire::headers::RESPONSE_HEADERS {
///     println!("{name}: {value}");
/// }
/// assert_eq!(sse_wire::headers::RESPONSE_HEADERS[0], ("content-type", "text/event-stream"));
/// ```
pub const RESPONSE_HEADERS: [(&str, &str); 3] = [CONTENT_TYPE, CACHE_CONTROL, X_ACCEL_BUFFERING];

/// The name of the request header in which a reconnecting client sends its last event id.
pub const LAST_EVENT_ID: &str = "last-event-id";

/// The longest `Last-Event-ID` value [`last_event_id`] accepts: 1 KiB.
///
/// The standard sets no limit, but an id is echoed into every reconnect and usually names a
/// position in a log; anything this long is far more likely an attack or a bug than an id.
pub const LAST_EVENT_ID_MAX_LEN: usize = 1024;

/// Checks the raw bytes of a `Last-Event-ID` request header and returns the id.
///
/// A browser sends back exactly the last `id` it received, so a valid header is UTF-8 of at
/// most [`LAST_EVENT_ID_MAX_LEN`] bytes without CR, LF or NUL (WHATWG HTML §9.2.4) — the same
/// rules [`Event::id`](crate::Event::id) enforces. Nothing is trimmed or changed. Note that HTTP
/// parsers strip spaces and tabs at both ends of a header value, so an id that starts or ends
/// with one cannot round-trip.
///
/// ```
/// use sse_wire::{headers, Error, Field};
/// assert_eq!(headers::last_event_id(b"41"), Ok("41"));
/// assert_eq!(
///     headers::last_event_id(b"4\x001"),
///     Err(Error::InvalidChar { field: Field::LastEventId, found: '\0', index: 1 })
/// );
/// ```
///
/// # Errors
///
/// [`Error::TooLong`], [`Error::InvalidUtf8`] or [`Error::InvalidChar`], each naming
/// [`Field::LastEventId`].
pub fn last_event_id(raw: &[u8]) -> Result<&str, Error> {
    const FIELD: Field = Field::LastEventId;
    if raw.len() > LAST_EVENT_ID_MAX_LEN {
        return Err(Error::TooLong {
            field: FIELD,
            len: raw.len(),
            max: LAST_EVENT_ID_MAX_LEN,
        });
    }
    let id = core::str::from_utf8(raw).map_err(|e| Error::InvalidUtf8 {
        field: FIELD,
        valid_up_to: e.valid_up_to(),
    })?;
    match raw.iter().position(|b| matches!(b, b'\r' | b'\n' | b'\0')) {
        Some(index) => Err(Error::InvalidChar {
            field: FIELD,
            found: char::from(raw[index]),
            index,
        }),
        None => Ok(id),
    }
}

/// Parses a `Last-Event-ID` header holding a decimal `u64`, such as the ids that
/// [`Event::id`](crate::Event::id) writes for integers.
///
/// Only ASCII digits are accepted: no sign, no spaces, no `0x`; leading zeros are fine. This is
/// stricter than `str::parse`, which takes a leading `+`.
///
/// ```
/// use sse_wire::headers;
/// assert_eq!(headers::last_event_id_u64(b"41"), Ok(41));
/// assert!(headers::last_event_id_u64(b"+41").is_err());
/// assert!(headers::last_event_id_u64(b"18446744073709551616").is_err()); // u64::MAX + 1
/// ```
///
/// # Errors
///
/// Any error of [`last_event_id`], or [`Error::NotANumber`] for an id that is not a decimal
/// number in `u64` range.
pub fn last_event_id_u64(raw: &[u8]) -> Result<u64, Error> {
    let id = last_event_id(raw)?;
    let not_a_number = Error::NotANumber {
        field: Field::LastEventId,
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_number);
    }
    id.parse().map_err(|_| not_a_number)
}
