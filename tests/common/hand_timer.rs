//! A [`Timer`] on a clock the test moves by hand. `poll_expired` never wakes anyone: the test
//! polls. Thread-safe (a stream's timer must be `Send + Sync`), shared through [`HandClock`].

use sse_wire::Timer;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// The time now and the deadline the timer was last reset to, as the test sees them.
#[derive(Clone, Default)]
pub struct HandClock(Arc<Mutex<(Duration, Duration)>>);

impl HandClock {
    /// Moves the clock to `now`.
    pub fn set(&self, now: Duration) {
        self.0.lock().unwrap().0 = now;
    }
    /// The time now.
    pub fn get(&self) -> Duration {
        self.0.lock().unwrap().0
    }
    /// The deadline of the timer's last reset (`Duration::MAX` before any).
    pub fn deadline(&self) -> Duration {
        self.0.lock().unwrap().1
    }
}

pub struct HandTimer(HandClock);

impl HandTimer {
    /// A timer at time zero, not armed, and the handle that moves its clock.
    pub fn new() -> (HandTimer, HandClock) {
        let clock = HandClock::default();
        clock.0.lock().unwrap().1 = Duration::MAX;
        (HandTimer(clock.clone()), clock)
    }
}

impl Timer for HandTimer {
    fn now(&self) -> Duration {
        self.0.get()
    }
    fn reset(self: Pin<&mut Self>, deadline: Duration) {
        self.0 .0.lock().unwrap().1 = deadline;
    }
    fn poll_expired(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let (now, deadline) = *self.0 .0.lock().unwrap();
        match now >= deadline {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }
}
