//! SSE over HTTP/2 on loopback: many streams on one connection, a stream whose reader stalls,
//! a stream the client resets, shutdown with `GOAWAY`, the concurrent-stream limit, the hub and
//! `Lifetime`; then the examples over h2c.
//!
//! The servers are hyper-util's auto builder (HTTP/1.1 and h2c on one port, as the examples
//! serve) in this process, so that each test can see what the server holds; the client is
//! hyper's HTTP/2 client on one TCP connection, and `eventsource-stream` parses what it gets.
//! Every wait is bounded.

use crate::common;

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyDataStream, BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use sse_wire::headers::LastEventId;
use sse_wire::{Encoded, Event, EventStream, Hub, HubConfig, Lifetime, Shutdown};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};
use tokio::time::timeout;

/// The bound on any single wait.
const STEP: Duration = Duration::from_secs(10);
/// How long the test servers give connections to finish once shut down.
const GRACE: Duration = Duration::from_secs(2);

type Body = UnsyncBoxBody<Bytes, Infallible>;
type Handler = Arc<dyn Fn(Request<Incoming>) -> Response<Body> + Send + Sync>;

/// How a test server's shutdown went.
#[derive(Debug, PartialEq)]
enum Exit {
    /// Every connection finished by itself.
    Drained,
    /// Some connection was still open after [`GRACE`], and was dropped.
    GraceExpired,
}

/// An SSE server on a loopback port, in this process.
struct Server {
    addr: SocketAddr,
    /// Connections accepted so far.
    connections: Arc<AtomicUsize>,
    /// Ends every stream with [`farewell`].
    ends: Shutdown,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Exit>,
}

impl Server {
    /// Serves `handler` with the auto builder, after `configure` has set its HTTP/2 settings.
    async fn start(
        configure: impl FnOnce(&mut auto::Builder<TokioExecutor>),
        handler: impl Fn(Request<Incoming>, &Shutdown) -> Response<Body> + Send + Sync + 'static,
    ) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let ends = Shutdown::new();
        let (stop, mut stopped) = oneshot::channel();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        configure(&mut builder);
        let handler: Handler = {
            let ends = ends.clone();
            Arc::new(move |request| handler(request, &ends))
        };
        let accepted = connections.clone();
        let task = tokio::spawn(async move {
            let graceful = GracefulShutdown::new();
            let mut open = tokio::task::JoinSet::new();
            loop {
                let (tcp, _) = tokio::select! {
                    accepted = listener.accept() => accepted.unwrap(),
                    _ = &mut stopped => break,
                };
                tcp.set_nodelay(true).unwrap();
                accepted.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                let service = hyper::service::service_fn(move |request| {
                    let response = handler(request);
                    async move { Ok::<_, Infallible>(response) }
                });
                let connection = builder.serve_connection(TokioIo::new(tcp), service);
                open.spawn(graceful.watch(connection.into_owned()));
            }
            drop(listener);
            match timeout(GRACE, graceful.shutdown()).await {
                Ok(()) => Exit::Drained,
                Err(_) => {
                    open.abort_all();
                    Exit::GraceExpired
                }
            }
        });
        Server {
            addr,
            connections,
            ends,
            stop: Some(stop),
            task,
        }
    }

    /// Shuts the server down as the examples do: every stream gets its last event, then each
    /// connection closes (`GOAWAY` on HTTP/2), waiting at most [`GRACE`] for them.
    async fn shut_down(mut self) -> (Exit, Duration) {
        let started = Instant::now();
        self.ends.trigger();
        let _ = self.stop.take().unwrap().send(());
        let exit = timeout(GRACE + STEP, self.task).await.unwrap().unwrap();
        (exit, started.elapsed())
    }
}

/// The last event of a stream ended by [`Server::shut_down`].
fn farewell() -> Event {
    Event::new()
        .comment("bye")
        .retry(Duration::from_millis(1500))
}

/// The response for `events`: an `EventStream` that ends with [`farewell`] on shutdown.
fn sse(events: impl Stream<Item = Encoded> + Send + 'static, ends: &Shutdown) -> Response<Body> {
    EventStream::new(events)
        .until(ends.signal(), Some(farewell()))
        .into_http_response()
        .map(BodyExt::boxed_unsync)
}

/// What a test sees of the events a stream's producer gave away, and of its end.
#[derive(Default)]
struct Probe {
    /// Bytes of events taken from the producer.
    pulled: AtomicUsize,
    /// Set when the producer is dropped.
    dropped: AtomicBool,
}

impl Probe {
    fn pulled(&self) -> usize {
        self.pulled.load(Ordering::SeqCst)
    }

    /// Waits until the producer has been dropped; how long that took.
    async fn wait_dropped(&self) -> Duration {
        let started = Instant::now();
        while !self.dropped.load(Ordering::SeqCst) {
            assert!(started.elapsed() < STEP, "producer never dropped");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        started.elapsed()
    }

    /// Waits until the producer has given nothing more for 300 ms; what it gave in all.
    async fn wait_stalled(&self) -> usize {
        let started = Instant::now();
        let mut last = (self.pulled(), Instant::now());
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = self.pulled();
            if now != last.0 {
                last = (now, Instant::now());
            } else if now > 0 && last.1.elapsed() > Duration::from_millis(300) {
                return now;
            }
            assert!(started.elapsed() < STEP, "producer never stalled");
        }
    }
}

/// `events`, counted into `probe`, which also learns when they are dropped.
fn probed(
    probe: Arc<Probe>,
    events: impl Stream<Item = Encoded> + Send + 'static,
) -> impl Stream<Item = Encoded> + Send + 'static {
    struct Dropped(Arc<Probe>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.dropped.store(true, Ordering::SeqCst);
        }
    }
    let guard = Dropped(probe);
    events.map(move |event| {
        guard.0.pulled.fetch_add(event.len(), Ordering::SeqCst);
        event
    })
}

/// Event `k` of stream `name`: `id: k`, `data: {name}-{k}`, padded to about `size` bytes.
fn numbered(name: &str, k: u64, size: usize) -> Encoded {
    let data = format!("{name}-{k}");
    let pad = size.saturating_sub(data.len() + 16);
    Encoded::from(
        Event::new()
            .id(k)
            .data(format!("{data}{}", "x".repeat(pad))),
    )
}

/// The query value of `key` in `request`'s URI.
fn query<'a>(request: &'a Request<Incoming>, key: &str) -> Option<&'a str> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then_some(v)
    })
}

/// An HTTP/2 connection (prior knowledge, as h2c) from hyper's client, whose per-stream
/// receive window is `window` bytes when given; and the task that drives it, which ends when
/// the connection does.
async fn connect(
    addr: SocketAddr,
    window: Option<u32>,
) -> (
    SendRequest<Empty<Bytes>>,
    tokio::task::JoinHandle<Result<(), hyper::Error>>,
) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    if let Some(window) = window {
        builder.initial_stream_window_size(window);
    }
    let (sender, connection) = timeout(STEP, builder.handshake(TokioIo::new(tcp)))
        .await
        .unwrap()
        .unwrap();
    (sender, tokio::spawn(connection))
}

/// `GET path` on the connection, with `Last-Event-ID` if given; the response once its head
/// has arrived, checked to be an HTTP/2 event stream.
async fn get(
    sender: &SendRequest<Empty<Bytes>>,
    path: &str,
    last_id: Option<&str>,
) -> Response<Incoming> {
    let response = timeout(STEP, open(sender, path, last_id))
        .await
        .unwrap_or_else(|_| panic!("no response head for {path}"))
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response
}

/// Sends `GET path`; resolves with the response head.
async fn open(
    sender: &SendRequest<Empty<Bytes>>,
    path: &str,
    last_id: Option<&str>,
) -> hyper::Result<Response<Incoming>> {
    let mut request = Request::get(format!("http://127.0.0.1{path}"));
    if let Some(id) = last_id {
        request = request.header("last-event-id", id);
    }
    let mut sender = sender.clone();
    sender
        .send_request(request.body(Empty::new()).unwrap())
        .await
}

type Events = BoxStream<'static, eventsource_stream::Event>;

/// The events of `response`, parsed by `eventsource-stream`; a transport error fails the test.
fn events(response: Response<Incoming>) -> Events {
    BodyDataStream::new(response.into_body())
        .eventsource()
        .map(|event| event.expect("stream failed"))
        .boxed()
}

/// The next event, within [`STEP`]; `None` at the end of the stream.
async fn next(events: &mut Events) -> Option<eventsource_stream::Event> {
    timeout(STEP, events.next())
        .await
        .expect("no event in time")
}

/// The `(id, data)` of the next `n` events.
async fn take(events: &mut Events, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let event = next(events).await.expect("stream ended early");
        out.push((event.id, event.data));
    }
    out
}

/// What `numbered` events `from..to` of stream `name` read as.
fn expected(name: &str, from: u64, to: u64) -> Vec<(String, String)> {
    (from..to)
        .map(|k| (k.to_string(), format!("{name}-{k}")))
        .collect()
}

/// 100 streams on one connection: each gets its first event at once, while its producer is
/// still holding the second (so nothing waits for a buffer to fill), then its own events in
/// order, then its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_streams_share_one_connection() {
    let (go, gate) = watch::channel(false);
    let server = Server::start(
        |_| {},
        move |request, ends| {
            assert_eq!(request.version(), Version::HTTP_2);
            let name = query(&request, "name").unwrap().to_owned();
            let first = numbered(&name, 0, 0);
            let mut gate = gate.clone();
            let rest = futures_util::stream::once(async move {
                let _ = gate.wait_for(|&open| open).await;
            })
            .flat_map(move |()| {
                let name = name.clone();
                futures_util::stream::iter((1..=20).map(move |k| numbered(&name, k, 0)))
            });
            sse(futures_util::stream::iter([first]).chain(rest), ends)
        },
    )
    .await;
    let (sender, _connection) = connect(server.addr, None).await;
    let mut streams = Vec::new();
    for i in 0..100 {
        let sender = sender.clone();
        streams.push(tokio::spawn(async move {
            let mut events = events(get(&sender, &format!("/?name=s{i}"), None).await);
            let first = take(&mut events, 1).await;
            (first, events)
        }));
    }
    let mut opened = Vec::new();
    for (i, stream) in streams.into_iter().enumerate() {
        let (first, events) = stream.await.unwrap();
        assert_eq!(first, expected(&format!("s{i}"), 0, 1));
        opened.push(events);
    }
    assert!(
        !*go.borrow(),
        "every first event came before the second was made"
    );
    go.send_replace(true);
    for (i, mut events) in opened.into_iter().enumerate() {
        assert_eq!(
            take(&mut events, 20).await,
            expected(&format!("s{i}"), 1, 21)
        );
        assert!(next(&mut events).await.is_none());
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    assert_eq!(server.shut_down().await.0, Exit::Drained);
}

/// A stream whose client stops reading (its window at 0) holds a bounded amount on the server,
/// never slows its siblings on the same connection, and loses nothing once it reads again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_stream_holds_little_and_slows_no_sibling() {
    const WINDOW: u32 = 64 * 1024;
    const EVENT: usize = 4096;
    let stalled = Arc::new(Probe::default());
    let probe = stalled.clone();
    let server = Server::start(
        |_| {},
        move |request, ends| {
            let name = query(&request, "name").unwrap().to_owned();
            if name == "stalled" {
                // Endless: the stream is only ever held back by flow control.
                let events = futures_util::stream::iter(0..).map(|k| numbered("stalled", k, EVENT));
                sse(probed(probe.clone(), events), ends)
            } else {
                let events =
                    futures_util::stream::iter(0..1000).map(move |k| numbered(&name, k, 0));
                sse(events, ends)
            }
        },
    )
    .await;
    let (sender, _connection) = connect(server.addr, Some(WINDOW)).await;
    let stalled_response = get(&sender, "/?name=stalled", None).await;
    let held = stalled.wait_stalled().await;
    // What flow control lets through to the client (its window), what hyper's HTTP/2 server
    // buffers for a stream (`max_send_buf_size`, 400 KiB by default), and one chunk in hand.
    let bound = WINDOW as usize + 400 * 1024 + sse_wire::DEFAULT_MAX_CHUNK + EVENT;
    assert!(
        held <= bound,
        "the server took {held} bytes for a stalled stream (bound {bound})"
    );
    println!("stalled stream: {held} bytes taken from its producer, {WINDOW} of them in the client's window");

    let siblings: Vec<_> = (0..10)
        .map(|i| {
            let sender = sender.clone();
            tokio::spawn(async move {
                let name = format!("s{i}");
                let mut events = events(get(&sender, &format!("/?name={name}"), None).await);
                assert_eq!(take(&mut events, 1000).await, expected(&name, 0, 1000));
                assert!(next(&mut events).await.is_none());
            })
        })
        .collect();
    for sibling in siblings {
        sibling.await.unwrap();
    }
    assert_eq!(stalled.pulled(), held, "the stalled stream stayed stalled");

    // Reading again, the stalled stream goes on from its first event: nothing was lost.
    let mut events = events(stalled_response);
    let got = take(&mut events, 300).await;
    for (k, (id, data)) in got.iter().enumerate() {
        assert_eq!(id, &k.to_string());
        assert!(
            data.starts_with(&format!("stalled-{k}x")),
            "event {k}: {data:.20}"
        );
    }
    drop(events);
    let _ = server.shut_down().await;
}

/// A client that cancels one stream (`RST_STREAM`, as dropping a response body does) gets
/// that stream's body and producer dropped at once, while its siblings go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_stream_is_dropped_at_once() {
    let probes: Arc<Vec<Arc<Probe>>> = Arc::new((0..5).map(|_| Arc::default()).collect());
    let server_probes = probes.clone();
    let server = Server::start(
        |_| {},
        move |request, ends| {
            let i: usize = query(&request, "i").unwrap().parse().unwrap();
            let name = format!("s{i}");
            let events =
                tokio_stream_ticks(Duration::from_millis(10)).map(move |k| numbered(&name, k, 0));
            sse(probed(server_probes[i].clone(), events), ends)
        },
    )
    .await;
    let (sender, connection) = connect(server.addr, None).await;
    let mut streams = Vec::new();
    for i in 0..5 {
        let mut events = events(get(&sender, &format!("/?i={i}"), None).await);
        assert_eq!(take(&mut events, 3).await, expected(&format!("s{i}"), 0, 3));
        streams.push(events);
    }
    drop(streams.remove(2)); // RST_STREAM(CANCEL) for stream 2
    let took = probes[2].wait_dropped().await;
    println!("reset stream's producer dropped {took:?} after the client's cancel");
    for (i, events) in [0, 1, 3, 4].into_iter().zip(streams.iter_mut()) {
        let got = take(events, 10).await;
        assert_eq!(got, expected(&format!("s{i}"), 3, 13));
        assert!(!probes[i].dropped.load(Ordering::SeqCst));
    }
    assert!(
        !connection.is_finished(),
        "the connection outlives the reset"
    );
    drop(streams);
    let _ = server.shut_down().await;
}

/// `0, 1, 2, …`, one every `period`, the first at once.
fn tokio_stream_ticks(period: Duration) -> impl Stream<Item = u64> + Send + 'static {
    let interval = tokio::time::interval(period);
    futures_util::stream::unfold((0u64, interval), |(k, mut interval)| async move {
        interval.tick().await;
        Some((k, (k + 1, interval)))
    })
}

/// The events of a stream, to its end, as raw bytes.
async fn body_to_end(response: Response<Incoming>) -> Result<Vec<u8>, hyper::Error> {
    let collected = timeout(STEP, response.into_body().collect())
        .await
        .expect("the stream did not end");
    Ok(collected?.to_bytes().to_vec())
}

/// Shutdown over HTTP/2: every stream sends its last event and ends, the connection closes
/// with `GOAWAY` (the client's connection ends cleanly and takes no new stream), and the server
/// exits without waiting for the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_every_stream_then_goaway() {
    let server = Server::start(
        |_| {},
        |_, ends| {
            let events = tokio_stream_ticks(Duration::from_millis(20)).map(|k| numbered("t", k, 0));
            sse(events, ends)
        },
    )
    .await;
    let (sender, connection) = connect(server.addr, None).await;
    let mut responses = Vec::new();
    for _ in 0..10 {
        responses.push(get(&sender, "/", None).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let reading: Vec<_> = responses
        .into_iter()
        .map(|response| tokio::spawn(body_to_end(response)))
        .collect();
    let (exit, took) = server.shut_down().await;
    assert_eq!(exit, Exit::Drained, "{took:?}");
    assert!(took < GRACE, "{took:?}");
    for stream in reading {
        let body = stream.await.unwrap().expect("a clean end, not a reset");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("id: 0\ndata: t-0\n\n"), "{text:.40}");
        assert!(text.ends_with("\n\n: bye\nretry: 1500\n\n"), "{text}");
    }
    let ended = timeout(STEP, connection)
        .await
        .expect("connection still open");
    assert!(
        ended.unwrap().is_ok(),
        "the connection ended with GOAWAY, not an error"
    );
    assert!(
        open(&sender, "/", None).await.is_err(),
        "no new stream after GOAWAY"
    );
}

/// Shutdown with one stream whose client stopped reading: its last event waits on flow
/// control, which no write timeout sees, so only the grace period ends it; the other streams
/// still get their last event and end cleanly, and the server exits once the grace is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_a_stalled_stream_ends_after_the_grace_period() {
    let stalled = Arc::new(Probe::default());
    let probe = stalled.clone();
    let server = Server::start(
        |_| {},
        move |request, ends| {
            let stall = query(&request, "stall").is_some();
            let events = tokio_stream_ticks(Duration::from_millis(1))
                .map(move |k| numbered("t", k, if stall { 4096 } else { 0 }));
            match stall {
                true => sse(probed(probe.clone(), events), ends),
                false => sse(events, ends),
            }
        },
    )
    .await;
    let (sender, connection) = connect(server.addr, Some(64 * 1024)).await;
    let stalled_response = get(&sender, "/?stall=1", None).await;
    stalled.wait_stalled().await;
    let reading: Vec<_> = {
        let mut reading = Vec::new();
        for _ in 0..5 {
            let response = get(&sender, "/", None).await;
            reading.push(tokio::spawn(body_to_end(response)));
        }
        reading
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (exit, took) = server.shut_down().await;
    assert_eq!(exit, Exit::GraceExpired);
    assert!(took >= GRACE && took < GRACE + STEP / 2, "{took:?}");
    for stream in reading {
        let body = stream.await.unwrap().expect("a clean end, not a reset");
        assert!(body.ends_with(b"\n\n: bye\nretry: 1500\n\n"));
    }
    assert!(stalled.wait_dropped().await < STEP);
    // The stalled client sees what it was sent, then the connection drop: an error, upon which
    // an `EventSource` reconnects.
    assert!(body_to_end(stalled_response).await.is_err());
    assert!(timeout(STEP, connection).await.is_ok(), "connection closed");
}

/// More streams than the server's `max_concurrent_streams`: the client queues the extra ones,
/// so their requests get no response (no head, no event) until a stream ends. hyper's default
/// limit is 200; raising it (`http2().max_concurrent_streams(n)`) serves them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_past_max_concurrent_streams_wait_until_the_limit_is_raised() {
    let handler = |_: Request<Incoming>, ends: &Shutdown| {
        sse(
            futures_util::stream::iter([numbered("m", 0, 0)])
                .chain(futures_util::stream::pending()),
            ends,
        )
    };
    // hyper's default.
    let server = Server::start(|_| {}, handler).await;
    let (sender, _connection) = connect(server.addr, None).await;
    let mut open_streams = Vec::new();
    for _ in 0..200 {
        let mut events = events(get(&sender, "/", None).await);
        assert_eq!(take(&mut events, 1).await, expected("m", 0, 1));
        open_streams.push(events);
    }
    let mut extra = Box::pin(open(&sender, "/", None));
    let waited = timeout(Duration::from_millis(500), &mut extra).await;
    assert!(
        waited.is_err(),
        "the 201st stream was queued by the client, not answered"
    );
    drop(open_streams.pop());
    let response = timeout(STEP, extra)
        .await
        .expect("answered once a stream ended")
        .unwrap();
    assert_eq!(take(&mut events(response), 1).await, expected("m", 0, 1));
    drop(open_streams);
    let _ = server.shut_down().await;

    // Raised.
    let server = Server::start(
        |builder| {
            builder.http2().max_concurrent_streams(1000);
        },
        handler,
    )
    .await;
    let (sender, _connection) = connect(server.addr, None).await;
    let opening: Vec<_> = (0..300)
        .map(|_| {
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut events = events(get(&sender, "/", None).await);
                assert_eq!(take(&mut events, 1).await, expected("m", 0, 1));
                events
            })
        })
        .collect();
    let mut open_streams = Vec::new();
    for stream in opening {
        open_streams.push(stream.await.unwrap());
    }
    assert_eq!(open_streams.len(), 300);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    drop(open_streams);
    let _ = server.shut_down().await;
}

/// The hub over HTTP/2: 20 streams on one connection over 4 rooms, each gets its room's events
/// in order; a stream that comes back with `Last-Event-ID` on the same connection gets the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_rooms_over_one_connection() {
    let hub = Hub::new(HubConfig::default().history(1000));
    let subscriber = hub.clone();
    let server = Server::start(
        |_| {},
        move |request, ends| {
            let room = query(&request, "room").unwrap().to_owned();
            let last_id = LastEventId::from_request(&request);
            sse(subscriber.subscribe([room], last_id.as_bytes()), ends)
        },
    )
    .await;
    let (sender, _connection) = connect(server.addr, None).await;
    let mut streams = Vec::new();
    for i in 0..20 {
        let room = format!("r{}", i % 4);
        streams.push((
            room.clone(),
            events(get(&sender, &format!("/?room={room}"), None).await),
        ));
    }
    while hub.subscribers() < 20 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut ids: Vec<Vec<String>> = vec![Vec::new(); 4];
    for k in 0..50 {
        for (r, ids) in ids.iter_mut().enumerate() {
            let published = hub
                .publish(&format!("r{r}"), Event::new().data(format!("r{r}-{k}")))
                .unwrap();
            ids.push(published.to_string());
        }
    }
    for (room, events) in &mut streams {
        let r: usize = room[1..].parse().unwrap();
        let want: Vec<_> = (0..50)
            .map(|k| (ids[r][k].clone(), format!("r{r}-{k}")))
            .collect();
        assert_eq!(take(events, 50).await, want, "{room}");
    }
    drop(streams);
    // Back after event 19 of room r2, on the same connection.
    let mut events = events(get(&sender, "/?room=r2", Some(&ids[2][19])).await);
    let want: Vec<_> = (20..50)
        .map(|k| (ids[2][k].clone(), format!("r2-{k}")))
        .collect();
    assert_eq!(take(&mut events, 30).await, want);
    drop(events);
    let _ = server.shut_down().await;
}

/// `Lifetime` over HTTP/2: each stream ends after its age with its last event, as a clean end
/// of that stream only, and the connection carries the reconnection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifetime_ends_streams_not_the_connection() {
    let server = Server::start(
        |_| {},
        |request, _ends| {
            let first: u64 = LastEventId::from_request(&request)
                .as_u64()
                .map_or(0, |id| id.unwrap() + 1);
            let events = tokio_stream_ticks(Duration::from_millis(10))
                .map(move |k| numbered("l", first + k, 0));
            let lifetime = Lifetime::after(Duration::from_millis(300))
                .last_event(Event::new().retry(Duration::from_millis(100)));
            EventStream::new(events)
                .max_lifetime(lifetime)
                .into_http_response()
                .map(BodyExt::boxed_unsync)
        },
    )
    .await;
    let (sender, connection) = connect(server.addr, None).await;
    let mut lives = Vec::new();
    for _ in 0..10 {
        let response = get(&sender, "/", None).await;
        lives.push(tokio::spawn(body_to_end(response)));
    }
    for life in lives {
        let body = String::from_utf8(life.await.unwrap().expect("a clean end")).unwrap();
        assert!(body.starts_with("id: 0\ndata: l-0\n\n"));
        assert!(body.ends_with("\n\nretry: 100\n\n"), "{body}");
        let last_id = body
            .rsplit("id: ")
            .next()
            .unwrap()
            .split('\n')
            .next()
            .unwrap();
        let last: u64 = last_id.parse().unwrap();
        // The reconnection, on the same connection, goes on after the last id.
        let mut next_life = events(get(&sender, "/", Some(last_id)).await);
        assert_eq!(
            take(&mut next_life, 2).await,
            expected("l", last + 1, last + 3)
        );
    }
    assert!(!connection.is_finished());
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    let _ = server.shut_down().await;
}

/// The counter examples as users run them, over h2c (as `curl --http2-prior-knowledge` asks):
/// 50 streams on one connection all stream `Message 0`, `Message 1`, …
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_examples_serve_fifty_h2c_streams() {
    for name in ["counter", "counter_hyper"] {
        let server = common::start_example(name, &["--port", "0", "--interval-ms", "50"]);
        let addr: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
        let (sender, _connection) = connect(addr, None).await;
        let streams: Vec<_> = (0..50)
            .map(|_| {
                let sender = sender.clone();
                tokio::spawn(async move {
                    let mut events = events(get(&sender, "/sse", None).await);
                    let got: Vec<_> = take(&mut events, 3).await;
                    got
                })
            })
            .collect();
        for stream in streams {
            let got = stream.await.unwrap();
            let want: Vec<_> = (0..3)
                .map(|k| (k.to_string(), format!("Message {k}")))
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }
}

/// A client that vanishes without closing (its connection frozen: nothing read, nothing
/// answered, the socket left open) is found by the server's HTTP/2 PING keep-alive, which drops
/// the connection and the stream's producer; without PINGs the producer is still held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_keep_alive_finds_a_vanished_client() {
    for pings in [true, false] {
        let probe = Arc::new(Probe::default());
        let server_probe = probe.clone();
        let server = Server::start(
            |builder| {
                if pings {
                    builder
                        .http2()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .keep_alive_interval(Duration::from_millis(200))
                        .keep_alive_timeout(Duration::from_millis(200));
                }
            },
            move |_, ends| {
                let events =
                    tokio_stream_ticks(Duration::from_millis(100)).map(|k| numbered("p", k, 0));
                sse(probed(server_probe.clone(), events), ends)
            },
        )
        .await;
        let frozen = Arc::new(AtomicBool::new(false));
        let tcp = Frozen {
            tcp: tokio::net::TcpStream::connect(server.addr).await.unwrap(),
            frozen: frozen.clone(),
        };
        let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .handshake::<_, Empty<Bytes>>(TokioIo::new(tcp))
            .await
            .unwrap();
        let _connection = tokio::spawn(connection);
        let mut events = events(get(&sender, "/", None).await);
        assert_eq!(take(&mut events, 1).await, expected("p", 0, 1));
        frozen.store(true, Ordering::SeqCst);
        if pings {
            let took = probe.wait_dropped().await;
            println!("vanished client dropped {took:?} after it froze (PING every 200 ms)");
        } else {
            tokio::time::sleep(Duration::from_secs(2)).await;
            assert!(!probe.dropped.load(Ordering::SeqCst), "held without PINGs");
        }
        drop(events);
        let _ = server.shut_down().await;
    }
}

/// A client's socket that, once `frozen` is set, is neither read nor written again, and stays
/// open: a peer that vanished without closing (a closed laptop, a NAT that forgot the flow).
struct Frozen {
    tcp: tokio::net::TcpStream,
    frozen: Arc<AtomicBool>,
}

impl Frozen {
    /// `io` on the socket, or pending forever once frozen (no waker kept: nothing will wake it).
    fn unless_frozen<T>(
        self: std::pin::Pin<&mut Self>,
        io: impl FnOnce(std::pin::Pin<&mut tokio::net::TcpStream>) -> std::task::Poll<T>,
    ) -> std::task::Poll<T> {
        let this = self.get_mut();
        match this.frozen.load(Ordering::SeqCst) {
            true => std::task::Poll::Pending,
            false => io(std::pin::Pin::new(&mut this.tcp)),
        }
    }
}

impl tokio::io::AsyncRead for Frozen {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.unless_frozen(|tcp| tcp.poll_read(cx, buf))
    }
}

impl tokio::io::AsyncWrite for Frozen {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.unless_frozen(|tcp| tcp.poll_write(cx, buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.unless_frozen(|tcp| tcp.poll_flush(cx))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.unless_frozen(|tcp| tcp.poll_shutdown(cx))
    }
}
