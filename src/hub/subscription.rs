//! [`Subscription`]: one subscriber's merged, in-order view of its topics.

use super::config::OnLag;
use super::log::{Mark, State};
use super::{Shared, TOPICS_PER_LOCK};
use crate::event::Encoded;
use alloc::sync::Arc;
use core::cmp::Reverse;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_core::Stream;

/// One subscriber's view of a hub ([`Hub`](super::Hub), or with the `redis` feature a
/// `RedisHub`): a `Stream` of [`Encoded`] events of its topics, in publication order, to put in
/// an [`EventStream`](crate::EventStream). Dropping it unsubscribes.
pub struct Subscription {
    inner: Inner,
}

enum Inner {
    Local(Local),
    Source(alloc::boxed::Box<dyn Source>),
}

/// A subscription served by something other than the hub in memory alone: a backend on a
/// shared log implements it, so that its subscriptions are this same type.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) trait Source: Send + Sync + core::fmt::Debug {
    /// As [`Stream::poll_next`].
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Encoded>>;
}

impl core::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.inner {
            Inner::Local(local) => f
                .debug_struct("Subscription")
                .field("closed", &local.closed)
                .finish_non_exhaustive(),
            Inner::Source(source) => source.fmt(f),
        }
    }
}

impl Subscription {
    pub(super) fn new(shared: Arc<Shared>, key: u32, reset: Option<Encoded>) -> Subscription {
        Subscription {
            inner: Inner::Local(Local {
                shared,
                key,
                reset,
                closed: false,
            }),
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn from_source(source: impl Source + 'static) -> Subscription {
        Subscription {
            inner: Inner::Source(alloc::boxed::Box::new(source)),
        }
    }

    /// The in-memory subscription inside, for a backend that drives it itself; `None` for
    /// one of another source.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn into_local(self) -> Option<Local> {
        match self.inner {
            Inner::Local(local) => Some(local),
            Inner::Source(_) => None,
        }
    }
}

/// A subscription to a hub in memory.
pub(crate) struct Local {
    shared: Arc<Shared>,
    key: u32,
    /// A reset event to send before anything else.
    reset: Option<Encoded>,
    /// Cut off after a reset: only the end is left.
    closed: bool,
}

/// What the next poll found.
enum Next {
    /// An event, and its own id if it has one.
    Event(Encoded, Option<Arc<str>>),
    /// An unread event of its topics left the history.
    Evicted,
    /// It is past `max_lag`.
    OverLag,
    /// Nothing to read now.
    Empty,
}

/// What a subscription to a hub in memory yields to a backend that drives it.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) enum Polled {
    /// An event, with its own id if it has one.
    Event(Encoded, Option<Arc<str>>),
    /// The reset event (a lag past `max_lag`, or an id it could not resume).
    Reset(Encoded),
    /// An event it had not read left the history: the caller drops the subscription and
    /// serves its subscriber another way.
    Evicted,
    /// The hub is gone, or the subscription was cut off after a reset.
    End,
}

impl Local {
    /// The next event. With `evicted_is_reset`, a lost event is a lag like any other (the
    /// reset event, then [`OnLag`]); without, it is reported as [`Polled::Evicted`].
    pub(crate) fn poll_next_item(
        &mut self,
        cx: &mut Context<'_>,
        evicted_is_reset: bool,
    ) -> Poll<Polled> {
        if let Some(reset) = self.reset.take() {
            return Poll::Ready(Polled::Reset(reset));
        }
        if self.closed {
            return Poll::Ready(Polled::End);
        }
        let shared = &*self.shared;
        let mut state = shared.lock();
        match next(&mut state, self.key, shared.config.max_lag) {
            Next::Event(bytes, own) => Poll::Ready(Polled::Event(bytes, own)),
            Next::Evicted if !evicted_is_reset => Poll::Ready(Polled::Evicted),
            Next::Evicted | Next::OverLag => {
                let reset = shared.reset_frame(&state);
                state.skip_to_live(self.key);
                self.closed = shared.config.on_lag == OnLag::Close;
                Poll::Ready(Polled::Reset(reset))
            }
            Next::Empty if state.closed => Poll::Ready(Polled::End),
            Next::Empty => {
                let slot = state.slot_mut(self.key);
                match &mut slot.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    waker => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

/// Subscriber `key`'s next event: the unread one with the lowest sequence number over its
/// topics.
fn next(state: &mut State, key: u32, max_lag: Option<u64>) -> Next {
    let State { topics, slots, .. } = state;
    let Some(Some(slot)) = slots.get_mut(key as usize) else {
        return Next::Empty;
    };
    if max_lag.is_some_and(|lag| slot.unread > lag) {
        return Next::OverLag;
    }
    // Topics with new events join the queue at their first unread event.
    while let Some(index) = slot.pop_dirty() {
        let reading = &slot.reading[index as usize];
        let Some(Some(topic)) = topics.get_mut(reading.topic as usize) else {
            continue;
        };
        let first = topic.get(reading.next).map(|e| e.seq);
        let lost = reading.next < topic.front();
        let member = &mut topic.members[reading.member as usize];
        debug_assert_eq!(member.mark, Mark::Dirty);
        match first {
            Some(seq) => {
                member.mark = Mark::Queued;
                slot.queue.push(Reverse((seq, index)));
            }
            None if lost => return Next::Evicted,
            None => member.mark = Mark::Idle,
        }
    }
    while let Some(Reverse((seq, index))) = slot.queue.pop() {
        let reading = &mut slot.reading[index as usize];
        let Some(Some(topic)) = topics.get_mut(reading.topic as usize) else {
            continue;
        };
        let Some(entry) = topic.get(reading.next) else {
            // Its first unread event left the history since it was queued.
            debug_assert!(reading.next < topic.front());
            return Next::Evicted;
        };
        debug_assert_eq!(entry.seq, seq, "the queue's key is the first unread event");
        let event = Next::Event(entry.bytes.clone(), entry.own_id.clone());
        reading.next += 1;
        slot.unread = slot.unread.saturating_sub(1);
        match topic.get(reading.next).map(|e| e.seq) {
            Some(after) => slot.queue.push(Reverse((after, index))),
            // Unread but gone: queued at its place, where the lag is then reported.
            None if reading.next < topic.published => slot.queue.push(Reverse((seq, index))),
            None => topic.members[reading.member as usize].mark = Mark::Idle,
        }
        return event;
    }
    Next::Empty
}

impl Stream for Subscription {
    type Item = Encoded;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Encoded>> {
        match &mut self.inner {
            Inner::Local(local) => local.poll_next_item(cx, true).map(|polled| match polled {
                Polled::Event(bytes, _) | Polled::Reset(bytes) => Some(bytes),
                Polled::Evicted | Polled::End => None,
            }),
            Inner::Source(source) => source.poll_next(cx),
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // In rounds, so that publishers never wait long behind a subscriber of many topics.
        loop {
            let mut state = self.shared.lock();
            if state.leave(self.key, TOPICS_PER_LOCK) {
                break;
            }
            self.shared.pause(state);
        }
    }
}
