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
/// None of them is hop-by-hop: nothing here sets `Connection` or `Keep-Alive`, which HTTP/2 and
/// HTTP/3 forbid (Safari fails an HTTP/2 response that carries one), so the same head is right
/// on every HTTP version; a server that needs them on HTTP/1.1 adds them itself.
///
/// Behind a proxy: nginx buffers responses unless told not to (`X-Accel-Buffering: no`, or
/// `proxy_buffering off`); other proxies need their buffering off for this path, and a read
/// timeout longer than the keep-alive period. Do not compress the stream (no
/// `Content-Encoding`): a compressor holds data back until it has a block's worth, which delays
/// events exactly like a buffering proxy, unless it flushes after each chunk. Exclude
/// `text/event-stream` from any compression middleware (tower-http's compression layer skips it
/// by default).
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

/// The name of the query parameter [`last_event_id_from_query`] reads by default, for clients
/// that cannot set headers (the one polyfills such as npm `eventsource` use is configurable;
/// this is the common choice).
pub const LAST_EVENT_ID_QUERY: &str = "lastEventId";

/// Finds the parameter `name` in a URL's query string (`a=1&lastEventId=41`, without the `?`),
/// percent-decodes it (`+` is a space, as in HTML forms), and checks it as [`last_event_id`]
/// checks a header: for clients that send their last id in the URL because they cannot set
/// headers. `None` when the parameter is absent; the first one counts when it repeats.
///
/// ```
/// use sse_wire::headers::{last_event_id_from_query, LAST_EVENT_ID_QUERY};
/// let id = last_event_id_from_query("room=a&lastEventId=1700000000000-0", LAST_EVENT_ID_QUERY);
/// assert_eq!(id, Some(Ok("1700000000000-0".to_owned())));
/// assert_eq!(last_event_id_from_query("lastEventId=a%20b", LAST_EVENT_ID_QUERY), Some(Ok("a b".to_owned())));
/// assert!(last_event_id_from_query("lastEventId=4%0A2", LAST_EVENT_ID_QUERY).unwrap().is_err());
/// assert_eq!(last_event_id_from_query("room=a", LAST_EVENT_ID_QUERY), None);
/// ```
///
/// # Errors
///
/// As [`last_event_id`], on the decoded bytes: too long, not UTF-8, or holding CR, LF or NUL.
pub fn last_event_id_from_query(
    query: &str,
    name: &str,
) -> Option<Result<alloc::string::String, Error>> {
    let decoded = query_param(query, name)?;
    Some(last_event_id(&decoded).map(alloc::string::String::from))
}

/// The first parameter `name` of `query`, percent-decoded; `None` when it is absent.
fn query_param(query: &str, name: &str) -> Option<alloc::vec::Vec<u8>> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key.as_bytes()) == name.as_bytes())
            .then(|| percent_decode(value.as_bytes()))
    })
}

/// `%XX` to the byte it names and `+` to a space; anything else, a malformed `%` included, as it
/// is (the URL standard's percent-decode).
fn percent_decode(bytes: &[u8]) -> alloc::vec::Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = alloc::vec::Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The last event id a reconnecting client sent, as it sent it: the `Last-Event-ID` header, or
/// else the [`LAST_EVENT_ID_QUERY`] parameter of the URL (percent-decoded), for clients that
/// cannot set headers. The header wins when both are there.
///
/// It keeps the raw bytes, so that a value can be handed as it is to
/// [`Hub::subscribe`](crate::Hub::subscribe) (which answers a malformed id with its reset
/// event) or checked here: [`id`](LastEventId::id) as [`last_event_id`] checks a header,
/// [`as_u64`](LastEventId::as_u64) as [`last_event_id_u64`] does.
///
/// With the `http-body` feature it reads an `http::Request` (`LastEventId::from_request`);
/// with `axum` it is an extractor and with `actix-web` a `FromRequest`, so a handler takes it as
/// an argument:
///
/// ```
/// use sse_wire::headers::LastEventId;
///
/// let last = LastEventId::from_parts(None, Some("room=a&lastEventId=41"));
/// assert_eq!(last.as_u64(), Some(Ok(41)));
/// let last = LastEventId::from_parts(Some(b"7"), Some("lastEventId=41"));
/// assert_eq!(last.id(), Some(Ok("7")));
/// assert_eq!(LastEventId::from_parts(None, None).as_bytes(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastEventId(Option<alloc::vec::Vec<u8>>);

impl LastEventId {
    /// From the raw `Last-Event-ID` header value, if any, and the URL's query string (without
    /// the `?`), if any.
    pub fn from_parts(header: Option<&[u8]>, query: Option<&str>) -> LastEventId {
        match header {
            Some(raw) => LastEventId(Some(raw.to_vec())),
            None => LastEventId(query.and_then(|query| query_param(query, LAST_EVENT_ID_QUERY))),
        }
    }

    /// The raw id, unchecked; `None` when the client sent none.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }

    /// The id, checked as [`last_event_id`] checks a header; `None` when the client sent none.
    pub fn id(&self) -> Option<Result<&str, Error>> {
        self.as_bytes().map(last_event_id)
    }

    /// The id as a decimal `u64`, checked as [`last_event_id_u64`] does; `None` when the client
    /// sent none.
    pub fn as_u64(&self) -> Option<Result<u64, Error>> {
        self.as_bytes().map(last_event_id_u64)
    }
}

#[cfg(feature = "http-body")]
impl LastEventId {
    /// From an `http::Request` (hyper 1, axum, any `http` 1 server; requires the `http-body`
    /// feature).
    pub fn from_request<B>(request: &http::Request<B>) -> LastEventId {
        LastEventId::from_http(request.headers(), request.uri())
    }

    /// From a request's headers and URI (requires the `http-body` feature).
    pub fn from_http(headers: &http::HeaderMap, uri: &http::Uri) -> LastEventId {
        let header = headers.get(LAST_EVENT_ID).map(http::HeaderValue::as_bytes);
        LastEventId::from_parts(header, uri.query())
    }
}
