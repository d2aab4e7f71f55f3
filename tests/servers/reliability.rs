//! Slow, vanishing and failing clients and streams, against a real axum server on loopback:
//! backpressure bounds memory, a disconnect drops the stream promptly, and one stream's error
//! touches no other client. Every wait is bounded.

use axum::body::Body;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::{stream, StreamExt};
use sse_wire::{Event, EventStream};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts what the producer made, and notes when its stream is dropped.
#[derive(Default)]
struct Probe {
    produced_bytes: AtomicU64,
    dropped: AtomicBool,
}

struct DropFlag(Arc<Probe>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.dropped.store(true, SeqCst);
    }
}

/// An endless stream of 1 KiB events, as fast as the consumer pulls, every `pause` (zero: no
/// pause), recording into `probe`.
fn producer(probe: Arc<Probe>, pause: Duration) -> impl futures_util::Stream<Item = Event> + Send {
    let flag = DropFlag(probe.clone());
    stream::iter(0u64..).then(move |i| {
        let probe = probe.clone();
        let _keep = &flag;
        async move {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let event = Event::new().id(i).data("x".repeat(1024));
            probe
                .produced_bytes
                .fetch_add(event.encoded_len() as u64, SeqCst);
            event
        }
    })
}

fn response(body: Body) -> Response {
    let mut response = Response::new(body);
    for (name, value) in sse_wire::headers::RESPONSE_HEADERS {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A server whose `/sse` streams an endless [`producer`] into `probe`.
async fn serve_producer(probe: Arc<Probe>, pause: Duration) -> std::net::SocketAddr {
    let route = move || {
        let producer = Box::pin(producer(probe.clone(), pause));
        async move { response(Body::from_stream(EventStream::new(producer))) }
    };
    serve(Router::new().route("/sse", get(route))).await
}

fn request(addr: std::net::SocketAddr, path: &str) -> std::net::TcpStream {
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    write!(socket, "GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").unwrap();
    socket
}

/// A client that connects and never reads: the server stops pulling events once the socket
/// buffers are full, so memory stays bounded instead of growing with the producer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_stops_the_producer() {
    let probe = Arc::new(Probe::default());
    let addr = serve_producer(probe.clone(), Duration::ZERO).await;
    let _stalled = request(addr, "/sse");

    // Wait for production to stop growing (plateau for 500 ms), at most 20 s.
    let start = Instant::now();
    let mut last = (0, Instant::now());
    let plateau = loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = probe.produced_bytes.load(SeqCst);
        if now != last.0 {
            last = (now, Instant::now());
        } else if now > 0 && last.1.elapsed() > Duration::from_millis(500) {
            break now;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "producer never stopped: {now} bytes"
        );
    };
    // Loopback socket buffers (send + receive, at most a few tens of MiB with autotuning) plus
    // one chunk: far below the many gigabytes an unbounded producer would make in 20 s.
    println!("stalled client: production stopped at {plateau} bytes");
    assert!(
        plateau < 64 << 20,
        "{plateau} bytes buffered for a client that reads nothing"
    );
    assert!(!probe.dropped.load(SeqCst), "the connection is still open");
}

/// A client that goes away: the server drops its event stream (and with it whatever the stream
/// holds) as soon as a write fails, not when the producer next finishes something.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_client_frees_its_stream_promptly() {
    let probe = Arc::new(Probe::default());
    let addr = serve_producer(probe.clone(), Duration::from_millis(20)).await;
    let mut client = request(addr, "/sse");
    let mut first = [0u8; 512];
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = client.read(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    assert!(!probe.dropped.load(SeqCst));
    drop(client);

    let start = Instant::now();
    while !probe.dropped.load(SeqCst) {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "stream still alive 2 s after the client left"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "stream dropped {:?} after the client disconnected",
        start.elapsed()
    );
}

/// An inner stream that fails mid-way ends its own response (the error is passed to the
/// server, after the events before it), and another client's stream goes on untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erroring_stream_touches_no_other_client() {
    let app = Router::new()
        .route(
            "/fail",
            get(|| async {
                // Three events, then (a moment later, as a failing database would) an error.
                let items = (0..3).map(|i| Ok(Event::new().data(format!("ok {i}"))));
                let failure = stream::once(async {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Err(std::io::Error::other("database went away"))
                });
                let failing = Box::pin(stream::iter(items).chain(failure).chain(stream::pending()));
                response(Body::from_stream(EventStream::new(failing)))
            }),
        )
        .route(
            "/ok",
            get(|| async {
                let ticks = stream::iter(0..).then(|i| async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Event::new().data(format!("tick {i}"))
                });
                response(Body::from_stream(EventStream::new(Box::pin(ticks))))
            }),
        );
    let addr = serve(app).await;
    let other = tokio::spawn(async move {
        let response = reqwest::get(format!("http://{addr}/ok")).await.unwrap();
        let mut body = response.bytes_stream();
        let mut text = String::new();
        while text.matches("data: tick").count() < 30 {
            let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
                .await
                .unwrap();
            text.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
        }
        text
    });

    let response = reqwest::get(format!("http://{addr}/fail")).await.unwrap();
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let ended_with_error = loop {
        match tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .expect("no end")
        {
            Some(Ok(chunk)) => text.push_str(std::str::from_utf8(&chunk).unwrap()),
            Some(Err(_)) => break true,
            None => break false,
        }
    };
    assert_eq!(
        text, "data: ok 0\n\ndata: ok 1\n\ndata: ok 2\n\n",
        "every event before the error"
    );
    assert!(
        ended_with_error,
        "the failed response is cut off, not ended as if complete"
    );

    let other = other.await.unwrap();
    assert!(
        other.contains("data: tick 29\n\n"),
        "the other client kept receiving"
    );
}
