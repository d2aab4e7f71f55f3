//! The ticking counter on hyper 1, with no framework: `cargo run --example counter_hyper`.
//!
//! Same `/sse` contract as the other counters (see `examples/common/mod.rs`). With the
//! `http-body` feature an `EventStream` is an `http_body::Body`, and `into_http_response` gives
//! the whole response, headers included.
//!
//! It serves HTTP/1.1 and HTTP/2 without TLS (h2c, as `curl --http2-prior-knowledge` speaks it)
//! on one port, with hyper-util's auto builder and the settings an SSE server wants on HTTP/2:
//! `TCP_NODELAY`, more concurrent streams than hyper's default of 200, and PING keep-alive.

mod common;

use bytes::Bytes;
use common::Config;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use sse_wire::headers::LastEventId;
use sse_wire::{EventStream, KeepAlive, Shutdown, TokioTimer, WriteTimeout};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

type Body = BoxBody<Bytes, Infallible>;

/// How long a connection may make no progress writing before it is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Streams one HTTP/2 connection may carry at once: every tab of a site shares one connection,
/// and each open `EventSource` holds a stream for as long as it lives. Past hyper's default
/// (200) a browser queues new streams, and their pages wait with no event.
const MAX_STREAMS: u32 = 1000;

/// How often an idle HTTP/2 connection is PINGed, and how long the answer may take before the
/// connection is dropped: finds peers that vanished without closing (a laptop lid, a NAT).
const PING_EVERY: Duration = Duration::from_secs(20);
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection settings described above.
fn connection_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS)
        .keep_alive_interval(PING_EVERY)
        .keep_alive_timeout(PING_TIMEOUT);
    builder
}

fn handle(
    request: Request<Incoming>,
    config: &Config,
    shutdown: &Arc<watch::Sender<bool>>,
    ends: &Shutdown,
) -> Response<Body> {
    match request.uri().path() {
        "/" => Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .body(Full::new(Bytes::from_static(common::INDEX_HTML.as_bytes())).boxed()),
        "/sse" => {
            let last_id = LastEventId::from_request(&request);
            let events =
                common::counter_stream(common::first_id(&last_id), true, config, shutdown.clone());
            let stream = EventStream::new(events)
                .keep_alive(KeepAlive::every(config.keep_alive))
                .until(ends.signal(), Some(common::farewell()));
            Ok(stream.into_http_response().map(BodyExt::boxed))
        }
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::new()).boxed()),
    }
    .expect("static headers are valid")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_args().reject_broadcast();
    let shutdown = Arc::new(watch::channel(false).0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let ends = Shutdown::new();
    common::shutdown_on_ctrl_c(shutdown.clone(), Some(ends.clone()));

    let graceful = GracefulShutdown::new();
    let builder = connection_builder();
    let stopped = common::wait_for_shutdown(shutdown.subscribe());
    tokio::pin!(stopped);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut stopped => break,
        };
        // Each event is written as soon as it is produced; without this, Nagle's algorithm holds
        // a small write until the previous one is acknowledged (up to 40 ms with delayed ACKs).
        if let Err(e) = stream.set_nodelay(true) {
            eprintln!("TCP_NODELAY not set: {e}");
        }
        let (config, shutdown, ends) = (config.clone(), shutdown.clone(), ends.clone());
        let service = service_fn(move |request| {
            let response = handle(request, &config, &shutdown, &ends);
            async move { Ok::<_, Infallible>(response) }
        });
        // A client that takes nothing for 30 s (a stalled tab) fails the connection's writes, so
        // hyper drops the connection and its stream instead of holding them.
        let io = WriteTimeout::new(stream, TokioTimer::new(), WRITE_TIMEOUT);
        let connection = builder.serve_connection(TokioIo::new(io), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("connection error: {e}");
            }
        });
    }
    // Streams end on shutdown, so connections finish their response and close promptly (HTTP/2
    // ones with GOAWAY); a stalled one is left behind after the grace period.
    if tokio::time::timeout(common::SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "connections still open after {:?}; exiting anyway",
            common::SHUTDOWN_GRACE
        );
    }
    println!("Server stopped");
    Ok(())
}
