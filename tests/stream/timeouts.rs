//! Streams that end when they should: `WriteTimeout` drops a connection whose client stopped
//! reading (on real hyper and axum servers, with a real stalled socket on loopback), and
//! `Lifetime` ends a stream at its age plus a random spread, after a last event (on a hand
//! clock, and on an axum server read by reqwest).
#![cfg(all(feature = "tokio", feature = "axum"))]

use crate::common;
use bytes::Bytes;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_util::task::noop_waker;
use futures_util::{stream, Stream, StreamExt};
use hyper_util::rt::TokioIo;
use sse_wire::decode::Decoder;
use sse_wire::{Event, EventStream, KeepAlive, Lifetime, TokioTimer, WriteTimeout};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts the streams dropped: the server let go of the response and all it held.
struct Dropped(Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// An endless stream of 16 KiB events, always ready: it fills any socket that is not read.
fn firehose(dropped: &Arc<AtomicUsize>) -> impl Stream<Item = Event> + Send + 'static {
    let guard = Dropped(dropped.clone());
    let data: Arc<str> = "x".repeat(16 * 1024).into();
    stream::repeat_with(move || {
        let _held = &guard;
        Event::new().data(&data)
    })
}

/// A hyper server on loopback whose every response is a firehose; `write_timeout` wraps each
/// connection in a `WriteTimeout`.
async fn hyper_server(write_timeout: Option<Duration>, dropped: Arc<AtomicUsize>) -> SocketAddr {
    // A small send buffer (the accepted sockets inherit it), so that a socket counts as
    // writable again soon after its client reads: the kernel wakes a writer once a good part of
    // the buffer has drained, which for megabytes of buffer takes a slow reader seconds.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(64 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(64).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let dropped = dropped.clone();
            let service = hyper::service::service_fn(move |_| {
                let body = EventStream::new(firehose(&dropped)).into_http_response();
                async move { Ok::<_, std::convert::Infallible>(body) }
            });
            let http = hyper::server::conn::http1::Builder::new();
            tokio::spawn(async move {
                // The connection's error (the timeout) is the expected way for it to end.
                let _ = match write_timeout {
                    Some(t) => {
                        let io = WriteTimeout::new(tcp, TokioTimer::new(), t);
                        http.serve_connection(TokioIo::new(io), service).await
                    }
                    None => http.serve_connection(TokioIo::new(tcp), service).await,
                };
            });
        }
    });
    addr
}

/// A client that sends its request and then reads nothing: a stalled tab.
fn stalled_client(addr: SocketAddr) -> std::net::TcpStream {
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.write_all(b"GET /sse HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .unwrap();
    tcp
}

/// Waits up to `bound` for `dropped` to reach `n`; returns how long it took.
async fn wait_dropped(dropped: &AtomicUsize, n: usize, bound: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < bound {
        if dropped.load(Ordering::SeqCst) >= n {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_drops_a_stalled_client_after_the_write_timeout() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let addr = hyper_server(Some(Duration::from_millis(300)), dropped.clone()).await;
    let _client = stalled_client(addr);
    let took = wait_dropped(&dropped, 1, Duration::from_secs(10)).await;
    let took = took.expect("the stalled connection was dropped within 10 s");
    // The socket buffers fill first, then 300 ms without progress.
    assert!(took >= Duration::from_millis(300), "dropped after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_timeout_a_stalled_client_holds_its_stream() {
    // What the timeout is for: the same server without it keeps the stream while the client
    // stalls (and would forever).
    let dropped = Arc::new(AtomicUsize::new(0));
    let addr = hyper_server(None, dropped.clone()).await;
    let client = stalled_client(addr);
    let took = wait_dropped(&dropped, 1, Duration::from_millis(1500)).await;
    assert_eq!(took, None, "the stream was held");
    drop(client); // the client goes away: now the server notices
    let took = wait_dropped(&dropped, 1, Duration::from_secs(10)).await;
    assert!(took.is_some(), "dropped once the client closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_not_a_stalled_one() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let addr = hyper_server(Some(Duration::from_millis(500)), dropped.clone()).await;
    let reader = tokio::task::spawn_blocking(move || {
        let mut tcp = stalled_client(addr);
        let mut buf = vec![0; 8 * 1024];
        let mut read = 0;
        let start = Instant::now();
        // 8 KiB every 10 ms: far slower than the server writes, but never still for 500 ms.
        while start.elapsed() < Duration::from_secs(2) {
            read += tcp.read(&mut buf).unwrap();
            std::thread::sleep(Duration::from_millis(10));
        }
        (read, tcp) // still open while the server is checked
    });
    let (read, _tcp) = reader.await.unwrap();
    assert!(read > 100 * 1024, "read {read} bytes");
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        0,
        "the slow reader kept its stream"
    );
}

/// axum's way in: a `Listener` whose connections are wrapped.
struct TimedListener(tokio::net::TcpListener, Duration);

impl axum::serve::Listener for TimedListener {
    type Io = WriteTimeout<tokio::net::TcpStream, TokioTimer>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok((tcp, addr)) = self.0.accept().await {
                return (WriteTimeout::new(tcp, TokioTimer::new(), self.1), addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_drops_a_stalled_client_after_the_write_timeout() {
    use axum::{routing::get, Router};
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    let app = Router::new().route(
        "/sse",
        get(move || {
            let counter = counter.clone();
            async move { EventStream::new(firehose(&counter)) }
        }),
    );
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = TimedListener(tcp, Duration::from_millis(300));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let _clients: Vec<_> = (0..3).map(|_| stalled_client(addr)).collect();
    let took = wait_dropped(&dropped, 3, Duration::from_secs(10)).await;
    assert!(took.is_some(), "all three stalled connections were dropped");
}

use common::hand_timer::HandTimer;

#[test]
fn the_lifetime_ends_a_stream_between_events_at_its_age_plus_the_spread() {
    let age = Duration::from_secs(1800);
    let spread = Duration::from_secs(600);
    let mut deadlines = Vec::new();
    for n in 0..50u64 {
        let (timer, now) = HandTimer::new();
        now.set(Duration::from_secs(n));
        let lifetime = Lifetime::new(timer, age)
            .spread(spread)
            .last_event(Event::new().retry(Duration::from_secs(3)));
        let (tx, rx) = queue();
        let mut body = EventStream::new(rx).max_lifetime(lifetime);
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut poll = || match Pin::new(&mut body).poll_next(&mut cx) {
            Poll::Ready(chunk) => Some(chunk.map(|c| c.unwrap())),
            Poll::Pending => None,
        };
        // The first poll sets the deadline: the age, plus a draw from the spread.
        assert_eq!(poll(), None);
        let start = now.get();
        let d = now.deadline() - start;
        assert!(d >= age && d < age + spread, "deadline {d:?}");
        deadlines.push(d);
        // Before it, events go out as they come.
        tx.send(Event::new().data("one"));
        assert_eq!(poll(), Some(Some(Bytes::from("data: one\n\n"))));
        // At it, the stream takes nothing more: the last event, then the end.
        now.set(now.deadline());
        tx.send(Event::new().data("two"));
        assert_eq!(poll(), Some(Some(Bytes::from("retry: 3000\n\n"))));
        assert_eq!(poll(), Some(None));
        assert_eq!(poll(), Some(None));
        // The event not yet taken is left with the inner stream (the client resumes there).
        assert_eq!(tx.len(), 1);
    }
    deadlines.sort();
    assert!(
        deadlines[49] - deadlines[0] > spread / 2,
        "spread out: {deadlines:?}"
    );
}

/// A one-thread queue as a stream: pending while empty, never ending.
fn queue() -> (Queue, impl Stream<Item = Event> + Unpin) {
    let queue = Queue(Rc::new(core::cell::RefCell::new(Default::default())));
    let rx = queue.clone();
    let stream = stream::poll_fn(move |_| match rx.0.borrow_mut().pop_front() {
        Some(event) => Poll::Ready(Some(event)),
        None => Poll::Pending,
    });
    (queue, stream)
}

#[derive(Clone)]
struct Queue(Rc<core::cell::RefCell<std::collections::VecDeque<Event>>>);

impl Queue {
    fn send(&self, event: Event) {
        self.0.borrow_mut().push_back(event);
    }
    fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

#[tokio::test]
async fn a_busy_stream_ends_at_its_age_too() {
    // The inner stream is always ready, so the stream never waits: the age is checked at each
    // chunk.
    let events = stream::repeat_with(|| Event::new().data("x"));
    let lifetime =
        Lifetime::after(Duration::from_millis(200)).last_event(Event::new().comment("bye"));
    let mut body = EventStream::new(events).max_lifetime(lifetime);
    let start = Instant::now();
    let mut last = Bytes::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .expect("a chunk within 10 s")
    {
        last = chunk.unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(200), "ended after {took:?}");
    assert!(took < Duration::from_secs(10), "ended after {took:?}");
    assert_eq!(last, ": bye\n\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_streams_end_at_spread_out_ages_with_a_retry_hint() {
    use axum::{routing::get, Router};
    const AGE: Duration = Duration::from_millis(400);
    const SPREAD: Duration = Duration::from_millis(400);
    async fn sse() -> impl axum::response::IntoResponse {
        let ticks = tokio_stream_interval(Duration::from_millis(25));
        let events = ticks.map(|n| Event::new().id(n).data(format!("tick {n}")));
        EventStream::new(events)
            .keep_alive(KeepAlive::every(Duration::from_secs(15)))
            .max_lifetime(
                Lifetime::after(AGE)
                    .spread(SPREAD)
                    .last_event(Event::new().retry(Duration::from_millis(1500))),
            )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sse", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, Router::new().route("/sse", get(sse))).await });

    let client = reqwest::Client::new();
    let reads = (0..12).map(|_| {
        let request = client.get(&url).send();
        async move {
            let start = Instant::now();
            let response = request.await.unwrap();
            let mut body = response.bytes_stream();
            let mut decoder = Decoder::new();
            let mut all = Vec::new();
            while let Some(chunk) = tokio::time::timeout(Duration::from_secs(10), body.next())
                .await
                .expect("the stream ends within 10 s")
            {
                let chunk = chunk.unwrap();
                all.extend_from_slice(&chunk);
                decoder.push(chunk);
            }
            let took = start.elapsed();
            // Every event arrived whole and in order, and the stream ended cleanly after the
            // hint, which the client's decoder took.
            let mut n = 0u64;
            while let Some(event) = decoder.next_event() {
                assert_eq!(event.unwrap().data(), format!("tick {n}"));
                n += 1;
            }
            assert!(n >= 10, "{n} events");
            assert!(all.ends_with(b"retry: 1500\n\n"));
            assert_eq!(decoder.retry(), Some(1500));
            took
        }
    });
    let mut ages = futures_util::future::join_all(reads).await;
    ages.sort();
    for took in &ages {
        assert!(*took >= AGE, "ended after {took:?}");
        assert!(
            *took < AGE + SPREAD + Duration::from_secs(3),
            "ended after {took:?}"
        );
    }
    // Twelve draws from 400 ms do not all fall within 40 ms of each other (a chance of about
    // 10^-10), unless the spread is broken.
    assert!(ages[11] - ages[0] > Duration::from_millis(40), "{ages:?}");
}

/// 0, 1, 2, ... one every `period`, on tokio's clock.
fn tokio_stream_interval(period: Duration) -> impl Stream<Item = u64> + Send {
    stream::unfold(
        (tokio::time::interval(period), 0u64),
        |(mut ticks, n)| async move {
            ticks.tick().await;
            Some((n, (ticks, n + 1)))
        },
    )
}
