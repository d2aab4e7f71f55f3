//! The ticking counter on axum: `cargo run --example counter`, then open the printed URL.
//!
//! The `/sse` contract (shared by `counter_hyper`, `counter_actix` and `counter_std`) is
//! described in `examples/common/mod.rs`.

mod common;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, Response};
use axum::routing::get;
use axum::Router;
use common::Config;
use sse_wire::{headers, EventStream, KeepAlive};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
struct App {
    config: Config,
    shutdown: Arc<watch::Sender<bool>>,
}

async fn sse(State(app): State<App>, request_headers: HeaderMap) -> Response {
    let first = common::first_id(
        request_headers
            .get(headers::LAST_EVENT_ID)
            .map(HeaderValue::as_bytes),
    );
    let events = common::counter_stream(first, &app.config, app.shutdown.clone());
    let body =
        EventStream::new(events).keep_alive(KeepAlive::new(common::ticks(app.config.keep_alive)));
    let mut response = Response::new(Body::from_stream(body));
    for (name, value) in headers::RESPONSE_HEADERS {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_args();
    let shutdown = Arc::new(watch::channel(false).0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    common::shutdown_on_ctrl_c(shutdown.clone());

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
