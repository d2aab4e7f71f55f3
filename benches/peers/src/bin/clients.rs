//! The Rust `EventSource` clients side by side, run against the same scripted servers on
//! loopback: `cargo run --release --manifest-path benches/peers/Cargo.toml --bin clients`.
//!
//! Each scenario serves every connection as scripted and watches for a fixed window what the
//! server sees (requests, their `Last-Event-ID`, the gaps between them) and what the client
//! dispatches. Prints one markdown table: what the README's comparison cites.
//!
//! The browser is headless Chromium (`CHROMIUM`, or Debian's `/usr/bin/chromium`) driven by
//! `tests/clients/comparison_browser.mjs`, which needs `npm ci` in `tests/clients`: the page,
//! served at `/` by the same server, opens `new EventSource("/sse")`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long each client is watched in each scenario.
const WINDOW: Duration = Duration::from_millis(2500);

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    at: Duration,
    last_event_id: Option<String>,
    cache_control: Option<String>,
}

/// Serves connection n with `script(n)`: the raw response (head and body), then whether to
/// hold the connection open afterwards.
async fn serve(script: fn(usize) -> (Vec<u8>, bool)) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let start = Instant::now();
    tokio::spawn(async move {
        // The scripts count the stream's requests only, not the browser's page.
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            let requests = requests.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0; 2048];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_lowercase();
                // The browser's page and its icon are not the stream's requests.
                if head.starts_with("get / ") {
                    let _ = tcp.write_all(PAGE.as_bytes()).await;
                    return;
                }
                if !head.starts_with("get /sse") {
                    let _ = tcp.write_all(&status(404)).await;
                    return;
                }
                let header = |name: &str| {
                    head.lines().find_map(|l| {
                        l.strip_prefix(&format!("{name}:"))
                            .map(|v| v.trim().to_owned())
                    })
                };
                log.lock().unwrap().push(Seen {
                    at: start.elapsed(),
                    last_event_id: header("last-event-id"),
                    cache_control: header("cache-control"),
                });
                let n = requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (response, hold) = script(n);
                let _ = tcp.write_all(&response).await;
                if hold {
                    while let Ok(1..) = tcp.read(&mut buf).await {}
                }
            });
        }
    });
    (addr, seen)
}

/// The browser's page: an `EventSource` whose messages and final closing it records.
const PAGE: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n\
<!doctype html><script>\
window.__log = { events: [], ended: false };\
const source = new EventSource('/sse');\
source.onmessage = (e) => window.__log.events.push(e.data);\
source.onerror = () => { if (source.readyState === EventSource.CLOSED) window.__log.ended = true; };\
</script>";

/// What Chromium's `EventSource` dispatched in the window, and whether it closed for good.
async fn browser(page: String) -> (Vec<String>, bool) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/clients/comparison_browser.mjs"
    );
    let out = tokio::process::Command::new("node")
        .arg(script)
        .arg(page)
        .arg(WINDOW.as_millis().to_string())
        .output()
        .await
        .expect("node, to drive Chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8(out.stdout).unwrap();
    let events = out
        .lines()
        .filter_map(|l| l.strip_prefix("E "))
        .map(str::to_owned)
        .collect();
    (events, out.lines().any(|l| l == "ENDED yes"))
}

fn stream(body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{body}")
        .into_bytes()
}

fn redirect(code: u16) -> Vec<u8> {
    format!("HTTP/1.1 {code} X\r\nlocation: /sse?moved\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into_bytes()
}

fn status(code: u16) -> Vec<u8> {
    format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into_bytes()
}

/// The data of each event a client dispatched within the window, and whether its stream
/// ended. Each client's items are reduced to `Some(data)` for an event, `None` for anything
/// else; a stream that stops on its own ends.
async fn run(client: &str, url: String) -> (Vec<String>, bool) {
    use futures_util::stream::{BoxStream, StreamExt as _};
    let items: BoxStream<'static, Option<String>> = match client {
        "sse-wire" => sse_wire::client::EventSource::builder(url)
            .build()
            // sse-wire ends with an error when it fails for good.
            .take_while(|item| std::future::ready(item.is_ok()))
            .map(|item| match item {
                Ok(sse_wire::client::SourceEvent::Message(e)) => Some(e.data().to_owned()),
                _ => None,
            })
            .boxed(),
        "reqwest-eventsource" => reqwest_eventsource::EventSource::get(url)
            .map(|item| match item {
                Ok(reqwest_eventsource::Event::Message(m)) => Some(m.data),
                _ => None,
            })
            .boxed(),
        _ => {
            use eventsource_client::Client;
            let client = eventsource_client::ClientBuilder::for_url(&url)
                .unwrap()
                .build();
            client
                .stream()
                .map(|item| match item {
                    Ok(eventsource_client::SSE::Event(e)) => Some(e.data),
                    _ => None,
                })
                .boxed()
        }
    };
    let mut items = items;
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + WINDOW;
    let ended = loop {
        match tokio::time::timeout_at(deadline, items.next()).await {
            Err(_) => break false,
            Ok(None) => break true,
            Ok(Some(data)) => events.extend(data),
        }
    };
    (events, ended)
}

fn gaps(seen: &[Seen]) -> String {
    let gaps: Vec<String> = seen
        .windows(2)
        .take(4)
        .map(|w| format!("{}", (w[1].at - w[0].at).as_millis()))
        .collect();
    match gaps.is_empty() {
        true => "-".into(),
        false => format!("{} ms", gaps.join(", ")),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clients = [
        "sse-wire",
        "reqwest-eventsource",
        "eventsource-client",
        "Chromium",
    ];
    type Script = fn(usize) -> (Vec<u8>, bool);
    let scenarios: [(&str, Script); 9] = [
        ("204 No Content", |_| (status(204), false)),
        ("500", |_| (status(500), false)),
        ("200 text/html", |_| {
            let r = "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\ndata: x\n\n";
            (r.as_bytes().to_vec(), false)
        }),
        ("drop after id 7, retry 200, half an event", |n| match n {
            0 => (stream("retry: 200\nid: 7\ndata: a\n\ndata: half"), false),
            _ => (stream("data: b\n\n"), true),
        }),
        ("drop before any id", |n| match n {
            0 => (stream("retry: 200\ndata: a\n\n"), false),
            _ => (stream(""), true),
        }),
        ("301 to the stream", |n| match n {
            0 => (redirect(301), false),
            _ => (stream("data: moved\n\n"), true),
        }),
        ("307 to the stream", |n| match n {
            0 => (redirect(307), false),
            _ => (stream("data: moved\n\n"), true),
        }),
        ("every connection dropped, retry 100", |_| {
            (stream("retry: 100\ndata: x\n\n"), false)
        }),
        ("one 20 MiB event", |n| match n {
            0 => {
                let mut body = stream("data: ");
                body.resize(body.len() + (20 << 20), b'x');
                body.extend_from_slice(b"\n\n");
                (body, true)
            }
            _ => (stream(""), true),
        }),
    ];
    println!("| scenario | client | requests in {} ms | gaps between them | Last-Event-ID sent | Cache-Control | events dispatched | stream ended |", WINDOW.as_millis());
    println!("|---|---|---:|---|---|---|---|---|");
    for (name, script) in scenarios {
        for client in clients {
            let (addr, seen) = serve(script).await;
            let (events, stopped) = match client {
                "Chromium" => browser(format!("http://{addr}/")).await,
                _ => {
                    let (events, ended) = run(client, format!("http://{addr}/sse")).await;
                    let shown = events
                        .iter()
                        .map(|e| match e.len() > 16 {
                            true => format!("{} bytes", e.len()),
                            false => format!("{e:?}"),
                        })
                        .collect();
                    (shown, ended)
                }
            };
            let seen = seen.lock().unwrap().clone();
            let ids: Vec<String> = seen
                .iter()
                .take(5)
                .map(|s| match &s.last_event_id {
                    None => "none".into(),
                    Some(id) => format!("{id:?}"),
                })
                .collect();
            println!(
                "| {name} | {client} | {} | {} | {} | {} | {} | {} |",
                seen.len(),
                gaps(&seen),
                ids.join(", ") + if seen.len() > 5 { ", …" } else { "" },
                seen.first()
                    .and_then(|s| s.cache_control.clone())
                    .unwrap_or("none".into()),
                match events.len() {
                    0 => "none".into(),
                    1..=5 => events.join(", "),
                    n => format!("{n}: {}, …", events[..5].join(", ")),
                },
                if stopped { "yes" } else { "no" },
            );
        }
    }
}
