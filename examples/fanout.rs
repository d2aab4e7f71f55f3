//! Many instances, one event log in Redis Streams (needs `--features redis` and a Redis):
//!
//! `cargo run --example fanout --features redis -- --redis redis://127.0.0.1:6379 --port 0 [--stream KEY]`
//!
//! * prints `Listening on http://127.0.0.1:PORT/` once listening;
//! * `GET /sse` streams every entry of the stream, oldest first, then live ones (`id:` the
//!   stream id, `data:` the published text, `event:` when one was given); with
//!   `Last-Event-ID` it resumes after that id, on whichever instance the client lands;
//! * `POST /publish?event=TYPE` publishes the request body as the data (`event` optional) and
//!   answers the new entry's id.
//!
//! Start two on different ports against the same Redis: a publish on one reaches the clients
//! of both, and a client can move from one to the other with its last id.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sse_wire::headers::LastEventId;
use sse_wire::{Event, EventStream, KeepAlive, RedisConfig, RedisHub};
use std::time::Duration;

#[derive(Deserialize)]
struct Publish {
    event: Option<String>,
}

async fn publish(
    State(hub): State<RedisHub>,
    Query(q): Query<Publish>,
    data: String,
) -> impl IntoResponse {
    let mut event = Event::new().data(data);
    if let Some(ty) = q.event {
        event = match event.event(ty) {
            Ok(event) => event,
            Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")),
        };
    }
    match hub.publish(&event).await {
        Ok(id) => (StatusCode::OK, format!("{id}\n")),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("redis: {e}\n")),
    }
}

async fn sse(State(hub): State<RedisHub>, last_id: LastEventId) -> impl IntoResponse {
    let subscription = match last_id.as_bytes() {
        Some(last) => hub.subscribe(Some(last)).await,
        None => hub.subscribe_all().await,
    };
    EventStream::new(subscription).keep_alive(KeepAlive::every(Duration::from_secs(15)))
}

fn usage() -> ! {
    eprintln!("usage: fanout --redis URL --port N [--stream KEY]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (mut redis, mut port, mut stream) = (None, None, "sse-wire".to_owned());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--redis" => redis = Some(value),
            "--port" => port = Some(value.parse::<u16>().unwrap_or_else(|_| usage())),
            "--stream" => stream = value,
            _ => usage(),
        }
    }
    let (Some(redis), Some(port)) = (redis, port) else {
        usage()
    };
    let config = RedisConfig::default()
        .stream(stream)
        .on_error(|e| eprintln!("redis: {e}; retrying"));
    let hub = match RedisHub::connect(&redis, config).await {
        Ok(hub) => hub,
        Err(e) => {
            eprintln!("cannot connect to {redis}: {e}");
            std::process::exit(1);
        }
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let app = Router::new()
        .route("/sse", get(sse))
        .route("/publish", post(publish))
        .with_state(hub);
    tokio::select! {
        served = axum::serve(listener, app) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
