//! The ticking counter on axum: `cargo run --example counter`, then open the printed URL.
//!
//! The `/sse` contract (shared by `counter_hyper`, `counter_actix` and `counter_std`) is
//! described in `examples/common/mod.rs`.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use common::Config;
use futures_util::StreamExt;
use sse_wire::{headers, Encoded, Event, EventStream, KeepAlive};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

#[derive(Clone)]
struct App {
    config: Config,
    shutdown: Arc<watch::Sender<bool>>,
    /// With `--broadcast`: the shared counter's frames.
    frames: Option<broadcast::Sender<Encoded>>,
}

async fn sse(State(app): State<App>, request_headers: HeaderMap) -> impl IntoResponse {
    let keep_alive = KeepAlive::every(app.config.keep_alive);
    match &app.frames {
        None => {
            let last_id = request_headers
                .get(headers::LAST_EVENT_ID)
                .map(HeaderValue::as_bytes);
            let events = common::counter_stream(
                common::first_id(last_id),
                true,
                &app.config,
                app.shutdown.clone(),
            );
            // `EventStream` is an `IntoResponse`: status, headers and body in one value.
            EventStream::new(events.boxed())
                .keep_alive(keep_alive)
                .into_response()
        }
        Some(frames) => {
            // Joins the shared counter where it is. A client that falls so far behind that the
            // channel dropped events for it is disconnected, and resumes by reconnecting.
            let hint = futures_util::stream::once(async {
                Encoded::from(Event::new().retry(common::RETRY))
            });
            let shared = futures_util::stream::unfold(frames.subscribe(), |mut rx| async move {
                rx.recv().await.ok().map(|frame| (frame, rx))
            });
            let stop = common::wait_for_shutdown(app.shutdown.subscribe());
            EventStream::new(hint.chain(shared).take_until(stop).boxed())
                .keep_alive(keep_alive)
                .into_response()
        }
    }
}

/// The shared counter of `--broadcast`: each event is encoded once, into an `Encoded`, and every
/// subscriber's stream sends those same bytes.
fn broadcast_counter(
    config: &Config,
    shutdown: Arc<watch::Sender<bool>>,
) -> broadcast::Sender<Encoded> {
    let (frames, _) = broadcast::channel(1024);
    let sender = frames.clone();
    // The retry hint goes to each client on its own (see `sse`); shared frames carry none.
    let mut events = Box::pin(common::counter_stream(1, false, config, shutdown));
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            let _ = sender.send(Encoded::from(event)); // no subscribers yet is fine
        }
    });
    frames
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_args();
    let shutdown = Arc::new(watch::channel(false).0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    common::shutdown_on_ctrl_c(shutdown.clone());

    let frames = config
        .broadcast
        .then(|| broadcast_counter(&config, shutdown.clone()));
    let stopped = common::wait_for_shutdown(shutdown.subscribe());
    let app = Router::new()
        .route("/", get(|| async { Html(common::INDEX_HTML) }))
        .route("/sse", get(sse))
        .with_state(App {
            config,
            shutdown,
            frames,
        });
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await?;
    println!("Server stopped");
    Ok(())
}
