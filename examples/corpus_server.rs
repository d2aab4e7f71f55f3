//! Serves the conformance corpus (`tests/corpus/events.json`) as one event stream, for the
//! client tests in `tests/clients.rs`: `cargo run --example corpus_server -- --port 0`.
//!
//! * `GET /corpus` — every case's event in order, each followed by a marker event
//!   (`event: case`, data = the case's name) so a client's results can be matched to cases,
//!   then `event: done`. The stream then stays open (idle) so that browsers do not reconnect
//!   and replay it; clients close it when they see `done`.
//! * `GET /` — a page whose `EventSource` records every event (`type`, `data`, `lastEventId`)
//!   into `window.__sse` for a browser test to read.
//!
//! `--corpus PATH` reads another corpus file.

use axum::body::Body;
use axum::http::HeaderValue;
use axum::response::{Html, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use sse_wire::{headers, Event, EventStream};
use std::sync::Arc;
use std::time::Duration;

/// Text of a corpus value: a string, or `{"repeat": s, "count": n}`.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(o) => o["repeat"]
            .as_str()
            .unwrap_or("")
            .repeat(o["count"].as_u64().unwrap_or(0) as usize),
        _ => panic!("corpus text must be a string or {{repeat, count}}: {value}"),
    }
}

/// The corpus case's event, built with the public API as any user would.
fn event_of(fields: &Value) -> Result<Event, sse_wire::Error> {
    let mut event = Event::new();
    for comment in fields["comments"].as_array().into_iter().flatten() {
        event = event.comment(text(comment));
    }
    if let Some(ty) = fields.get("event") {
        event = event.event(text(ty))?;
    }
    if let Some(id) = fields.get("id") {
        event = event.id(text(id))?;
    }
    if let Some(ms) = fields.get("retry_ms").and_then(Value::as_u64) {
        event = event.retry(Duration::from_millis(ms));
    }
    if let Some(data) = fields.get("data") {
        event = event.data(text(data));
    }
    Ok(event)
}

/// All events of the stream: the cases with their markers, then `done`.
fn corpus_events(corpus: &Value) -> Vec<Event> {
    let mut events = Vec::new();
    for case in corpus["cases"].as_array().expect("corpus has cases") {
        let name = case["name"].as_str().unwrap_or("?");
        events.push(event_of(&case["event"]).unwrap_or_else(|e| panic!("case {name}: {e}")));
        events.push(Event::new().event("case").unwrap().data(name.to_owned()));
    }
    events.push(Event::new().event("done").unwrap().data("done"));
    events
}

/// Every event type a listener must subscribe to (besides `message`).
fn event_types(corpus: &Value) -> Vec<String> {
    let mut types = vec!["case".to_owned(), "done".to_owned()];
    for case in corpus["cases"].as_array().into_iter().flatten() {
        if let Some(t) = case["event"].get("event") {
            let t = text(t);
            if !t.is_empty() && t != "message" && !types.contains(&t) {
                types.push(t);
            }
        }
    }
    types
}

fn page(types: &[String]) -> String {
    let types = serde_json::to_string(types).unwrap();
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>sse-wire corpus</title></head>
<body><p id="status">receiving…</p>
<script>
  window.__sse = {{ done: false, events: [] }};
  const source = new EventSource("/corpus");
  const record = (e) => {{
    window.__sse.events.push({{ type: e.type, data: e.data, lastEventId: e.lastEventId }});
    if (e.type === "done") {{
      source.close();
      window.__sse.done = true;
      document.getElementById("status").textContent = "done: " + window.__sse.events.length + " events";
    }}
  }};
  source.onmessage = record;
  for (const type of {types}) source.addEventListener(type, record);
</script></body></html>
"#
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port = 0u16;
    let mut path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/events.json").to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--port", Some(p)) => port = p.parse().expect("--port N"),
            ("--corpus", Some(p)) => path = p,
            _ => {
                eprintln!("usage: corpus_server [--port N] [--corpus PATH]");
                std::process::exit(2);
            }
        }
    }
    let corpus: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let events = Arc::new(corpus_events(&corpus));
    let html = page(&event_types(&corpus));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let app = Router::new()
        .route("/", get(move || async move { Html(html) }))
        .route(
            "/corpus",
            get(move || async move {
                let ready = futures_util::stream::iter(events.iter().cloned().collect::<Vec<_>>());
                let body = EventStream::new(futures_util::StreamExt::chain(
                    ready,
                    futures_util::stream::pending(),
                ));
                let mut response = Response::new(Body::from_stream(body));
                for (name, value) in headers::RESPONSE_HEADERS {
                    response
                        .headers_mut()
                        .insert(name, HeaderValue::from_static(value));
                }
                response
            }),
        );
    axum::serve(listener, app).await
}
