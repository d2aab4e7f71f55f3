//! The hub's state, behind its one lock: each topic's history, the hub-wide order of retained
//! events, the index of own ids, and each subscriber's place in its topics.
//!
//! # Invariants
//!
//! * Sequence numbers are given out in order from 1, over all topics: `next_seq` is the next.
//! * A topic's `log` holds its newest events, oldest first, sequence numbers increasing; it
//!   has had `published` events, so the local number (0, 1, …) of `log[i]` is
//!   `published - log.len() + i`. Every event of the topic with a sequence number above
//!   `evicted_through` is in its log.
//! * `order` lists every retained event, oldest first, as (sequence number, topic); entries
//!   whose event has left already (or whose topic slot was reused) are skipped when met.
//! * A subscriber reads each of its topics at a local number `next`; an event is unread when
//!   its local number is at or after it. When the hub has a `max_lag`, `unread` is the sum over
//!   its topics of `published - next` (otherwise it is not kept). Its topics with unread events
//!   are marked `Queued` (in `queue`, keyed by the sequence number of the first unread one) or
//!   `Dirty` (in `dirty`, not yet in `queue`); the others are `Idle`, with `next == published`.
//!   The mark is kept in the topic's `members`, where a publish finds it.

use super::config::HubConfig;
use crate::event::Encoded;
use alloc::collections::{BinaryHeap, VecDeque};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::task::Waker;
use std::collections::HashMap;
use std::time::Instant;

/// Freed topics remembered by name, with what they lost to eviction; older ones are folded
/// into one floor that every topic made afterwards starts from.
const FORGOTTEN_MAX: usize = 4096;

pub(super) struct Entry {
    pub(super) seq: u64,
    pub(super) bytes: Encoded,
    /// The caller's own id, when the event came with one.
    pub(super) own_id: Option<Arc<str>>,
    pub(super) at: Option<Instant>,
}

pub(super) struct Topic {
    name: Arc<str>,
    pub(super) log: VecDeque<Entry>,
    bytes: usize,
    /// Events ever published to it.
    pub(super) published: u64,
    pub(super) members: Vec<Member>,
    /// The sequence number of the newest event of this topic (or of a forgotten topic) that
    /// left the history: a resume from any later point misses nothing.
    pub(super) evicted_through: u64,
}

impl Topic {
    /// The local number of `log[0]`.
    pub(super) fn front(&self) -> u64 {
        self.published - self.log.len() as u64
    }

    /// The entry with local number `n`, if retained.
    pub(super) fn get(&self, n: u64) -> Option<&Entry> {
        self.log
            .get(usize::try_from(n.checked_sub(self.front())?).ok()?)
    }
}

/// One subscriber of one topic, as the topic sees it. The mark lives here, not with the
/// subscriber, so that a publish reads and writes only the topic's own array for subscribers
/// that already know of unread events.
#[derive(Clone, Copy)]
pub(super) struct Member {
    key: u32,
    /// The index of this topic in the subscriber's `reading`.
    index: u32,
    pub(super) mark: Mark,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Mark {
    Idle,
    Dirty,
    Queued,
}

/// One topic, as a subscriber reads it.
pub(super) struct Reading {
    pub(super) topic: u32,
    /// Its index in the topic's `members`, where its mark is.
    pub(super) member: u32,
    /// The local number of the next event to read.
    pub(super) next: u64,
}

/// The fields a publish touches come first, so that they share a cache line.
#[repr(C)]
pub(super) struct Slot {
    pub(super) waker: Option<Waker>,
    pub(super) unread: u64,
    /// The first `Dirty` topic (`NONE` if none): most subscribers have one topic, and this
    /// spares a publish a visit to `dirty`'s buffer.
    pub(super) dirty_first: u32,
    pub(super) dirty: Vec<u32>,
    pub(super) reading: Vec<Reading>,
    /// (sequence number of the first unread event, index in `reading`), for `Queued` topics.
    pub(super) queue: BinaryHeap<Reverse<(u64, u32)>>,
}

impl Default for Slot {
    fn default() -> Slot {
        Slot {
            waker: None,
            unread: 0,
            dirty_first: NONE,
            dirty: Vec::new(),
            reading: Vec::new(),
            queue: BinaryHeap::new(),
        }
    }
}

/// No topic index.
pub(super) const NONE: u32 = u32::MAX;

impl Slot {
    /// Adds topic `index` to the `Dirty` ones.
    fn push_dirty(&mut self, index: u32) {
        if self.dirty_first == NONE {
            self.dirty_first = index;
        } else {
            self.dirty.push(index);
        }
    }

    /// Takes one `Dirty` topic.
    pub(super) fn pop_dirty(&mut self) -> Option<u32> {
        if self.dirty_first != NONE {
            return Some(core::mem::replace(&mut self.dirty_first, NONE));
        }
        self.dirty.pop()
    }
}

#[derive(Default)]
pub(super) struct State {
    pub(super) next_seq: u64,
    pub(super) topics: Vec<Option<Topic>>,
    free_topics: Vec<u32>,
    names: HashMap<Arc<str>, u32>,
    order: VecDeque<(u64, u32)>,
    retained: usize,
    retained_bytes: usize,
    own_ids: HashMap<Arc<str>, u64>,
    forgotten: HashMap<Arc<str>, u64>,
    floor: u64,
    pub(super) slots: Vec<Option<Slot>>,
    free_slots: Vec<u32>,
    pub(super) live_slots: usize,
    /// Every handle of the hub is gone: subscriptions end after what they are owed.
    pub(super) closed: bool,
}

/// What the hub charges its byte budget per retained event beyond the event's bytes.
pub(super) const OVERHEAD: usize =
    core::mem::size_of::<Entry>() + core::mem::size_of::<(u64, u32)>() + 32;

impl State {
    pub(super) fn new() -> State {
        State {
            next_seq: 1,
            ..State::default()
        }
    }

    pub(super) fn retained(&self) -> (usize, usize) {
        (self.retained, self.retained_bytes)
    }

    pub(super) fn topic_count(&self) -> usize {
        self.names.len()
    }

    /// The sequence number of the event with own id `id`, if retained.
    pub(super) fn own_id(&self, id: &str) -> Option<u64> {
        self.own_ids.get(id).copied()
    }

    /// The own id of the newest retained event, if it has one.
    #[cfg(feature = "redis")]
    pub(super) fn newest_own_id(&self) -> Option<Arc<str>> {
        let &(seq, index) = self.order.back()?;
        let entry = self.topics.get(index as usize)?.as_ref()?.log.back()?;
        (entry.seq == seq).then(|| entry.own_id.clone())?
    }

    /// The topic at `index`, which must be live.
    pub(super) fn topic(&self, index: u32) -> &Topic {
        match &self.topics[index as usize] {
            Some(topic) => topic,
            None => unreachable!("topic {index} is referenced but free"),
        }
    }

    fn topic_mut(&mut self, index: u32) -> &mut Topic {
        match &mut self.topics[index as usize] {
            Some(topic) => topic,
            None => unreachable!("topic {index} is referenced but free"),
        }
    }

    /// The index of topic `name`, made on first use.
    pub(super) fn topic_or_new(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.names.get(name) {
            return index;
        }
        let name: Arc<str> = Arc::from(name);
        let evicted_through = self.forgotten.remove(&name).unwrap_or(0).max(self.floor);
        let topic = Topic {
            name: name.clone(),
            log: VecDeque::new(),
            bytes: 0,
            published: 0,
            evicted_through,
            members: Vec::new(),
        };
        let index = match self.free_topics.pop() {
            Some(index) => {
                self.topics[index as usize] = Some(topic);
                index
            }
            None => {
                self.topics.push(Some(topic));
                (self.topics.len() - 1) as u32
            }
        };
        self.names.insert(name, index);
        index
    }

    /// The newest sequence number that a resume of topic `name` from just after it would find
    /// nothing missing: what left its history, or what may have for a topic it forgot.
    pub(super) fn evicted_through(&self, name: &str) -> u64 {
        match self.names.get(name) {
            Some(&index) => self.topic(index).evicted_through,
            None => self
                .forgotten
                .get(name)
                .copied()
                .unwrap_or(0)
                .max(self.floor),
        }
    }

    /// Frees topic `index` if it has no subscriber and nothing retained.
    fn free_if_unused(&mut self, index: u32) {
        let topic = self.topic(index);
        if !(topic.members.is_empty() && topic.log.is_empty()) {
            return;
        }
        let Some(topic) = self.topics[index as usize].take() else {
            return;
        };
        self.names.remove(&topic.name);
        self.free_topics.push(index);
        if topic.evicted_through > self.floor {
            self.forgotten.insert(topic.name, topic.evicted_through);
            if self.forgotten.len() > FORGOTTEN_MAX {
                self.fold_forgotten();
            }
        }
    }

    /// Forgets the older half of the remembered topics, raising the floor to cover them.
    fn fold_forgotten(&mut self) {
        let mut seqs: Vec<u64> = self.forgotten.values().copied().collect();
        let mid = seqs.len() / 2;
        let (_, &mut cut, _) = seqs.select_nth_unstable(mid);
        self.floor = self.floor.max(cut);
        let floor = self.floor;
        self.forgotten.retain(|_, &mut seq| seq > floor);
        debug_assert!(self.forgotten.len() <= FORGOTTEN_MAX);
    }

    /// Appends an event to topic `index`: returns its sequence number.
    pub(super) fn push(
        &mut self,
        index: u32,
        bytes: Encoded,
        own_id: Option<Arc<str>>,
        at: Option<Instant>,
    ) -> u64 {
        let seq = self.next_seq;
        // At most one more than the number of publishes: 2⁶⁴ is out of reach.
        self.next_seq += 1;
        if let Some(own) = &own_id {
            self.own_ids.insert(own.clone(), seq);
        }
        self.retained += 1;
        self.retained_bytes += bytes.len();
        self.order.push_back((seq, index));
        let topic = self.topic_mut(index);
        topic.bytes += bytes.len();
        topic.published += 1;
        topic.log.push_back(Entry {
            seq,
            bytes,
            own_id,
            at,
        });
        seq
    }

    /// Marks the subscribers of topic `index` as having one more unread event (counted only
    /// when `count` is set, for `max_lag`); their wakers. A subscriber whose mark is not `Idle`
    /// was woken already and has not read this topic since: nothing to do for it.
    pub(super) fn notify(&mut self, index: u32, count: bool, wake: &mut Vec<Waker>) {
        let State { topics, slots, .. } = self;
        let Some(Some(topic)) = topics.get_mut(index as usize) else {
            return;
        };
        for member in &mut topic.members {
            if member.mark != Mark::Idle && !count {
                continue;
            }
            let Some(Some(slot)) = slots.get_mut(member.key as usize) else {
                continue;
            };
            if count {
                slot.unread += 1;
            }
            if member.mark == Mark::Idle {
                member.mark = Mark::Dirty;
                slot.push_dirty(member.index);
                wake.extend(slot.waker.take());
            }
        }
    }

    /// Evicts what the limits no longer allow: topic `index`'s history after a publish to it
    /// (when given), then the hub's oldest events while over the budget or past the age.
    pub(super) fn evict(&mut self, config: &HubConfig, index: Option<u32>, now: Option<Instant>) {
        if let Some(index) = index {
            loop {
                let topic = self.topic(index);
                let over = topic.log.len() > config.history
                    || (topic.bytes > config.history_bytes && topic.log.len() > 1);
                if !over {
                    break;
                }
                self.evict_front(index);
            }
        }
        while let Some(&(seq, index)) = self.order.front() {
            let live = self
                .topics
                .get(index as usize)
                .and_then(Option::as_ref)
                .and_then(|t| t.log.front())
                .filter(|e| e.seq == seq);
            let Some(entry) = live else {
                self.order.pop_front(); // left already
                continue;
            };
            let aged = matches!((config.max_age, now, entry.at),
                (Some(age), Some(now), Some(at)) if now.saturating_duration_since(at) > age);
            let over = self.retained_bytes + self.retained * OVERHEAD > config.hub_bytes
                && self.retained > 1;
            if !(aged || over) {
                break;
            }
            self.order.pop_front();
            self.evict_front(index);
        }
        // Entries of events evicted by their topic's limits stay in `order` until met; sweep
        // them when they outnumber the live ones, so `order` stays within twice the history.
        if self.order.len() > 2 * self.retained + 64 {
            let topics = &self.topics;
            self.order.retain(|&(seq, index)| {
                topics
                    .get(index as usize)
                    .and_then(Option::as_ref)
                    .and_then(|t| t.log.front())
                    .is_some_and(|front| front.seq <= seq)
            });
        }
        debug_assert!(self.order.len() >= self.retained);
        debug_assert!(self.retained == 0 || self.retained_bytes > 0);
    }

    /// Removes the oldest event of topic `index`.
    fn evict_front(&mut self, index: u32) {
        let topic = self.topic_mut(index);
        let Some(old) = topic.log.pop_front() else {
            return;
        };
        topic.bytes -= old.bytes.len();
        debug_assert!(old.seq > topic.evicted_through);
        topic.evicted_through = old.seq;
        self.retained -= 1;
        self.retained_bytes -= old.bytes.len();
        if let Some(own) = &old.own_id {
            self.own_ids.remove(own);
        }
        self.free_if_unused(index);
    }

    /// A new subscriber slot, with no topics yet.
    pub(super) fn new_slot(&mut self) -> u32 {
        self.live_slots += 1;
        match self.free_slots.pop() {
            Some(key) => {
                self.slots[key as usize] = Some(Slot::default());
                key
            }
            None => {
                self.slots.push(Some(Slot::default()));
                (self.slots.len() - 1) as u32
            }
        }
    }

    pub(super) fn slot_mut(&mut self, key: u32) -> &mut Slot {
        match &mut self.slots[key as usize] {
            Some(slot) => slot,
            None => unreachable!("subscriber {key} is live but its slot is free"),
        }
    }

    /// Adds topic `index` to subscriber `key`, which must not read it yet, reading from the
    /// first event with a sequence number of `from` or more.
    pub(super) fn join(&mut self, key: u32, index: u32, from: u64) {
        let State { topics, slots, .. } = self;
        let (Some(Some(topic)), Some(Some(slot))) =
            (topics.get_mut(index as usize), slots.get_mut(key as usize))
        else {
            return;
        };
        // Checked on small topics only: a debug build stays usable with many subscribers.
        debug_assert!(topic.members.len() > 64 || topic.members.iter().all(|m| m.key != key));
        let unread = topic.log.len() - topic.log.partition_point(|e| e.seq < from);
        let next = topic.published - unread as u64;
        let position = slot.reading.len() as u32;
        let mark = if unread > 0 { Mark::Dirty } else { Mark::Idle };
        topic.members.push(Member {
            key,
            index: position,
            mark,
        });
        slot.reading.push(Reading {
            topic: index,
            member: (topic.members.len() - 1) as u32,
            next,
        });
        if unread > 0 {
            slot.push_dirty(position);
            slot.unread += unread as u64;
        }
    }

    /// Moves subscriber `key` to the live end of each of its topics.
    pub(super) fn skip_to_live(&mut self, key: u32) {
        let State { topics, slots, .. } = self;
        let Some(Some(slot)) = slots.get_mut(key as usize) else {
            return;
        };
        for reading in &mut slot.reading {
            if let Some(Some(topic)) = topics.get_mut(reading.topic as usize) {
                reading.next = topic.published;
                topic.members[reading.member as usize].mark = Mark::Idle;
            }
        }
        slot.dirty.clear();
        slot.dirty_first = NONE;
        slot.queue.clear();
        slot.unread = 0;
    }

    /// Removes up to `most` of subscriber `key`'s topics; true when it has none left (and its
    /// slot was freed).
    pub(super) fn leave(&mut self, key: u32, most: usize) -> bool {
        for _ in 0..most {
            let Some(reading) = self.slot_mut(key).reading.pop() else {
                break;
            };
            let topic = self.topic_mut(reading.topic);
            let at = reading.member as usize;
            topic.members.swap_remove(at);
            if let Some(&moved) = topic.members.get(at) {
                // The member that took its place: point its subscriber at the new position.
                self.slot_mut(moved.key).reading[moved.index as usize].member = at as u32;
            }
            self.free_if_unused(reading.topic);
        }
        if !self.slot_mut(key).reading.is_empty() {
            return false;
        }
        self.slots[key as usize] = None;
        self.free_slots.push(key);
        self.live_slots -= 1;
        true
    }
}
