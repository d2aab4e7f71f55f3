//! [`RedisHub`]: the hub's log in a Redis stream, so that many server instances share one
//! ordered log and a client resumes on any of them (feature `redis`).
//!
//! # How it works
//!
//! * [`publish`](RedisHub::publish) is one `XADD key MAXLEN ~ n * data … [event …]`. Redis
//!   gives the entry an id, ordered and unique across every instance; that id is the event's
//!   SSE `id:`, so a browser's `Last-Event-ID` means the same thing on every instance.
//! * Each instance runs one reader task: a blocking `XREAD` from the last id it delivered, which
//!   publishes every entry into a local [`Hub`] that fans it out to that instance's clients. One
//!   read per instance, however many clients; each entry is encoded once per instance.
//! * A client that resumes with an id the local hub still holds is replayed from memory. One it
//!   does not hold (the client comes from another instance, or this one started after the id was
//!   published) is replayed from Redis with `XRANGE`, and then goes on live, with the live
//!   events it already got from the replay passed over: no gap and no duplicate at the seam. An
//!   id older than what Redis kept (trimmed by `MAXLEN`) gets the hub's reset event.
//! * When Redis goes away, `publish` returns [`RedisError`], the reader reports each failure to
//!   [`RedisConfig::on_error`] and reconnects with backoff (100 ms doubling to 5 s), then
//!   resumes after the last id it delivered: clients stay connected and lose nothing Redis kept.

use super::{Hub, HubConfig, Subscription};
use crate::event::{Encoded, Event};
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use futures_core::Stream;
use redis_client::aio::MultiplexedConnection;
use redis_client::streams::{StreamId, StreamRangeReply, StreamReadOptions, StreamReadReply};
use redis_client::AsyncCommands;

use ::redis as redis_client;

/// The local hub's one topic.
const TOPIC: &str = "redis";

/// How long each blocking read waits before it reads again.
const BLOCK: Duration = Duration::from_millis(2000);

/// An error of the Redis connection: the client's own error, which says what failed.
pub type RedisError = redis_client::RedisError;

/// Settings of a [`RedisHub`].
pub struct RedisConfig {
    stream: String,
    max_len: usize,
    history: usize,
    on_error: Arc<dyn Fn(&RedisError) + Send + Sync>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("stream", &self.stream)
            .field("max_len", &self.max_len)
            .field("history", &self.history)
            .finish_non_exhaustive()
    }
}

impl Default for RedisConfig {
    /// Stream key `sse-wire`, `MAXLEN ~ 10000`, the last 10,000 entries kept in memory, errors
    /// reported nowhere.
    fn default() -> Self {
        RedisConfig {
            stream: "sse-wire".to_owned(),
            max_len: 10_000,
            history: 10_000,
            on_error: Arc::new(|_| {}),
        }
    }
}

impl RedisConfig {
    /// The key of the Redis stream.
    pub fn stream(mut self, key: impl Into<String>) -> Self {
        self.stream = key.into();
        self
    }

    /// The approximate length Redis trims the stream to on each `XADD` (`MAXLEN ~`).
    pub fn max_len(mut self, entries: usize) -> Self {
        self.max_len = entries.max(1);
        self
    }

    /// How many entries each instance keeps in memory for replay; older ids are replayed from
    /// Redis.
    pub fn history(mut self, entries: usize) -> Self {
        self.history = entries.max(1);
        self
    }

    /// Called with each error of the reader (a failed read or reconnect), for logs; the reader
    /// goes on trying.
    pub fn on_error(mut self, report: impl Fn(&RedisError) + Send + Sync + 'static) -> Self {
        self.on_error = Arc::new(report);
        self
    }
}

/// A stream id, `<ms>-<seq>`, ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Id(u64, u64);

impl Id {
    fn parse(s: &str) -> Option<Id> {
        let (ms, seq) = s.split_once('-')?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms) || !digits(seq) {
            return None;
        }
        Some(Id(ms.parse().ok()?, seq.parse().ok()?))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

/// The hub's log in a Redis stream. Cloning is cheap: clones share the connection, the reader
/// and the local hub. The reader stops when the last clone is dropped.
///
/// ```no_run
/// # async fn run() -> Result<(), sse_wire::RedisError> {
/// use sse_wire::{Event, EventStream, RedisConfig, RedisHub};
///
/// let hub = RedisHub::connect("redis://127.0.0.1:6379", RedisConfig::default()).await?;
/// let id = hub.publish(&Event::new().data("hello")).await?; // "1700000000000-0"
/// let after = hub.subscribe(Some(id.as_bytes())).await; // replays what followed it, then live
/// let body = EventStream::new(after);
/// # drop(body); Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisHub {
    shared: Arc<Shared>,
}

struct Shared {
    client: redis_client::Client,
    /// The connection for commands other than the reader's; `None` after it failed, made again
    /// on next use.
    writer: std::sync::Mutex<Option<MultiplexedConnection>>,
    hub: Hub,
    config: RedisConfig,
    /// Ends the reader when the last handle goes.
    _stop: tokio::sync::watch::Sender<()>,
}

impl fmt::Debug for RedisHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisHub")
            .field("config", &self.shared.config)
            .field("hub", &self.shared.hub)
            .finish_non_exhaustive()
    }
}

fn connection_config() -> redis_client::AsyncConnectionConfig {
    redis_client::AsyncConnectionConfig::new()
        .set_connection_timeout(Duration::from_secs(2))
        .set_response_timeout(BLOCK + Duration::from_secs(3))
}

impl RedisHub {
    /// Connects to Redis at `url`, loads the last entries of the stream into the local hub,
    /// and starts the reader task (on the current tokio runtime).
    ///
    /// # Errors
    ///
    /// The client's error if the URL is invalid or Redis cannot be reached now.
    pub async fn connect(url: &str, config: RedisConfig) -> Result<RedisHub, RedisError> {
        let client = redis_client::Client::open(url)?;
        let mut writer = client
            .get_multiplexed_async_connection_with_config(&connection_config())
            .await?;
        let hub = Hub::mirroring(HubConfig::default().history(config.history));
        // What the stream holds now, oldest first, so that the reader goes on after it.
        let newest: StreamRangeReply = writer
            .xrevrange_count(&config.stream, "+", "-", config.history)
            .await?;
        let mut last = Id(0, 0);
        for entry in newest.ids.into_iter().rev() {
            if let Some(id) = deliver(&hub, entry, &config) {
                last = id;
            }
        }
        let (stop, stopped) = tokio::sync::watch::channel(());
        let shared = Arc::new(Shared {
            client,
            writer: std::sync::Mutex::new(Some(writer)),
            hub,
            config,
            _stop: stop,
        });
        tokio::spawn(read_forever(Arc::downgrade(&shared), last, stopped));
        Ok(RedisHub { shared })
    }

    /// Publishes `event` with `XADD`: every instance reading the stream delivers it, under the
    /// id Redis gave it, which is returned. The event's data and type are stored (its own id,
    /// comments and `retry` are not: the id is Redis's).
    ///
    /// # Errors
    ///
    /// The client's error if Redis cannot be reached; nothing was published then.
    pub async fn publish(&self, event: &Event) -> Result<String, RedisError> {
        let mut cmd = redis_client::cmd("XADD");
        cmd.arg(&self.shared.config.stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.shared.config.max_len)
            .arg("*")
            .arg("data")
            .arg(event.get_data().unwrap_or_default());
        if let Some(ty) = event.get_event() {
            cmd.arg("event").arg(ty);
        }
        let mut writer = self.writer().await?;
        let result = cmd.query_async(&mut writer).await;
        self.check(&result);
        result
    }

    /// The command connection, made again if the last one failed.
    async fn writer(&self) -> Result<MultiplexedConnection, RedisError> {
        let held = self
            .shared
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(writer) = held {
            return Ok(writer);
        }
        let writer = self
            .shared
            .client
            .get_multiplexed_async_connection_with_config(&connection_config())
            .await?;
        *self.shared.writer.lock().unwrap_or_else(|p| p.into_inner()) = Some(writer.clone());
        Ok(writer)
    }

    /// Drops the command connection after an error that broke it, so the next use reconnects.
    fn check<T>(&self, result: &Result<T, RedisError>) {
        if let Err(e) = result {
            if e.is_unrecoverable_error() || e.is_io_error() || e.is_connection_dropped() {
                *self.shared.writer.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
        }
    }

    /// A subscription to every entry published after `last_event_id` (the raw bytes of a
    /// client's `Last-Event-ID`), replayed from this instance's memory or from Redis, then live;
    /// without one, live entries only. An id Redis no longer holds, or one that is not a stream
    /// id, gets the hub's reset event first.
    pub async fn subscribe(&self, last_event_id: Option<&[u8]>) -> RedisSubscription {
        let hub = &self.shared.hub;
        let Some(raw) = last_event_id else {
            return RedisSubscription::live(hub.subscribe([TOPIC], None));
        };
        if let Some(held) = hub.try_resume([TOPIC], raw) {
            return RedisSubscription::live(held); // replayed from this instance's memory
        }
        match crate::headers::last_event_id(raw).ok().and_then(Id::parse) {
            Some(id) => self.replay_after(id).await,
            None => RedisSubscription::live(hub.subscribe([TOPIC], Some(raw))), // the reset
        }
    }

    /// A subscription to every entry Redis holds, from the oldest, then live.
    pub async fn subscribe_all(&self) -> RedisSubscription {
        self.replay_after(Id(0, 0)).await
    }

    /// Live from now, with the entries after `after` read from Redis first; live entries the
    /// replay already gave are passed over.
    async fn replay_after(&self, after: Id) -> RedisSubscription {
        // Subscribed before reading Redis, so that nothing published meanwhile is missed.
        let live = self.shared.hub.subscribe([TOPIC], None);
        let stream = &self.shared.config.stream;
        let mut subscription = RedisSubscription {
            reset: None,
            queue: Default::default(),
            through: Some(after),
            live,
        };
        let mut writer = None;
        let oldest: Result<StreamRangeReply, _> = match self.writer().await {
            Ok(mut w) => {
                let reply = w.xrange_count(stream, "-", "+", 1).await;
                writer = Some(w);
                reply
            }
            Err(e) => Err(e),
        };
        self.check(&oldest);
        let oldest = match oldest {
            Ok(reply) => reply.ids.first().and_then(|e| Id::parse(&e.id)),
            Err(e) => {
                // Redis is away: say so to the client, which goes on live.
                (self.shared.config.on_error)(&e);
                subscription.reset = Some(self.shared.hub.reset_frame());
                return subscription;
            }
        };
        // Entries between `after` and the oldest one kept may have been trimmed: a possible
        // gap, so the reset event. (An empty stream whose client knows an id was emptied.)
        if after != Id(0, 0) && oldest.map_or(true, |oldest| after < oldest) {
            subscription.reset = Some(self.shared.hub.reset_frame());
            return subscription;
        }
        let Some(mut writer) = writer else {
            return subscription; // not reached: the range above needed the connection
        };
        let replay: Result<StreamRangeReply, _> =
            writer.xrange(stream, format!("({after}"), "+").await;
        self.check(&replay);
        match replay {
            Ok(reply) => {
                for entry in reply.ids {
                    if let Some((id, event)) = to_event(entry, &self.shared.config) {
                        subscription.queue.push_back(Encoded::from(event));
                        subscription.through = Some(id);
                    }
                }
            }
            Err(e) => {
                (self.shared.config.on_error)(&e);
                subscription.reset = Some(self.shared.hub.reset_frame());
            }
        }
        subscription
    }
}

/// The SSE event of a stream entry, taken apart (its text is moved, not copied): `id` the
/// entry's, `data` and `event` its fields. `None` for an entry whose id is not a stream id.
fn to_event(entry: StreamId, config: &RedisConfig) -> Option<(Id, Event)> {
    let StreamId { id, mut map } = entry;
    let mut text = |field: &str| -> Option<String> {
        match map.remove(field)? {
            redis_client::Value::BulkString(bytes) => Some(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
            redis_client::Value::SimpleString(s) => Some(s),
            _ => None,
        }
    };
    let parsed = Id::parse(&id)?;
    // The type first, on an empty event, so that a refused one costs nothing to drop.
    let event = match text("event").map(|ty| Event::new().event(ty)) {
        None => Event::new(),
        Some(Ok(typed)) => typed,
        Some(Err(e)) => {
            let msg = alloc::format!("entry {id} has an event type that cannot be sent: {e}");
            let kind = redis_client::ErrorKind::TypeError;
            (config.on_error)(&RedisError::from((kind, "bad entry", msg)));
            Event::new()
        }
    };
    // A stream id is digits and a dash: it is a valid SSE id.
    let event = event.id(id).ok()?;
    Some((parsed, event.data(text("data").unwrap_or_default())))
}

/// Publishes one entry into the local hub; returns its id.
fn deliver(hub: &Hub, entry: StreamId, config: &RedisConfig) -> Option<Id> {
    let (id, event) = to_event(entry, config)?;
    // An entry delivered twice (after a reconnect) is refused as a duplicate: nothing to do.
    let _ = hub.publish(TOPIC, event);
    Some(id)
}

/// The reader: `XREAD BLOCK` from the last id delivered, forever; reconnects with backoff.
async fn read_forever(
    shared: alloc::sync::Weak<Shared>,
    mut last: Id,
    mut stopped: tokio::sync::watch::Receiver<()>,
) {
    let mut backoff = Duration::from_millis(100);
    let mut reader: Option<MultiplexedConnection> = None;
    loop {
        let Some(this) = shared.upgrade() else { return };
        let connection = match reader.take() {
            Some(c) => Ok(c),
            None => {
                this.client
                    .get_multiplexed_async_connection_with_config(&connection_config())
                    .await
            }
        };
        let result = match connection {
            Ok(mut conn) => {
                let options = StreamReadOptions::default()
                    .block(BLOCK.as_millis() as usize)
                    .count(1000);
                let read: Result<StreamReadReply, _> = conn
                    .xread_options(&[&this.config.stream], &[last.to_string()], &options)
                    .await;
                reader = Some(conn);
                read
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(reply) => {
                backoff = Duration::from_millis(100);
                for entry in reply.keys.into_iter().flat_map(|k| k.ids) {
                    if let Some(id) = deliver(&this.hub, entry, &this.config) {
                        last = id;
                    }
                }
            }
            Err(e) => {
                (this.config.on_error)(&e);
                reader = None;
                drop(this);
                // The stop signal (every handle dropped) ends the wait, and the reader.
                if tokio::time::timeout(backoff, stopped.changed())
                    .await
                    .is_ok()
                {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// One client's view of a [`RedisHub`]: replayed entries first, then live ones, as
/// [`Encoded`] events for an [`EventStream`](crate::EventStream).
pub struct RedisSubscription {
    reset: Option<Encoded>,
    queue: alloc::collections::VecDeque<Encoded>,
    /// Live entries up to this id were replayed already.
    through: Option<Id>,
    live: Subscription,
}

impl fmt::Debug for RedisSubscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSubscription")
            .field("replay_left", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl RedisSubscription {
    fn live(live: Subscription) -> RedisSubscription {
        RedisSubscription {
            reset: None,
            queue: Default::default(),
            through: None,
            live,
        }
    }
}

impl Stream for RedisSubscription {
    type Item = Encoded;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Encoded>> {
        let this = &mut *self;
        if let Some(reset) = this.reset.take() {
            return Poll::Ready(Some(reset));
        }
        if let Some(event) = this.queue.pop_front() {
            return Poll::Ready(Some(event));
        }
        match this.through {
            Some(through) => this
                .live
                .poll_skipping(cx, |own| Id::parse(own).is_some_and(|id| id <= through)),
            None => Pin::new(&mut this.live).poll_next(cx),
        }
    }
}
