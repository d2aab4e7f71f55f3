//! [`Clock`]: the deadlines of one [`EventStream`](crate::EventStream) — its keep-alive and its
//! lifetime — on one timer, armed for whichever comes first.

use super::keep_alive::KeepAlive;
use super::lifetime::{draw, Lifetime};
use super::timer::Timer;
use alloc::boxed::Box;
use bytes::Bytes;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

/// What an idle stream must do now.
#[derive(Debug)]
pub(crate) enum Due {
    /// Send this keep-alive comment.
    KeepAlive(Bytes),
    /// End, after this last event if there is one: the stream's age has passed.
    End(Option<Bytes>),
}

/// A stream's keep-alive and lifetime, on the one timer given with the first of them.
///
/// Invariants: the timer, once armed, is armed for a deadline no later than the next one due
/// (`armed <= next_due()`), so it never wakes the stream too late; it is re-armed only when it
/// fired or a deadline came before it, so a busy stream re-arms it at most once per period
/// however many events it sends (the keep-alive deadline only ever moves later, and the timer
/// is left armed for the earlier one, which then fires early and is moved on).
pub(crate) struct Clock {
    /// Boxed behind `dyn`, so that a stream's type does not name its timer: one allocation per
    /// stream that has one, and a call through a pointer when idle or at a lifetime check.
    timer: Option<Pin<Box<dyn Timer + Send + Sync>>>,
    /// The keep-alive comment and period.
    beat: Option<(Bytes, Duration)>,
    /// When the stream was last seen quiet after sending (or sent a keep-alive); `None` until
    /// the first time it is idle.
    quiet_since: Option<Duration>,
    /// Whether anything was sent since `quiet_since`.
    pub(crate) sent: bool,
    /// The age, its spread, and the last event; the deadline is drawn at the first poll.
    lifetime: Option<(Duration, Duration, Option<Bytes>)>,
    end_at: Option<Duration>,
    /// The deadline the timer is armed for; `Duration::MAX` when it is not armed.
    armed: Duration,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            timer: None,
            beat: None,
            quiet_since: None,
            sent: false,
            lifetime: None,
            end_at: None,
            armed: Duration::MAX,
        }
    }

    /// Keeps `timer` if the stream has none yet; a second timer is dropped, since one serves
    /// every deadline.
    fn adopt<T: Timer + Send + Sync + 'static>(&mut self, timer: T) {
        if self.timer.is_none() {
            self.timer = Some(Box::pin(timer));
        }
    }

    pub(crate) fn set_keep_alive<T: Timer + Send + Sync + 'static>(
        &mut self,
        keep_alive: KeepAlive<T>,
    ) {
        self.adopt(keep_alive.timer);
        self.beat = Some((keep_alive.frame, keep_alive.period));
    }

    pub(crate) fn set_lifetime<T: Timer + Send + Sync + 'static>(&mut self, lifetime: Lifetime<T>) {
        self.adopt(lifetime.timer);
        self.lifetime = Some((lifetime.age, lifetime.spread, lifetime.last));
        self.end_at = None;
    }

    pub(crate) fn keep_alive_period(&self) -> Option<Duration> {
        self.beat.as_ref().map(|(_, period)| *period)
    }

    pub(crate) fn max_lifetime(&self) -> Option<Duration> {
        self.lifetime.as_ref().map(|(age, _, _)| *age)
    }

    /// Whether the stream's age has passed, checked at every poll, and if so its last event.
    /// The clock as well as the timer: a stream that is always ready never lets its runtime run
    /// the timers (a current-thread tokio runtime, say), so the timer alone would not see the
    /// deadline pass. The deadline is drawn at the first call.
    #[inline]
    pub(crate) fn age_passed(&mut self) -> Option<Option<Bytes>> {
        let (age, spread, last) = self.lifetime.as_mut()?;
        let timer = self.timer.as_ref()?;
        let now = timer.now();
        let end_at = *self
            .end_at
            .get_or_insert_with(|| now.saturating_add(*age).saturating_add(draw(*spread, now)));
        match now >= end_at {
            true => Some(last.take()),
            false => None,
        }
    }

    /// The earliest deadline: the keep-alive's or the end of the lifetime.
    fn next_due(
        beat: &Option<(Bytes, Duration)>,
        quiet_since: Option<Duration>,
        end_at: Option<Duration>,
    ) -> Duration {
        let beat = match (beat, quiet_since) {
            (Some((_, period)), Some(since)) => since.saturating_add(*period),
            _ => Duration::MAX,
        };
        beat.min(end_at.unwrap_or(Duration::MAX))
    }

    /// Called when nothing is buffered and the inner stream is pending: what is due now, if
    /// anything; otherwise the timer is armed for the next deadline and holds `cx`'s waker.
    pub(crate) fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<Due> {
        let Some(timer) = self.timer.as_mut() else {
            return Poll::Pending;
        };
        if self.beat.is_some() && (self.sent || self.quiet_since.is_none()) {
            // Quiet from now on: one clock read per burst, not per event.
            self.quiet_since = Some(timer.now());
            self.sent = false;
        }
        // Twice at most: a timer that fired for an outdated, earlier keep-alive deadline is
        // moved on to the current one and polled again.
        for _ in 0..2 {
            let due = Clock::next_due(&self.beat, self.quiet_since, self.end_at);
            if due < self.armed {
                timer.as_mut().reset(due);
                self.armed = due;
            }
            debug_assert!(
                self.armed <= due,
                "the timer is armed no later than the next deadline"
            );
            if timer.as_mut().poll_expired(cx).is_pending() {
                return Poll::Pending;
            }
            self.armed = Duration::MAX; // it fired
            let now = timer.now();
            if self.end_at.is_some_and(|end| now >= end) {
                let last = self.lifetime.as_mut().and_then(|(_, _, last)| last.take());
                return Poll::Ready(Due::End(last));
            }
            if let Some((frame, _)) = &self.beat {
                if now >= due {
                    self.quiet_since = Some(now);
                    return Poll::Ready(Due::KeepAlive(frame.clone()));
                }
            }
        }
        // Fired twice before its deadline by its own clock: the timer disagrees with itself.
        // Take it at its word rather than spin: whatever is configured is due.
        match (&self.beat, &mut self.lifetime) {
            (Some((frame, _)), _) => {
                self.quiet_since = Some(timer.now());
                Poll::Ready(Due::KeepAlive(frame.clone()))
            }
            (None, Some((_, _, last))) => Poll::Ready(Due::End(last.take())),
            (None, None) => Poll::Pending,
        }
    }
}
