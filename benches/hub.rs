//! Publishing one event to N subscribers, N = 1, 100, 10,000, each subscriber taking it:
//!
//! * `hub`: `Hub::publish` encodes the event once; each subscription hands out the same
//!   shared bytes (a reference-count bump).
//! * `broadcast_encode_per_client`: the pattern users write today, a tokio `broadcast` channel
//!   of events, each receiver encoding the event for its own client.
//! * `hub_publish_only`: `Hub::publish` alone while every subscriber waits (registered), which
//!   must not grow with N in encoding work: it encodes once and wakes the waiting ones.
//!
//!
//! Then, for many topics:
//!
//! * `per_topic_delivery/T`: T topics, one subscriber each, about 100,000 events retained over
//!   all of them; one event is published to a topic (in a scattered order) and its subscriber
//!   reads it. The time per event must not grow with T.
//! * `resume/1000000`: a subscriber resuming from the middle of 1,000,000 retained events (1,000
//!   topics) and reading its first event.
//! * After criterion, the publisher's wait: one thread publishes and times each call while
//!   another makes resumes (rounds of 200, for 2 s) at 1,000,000 retained events, and then
//!   while subscriptions to 40,000 topics are made and dropped; p50, p99 and max are printed.
//!
//! `cargo bench --bench hub`. Subscribers are polled by hand with a no-op waker, so what is
//! timed is the library's work, not a runtime's scheduling.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use futures_core::Stream;
use futures_util::task::noop_waker;
use sse_wire::{Event, Hub, HubConfig};
use std::pin::Pin;
use std::task::{Context, Poll};

const SUBSCRIBERS: [usize; 3] = [1, 100, 10_000];

fn event(n: u64) -> Event {
    Event::new().event("update").unwrap().data(format!(
        "{{\"n\":{n},\"user\":\"user-{n}\",\"action\":\"update\",\"path\":\"/items/{n}\"}}"
    ))
}

fn bench_fan_out(c: &mut Criterion) {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut g = c.benchmark_group("publish_to_n");
    for n in SUBSCRIBERS {
        g.throughput(Throughput::Elements(n as u64));

        let hub = Hub::new(HubConfig::default().history(1024));
        let mut subs: Vec<_> = (0..n).map(|_| hub.subscribe(["t"], None)).collect();
        let mut i = 0u64;
        g.bench_function(BenchmarkId::new("hub", n), |b| {
            b.iter(|| {
                i += 1;
                hub.publish("t", event(i)).unwrap();
                for sub in &mut subs {
                    match Pin::new(sub).poll_next(&mut cx) {
                        Poll::Ready(Some(bytes)) => drop(std::hint::black_box(bytes)),
                        other => panic!("{other:?}"),
                    }
                }
            })
        });

        let (tx, _) = tokio::sync::broadcast::channel::<Event>(1024);
        let mut rxs: Vec<_> = (0..n).map(|_| tx.subscribe()).collect();
        let mut i = 0u64;
        g.bench_function(BenchmarkId::new("broadcast_encode_per_client", n), |b| {
            b.iter(|| {
                i += 1;
                tx.send(event(i).id(i)).unwrap();
                for rx in &mut rxs {
                    let event = rx.try_recv().unwrap();
                    drop(std::hint::black_box(event.to_bytes()));
                }
            })
        });

        let hub = Hub::new(HubConfig::default().history(1024));
        let mut subs: Vec<_> = (0..n).map(|_| hub.subscribe(["t"], None)).collect();
        let mut i = 0u64;
        g.bench_function(BenchmarkId::new("hub_publish_only", n), |b| {
            b.iter_custom(|iters| {
                let mut timed = std::time::Duration::ZERO;
                for _ in 0..iters {
                    // Untimed: every subscriber takes what it has and waits (its waker
                    // registered), as idle clients do.
                    for sub in &mut subs {
                        while Pin::new(&mut *sub).poll_next(&mut cx).is_ready() {}
                    }
                    i += 1;
                    let event = event(i);
                    let start = std::time::Instant::now();
                    hub.publish("t", event).unwrap();
                    timed += start.elapsed();
                }
                timed
            })
        });
    }
    g.finish();
}

/// A scattered order over `0..n`: consecutive events go to topics far apart in memory.
fn scattered(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

fn bench_topics(c: &mut Criterion) {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut g = c.benchmark_group("per_topic_delivery");
    g.throughput(Throughput::Elements(1));
    let each = sse_wire::Encoded::from(event(1_000_000).id("00000000-1000000").unwrap()).len();
    for topics in [1usize, 100, 10_000, 100_000] {
        let hub = Hub::new(
            HubConfig::default()
                .history(100_000)
                .history_bytes(usize::MAX)
                .hub_bytes(100_000 * (each + Hub::EVENT_OVERHEAD)),
        );
        let names: Vec<String> = (0..topics).map(|t| format!("topic-{t}")).collect();
        let mut subs: Vec<_> = names.iter().map(|n| hub.subscribe([n], None)).collect();
        let order = scattered(topics);
        let mut i = 0usize;
        let mut step = |hub: &Hub, subs: &mut Vec<sse_wire::Subscription>| {
            let t = order[i % topics];
            i += 1;
            hub.publish(&names[t], event(i as u64)).unwrap();
            match Pin::new(&mut subs[t]).poll_next(&mut cx) {
                Poll::Ready(Some(bytes)) => drop(std::hint::black_box(bytes)),
                other => panic!("{other:?}"),
            }
        };
        // The history at its steady size before timing.
        for _ in 0..120_000 {
            step(&hub, &mut subs);
        }
        g.bench_function(BenchmarkId::from_parameter(topics), |b| {
            b.iter(|| step(&hub, &mut subs))
        });
    }
    g.finish();
}

/// A hub holding 1,000,000 events over 1,000 topics; the ids of some of them.
fn million() -> (Hub, Vec<(String, String)>) {
    let hub = Hub::new(
        HubConfig::default()
            .history(1_000_000)
            .history_bytes(usize::MAX)
            .hub_bytes(usize::MAX),
    );
    let mut ids = Vec::new();
    for n in 0..1_000_000u64 {
        let topic = format!("topic-{}", n % 1_000);
        let id = hub.publish(&topic, event(n)).unwrap().to_string();
        if n % 997 == 0 {
            ids.push((topic, id));
        }
    }
    (hub, ids)
}

fn bench_resume(c: &mut Criterion) {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let (hub, ids) = million();
    let mut g = c.benchmark_group("resume");
    let mut k = 0;
    g.bench_function(BenchmarkId::from_parameter(1_000_000), |b| {
        b.iter(|| {
            k += 1;
            let (topic, id) = &ids[(k * 7) % (ids.len() / 2)];
            let mut sub = hub.subscribe([topic], Some(id.as_bytes()));
            match Pin::new(&mut sub).poll_next(&mut cx) {
                Poll::Ready(Some(bytes)) => drop(std::hint::black_box(bytes)),
                other => panic!("{other:?}"),
            }
        })
    });
    g.finish();
}

/// p50, p99 and max of `waits`, in microseconds.
fn percentiles(mut waits: Vec<std::time::Duration>) -> String {
    waits.sort();
    let at = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    format!(
        "p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs over {} publishes",
        at(0.5),
        at(0.99),
        at(1.0),
        waits.len()
    )
}

/// Times each publish on one thread while `work` runs on others; the waits.
fn publisher_waits(hub: &Hub, work: impl FnOnce() + Send) -> Vec<std::time::Duration> {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let publisher = s.spawn(|| {
            let mut waits = Vec::new();
            let mut n = 0u64;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let event = event(n);
                let start = std::time::Instant::now();
                hub.publish("publisher", event).unwrap();
                waits.push(start.elapsed());
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
            waits
        });
        work();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        publisher.join().unwrap()
    })
}

fn report_publisher_wait() {
    let (hub, ids) = million();
    let ids = &ids;
    let waits = publisher_waits(&hub, || {
        std::thread::scope(|s| {
            // One thread resuming beside the publisher: the machine's two cores, both busy.
            for t in 0..1 {
                let hub = &hub;
                s.spawn(move || {
                    let waker = noop_waker();
                    let mut cx = Context::from_waker(&waker);
                    // Rounds of 200 resumes, for two seconds: thousands of publishes timed.
                    let end = std::time::Instant::now() + std::time::Duration::from_secs(2);
                    for k in (0..).take_while(|k| k % 200 != 0 || std::time::Instant::now() < end) {
                        let (topic, id) = &ids[(t * 50 + k) * 3 % ids.len()];
                        let mut sub = hub.subscribe([topic], Some(id.as_bytes()));
                        let _ = Pin::new(&mut sub).poll_next(&mut cx);
                    }
                });
            }
        })
    });
    println!(
        "publisher wait during resumes (rounds of 200, 2 s) at 1,000,000 retained: {}",
        percentiles(waits)
    );
    drop(hub);

    let hub = Hub::default();
    let names: Vec<String> = (0..40_000).map(|n| format!("user-{n}")).collect();
    let waits = publisher_waits(&hub, || {
        for _ in 0..50 {
            let sub = hub.subscribe(names.iter(), None);
            drop(sub);
        }
    });
    println!(
        "publisher wait during 50 subscribes to 40,000 topics (and drops): {}",
        percentiles(waits)
    );
}

criterion_group!(benches, bench_fan_out, bench_topics, bench_resume);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report_publisher_wait();
}
