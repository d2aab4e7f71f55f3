//! [`Hub`]: publish once, fan out to many subscribers, replay what a reconnecting client missed.
//!
//! # How it works
//!
//! The hub keeps one log: a ring of the most recent events, each encoded once when it is
//! published, with a sequence number. A [`Subscription`] is a cursor into that log and a waker,
//! nothing more. Replay and live delivery are the same thing — reading the log from the cursor
//! on — so a subscriber that resumes after `Last-Event-ID: 41` sees 42, 43, … with no gap and no
//! duplicate at the seam between history and live events, however publishes race with the
//! subscribe: both take the same lock, and the cursor is set under it.
//!
//! The log is bounded by count, by bytes and optionally by age ([`HubConfig`]). A subscriber
//! that falls behind holds no copy of anything: when the events it has not read yet leave the
//! log, or it is more than [`max_lag`](HubConfig::max_lag) behind, it gets the hub's
//! [reset event](HubConfig::reset_event) — an explicit signal that it missed events and should
//! reload its state — and is then cut off or moved to the live end ([`OnLag`]). So memory is
//! bounded by the log's limits whatever clients do, and publishing never waits for anyone.
//!
//! # Ids
//!
//! Each published event gets the next sequence number (0, 1, 2, …). Unless the event already
//! carries an id of the caller's own, that number is its `id:`, and a client's `Last-Event-ID`
//! is parsed back into it. An event with an id of its own keeps it, and a `Last-Event-ID` equal
//! to it resumes after it; such ids must be unique among the events the hub retains.
//!
//! # Memory
//!
//! The hub holds at most [`history`](HubConfig::history) events and
//! [`history_bytes`](HubConfig::history_bytes) bytes of them (the newest event is always kept),
//! plus a few dozen bytes of bookkeeping per retained event. A subscription holds its cursor, a
//! waker and its topic list; it never queues events, so a subscriber that stops reading costs
//! nothing more as publishing goes on (`tests/hub_memory.rs` publishes a million events past two
//! stalled subscribers and counts every live byte). Topic names are kept for the hub's life.
//!
//! # Topics
//!
//! An event is published to one topic; a subscription reads one or several. Publishing wakes
//! only the subscribers of that topic.

#[cfg(feature = "redis")]
pub(crate) mod redis;

use crate::event::{Encoded, Event};
use crate::headers;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use futures_core::Stream;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// What a [`Subscription`] does when it falls behind: see [`HubConfig::on_lag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnLag {
    /// Send the reset event, then end the stream (the client reconnects, and resumes live).
    Close,
    /// Send the reset event, then go on with the next event published.
    SkipToLive,
}

/// The limits and signals of a [`Hub`].
///
/// ```
/// use std::time::Duration;
/// use sse_wire::{Event, HubConfig, OnLag};
///
/// let config = HubConfig::default()
///     .history(10_000)
///     .history_bytes(8 << 20)
///     .max_age(Duration::from_secs(300))
///     .on_lag(OnLag::SkipToLive)
///     .reset_event(Event::new().event("reload")?.data(""));
/// # Ok::<(), sse_wire::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HubConfig {
    history: usize,
    history_bytes: usize,
    max_age: Option<Duration>,
    max_lag: Option<usize>,
    on_lag: OnLag,
    reset: Event,
    first_seq: u64,
}

impl Default for HubConfig {
    /// 1,024 events, 4 MiB, no age limit, a subscriber may lag by the whole history, cut off when
    /// it lags; the reset event is `event: reset` with empty data.
    fn default() -> Self {
        HubConfig {
            history: 1024,
            history_bytes: 4 << 20,
            max_age: None,
            max_lag: None,
            on_lag: OnLag::Close,
            first_seq: 0,
            reset: Event::new()
                .event(crate::event::EventType::new("reset"))
                .data(""),
        }
    }
}

impl HubConfig {
    /// The most events the log keeps (at least 1).
    pub fn history(mut self, events: usize) -> Self {
        self.history = events.max(1);
        self
    }

    /// The most bytes of encoded events the log keeps; the newest event is always kept, however
    /// large.
    pub fn history_bytes(mut self, bytes: usize) -> Self {
        self.history_bytes = bytes;
        self
    }

    /// Events older than this leave the log (checked on each publish and subscribe).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// How many published events a subscriber may have left unread before it counts as lagging
    /// (default: as many as the log holds). Whatever this is, a subscriber whose next event left
    /// the log lags.
    pub fn max_lag(mut self, events: usize) -> Self {
        self.max_lag = Some(events);
        self
    }

    /// The sequence number (and id) of the first event published (default 0). A hub that
    /// starts again after a restart with a number above any it gave out before (a timestamp
    /// in milliseconds, say) keeps old `Last-Event-ID`s from resuming into new events: they
    /// get the reset event instead.
    ///
    /// At most 2⁶³ (larger values are lowered to it), so that the numbers never run out.
    pub fn first_seq(mut self, seq: u64) -> Self {
        self.first_seq = seq.min(1 << 63);
        self
    }

    /// What a lagging subscriber does after its reset event (default [`OnLag::Close`]).
    pub fn on_lag(mut self, on_lag: OnLag) -> Self {
        self.on_lag = on_lag;
        self
    }

    /// The event that tells a client it missed events it cannot get back: sent to a subscriber
    /// that lags, and to one whose `Last-Event-ID` is older than the log, unknown or malformed.
    /// Give it data, or clients will not dispatch it. The hub sets its id to the newest
    /// event's, so that a client that reconnects after it resumes from there.
    pub fn reset_event(mut self, event: Event) -> Self {
        self.reset = event;
        self
    }
}

/// Publish once, deliver to every subscriber, replay after `Last-Event-ID`. Cloning is cheap:
/// clones share the hub. See the [module documentation](self) for the model.
///
/// ```
/// use futures_util::StreamExt;
/// use sse_wire::{Event, Hub};
///
/// let hub = Hub::default();
/// let early = hub.subscribe(["news"], None);
/// hub.publish("news", Event::new().data("one"));
/// hub.publish("news", Event::new().data("two"));
///
/// futures_executor::block_on(async {
///     // Live subscriber: both events, with the hub's ids.
///     let got: Vec<_> = early.take(2).map(|e| e.into_bytes()).collect().await;
///     assert_eq!(got, ["id: 0\ndata: one\n\n", "id: 1\ndata: two\n\n"]);
///
///     // A client that reconnects after id 0 gets what it missed.
///     let mut resumed = hub.subscribe(["news"], Some(b"0"));
///     assert_eq!(resumed.next().await.unwrap().as_bytes(), "id: 1\ndata: two\n\n");
/// });
/// ```
#[derive(Clone, Default)]
pub struct Hub {
    shared: Arc<Shared>,
}

impl core::fmt::Debug for Hub {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Hub")
            .field("retained", &state.log.len())
            .field("retained_bytes", &state.log_bytes)
            .field("next_seq", &state.next_seq)
            .field("subscribers", &state.live_subscribers)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Shared {
    config: HubConfig,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave the state half-changed in a way that
        // matters here (every change is a push, a pop or a slot update), so go on.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
struct State {
    /// Sequence number of the next event published; the log holds `next_seq - log.len()` to
    /// `next_seq - 1`.
    next_seq: u64,
    log: VecDeque<Entry>,
    log_bytes: usize,
    topics: HashMap<Arc<str>, Topic>,
    /// Topic names by index.
    topic_names: Vec<Arc<str>>,
    /// Subscriber slots; `None` is free (listed in `free`).
    subscribers: Vec<Option<Slot>>,
    free: Vec<usize>,
    live_subscribers: usize,
}

struct Entry {
    seq: u64,
    topic: u32,
    bytes: Encoded,
    /// The caller's own id, if the event came with one.
    own_id: Option<alloc::boxed::Box<str>>,
    at: Option<Instant>,
}

struct Topic {
    index: u32,
    /// Subscriber slots reading this topic.
    members: Vec<usize>,
}

struct Slot {
    waker: Option<Waker>,
}

impl State {
    /// The sequence number of the oldest retained event (`next_seq` when there is none).
    fn front(&self) -> u64 {
        self.log.front().map_or(self.next_seq, |e| e.seq)
    }

    /// The index of the topic named `name`, made on first use.
    fn topic(&mut self, name: &str) -> u32 {
        if let Some(topic) = self.topics.get(name) {
            return topic.index;
        }
        let name: Arc<str> = Arc::from(name);
        let index = self.topic_names.len() as u32;
        self.topic_names.push(name.clone());
        let members = Vec::new();
        self.topics.insert(name, Topic { index, members });
        index
    }

    fn evict(&mut self, config: &HubConfig, now: Option<Instant>) {
        while self.log.len() > config.history
            || (self.log_bytes > config.history_bytes && self.log.len() > 1)
            || matches!((config.max_age, now, self.log.front()),
                (Some(age), Some(now), Some(Entry { at: Some(at), .. })) if now.duration_since(*at) > age)
        {
            let Some(old) = self.log.pop_front() else {
                break;
            };
            self.log_bytes -= old.bytes.len();
        }
        debug_assert!(self.log.len() <= config.history);
        debug_assert!(self.log_bytes <= config.history_bytes || self.log.len() == 1);
        debug_assert!(self.log.is_empty() == (self.log_bytes == 0));
    }

    /// Where a subscriber resuming after `last_event_id` starts reading, or `None` when the
    /// events after it cannot be replayed (the id is malformed, unknown, or older than the log).
    fn resume_point(&self, last_event_id: &[u8]) -> Option<u64> {
        let id = headers::last_event_id(last_event_id).ok()?;
        if let Some(entry) = self
            .log
            .iter()
            .rev()
            .find(|e| e.own_id.as_deref() == Some(id))
        {
            return Some(entry.seq + 1);
        }
        let seq = headers::last_event_id_u64(last_event_id).ok()?;
        let next = seq.checked_add(1)?;
        // The event after `seq` must still be in the log, or be the next one published; and
        // `seq` must have been a hub id (not a caller's own).
        let own = self
            .log
            .iter()
            .find(|e| e.seq == seq)
            .is_some_and(|e| e.own_id.is_some());
        (next >= self.front() && next <= self.next_seq && !own).then_some(next)
    }

    /// The id of the newest event in the log, for the reset event.
    fn newest_id(&self) -> Option<crate::text::Text> {
        self.log.back().map(|e| match &e.own_id {
            Some(own) => crate::text::Text::from(&**own),
            None => crate::text::Text::from(e.seq),
        })
    }
}

impl Hub {
    /// A hub with the given limits.
    pub fn new(config: HubConfig) -> Hub {
        let state = State {
            next_seq: config.first_seq,
            ..State::default()
        };
        Hub {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(state),
            }),
        }
    }

    /// Publishes `event` to `topic`: encodes it once and wakes that topic's subscribers.
    /// Returns its sequence number, which is also its id unless the event has one of its own.
    /// Never waits for a subscriber.
    pub fn publish(&self, topic: &str, event: Event) -> u64 {
        let own_id = event.get_id().map(alloc::boxed::Box::<str>::from);
        let at = self.shared.config.max_age.map(|_| Instant::now());
        let mut wake = Vec::new();
        let mut state = self.shared.lock();
        let seq = state.next_seq;
        let bytes = match own_id {
            Some(_) => Encoded::from(event),
            None => Encoded::from(event.id(seq)),
        };
        let index = state.topic(topic);
        let State {
            topics,
            subscribers,
            ..
        } = &mut *state;
        for &member in topics.get(topic).map_or(&[][..], |t| &t.members) {
            if let Some(Some(slot)) = subscribers.get_mut(member) {
                wake.extend(slot.waker.take());
            }
        }
        state.log_bytes += bytes.len();
        state.log.push_back(Entry {
            seq,
            topic: index,
            bytes,
            own_id,
            at,
        });
        // At most 2^63 + the number of publishes: cannot overflow (see `first_seq`).
        state.next_seq += 1;
        state.evict(&self.shared.config, at);
        drop(state);
        for waker in wake {
            waker.wake();
        }
        seq
    }

    /// A subscription to `topics`. With `last_event_id` (the raw bytes of a client's
    /// `Last-Event-ID` header), it first replays the retained events after that id, then goes
    /// on live; without, it starts with the next event published. An id that cannot be
    /// resumed (malformed, unknown, or older than the log) gets the reset event first, then
    /// live events.
    pub fn subscribe<T: AsRef<str>>(
        &self,
        topics: impl IntoIterator<Item = T>,
        last_event_id: Option<&[u8]>,
    ) -> Subscription {
        let state = self.locked_now();
        let (cursor, reset) = match last_event_id.map(|id| state.resume_point(id)) {
            None => (state.next_seq, false),
            Some(Some(next)) => (next, false),
            Some(None) => (state.next_seq, true),
        };
        let reset = reset.then(|| reset_frame(&self.shared.config, &state));
        self.attach(state, topics, cursor, reset)
    }

    /// A subscription that resumes after `last_event_id`, or `None` (and nothing registered)
    /// when the log cannot resume it: for a caller with another source of replay.
    #[cfg(feature = "redis")]
    pub(crate) fn try_resume<T: AsRef<str>>(
        &self,
        topics: impl IntoIterator<Item = T>,
        last_event_id: &[u8],
    ) -> Option<Subscription> {
        let state = self.locked_now();
        let cursor = state.resume_point(last_event_id)?;
        Some(self.attach(state, topics, cursor, None))
    }

    /// The state, locked, with events past their age evicted.
    fn locked_now(&self) -> MutexGuard<'_, State> {
        let mut state = self.shared.lock();
        let now = self.shared.config.max_age.map(|_| Instant::now());
        state.evict(&self.shared.config, now);
        state
    }

    /// Registers a subscriber to `topics` reading from `cursor`, under the lock the cursor was
    /// found under, so that no publish falls between the two.
    fn attach<T: AsRef<str>>(
        &self,
        mut state: MutexGuard<'_, State>,
        topics: impl IntoIterator<Item = T>,
        cursor: u64,
        reset: Option<Encoded>,
    ) -> Subscription {
        let key = match state.free.pop() {
            Some(key) => key,
            None => {
                state.subscribers.push(None);
                state.subscribers.len() - 1
            }
        };
        state.subscribers[key] = Some(Slot { waker: None });
        state.live_subscribers += 1;
        let mut indexes: Vec<u32> = Vec::new();
        for name in topics {
            let index = state.topic(name.as_ref());
            if !indexes.contains(&index) {
                indexes.push(index);
                if let Some(topic) = state.topics.get_mut(name.as_ref()) {
                    topic.members.push(key);
                }
            }
        }
        drop(state);
        Subscription {
            shared: self.shared.clone(),
            key,
            topics: indexes,
            cursor,
            reset,
            closed: false,
        }
    }

    /// The reset event, with the id of the newest event in the log.
    #[cfg(feature = "redis")]
    pub(crate) fn reset_frame(&self) -> Encoded {
        reset_frame(&self.shared.config, &self.shared.lock())
    }

    /// The number of live subscriptions.
    pub fn subscribers(&self) -> usize {
        self.shared.lock().live_subscribers
    }

    /// The number of events retained for replay, and their bytes.
    pub fn retained(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.log.len(), state.log_bytes)
    }
}

/// The reset event, with the newest event's id.
fn reset_frame(config: &HubConfig, state: &State) -> Encoded {
    let event = config.reset.clone();
    let event = match state.newest_id() {
        // The newest id was checked when it was published (or is a number).
        Some(id) => event.id(id).unwrap_or_else(|_| config.reset.clone()),
        None => event,
    };
    Encoded::from(event)
}

/// One subscriber's view of a [`Hub`]: a `Stream` of [`Encoded`] events to put in an
/// [`EventStream`](crate::EventStream). Dropping it unsubscribes.
pub struct Subscription {
    shared: Arc<Shared>,
    key: usize,
    topics: Vec<u32>,
    /// The sequence number of the next event to read.
    cursor: u64,
    /// A reset event to send before anything else.
    reset: Option<Encoded>,
    closed: bool,
}

impl core::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscription")
            .field("next_seq", &self.cursor)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Stream for Subscription {
    type Item = Encoded;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Encoded>> {
        self.poll_skipping(cx, |_| false)
    }
}

impl Subscription {
    /// [`poll_next`](Stream::poll_next), passing over the events whose own id `skip` says were
    /// already delivered another way (a replay from a shared log).
    pub(crate) fn poll_skipping(
        &mut self,
        cx: &mut Context<'_>,
        skip: impl Fn(&str) -> bool,
    ) -> Poll<Option<Encoded>> {
        let this = self;
        if let Some(reset) = this.reset.take() {
            return Poll::Ready(Some(reset));
        }
        if this.closed {
            return Poll::Ready(None);
        }
        let config = &this.shared.config;
        let mut state = this.shared.lock();
        let front = state.front();
        let behind = state.next_seq - this.cursor.min(state.next_seq);
        if this.cursor < front || config.max_lag.is_some_and(|lag| behind > lag as u64) {
            // Missed events it cannot get back: say so, then close or skip to the live end.
            let reset = reset_frame(config, &state);
            this.cursor = state.next_seq;
            this.closed = config.on_lag == OnLag::Close;
            return Poll::Ready(Some(reset));
        }
        // The log holds `front..next_seq` in order, so the cursor's entry is at a known index.
        let start = (this.cursor - front) as usize;
        let found = state
            .log
            .range(start..)
            .find(|e| this.topics.contains(&e.topic) && !e.own_id.as_deref().is_some_and(&skip))
            .map(|e| (e.seq, e.bytes.clone()));
        match found {
            Some((seq, bytes)) => {
                this.cursor = seq + 1;
                Poll::Ready(Some(bytes))
            }
            None => {
                this.cursor = state.next_seq;
                if let Some(Some(slot)) = state.subscribers.get_mut(this.key) {
                    match &mut slot.waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        waker => *waker = Some(cx.waker().clone()),
                    }
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let State {
            topics,
            topic_names,
            ..
        } = &mut *state;
        for &index in &self.topics {
            if let Some(topic) = topic_names
                .get(index as usize)
                .and_then(|name| topics.get_mut(name))
            {
                topic.members.retain(|&m| m != self.key);
            }
        }
        if let Some(slot) = state.subscribers.get_mut(self.key) {
            *slot = None;
            state.free.push(self.key);
            state.live_subscribers -= 1;
        }
    }
}
