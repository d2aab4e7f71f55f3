//! sse-wire's decoder side by side with the Rust SSE decoders people use: `eventsource-stream`
//! 0.2 (under `reqwest-eventsource`) and `sse-stream` 0.3's byte-stream decoder.
//!
//! `cargo run --release --manifest-path benches/peers/Cargo.toml --bin decode`
//! (`-- --quick` for a smoke run).
//!
//! The wire of each workload is what sse-wire's encoder writes for it, cut into 16 KiB chunks (a
//! typical read from a socket), all shared slices of one buffer made before timing. Each
//! decoder reads it through its `Stream` adapter, the way a client would, and every event's data
//! is looked at (its length summed), so no decoder can skip work. Rounds are interleaved; the
//! median of seven is reported. Before timing, each decoder's events are checked against the
//! payloads.

#[path = "../workloads.rs"]
mod workloads;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::task::noop_waker;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use workloads::{encode, W};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Decoder {
    SseWire,
    EventsourceStream,
    SseStream,
}

impl Decoder {
    fn name(self) -> &'static str {
        match self {
            Decoder::SseWire => "sse-wire",
            Decoder::EventsourceStream => "eventsource-stream 0.2",
            Decoder::SseStream => "sse-stream 0.3",
        }
    }
}

const DECODERS: [Decoder; 3] = [
    Decoder::SseWire,
    Decoder::EventsourceStream,
    Decoder::SseStream,
];

fn chunks(wire: &Bytes) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    let pieces: Vec<Bytes> = (0..wire.len())
        .step_by(16 * 1024)
        .map(|at| wire.slice(at..(at + 16 * 1024).min(wire.len())))
        .collect();
    futures_util::stream::iter(pieces.into_iter().map(Ok))
}

/// Polls `s` to its end (every poll is ready: the chunks are in memory), calling `each`.
fn drain<S: Stream + Unpin>(mut s: S, mut each: impl FnMut(S::Item)) {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    while let Poll::Ready(Some(item)) = Pin::new(&mut s).poll_next(&mut cx) {
        each(item);
    }
}

/// Decodes the whole wire; returns (events, data bytes), or the events themselves when `keep`.
fn run(d: Decoder, wire: &Bytes, keep: bool) -> (usize, usize, Vec<(String, String)>) {
    let (mut events, mut bytes, mut kept) = (0, 0, Vec::new());
    let mut count = |ty: &str, data: &str| {
        events += 1;
        bytes += data.len();
        if keep {
            kept.push((ty.to_owned(), data.to_owned()));
        }
    };
    match d {
        Decoder::SseWire => drain(sse_wire::decode::DecodeStream::new(chunks(wire)), |e| {
            let e = e.unwrap();
            count(e.event_type(), e.data());
        }),
        Decoder::EventsourceStream => {
            use eventsource_stream::Eventsource;
            drain(chunks(wire).eventsource(), |e| {
                let e = e.unwrap();
                count(&e.event, &e.data);
            })
        }
        Decoder::SseStream => drain(sse_stream::SseByteStream::new(chunks(wire)), |e| {
            let e = e.unwrap();
            if let Some(data) = &e.data {
                count(e.event.as_deref().unwrap_or("message"), data);
            }
        }),
    }
    (events, bytes, kept)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--profile W1` runs only sse-wire on that workload, many times (for `perf record`).
    if let Some(w) = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1))
    {
        let w = [
            W::Tiny,
            W::Typical,
            W::Multiline,
            W::Large,
            W::LargeMultiline,
        ]
        .into_iter()
        .find(|x| x.name().starts_with(w.as_str()))
        .expect("a workload: W1 ... W5");
        let wire = encode(&w.payloads(w.events(false)));
        for _ in 0..20 {
            run(Decoder::SseWire, &wire, false);
        }
        return;
    }
    let rounds = if quick { 3 } else { 7 };
    println!("| workload | decoder | median | MB/s | events/s | × best peer |");
    println!("|---|---|---:|---:|---:|---:|");
    for w in [
        W::Tiny,
        W::Typical,
        W::Multiline,
        W::Large,
        W::LargeMultiline,
    ] {
        let payloads = w.payloads(w.events(quick));
        let wire = encode(&payloads);
        let want = workloads::dispatched(&payloads);
        for d in DECODERS {
            let (_, _, got) = run(d, &wire, true);
            assert!(got == want, "{} decoded {} wrongly", d.name(), w.name());
        }
        let mut times = vec![Vec::new(); DECODERS.len()];
        for round in 0..rounds {
            for k in 0..DECODERS.len() {
                let i = (k + round) % DECODERS.len();
                let start = Instant::now();
                let (events, _, _) = run(DECODERS[i], &wire, false);
                times[i].push(start.elapsed());
                assert_eq!(events, payloads.len());
            }
        }
        let medians = workloads::medians(&mut times);
        let best_peer = medians[1..].iter().min().copied().unwrap();
        for (i, d) in DECODERS.iter().enumerate() {
            let secs = medians[i].as_secs_f64();
            println!(
                "| {} | {} | {:.2} ms | {:.0} | {:.0} | {:.2}× |",
                w.name(),
                d.name(),
                secs * 1e3,
                wire.len() as f64 / secs / 1e6,
                payloads.len() as f64 / secs,
                best_peer.as_secs_f64() / secs,
            );
        }
    }
}
