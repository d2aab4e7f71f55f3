//! A chat room on axum and the hub: `cargo run --example chat`, then open the printed URL in two
//! tabs.
//!
//! * `GET /` — the page: an `EventSource` on `/sse`, the messages, and a form that posts.
//! * `POST /send?name=NAME` — the body (UTF-8 text, at most 4 KiB) is the message; answers the
//!   message's id. Published once to the hub, which encodes it once for every tab.
//! * `GET /sse` — every message as `event: chat` with JSON data `{"name": …, "text": …}`, and
//!   `id:` the hub's sequence number. A tab whose connection drops reconnects by itself with
//!   `Last-Event-ID` and gets every message it missed from the hub's history (the last 1,000),
//!   then the live ones; one that was away longer gets `event: reset` and reloads.
//! * `--port N` (default 3000; 0 picks a free port), always on 127.0.0.1; prints
//!   `Listening on http://127.0.0.1:PORT/` once listening. Ctrl-C ends the streams and exits.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::Router;
use futures_util::StreamExt;
use serde::Deserialize;
use sse_wire::headers::LastEventId;
use sse_wire::{Encoded, Event, EventStream, EventType, Hub, HubConfig, KeepAlive};
use std::time::Duration;

const ROOM: &str = "room";
const CHAT: EventType = EventType::new("chat");
const MAX_MESSAGE: usize = 4096;

#[derive(Deserialize)]
struct Sender {
    name: Option<String>,
}

async fn send(
    State(hub): State<Hub>,
    Query(sender): Query<Sender>,
    text: String,
) -> impl IntoResponse {
    if text.len() > MAX_MESSAGE {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "message too long\n".to_owned(),
        );
    }
    let name = sender.name.unwrap_or_else(|| "anonymous".to_owned());
    let data = serde_json::json!({ "name": name, "text": text }).to_string();
    let id = hub.publish(ROOM, Event::new().event(CHAT).data(data));
    (StatusCode::OK, format!("{id}\n"))
}

async fn sse(State(hub): State<Hub>, last_id: LastEventId) -> impl IntoResponse {
    // Reconnect quickly after a drop: the missed messages wait in the hub's history.
    let hint = futures_util::stream::once(async {
        Encoded::from(Event::new().retry(Duration::from_millis(500)))
    });
    let messages = hint.chain(hub.subscribe([ROOM], last_id.as_bytes()));
    EventStream::new(messages).keep_alive(KeepAlive::every(Duration::from_secs(15)))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port = 3000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next().and_then(|v| v.parse().ok())) {
            ("--port", Some(p)) => port = p,
            _ => {
                eprintln!("usage: chat [--port N]");
                std::process::exit(2);
            }
        }
    }
    let hub = Hub::new(HubConfig::default().history(1000));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/send", post(send))
        .route("/sse", get(sse))
        .with_state(hub);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop_tx.send_replace(true);
        }
    });
    let stopped = async move {
        let mut stop_rx = stop_rx;
        let _ = stop_rx.wait_for(|&stop| stop).await;
    };
    // Open streams never end by themselves, so they are not waited for on Ctrl-C.
    tokio::select! {
        served = axum::serve(listener, app) => served?,
        () = stopped => {}
    }
    println!("Server stopped");
    Ok(())
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sse-wire chat</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; color: #222; }
  #log { list-style: none; padding: 0; min-height: 12rem; border: 1px solid #ddd; border-radius: .5rem; }
  #log li { padding: .25rem .75rem; border-bottom: 1px solid #f0f0f0; }
  #log b { margin-right: .5rem; }
  .state { display: inline-block; padding: 0 .6rem; border-radius: 1rem; background: #ffe08a; }
  .state.open { background: #b7f0c0; }
  form { display: flex; gap: .5rem; } #text { flex: 1; }
</style>
</head>
<body>
<h1>sse-wire chat <span id="state" class="state">connecting</span></h1>
<ul id="log"></ul>
<form id="form">
  <input id="name" placeholder="name" size="8">
  <input id="text" placeholder="message" autocomplete="off" autofocus>
  <button>Send</button>
</form>
<script>
  const log = document.getElementById("log");
  const stateEl = document.getElementById("state");
  window.messages = [];
  const source = new EventSource("/sse");
  const showState = () => {
    const open = source.readyState === EventSource.OPEN;
    stateEl.textContent = open ? "open" : "reconnecting";
    stateEl.className = "state" + (open ? " open" : "");
  };
  source.onopen = showState;
  source.onerror = showState;
  source.addEventListener("chat", (e) => {
    const { name, text } = JSON.parse(e.data);
    window.messages.push(text);
    const li = document.createElement("li");
    const who = document.createElement("b");
    who.textContent = name;
    li.append(who, document.createTextNode(text));
    log.append(li);
    showState();
  });
  source.addEventListener("reset", () => location.reload());
  document.getElementById("form").onsubmit = async (e) => {
    e.preventDefault();
    const text = document.getElementById("text");
    const name = document.getElementById("name").value || "anonymous";
    if (!text.value) return;
    await fetch("/send?name=" + encodeURIComponent(name), { method: "POST", body: text.value });
    text.value = "";
  };
</script>
</body>
</html>
"#;
