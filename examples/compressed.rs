//! The ticking counter, gzip-compressed, each event still delivered the moment it is sent:
//! `cargo run --example compressed`, then open the printed URL.
//!
//! Compression middleware (tower-http's `CompressionLayer`, say) fills its compressor's window
//! before it writes anything, so an event stream through it arrives in bursts, or only at the
//! end; tower-http therefore leaves `text/event-stream` alone. The way to compress a stream of
//! events is to flush the compressor after each chunk (a deflate "sync flush": the bytes so far
//! become decodable, at a cost of a few bytes per flush), which is what `gzip` below does.
//! The compression still pays: a stream's events repeat their field names and much of their
//! data, and the compressor's window spans chunks.
//!
//! Takes the counter's options (`--port`, `--interval-ms`, `--keep-alive-ms`, `--count`); see
//! `examples/common/mod.rs`.

mod common;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use common::Config;
use flate2::write::GzEncoder;
use flate2::Compression;
use futures_util::{Stream, StreamExt};
use sse_wire::headers::{self, LastEventId};
use sse_wire::{EventStream, KeepAlive};
use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;
use tokio::sync::watch;

/// Gzips a stream of body chunks, flushing after each one so that every chunk, and so every
/// event, can be decoded as soon as it arrives; the gzip trailer closes the body.
fn gzip(
    chunks: impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let encoder = Some(GzEncoder::new(Vec::new(), Compression::fast()));
    futures_util::stream::unfold(
        (Box::pin(chunks), encoder),
        |(mut chunks, mut encoder)| async move {
            let gz = encoder.as_mut()?;
            let out = match chunks.next().await {
                Some(Ok(chunk)) => gz
                    .write_all(&chunk)
                    .and_then(|()| gz.flush()) // the sync flush
                    .map(|()| Bytes::from(std::mem::take(gz.get_mut()))),
                Some(Err(never)) => match never {},
                // The end: the last compressed bytes and the trailer.
                None => encoder.take()?.finish().map(Bytes::from),
            };
            Some((out, (chunks, encoder)))
        },
    )
}

/// Whether the request's `Accept-Encoding` lists gzip (with a non-zero quality).
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let quality = parts
                .find_map(|p| p.strip_prefix("q="))
                .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip"))
                && quality > 0.0
        })
}

async fn sse(
    axum::extract::State(app): axum::extract::State<App>,
    last_id: LastEventId,
    request: HeaderMap,
) -> Response {
    let events = common::counter_stream(
        common::first_id(&last_id),
        true,
        &app.config,
        app.shutdown.clone(),
    );
    let stream =
        EventStream::new(events.boxed()).keep_alive(KeepAlive::every(app.config.keep_alive));
    if !accepts_gzip(&request) {
        return stream.into_response();
    }
    let mut response = axum::body::Body::from_stream(gzip(stream)).into_response();
    let head = response.headers_mut();
    for (name, value) in headers::RESPONSE_HEADERS {
        head.insert(name, HeaderValue::from_static(value));
    }
    head.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    head.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

#[derive(Clone)]
struct App {
    config: Config,
    shutdown: Arc<watch::Sender<bool>>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_args().reject_broadcast();
    let shutdown = Arc::new(watch::channel(false).0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    common::shutdown_on_ctrl_c(shutdown.clone(), None);
    let stopped = common::wait_for_shutdown(shutdown.subscribe());
    let app = Router::new()
        .route("/", get(|| async { Html(common::INDEX_HTML) }))
        .route("/sse", get(sse))
        .with_state(App { config, shutdown });
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await?;
    println!("Server stopped");
    Ok(())
}
