//! The response head of an event stream, and the `Last-Event-ID` request header.
//!
//! Framework-agnostic: names and values are plain `&str`, to be handed to whatever header type
//! the server uses.

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
