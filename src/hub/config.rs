//! [`HubConfig`]: what a hub keeps for replay, per topic and in all, and how it treats a
//! subscriber that falls behind.

use crate::event::{Event, EventType};
use core::time::Duration;

/// What a [`Subscription`](super::Subscription) does when it falls behind: see
/// [`HubConfig::on_lag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnLag {
    /// Send the reset event, then end the stream (the client reconnects, and resumes live).
    Close,
    /// Send the reset event, then go on with the next event published.
    SkipToLive,
}

/// The limits and signals of a [`Hub`](super::Hub).
///
/// Each topic keeps its own history, bounded by [`history`](Self::history) events and
/// [`history_bytes`](Self::history_bytes), so that one busy topic never pushes out another's
/// events. All topics together stay within [`hub_bytes`](Self::hub_bytes), the bound on the
/// hub's memory however many topics there are; when it is reached the hub's oldest events go
/// first, whatever their topic.
///
/// ```
/// use std::time::Duration;
/// use sse_wire::{Event, HubConfig, OnLag};
///
/// let config = HubConfig::default()
///     .history(1_000)
///     .history_bytes(4 << 20)
///     .hub_bytes(256 << 20)
///     .max_age(Duration::from_secs(300))
///     .on_lag(OnLag::SkipToLive)
///     .reset_event(Event::new().event("reload")?.data(""));
/// # Ok::<(), sse_wire::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub(super) history: usize,
    pub(super) history_bytes: usize,
    pub(super) hub_bytes: usize,
    pub(super) max_age: Option<Duration>,
    pub(super) max_lag: Option<u64>,
    pub(super) on_lag: OnLag,
    pub(super) reset: Event,
}

impl Default for HubConfig {
    /// Per topic 1,024 events and 4 MiB; 64 MiB in all; no age limit; a subscriber lags only
    /// when events it has not read leave the history, and is then cut off; the reset event is
    /// `event: reset` with empty data.
    fn default() -> Self {
        HubConfig {
            history: 1024,
            history_bytes: 4 << 20,
            hub_bytes: 64 << 20,
            max_age: None,
            max_lag: None,
            on_lag: OnLag::Close,
            reset: Event::new().event(EventType::new("reset")).data(""),
        }
    }
}

impl HubConfig {
    /// The most events each topic keeps for replay (at least 1).
    pub fn history(mut self, events: usize) -> Self {
        self.history = events.max(1);
        self
    }

    /// The most bytes of encoded events each topic keeps; a topic's newest event is kept
    /// however large.
    pub fn history_bytes(mut self, bytes: usize) -> Self {
        self.history_bytes = bytes;
        self
    }

    /// The most memory all retained events may take together: their encoded bytes plus a
    /// fixed bookkeeping cost per event ([`Hub::EVENT_OVERHEAD`](super::Hub::EVENT_OVERHEAD)).
    /// When a publish goes over it, the hub's oldest events leave first; the newest event is
    /// kept however large.
    pub fn hub_bytes(mut self, bytes: usize) -> Self {
        self.hub_bytes = bytes;
        self
    }

    /// Events older than this leave the history (checked on each publish and subscribe).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// How many events of its own topics a subscriber may have left unread before it counts
    /// as lagging (default: no limit). Whatever this is, a subscriber lags when an event it has
    /// not read leaves the history; events of other topics never count.
    pub fn max_lag(mut self, events: usize) -> Self {
        self.max_lag = Some(events as u64);
        self
    }

    /// What a lagging subscriber does after its reset event (default [`OnLag::Close`]).
    pub fn on_lag(mut self, on_lag: OnLag) -> Self {
        self.on_lag = on_lag;
        self
    }

    /// The event that tells a client it missed events it cannot get back: sent to a subscriber
    /// that lags, and to one whose `Last-Event-ID` the hub cannot resume. Give it data, or
    /// clients will not dispatch it. The hub gives it an id that resumes at the live end, so
    /// that a client reconnecting after it is not reset again.
    pub fn reset_event(mut self, event: Event) -> Self {
        self.reset = event;
        self
    }
}
