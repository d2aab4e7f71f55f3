//! [`Hub`]: publish once to a topic, fan out to its subscribers, replay what a reconnecting
//! client missed.
//!
//! # How it works
//!
//! Each topic keeps its own history: its most recent events, each encoded once when it is
//! published and numbered by one sequence over the whole hub. A [`Subscription`] reads one or
//! many topics; it holds, for each, the position of its next event, and merges them in
//! publication order. Replay and live delivery are the same thing — reading each topic's
//! history from its position on — so a subscriber that resumes after `Last-Event-ID` sees what
//! followed it with no gap and no duplicate at the seam between history and live events,
//! however publishes race with the subscribe: positions are set under the lock that publishes
//! take.
//!
//! A topic's history is bounded by count, by bytes and optionally by age; the whole hub by a
//! byte budget ([`HubConfig`]). A subscriber that falls behind holds no copy of anything: when
//! an event of its topics that it has not read leaves the history, or it is more than
//! [`max_lag`](HubConfig::max_lag) events of its topics behind, it gets the hub's
//! [reset event](HubConfig::reset_event) — an explicit signal that it missed events and should
//! reload its state — and is then cut off or moved to the live end ([`OnLag`]). Traffic on
//! other topics never makes it lag. So memory is bounded whatever clients do, and publishing
//! never waits for anyone.
//!
//! # Ids
//!
//! Each published event gets the next sequence number (1, 2, …, over all topics) and, unless
//! it carries an id of the caller's own, the id `{epoch}-{seq}`: `epoch` is 8 hex digits drawn
//! at random when the hub is made, so an id from a previous run of the server is recognised as
//! such. A client's `Last-Event-ID` resumes when it is the own id of a retained event, or this
//! hub's id of an event already published, and nothing of the subscriber's topics after it
//! has left the history. Anything else — an id of another run, from the future, never given,
//! malformed, or too old — gets the reset event, whose id is this hub's id of the newest event:
//! a client that reconnects with it resumes from there, so resets never loop. Own ids must be
//! unique among retained events ([`HubError::DuplicateId`]).
//!
//! # Cost
//!
//! Publishing touches the topic and its own subscribers only; a subscriber finds its next
//! event without looking at other topics (in steps logarithmic in the number of its own topics
//! with unread events). What still grows with the number of topics is memory traffic: with
//! many, each step is likelier to miss the cache (BENCHMARKS.md has the figures). A resume looks its id up in an index, and a subscribe to many
//! topics registers them in short rounds, so a publisher never waits long behind either.
//!
//! # Memory
//!
//! The retained events, within [`hub_bytes`](HubConfig::hub_bytes) (their bytes plus
//! [`Hub::EVENT_OVERHEAD`] each); per topic with subscribers or retained events, its name and a
//! few dozen bytes; per subscription, a few dozen bytes per topic. A subscriber never queues
//! events, so one that stops reading costs nothing more as publishing goes on. Topics with no
//! subscriber and nothing retained are freed; the hub remembers up to a few thousand of them
//! by name, with how much they lost to eviction, so that their ids are still judged exactly.

mod config;
mod id;
mod log;
#[cfg(feature = "redis")]
pub(crate) mod redis;
mod subscription;

pub use config::{HubConfig, OnLag};
pub use id::{HubError, Published};
pub use subscription::Subscription;

use crate::event::{CheckedId, Encoded, Event};
use crate::headers;
use alloc::sync::Arc;
use alloc::vec::Vec;
use id::{Epoch, PublishedId};
use log::State;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// Topics a subscribe or an unsubscribe handles per taking of the lock: small enough that a
/// publisher never waits long behind a subscription to thousands of topics.
const TOPICS_PER_LOCK: usize = 256;

/// Publish once, deliver to every subscriber of the topic, replay after `Last-Event-ID`.
/// Cloning is cheap: clones share the hub. When the last clone is dropped, every subscription
/// ends after the events it is owed. See the [module documentation](self) for the model.
///
/// ```
/// use futures_util::StreamExt;
/// use sse_wire::{Event, Hub};
///
/// let hub = Hub::default();
/// let mut early = hub.subscribe(["news"], None);
/// let one = hub.publish("news", Event::new().data("one"))?;
/// let two = hub.publish("news", Event::new().data("two"))?;
///
/// futures_executor::block_on(async {
///     // Live subscriber: both events, with the hub's ids.
///     let first = early.next().await.unwrap();
///     assert_eq!(first.as_bytes(), format!("id: {one}\ndata: one\n\n").as_str());
///
///     // A client that reconnects after the first event gets what it missed.
///     let mut resumed = hub.subscribe(["news"], Some(one.to_string().as_bytes()));
///     let next = resumed.next().await.unwrap();
///     assert_eq!(next.as_bytes(), format!("id: {two}\ndata: two\n\n").as_str());
/// });
/// # Ok::<(), sse_wire::HubError>(())
/// ```
#[derive(Clone)]
pub struct Hub {
    handle: Arc<Handle>,
}

/// Held by every `Hub` clone, not by subscriptions: its drop is the last handle's.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.wake_all(true);
    }
}

pub(crate) struct Shared {
    config: HubConfig,
    epoch: Epoch,
    state: Mutex<State>,
    /// Threads waiting in [`Shared::lock`].
    waiting: AtomicUsize,
    /// The reset event carries the newest event's own id instead of the hub's: for a hub
    /// that mirrors a shared log whose ids every instance knows.
    #[cfg(feature = "redis")]
    reset_own: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        // Every change under the lock keeps the invariants step by step (see `log`), and a
        // panic inside it would be a bug in this module: go on with the state as it is.
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        state
    }

    /// Releases the lock between two rounds of a long task, and lets whoever waits for it
    /// (a publisher, say) go first: a mutex is not fair, and the thread that just released
    /// it would otherwise take it again at once.
    fn pause(&self, state: MutexGuard<'_, State>) {
        drop(state);
        for _ in 0..64 {
            if self.waiting.load(Ordering::Relaxed) == 0 {
                return;
            }
            std::thread::yield_now();
        }
    }

    /// The state, locked, with events past their age evicted.
    fn lock_now(&self) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        if self.config.max_age.is_some() {
            state.evict(&self.config, None, Some(Instant::now()));
        }
        state
    }

    /// The first sequence number a subscriber resuming after `last_event_id` is owed, or
    /// `None` when the id names no point of this hub (the topics' own checks come after).
    fn resume_point(&self, state: &State, last_event_id: &[u8]) -> Option<u64> {
        let id = headers::last_event_id(last_event_id).ok()?;
        if let Some(seq) = state.own_id(id) {
            return Some(seq + 1);
        }
        let seq = self.epoch.parse(id)?;
        (seq < state.next_seq).then_some(seq + 1)
    }

    /// Wakes every subscription; with `close`, once the hub is marked closed.
    fn wake_all(&self, close: bool) {
        let mut state = self.lock();
        state.closed |= close;
        let wake: Vec<_> = state
            .slots
            .iter_mut()
            .flatten()
            .filter_map(|slot| slot.waker.take())
            .collect();
        drop(state);
        wake.into_iter().for_each(core::task::Waker::wake);
    }

    /// The reset event, with the id of the newest event: the live end.
    fn reset_frame(&self, state: &State) -> Encoded {
        #[cfg(feature = "redis")]
        if self.reset_own {
            let event = self.config.reset.clone();
            let event = match state.newest_own_id() {
                Some(own) => event.id(CheckedId(crate::text::Text::from(own))),
                None => event,
            };
            return Encoded::from(event);
        }
        let id = self.epoch.id(state.next_seq - 1);
        Encoded::from(self.config.reset.clone().id(CheckedId(id)))
    }
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new(HubConfig::default())
    }
}

impl core::fmt::Debug for Hub {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.handle.shared.lock();
        let (events, bytes) = state.retained();
        f.debug_struct("Hub")
            .field("topics", &state.topic_count())
            .field("retained", &events)
            .field("retained_bytes", &bytes)
            .field("next_seq", &state.next_seq)
            .field("subscribers", &state.live_slots)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// What [`HubConfig::hub_bytes`] charges per retained event beyond its bytes: the hub's
    /// bookkeeping for it.
    pub const EVENT_OVERHEAD: usize = log::OVERHEAD;

    /// A hub with the given limits.
    pub fn new(config: HubConfig) -> Hub {
        Hub::with(config, false)
    }

    /// A hub whose resets carry the newest own id when `reset_own` (see `Shared`).
    fn with(config: HubConfig, reset_own: bool) -> Hub {
        #[cfg(not(feature = "redis"))]
        let _ = reset_own; // only the Redis mirror resets to its own ids
        let shared = Arc::new(Shared {
            config,
            epoch: Epoch::new(),
            state: Mutex::new(State::new()),
            waiting: AtomicUsize::new(0),
            #[cfg(feature = "redis")]
            reset_own,
        });
        Hub {
            handle: Arc::new(Handle { shared }),
        }
    }

    /// Publishes `event` to `topic`: encodes it once, keeps it for replay and wakes that
    /// topic's subscribers. Never waits for a subscriber.
    ///
    /// # Errors
    ///
    /// [`HubError::DuplicateId`] when the event's own id is that of an event still retained.
    pub fn publish(&self, topic: &str, event: Event) -> Result<Published, HubError> {
        let shared = &*self.handle.shared;
        let own_id: Option<Arc<str>> = event.get_id().map(Arc::from);
        let at = shared.config.max_age.map(|_| Instant::now());
        // An event with its own id is encoded before the lock; one that takes the hub's id
        // needs its sequence number first.
        let body: Result<Encoded, Event> = match own_id {
            Some(_) => Ok(Encoded::from(event)),
            None => Err(event),
        };
        let mut wake = Vec::new();
        let mut state = shared.lock();
        if let Some(own) = &own_id {
            if state.own_id(own).is_some() {
                return Err(HubError::DuplicateId {
                    id: alloc::string::String::from(&**own),
                });
            }
        }
        let bytes = body.unwrap_or_else(|event| {
            Encoded::from(event.id(CheckedId(shared.epoch.id(state.next_seq))))
        });
        let index = state.topic_or_new(topic);
        let seq = state.push(index, bytes, own_id.clone(), at);
        state.notify(index, shared.config.max_lag.is_some(), &mut wake);
        state.evict(&shared.config, Some(index), at);
        drop(state);
        wake.into_iter().for_each(core::task::Waker::wake);
        let id = match own_id {
            Some(own) => PublishedId::Own(own),
            None => PublishedId::Hub(shared.epoch),
        };
        Ok(Published { seq, id })
    }

    /// A subscription to `topics`, one stream of their events in publication order. With
    /// `last_event_id` (the raw bytes of a client's `Last-Event-ID` header), it first replays
    /// the retained events of those topics after that id, then goes on live; without, it
    /// starts with the next event published. An id it cannot resume (see the
    /// [module documentation](self#ids)) gets the reset event first, then live events.
    pub fn subscribe<T: AsRef<str>>(
        &self,
        topics: impl IntoIterator<Item = T>,
        last_event_id: Option<&[u8]>,
    ) -> Subscription {
        let shared = &self.handle.shared;
        let mut state = shared.lock_now();
        let key = state.new_slot();
        let (from, mut reset) = match last_event_id.map(|id| shared.resume_point(&state, id)) {
            None => (state.next_seq, false),
            Some(Some(from)) => (from, false),
            Some(None) => (state.next_seq, true),
        };
        let mut joined = HashSet::new();
        let mut topics = topics.into_iter();
        loop {
            let mut round = 0;
            for name in topics.by_ref() {
                let name = name.as_ref();
                // Something of this topic after `from` left the history: it cannot resume.
                reset |= state.evicted_through(name) >= from;
                let index = state.topic_or_new(name);
                if joined.insert(index) {
                    state.join(key, index, from);
                }
                round += 1;
                if round == TOPICS_PER_LOCK {
                    break;
                }
            }
            if round < TOPICS_PER_LOCK {
                break;
            }
            shared.pause(state);
            state = shared.lock();
        }
        let reset = reset.then(|| {
            state.skip_to_live(key);
            shared.reset_frame(&state)
        });
        drop(state);
        Subscription::new(shared.clone(), key, reset)
    }

    /// A hub whose events all carry the ids of a shared log, and whose reset event carries
    /// the newest of them.
    #[cfg(feature = "redis")]
    pub(crate) fn mirroring(config: HubConfig) -> Hub {
        Hub::with(config, true)
    }

    /// A subscription to `topics` that resumes after `last_event_id`, or `None` (and nothing
    /// registered) when this hub cannot resume it: for a caller with another source of replay.
    #[cfg(feature = "redis")]
    pub(crate) fn try_resume<T: AsRef<str>>(
        &self,
        topics: impl IntoIterator<Item = T> + Clone,
        last_event_id: &[u8],
    ) -> Option<Subscription> {
        let shared = &self.handle.shared;
        let state = shared.lock_now();
        let from = shared.resume_point(&state, last_event_id)?;
        let names = topics.clone().into_iter();
        if names
            .into_iter()
            .any(|t| state.evicted_through(t.as_ref()) >= from)
        {
            return None;
        }
        drop(state);
        // Nothing after `from` leaves these topics' histories between the check and the
        // subscribe unless a publish evicts it, which the subscription then reports as a lag.
        let id = self.handle.shared.epoch.id(from - 1);
        Some(self.subscribe(topics, Some(id.as_bytes())))
    }

    /// Publishes already encoded bytes whose id line is `own_id`: for a mirror of a shared log,
    /// whose entries come encoded and numbered. Own ids are the log's, so never duplicates.
    #[cfg(feature = "redis")]
    pub(crate) fn publish_encoded(&self, topic: &str, bytes: Encoded, own_id: Arc<str>) {
        let shared = &*self.handle.shared;
        let at = shared.config.max_age.map(|_| Instant::now());
        let mut wake = Vec::new();
        let mut state = shared.lock();
        debug_assert!(state.own_id(&own_id).is_none(), "a log's ids are unique");
        let index = state.topic_or_new(topic);
        state.push(index, bytes, Some(own_id), at);
        state.notify(index, shared.config.max_lag.is_some(), &mut wake);
        state.evict(&shared.config, Some(index), at);
        drop(state);
        wake.into_iter().for_each(core::task::Waker::wake);
    }

    /// Wakes every subscription, for a backend whose subscriptions check a state of their own.
    #[cfg(feature = "redis")]
    pub(crate) fn wake_all(&self) {
        self.handle.shared.wake_all(false);
    }

    /// The number of live subscriptions.
    pub fn subscribers(&self) -> usize {
        self.handle.shared.lock().live_slots
    }

    /// The number of topics the hub holds: those with a subscriber or a retained event.
    pub fn topics(&self) -> usize {
        self.handle.shared.lock().topic_count()
    }

    /// The number of events retained for replay, over all topics, and their bytes.
    pub fn retained(&self) -> (usize, usize) {
        self.handle.shared.lock().retained()
    }
}
