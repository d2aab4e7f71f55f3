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
    /// The keep-alive.
    beat: Option<Beat>,
    /// When the stream was last seen quiet after sending (or sent a keep-alive); `None` until
    /// the first time it is idle.
    quiet_since: Option<Duration>,
    /// Whether anything was sent since `quiet_since`.
    pub(crate) sent: bool,
    /// The lifetime.
    age: Option<Age>,
    /// The deadline the timer is armed for; `Duration::MAX` when it is not armed.
    armed: Duration,
}

/// A keep-alive: the comment, sent after each `period` of silence.
struct Beat {
    frame: Bytes,
    period: Duration,
}

/// A lifetime: the stream ends at `end_at`, drawn at its first poll from `age` and `spread`,
/// after `last`.
struct Age {
    age: Duration,
    spread: Duration,
    last: Option<Bytes>,
    end_at: Option<Duration>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            timer: None,
            beat: None,
            quiet_since: None,
            sent: false,
            age: None,
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
        self.beat = Some(Beat {
            frame: keep_alive.frame,
            period: keep_alive.period,
        });
    }

    pub(crate) fn set_lifetime<T: Timer + Send + Sync + 'static>(&mut self, lifetime: Lifetime<T>) {
        self.adopt(lifetime.timer);
        self.age = Some(Age {
            age: lifetime.age,
            spread: lifetime.spread,
            last: lifetime.last,
            end_at: None,
        });
    }

    pub(crate) fn keep_alive_period(&self) -> Option<Duration> {
        self.beat.as_ref().map(|beat| beat.period)
    }

    pub(crate) fn max_lifetime(&self) -> Option<Duration> {
        self.age.as_ref().map(|age| age.age)
    }

    /// Whether the stream's age has passed, checked at every poll, and if so its last event.
    /// The clock as well as the timer: a stream that is always ready never lets its runtime run
    /// the timers (a current-thread tokio runtime, say), so the timer alone would not see the
    /// deadline pass. The deadline is drawn at the first call.
    #[inline]
    pub(crate) fn age_passed(&mut self) -> Option<Option<Bytes>> {
        let age = self.age.as_mut()?;
        let now = self.timer.as_ref()?.now();
        let end_at = *age.end_at.get_or_insert_with(|| {
            now.saturating_add(age.age)
                .saturating_add(draw(age.spread, now))
        });
        match now >= end_at {
            true => Some(age.last.take()),
            false => None,
        }
    }

    /// The keep-alive's deadline (`Duration::MAX` without one).
    fn beat_due(&self) -> Duration {
        match (&self.beat, self.quiet_since) {
            (Some(beat), Some(since)) => since.saturating_add(beat.period),
            _ => Duration::MAX,
        }
    }

    /// The end of the lifetime (`Duration::MAX` without one).
    fn end_at(&self) -> Duration {
        self.age
            .as_ref()
            .and_then(|age| age.end_at)
            .unwrap_or(Duration::MAX)
    }

    /// The timer's time now (zero without a timer, when there is no deadline to compare it with).
    fn now(&self) -> Duration {
        self.timer
            .as_ref()
            .map_or(Duration::ZERO, |timer| timer.now())
    }

    /// The lifetime's last event, once.
    fn last(&mut self) -> Option<Bytes> {
        self.age.as_mut().and_then(|age| age.last.take())
    }

    /// Called when nothing is buffered and the inner stream is pending: what is due now, if
    /// anything; otherwise the timer is armed for the next deadline and holds `cx`'s waker.
    pub(crate) fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<Due> {
        // A keep-alive or a lifetime comes with a timer, so without a timer nothing is due and
        // the loop returns `Pending` at once.
        if self.beat.is_some() && (self.sent || self.quiet_since.is_none()) {
            // Quiet from now on: one clock read per burst, not per event.
            self.quiet_since = Some(self.now());
            self.sent = false;
        }
        // Twice at most: a timer that fired for an outdated, earlier keep-alive deadline is
        // moved on to the current one and polled again.
        for _ in 0..2 {
            let (beat_due, end_at) = (self.beat_due(), self.end_at());
            let Some(timer) = self.timer.as_mut() else {
                return Poll::Pending; // no keep-alive and no lifetime
            };
            if beat_due.min(end_at) < self.armed {
                self.armed = beat_due.min(end_at);
                timer.as_mut().reset(self.armed);
            }
            if timer.as_mut().poll_expired(cx).is_pending() {
                return Poll::Pending;
            }
            self.armed = Duration::MAX; // it fired
            let now = timer.now();
            if now >= end_at {
                return Poll::Ready(Due::End(self.last()));
            }
            if let Some(beat) = &self.beat {
                if now >= beat_due {
                    self.quiet_since = Some(now);
                    return Poll::Ready(Due::KeepAlive(beat.frame.clone()));
                }
            }
        }
        // Fired twice before its deadline by its own clock: the timer disagrees with itself.
        // Take it at its word rather than spin: whatever is configured is due.
        match &self.beat {
            Some(beat) => {
                let frame = beat.frame.clone();
                self.quiet_since = Some(self.now());
                Poll::Ready(Due::KeepAlive(frame))
            }
            None => Poll::Ready(Due::End(self.last())),
        }
    }
}
