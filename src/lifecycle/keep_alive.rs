//! [`KeepAlive`]: a comment whenever a connection has been silent for a whole period, on any
//! runtime's [`Timer`].

use super::timer::Timer;
use crate::event::Event;
use crate::text::Text;
use bytes::Bytes;
use core::time::Duration;

/// The shortest keep-alive period: 1 ms. [`KeepAlive::new`] raises shorter ones to it, because
/// a period of zero would make every idle poll send a comment (a busy loop of writes).
pub const MIN_PERIOD: Duration = Duration::from_millis(1);

/// Sends a comment whenever a connection has been silent for a whole period.
///
/// Proxies and load balancers close connections that carry nothing for a while (often 30 to 60
/// seconds), and a server only learns that a client went away when a write fails. The standard
/// suggests a comment line "every 15 seconds or so" (WHATWG HTML §9.2.7).
///
/// Attach it with [`EventStream::keep_alive`](crate::EventStream::keep_alive). The stream is
/// never silent for longer than one period (plus the timer's own lateness): the period is
/// counted from the last thing the stream sent, so real traffic makes keep-alives unnecessary
/// and none are sent. A comment is always a whole frame, sent between events, never inside one.
/// The timer is re-armed at most once per period however many events go out, so a busy stream
/// pays one clock read per burst and nothing per event.
///
/// With the `tokio` feature, `KeepAlive::every(period)` needs no timer of your own.
///
/// ```
/// # use core::{pin::Pin, task::{Context, Poll}, time::Duration};
/// # struct Never;
/// # impl sse_wire::Timer for Never {
/// #     fn now(&self) -> Duration { Duration::ZERO }
/// #     fn reset(self: Pin<&mut Self>, _: Duration) {}
/// #     fn poll_expired(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> { Poll::Pending }
/// # }
/// # let timer = Never;
/// use sse_wire::{EventStream, KeepAlive};
///
/// let ka = KeepAlive::new(timer, Duration::from_secs(15)).comment("still here");
/// assert_eq!(ka.frame(), ": still here\n\n");
/// # let _ = EventStream::new(futures_util::stream::empty::<sse_wire::Event>()).keep_alive(ka);
/// ```
#[derive(Debug, Clone)]
pub struct KeepAlive<T> {
    pub(crate) timer: T,
    pub(crate) period: Duration,
    pub(crate) frame: Bytes,
}

impl<T: Timer> KeepAlive<T> {
    /// A comment after each `period` of silence, timed by `timer`, with an empty comment (`:`
    /// and a blank line, 3 bytes). A `period` shorter than [`MIN_PERIOD`] is raised to it; any
    /// longer one, up to `Duration::MAX` (never), is taken as it is.
    pub fn new(timer: T, period: Duration) -> KeepAlive<T> {
        KeepAlive {
            timer,
            period: period.max(MIN_PERIOD),
            frame: Bytes::from_static(b":\n\n"),
        }
    }

    /// Sets the comment text. Like any [`Event::comment`], multi-line text becomes several
    /// comment lines, so no text can turn the keep-alive into an event.
    pub fn comment(mut self, text: impl Into<Text>) -> KeepAlive<T> {
        self.frame = Event::new().comment(text).to_bytes();
        self
    }

    /// The bytes sent after each silent period.
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }

    /// The longest the stream stays silent.
    pub fn period(&self) -> Duration {
        self.period
    }
}

#[cfg(feature = "tokio")]
impl KeepAlive<super::timer::TokioTimer> {
    /// A comment after each `period` of silence, on tokio's clock (requires the `tokio`
    /// feature; call it inside a tokio runtime). `period` is taken as by [`KeepAlive::new`]: at
    /// least [`MIN_PERIOD`], up to `Duration::MAX` (never).
    pub fn every(period: Duration) -> Self {
        KeepAlive::new(super::timer::TokioTimer::new(), period)
    }
}
