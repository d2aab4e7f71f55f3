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

/// One subscriber's view of a [`Hub`](super::Hub): a `Stream` of [`Encoded`] events of its
/// topics, in publication order, to put in an [`EventStream`](crate::EventStream). Dropping it
/// unsubscribes.
pub struct Subscription {
    shared: Arc<Shared>,
    key: u32,
    /// A reset event to send before anything else.
    reset: Option<Encoded>,
    /// Cut off after a reset: only the end is left.
    closed: bool,
}

impl core::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscription")
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// What the next poll found.
enum Next {
    Event(Encoded),
    /// An unread event of its topics left the history, or it is past `max_lag`.
    Lagged,
    /// Nothing to read now.
    Empty,
}

impl Subscription {
    pub(super) fn new(shared: Arc<Shared>, key: u32, reset: Option<Encoded>) -> Subscription {
        Subscription {
            shared,
            key,
            reset,
            closed: false,
        }
    }

    /// [`poll_next`](Stream::poll_next), passing over the events whose own id `skip` says were
    /// already delivered another way (a replay from a shared log).
    pub(crate) fn poll_skipping(
        &mut self,
        cx: &mut Context<'_>,
        skip: impl Fn(&str) -> bool,
    ) -> Poll<Option<Encoded>> {
        if let Some(reset) = self.reset.take() {
            return Poll::Ready(Some(reset));
        }
        if self.closed {
            return Poll::Ready(None);
        }
        let shared = &*self.shared;
        let mut state = shared.lock();
        match next(&mut state, self.key, shared.config.max_lag, &skip) {
            Next::Event(bytes) => Poll::Ready(Some(bytes)),
            Next::Lagged => {
                let reset = shared.reset_frame(&state);
                state.skip_to_live(self.key);
                self.closed = shared.config.on_lag == OnLag::Close;
                Poll::Ready(Some(reset))
            }
            Next::Empty if state.closed => Poll::Ready(None),
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
fn next(state: &mut State, key: u32, max_lag: Option<u64>, skip: &impl Fn(&str) -> bool) -> Next {
    let State { topics, slots, .. } = state;
    let Some(Some(slot)) = slots.get_mut(key as usize) else {
        return Next::Empty;
    };
    if max_lag.is_some_and(|lag| slot.unread > lag) {
        return Next::Lagged;
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
            None if lost => return Next::Lagged,
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
            return Next::Lagged;
        };
        debug_assert_eq!(entry.seq, seq, "the queue's key is the first unread event");
        let bytes = (!entry.own_id.as_deref().is_some_and(skip)).then(|| entry.bytes.clone());
        reading.next += 1;
        slot.unread = slot.unread.saturating_sub(1);
        match topic.get(reading.next).map(|e| e.seq) {
            Some(after) => slot.queue.push(Reverse((after, index))),
            // Unread but gone: queued at its place, where the lag is then reported.
            None if reading.next < topic.published => slot.queue.push(Reverse((seq, index))),
            None => topic.members[reading.member as usize].mark = Mark::Idle,
        }
        if let Some(bytes) = bytes {
            return Next::Event(bytes);
        }
    }
    Next::Empty
}

impl Stream for Subscription {
    type Item = Encoded;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Encoded>> {
        self.poll_skipping(cx, |_| false)
    }
}

impl Drop for Subscription {
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
