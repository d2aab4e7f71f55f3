//! Publishing one event to N subscribers, N = 1, 100, 10,000, each subscriber taking it:
//!
//! * `hub`: `Hub::publish` encodes the event once; each subscription hands out the same
//!   shared bytes (a reference-count bump).
//! * `broadcast_encode_per_client`: the pattern users write today, a tokio `broadcast` channel
//!   of events, each receiver encoding the event for its own client.
//! * `hub_publish_only`: `Hub::publish` alone while every subscriber waits (registered), which
//!   must not grow with N in encoding work: it encodes once and wakes the waiting ones.
//!
//! `cargo bench --bench hub`. Subscribers are polled by hand with a no-op waker, so what is
//! timed is the library's work, not a runtime's scheduling.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
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

criterion_group!(benches, bench_fan_out);
criterion_main!(benches);
