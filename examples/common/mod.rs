//! The contract every counter example serves, described once.
//!
//! * `GET /` — [`INDEX_HTML`]: a page whose `EventSource` shows the count, the connection state
//!   and the last event id, and reconnects by itself.
//! * `GET /sse` — the stream: every `--interval-ms` (default 1000) an event with
//!   `data: Message {n}` (type `message`), `id: {n}`, starting at 0 at once; the first event
//!   also carries `retry:` (`--retry-ms`, default 2000). A request with `Last-Event-ID: 41` continues at 42; an
//!   invalid one (not a decimal `u64`, see `sse_wire::headers::last_event_id_u64`, or
//!   `u64::MAX`, which has no next id) starts over at 0. After id `u64::MAX` the stream ends.
//!   Comments keep idle connections open (`--keep-alive-ms`, default 15000).
//!   Headers: `sse_wire::headers::RESPONSE_HEADERS`.
//! * `--port N` or `PORT` (default 3000; 0 picks a free port), always on 127.0.0.1; the URL is
//!   printed once listening as `Listening on http://127.0.0.1:PORT/`.
//! * `--count N`: streams end after event N, and the server exits once one has sent it.
//! * `--broadcast` (the axum `counter` only): one shared counter, published to an
//!   `sse_wire::Hub` that encodes each event once and keeps the last 1,024. A fresh client
//!   joins at the current count; a client that comes back with `Last-Event-ID: k` gets k+1,
//!   k+2, … replayed from the hub's history, then the live count (an id the history no longer
//!   holds gets the hub's `event: reset` first).
//! * Ctrl-C: open streams end cleanly and the server exits; the axum, hyper and actix-web
//!   counters first send each stream a last event (`: server shutting down`, and a `retry`
//!   spread over 1-5 s), through `sse_wire::Shutdown`.
#![allow(dead_code)]

use std::time::Duration;

/// The `retry` hint on each stream's first event, unless `--retry-ms` says otherwise.
pub const RETRY: Duration = Duration::from_millis(2000);

/// How long a server waits, once shut down, for its connections to finish before it exits: an
/// HTTP/2 stream whose client stopped reading waits on flow control, not on the socket, so no
/// write timeout ends it and it would hold graceful shutdown forever.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Command-line settings shared by the examples.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub interval: Duration,
    pub keep_alive: Duration,
    pub count: Option<u64>,
    pub broadcast: bool,
    /// The `retry` hint on each stream's first event.
    pub retry: Duration,
}

impl Config {
    /// Reads `--port`, `--interval-ms`, `--keep-alive-ms`, `--count` and `PORT`; exits with a
    /// usage message on anything else.
    pub fn from_args() -> Config {
        let mut config = Config {
            port: std::env::var("PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(3000),
            interval: Duration::from_millis(1000),
            keep_alive: Duration::from_millis(15_000),
            count: None,
            broadcast: false,
            retry: RETRY,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "--broadcast" {
                config.broadcast = true;
                continue;
            }
            let value = args.next().and_then(|v| v.parse::<u64>().ok());
            match (flag.as_str(), value) {
                ("--port", Some(v)) if v <= u64::from(u16::MAX) => config.port = v as u16,
                ("--interval-ms", Some(v)) if v > 0 => config.interval = Duration::from_millis(v),
                ("--keep-alive-ms", Some(v)) if v > 0 => {
                    config.keep_alive = Duration::from_millis(v)
                }
                ("--count", Some(v)) => config.count = Some(v),
                ("--retry-ms", Some(v)) => config.retry = Duration::from_millis(v),
                _ => {
                    eprintln!(
                        "usage: [--port N] [--interval-ms N] [--keep-alive-ms N] [--count N] [--retry-ms N] [--broadcast]  (or PORT=N)"
                    );
                    std::process::exit(2);
                }
            }
        }
        config
    }

    /// For the examples that only serve a counter per connection.
    pub fn reject_broadcast(self) -> Config {
        if self.broadcast {
            eprintln!("--broadcast is implemented by the axum `counter` example only");
            std::process::exit(2);
        }
        self
    }
}

/// The first id a stream sends, given the client's last event id (header or query): the next
/// one after it, or 0 for a fresh client, an invalid id, or `u64::MAX` (which has no next).
pub fn first_id(last_event_id: &sse_wire::headers::LastEventId) -> u64 {
    match last_event_id.as_u64() {
        None => 0,
        Some(Ok(n)) => n.checked_add(1).unwrap_or_else(|| {
            eprintln!("ignoring Last-Event-ID {n} (no id follows it); starting over");
            0
        }),
        Some(Err(e)) => {
            eprintln!("ignoring Last-Event-ID ({e}); starting over");
            0
        }
    }
}

/// Event `n` of the counter, with the `retry` hint if given.
pub fn counter_event(n: u64, retry: Option<Duration>) -> sse_wire::Event {
    let event = sse_wire::Event::new().id(n).data(format!("Message {n}"));
    match retry {
        Some(retry) => event.retry(retry),
        None => event,
    }
}

/// Whether a stream should end after event `n`.
pub fn is_last(n: u64, count: Option<u64>) -> bool {
    count.is_some_and(|c| n >= c)
}

/// The page served at `/`.
pub const INDEX_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sse-wire counter</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; color: #222; }
  #count { font-size: 5rem; font-weight: 700; font-variant-numeric: tabular-nums; }
  .state { display: inline-block; padding: 0 .6rem; border-radius: 1rem; background: #ddd; }
  .state.open { background: #b7f0c0; } .state.connecting { background: #ffe08a; }
  .state.closed { background: #f5b5b5; }
  dt { float: left; width: 9rem; color: #666; }
</style>
</head>
<body>
<h1>sse-wire counter</h1>
<div id="count">–</div>
<dl>
  <dt>message</dt><dd id="message">waiting…</dd>
  <dt>connection</dt><dd><span id="state" class="state">connecting</span></dd>
  <dt>last event id</dt><dd id="last-id">none</dd>
</dl>
<script>
  const names = ["connecting", "open", "closed"];
  const stateEl = document.getElementById("state");
  const source = new EventSource("/sse");
  function showState() {
    const name = names[source.readyState];
    stateEl.textContent = name;
    stateEl.className = "state " + name;
  }
  source.onopen = showState;
  source.onerror = showState;
  source.onmessage = (e) => {
    document.getElementById("message").textContent = e.data;
    document.getElementById("count").textContent = e.data.replace(/^Message /, "");
    document.getElementById("last-id").textContent = e.lastEventId || "none";
    showState();
  };
</script>
</body>
</html>
"#;

/// The `/sse` event stream on tokio (used by the axum, hyper and actix-web examples): event
/// `first` at once (with the `retry` hint if `hint`), then one per interval; it ends after event
/// `count` (asking the server to shut down) or `u64::MAX`, or as soon as `shutdown` is set.
pub fn counter_stream(
    first: u64,
    hint: bool,
    config: &Config,
    shutdown: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
) -> impl futures_util::Stream<Item = sse_wire::Event> + Send + 'static {
    use futures_util::StreamExt;
    let mut interval = tokio::time::interval(config.interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let count = config.count;
    let retry = config.retry;
    let stop = wait_for_shutdown(shutdown.subscribe());
    // `None` once the ids are used up.
    futures_util::stream::unfold((Some(first), interval), move |(n, mut interval)| {
        let shutdown = shutdown.clone();
        async move {
            let n = n?;
            if count.is_some_and(|c| n > c) {
                shutdown.send_replace(true);
                return None;
            }
            interval.tick().await;
            Some((
                counter_event(n, (hint && n == first).then_some(retry)),
                (n.checked_add(1), interval),
            ))
        }
    })
    .take_until(stop)
}

/// Resolves once the shutdown flag is set.
pub async fn wait_for_shutdown(mut shutdown: tokio::sync::watch::Receiver<bool>) {
    // An error means every sender is gone: nobody can ask for shutdown any more.
    if shutdown.wait_for(|&stop| stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Sets the shutdown flag on Ctrl-C, after triggering `ends` (if given), so that streams
/// ending because of the flag already see the shutdown and send their last event.
pub fn shutdown_on_ctrl_c(
    shutdown: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    ends: Option<sse_wire::Shutdown>,
) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Ctrl-C: ending open streams");
            if let Some(ends) = ends {
                ends.trigger();
            }
            shutdown.send_replace(true);
        }
    });
}

/// The last event of a stream ended by a shutdown: a comment, and a `retry` between 1 and 5 s
/// that differs per connection, so that clients do not all reconnect at the same instant.
pub fn farewell() -> sse_wire::Event {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let spread = Duration::from_millis(1000 + u64::from(nanos % 4000));
    sse_wire::Event::new()
        .comment("server shutting down")
        .retry(spread)
}
