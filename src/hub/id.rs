//! The hub's event ids: `{epoch}-{seq}`, and what [`Hub::publish`](super::Hub::publish) returns.
//!
//! `epoch` is 8 lowercase hex digits drawn at random when the hub is made; `seq` is the
//! event's sequence number in decimal, counting from 1 over all the hub's topics (so `0` names
//! the point before the first event). The epoch is what lets the hub tell its own ids from a
//! previous run's, which would otherwise name the wrong events after a restart.

use crate::text::Text;
use alloc::sync::Arc;
use core::fmt;

/// The random part of a hub's ids, different on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Epoch(u32);

impl Epoch {
    /// A new epoch: random, and different from every other epoch made by this process.
    pub(super) fn new() -> Epoch {
        use std::collections::hash_map::RandomState;
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU32, Ordering};
        static MADE: AtomicU32 = AtomicU32::new(0);
        let mut hasher = RandomState::new().build_hasher();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(now);
        hasher.write_u32(std::process::id());
        let random = hasher.finish();
        // Adding an odd multiple of the count keeps this process's epochs distinct.
        let count = MADE.fetch_add(1, Ordering::Relaxed);
        Epoch((random as u32).wrapping_add(count.wrapping_mul(0x9E37_79B9)))
    }

    /// Its 32 random bits.
    #[cfg(feature = "redis")]
    pub(super) fn bits(self) -> u32 {
        self.0
    }

    /// The id of sequence number `seq`, as text (within the inline size for `seq < 10¹³`).
    pub(super) fn id(self, seq: u64) -> Text {
        let mut buf = [0u8; 29];
        let len = self.write(seq, &mut buf);
        // Hex digits, a dash and decimal digits are ASCII.
        Text::from(core::str::from_utf8(&buf[..len]).unwrap_or_default())
    }

    fn write(self, seq: u64, buf: &mut [u8; 29]) -> usize {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (i, slot) in buf[..8].iter_mut().enumerate() {
            *slot = HEX[(self.0 >> (28 - 4 * i)) as usize & 0xf];
        }
        buf[8] = b'-';
        let (digits, start) = crate::text::decimal(u128::from(seq));
        let len = digits.len() - start; // at most 20 for a u64
        buf[9..9 + len].copy_from_slice(&digits[start..]);
        9 + len
    }

    /// The sequence number in `id` if it is one of this epoch's ids, exactly as [`Self::id`]
    /// writes them (no sign, no leading zero, no space).
    pub(super) fn parse(self, id: &str) -> Option<u64> {
        let (epoch, seq) = id.split_once('-')?;
        let own = epoch.len() == 8
            && epoch
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && u32::from_str_radix(epoch, 16) == Ok(self.0);
        let canonical = !seq.is_empty()
            && seq.bytes().all(|b| b.is_ascii_digit())
            && (seq == "0" || !seq.starts_with('0'));
        if !(own && canonical) {
            return None;
        }
        seq.parse().ok()
    }
}

/// What [`Hub::publish`](super::Hub::publish) did with an event: its sequence number and the id
/// clients see (its own id, or the hub's). `Display` writes the id.
///
/// ```
/// use sse_wire::{Event, Hub};
///
/// let hub = Hub::default();
/// let first = hub.publish("news", Event::new().data("one"))?;
/// let second = hub.publish("news", Event::new().id("mine")?.data("two"))?;
/// assert_eq!((first.seq(), second.seq()), (1, 2));
/// assert!(first.to_string().ends_with("-1")); // "{epoch}-1"
/// assert_eq!(second.to_string(), "mine");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Published {
    pub(super) seq: u64,
    pub(super) id: PublishedId,
}

#[derive(Debug, Clone)]
pub(super) enum PublishedId {
    Hub(Epoch),
    Own(Arc<str>),
}

impl Published {
    /// The event's sequence number: in a [`Hub`](super::Hub), 1 for the first event published,
    /// then one more for each, over all topics; in a Redis hub, the same within its shard.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// What a hub on a shared log returns: the entry's number and an id naming it.
    #[cfg(feature = "redis")]
    pub(super) fn shared(seq: u64, id: alloc::string::String) -> Published {
        Published {
            seq,
            id: PublishedId::Own(Arc::from(id)),
        }
    }
}

impl fmt::Display for Published {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            PublishedId::Hub(epoch) => {
                let mut buf = [0u8; 29];
                let len = epoch.write(self.seq, &mut buf);
                f.write_str(core::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?)
            }
            PublishedId::Own(id) => f.write_str(id),
        }
    }
}

/// Why a hub refused to publish an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The event's own id is the id of an event the hub still retains: a `Last-Event-ID` equal
    /// to it could not say which one the client saw.
    #[error("an event with id {id:?} is still retained; own ids must be unique")]
    DuplicateId {
        /// The id.
        id: alloc::string::String,
    },
    /// The hub's shared log could not be reached, or did not answer in time: nothing was
    /// published. The reason is the log client's.
    #[error("the hub's log is unavailable: {reason}")]
    Unavailable {
        /// What failed.
        reason: alloc::string::String,
    },
    /// The hub's shared log answered with an error (out of memory, a key of another type, …):
    /// nothing was published.
    #[error("the hub's log refused the command: {reason}")]
    Rejected {
        /// Its answer.
        reason: alloc::string::String,
    },
    /// The event carries an id of its own, which a hub on a shared log cannot keep: its ids
    /// are the log's.
    #[error("a hub on a shared log gives every event its id; this one has its own")]
    OwnId,
    /// An entry of the shared log is not one the hub wrote: it was passed over (reported to
    /// the Redis hub's error callback).
    #[error("entry {entry} of the hub's log is not the hub's: {reason}")]
    ForeignEntry {
        /// The entry's id.
        entry: alloc::string::String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back_exactly() {
        let epoch = Epoch(0x00c0_ffee);
        for seq in [0, 1, 9, 10, 12_345, u64::MAX] {
            let id = epoch.id(seq);
            assert_eq!(epoch.parse(id.as_str()), Some(seq), "{}", id.as_str());
        }
        assert_eq!(epoch.id(42).as_str(), "00c0ffee-42");
        for bad in [
            "00c0ffee-",
            "00c0ffee-01",
            "00c0ffee-+1",
            "00c0ffee- 1",
            "00C0FFEE-1",
            "0c0ffee-1",
            "00c0ffef-1",
            "00c0ffee-18446744073709551616",
            "00c0ffee1",
            "",
        ] {
            assert_eq!(epoch.parse(bad), None, "{bad}");
        }
        assert_ne!(Epoch::new(), Epoch::new());
    }
}
