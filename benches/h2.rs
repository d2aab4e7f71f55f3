//! SSE over HTTP/2 on loopback, measured with real sockets: `cargo bench --bench h2`.
//!
//! * Delivery latency: one h2 connection (hyper's client, `TCP_NODELAY` on, as browsers set
//!   it) carries 50 streams, each with an event every 50 ms at its own phase (the server writes
//!   small frames at many moments, as with independent rooms or users); each stream records the
//!   time from the event's making to its parse. Run with the server's `TCP_NODELAY` off
//!   (the OS default) and on.
//! * A stalled stream: its client never reads, with the per-stream window of the h2 default
//!   (64 KiB), hyper's client (2 MiB) and Chromium (6 MiB); the bytes the server took from the
//!   stream's producer beyond what the client's window let through are what the server holds.
//!
//! Not a criterion benchmark: these are distributions and sizes of one setup, not the time of
//! a function; each figure comes from thousands of samples over several seconds.

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use http_body_util::{BodyDataStream, BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use sse_wire::{Encoded, Event, EventStream};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const STREAMS: usize = 50;
const PERIOD: Duration = Duration::from_millis(50);
const RUN: Duration = Duration::from_secs(6);
/// The publish time that tells the readers the run is over.
const END: u64 = u64::MAX;

/// Nanoseconds since the first call, on one clock for server and client (one process).
fn now_nanos() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Serves `make(path)` as event streams on a loopback port, h2c and HTTP/1.1.
async fn serve<F, S>(nodelay: bool, make: F) -> SocketAddr
where
    F: Fn(&str) -> S + Send + Sync + 'static,
    S: futures_util::Stream<Item = Encoded> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let make = Arc::new(make);
    tokio::spawn(async move {
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tcp.set_nodelay(nodelay).unwrap();
            let make = make.clone();
            let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
                let events = make(request.uri().path());
                let response = EventStream::new(events)
                    .into_http_response()
                    .map(BodyExt::boxed_unsync);
                async move { Ok::<_, Infallible>(response) }
            });
            let connection = builder
                .serve_connection(TokioIo::new(tcp), service)
                .into_owned();
            tokio::spawn(connection);
        }
    });
    addr
}

/// One h2 connection to `addr`, with the given per-stream receive window.
async fn connect(
    addr: SocketAddr,
    window: u32,
) -> hyper::client::conn::http2::SendRequest<Empty<Bytes>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(window)
        .initial_connection_window_size(window.max(5 << 20) * 2)
        .handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

async fn get(
    sender: &hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    path: &str,
) -> hyper::Response<hyper::body::Incoming> {
    let request = hyper::Request::get(format!("http://127.0.0.1{path}"))
        .body(Empty::new())
        .unwrap();
    sender.clone().send_request(request).await.unwrap()
}

/// Produce-to-parse latency of every event on every stream, sorted, in microseconds. Stream
/// `i` makes an event every [`PERIOD`], `i` × `PERIOD` / [`STREAMS`] after stream 0, so the
/// server writes small frames at many moments, as with independent topics or users.
async fn latency(server_nodelay: bool, size: usize) -> Vec<u64> {
    let started = Instant::now() + Duration::from_millis(300);
    let addr = serve(server_nodelay, move |path| {
        let i: u32 = path[1..].parse().unwrap();
        let first = started + PERIOD * i / STREAMS as u32;
        let ticks = tokio::time::interval_at(first.into(), PERIOD);
        futures_util::stream::unfold(ticks, move |mut ticks| async move {
            ticks.tick().await;
            let stamp = match started.elapsed() < RUN {
                true => now_nanos(),
                false => END,
            };
            // `size` bytes on the wire, about: the stamp, and a comment to pad it.
            let event = Event::new()
                .data(stamp.to_string())
                .comment("x".repeat(size.saturating_sub(32)));
            Some((Encoded::from(event), ticks))
        })
    })
    .await;
    let sender = connect(addr, 65_535).await;
    let mut readers = Vec::new();
    for i in 0..STREAMS {
        let response = get(&sender, &format!("/{i}")).await;
        readers.push(tokio::spawn(async move {
            let mut events = BodyDataStream::new(response.into_body()).eventsource();
            let mut samples = Vec::new();
            while let Some(Ok(event)) = events.next().await {
                let sent: u64 = event.data.parse().unwrap();
                if sent == END {
                    break;
                }
                samples.push((now_nanos() - sent) / 1000);
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for reader in readers {
        all.extend(reader.await.unwrap());
    }
    all.sort_unstable();
    all
}

/// Bytes taken from the producer of a stream whose client never reads, once it stops growing.
async fn stalled(window: u32) -> usize {
    let pulled = Arc::new(AtomicUsize::new(0));
    let counted = pulled.clone();
    let addr = serve(true, move |_| {
        let counted = counted.clone();
        futures_util::stream::iter(0u64..).map(move |k| {
            let event = Encoded::from(Event::new().id(k).data("x".repeat(4000)));
            counted.fetch_add(event.len(), Ordering::SeqCst);
            event
        })
    })
    .await;
    let sender = connect(addr, window).await;
    let _response = get(&sender, "/").await;
    let mut last = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = pulled.load(Ordering::SeqCst);
        if now == last && now > 0 {
            return now;
        }
        last = now;
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!(
            "delivery over one h2 connection, {STREAMS} streams, each an event every {PERIOD:?}:"
        );
        println!("| event size | server TCP_NODELAY | samples | p50 | p99 | max |");
        println!("|---|---|---|---|---|---|");
        for (size, nodelay) in [200, 2000, 8000]
            .into_iter()
            .flat_map(|size| [(size, false), (size, true)])
        {
            let samples = latency(nodelay, size).await;
            println!(
                "| {size} B | {} | {} | {} µs | {} µs | {} µs |",
                if nodelay { "on" } else { "off" },
                samples.len(),
                percentile(&samples, 0.5),
                percentile(&samples, 0.99),
                samples.last().unwrap(),
            );
        }
        println!();
        println!("a stalled stream (4 KiB events, the client never reads):");
        println!("| client stream window | taken from the producer | held by the server |");
        println!("|---|---|---|");
        for (window, who) in [
            (65_535u32, "64 KiB (h2 default)"),
            (2 << 20, "2 MiB (hyper client)"),
            (6 << 20, "6 MiB (Chromium)"),
        ] {
            let pulled = stalled(window).await;
            println!(
                "| {who} | {pulled} B | {} B |",
                pulled.saturating_sub(window as usize)
            );
        }
    });
}
