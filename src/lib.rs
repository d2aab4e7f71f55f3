//! Server-Sent Events, framed exactly to the WHATWG standard, for any Rust HTTP server.
//!
//! `sse-wire` turns events into the bytes of a `text/event-stream` response body. It does one
//! thing: whatever text you give it, a conformant client (a browser's `EventSource` or any
//! parser following WHATWG HTML §9.2) sees exactly one event with exactly the fields you set —
//! or you get a typed [`Error`]. It never panics on input, never edits your text silently, and
//! depends on no runtime or framework.
//!
//! # One event, as bytes
//!
//! ```
//! use sse_wire::Event;
//!
//! let event = Event::new().event("update")?.id(7u64).data("line one\nline two");
//! assert_eq!(event.to_bytes(), "event: update\nid: 7\ndata: line one\ndata: line two\n\n");
//!
//! // Text that would forge a second field or event is refused, not rewritten:
//! assert!(Event::new().id("7\ndata: forged").is_err());
//! // Data may hold anything; each line becomes its own `data:` line.
//! assert_eq!(Event::new().data("\n").to_bytes(), "data:\ndata:\n\n");
//! # Ok::<(), sse_wire::Error>(())
//! ```
//!
//! The one change the wire format forces: a client joins data lines with LF, so CR and CRLF
//! inside data arrive as LF.
//!
//! # A stream, for axum
//!
//! [`EventStream`] wraps any `Stream` of events and yields `Result<Bytes, E>` body chunks,
//! packing events that are ready together into one chunk and never holding one back:
//!
//! ```
//! # #[cfg(feature = "std")] mod compile_only {
//! use axum::{body::Body, http::HeaderValue, response::Response};
//! use futures_util::stream;
//! use sse_wire::{headers, Event, EventStream};
//!
//! async fn sse() -> Response {
//!     let events = stream::iter((1..=3).map(|n| Event::new().data(format!("Message {n}"))));
//!     let mut response = Response::new(Body::from_stream(EventStream::new(events)));
//!     for (name, value) in headers::RESPONSE_HEADERS {
//!         response.headers_mut().insert(name, HeaderValue::from_static(value));
//!     }
//!     response
//! }
//! # }
//! ```
//!
//! # The same stream, for hyper and actix-web
//!
//! ```
//! # #[cfg(feature = "std")] mod compile_only {
//! use futures_util::{stream, Stream, TryStreamExt};
//! use sse_wire::{Event, EventStream};
//!
//! fn events() -> impl Stream<Item = Event> {
//!     stream::iter((1..=3).map(|n| Event::new().data(format!("Message {n}"))))
//! }
//!
//! // actix-web 4: the chunks are accepted as they are.
//! fn actix() -> actix_web::HttpResponse {
//!     actix_web::HttpResponse::Ok()
//!         .insert_header(("content-type", "text/event-stream"))
//!         .streaming(EventStream::new(events()))
//! }
//!
//! // hyper 1: one map from chunks to `http_body::Frame`s.
//! fn hyper() -> hyper::Response<impl hyper::body::Body> {
//!     let chunks = EventStream::new(events()).map_ok(hyper::body::Frame::data);
//!     hyper::Response::new(http_body_util::StreamBody::new(chunks))
//! }
//! # }
//! ```
//!
//! Runnable servers for axum, hyper, actix-web and plain `std::net` are in `examples/`.
//!
//! # Modules
//!
//! * [`Event`] — the builder, and what each field does on a client.
//! * [`encode`] — the framing rules, and why encoding is fast.
//! * [`EventStream`] — the `Stream` adapter: coalescing, errors, backpressure.
//! * [`KeepAlive`] — idle comments driven by any runtime's timer.
//! * [`Encoded`] — encode once, send to many clients.
//! * [`headers`] — the response headers an event stream needs.
//!
//! # Features
//!
//! * `std` (default): lets the line-break search pick AVX2 at run time. Without it the crate
//!   builds as `#![no_std]` + `alloc` (and uses SSE2 on x86-64).
//! * `json`: `Event::json_data`, with `serde`.
//! * `tokio`: `KeepAlive::every(Duration)`, on a tokio interval.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

#[cfg(any(feature = "http-body", feature = "actix-web"))]
mod body;
mod chunk;
pub mod encode;
mod encoded;
mod error;
mod event;
pub mod headers;
mod keep_alive;
mod stream;
mod text;

pub use encoded::Encoded;
pub use error::{Error, Field};
pub use event::{Event, EventType, IntoEventType, IntoId};
#[cfg(feature = "tokio")]
pub use keep_alive::TokioTimer;
pub use keep_alive::{KeepAlive, NoTimer, Timer, MIN_PERIOD};
pub use stream::{EventStream, StreamItem, DEFAULT_MAX_CHUNK, MAX_CHUNK_LIMIT};
pub use text::Text;
