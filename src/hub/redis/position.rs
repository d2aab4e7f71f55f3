//! Where an event sits in the shared log: its topic's shard, the shard's keys, and the ids
//! clients see, which name a cut through every shard.
//!
//! # Ids
//!
//! Each shard is a Redis stream whose entries are numbered 1, 2, … (the entry id `n-*`) by a
//! counter kept beside it, with an epoch: 8 hex digits drawn when the shard is created, so that
//! numbers of a stream that was deleted, or lost with a Redis restart, are never taken for
//! numbers of the one that replaced it. An instance reads every shard and delivers their
//! entries in one order; the id of each event it delivers is the *cut* at that point:
//! `{fingerprint}-{n₀}.{n₁}…`, for each shard the number of the last entry delivered. A client
//! that resumes with it is owed exactly the entries of its topics after that cut, on any
//! instance, whatever the order in which that instance read the shards. With one shard (the
//! default) an id is `{epoch}-{n}`.
//!
//! The fingerprint is the epoch itself with one shard, and a hash of the shards' epochs with
//! more: a shard recreated makes every older id unresumable, which is the safe side.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

/// FNV-1a, 64 bits: the same on every instance and every platform, unlike `std`'s hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The shard of `topic`, among `shards`.
pub(super) fn shard_of(topic: &str, shards: usize) -> usize {
    debug_assert!(shards > 0);
    (fnv1a(topic.as_bytes()) % shards as u64) as usize
}

/// The keys of shard `shard`: its stream and its counter, under one hash tag so that Redis
/// Cluster keeps both in one slot (and a script may touch both), while shards spread over
/// slots.
pub(super) fn keys(prefix: &str, shard: usize) -> (String, String) {
    (
        alloc::format!("{{{prefix}:{shard}}}:log"),
        alloc::format!("{{{prefix}:{shard}}}:meta"),
    )
}

/// The fingerprint of a set of shard epochs.
pub(super) fn fingerprint(epochs: &[u32]) -> u32 {
    match epochs {
        [one] => *one,
        many => {
            let bytes: Vec<u8> = many.iter().flat_map(|e| e.to_be_bytes()).collect();
            let h = fnv1a(&bytes);
            (h ^ (h >> 32)) as u32
        }
    }
}

/// A point in the log: for each shard, the number of the last entry before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cut {
    pub(super) fingerprint: u32,
    pub(super) offsets: Vec<u64>,
}

impl Cut {
    /// The id clients see: `{fingerprint:08x}-{n₀}.{n₁}…`.
    pub(super) fn id(&self) -> String {
        let mut id = String::with_capacity(9 + 8 * self.offsets.len());
        let _ = write!(id, "{:08x}-", self.fingerprint);
        for (i, n) in self.offsets.iter().enumerate() {
            if i > 0 {
                id.push('.');
            }
            let _ = write!(id, "{n}");
        }
        id
    }

    /// The cut `id` names, if it is one with `shards` numbers written exactly as [`Cut::id`]
    /// writes them (lowercase hex, no sign, no leading zero, no space).
    pub(super) fn parse(id: &str, shards: usize) -> Option<Cut> {
        let (fp, rest) = id.split_once('-')?;
        if fp.len() != 8 || !fp.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let fingerprint = u32::from_str_radix(fp, 16).ok()?;
        let offsets = rest
            .split('.')
            .map(|n| {
                let canonical = !n.is_empty()
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && (n == "0" || !n.starts_with('0'));
                canonical.then(|| n.parse::<u64>().ok()).flatten()
            })
            .collect::<Option<Vec<u64>>>()?;
        (offsets.len() == shards).then_some(Cut {
            fingerprint,
            offsets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_parse_back_exactly() {
        for cut in [
            Cut {
                fingerprint: 0x00c0_ffee,
                offsets: alloc::vec![0],
            },
            Cut {
                fingerprint: 0xffff_ffff,
                offsets: alloc::vec![1, 0, u64::MAX],
            },
        ] {
            assert_eq!(Cut::parse(&cut.id(), cut.offsets.len()), Some(cut.clone()));
            assert_eq!(Cut::parse(&cut.id(), cut.offsets.len() + 1), None);
        }
        assert_eq!(Cut::parse("00c0ffee-42", 1).unwrap().id(), "00c0ffee-42");
        for bad in [
            "00c0ffee-",
            "00c0ffee-01",
            "00c0ffee-1.",
            "00c0ffee-+1",
            "00C0FFEE-1",
            "0c0ffee-1",
            "00c0ffee-18446744073709551616",
            "1700000000000-0",
            "",
        ] {
            assert_eq!(Cut::parse(bad, 1), None, "{bad}");
        }
    }

    #[test]
    fn shards_and_keys_are_stable() {
        // Every instance must agree: these values are part of the storage format.
        assert_eq!(shard_of("room-1", 1), 0);
        let spread: std::collections::HashSet<usize> = (0..100)
            .map(|i| shard_of(&alloc::format!("t{i}"), 4))
            .collect();
        assert_eq!(spread.len(), 4);
        assert_eq!(keys("chat", 2).0, "{chat:2}:log");
        assert_eq!(fingerprint(&[7]), 7);
        assert_ne!(fingerprint(&[7, 8]), fingerprint(&[8, 7]));
    }
}
