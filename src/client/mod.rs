//! The other end: an `EventSource` for Rust, with the standard's reconnection rules.
//!
//! * [`Protocol`] is the processing model of WHATWG HTML §9.2.3 with no I/O: which headers to
//!   send, whether a response opens the stream, what its bytes dispatch, and how long to wait
//!   before the next request. Any runtime and any HTTP client can drive it (`no_std` +
//!   `alloc`).
//! * `EventSource` (feature `client`) drives it on tokio with reqwest: a `Stream` of what a
//!   browser's `EventSource` reports.
//!
//! What the standard leaves open is opt-in ([`ClientConfig`]): backoff, a cap on attempts,
//! retrying `5xx`/`408`/`429`; read and connect timeouts and per-request headers are the
//! transport's (`EventSourceBuilder`).

mod protocol;
#[cfg(feature = "client")]
mod source;

pub use protocol::{ClientConfig, Interruption, Next, Protocol, ReadyState, Refusal};
#[cfg(feature = "client")]
pub use source::{ClientError, EventSource, EventSourceBuilder, SourceEvent};
