//! A shard's reader: one per shard per instance. A blocking `XREAD` after the last entry it
//! delivered, forever; each entry goes into the instance's hub in memory under the cut id it
//! makes. Reconnects with backoff; notices a shard recreated with a new epoch.

use super::conn::{Conn, BLOCK};
use super::position::{fingerprint, keys};
use super::{ensure_shard, is_event_body, parse_epoch, with_id, Shared};
use crate::hub::HubError;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use core::future::Future;
use core::pin::pin;
use core::task::Poll;
use core::time::Duration;
use redis_client::streams::{StreamId, StreamReadReply};
use std::sync::atomic::Ordering;

use ::redis as redis_client;

/// Entries per read: a burst larger than this is read in several rounds.
const COUNT: usize = 1000;

/// Reads shard `shard` until every handle of the hub is gone.
pub(super) async fn read_shard(
    shared: Weak<Shared>,
    shard: usize,
    mut stopped: tokio::sync::watch::Receiver<()>,
) {
    let mut backoff = Duration::from_millis(100);
    let mut conn: Option<Conn> = None;
    loop {
        let round = async {
            let read = read_once(&shared, shard, &mut conn).await;
            match shared.upgrade() {
                Some(this) => deliver(&this, shard, read),
                None => Ok(()),
            }
        };
        // The stop signal (every handle dropped) ends a blocking read, and the reader.
        let Some(result) = until_stopped(&mut stopped, round).await else {
            return;
        };
        match result {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => {
                if let Some(this) = shared.upgrade() {
                    this.report(&e);
                }
                conn = None;
                if until_stopped(&mut stopped, tokio::time::sleep(backoff))
                    .await
                    .is_none()
                {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// `work`'s output, or `None` when the stop signal comes first.
async fn until_stopped<T>(
    stopped: &mut tokio::sync::watch::Receiver<()>,
    work: impl Future<Output = T>,
) -> Option<T> {
    let mut work = pin!(work);
    let mut stop = pin!(stopped.changed());
    core::future::poll_fn(|cx| {
        if stop.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        work.as_mut().poll(cx).map(Some)
    })
    .await
}

/// What one read found: the shard's epoch, and the entries after what was delivered.
struct Read {
    epoch: Option<String>,
    entries: Vec<StreamId>,
    /// The epoch the read was made under.
    known: u32,
}

/// One blocking read, holding no handle of the hub while it waits.
async fn read_once(
    shared: &Weak<Shared>,
    shard: usize,
    conn: &mut Option<Conn>,
) -> Result<Read, HubError> {
    let (log, meta, known, after, target_conn) = {
        let Some(this) = shared.upgrade() else {
            return Ok(Read {
                epoch: None,
                entries: Vec::new(),
                known: 0,
            });
        };
        let (log, meta) = keys(&this.config.prefix, shard);
        let delivered = this.delivered.lock().unwrap_or_else(|p| p.into_inner());
        let (known, after) = (delivered.epochs[shard], delivered.cut.offsets[shard]);
        drop(delivered);
        let target_conn = match conn.take() {
            Some(c) => Ok(c),
            None => Err(this.target.clone()),
        };
        (log, meta, known, after, target_conn)
    };
    let mut c = match target_conn {
        Ok(c) => c,
        Err(target) => target.connect().await?,
    };
    let mut pipe = redis_client::pipe();
    pipe.cmd("HGET").arg(&meta).arg("epoch");
    pipe.cmd("XREAD")
        .arg("COUNT")
        .arg(COUNT)
        .arg("BLOCK")
        .arg(BLOCK.as_millis() as u64)
        .arg("STREAMS")
        .arg(&log)
        // After every entry numbered `after`, whatever its sequence part.
        .arg(alloc::format!("{after}-{}", u64::MAX));
    let reply: Result<(Option<String>, Option<StreamReadReply>), _> =
        pipe.query_async(&mut c).await;
    let (epoch, read) = reply.map_err(super::conn::error)?;
    *conn = Some(c);
    Ok(Read {
        epoch,
        entries: read
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default(),
        known,
    })
}

/// Delivers what a read found into the hub in memory.
fn deliver(this: &Arc<Shared>, shard: usize, read: Result<Read, HubError>) -> Result<(), HubError> {
    let read = read?;
    let epoch = match read.epoch.as_deref().map(parse_epoch) {
        Some(Some(epoch)) => epoch,
        Some(None) => {
            return Err(HubError::Rejected {
                reason: alloc::format!("shard {shard} has a malformed epoch"),
            })
        }
        // The shard is gone (Redis restarted empty, or its keys were deleted): it is made
        // again, with a new epoch, by the next round or the next publish.
        None => {
            let this = this.clone();
            tokio::spawn(async move {
                if let Ok(mut conn) = this.conn().await {
                    let made = ensure_shard(&this.ensure, &mut conn, &this.config.prefix, shard);
                    if let Err(e) = made.await {
                        this.report(&e);
                    }
                }
            });
            return Ok(());
        }
    };
    if epoch != read.known {
        renew(this, shard, epoch);
        return Ok(()); // what was read belongs to the old epoch's numbering
    }
    let mut delivered = this.delivered.lock().unwrap_or_else(|p| p.into_inner());
    if delivered.epochs[shard] != read.known {
        return Ok(());
    }
    for StreamId { id, mut map } in read.entries {
        let Some(n) = id.split_once('-').and_then(|(n, _)| n.parse::<u64>().ok()) else {
            continue;
        };
        if n <= delivered.cut.offsets[shard] {
            continue; // delivered already (a read repeated after a reconnect)
        }
        delivered.cut.offsets[shard] = n;
        let mut field = |name: &str| match map.remove(name) {
            Some(redis_client::Value::BulkString(bytes)) => Some(bytes),
            _ => None,
        };
        let (topic, body) = (field("t"), field("b"));
        let checked = match (topic.map(String::from_utf8), body) {
            (Some(Ok(topic)), Some(body)) if is_event_body(&body) => Ok((topic, body)),
            (Some(Ok(_)), Some(_)) => Err("its event is not one encoded event without an id"),
            _ => Err("it has no topic or no event"),
        };
        match checked {
            Ok((topic, body)) => {
                let id = delivered.cut.id();
                this.local
                    .publish_encoded(&topic, with_id(&id, &body), Arc::from(id));
            }
            Err(reason) => this.report(&HubError::ForeignEntry { entry: id, reason }),
        }
    }
    Ok(())
}

/// Shard `shard` has a new epoch: its numbering starts again, every id made before it is
/// unresumable, and every subscriber of this instance is told it may have missed events.
fn renew(this: &Shared, shard: usize, epoch: u32) {
    let mut delivered = this.delivered.lock().unwrap_or_else(|p| p.into_inner());
    delivered.epochs[shard] = epoch;
    delivered.cut.offsets[shard] = 0;
    delivered.cut.fingerprint = fingerprint(&delivered.epochs);
    this.generation.fetch_add(1, Ordering::SeqCst);
    drop(delivered);
    this.local.wake_all();
}
