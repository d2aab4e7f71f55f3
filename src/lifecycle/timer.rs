//! [`Timer`]: the one abstraction of time the crate uses, so that it runs on any runtime; and
//! [`TokioTimer`], tokio's, with the `tokio` feature.

use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

/// A resettable one-shot timer on some runtime's clock: what keep-alive, lifetime and write
/// timeouts run on.
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

#[cfg(feature = "tokio")]
pub use tokio_timer::TokioTimer;

#[cfg(feature = "tokio")]
mod tokio_timer {
    use super::Timer;
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

    use core::future::Future as _;
}
