//! The suite's [`Backend`] on Redis: a tokio runtime and one or two `RedisHub` instances.
//! Publishes go to the instances in turn, and so do subscribes, so that with two instances
//! every id a test resumes with was made by one and is resumed on the other half the time.

use super::servers::{self, STEP};
use crate::suite::{self, Backend};
use futures_util::StreamExt;
use sse_wire::{Event, HubConfig, RedisConfig, RedisHub, Subscription};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

/// Where a backend's instances connect.
#[derive(Clone, Copy)]
pub enum Topology {
    One,
    Two,
    ClusterTwo,
}

pub struct Instances {
    rt: Arc<Runtime>,
    hubs: Vec<RedisHub>,
    publishes: Cell<usize>,
    subscribes: Cell<usize>,
}

impl Instances {
    /// `None` when Redis is missing outside CI.
    pub fn connect(topology: Topology, config: HubConfig, redis: RedisConfig) -> Option<Instances> {
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        );
        let redis = redis.on_error(|e| eprintln!("redis hub: {e}"));
        let hubs = match topology {
            Topology::One | Topology::Two => {
                let url = servers::shared()?.url();
                let n = if matches!(topology, Topology::One) {
                    1
                } else {
                    2
                };
                (0..n)
                    .map(|_| {
                        rt.block_on(RedisHub::connect(&url, redis.clone(), config.clone()))
                            .unwrap()
                    })
                    .collect()
            }
            Topology::ClusterTwo => {
                let nodes: Vec<&str> = servers::cluster()?.iter().map(String::as_str).collect();
                let redis = redis.shards(3);
                (0..2)
                    .map(|_| {
                        rt.block_on(RedisHub::connect_cluster(
                            &nodes,
                            redis.clone(),
                            config.clone(),
                        ))
                        .unwrap()
                    })
                    .collect()
            }
        };
        Some(Instances {
            rt,
            hubs,
            publishes: Cell::new(0),
            subscribes: Cell::new(0),
        })
    }

    fn next(&self, turn: &Cell<usize>) -> &RedisHub {
        turn.set(turn.get() + 1);
        &self.hubs[turn.get() % self.hubs.len()]
    }

    pub fn settle(&self) {
        self.rt.block_on(async {
            for hub in &self.hubs {
                tokio::time::timeout(STEP, async {
                    while hub.lag().await.unwrap() > 0 {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                })
                .await
                .expect("the instances did not catch up with Redis");
            }
        });
    }

    /// What `sub` yields until it has nothing more: once settled, that is when it has nothing
    /// for a while and is live (not reading Redis, whose reads may take longer on a loaded
    /// machine).
    pub fn collect(&self, sub: &mut Subscription, max: usize) -> Vec<String> {
        let rt = self.rt.clone();
        rt.block_on(async {
            let mut out = Vec::new();
            let deadline = tokio::time::Instant::now() + STEP;
            while out.len() < max {
                match tokio::time::timeout(Duration::from_millis(60), sub.next()).await {
                    Ok(Some(e)) => out.push(String::from_utf8(e.into_bytes().to_vec()).unwrap()),
                    Ok(None) => {
                        out.push("END".into());
                        break;
                    }
                    Err(_) if format!("{sub:?}").contains("\"live\"") => break,
                    Err(_) => assert!(tokio::time::Instant::now() < deadline, "{sub:?}"),
                }
            }
            out
        })
    }
}

/// How a suite test's config maps to Redis: a history set smaller than the default is what
/// Redis keeps too, exactly, so that ids that left it are gone from Redis as well; otherwise
/// Redis keeps its default.
fn redis_for(config: &HubConfig) -> RedisConfig {
    let redis = RedisConfig::default().prefix(servers::prefix("suite"));
    let history = format!("{config:?}");
    // `HubConfig` has no getters: read the history from its `Debug`.
    let n: usize = history
        .split("history: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.trim().parse().ok())
        .unwrap();
    match n < 1024 {
        true => redis.max_len(n).trim_exactly(true),
        false => redis,
    }
}

macro_rules! backends {
    ($($backend:ident: $topology:expr, $seen:expr;)*) => {$(
        pub struct $backend(Instances);

        impl Backend for $backend {
            // Polled by the suite with no runtime of its own: a subscription's reads from
            // Redis run on the hub's.
            type Sub = Subscription;
            const PUBLISHED_IDS_ARE_SEEN: bool = $seen;
            fn start(config: HubConfig) -> Self {
                let redis = redis_for(&config);
                match Instances::connect($topology, config, redis) {
                    Some(instances) => $backend(instances),
                    None => panic!("no redis-server (the suite's tests skip before start)"),
                }
            }
            fn publish(&self, topic: &str, event: Event) -> String {
                let hub = self.0.next(&self.0.publishes);
                self.0.rt.block_on(hub.publish(topic, event)).unwrap().to_string()
            }
            fn subscribe(&self, topics: &[&str], last_event_id: Option<&str>) -> Subscription {
                let hub = self.0.next(&self.0.subscribes);
                hub.subscribe(topics.iter().copied(), last_event_id.map(str::as_bytes))
            }
            fn settle(&self) {
                self.0.settle()
            }
            fn collect(&self, sub: &mut Subscription) -> Vec<String> {
                self.0.collect(sub, 100_000)
            }
            fn next_one(&self, sub: &mut Subscription) -> Vec<String> {
                self.0.collect(sub, 1)
            }
        }
    )*};
}

backends! {
    OneInstance: Topology::One, true;
    TwoInstances: Topology::Two, true;
    // Three shards: each instance's ids are its own cuts through them.
    TwoOnCluster: Topology::ClusterTwo, false;
}

/// Each test of the suite, against each Redis topology; skipped (outside CI) without Redis.
macro_rules! suite {
    ($($name:ident)*) => {
        mod one_instance { use super::*; suite!(@each OneInstance; $($name)*); }
        mod two_instances { use super::*; suite!(@each TwoInstances; $($name)*); }
        mod two_on_cluster { use super::*; suite!(@each TwoOnCluster; $($name)*); }
    };
    (@each $backend:ident; $($name:ident)*) => {$(
        #[test]
        fn $name() {
            if servers::available() {
                suite::$name::<$backend>()
            }
        }
    )*};
}

suite! {
    a_quiet_topic_is_not_reset_by_traffic_on_others
    a_quiet_topic_resumes_after_others_rolled_their_history
    several_topics_are_one_stream_resumed_by_one_id
    ids_it_cannot_resume_get_a_reset_that_does_not_loop
    a_reset_after_everything_aged_out_names_where_to_go_on
    a_subscriber_past_max_lag_is_told_where_to_go_on
    dropping_the_hub_ends_subscriptions_after_what_they_are_owed
}

// Not in this list, and why: `own_ids_resume_only_when_retained` (a hub on a shared log gives
// every event its id: `findings::an_event_with_its_own_id_is_refused`), and
// `a_subscriber_whose_events_left_the_history_is_told` (on Redis nothing has left while Redis
// keeps it: `findings::a_burst_larger_than_memory_resets_no_one`).

/// A subscription of a Redis hub is `Send` and `Sync`, like the hub in memory's, whatever its
/// phase: a server may hold it anywhere.
#[test]
fn subscriptions_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Subscription>();
}

/// Polled by another executor than tokio, a subscription still replays from Redis: its reads
/// run on the hub's runtime.
#[test]
fn a_subscription_is_polled_by_any_executor() {
    let Some(hub) = Instances::connect(
        Topology::One,
        HubConfig::default().history(1),
        RedisConfig::default().prefix(servers::prefix("executor")),
    ) else {
        return;
    };
    let first = hub
        .rt
        .block_on(hub.hubs[0].publish("t", Event::new().data("a")))
        .unwrap();
    for data in ["b", "c"] {
        hub.rt
            .block_on(hub.hubs[0].publish("t", Event::new().data(data)))
            .unwrap();
    }
    hub.settle();
    // History 1: "b" is only in Redis.
    let mut sub = hub.hubs[0].subscribe(["t"], Some(first.to_string().as_bytes()));
    let got: Vec<String> = futures_executor::block_on(async {
        let mut got = Vec::new();
        while got.len() < 2 {
            let event = sub.next().await.unwrap();
            got.push(
                suite::field(std::str::from_utf8(event.as_bytes()).unwrap(), "data")
                    .unwrap()
                    .to_owned(),
            );
        }
        got
    });
    assert_eq!(got, ["b", "c"]);
}
