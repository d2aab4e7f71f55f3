//! [`RedisHub`]: the hub with its log in Redis streams, so that many server instances share
//! one log and a client resumes on any of them (feature `redis`). The model is in
//! [`RedisHub`]'s documentation, where users read it.

mod conn;
mod position;
mod reader;
mod remote;

use remote::Remote;

use super::{Hub, HubConfig, HubError, Published, Subscription};
use crate::event::{Encoded, Event};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use conn::{Conn, Target};
use core::fmt;
use position::{fingerprint, keys, shard_of, Cut};
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use ::redis as redis_client;

/// The start of both scripts: creates the shard (a new random epoch, passed in, and an empty
/// stream) when its counter is missing.
macro_rules! create_if_missing {
    () => {
        r"
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'offset', 0)
end
"
    };
}

/// The publish script: numbers the entry, appends it trimmed; returns the epoch and the
/// entry's number. Entry fields: `t` topic, `b` the encoded event (no id), `a` the publisher's
/// clock in ms.
const PUBLISH: &str = concat!(
    create_if_missing!(),
    r"
local n = redis.call('HINCRBY', KEYS[2], 'offset', 1)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[6], ARGV[2], n .. '-*', 't', ARGV[3], 'b', ARGV[4], 'a', ARGV[5])
return {epoch, n}
"
);

/// Creates the shard if it is missing; returns its epoch and counter.
const ENSURE: &str = concat!(
    create_if_missing!(),
    r"
return {epoch, redis.call('HGET', KEYS[2], 'offset')}
"
);

/// Settings of a [`RedisHub`]; the hub in memory on each instance takes a [`HubConfig`].
#[derive(Clone)]
pub struct RedisConfig {
    prefix: String,
    shards: usize,
    max_len: usize,
    exact: bool,
    page: usize,
    on_error: Arc<dyn Fn(&HubError) + Send + Sync>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("prefix", &self.prefix)
            .field("shards", &self.shards)
            .field("max_len", &self.max_len)
            .field("page", &self.page)
            .finish_non_exhaustive()
    }
}

impl Default for RedisConfig {
    /// Key prefix `sse-wire`, one shard, `MAXLEN ~ 100000` entries per shard, pages of 100
    /// entries, errors reported nowhere.
    fn default() -> Self {
        RedisConfig {
            prefix: "sse-wire".to_owned(),
            shards: 1,
            max_len: 100_000,
            exact: false,
            page: 100,
            on_error: Arc::new(|_| {}),
        }
    }
}

impl RedisConfig {
    /// The prefix of the keys: shard `n` is `{prefix:n}:log` (a stream) and `{prefix:n}:meta`
    /// (its epoch and counter). Without `{` or `}`, which would change the cluster slots.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How many shards the topics are spread over (at least 1). Every instance must use the
    /// same number for the same prefix, and ids carry one number per shard; more shards spread
    /// the load over a Redis Cluster's nodes.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1);
        self
    }

    /// The approximate number of entries each shard keeps (`MAXLEN ~`): how far back a client
    /// can resume.
    pub fn max_len(mut self, entries: usize) -> Self {
        self.max_len = entries.max(1);
        self
    }

    /// Trim each shard to exactly [`max_len`](Self::max_len) entries (`MAXLEN =`), instead of
    /// letting Redis trim whole nodes of about 100 entries when it is cheap (`MAXLEN ~`, the
    /// default): for a small `max_len` that must hold exactly.
    pub fn trim_exactly(mut self, exact: bool) -> Self {
        self.exact = exact;
        self
    }

    /// How many entries a resuming subscriber reads from Redis at a time: what bounds its
    /// memory.
    pub fn page(mut self, entries: usize) -> Self {
        self.page = entries.max(1);
        self
    }

    /// Called with each error the hub meets where no caller can be told: a reader's failed
    /// read or reconnect, a replay that must wait, an entry it passes over. For logs; the hub
    /// goes on trying.
    pub fn on_error(mut self, report: impl Fn(&HubError) + Send + Sync + 'static) -> Self {
        self.on_error = Arc::new(report);
        self
    }
}

/// The hub with its log in Redis: the same topics, replay, limits and reset event as
/// [`Hub`], shared by every instance connected to the same Redis (or Redis Cluster) with the
/// same prefix. Cloning is cheap: clones share the connections, the readers and the hub in
/// memory; the readers stop when the last clone is dropped.
///
/// # How it works
///
/// * **Shards.** Topics map to a fixed number of shards ([`RedisConfig::shards`], one by
///   default) by a hash of their name; each shard is one Redis stream and a counter, under one
///   hash tag, so that a Redis Cluster puts each shard in one slot and spreads the shards over
///   its nodes. A topic costs Redis nothing of its own: memory grows with entries, not topics.
/// * **Publish** is one script call on the topic's shard: it numbers the entry with the shard's
///   counter and appends it, trimmed to [`RedisConfig::max_len`]. One round trip, atomic, and
///   the entry holds the event already encoded, so readers copy it out as it is.
/// * **Read.** Each instance reads each shard once (a blocking `XREAD` per shard), whatever
///   its number of clients or topics, and publishes every entry into a hub in memory (the
///   [`HubConfig`] limits), which fans it out to that instance's subscribers.
/// * **Ids** name a cut through the shards (`{epoch}-{n}` with one shard; with more,
///   `{fingerprint}-{n₀}.{n₁}…`, each shard's number): a client resumes from it exactly on any
///   instance. An id this instance still holds is served
///   from memory; any other is served from Redis, one page ([`RedisConfig::page`]) at a time,
///   then the subscription joins the live events at a point it reached exactly. A subscriber
///   whose unread events leave the memory (a burst larger than it) goes back to Redis the same
///   way: it is reset only for what Redis no longer has, for an id of another epoch, from the
///   future or malformed, and by [`HubConfig::max_lag`] if set. With
///   [`HubConfig::max_age`], an entry's age in Redis is judged by its publisher's clock.
/// * **Faults.** When Redis goes away, `publish` fails with [`HubError::Unavailable`], readers
///   report to [`RedisConfig::on_error`] and reconnect with backoff, subscribers wait. When a
///   shard comes back empty (Redis restarted without its data, or the keys were deleted), it
///   gets a new epoch: every subscriber of the instance gets the reset event, since what was
///   lost is unknown, and older ids get it too.
///
/// # Why shards, counters and cuts
///
/// A stream per topic would cost Redis a key and a stream's overhead per topic, and each
/// instance a read per topic; one stream for every topic cannot grow past one Redis node. A
/// fixed number of shards costs neither: each is read once per instance, and a Redis Cluster
/// spreads them. The counter and epoch are written by the same script as the entry (the
/// bookkeeping production hubs such as Centrifugo use), so an entry's number never depends
/// on a clock, and numbers from a log that was lost are told apart by their epoch. A client
/// sends one `Last-Event-ID` for all its topics, which may live in several shards: hence an id
/// that names a position in every shard.
///
/// The price: Redis keeps the last [`max_len`](RedisConfig::max_len) entries of each *shard*,
/// whatever their topics, while each instance's memory keeps [`HubConfig::history`] per
/// topic. A client that resumes on an instance holding its id is served from memory, per
/// topic; with several shards, one that resumes on another instance is served from Redis, and
/// a busy topic may have pushed a quiet one's entries out of its shard there. With one shard
/// (the default) every instance gives the same ids, so any instance serves them from memory.
/// And a subscription gets its events in publication order per shard, so per topic; events of
/// topics on different shards may interleave in another order than they were published.
///
/// ```no_run
/// # async fn run() -> Result<(), sse_wire::HubError> {
/// use sse_wire::{Event, EventStream, HubConfig, RedisConfig, RedisHub};
///
/// let hub = RedisHub::connect("redis://127.0.0.1:6379", RedisConfig::default(), HubConfig::default())
///     .await?;
/// let published = hub.publish("room-1", Event::new().data("hello")).await?;
/// // What followed it in room-1, from memory or from Redis, then live; on any instance.
/// let after = hub.subscribe(["room-1"], Some(published.to_string().as_bytes()));
/// let body = EventStream::new(after);
/// # drop(body); Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisHub {
    shared: Arc<Shared>,
}

/// What a shard's reader has delivered, changed only under its lock.
struct Delivered {
    /// Each shard's epoch, as far as this instance knows.
    epochs: Vec<u32>,
    /// The cut after the last entry delivered: its fingerprint is that of `epochs`.
    cut: Cut,
}

struct Shared {
    target: Target,
    /// The connection for publishes and replays; `None` after it broke, made again on use.
    conn: Mutex<Option<Conn>>,
    local: Hub,
    hub_config: HubConfig,
    config: RedisConfig,
    delivered: Mutex<Delivered>,
    /// Bumped when a shard gets a new epoch: every subscriber then gets the reset event.
    generation: AtomicU64,
    publish: redis_client::Script,
    ensure: redis_client::Script,
    /// The runtime the hub was made on, where subscriptions' reads from Redis run.
    runtime: tokio::runtime::Handle,
    /// Ends the readers when the last handle goes.
    _stop: tokio::sync::watch::Sender<()>,
}

impl fmt::Debug for RedisHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisHub")
            .field("config", &self.shared.config)
            .field("local", &self.shared.local)
            .finish_non_exhaustive()
    }
}

impl RedisHub {
    /// Connects to the Redis at `url` (`redis://host:port`), creates the shards that do not
    /// exist yet, and starts one reader per shard on the current tokio runtime. Subscribers get
    /// what is published from then on, and what Redis kept when they resume.
    ///
    /// # Errors
    ///
    /// [`HubError::Unavailable`] if the URL is invalid or Redis cannot be reached now.
    pub async fn connect(
        url: &str,
        config: RedisConfig,
        hub: HubConfig,
    ) -> Result<RedisHub, HubError> {
        RedisHub::start(Target::one(url)?, config, hub).await
    }

    /// Connects to a Redis Cluster through any of its `nodes` (`redis://host:port` each), as
    /// [`connect`](RedisHub::connect) does to one Redis. Each shard lives in one slot; give
    /// [`RedisConfig::shards`] a multiple of the number of masters to spread them.
    ///
    /// # Errors
    ///
    /// [`HubError::Unavailable`] if no node can be reached now.
    pub async fn connect_cluster(
        nodes: &[&str],
        config: RedisConfig,
        hub: HubConfig,
    ) -> Result<RedisHub, HubError> {
        RedisHub::start(Target::cluster(nodes)?, config, hub).await
    }

    async fn start(
        target: Target,
        config: RedisConfig,
        hub: HubConfig,
    ) -> Result<RedisHub, HubError> {
        let mut conn = target.connect().await?;
        let ensure = redis_client::Script::new(ENSURE);
        let mut epochs = Vec::with_capacity(config.shards);
        let mut offsets = Vec::with_capacity(config.shards);
        for shard in 0..config.shards {
            let (epoch, offset) = ensure_shard(&ensure, &mut conn, &config.prefix, shard).await?;
            epochs.push(epoch);
            offsets.push(offset);
        }
        let cut = Cut {
            fingerprint: fingerprint(&epochs),
            offsets,
        };
        let (stop, stopped) = tokio::sync::watch::channel(());
        let shared = Arc::new(Shared {
            target,
            conn: Mutex::new(Some(conn)),
            local: Hub::mirroring(hub.clone()),
            hub_config: hub,
            delivered: Mutex::new(Delivered { epochs, cut }),
            generation: AtomicU64::new(0),
            publish: redis_client::Script::new(PUBLISH),
            ensure,
            config,
            runtime: tokio::runtime::Handle::current(),
            _stop: stop,
        });
        for shard in 0..shared.config.shards {
            tokio::spawn(reader::read_shard(
                Arc::downgrade(&shared),
                shard,
                stopped.clone(),
            ));
        }
        Ok(RedisHub { shared })
    }

    /// Publishes `event` to `topic`: one script call on the topic's shard, after which every
    /// instance delivers it to that topic's subscribers. Returns its number in its shard
    /// ([`Published::seq`]) and an id that resumes after it: with one shard, exactly the id its
    /// subscribers see; with more, a cut with this event's number in its shard and what this
    /// instance had delivered of the others. Never waits for a subscriber.
    ///
    /// # Errors
    ///
    /// * [`HubError::Unavailable`]: Redis cannot be reached or did not answer in time. The
    ///   event may have been published if the answer was lost.
    /// * [`HubError::Rejected`]: Redis answered with an error; nothing was published.
    /// * [`HubError::OwnId`]: the event carries an id of its own.
    pub async fn publish(&self, topic: &str, event: Event) -> Result<Published, HubError> {
        if event.get_id().is_some() {
            return Err(HubError::OwnId);
        }
        let shared = &*self.shared;
        let shard = shard_of(topic, shared.config.shards);
        let (log, meta) = keys(&shared.config.prefix, shard);
        let body = Encoded::from(event).into_bytes();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut conn = shared.conn().await?;
        let reply: Result<(String, u64), _> = shared
            .publish
            .key(&log)
            .key(&meta)
            .arg(new_epoch())
            .arg(shared.config.max_len)
            .arg(topic)
            .arg(&body[..])
            .arg(now)
            .arg(if shared.config.exact { "=" } else { "~" })
            .invoke_async(&mut conn)
            .await;
        let (epoch, n) = shared.check(reply)?;
        let epoch = parse_epoch(&epoch).ok_or_else(|| HubError::Rejected {
            reason: alloc::format!("shard {shard} has a malformed epoch {epoch:?}"),
        })?;
        // The cut: what this instance has delivered, with this entry in its shard. A client
        // resuming from it is owed what follows this entry and what this instance had not yet
        // read elsewhere.
        let cut = {
            let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
            let mut epochs = delivered.epochs.clone();
            let mut offsets = delivered.cut.offsets.clone();
            if epochs[shard] != epoch {
                epochs[shard] = epoch;
            }
            offsets[shard] = n;
            Cut {
                fingerprint: fingerprint(&epochs),
                offsets,
            }
        };
        Ok(Published::shared(n, cut.id()))
    }

    /// A subscription to `topics`, as [`Hub::subscribe`] makes one: with `last_event_id` (the
    /// raw bytes of a client's `Last-Event-ID`), what followed it in those topics, replayed
    /// from this instance's memory or from Redis, then live; without, live from now. An id it
    /// cannot resume gets the reset event first, then live events.
    pub fn subscribe<T: AsRef<str>>(
        &self,
        topics: impl IntoIterator<Item = T>,
        last_event_id: Option<&[u8]>,
    ) -> Subscription {
        let mut names: Vec<Arc<str>> = Vec::new();
        for topic in topics {
            if !names.iter().any(|n| &**n == topic.as_ref()) {
                names.push(Arc::from(topic.as_ref()));
            }
        }
        Subscription::from_source(Remote::new(
            self.shared.clone(),
            names.into(),
            last_event_id,
        ))
    }

    /// How many entries Redis holds that this instance has not delivered yet, over all shards:
    /// 0 when it is up to date. For monitoring, and for waiting until what was published has
    /// reached this instance's subscribers.
    ///
    /// # Errors
    ///
    /// [`HubError::Unavailable`] or [`HubError::Rejected`] when Redis cannot tell.
    pub async fn lag(&self) -> Result<u64, HubError> {
        let shared = &*self.shared;
        let mut conn = shared.conn().await?;
        let mut behind = 0;
        for shard in 0..shared.config.shards {
            let (epoch, head) = shared.head(&mut conn, shard).await?;
            let delivered = shared.delivered.lock().unwrap_or_else(|p| p.into_inner());
            behind += match epoch == Some(delivered.epochs[shard]) {
                true => head.saturating_sub(delivered.cut.offsets[shard]),
                false => head.max(1),
            };
        }
        Ok(behind)
    }

    /// The hub in memory on this instance (for its counts: subscribers, topics, retained).
    pub fn local(&self) -> &Hub {
        &self.shared.local
    }
}

impl Shared {
    /// The command connection, made again if the last one broke.
    async fn conn(&self) -> Result<Conn, HubError> {
        let held = self.conn.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(conn) = held {
            return Ok(conn);
        }
        let conn = self.target.connect().await?;
        *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        Ok(conn)
    }

    /// The result as the crate's, dropping the command connection if the error broke it.
    fn check<T>(&self, result: Result<T, redis_client::RedisError>) -> Result<T, HubError> {
        result.map_err(|e| {
            if conn::broken(&e) {
                *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
            conn::error(e)
        })
    }

    /// Shard `shard`'s epoch (if it exists and is well-formed) and counter.
    async fn head(&self, conn: &mut Conn, shard: usize) -> Result<(Option<u32>, u64), HubError> {
        let (_, meta) = keys(&self.config.prefix, shard);
        let reply: Result<(Option<String>, Option<u64>), _> = redis_client::cmd("HMGET")
            .arg(&meta)
            .arg("epoch")
            .arg("offset")
            .query_async(conn)
            .await;
        let (epoch, head) = self.check(reply)?;
        Ok((epoch.as_deref().and_then(parse_epoch), head.unwrap_or(0)))
    }

    /// Reports an error no caller can be told of.
    fn report(&self, error: &HubError) {
        (self.config.on_error)(error);
    }
}

/// Creates shard `shard` if it is missing: its epoch and counter.
async fn ensure_shard(
    script: &redis_client::Script,
    conn: &mut Conn,
    prefix: &str,
    shard: usize,
) -> Result<(u32, u64), HubError> {
    let (log, meta) = keys(prefix, shard);
    let reply: (String, u64) = script
        .key(&log)
        .key(&meta)
        .arg(new_epoch())
        .invoke_async(conn)
        .await
        .map_err(conn::error)?;
    let epoch = parse_epoch(&reply.0).ok_or_else(|| HubError::Rejected {
        reason: alloc::format!("shard {shard} has a malformed epoch {:?}", reply.0),
    })?;
    Ok((epoch, reply.1))
}

/// A new epoch, as the scripts store it: 8 lowercase hex digits, random.
fn new_epoch() -> String {
    alloc::format!("{:08x}", super::id::Epoch::new().bits())
}

fn parse_epoch(s: &str) -> Option<u32> {
    (s.len() == 8 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| u32::from_str_radix(s, 16).ok())
        .flatten()
}

/// The bytes subscribers get for an entry: `id: {id}` then the entry's encoded event.
fn with_id(id: &str, body: &[u8]) -> Encoded {
    let mut bytes = Vec::with_capacity(5 + id.len() + body.len());
    bytes.extend_from_slice(b"id: ");
    bytes.extend_from_slice(id.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(body);
    Encoded::from_trusted(bytes::Bytes::from(bytes))
}

/// Whether `body` is one event as the hub's publish encodes it, with no id: field lines with
/// no CR and no `id` field, then the empty line that ends the event. What another writer put
/// in the stream must not break the framing of every subscriber's stream.
fn is_event_body(body: &[u8]) -> bool {
    if body == b"\n" {
        return true; // an event with no field
    }
    let Some(fields) = body.strip_suffix(b"\n\n") else {
        return false;
    };
    !body.contains(&b'\r')
        && fields
            .split(|&b| b == b'\n')
            .all(|l| !l.is_empty() && l != b"id" && !l.starts_with(b"id:"))
}
