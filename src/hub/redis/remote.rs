//! [`Remote`]: one subscriber of a Redis hub. Live, it reads the instance's hub in memory;
//! behind it (a resume from another instance, or a burst larger than the memory), it reads
//! Redis one page at a time, then joins the live events at a point it reached exactly.
//!
//! # Invariant
//!
//! `cut` is where the subscriber is: for each shard, every entry of its topics up to that
//! number has been given to it (or named by a reset), and none after. Every event it is given
//! carries the cut just after that event, so a client that resumes with it is owed exactly
//! what follows. Live events carry the instance's cut, so the switch to live happens only at a
//! point of the instance's order where the two are equal; while live, the last live event's id
//! stands for `cut` until something needs it parsed.

use super::conn::Conn;
use super::position::{keys, shard_of, Cut};
use super::{with_id, Shared};
use crate::event::{CheckedId, Encoded};
use crate::hub::subscription::{Local, Polled, Source};
use crate::hub::HubError;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use std::sync::atomic::Ordering;

use ::redis as redis_client;

/// How long a subscriber that caught up with Redis waits for this instance's reader to catch
/// up too, before it tries to join the live events again.
const BEHIND: Duration = Duration::from_millis(5);

/// Work for a subscriber, run on the hub's runtime so that a subscription can be polled by
/// any executor; aborted when dropped.
struct Task<T>(tokio::task::JoinHandle<T>);

impl<T: Send + 'static> Task<T> {
    fn spawn(shared: &Shared, work: impl Future<Output = T> + Send + 'static) -> Task<T> {
        Task(shared.runtime.spawn(work))
    }

    /// Its output; `None` if it panicked or was cancelled with its runtime.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.0).poll(cx).map(Result::ok)
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A wait of `duration` on the hub's runtime.
fn pause(shared: &Shared, duration: Duration) -> Task<()> {
    Task::spawn(shared, tokio::time::sleep(duration))
}

/// What a task that did not finish is reported as.
fn cancelled() -> HubError {
    HubError::Unavailable {
        reason: "a read from Redis was cancelled".into(),
    }
}

pub(super) struct Remote {
    hub: Weak<Shared>,
    topics: Arc<[Arc<str>]>,
    /// The distinct shards of its topics, ascending.
    shards: Vec<usize>,
    cut: Cut,
    /// The id of the last live event given, when `cut` has not taken it in yet: parsed only
    /// when the cut is needed (a fall back to Redis, a renewal), not for every live event.
    live_id: Option<Arc<str>>,
    /// The hub's generation this subscriber's cut belongs to, and the shards' epochs then.
    generation: u64,
    epochs: Vec<u32>,
    reset: Option<Encoded>,
    /// Events read from Redis and not yet given: at most one page.
    queue: VecDeque<Encoded>,
    phase: Phase,
    /// The wait after a failed read, doubled up to 5 s.
    backoff: Duration,
}

enum Phase {
    /// Reading `shards[next..]` from Redis, each up to the end of its stream, or up to
    /// `until`'s cut, where `until`'s subscription to the hub in memory goes on.
    Reading {
        next: usize,
        until: Option<(Cut, Local)>,
        fetch: Option<Task<Result<Page, HubError>>>,
        /// Waiting for this instance's reader to catch up.
        wait: Option<Task<()>>,
    },
    /// Checking, before a resume from Redis, that the cut's numbers for the shards it does not
    /// read are not from the future or another epoch.
    Checking(Task<Result<bool, HubError>>),
    Live(Local),
    Ended,
}

impl Phase {
    fn reading() -> Phase {
        Phase::Reading {
            next: 0,
            until: None,
            fetch: None,
            wait: None,
        }
    }
}

/// One page of a shard.
struct Page {
    epoch: Option<String>,
    /// The shard's counter: the number of its newest entry.
    head: u64,
    /// The number of its oldest entry kept.
    first: Option<u64>,
    /// When the first entry of the range was published (ms since the Unix epoch).
    first_at: Option<u64>,
    /// Each entry in the range, with its event for the subscriber's topics.
    entries: Vec<(u64, Option<Vec<u8>>)>,
    /// Whether the range was read to its end.
    complete: bool,
}

impl core::fmt::Debug for Remote {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let phase = match &self.phase {
            Phase::Reading { .. } | Phase::Checking(_) => "reading the log",
            Phase::Live(_) => "live",
            Phase::Ended => "ended",
        };
        f.debug_struct("Subscription")
            .field("phase", &phase)
            .field(
                "position",
                &self
                    .live_id
                    .as_deref()
                    .map_or_else(|| self.cut.id(), str::to_owned),
            )
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Remote {
    pub(super) fn new(
        shared: Arc<Shared>,
        topics: Arc<[Arc<str>]>,
        last_event_id: Option<&[u8]>,
    ) -> Remote {
        let count = shared.config.shards;
        let mut shards: Vec<usize> = topics.iter().map(|t| shard_of(t, count)).collect();
        shards.sort_unstable();
        shards.dedup();
        let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
        let mut remote = Remote {
            hub: Arc::downgrade(&shared),
            topics,
            shards,
            cut: delivered.cut.clone(),
            live_id: None,
            generation: shared.generation.load(Ordering::SeqCst),
            epochs: delivered.epochs.clone(),
            reset: None,
            queue: VecDeque::new(),
            phase: Phase::Ended,
            backoff: Duration::from_millis(100),
        };
        drop(delivered);
        let Some(raw) = last_event_id else {
            remote.join_live_now(&shared, None);
            return remote;
        };
        let cut = crate::headers::last_event_id(raw)
            .ok()
            .and_then(|id| Cut::parse(id, count))
            .filter(|cut| cut.fingerprint == remote.cut.fingerprint);
        let Some(cut) = cut else {
            // Another epoch, malformed, or not an id of this hub.
            remote.join_live_now(&shared, Some(()));
            return remote;
        };
        if let Some(held) = shared.local.try_resume(remote.topics.iter(), raw) {
            remote.cut = cut; // this instance still holds everything after it
            remote.phase = live(held);
        } else {
            remote.cut = cut;
            let others: Vec<(usize, u64)> = (0..count)
                .filter(|s| !remote.shards.contains(s))
                .map(|s| (s, remote.cut.offsets[s]))
                .collect();
            remote.phase = match others.is_empty() {
                true => Phase::reading(),
                false => Phase::Checking(check_heads(&shared, others, Duration::ZERO)),
            };
        }
        remote
    }

    /// Goes live at this instance's current point, with the reset event first if `reset`.
    fn join_live_now(&mut self, shared: &Shared, reset: Option<()>) {
        let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
        let live = live(shared.local.subscribe(self.topics.iter(), None));
        self.cut = delivered.cut.clone();
        self.live_id = None;
        self.generation = shared.generation.load(Ordering::SeqCst);
        self.epochs = delivered.epochs.clone();
        drop(delivered);
        if reset.is_some() {
            self.reset = Some(self.reset_frame(shared));
        }
        self.queue.clear();
        self.phase = live;
    }

    /// The reset event, with the subscriber's cut as its id.
    fn reset_frame(&self, shared: &Shared) -> Encoded {
        let event = shared.hub_config.reset.clone();
        Encoded::from(event.id(CheckedId(crate::text::Text::from(self.cut.id().as_str()))))
    }

    /// Shards came back with new epochs: their numbering starts again from 0, and what their
    /// old logs held after the subscriber's place is unknown. The reset event, then the new logs
    /// from their start, read from Redis, then live.
    fn renew(&mut self, shared: &Shared) {
        self.take_live_id();
        let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
        self.generation = shared.generation.load(Ordering::SeqCst);
        for (shard, epoch) in delivered.epochs.iter().enumerate() {
            if self.epochs[shard] != *epoch {
                self.cut.offsets[shard] = 0;
            }
        }
        self.epochs = delivered.epochs.clone();
        self.cut.fingerprint = delivered.cut.fingerprint;
        drop(delivered);
        self.reset = Some(self.reset_frame(shared));
        self.queue.clear();
        self.phase = Phase::reading();
    }

    /// Takes the last live event's id into `cut`.
    fn take_live_id(&mut self) {
        let shards = self.cut.offsets.len();
        if let Some(cut) = self.live_id.take().and_then(|id| Cut::parse(&id, shards)) {
            self.cut = cut;
        }
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Encoded>> {
        loop {
            if let Some(reset) = self.reset.take() {
                return Poll::Ready(Some(reset));
            }
            if let Some(event) = self.queue.pop_front() {
                return Poll::Ready(Some(event));
            }
            let shared = self.hub.upgrade();
            if let Some(shared) = &shared {
                if shared.generation.load(Ordering::SeqCst) != self.generation {
                    self.renew(shared);
                    continue;
                }
            }
            match &mut self.phase {
                Phase::Ended => return Poll::Ready(None),
                // Without the hub too: a live subscription gives what it is owed, then ends.
                Phase::Live(local) => match local.poll_next_item(cx, false) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Polled::Event(bytes, own)) => {
                        if own.is_some() {
                            self.live_id = own;
                        }
                        return Poll::Ready(Some(bytes));
                    }
                    Poll::Ready(Polled::Reset(bytes)) => {
                        // Past `max_lag`: the hub in memory moved it to its live end, which the
                        // reset's id names.
                        if let Some(id) = id_of(&bytes) {
                            self.live_id = Some(Arc::from(id));
                        }
                        return Poll::Ready(Some(bytes));
                    }
                    Poll::Ready(Polled::Evicted) => {
                        self.take_live_id();
                        self.phase = Phase::reading();
                    }
                    Poll::Ready(Polled::End) => self.phase = Phase::Ended,
                },
                _ if shared.is_none() => self.phase = Phase::Ended,
                Phase::Reading { .. } => {
                    let Some(shared) = shared else { continue };
                    if self.poll_reading(cx, &shared).is_pending() {
                        return Poll::Pending;
                    }
                }
                Phase::Checking(check) => {
                    let Some(shared) = shared else { continue };
                    match check.poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Some(Ok(true))) => self.phase = Phase::reading(),
                        Poll::Ready(Some(Ok(false))) => self.join_live_now(&shared, Some(())),
                        Poll::Ready(failed) => {
                            // Redis is away: the check is made again after a wait.
                            shared.report(&failed.and_then(Result::err).unwrap_or_else(cancelled));
                            let others: Vec<(usize, u64)> = (0..self.cut.offsets.len())
                                .filter(|s| !self.shards.contains(s))
                                .map(|s| (s, self.cut.offsets[s]))
                                .collect();
                            self.phase =
                                Phase::Checking(check_heads(&shared, others, self.backoff));
                            self.backoff = (self.backoff * 2).min(Duration::from_secs(5));
                        }
                    }
                }
            }
        }
    }

    /// One step of reading from Redis: ready when there is something to give or the phase
    /// changed.
    fn poll_reading(&mut self, cx: &mut Context<'_>, shared: &Arc<Shared>) -> Poll<()> {
        let Phase::Reading {
            next,
            until,
            fetch,
            wait,
        } = &mut self.phase
        else {
            return Poll::Ready(());
        };
        if let Some(waiting) = wait {
            if waiting.poll(cx).is_pending() {
                return Poll::Pending;
            }
            *wait = None;
        }
        // Shards already at `until` need no read.
        while let (Some(&shard), Some((point, _))) = (self.shards.get(*next), until.as_ref()) {
            if self.cut.offsets[shard] < point.offsets[shard] {
                break;
            }
            *next += 1;
        }
        let Some(&shard) = self.shards.get(*next) else {
            // Every shard read.
            match until.take() {
                Some((point, live)) => {
                    // Every shard it reads is at the point now: the live events' ids fit it.
                    debug_assert!(self
                        .shards
                        .iter()
                        .all(|&s| self.cut.offsets[s] == point.offsets[s]));
                    self.cut = point;
                    self.phase = Phase::Live(live);
                }
                None => self.try_join_live(shared),
            }
            return Poll::Ready(());
        };
        let pending = fetch.get_or_insert_with(|| {
            let end = until.as_ref().map(|(point, _)| point.offsets[shard]);
            let read = read_page(
                shared.clone(),
                shard,
                self.cut.offsets[shard],
                end,
                self.topics.clone(),
            );
            Task::spawn(shared, read)
        });
        let page = match pending.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(page) => page.unwrap_or_else(|| Err(cancelled())),
        };
        *fetch = None;
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                shared.report(&e);
                *wait = Some(pause(shared, self.backoff));
                self.backoff = (self.backoff * 2).min(Duration::from_secs(5));
                return Poll::Ready(());
            }
        };
        if page.complete {
            *next += 1;
        }
        self.backoff = Duration::from_millis(100);
        if !self.page_is_resumable(shared, shard, &page) {
            self.join_live_now(shared, Some(()));
            return Poll::Ready(());
        }
        for (n, body) in page.entries {
            debug_assert!(
                n > self.cut.offsets[shard],
                "a page goes forward from the cut"
            );
            self.cut.offsets[shard] = n;
            if let Some(body) = body {
                self.queue.push_back(with_id(&self.cut.id(), &body));
            }
        }
        Poll::Ready(())
    }

    /// Whether `page` continues the subscriber's cut in `shard`: the same epoch, a number that
    /// is not from the future, and nothing after it trimmed or past the age limit.
    fn page_is_resumable(&self, shared: &Shared, shard: usize, page: &Page) -> bool {
        let known = {
            let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
            delivered.epochs[shard]
        };
        let after = self.cut.offsets[shard];
        if page.epoch.as_deref().and_then(super::parse_epoch) != Some(known) || after > page.head {
            return false;
        }
        if after == page.head {
            return true;
        }
        let Some(first) = page.first else {
            return false; // entries after it were published, and none is kept
        };
        // The next entry it is owed left the history by age.
        let aged = match (shared.hub_config.max_age, page.first_at) {
            (Some(age), Some(at)) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                now.saturating_sub(at) > age.as_millis() as u64
            }
            _ => false,
        };
        first <= after + 1 && !aged
    }

    /// Joins the live events if this instance has delivered at least what the subscriber has
    /// read from Redis: what lies between the two is read from Redis first.
    fn try_join_live(&mut self, shared: &Shared) {
        let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
        if delivered.cut.fingerprint != self.cut.fingerprint {
            drop(delivered);
            self.join_live_now(shared, Some(()));
            return;
        }
        let behind = self
            .shards
            .iter()
            .any(|&s| delivered.cut.offsets[s] < self.cut.offsets[s]);
        if behind {
            drop(delivered);
            self.phase = Phase::Reading {
                next: self.shards.len(),
                until: None,
                fetch: None,
                wait: Some(pause(shared, BEHIND)),
            };
            return;
        }
        let live = shared
            .local
            .subscribe(self.topics.iter(), None)
            .into_local();
        let point = delivered.cut.clone();
        drop(delivered);
        self.phase = Phase::Reading {
            next: 0,
            until: live.map(|live| (point, live)),
            fetch: None,
            wait: None,
        };
    }
}

impl Source for Remote {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Encoded>> {
        self.poll_event(cx)
    }
}

/// The phase of a subscription of the hub in memory, which is always a local one.
fn live(sub: crate::hub::Subscription) -> Phase {
    sub.into_local().map_or(Phase::Ended, Phase::Live)
}

/// After `delay`: whether each `(shard, number)` names an entry of the shard's current epoch that was
/// published already.
fn check_heads(
    shared: &Arc<Shared>,
    shards: Vec<(usize, u64)>,
    delay: Duration,
) -> Task<Result<bool, HubError>> {
    let owned = shared.clone();
    Task::spawn(shared, async move {
        let shared = owned;
        tokio::time::sleep(delay).await;
        let mut conn: Conn = shared.conn().await?;
        for (shard, after) in shards {
            let (epoch, head) = shared.head(&mut conn, shard).await?;
            let known = {
                let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
                delivered.epochs[shard]
            };
            if epoch != Some(known) || after > head {
                return Ok(false);
            }
        }
        Ok(true)
    })
}

/// The value of the `id` field of one encoded event.
fn id_of(bytes: &Encoded) -> Option<&str> {
    let text = core::str::from_utf8(bytes.as_bytes()).ok()?;
    text.lines().find_map(|l| l.strip_prefix("id: "))
}

/// Reads one page of shard `shard`: the entries after number `after`, up to `end` (inclusive;
/// the stream's end when `None`), with the checks a resume needs, in one round trip.
async fn read_page(
    shared: Arc<Shared>,
    shard: usize,
    after: u64,
    end: Option<u64>,
    topics: Arc<[Arc<str>]>,
) -> Result<Page, HubError> {
    {
        let (log, meta) = keys(&shared.config.prefix, shard);
        let page = shared.config.page;
        let mut conn: Conn = shared.conn().await?;
        let mut pipe = redis_client::pipe();
        pipe.cmd("HMGET").arg(&meta).arg("epoch").arg("offset");
        pipe.cmd("XRANGE")
            .arg(&log)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(1);
        pipe.cmd("XRANGE")
            .arg(&log)
            .arg(alloc::format!("{}-0", after + 1))
            .arg(end.map_or_else(|| String::from("+"), |e| alloc::format!("{e}-{}", u64::MAX)))
            .arg("COUNT")
            .arg(page);
        type Range = redis_client::streams::StreamRangeReply;
        type Meta = (Option<String>, Option<u64>);
        let reply: Result<(Meta, Range, Range), _> = pipe.query_async(&mut conn).await;
        let ((epoch, head), first, range) = shared.check(reply)?;
        let number = |id: &str| id.split_once('-').and_then(|(n, _)| n.parse::<u64>().ok());
        // Fields are read in place, and an event body is moved out: nothing of an entry is
        // copied here.
        fn field<'a>(entry: &'a redis_client::streams::StreamId, name: &str) -> Option<&'a [u8]> {
            match entry.map.get(name) {
                Some(redis_client::Value::BulkString(b)) => Some(b.as_slice()),
                _ => None,
            }
        }
        let first = first.ids.first().and_then(|entry| number(&entry.id));
        let first_at = range.ids.first().and_then(|entry| {
            let at = core::str::from_utf8(field(entry, "a")?).ok()?;
            at.parse().ok()
        });
        let complete = range.ids.len() < page
            || end.is_some_and(|e| range.ids.last().and_then(|entry| number(&entry.id)) >= Some(e));
        let mut entries = Vec::with_capacity(range.ids.len());
        for mut entry in range.ids {
            let Some(n) = number(&entry.id) else { continue };
            let ours = field(&entry, "t")
                .is_some_and(|t| topics.iter().any(|topic| topic.as_bytes() == t));
            let body = match (ours, entry.map.remove("b")) {
                (true, Some(redis_client::Value::BulkString(b))) if super::is_event_body(&b) => {
                    Some(b)
                }
                _ => None,
            };
            entries.push((n, body));
        }
        Ok(Page {
            epoch,
            head: head.unwrap_or(0),
            first,
            first_at,
            entries,
            complete,
        })
    }
}
