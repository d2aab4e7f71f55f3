//! A chat with rooms on axum and the hub: `cargo run --example chat`, then open the printed URL
//! in two tabs and pick a room.
//!
//! * `GET /` — the page: a room picker, the room's messages through an `EventSource`, and a
//!   form that posts to the room.
//! * `POST /rooms/{room}` — the body (UTF-8 text, at most 1 MiB) is the message; the answer is
//!   its id. Published once to the room's topic; the hub encodes it once for every reader.
//! * `GET /rooms/{room}/events` — each message of the room as an event with no `event:` field
//!   and the text as its data. A client that comes back with `Last-Event-ID` (the header, or
//!   `?lastEventId=`) gets what it missed from the room's history, then live messages; one the
//!   history cannot serve gets `event: reset`, whose id it resumes from.
//! * Each room keeps at least its last 1,000 messages or 4 MiB, whatever the other rooms do:
//!   the hub keeps a history per room, within 1 GiB for all rooms together (256 rooms at
//!   their limit).
//! * `--port N` (default 3000; 0 picks a free port), always on 127.0.0.1; prints
//!   `Listening on http://127.0.0.1:PORT/` once listening. Ctrl-C exits.
//! * `--redis URL` (with `--features redis`): the rooms live in Redis, so that several
//!   instances on the same Redis are one chat; a client may reconnect to any of them. The same
//!   contract, with Redis keeping the last 100,000 messages of all rooms for clients that
//!   come back on another instance. `--redis-cluster URL,URL,…` does the same on a Redis
//!   Cluster, with `--shards N` (default 3) spreading the rooms over its nodes; `--prefix P`
//!   names the keys (default `chat`).
//!
//! ```sh
//! cargo run --example chat --features redis -- --redis redis://127.0.0.1:6379 --port 3001 &
//! cargo run --example chat --features redis -- --redis redis://127.0.0.1:6379 --port 3002
//! ```

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use sse_wire::headers::LastEventId;
use sse_wire::{Event, EventStream, Hub, HubConfig, HubError, KeepAlive, Published, Subscription};
use std::time::Duration;

/// The rooms: in this process's memory, or in Redis for several instances. Both give the same
/// ids, replay and reset event; only publishing to Redis waits for it.
#[derive(Clone)]
enum Rooms {
    Memory(Hub),
    #[cfg(feature = "redis")]
    Redis(sse_wire::RedisHub),
}

impl Rooms {
    async fn publish(&self, room: &str, event: Event) -> Result<Published, HubError> {
        match self {
            Rooms::Memory(hub) => hub.publish(room, event),
            #[cfg(feature = "redis")]
            Rooms::Redis(hub) => hub.publish(room, event).await,
        }
    }

    fn subscribe(&self, room: String, last_event_id: Option<&[u8]>) -> Subscription {
        match self {
            Rooms::Memory(hub) => hub.subscribe([room], last_event_id),
            #[cfg(feature = "redis")]
            Rooms::Redis(hub) => hub.subscribe([room], last_event_id),
        }
    }
}

const MAX_MESSAGE: usize = 1 << 20;
const MAX_ROOM_NAME: usize = 200;

async fn send(
    State(rooms): State<Rooms>,
    Path(room): Path<String>,
    text: String,
) -> Result<String, (StatusCode, &'static str)> {
    if room.len() > MAX_ROOM_NAME {
        return Err((StatusCode::BAD_REQUEST, "room name too long\n"));
    }
    if text.len() > MAX_MESSAGE {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "message over 1 MiB\n"));
    }
    // The hub gives the id: a message never carries one of its own. Only Redis being away
    // refuses one.
    match rooms.publish(&room, Event::new().data(text)).await {
        Ok(published) => Ok(published.to_string()),
        Err(e) => {
            eprintln!("not published: {e}");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "not published; try again\n",
            ))
        }
    }
}

async fn events(
    State(rooms): State<Rooms>,
    Path(room): Path<String>,
    last_id: LastEventId,
) -> impl IntoResponse {
    if room.len() > MAX_ROOM_NAME {
        return (StatusCode::BAD_REQUEST, "room name too long\n").into_response();
    }
    let messages = rooms.subscribe(room, last_id.as_bytes());
    EventStream::new(messages)
        .keep_alive(KeepAlive::every(Duration::from_secs(15)))
        .into_response()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let usage = || -> ! {
        eprintln!(
            "usage: chat [--port N] [--redis URL | --redis-cluster URL,URL,... [--shards N]] [--prefix P]"
        );
        std::process::exit(2);
    };
    let (mut port, mut redis, mut cluster, mut shards, mut prefix) =
        (3000u16, None, None, 3usize, "chat".to_owned());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else { usage() };
        match flag.as_str() {
            "--port" => port = value.parse().unwrap_or_else(|_| usage()),
            "--redis" => redis = Some(value),
            "--redis-cluster" => cluster = Some(value),
            "--shards" => shards = value.parse().unwrap_or_else(|_| usage()),
            "--prefix" => prefix = value,
            _ => usage(),
        }
    }
    let config = HubConfig::default()
        .history(1_000)
        .history_bytes(4 << 20)
        .hub_bytes(1 << 30);
    let rooms = match (redis, cluster) {
        (None, None) => Rooms::Memory(Hub::new(config)),
        #[cfg(feature = "redis")]
        (redis, cluster) => {
            use sse_wire::{RedisConfig, RedisHub};
            let on_error = |e: &HubError| eprintln!("redis: {e}");
            let connected = match (redis, cluster) {
                (Some(url), None) => {
                    let redis = RedisConfig::default().prefix(prefix).on_error(on_error);
                    RedisHub::connect(&url, redis, config).await
                }
                (None, Some(nodes)) => {
                    let nodes: Vec<&str> = nodes.split(',').collect();
                    let redis = RedisConfig::default()
                        .prefix(prefix)
                        .shards(shards)
                        .on_error(on_error);
                    RedisHub::connect_cluster(&nodes, redis, config).await
                }
                _ => usage(),
            };
            match connected {
                Ok(hub) => Rooms::Redis(hub),
                Err(e) => {
                    eprintln!("cannot start on Redis: {e}");
                    std::process::exit(1);
                }
            }
        }
        #[cfg(not(feature = "redis"))]
        _ => {
            let _ = (shards, prefix);
            eprintln!(
                "--redis needs the redis feature: cargo run --example chat --features redis -- …"
            );
            std::process::exit(2);
        }
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/rooms/{room}", post(send))
        .route("/rooms/{room}/events", get(events))
        // A message of 1 MiB, and the rest refused with 413 before it is read.
        .layer(DefaultBodyLimit::max(MAX_MESSAGE))
        .with_state(rooms);
    // HTTP/1.1 and h2c on one port; each message written at once (no Nagle delay).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            eprintln!("TCP_NODELAY not set: {e}");
        }
    });
    tokio::select! {
        served = axum::serve(listener, app) => served?,
        // Open streams never end by themselves, so they are not waited for on Ctrl-C.
        _ = tokio::signal::ctrl_c() => {}
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
  #log li { padding: .25rem .75rem; border-bottom: 1px solid #f0f0f0; white-space: pre-wrap; }
  .state { display: inline-block; padding: 0 .6rem; border-radius: 1rem; background: #ffe08a; font-size: 1rem; }
  .state.open { background: #b7f0c0; }
  form { display: flex; gap: .5rem; margin: .5rem 0; } #text { flex: 1; }
</style>
</head>
<body>
<h1>sse-wire chat <span id="state" class="state">connecting</span></h1>
<form id="picker">
  <label for="room">Room</label>
  <input id="room" list="rooms" value="lobby" size="12">
  <datalist id="rooms"><option value="lobby"><option value="random"><option value="help"></datalist>
  <button>Join</button>
</form>
<ul id="log"></ul>
<form id="form">
  <input id="text" placeholder="message" autocomplete="off" autofocus>
  <button>Send</button>
</form>
<script>
  const log = document.getElementById("log");
  const stateEl = document.getElementById("state");
  const roomEl = document.getElementById("room");
  window.messages = [];
  let source = null;
  let room = new URLSearchParams(location.search).get("room") || "lobby";
  const showState = () => {
    const open = source && source.readyState === EventSource.OPEN;
    stateEl.textContent = open ? "open" : "reconnecting";
    stateEl.className = "state" + (open ? " open" : "");
  };
  const join = (name) => {
    if (source) source.close();
    room = name;
    roomEl.value = name;
    history.replaceState(null, "", "?room=" + encodeURIComponent(name));
    log.replaceChildren();
    window.messages = [];
    source = new EventSource("/rooms/" + encodeURIComponent(name) + "/events");
    source.onopen = showState;
    source.onerror = showState;
    source.onmessage = (e) => {
      window.messages.push(e.data);
      const li = document.createElement("li");
      li.textContent = e.data;
      log.append(li);
      showState();
    };
    source.addEventListener("reset", () => {
      const li = document.createElement("li");
      li.textContent = "(some messages could not be replayed)";
      log.append(li);
    });
  };
  document.getElementById("picker").onsubmit = (e) => {
    e.preventDefault();
    if (roomEl.value) join(roomEl.value);
  };
  document.getElementById("form").onsubmit = async (e) => {
    e.preventDefault();
    const text = document.getElementById("text");
    if (!text.value) return;
    await fetch("/rooms/" + encodeURIComponent(room), { method: "POST", body: text.value });
    text.value = "";
  };
  join(room);
</script>
</body>
</html>
"#;
