//! Events per second through each Rust `EventSource` client over loopback:
//! `cargo run --release --manifest-path benches/peers/Cargo.toml --bin client_speed`
//! (`-- --quick` for a smoke run).
//!
//! A server on 127.0.0.1 answers every request with the workload's wire (what sse-wire's encoder
//! writes for W1–W3) in one HTTP/1.1 `200 text/event-stream` response. Each client is timed from
//! being built to its last event dispatched, with every event's data looked at (its length
//! summed); server and client share one two-thread tokio runtime, as a relay's would. Before
//! timing, each client's events are checked against the payloads. Rounds are interleaved; the
//! median of five is reported.
//!
//! Two rows are sse-wire's decoder on two transports: its `EventSource` (reqwest) and the same
//! `DecodeStream` on hyper-util's client with no reconnection logic, which bounds what another
//! transport could gain.

#[path = "../workloads.rs"]
mod workloads;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt as _};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use workloads::{encode, W};

const CLIENTS: [&str; 5] = [
    "sse-wire EventSource (reqwest)",
    "sse-wire DecodeStream on hyper-util",
    "sse-wire DecodeStream on reqwest",
    "reqwest-eventsource 0.6",
    "eventsource-client 0.16",
];

/// Serves `wire` as the body of every response, then closes the connection.
async fn serve(wire: Bytes) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            let wire = wire.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0; 2048];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                let response = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
                if tcp.write_all(response).await.is_ok() {
                    let _ = tcp.write_all(&wire).await;
                }
            });
        }
    });
    addr
}

/// Each event's (type, data) as one client dispatches it; the first `n` are taken.
fn events(client: &str, url: String) -> BoxStream<'static, (String, String)> {
    match client {
        "sse-wire EventSource (reqwest)" => sse_wire::client::EventSource::builder(url)
            .build()
            .filter_map(|item| async move {
                match item.unwrap() {
                    sse_wire::client::SourceEvent::Message(e) => {
                        Some((e.event_type().to_owned(), e.data().to_owned()))
                    }
                    _ => None,
                }
            })
            .boxed(),
        "sse-wire DecodeStream on hyper-util" => {
            use hyper_util::client::legacy::Client;
            use hyper_util::rt::TokioExecutor;
            let client: Client<_, http_body_util::Empty<Bytes>> =
                Client::builder(TokioExecutor::new()).build_http();
            let uri: hyper::Uri = url.parse().unwrap();
            futures_util::stream::once(async move { client.get(uri).await.unwrap() })
                .flat_map(|response| {
                    let body = http_body_util::BodyDataStream::new(response.into_body());
                    sse_wire::decode::DecodeStream::new(body)
                })
                .map(|e| {
                    let e = e.unwrap();
                    (e.event_type().to_owned(), e.data().to_owned())
                })
                .boxed()
        }
        "sse-wire DecodeStream on reqwest" => {
            futures_util::stream::once(async move { reqwest::get(url).await.unwrap() })
                .flat_map(|response| sse_wire::decode::DecodeStream::new(response.bytes_stream()))
                .map(|e| {
                    let e = e.unwrap();
                    (e.event_type().to_owned(), e.data().to_owned())
                })
                .boxed()
        }
        "reqwest-eventsource 0.6" => reqwest_eventsource::EventSource::get(url)
            .filter_map(|item| async move {
                match item.unwrap() {
                    reqwest_eventsource::Event::Message(m) => Some((m.event, m.data)),
                    _ => None,
                }
            })
            .boxed(),
        _ => {
            use eventsource_client::Client;
            let client = eventsource_client::ClientBuilder::for_url(&url)
                .unwrap()
                .build();
            client
                .stream()
                .filter_map(|item| async move {
                    match item.unwrap() {
                        eventsource_client::SSE::Event(e) => Some((e.event_type, e.data)),
                        _ => None,
                    }
                })
                .boxed()
        }
    }
}

/// Takes `n` events from a new `client`; returns their data bytes, or the events themselves
/// when `keep`.
async fn run(
    client: &str,
    addr: SocketAddr,
    n: usize,
    keep: bool,
) -> (usize, Vec<(String, String)>) {
    let mut stream = events(client, format!("http://{addr}/")).take(n);
    let (mut bytes, mut kept) = (0, Vec::new());
    while let Some((ty, data)) = stream.next().await {
        bytes += data.len();
        if keep {
            kept.push((ty, data));
        }
    }
    (bytes, kept)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 3 } else { 5 };
    println!("| workload | client | median | MB/s | events/s | × sse-wire EventSource |");
    println!("|---|---|---:|---:|---:|---:|");
    for w in [W::Tiny, W::Typical, W::Multiline] {
        let payloads = w.payloads(w.events(quick));
        let wire = encode(&payloads);
        let addr = serve(wire.clone()).await;
        let want = workloads::dispatched(&payloads);
        for client in CLIENTS {
            let (_, got) = run(client, addr, payloads.len(), true).await;
            assert!(got == want, "{client} decoded {} wrongly", w.name());
        }
        let mut times = vec![Vec::new(); CLIENTS.len()];
        for round in 0..rounds {
            for k in 0..CLIENTS.len() {
                let i = (k + round) % CLIENTS.len();
                let start = Instant::now();
                run(CLIENTS[i], addr, payloads.len(), false).await;
                times[i].push(start.elapsed());
            }
        }
        let medians = workloads::medians(&mut times);
        for (i, client) in CLIENTS.iter().enumerate() {
            let secs = medians[i].as_secs_f64();
            println!(
                "| {} | {} | {:.1} ms | {:.0} | {:.0} | {:.2}× |",
                w.name(),
                client,
                secs * 1e3,
                wire.len() as f64 / secs / 1e6,
                payloads.len() as f64 / secs,
                medians[0].as_secs_f64() / secs,
            );
        }
    }
}
