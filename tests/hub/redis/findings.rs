//! Each problem a Redis hub must not have, found in the first `RedisHub` (one stream, no
//! topics); each test failed on it.

use super::servers::{self, STEP};
use futures_util::StreamExt;
use sse_wire::decode::Decoder;
use sse_wire::{Encoded, Event, HubConfig, HubError, RedisConfig, RedisHub, Subscription};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::timeout;

async fn instance(prefix: &str, config: RedisConfig, hub: HubConfig) -> Option<RedisHub> {
    let url = servers::shared()?.url();
    let config = config.prefix(prefix);
    Some(
        timeout(STEP, RedisHub::connect(&url, config, hub))
            .await
            .unwrap()
            .unwrap(),
    )
}

/// Each event a subscription yields within `wait` of the previous one, as (id, type, data) the
/// way a client decodes it; events a client would not dispatch are `(id, "-", "")`.
async fn take(sub: &mut Subscription, n: usize) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let encoded: Encoded = timeout(STEP, sub.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events came: {out:?}", out.len()))
            .expect("the subscription ended");
        out.push(decode(&encoded));
    }
    out
}

fn decode(encoded: &Encoded) -> (String, String, String) {
    let text = std::str::from_utf8(encoded.as_bytes()).unwrap();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap_or("")
        .to_owned();
    let mut decoder = Decoder::new();
    decoder.push(encoded.as_bytes().clone());
    match decoder.next_event() {
        Some(event) => {
            let event = event.unwrap();
            (id, event.event_type().to_owned(), event.data().to_owned())
        }
        None => (id, "-".into(), String::new()),
    }
}

/// Waits until the instance has delivered everything Redis holds.
async fn settle(hub: &RedisHub) {
    timeout(STEP, async {
        while hub.lag().await.unwrap() > 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .unwrap();
}

async fn nothing_more(sub: &mut Subscription) {
    let more = timeout(Duration::from_millis(300), sub.next()).await;
    assert!(
        more.is_err(),
        "unexpected: {:?}",
        more.map(|e| e.map(|e| decode(&e)))
    );
}

/// 1. A burst larger than an instance's memory (here 200 × 32 KiB against 1 MiB) resets no
/// one: subscribers of both instances get every event, in order, from Redis where the memory
/// no longer has them.
#[tokio::test]
async fn a_burst_larger_than_memory_resets_no_one() {
    let prefix = servers::prefix("burst");
    let small = HubConfig::default().hub_bytes(1 << 20);
    let Some(a) = instance(&prefix, RedisConfig::default(), small.clone()).await else {
        return;
    };
    let b = instance(&prefix, RedisConfig::default(), small)
        .await
        .unwrap();
    let mut on_a = a.subscribe(["t"], None);
    let mut on_b = b.subscribe(["t"], None);
    let payload = "x".repeat(32 << 10);
    // One burst, from many publishers at once.
    let publishes = (0..200).map(|n| {
        let (hub, data) = (a.clone(), format!("{n}:{payload}"));
        tokio::spawn(async move { hub.publish("t", Event::new().data(data)).await.unwrap() })
    });
    let mut published: Vec<_> = futures_util::future::join_all(publishes)
        .await
        .into_iter()
        .map(|p| p.unwrap().seq())
        .collect();
    published.sort_unstable();
    for sub in [&mut on_a, &mut on_b] {
        let got = take(sub, 200).await;
        let numbers: Vec<u64> = got
            .iter()
            .map(|(id, ty, data)| {
                assert_eq!(ty, "message", "no reset");
                assert!(data.ends_with(&payload));
                id.rsplit('-').next().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(numbers, published, "every event once, in order");
    }
}

/// 2. A `Last-Event-ID` from the future (the old format's far future, and one of this hub's ids
/// ahead of its log) gets the reset, and live events are not skipped.
#[tokio::test]
async fn an_id_from_the_future_gets_the_reset_and_live_events_still_come() {
    let prefix = servers::prefix("future");
    let Some(hub) = instance(&prefix, RedisConfig::default(), HubConfig::default()).await else {
        return;
    };
    let last = hub
        .publish("t", Event::new().data("now"))
        .await
        .unwrap()
        .to_string();
    settle(&hub).await;
    let (epoch, n) = last.split_once('-').unwrap();
    let ahead = format!("{epoch}-{}", n.parse::<u64>().unwrap() + 60_000);
    for id in ["9999999999999-0", ahead.as_str()] {
        let mut sub = hub.subscribe(["t"], Some(id.as_bytes()));
        let reset = take(&mut sub, 1).await;
        assert_eq!(reset[0].1, "reset", "{id}");
        hub.publish("t", Event::new().data("live")).await.unwrap();
        assert_eq!(take(&mut sub, 1).await[0].2, "live", "{id}");
    }
}

/// 3. A resuming subscriber reads Redis a page at a time: with 9,999 entries to replay, it
/// holds at most one page (here 100) of them, and its first event comes before the rest are
/// read.
#[tokio::test]
async fn a_resume_reads_redis_one_page_at_a_time() {
    let prefix = servers::prefix("pages");
    let config = RedisConfig::default().page(100);
    // A hub in memory too small to hold the backlog: the replay comes from Redis.
    let small = HubConfig::default().history(10);
    let Some(hub) = instance(&prefix, config.clone(), small.clone()).await else {
        return;
    };
    let kib = "k".repeat(1024);
    let first = hub.publish("t", Event::new().data("first")).await.unwrap();
    for _ in 0..9_999 {
        hub.publish("t", Event::new().data(kib.as_str()))
            .await
            .unwrap();
    }
    let other = instance(&prefix, config, small).await.unwrap();
    let mut sub = other.subscribe(["t"], Some(first.to_string().as_bytes()));
    take(&mut sub, 1).await;
    let held = format!("{sub:?}");
    let queued: usize = held
        .split("queued: ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{held}"));
    assert!(queued < 100, "holds {queued} events: {held}");
    assert_eq!(take(&mut sub, 9_998).await.len(), 9_998);
}

/// 4. After a reset, nothing the reset already named: 300 resumes from a trimmed id while a
/// publisher runs; every event after each reset comes after the reset's id.
#[tokio::test]
async fn after_a_reset_comes_nothing_it_named() {
    let prefix = servers::prefix("after-reset");
    let config = RedisConfig::default().max_len(5).trim_exactly(true);
    let Some(hub) = instance(&prefix, config, HubConfig::default().history(5)).await else {
        return;
    };
    let old = hub
        .publish("t", Event::new().data("old"))
        .await
        .unwrap()
        .to_string();
    for _ in 0..10 {
        hub.publish("t", Event::new().data("x")).await.unwrap();
    }
    let publisher = {
        let hub = hub.clone();
        tokio::spawn(async move {
            loop {
                hub.publish("t", Event::new().data("p")).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let number = |id: &str| -> u64 { id.rsplit('-').next().unwrap().parse().unwrap() };
    for _ in 0..300 {
        let mut sub = hub.subscribe(["t"], Some(old.as_bytes()));
        let got = take(&mut sub, 3).await;
        assert_eq!(got[0].1, "reset");
        let reset = number(&got[0].0);
        assert!(number(&got[1].0) > reset, "{got:?}");
        assert!(number(&got[2].0) > number(&got[1].0), "{got:?}");
    }
    publisher.abort();
}

/// 5. Events without data stay undispatched as they were published (a type alone, a `retry`
/// alone, a comment alone), and an entry another writer left without the hub's fields is
/// passed over and reported, not sent as an empty message.
#[tokio::test]
async fn events_without_data_are_not_dispatched_and_foreign_entries_are_passed_over() {
    let prefix = servers::prefix("no-data");
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let config = RedisConfig::default().on_error(move |e| seen.lock().unwrap().push(e.clone()));
    let Some(hub) = instance(&prefix, config, HubConfig::default()).await else {
        return;
    };
    let mut sub = hub.subscribe(["t"], None);
    hub.publish("t", Event::new().event("ping").unwrap())
        .await
        .unwrap();
    hub.publish("t", Event::new().retry(Duration::from_secs(3)))
        .await
        .unwrap();
    hub.publish("t", Event::new().comment("just a comment"))
        .await
        .unwrap();
    // Another writer numbers an entry as the hub does, without its fields.
    let redis = servers::shared().unwrap();
    let n = redis.cli(&["HINCRBY", &format!("{{{prefix}:0}}:meta"), "offset", "1"]);
    redis.cli(&[
        "XADD",
        &format!("{{{prefix}:0}}:log"),
        &format!("{}-0", n.trim()),
        "data",
        "x",
    ]);
    hub.publish("t", Event::new().data("real")).await.unwrap();
    let got = take(&mut sub, 4).await;
    let kinds: Vec<(&str, &str)> = got
        .iter()
        .map(|(_, t, d)| (t.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [("-", ""), ("-", ""), ("-", ""), ("message", "real")]
    );
    nothing_more(&mut sub).await;
    assert!(
        matches!(&errors.lock().unwrap()[..], [HubError::ForeignEntry { .. }]),
        "{:?}",
        errors.lock().unwrap()
    );
}

/// 6. A shard recreated with lower numbers (its keys deleted and written again) is noticed:
/// subscribers get the reset event, then the new entries; ids of the old epoch get the reset.
#[tokio::test]
async fn a_log_recreated_with_lower_numbers_resets_and_goes_on() {
    let prefix = servers::prefix("recreated");
    let Some(a) = instance(&prefix, RedisConfig::default(), HubConfig::default()).await else {
        return;
    };
    let b = instance(&prefix, RedisConfig::default(), HubConfig::default())
        .await
        .unwrap();
    let mut on_b = b.subscribe(["t"], None);
    let mut old = String::new();
    for n in 0..50 {
        old = a
            .publish("t", Event::new().data(format!("old{n}")))
            .await
            .unwrap()
            .to_string();
    }
    assert_eq!(take(&mut on_b, 50).await.len(), 50);
    let redis = servers::shared().unwrap();
    redis.cli(&[
        "DEL",
        &format!("{{{prefix}:0}}:log"),
        &format!("{{{prefix}:0}}:meta"),
    ]);
    let new = a
        .publish("t", Event::new().data("new0"))
        .await
        .unwrap()
        .to_string();
    assert!(new.ends_with("-1"), "numbered from 1 again: {new}");
    let got = take(&mut on_b, 2).await;
    assert_eq!(
        (got[0].1.as_str(), got[1].2.as_str()),
        ("reset", "new0"),
        "{got:?}"
    );
    let mut resumed = b.subscribe(["t"], Some(old.as_bytes()));
    assert_eq!(take(&mut resumed, 1).await[0].1, "reset");
}

/// A hub on a shared log gives every event its id: one with its own is refused.
#[tokio::test]
async fn an_event_with_its_own_id_is_refused() {
    let prefix = servers::prefix("own-id");
    let Some(hub) = instance(&prefix, RedisConfig::default(), HubConfig::default()).await else {
        return;
    };
    let refused = hub
        .publish("t", Event::new().id("mine").unwrap().data("x"))
        .await;
    assert_eq!(refused.unwrap_err(), HubError::OwnId);
}

/// 100,000 topics cost Redis nothing per topic: one stream and one hash per shard, whatever
/// the number of topics.
#[tokio::test]
async fn topics_cost_redis_no_keys() {
    let prefix = servers::prefix("keys");
    let config = RedisConfig::default().shards(4);
    let Some(hub) = instance(&prefix, config, HubConfig::default()).await else {
        return;
    };
    for n in 0..2_000 {
        hub.publish(&format!("user-{n}"), Event::new().data("x"))
            .await
            .unwrap();
    }
    let redis = servers::shared().unwrap();
    let keys = redis.cli(&["KEYS", &format!("{{{prefix}:*")]);
    assert_eq!(keys.lines().count(), 8, "{keys}");
}
