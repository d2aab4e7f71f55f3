//! The ticking counter on axum: `cargo run --example counter`, then open the printed URL.
//!
//! The `/sse` contract (shared by `counter_hyper`, `counter_actix` and `counter_std`) is
//! described in `examples/common/mod.rs`. It serves HTTP/1.1 and HTTP/2 without TLS (h2c) on one
//! port: `axum::serve` does both when axum's `http2` feature is on.

mod common;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use common::Config;
use futures_util::StreamExt;
use sse_wire::headers::LastEventId;
use sse_wire::{Encoded, Event, EventStream, Hub, HubConfig, KeepAlive, Shutdown};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
struct App {
    config: Config,
    shutdown: Arc<watch::Sender<bool>>,
    /// Ends every open stream, each with a last event, on Ctrl-C.
    ends: Shutdown,
    /// With `--broadcast`: the hub the shared counter is published to.
    hub: Option<Hub>,
}

async fn sse(State(app): State<App>, last_id: LastEventId) -> impl IntoResponse {
    let keep_alive = KeepAlive::every(app.config.keep_alive);
    match &app.hub {
        None => {
            let events = common::counter_stream(
                common::first_id(&last_id),
                true,
                &app.config,
                app.shutdown.clone(),
            );
            // `EventStream` is an `IntoResponse`: status, headers and body in one value.
            EventStream::new(events.boxed())
                .keep_alive(keep_alive)
                .until(app.ends.signal(), Some(common::farewell()))
                .into_response()
        }
        Some(hub) => {
            // The shared counter, from the hub: a client that comes back with `Last-Event-ID: k`
            // gets k+1, k+2, … from the hub's history, then the live count.
            let retry = app.config.retry;
            let hint =
                futures_util::stream::once(async move { Encoded::from(Event::new().retry(retry)) });
            let shared = hub.subscribe([TOPIC], last_id.as_bytes());
            EventStream::new(hint.chain(shared).boxed())
                .keep_alive(keep_alive)
                .until(app.ends.signal(), Some(common::farewell()))
                .into_response()
        }
    }
}

/// The hub's topic for the shared counter.
const TOPIC: &str = "counter";

/// The shared counter of `--broadcast`: each event is published once to the hub, which encodes
/// it once (its id is its own, the count) and keeps the last 1,024 for clients that reconnect.
fn broadcast_counter(config: &Config, shutdown: Arc<watch::Sender<bool>>, ends: Shutdown) -> Hub {
    let hub = Hub::new(HubConfig::default().history(1024));
    let publisher = hub.clone();
    let config = config.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(config.interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = common::wait_for_shutdown(shutdown.subscribe());
        tokio::pin!(stop);
        for n in 0u64.. {
            tokio::select! {
                _ = interval.tick() => {}
                () = &mut stop => return,
            }
            // Its own id, the count: unique among what the hub retains, so never refused.
            let event = Event::new().id(n).data(format!("Message {n}"));
            if let Err(e) = publisher.publish(TOPIC, event) {
                eprintln!("not published: {e}");
            }
            if common::is_last(n, config.count) {
                ends.trigger(); // the shared streams end only through it
                shutdown.send_replace(true);
                return;
            }
        }
    });
    hub
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_args();
    let shutdown = Arc::new(watch::channel(false).0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let ends = Shutdown::new();
    common::shutdown_on_ctrl_c(shutdown.clone(), Some(ends.clone()));

    let hub = config
        .broadcast
        .then(|| broadcast_counter(&config, shutdown.clone(), ends.clone()));
    let stopped = common::wait_for_shutdown(shutdown.subscribe());
    let app = Router::new()
        .route("/", get(|| async { Html(common::INDEX_HTML) }))
        .route("/sse", get(sse))
        .with_state(App {
            config,
            shutdown: shutdown.clone(),
            ends,
            hub,
        });
    // Each event is written as soon as it is produced; without TCP_NODELAY, Nagle's algorithm
    // holds a small write until the previous one is acknowledged (up to 40 ms with delayed ACKs).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            eprintln!("TCP_NODELAY not set: {e}");
        }
    });
    let served = axum::serve(listener, app).with_graceful_shutdown(stopped);
    // An HTTP/2 stream whose client stopped reading waits on flow control, not on the socket, so
    // it would hold graceful shutdown forever: give connections a grace period, then exit.
    let grace = async {
        common::wait_for_shutdown(shutdown.subscribe()).await;
        tokio::time::sleep(common::SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = served => served?,
        () = grace => eprintln!("connections still open after {:?}; exiting anyway", common::SHUTDOWN_GRACE),
    }
    println!("Server stopped");
    Ok(())
}
