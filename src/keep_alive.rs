//! [`KeepAlive`]: a comment whenever a connection has been silent for a whole period, on any
//! runtime's timer ([`Timer`]).

use crate::event::Event;
use crate::text::Text;
use bytes::Bytes;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

/// The shortest keep-alive period: 1 ms. [`KeepAlive::new`] raises shorter ones to it, because
/// a period of zero would make every idle poll send a comment (a busy loop of writes).
pub const MIN_PERIOD: Duration = Duration::from_millis(1);

/// A resettable one-shot timer on some runtime's clock: what [`KeepAlive`] runs on.
///
/// The crate owns no timer, so it works on any runtime: implement this for that runtime's
/// sleep future (tokio's is built in as `TokioTimer`, with the `tokio` feature). Times are
/// durations since any fixed origin of the timer's choosing; the stream only compares them and
/// adds periods to them.
///
/// The contract: [`poll_expired`](Timer::poll_expired) is ready once the deadline of the last
/// [`reset`](Timer::reset) has passed, and otherwise registers the waker and is pending; after
/// it was ready it stays ready until the next reset. A timer that was never reset may be ready
/// or pending; the stream resets it before it relies on it.
///
/// ```
/// use core::pin::Pin;
/// use core::task::{Context, Poll};
/// use core::time::Duration;
/// use std::time::Instant;
///
/// /// A timer that is due the moment it is polled at or after its deadline, and otherwise never
/// /// wakes anyone: fine for a test that polls by hand, useless for a server.
/// struct Polled { origin: Instant, deadline: Duration }
///
/// impl sse_wire::Timer for Polled {
///     fn now(&self) -> Duration { self.origin.elapsed() }
///     fn reset(mut self: Pin<&mut Self>, deadline: Duration) { self.deadline = deadline; }
///     fn poll_expired(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
///         if self.now() >= self.deadline { Poll::Ready(()) } else { Poll::Pending }
///     }
/// }
/// let timer = Polled { origin: Instant::now(), deadline: Duration::MAX };
/// let keep_alive = sse_wire::KeepAlive::new(timer, Duration::from_secs(15));
/// # let _ = keep_alive;
/// ```
pub trait Timer {
    /// The time now, as a duration since the timer's origin.
    fn now(&self) -> Duration;

    /// Sets the deadline (a duration since the origin, possibly in the past, possibly
    /// `Duration::MAX`), replacing any earlier one.
    fn reset(self: Pin<&mut Self>, deadline: Duration);

    /// Ready once the deadline has passed; otherwise registers `cx`'s waker and is pending.
    fn poll_expired(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}

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

/// The keep-alive state an [`EventStream`](crate::EventStream) carries: when it last went
/// quiet, and whether it sent anything since.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Silence {
    /// When the stream was last seen quiet after sending (or sent a keep-alive); `None` until
    /// the first time, when the timer is armed.
    since: Option<Duration>,
    /// Whether anything was sent since `since`.
    pub(crate) sent: bool,
}

impl Silence {
    /// Called when nothing is buffered and the inner stream is pending: the keep-alive frame if
    /// the stream has now been silent for a whole period.
    pub(crate) fn poll<T: Timer>(
        &mut self,
        mut timer: Pin<&mut T>,
        period: Duration,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        if self.sent || self.since.is_none() {
            let now = timer.now();
            if self.since.is_none() {
                timer.as_mut().reset(now.saturating_add(period));
            }
            // The timer stays armed for an earlier deadline, and is moved on when it fires:
            // once per period at most, not once per event.
            self.since = Some(now);
            self.sent = false;
        }
        let since = self.since.unwrap_or_default();
        if timer.as_mut().poll_expired(cx).is_pending() {
            return Poll::Pending;
        }
        let due = since.saturating_add(period);
        if timer.now() < due {
            timer.as_mut().reset(due);
            if timer.as_mut().poll_expired(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let now = timer.now();
        self.since = Some(now);
        timer.reset(now.saturating_add(period));
        Poll::Ready(())
    }
}

/// The timer of an [`EventStream`](crate::EventStream) without keep-alive: a type with no
/// values, so such a stream carries no timer at all.
#[derive(Debug, Clone, Copy)]
pub enum NoTimer {}

impl Timer for NoTimer {
    fn now(&self) -> Duration {
        match *self {}
    }
    fn reset(self: Pin<&mut Self>, _: Duration) {
        match *self {}
    }
    fn poll_expired(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        match *self {}
    }
}

#[cfg(feature = "tokio")]
pub use tokio_timer::TokioTimer;

#[cfg(feature = "tokio")]
mod tokio_timer {
    use super::{KeepAlive, Timer};
    use alloc::boxed::Box;
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use core::time::Duration;
    use tokio::time::{Instant, Sleep};

    /// How far ahead a deadline past the clock's range is put: tokio's own "far future".
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

    /// A [`Timer`] on tokio's clock (with the `tokio` feature); it follows tokio's paused clock
    /// in tests. Made inside a tokio runtime. Its sleep is boxed, as in tokio's own `Interval`,
    /// so that the timer, and a stream that holds it, is `Unpin`.
    #[derive(Debug)]
    pub struct TokioTimer {
        origin: Instant,
        sleep: Pin<Box<Sleep>>,
    }

    impl TokioTimer {
        /// A timer whose origin is now, not yet armed.
        ///
        /// # Panics
        ///
        /// Outside a tokio runtime with its time driver enabled (tokio's own rule for timers).
        pub fn new() -> TokioTimer {
            let origin = Instant::now();
            TokioTimer {
                origin,
                sleep: Box::pin(tokio::time::sleep_until(origin + FAR)),
            }
        }
    }

    impl Default for TokioTimer {
        fn default() -> Self {
            TokioTimer::new()
        }
    }

    impl Timer for TokioTimer {
        fn now(&self) -> Duration {
            Instant::now().saturating_duration_since(self.origin)
        }

        fn reset(mut self: Pin<&mut Self>, deadline: Duration) {
            let at = match self.origin.checked_add(deadline) {
                Some(at) if deadline < FAR => at,
                _ => Instant::now() + FAR,
            };
            self.sleep.as_mut().reset(at);
        }

        fn poll_expired(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.sleep.as_mut().poll(cx)
        }
    }

    impl KeepAlive<TokioTimer> {
        /// A comment after each `period` of silence, on tokio's clock (requires the `tokio`
        /// feature; call it inside a tokio runtime). `period` is taken as by
        /// [`KeepAlive::new`]: at least [`MIN_PERIOD`](super::MIN_PERIOD), up to
        /// `Duration::MAX` (never).
        pub fn every(period: Duration) -> KeepAlive<TokioTimer> {
            KeepAlive::new(TokioTimer::new(), period)
        }
    }

    use core::future::Future as _;
}
