//! [`Lifetime`]: a stream's maximum age, spread at random, so that reconnections after a
//! deploy do not all come back at the same instant.

use super::timer::Timer;
use crate::event::Event;
use bytes::Bytes;
use core::time::Duration;

/// Ends an [`EventStream`](crate::EventStream) once it is `age` old, plus a random part of
/// `spread`, after a last event if one is set (typically a `retry` hint).
///
/// Why: the clients of a server that restarts all reconnect within the same second, and if
/// their streams then live equally long they keep coming back together, a storm at every
/// cycle. A maximum age spread at random breaks them up, and it also bounds how long any one
/// connection (and whatever proxy state it holds) lives. A client sees an ordinary end of
/// stream: `EventSource` reconnects after its reconnection time, which the last event's
/// `retry` sets, and resumes after its `Last-Event-ID`.
///
/// Attach it with [`EventStream::max_lifetime`](crate::EventStream::max_lifetime). The age
/// counts from the stream's first poll (when the response starts). The stream ends like on
/// a [`Shutdown`](crate::Shutdown): what it has already taken from its inner stream is
/// sent, then the last event, then the body ends; an event is never cut. The spread is
/// drawn once per stream, uniformly in `[0, spread)`.
///
/// With the `tokio` feature, `Lifetime::after(age)` needs no timer of your own.
///
/// ```
/// # use core::{pin::Pin, task::{Context, Poll}, time::Duration};
/// # use std::sync::atomic::{AtomicU64, Ordering};
/// # /// A clock that moves on an hour at each read, so every deadline has passed.
/// # struct Racing(AtomicU64);
/// # impl sse_wire::Timer for Racing {
/// #     fn now(&self) -> Duration { Duration::from_secs(self.0.fetch_add(3600, Ordering::Relaxed)) }
/// #     fn reset(self: Pin<&mut Self>, _: Duration) {}
/// #     fn poll_expired(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> { Poll::Ready(()) }
/// # }
/// # let timer = Racing(AtomicU64::new(0));
/// use futures_util::{stream, StreamExt};
/// use sse_wire::{Event, EventStream, Lifetime};
///
/// // At most 30 minutes, plus up to 10 more, then "retry in 2 seconds".
/// let lifetime = Lifetime::new(timer, Duration::from_secs(30 * 60))
///     .spread(Duration::from_secs(10 * 60))
///     .last_event(Event::new().retry(Duration::from_secs(2)));
/// let mut body = EventStream::new(stream::pending::<Event>()).max_lifetime(lifetime);
/// futures_executor::block_on(async {
///     // On this clock the age has passed at once.
///     assert_eq!(body.next().await.unwrap().unwrap(), "retry: 2000\n\n");
///     assert!(body.next().await.is_none());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct Lifetime<T> {
    pub(crate) timer: T,
    pub(crate) age: Duration,
    pub(crate) spread: Duration,
    pub(crate) last: Option<Bytes>,
}

impl<T: Timer> Lifetime<T> {
    /// Ends the stream once it is `age` old (up to `Duration::MAX`, never), timed by `timer`;
    /// no spread and no last event until they are set.
    pub fn new(timer: T, age: Duration) -> Lifetime<T> {
        Lifetime {
            timer,
            age,
            spread: Duration::ZERO,
            last: None,
        }
    }

    /// Adds a random part of `spread` to the age, drawn per stream, uniformly in
    /// `[0, spread)` (spreads beyond 584 years, `u64::MAX` nanoseconds, act as that).
    pub fn spread(mut self, spread: Duration) -> Lifetime<T> {
        self.spread = spread;
        self
    }

    /// The event sent last, before the stream ends for its age: for example one with a `retry`
    /// that tells the client how soon to come back.
    pub fn last_event(mut self, event: Event) -> Lifetime<T> {
        self.last = Some(event.to_bytes());
        self
    }
}

impl<T> Lifetime<T> {
    /// The age before the spread.
    pub fn age(&self) -> Duration {
        self.age
    }

    /// The most the spread adds.
    pub fn max_spread(&self) -> Duration {
        self.spread
    }
}

/// A duration drawn uniformly from `[0, spread)`, `spread` capped at `u64::MAX` nanoseconds;
/// `seed` (the time now) tells apart streams started at different instants.
pub(crate) fn draw(spread: Duration, seed: Duration) -> Duration {
    let nanos = spread.as_nanos().min(u128::from(u64::MAX));
    // A uniform u64 times `nanos`, keeping the top 64 bits: `[0, nanos)`, each value's chance
    // off by at most 2^-64 (a remainder would favour small values far more). The product fits:
    // both factors are below 2^64.
    let offset = (u128::from(random(seed)) * nanos) >> 64;
    debug_assert!(offset < nanos.max(1), "the spread drawn is below its bound");
    let offset = offset as u64; // below `nanos`, which is at most `u64::MAX`
    Duration::from_nanos(offset)
}

/// 64 random bits. With `std`, from a hasher of its own per call (std's random keys, moved on
/// at each call), so streams started in the same nanosecond still differ.
#[cfg(feature = "std")]
fn random(seed: Duration) -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(seed.as_nanos())
}

/// 64 bits mixed from `seed` (SplitMix64's finalizer): without `std` there is no entropy to
/// draw on, so the spread comes from the instant the stream started.
#[cfg(not(feature = "std"))]
fn random(seed: Duration) -> u64 {
    let mut z = (seed.as_nanos() as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(feature = "tokio")]
impl Lifetime<super::timer::TokioTimer> {
    /// Ends the stream once it is `age` old, on tokio's clock (requires the `tokio` feature;
    /// call it inside a tokio runtime). Set the spread and last event as with
    /// [`Lifetime::new`].
    pub fn after(age: Duration) -> Self {
        Lifetime::new(super::timer::TokioTimer::new(), age)
    }
}

#[cfg(test)]
mod tests {
    use super::draw;
    use core::time::Duration;

    #[test]
    fn draws_stay_below_the_spread_and_cover_it() {
        let spread = Duration::from_secs(600);
        let mut draws: Vec<Duration> = (0..2000u64)
            .map(|i| draw(spread, Duration::from_nanos(i)))
            .collect();
        assert!(draws.iter().all(|d| *d < spread));
        draws.sort();
        // Uniform on [0, 600 s): the tenth and ninetieth percentiles near 60 s and 540 s.
        let p10 = draws[200].as_secs_f64();
        let p90 = draws[1800].as_secs_f64();
        assert!((30.0..90.0).contains(&p10), "p10 {p10}");
        assert!((510.0..570.0).contains(&p90), "p90 {p90}");
    }

    #[test]
    fn extreme_spreads() {
        assert_eq!(draw(Duration::ZERO, Duration::ZERO), Duration::ZERO);
        assert_eq!(draw(Duration::from_nanos(1), Duration::MAX), Duration::ZERO);
        assert!(draw(Duration::MAX, Duration::MAX) < Duration::from_nanos(u64::MAX));
    }
}
