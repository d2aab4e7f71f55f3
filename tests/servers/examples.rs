//! Starts each counter example as a user would (ephemeral loopback port, `--count`), and checks
//! it with an independent client (`reqwest` + `eventsource-stream`): status, headers, the exact
//! events, resume after `Last-Event-ID`, the page, and that the process exits by itself.
//! Loopback only; every wait is bounded.

use crate::common;

use common::Server;
use eventsource_stream::{Event, Eventsource};
use futures_util::StreamExt;
use std::time::{Duration, Instant};
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

fn start(name: &str, args: &[&str]) -> Server {
    let mut all = vec!["--port", "0"];
    all.extend_from_slice(args);
    common::start_example(name, &all)
}

async fn open(server: &Server, last_event_id: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("{}/sse", server.url));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = timeout(STEP, request.send()).await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let h = response.headers();
    assert_eq!(h["content-type"], "text/event-stream");
    assert_eq!(h["cache-control"], "no-cache");
    assert_eq!(h["x-accel-buffering"], "no");
    assert!(h.get("content-encoding").is_none());
    response
}

/// Reads `n` events, or all of them to the end of the stream when `n` is `None`.
async fn events(response: reqwest::Response, n: Option<usize>) -> Vec<Event> {
    let mut stream = response.bytes_stream().eventsource();
    let mut out = Vec::new();
    while n.map_or(true, |n| out.len() < n) {
        match timeout(STEP, stream.next()).await.expect("event timed out") {
            Some(event) => out.push(event.unwrap()),
            None => break,
        }
    }
    out
}

fn check_counter(events: &[Event], ids: std::ops::RangeInclusive<u64>) {
    let first = *ids.start();
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.event.as_str(), e.data.clone(), e.id.clone(), e.retry))
        .collect();
    let want: Vec<_> = ids
        .map(|n| {
            let retry = (n == first).then_some(Duration::from_millis(2000));
            ("message", format!("Message {n}"), n.to_string(), retry)
        })
        .collect();
    assert_eq!(got, want);
}

fn wait_for_exit(mut server: Server) {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit by itself after --count"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn check_example(name: &str) {
    // 200 ms apart, the streams dropped below are gone long before they could reach event 10
    // (which would end the run early), even on a loaded machine.
    let server = start(name, &["--interval-ms", "200", "--count", "10"]);

    // The page, and that it points at the stream.
    let page = timeout(STEP, reqwest::get(format!("{}/", server.url)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"new EventSource("/sse")"#));

    // A fresh client: 0, 1, 2, with the retry hint on the first.
    check_counter(&events(open(&server, None).await, Some(3)).await, 0..=2);
    // An id that is not a number: start over.
    check_counter(
        &events(open(&server, Some("not-a-number")).await, Some(1)).await,
        0..=0,
    );
    // Resume after 7: 8, 9, 10, then the stream ends (--count 10) and the server exits.
    check_counter(&events(open(&server, Some("7")).await, None).await, 8..=10);
    wait_for_exit(server);
}

#[tokio::test]
async fn counter_axum() {
    check_example("counter").await;
}

#[tokio::test]
async fn counter_hyper() {
    check_example("counter_hyper").await;
}

#[tokio::test]
async fn counter_actix() {
    check_example("counter_actix").await;
}

/// The README's first example: events 0, 1, 2 with their ids, the first at once.
#[tokio::test]
async fn hello() {
    let server = common::start_example("hello", &[]);
    let got = events(open(&server, None).await, Some(3)).await;
    let got: Vec<_> = got
        .iter()
        .map(|e| (e.id.as_str(), e.data.as_str()))
        .collect();
    assert_eq!(
        got,
        [("0", "Message 0"), ("1", "Message 1"), ("2", "Message 2")]
    );
}

#[tokio::test]
async fn counter_std() {
    check_example("counter_std").await;
}

/// Keep-alive comments on the wire while no event is due, and never inside an event.
#[tokio::test]
async fn compressed_counter_without_gzip_is_the_counter() {
    check_example("compressed").await;
}

#[tokio::test]
async fn compressed_counter_delivers_each_event_at_once() {
    use std::io::Write;
    let server = start("compressed", &["--interval-ms", "300", "--count", "4"]);
    let request = reqwest::Client::new()
        .get(format!("{}/sse", server.url))
        .header("accept-encoding", "gzip");
    let response = timeout(STEP, request.send()).await.unwrap().unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["vary"], "accept-encoding");
    let mut body = response.bytes_stream();
    let mut gunzip = flate2::write::GzDecoder::new(Vec::new());
    // When each event could first be read in the clear.
    let mut seen: Vec<Instant> = Vec::new();
    while let Some(chunk) = timeout(STEP, body.next()).await.unwrap() {
        gunzip.write_all(&chunk.unwrap()).unwrap();
        gunzip.flush().unwrap();
        let clear = String::from_utf8(gunzip.get_ref().clone()).unwrap();
        while clear.contains(&format!("data: Message {}\n\n", seen.len())) {
            seen.push(Instant::now());
        }
    }
    let clear = gunzip.finish().unwrap(); // the trailer checks the whole body's CRC
    let mut decoder = sse_wire::decode::Decoder::new();
    decoder.push(clear);
    let mut n = 0;
    while let Some(event) = decoder.next_event() {
        let event = event.unwrap();
        assert_eq!(
            (event.data(), event.last_event_id()),
            (format!("Message {n}").as_str(), n.to_string().as_str())
        );
        n += 1;
    }
    assert_eq!(n, 5);
    assert_eq!(seen.len(), 5);
    // Each event was readable as it was sent, 300 ms apart, not in one burst at the end as
    // behind a compressor that is not flushed.
    for pair in seen.windows(2) {
        assert!(pair[1] - pair[0] > Duration::from_millis(150), "{seen:?}");
    }
    wait_for_exit(server);
}

#[tokio::test]
async fn counter_sends_keep_alives_when_idle() {
    let server = start(
        "counter",
        &[
            "--interval-ms",
            "60000",
            "--keep-alive-ms",
            "100",
            "--count",
            "2",
        ],
    );
    let response = open(&server, None).await;
    let mut body = response.bytes_stream();
    let mut bytes = Vec::new();
    while bytes.windows(3).filter(|w| w == b":\n\n").count() < 3 {
        let chunk = timeout(STEP, body.next()).await.unwrap().unwrap().unwrap();
        bytes.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.starts_with("id: 0\nretry: 2000\ndata: Message 0\n\n:\n\n:\n\n"),
        "{text:?}"
    );
}

/// `--broadcast`: a client that comes back with `Last-Event-ID: k` gets k+1, k+2, … from the
/// hub's history (events published while it was away), not the current count.
#[tokio::test]
async fn broadcast_counter_replays_what_a_client_missed() {
    let server = start("counter", &["--broadcast", "--interval-ms", "50"]);
    let first = events(open(&server, None).await, Some(3)).await;
    let ids: Vec<u64> = first.iter().map(|e| e.id.parse().unwrap()).collect();
    assert_eq!(ids, [ids[0], ids[0] + 1, ids[0] + 2], "contiguous");
    let last = ids[2];
    // Away for a while: at least ten events are published meanwhile.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let resumed = events(open(&server, Some(&last.to_string())).await, Some(12)).await;
    let got: Vec<(u64, String)> = resumed
        .iter()
        .map(|e| (e.id.parse().unwrap(), e.data.clone()))
        .collect();
    let want: Vec<(u64, String)> = (last + 1..=last + 12)
        .map(|n| (n, format!("Message {n}")))
        .collect();
    assert_eq!(got, want, "replayed from history, then live, with no gap");
}

/// The ids at the end of the range: `u64::MAX` has no next id, so the client starts over at 0;
/// after `u64::MAX - 1` comes `u64::MAX`, and then the stream ends, instead of wrapping around
/// (release) or panicking (debug).
#[tokio::test]
async fn counter_at_the_end_of_the_ids() {
    let server = start("counter", &["--interval-ms", "100"]);
    check_counter(
        &events(open(&server, Some("18446744073709551615")).await, Some(1)).await,
        0..=0,
    );
    check_counter(
        &events(open(&server, Some("18446744073709551614")).await, None).await,
        u64::MAX..=u64::MAX,
    );
}

/// A garbage `Last-Event-ID` (not UTF-8, too long) is handled as documented: start over.
#[tokio::test]
async fn counter_survives_bad_last_event_id() {
    let server = start("counter", &["--interval-ms", "100", "--count", "100"]);
    let client = reqwest::Client::new();
    for value in [
        reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        reqwest::header::HeaderValue::from_str(&"9".repeat(5000)).unwrap(),
    ] {
        let request = client
            .get(format!("{}/sse", server.url))
            .header("last-event-id", value);
        let response = timeout(STEP, request.send()).await.unwrap().unwrap();
        check_counter(&events(response, Some(1)).await, 0..=0);
    }
}

/// Ctrl-C (SIGINT) with a stream open: the stream sends its last event (a comment and a
/// `retry`, through `sse_wire::Shutdown`), ends cleanly (the body completes, no error), and the
/// server exits by itself, instead of waiting for a stream that never ends.
/// Sends the server process SIGINT, as Ctrl-C in its terminal would.
fn ctrl_c(server: &Server) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn check_ctrl_c(name: &str) {
    let server = start(name, &["--interval-ms", "60000"]);
    let response = open(&server, None).await;
    let mut body = response.bytes_stream();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("data: Message 0\n\n") {
        let chunk = timeout(STEP, body.next()).await.unwrap().unwrap().unwrap();
        seen.extend_from_slice(&chunk);
    }
    ctrl_c(&server);
    let mut rest = Vec::new();
    loop {
        let next = timeout(Duration::from_secs(5), body.next())
            .await
            .expect("stream still open after Ctrl-C");
        match next {
            Some(chunk) => rest.extend_from_slice(&chunk.expect("the body ends cleanly")),
            None => break,
        }
    }
    let rest = String::from_utf8(rest).unwrap();
    assert!(
        rest.starts_with(": server shutting down\nretry: "),
        "{rest:?}"
    );
    assert!(rest.ends_with("\n\n"), "{rest:?}");
    wait_for_exit(server);
}

#[tokio::test]
async fn ctrl_c_ends_streams_axum() {
    check_ctrl_c("counter").await;
}

#[tokio::test]
async fn ctrl_c_ends_streams_hyper() {
    check_ctrl_c("counter_hyper").await;
}

#[tokio::test]
async fn ctrl_c_ends_streams_actix() {
    check_ctrl_c("counter_actix").await;
}

/// `examples/decode.rs`: stdin in, one JSON line per dispatched event and one for the end out.
#[test]
fn decode_example_prints_json_lines() {
    use std::io::Write;
    let mut child = std::process::Command::new(common::example_binary("decode"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"\xEF\xBB\xBFretry: 1500\r\nid: 7\nevent: up\ndata: a\ndata: \"b\"\n\n: c\ndata: x\n\ndata: cut")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({"type": "up", "data": "a\n\"b\"", "last_event_id": "7"}),
            serde_json::json!({"type": "message", "data": "x", "last_event_id": "7"}),
            serde_json::json!({"end": true, "last_event_id": "7", "retry": 1500}),
        ]
    );
}

/// `sse_wire::Shutdown` in the axum counter's Ctrl-C path: with 1,000 streams open, SIGINT
/// makes every stream send its last event and end, and the server exits within a bound.
#[tokio::test]
async fn ctrl_c_ends_a_thousand_streams_promptly() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start("counter", &["--interval-ms", "60000"]);
    let port = server.port();
    let mut clients = Vec::new();
    for _ in 0..1000 {
        clients.push(tokio::spawn(async move {
            let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            socket
                .write_all(b"GET /sse HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
                .await
                .unwrap();
            let mut seen = Vec::new();
            let mut buf = vec![0; 4096];
            // The head and the first event, then wait.
            while !String::from_utf8_lossy(&seen).contains("data: Message 0") {
                let n = timeout(STEP, socket.read(&mut buf)).await.unwrap().unwrap();
                assert!(n > 0, "closed before the first event");
                seen.extend_from_slice(&buf[..n]);
            }
            (socket, seen)
        }));
    }
    let mut open = Vec::new();
    for c in clients {
        open.push(timeout(STEP, c).await.unwrap().unwrap());
    }
    let start = Instant::now();
    ctrl_c(&server);
    let mut ends = Vec::new();
    for (mut socket, mut seen) in open {
        ends.push(tokio::spawn(async move {
            let mut buf = vec![0; 4096];
            loop {
                let n = timeout(STEP, socket.read(&mut buf))
                    .await
                    .unwrap()
                    .unwrap_or(0);
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            String::from_utf8_lossy(&seen).into_owned()
        }));
    }
    for end in ends {
        let text = end.await.unwrap();
        assert!(
            text.contains(": server shutting down\n"),
            "no last event: {text:?}"
        );
        assert!(
            text.ends_with("0\r\n\r\n"),
            "the body did not end cleanly: {text:?}"
        );
    }
    wait_for_exit(server);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

/// `POST /rooms/{room}`: the message's id.
async fn post_to_room(
    client: &reqwest::Client,
    server: &Server,
    room: &str,
    text: impl Into<String>,
) -> String {
    let response = timeout(
        STEP,
        client
            .post(format!("{}/rooms/{room}", server.url))
            .body(text.into())
            .send(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// `GET /rooms/{room}/events`, after `last` when given (as the header, or in the query).
async fn room_events(
    client: &reqwest::Client,
    server: &Server,
    room: &str,
    last: Option<&str>,
    query: bool,
) -> reqwest::Response {
    let url = format!("{}/rooms/{room}/events", server.url);
    let request = match (last, query) {
        (Some(id), true) => client.get(format!("{url}?lastEventId={id}")),
        (Some(id), false) => client.get(url).header("last-event-id", id),
        (None, _) => client.get(url),
    };
    let response = timeout(STEP, request.send()).await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response
}

/// The chat's rooms: a message in one room never reaches another; a reader that comes back with
/// its last id gets what it missed in its room, in order, though another room flooded meanwhile
/// with more than a room's whole history.
#[tokio::test]
async fn chat_rooms_are_separate_and_replay_while_another_floods() {
    let server = start("chat", &[]);
    chat_contract(&server, &server).await;
    // The page has the room picker.
    let page = reqwest::Client::new()
        .get(format!("{}/", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"room\"") && page.contains("/rooms/"));
}

/// The chat's contract, with messages posted to `a` and read from `b` (and the other way round
/// on each reconnect): one process, or two on one Redis.
async fn chat_contract(a: &Server, b: &Server) {
    let client = reqwest::Client::new();
    let quiet = room_events(&client, b, "quiet", None, false).await;
    let busy = room_events(&client, a, "busy", None, false).await;
    let first = post_to_room(&client, a, "quiet", "hello\nthere").await;
    post_to_room(&client, b, "busy", "noise").await;
    let got = events(quiet, Some(1)).await;
    assert_eq!(
        (
            got[0].event.as_str(),
            got[0].data.as_str(),
            got[0].id.as_str()
        ),
        ("message", "hello\nthere", first.as_str())
    );
    let got = events(busy, Some(1)).await;
    assert_eq!(
        got[0].data, "noise",
        "the busy room got its own message, not the quiet one's"
    );

    // Away: the busy room floods with 3,000 messages, the quiet room gets 3.
    let flood = (0..3_000).map(|n| {
        let server = if n % 2 == 0 { a } else { b };
        post_to_room(&client, server, "busy", format!("flood {n}"))
    });
    futures_util::future::join_all(flood).await;
    for text in ["two", "three", "four"] {
        post_to_room(&client, a, "quiet", text).await;
    }
    for (query, server) in [(false, b), (true, a)] {
        let resumed = room_events(&client, server, "quiet", Some(&first), query).await;
        let got: Vec<_> = events(resumed, Some(3))
            .await
            .into_iter()
            .map(|e| e.data)
            .collect();
        assert_eq!(got, ["two", "three", "four"], "query: {query}");
    }
    // An id from nowhere: the reset, with an id to go on from.
    let reset = events(
        room_events(&client, b, "quiet", Some("nonsense"), false).await,
        Some(1),
    )
    .await;
    assert_eq!(reset[0].event, "reset");
    assert!(!reset[0].id.is_empty());
}

/// The same contract with two `chat --redis` processes on one Redis: a message posted to either
/// reaches readers of both, and a reader resumes on either. The Redis is the one `.ci/run`
/// starts (`SSE_WIRE_REDIS_URL`), or one of the test's own.
#[cfg(feature = "redis")]
#[tokio::test]
async fn chat_on_redis_two_instances_keep_the_same_contract() {
    let (url, _own) = match std::env::var("SSE_WIRE_REDIS_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let port = common::free_port().to_string();
            let Ok(child) = std::process::Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", &port, "--save", ""])
                .stdout(std::process::Stdio::null())
                .spawn()
            else {
                eprintln!("SKIPPED: no redis-server, and SSE_WIRE_REDIS_URL is not set");
                return;
            };
            std::thread::sleep(std::time::Duration::from_millis(300));
            (format!("redis://127.0.0.1:{port}"), Some(KillOnDrop(child)))
        }
    };
    let prefix = format!("chat-test-{}", std::process::id());
    let args = ["--port", "0", "--redis", &url, "--prefix", &prefix];
    let a = common::start_example_with_features("chat", &["redis"], &args);
    let b = common::start_example_with_features("chat", &["redis"], &args);
    chat_contract(&a, &b).await;
}

#[cfg(feature = "redis")]
struct KillOnDrop(std::process::Child);

#[cfg(feature = "redis")]
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
