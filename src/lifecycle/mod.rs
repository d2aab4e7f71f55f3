//! How streams end well and stay alive: the [`Timer`] they run on, keep-alive comments, a
//! maximum lifetime, a shutdown signal, and a write timeout for the connection under them.
//!
//! Everything here is runtime-agnostic: time comes from a [`Timer`] (tokio's is built in with
//! the `tokio` feature), wake-ups from wakers. An [`EventStream`](crate::EventStream) runs one
//! timer for all its deadlines ([`clock`]).

pub(crate) mod clock;
pub(crate) mod keep_alive;
pub(crate) mod lifetime;
#[cfg(feature = "std")]
pub(crate) mod shutdown;
pub(crate) mod timer;
#[cfg(feature = "std")]
pub(crate) mod write_timeout;
