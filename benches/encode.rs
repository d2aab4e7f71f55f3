//! The crate's own hot paths: `encode_into`, `to_bytes`, `data_utf8`, and `EventStream` drained
//! to the end.
//!
//! `cargo bench --bench encode`. Payloads are built before timing; what is timed is what a user
//! pays per event.

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use futures_util::{stream, StreamExt};
use sse_wire::{Event, EventStream};

fn tiny(i: usize) -> String {
    format!("Message {i}")
}

fn json(i: usize) -> String {
    format!(
        "{{\"id\":{i},\"user\":\"user-{i}\",\"action\":\"update\",\"path\":\"/items/{i}/detail\",\
         \"values\":[1,2,3,4,5,6,7,8,9,10],\"note\":\"{:0>100}\"}}",
        i
    )
}

fn multiline() -> String {
    let line = "x".repeat(80);
    vec![line; 10].join("\n")
}

fn bench_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_into");
    let cases: Vec<(&str, Event)> = vec![
        ("tiny", Event::new().data(tiny(123456))),
        (
            "typical",
            Event::new()
                .event("update")
                .unwrap()
                .id(123456u64)
                .data(json(123456)),
        ),
        ("multiline", Event::new().data(multiline())),
        ("large_1MiB", Event::new().data("y".repeat(1 << 20))),
        (
            "large_multiline_1MiB",
            Event::new().data(("z".repeat(63) + "\n").repeat(1 << 14)),
        ),
    ];
    for (name, ev) in &cases {
        g.throughput(Throughput::Bytes(ev.encoded_len() as u64));
        let mut buf = BytesMut::with_capacity(ev.encoded_len());
        g.bench_function(*name, |b| {
            b.iter(|| {
                buf.clear();
                ev.encode_into(&mut buf);
                std::hint::black_box(&buf);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("to_bytes");
    for (name, ev) in &cases {
        g.throughput(Throughput::Bytes(ev.encoded_len() as u64));
        g.bench_function(*name, |b| b.iter(|| std::hint::black_box(ev.to_bytes())));
    }
    g.finish();
}

/// Setting data from raw bytes: the UTF-8 check and the line-break search, in one pass. ASCII
/// takes the fast path; text with a non-ASCII character in every block takes `str::from_utf8`.
fn bench_data_utf8(c: &mut Criterion) {
    let mut g = c.benchmark_group("data_utf8");
    let cases = [
        ("ascii_1MiB", "y".repeat(1 << 20)),
        ("non_ascii_1MiB", ("y".repeat(1022) + "é").repeat(1 << 10)),
    ];
    for (name, text) in cases {
        let bytes = Bytes::from(text);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| std::hint::black_box(Event::new().data_utf8(bytes.clone()).unwrap()))
        });
    }
    g.finish();
}

/// Builds the `i`th event of a workload.
type MakeEvent = fn(usize) -> Event;

fn bench_stream(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream_drain");
    const N: usize = 10_000;
    g.throughput(Throughput::Elements(N as u64));
    let workloads: [(&str, MakeEvent); 3] = [
        ("tiny_10k", |i| Event::new().data(tiny(i))),
        ("typical_10k", |i| {
            Event::new()
                .event("update")
                .unwrap()
                .id(i as u64)
                .data(json(i))
        }),
        ("multiline_10k", |_| Event::new().data(multiline())),
    ];
    for (name, event) in workloads {
        g.bench_function(name, |b| {
            b.iter_batched(
                || (0..N).map(event).collect::<Vec<_>>(),
                |events| {
                    futures_executor::block_on(
                        EventStream::new(stream::iter(events))
                            .fold(0, |n, c| async move { n + c.unwrap().len() }),
                    )
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench_encode, bench_data_utf8, bench_stream);
criterion_main!(benches);
