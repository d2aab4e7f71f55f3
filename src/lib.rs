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
//! [`EventStream`] wraps any `Stream` of events and yields body chunks, packing events that
//! are ready together into one chunk and never holding one back. With the `axum` feature it is
//! an `IntoResponse`, headers included, so the handler is one expression. Integer ids cannot
//! fail, so a counter needs no `?`:
//!
//! ```
//! # #[cfg(all(feature = "axum", feature = "tokio"))] mod compile_only {
//! use std::time::Duration;
//! use axum::response::IntoResponse;
//! use futures_util::{stream, StreamExt};
//! use sse_wire::{Event, EventStream, KeepAlive};
//!
//! async fn sse() -> impl IntoResponse {
//!     let events = stream::iter(0u64..).map(|n| Event::new().id(n).data(format!("Message {n}")));
//!     EventStream::new(events).keep_alive(KeepAlive::every(Duration::from_secs(15)))
//! }
//! # }
//! ```
//!
//! # The same stream, for hyper and actix-web
//!
//! With the `http-body` feature an `EventStream` is an `http_body::Body`, and
//! `EventStream::into_http_response` gives the whole `http::Response`; with `actix-web` it is a
//! `Responder`. [`headers::LastEventId`] reads a reconnecting client's id (header, then query)
//! and is an extractor in axum and actix-web:
//!
//! ```
//! # #[cfg(all(feature = "http-body", feature = "actix-web"))] mod compile_only {
//! use futures_util::{stream, Stream, StreamExt};
//! use sse_wire::{headers::LastEventId, Event, EventStream};
//!
//! fn events(from: u64) -> impl Stream<Item = Event> + Send {
//!     stream::iter(from..).map(|n| Event::new().id(n).data(format!("Message {n}")))
//! }
//! fn first(last: &LastEventId) -> u64 {
//!     last.as_u64().and_then(Result::ok).map_or(0, |n| n.saturating_add(1))
//! }
//!
//! // hyper 1: the response as it is; its type can be named, so the handler goes to
//! // `serve_connection` in a spawned task as it is.
//! async fn hyper(
//!     request: hyper::Request<hyper::body::Incoming>,
//! ) -> Result<hyper::Response<EventStream<impl Stream<Item = Event> + Send>>, std::convert::Infallible>
//! {
//!     let from = first(&LastEventId::from_request(&request));
//!     Ok(EventStream::new(events(from)).into_http_response())
//! }
//! # async fn serve(tcp: tokio::net::TcpStream) {
//! #     let io = hyper_util::rt::TokioIo::new(tcp);
//! #     tokio::spawn(hyper::server::conn::http1::Builder::new()
//! #         .serve_connection(io, hyper::service::service_fn(hyper)));
//! # }
//!
//! // actix-web 4: the stream is the responder.
//! async fn actix(last: LastEventId) -> impl actix_web::Responder {
//!     EventStream::new(events(first(&last)))
//! }
//! # }
//! ```
//!
//! Any other server takes the stream's `Result<Bytes, E>` chunks as a streaming body, with the
//! headers of [`headers::RESPONSE_HEADERS`]. Runnable servers for axum, hyper, actix-web and
//! plain `std::net` are in `examples/`.
//!
//! # The parts, in `src/`
//!
//! | folder | what it holds |
//! |---|---|
//! | `event/` | [`Event`], checked as it is built; the framing rules (`wire`), encoding, [`Encoded`] |
//! | `lifecycle/` | [`Timer`], [`KeepAlive`], [`Lifetime`], [`Shutdown`], [`WriteTimeout`] |
//! | `stream/` | [`EventStream`] and how it packs events into chunks |
//! | `body.rs` | the framework glue: `http_body::Body`, axum, actix-web |
//! | `hub/` | [`Hub`]: topics with their own history, fan out, replay; `hub/redis/`, the same hub with its log in Redis |
//! | `decode.rs` | [`decode`]: the other end, bytes in, the events a client dispatches out |
//! | `client/` | [`client`]: the reconnecting `EventSource`, its rules without I/O and its tokio transport |
//! | `headers.rs`, `scan.rs`, `text.rs`, `error.rs` | shared by both ends |
//!
//! Each layer imports only from those below it: `scan`, `text` and `error` at the bottom, then
//! `event`, `lifecycle`, `stream`, `body` and `hub`; `decode` uses only the bottom, and
//! `client` only `decode` and the bottom.
//!
//! # Framing
//!
//! A client reads the stream line by line (a line ends at CRLF, LF or CR); `name: value` sets a
//! field, a line starting with `:` is a comment, an empty line dispatches the event (WHATWG
//! HTML §9.2.5–9.2.6). So every value is split at CRLF, CR and LF into `name: piece` lines and
//! no caller text can end an event early or forge a field; the separator is always one space,
//! so leading spaces survive; each event ends with one empty line and holds no other; fields go
//! out in a fixed order (comments, `event`, `id`, `retry`, `data`).
//!
//! # Features
//!
//! * `std` (default): lets the line-break search pick AVX2 at run time. Without it the crate
//!   builds as `#![no_std]` + `alloc` (and uses SSE2 on x86-64).
//! * `json`: `Event::json_data`, with `serde`.
//! * `tokio`: `KeepAlive::every(Duration)`, `Lifetime::after(Duration)` and `TokioTimer`, on
//!   tokio's clock; `WriteTimeout` as tokio's `AsyncRead` + `AsyncWrite`.
//! * `http-body`: `EventStream` as an `http_body::Body`, and `EventStream::into_http_response`.
//! * `axum`: `IntoResponse` for `EventStream` (axum 0.8, through `axum-core`).
//! * `actix-web`: `Responder` for `EventStream` (actix-web 4).
//! * `redis`: `RedisHub`, the hub with its log in Redis or a Redis Cluster, for many instances
//!   (on tokio).
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

// The layers, bottom to top; a module imports only from those above it in this list.
// Shared by both ends: line-break search and UTF-8 checks, text, errors, header values.
mod error;
pub mod headers;
mod scan;
mod text;
// The server side: events and their framing, the lifecycle pieces, the stream adapter, the
// framework bodies, the hub.
#[cfg(any(feature = "http-body", feature = "actix-web"))]
mod body;
mod event;
#[cfg(feature = "std")]
pub mod hub;
mod lifecycle;
mod stream;
// The client side: the decoder,
pub mod decode;
// then the reconnecting client on it.
pub mod client;

pub use error::{Error, Field};
pub use event::{Encoded, Event, EventType, IntoEventType, IntoId};
#[cfg(feature = "redis")]
pub use hub::redis::{RedisConfig, RedisHub};
#[cfg(feature = "std")]
pub use hub::{Hub, HubConfig, HubError, OnLag, Published, Subscription};
pub use lifecycle::keep_alive::{KeepAlive, MIN_PERIOD};
pub use lifecycle::lifetime::Lifetime;
#[cfg(feature = "std")]
pub use lifecycle::shutdown::{Shutdown, Signal};
pub use lifecycle::timer::Timer;
#[cfg(feature = "tokio")]
pub use lifecycle::timer::TokioTimer;
#[cfg(feature = "std")]
pub use lifecycle::write_timeout::WriteTimeout;
pub use stream::{EventStream, StreamItem, DEFAULT_MAX_CHUNK, MAX_CHUNK_LIMIT};
pub use text::Text;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
