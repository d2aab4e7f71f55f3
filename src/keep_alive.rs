//! [`KeepAlive`]: idle comments driven by any stream of ticks, on any runtime.

use crate::event::Event;
use crate::text::Text;
use bytes::Bytes;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_core::Stream;

/// Sends a comment when a connection has been idle for a whole tick.
///
/// Proxies and load balancers close connections that carry nothing for a while (often 30 to 60
/// seconds), and a server only learns that a client went away when a write fails. The standard
/// suggests a comment line "every 15 seconds or so" (WHATWG HTML §9.2.7).
///
/// `KeepAlive` does not own a timer, so it works on any runtime: give it any [`Stream`] that
/// yields once per interval — tokio's `IntervalStream`, async-io's `Timer::interval`, a
/// `futures` stream of your own. Attach it with
/// [`EventStream::keep_alive`](crate::EventStream::keep_alive). On each tick, the stream sends
/// the comment frame only if nothing at all went out since the previous tick, so real traffic
/// makes keep-alives unnecessary and none are sent. A comment is always a whole frame, sent
/// between events, never inside one. When the tick stream ends, keep-alives stop.
///
/// Prefer an interval that skips missed ticks (tokio: `MissedTickBehavior::Delay`); a burst of
/// late ticks after a busy period would otherwise count as idle intervals.
///
/// ```
/// use futures_util::stream;
/// use sse_wire::{EventStream, KeepAlive};
///
/// let ticks = stream::iter([()]); // a real server uses an interval here
/// let ka = KeepAlive::new(ticks).comment("still here");
/// assert_eq!(ka.frame(), ": still here\n\n");
/// # let _ = EventStream::new(stream::empty::<sse_wire::Event>()).keep_alive(ka);
/// ```
#[derive(Debug, Clone)]
pub struct KeepAlive<T> {
    pub(crate) ticks: T,
    pub(crate) frame: Bytes,
}

impl<T: Stream> KeepAlive<T> {
    /// Keep-alives on every idle tick of `ticks`, with an empty comment (`:` and a blank line,
    /// 3 bytes).
    pub fn new(ticks: T) -> KeepAlive<T> {
        KeepAlive {
            ticks,
            frame: Bytes::from_static(b":\n\n"),
        }
    }

    /// Sets the comment text. Like any [`Event::comment`], multi-line text becomes several
    /// comment lines, so no text can turn the keep-alive into an event.
    pub fn comment(mut self, text: impl Into<Text>) -> KeepAlive<T> {
        self.frame = Event::new().comment(text).to_bytes();
        self
    }

    /// The bytes sent on each idle tick.
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }
}

#[cfg(feature = "tokio")]
impl KeepAlive<Interval> {
    /// Keep-alives after each `period` without traffic, using a tokio interval that skips
    /// missed ticks (requires the `tokio` feature and a tokio runtime).
    ///
    /// The first tick comes after one `period`.
    pub fn every(period: core::time::Duration) -> KeepAlive<Interval> {
        let start = tokio::time::Instant::now() + period;
        let mut interval = tokio::time::interval_at(start, period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        KeepAlive::new(Interval(interval))
    }
}

/// A tokio interval as a [`Stream`] of ticks (with the `tokio` feature).
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct Interval(tokio::time::Interval);

#[cfg(feature = "tokio")]
impl Stream for Interval {
    type Item = ();

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.0.poll_tick(cx).map(|_| Some(()))
    }
}

/// The tick stream of an [`EventStream`](crate::EventStream) without keep-alive: a stream that
/// has no values and ends at once.
#[derive(Debug, Clone, Copy)]
pub enum NoTicks {}

impl Stream for NoTicks {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<()>> {
        match *self {}
    }
}
