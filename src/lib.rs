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
//! `EventStream::into_http_response` gives the whole `http::Response`;
//! with `actix-web` it is a `Responder`:
//!
//! ```
//! # #[cfg(all(feature = "http-body", feature = "actix-web"))] mod compile_only {
//! use futures_util::{stream, Stream, StreamExt};
//! use sse_wire::{Event, EventStream};
//!
//! fn events() -> impl Stream<Item = Event> {
//!     stream::iter(0u64..3).map(|n| Event::new().id(n).data(format!("Message {n}")))
//! }
//!
//! // hyper 1: the response as it is.
//! async fn hyper(
//!     _: hyper::Request<hyper::body::Incoming>,
//! ) -> Result<hyper::Response<impl hyper::body::Body>, std::convert::Infallible> {
//!     Ok(EventStream::new(events()).into_http_response())
//! }
//!
//! // actix-web 4: the stream is the responder.
//! async fn actix() -> impl actix_web::Responder {
//!     EventStream::new(events())
//! }
//! # }
//! ```
//!
//! Any other server takes the stream's `Result<Bytes, E>` chunks as a streaming body, with the
//! headers of [`headers::RESPONSE_HEADERS`]. Runnable servers for axum, hyper, actix-web and
//! plain `std::net` are in `examples/`.
//!
//! # Modules
//!
//! * [`Event`] — the builder, and what each field does on a client.
//! * [`encode`] — the framing rules, and why encoding is fast.
//! * [`EventStream`] — the `Stream` adapter: coalescing, errors, backpressure.
//! * [`KeepAlive`] — idle comments on any runtime's [`Timer`].
//! * [`Shutdown`] — end every open stream from one signal (with `std`).
//! * [`Lifetime`] — end each stream at a maximum age, spread at random.
//! * [`WriteTimeout`] — drop a connection whose client stopped reading (with `std`).
//! * [`Encoded`] — encode once, send to many clients.
//! * [`headers`] — the response headers an event stream needs.
//! * [`Hub`] — publish once, fan out, replay after `Last-Event-ID` (with `std`).
//! * [`decode`] — the other end: bytes in, the events a client dispatches out.
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
//! * `redis`: `RedisHub`, the hub's log in a Redis stream, for many instances (on tokio).
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

#[cfg(any(feature = "http-body", feature = "actix-web"))]
mod body;
mod chunk;
pub mod decode;
pub mod encode;
mod encoded;
mod error;
mod event;
pub mod headers;
#[cfg(feature = "std")]
pub mod hub;
mod keep_alive;
mod lifetime;
#[cfg(feature = "redis")]
mod redis;
mod scan;
#[cfg(feature = "std")]
mod shutdown;
mod stream;
mod text;
mod wire;
#[cfg(feature = "std")]
mod write_timeout;

pub use encoded::Encoded;
pub use error::{Error, Field};
pub use event::{Event, EventType, IntoEventType, IntoId};
#[cfg(feature = "std")]
pub use hub::{Hub, HubConfig, OnLag, Subscription};
#[cfg(feature = "tokio")]
pub use keep_alive::TokioTimer;
pub use keep_alive::{KeepAlive, NoTimer, Timer, MIN_PERIOD};
pub use lifetime::Lifetime;
#[cfg(feature = "redis")]
pub use redis::{RedisConfig, RedisError, RedisHub, RedisSubscription};
#[cfg(feature = "std")]
pub use shutdown::{Shutdown, Signal};
pub use stream::{EventStream, StreamItem, DEFAULT_MAX_CHUNK, MAX_CHUNK_LIMIT};
pub use text::Text;
#[cfg(feature = "std")]
pub use write_timeout::WriteTimeout;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
