//! Redis failing under a hub: killed and restarted with and without its data, unreachable,
//! stopped (`SIGSTOP`). Each test runs its own `redis-server`. Publishing fails with a typed
//! error while Redis is away, subscribers stay connected, and what Redis kept is delivered
//! exactly once.

use super::servers::{RedisServer, STEP};
use futures_util::StreamExt;
use sse_wire::{Event, HubConfig, HubError, RedisConfig, RedisHub, Subscription};
use std::time::{Duration, Instant};
use tokio::time::timeout;

async fn instance(server: &RedisServer) -> RedisHub {
    let config = RedisConfig::default()
        .prefix("faults")
        .on_error(|e| eprintln!("redis hub: {e}"));
    timeout(
        STEP,
        RedisHub::connect(&server.url(), config, HubConfig::default()),
    )
    .await
    .unwrap()
    .unwrap()
}

/// The next event as (type, data).
async fn next(sub: &mut Subscription) -> (String, String) {
    let encoded = timeout(STEP * 2, sub.next())
        .await
        .expect("no event in time")
        .expect("the subscription ended");
    let text = String::from_utf8(encoded.into_bytes().to_vec()).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .map(str::to_owned)
    };
    (
        field("event").unwrap_or_else(|| "message".into()),
        field("data").unwrap_or_default(),
    )
}

/// Publishes until Redis takes it (it is coming back); the id.
async fn publish_when_back(hub: &RedisHub, data: &str) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        match hub.publish("t", Event::new().data(data)).await {
            Ok(published) => return published.to_string(),
            Err(HubError::Unavailable { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("Redis did not come back: {e}"),
        }
    }
}

fn message(data: &str) -> (String, String) {
    ("message".to_owned(), data.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_with_its_data_loses_nothing() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let hub = instance(&server).await;
    let mut client = hub.subscribe(["t"], None);
    let first = hub
        .publish("t", Event::new().data("m0"))
        .await
        .unwrap()
        .to_string();
    for n in 1..5 {
        hub.publish("t", Event::new().data(format!("m{n}")))
            .await
            .unwrap();
    }
    for n in 0..5 {
        assert_eq!(next(&mut client).await, message(&format!("m{n}")));
    }
    let restart = tokio::task::spawn_blocking(move || {
        server.kill_and_restart(Duration::from_millis(700), true);
        server
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let failed = hub.publish("t", Event::new().data("while down")).await;
    assert!(
        matches!(failed, Err(HubError::Unavailable { .. })),
        "{failed:?}"
    );
    let server = restart.await.unwrap();
    publish_when_back(&hub, "m5").await;
    for n in 6..9 {
        hub.publish("t", Event::new().data(format!("m{n}")))
            .await
            .unwrap();
    }
    for n in 5..9 {
        assert_eq!(
            next(&mut client).await,
            message(&format!("m{n}")),
            "no gap, no duplicate"
        );
    }
    // A client that resumes from before the restart, on another instance, gets it all once.
    let other = instance(&server).await;
    let mut resumed = other.subscribe(["t"], Some(first.as_bytes()));
    for n in 1..9 {
        assert_eq!(next(&mut resumed).await, message(&format!("m{n}")));
    }
    assert!(timeout(Duration::from_millis(300), resumed.next())
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_without_its_data_resets_then_goes_on() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let hub = instance(&server).await;
    let mut client = hub.subscribe(["t"], None);
    let old = hub
        .publish("t", Event::new().data("m0"))
        .await
        .unwrap()
        .to_string();
    assert_eq!(next(&mut client).await, message("m0"));
    let server = tokio::task::spawn_blocking(move || {
        server.kill_and_restart(Duration::from_millis(300), false);
        server
    })
    .await
    .unwrap();
    let new = publish_when_back(&hub, "n0").await;
    assert_ne!(new.split('-').next(), old.split('-').next(), "a new epoch");
    // What was lost is unknown: the reset, then what the new log has.
    assert_eq!(next(&mut client).await.0, "reset");
    assert_eq!(next(&mut client).await, message("n0"));
    let mut resumed = hub.subscribe(["t"], Some(old.as_bytes()));
    assert_eq!(next(&mut resumed).await.0, "reset");
    drop(server);
}

#[tokio::test]
async fn unreachable_redis_is_a_typed_error() {
    let port = crate::common::free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let refused = RedisHub::connect(&url, RedisConfig::default(), HubConfig::default()).await;
    assert!(
        matches!(refused, Err(HubError::Unavailable { .. })),
        "{refused:?}"
    );
    let bad = RedisHub::connect("not a url", RedisConfig::default(), HubConfig::default()).await;
    assert!(bad.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_redis_fails_publishes_in_time_and_loses_nothing() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let hub = instance(&server).await;
    let mut client = hub.subscribe(["t"], None);
    hub.publish("t", Event::new().data("m0")).await.unwrap();
    assert_eq!(next(&mut client).await, message("m0"));
    server.signal("STOP");
    let started = Instant::now();
    let failed = hub.publish("t", Event::new().data("while stopped")).await;
    assert!(
        matches!(failed, Err(HubError::Unavailable { .. })),
        "{failed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(6500),
        "{:?}",
        started.elapsed()
    );
    // The client is still connected, waiting; and a room never used before can be joined.
    assert!(timeout(Duration::from_millis(200), client.next())
        .await
        .is_err());
    let mut newcomer = hub.subscribe(["new room"], None);
    server.signal("CONT");
    publish_when_back(&hub, "m1").await;
    hub.publish("t", Event::new().data("m2")).await.unwrap();
    // "while stopped" may have reached Redis before it stopped answering: then it comes once.
    let mut got = vec![next(&mut client).await];
    if got[0] == message("while stopped") {
        got = vec![next(&mut client).await];
    }
    got.push(next(&mut client).await);
    assert_eq!(got, [message("m1"), message("m2")]);
    assert!(timeout(Duration::from_millis(300), client.next())
        .await
        .is_err());
    hub.publish("new room", Event::new().data("hi"))
        .await
        .unwrap();
    assert_eq!(next(&mut newcomer).await, message("hi"));
}

/// A Redis Cluster master dies and its replica takes over: publishes to its shard fail with a
/// typed error until then, the reader of that shard follows the new master, and the client of
/// topics on every shard gets each event it was owed once, in order per topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_failing_over_to_its_replica_loses_nothing_it_kept() {
    let started = tokio::task::spawn_blocking(|| super::servers::start_cluster(3, 1, false));
    let Some(mut nodes) = started.await.unwrap() else {
        return;
    };
    let urls: Vec<String> = nodes.iter().map(RedisServer::url).collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let config = RedisConfig::default()
        .prefix("failover")
        .shards(3)
        .on_error(|e| eprintln!("redis hub: {e}"));
    let hub = timeout(
        STEP,
        RedisHub::connect_cluster(&urls, config, HubConfig::default()),
    )
    .await
    .unwrap()
    .unwrap();
    // One topic on each of the three shards.
    let topics = ["c", "a", "t"];
    let mut client = hub.subscribe(topics, None);
    let mut owed = Vec::new();
    for n in 0..9 {
        let topic = topics[n % 3];
        let data = format!("{topic}{n}#0");
        hub.publish(topic, Event::new().data(data.as_str()))
            .await
            .unwrap();
        owed.push(data);
    }
    // Shards are read side by side: in order per topic, in any order across shards.
    let mut first = Vec::new();
    for _ in &owed {
        first.push(next(&mut client).await.1);
    }
    for topic in topics {
        let of = |all: &[String]| -> Vec<String> {
            all.iter()
                .filter(|d| d.starts_with(topic))
                .cloned()
                .collect()
        };
        assert_eq!(of(&first), of(&owed));
    }
    // The master of topic "a"'s shard (1), once its replica has everything.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let key = "{failover:1}:log";
    let master = nodes
        .iter()
        .position(|n| {
            n.cli(&["ROLE"]).starts_with("master") && n.cli(&["EXISTS", key]).trim() == "1"
        })
        .expect("the shard's master");
    nodes[master].kill();
    // Publishing goes on: each event retried until Redis takes it; an attempt that failed may
    // still have been kept (its answer was lost), so it may arrive too, once.
    let mut failed = Vec::new();
    let mut published = Vec::new();
    for n in 9..18 {
        let topic = topics[n % 3];
        let deadline = Instant::now() + STEP * 3;
        for attempt in 0.. {
            let data = format!("{topic}{n}#{attempt}");
            match hub.publish(topic, Event::new().data(data.as_str())).await {
                Ok(_) => {
                    published.push(data);
                    break;
                }
                Err(HubError::Unavailable { .. }) if Instant::now() < deadline => {
                    failed.push(data);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no failover: {e}"),
            }
        }
    }
    let live: Vec<&RedisServer> = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != master)
        .map(|(_, n)| n)
        .collect();
    assert!(
        live.iter().any(
            |n| n.cli(&["ROLE"]).starts_with("master") && n.cli(&["EXISTS", key]).trim() == "1"
        ),
        "a replica took over"
    );
    let mut got = Vec::new();
    while got.len() < published.len() {
        let (_, data) = next(&mut client).await;
        got.push(data);
    }
    while let Ok(Some(more)) = timeout(Duration::from_millis(500), client.next()).await {
        got.push(String::from_utf8(more.into_bytes().to_vec()).unwrap());
    }
    for data in &published {
        assert_eq!(
            got.iter().filter(|g| *g == data).count(),
            1,
            "{data} once: {got:?}"
        );
    }
    for data in &got {
        assert!(
            published.contains(data) || failed.contains(data),
            "{data} unexpected: {got:?}"
        );
        assert_eq!(got.iter().filter(|g| *g == data).count(), 1, "{data} twice");
    }
    // In order per topic.
    for topic in topics {
        let numbers: Vec<usize> = got
            .iter()
            .filter(|d| d.starts_with(topic))
            .map(|d| d[1..d.find('#').unwrap()].parse().unwrap())
            .collect();
        assert!(
            numbers.windows(2).all(|w| w[0] <= w[1]),
            "{topic}: {numbers:?}"
        );
    }
}
