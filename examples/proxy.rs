//! An LLM-style relay: `cargo run --example proxy -- UPSTREAM_URL [--port N]`.
//!
//! `GET /relay` reads the upstream event stream with the crate's client, transforms each event
//! (here: the data upper-cased, the type and id kept) and serves the result with
//! `EventStream`, so that a browser or another service reads one clean stream:
//!
//! * the upstream request belongs to the relayed response: when the relay's client goes away,
//!   the response body is dropped, and with it the upstream request (its connection closes);
//! * the upstream's reconnections are the relay's business: the relay reconnects as a browser
//!   would (after `retry:`, resending the last id), and its own client sees one stream;
//! * when the upstream fails for good (a status other than 200, a wrong content type, the
//!   attempts given up), the relayed stream ends with a last `event: error` whose data says
//!   why, then ends.
//!
//! Prints `Listening on http://127.0.0.1:PORT/` once ready.

use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use sse_wire::client::{ClientConfig, EventSource, SourceEvent};
use sse_wire::{Event, EventStream, EventType, KeepAlive};
use std::time::Duration;

/// The type of the relayed stream's last event when the upstream failed for good.
const ERROR: EventType = EventType::new("error");

/// What the relay does to each upstream event.
fn transform(event: &sse_wire::decode::MessageEvent) -> Event {
    let mut out = Event::new().data(event.data().to_uppercase());
    if event.event_type() != "message" {
        // A type from upstream is checked again here: one that could not be sent is dropped.
        if let Ok(typed) = out.clone().event(event.event_type().to_owned()) {
            out = typed;
        }
    }
    if !event.last_event_id().is_empty() {
        if let Ok(with_id) = out.clone().id(event.last_event_id().to_owned()) {
            out = with_id;
        }
    }
    out
}

async fn relay(upstream: String) -> impl IntoResponse {
    let source = EventSource::builder(upstream)
        .config(ClientConfig::default().max_attempts(5))
        .read_timeout(Duration::from_secs(60))
        .build();
    // Messages are relayed; a failure for good becomes the last event (the source ends after
    // it); the rest (open, reconnecting, skipped) is the relay's own business.
    let events = source.filter_map(|item| async move {
        match item {
            Ok(SourceEvent::Message(event)) => Some(transform(&event)),
            Ok(_) => None,
            Err(error) => Some(Event::new().event(ERROR).data(error.to_string())),
        }
    });
    EventStream::new(events.boxed()).keep_alive(KeepAlive::every(Duration::from_secs(15)))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut upstream, mut port) = (None, 3000u16);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => upstream = None,
            },
            _ if upstream.is_none() => upstream = Some(arg),
            _ => upstream = None,
        }
    }
    let Some(upstream) = upstream else {
        eprintln!("usage: proxy UPSTREAM_URL [--port N]");
        std::process::exit(2);
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let app = Router::new().route("/relay", get(move || relay(upstream.clone())));
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    Ok(())
}
