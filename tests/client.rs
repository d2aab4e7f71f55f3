//! The `EventSource` client against servers on loopback: scripted ones that answer each
//! connection as a test says (statuses, content types, redirects, cut bodies, stalls, BOMs,
//! line endings), and the crate's own counter and hub servers behind a proxy that cuts the
//! connection 20 times. Every wait is bounded.

mod common;

use futures_util::StreamExt;
use sse_wire::client::{ClientConfig, ClientError, EventSource, Interruption, SourceEvent};
use sse_wire::decode::{DecodeError, Limits};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

/// One part of a scripted response body.
#[derive(Clone)]
enum Part {
    Bytes(&'static [u8]),
    Pause(u64),
    /// Keep the connection open, sending nothing, until the client closes it.
    Hang,
}
use Part::{Bytes as B, Hang, Pause};

/// A scripted response: status, headers, body parts; the connection closes after them.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<Part>,
}

fn stream(body: Vec<Part>) -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type", "text/event-stream".into())],
        body,
    }
}

fn status(status: u16) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: vec![],
    }
}

/// A server answering its n-th connection with `script(n, path)`, recording each request head.
struct Scripted {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    /// Connections the client closed while the script hung.
    closed: Arc<std::sync::atomic::AtomicUsize>,
}

impl Scripted {
    async fn start(script: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> Scripted {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (seen, closes) = (heads.clone(), closed.clone());
        let script = Arc::new(script);
        tokio::spawn(async move {
            for n in 0.. {
                let (mut tcp, _) = listener.accept().await.unwrap();
                let (seen, script, closes) = (seen.clone(), script.clone(), closes.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0; 1024];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tcp.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => head.extend_from_slice(&buf[..k]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).to_lowercase();
                    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    seen.lock().unwrap().push(head);
                    let reply = script(n, &path);
                    let mut out = format!("HTTP/1.1 {} X\r\nconnection: close\r\n", reply.status);
                    for (name, value) in &reply.headers {
                        out.push_str(&format!("{name}: {value}\r\n"));
                    }
                    out.push_str("\r\n");
                    if tcp.write_all(out.as_bytes()).await.is_err() {
                        return;
                    }
                    for part in reply.body {
                        match part {
                            B(bytes) => {
                                if tcp.write_all(bytes).await.is_err() {
                                    return;
                                }
                            }
                            Pause(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                            Hang => {
                                // The client sends nothing more: a read ends when it closes.
                                while let Ok(1..) = tcp.read(&mut buf).await {}
                                closes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                return;
                            }
                        }
                    }
                });
            }
        });
        Scripted {
            addr,
            heads,
            closed,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// What a source reported, compactly: `open`, `msg type data id`, `retry cause ms`,
/// `skip error`, then `fail error` at its end.
async fn run(source: EventSource, limit: usize) -> Vec<String> {
    let mut source = Box::pin(source);
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(item) = timeout(STEP, source.next())
            .await
            .expect("the source stalled")
        else {
            break;
        };
        out.push(match item {
            Ok(SourceEvent::Open) => "open".to_owned(),
            Ok(SourceEvent::Message(e)) => {
                format!("msg {} {} {}", e.event_type(), e.data(), e.last_event_id())
            }
            Ok(SourceEvent::Reconnecting { cause, after }) => {
                let cause = match cause {
                    Interruption::Ended => "ended".to_owned(),
                    Interruption::ReadTimeout => "timeout".to_owned(),
                    Interruption::Status(s) => format!("status{s}"),
                    Interruption::Network(_) => "network".to_owned(),
                    other => format!("{other:?}"),
                };
                format!("retry {cause} {}", after.as_millis())
            }
            Ok(SourceEvent::Skipped(e)) => format!("skip {e:?}"),
            Ok(other) => format!("{other:?}"),
            Err(ClientError::Refused(refusal)) => format!("fail {refusal:?}"),
            Err(e) => format!("fail {e}"),
        });
    }
    out
}

fn quick() -> ClientConfig {
    ClientConfig::default().retry(Duration::from_millis(10))
}

/// A source reading `server`'s `/` with the [`quick`] settings.
fn quick_source(server: &Scripted) -> EventSource {
    EventSource::builder(server.url("/"))
        .config(quick())
        .build()
}

/// The request: `Accept` and `Cache-Control: no-store` always, `Last-Event-ID` only once an
/// id was set; a drop after events reconnects after `retry:`, resending the last id, and the
/// ids and reconnection time carry over to the next connection.
#[tokio::test]
async fn reconnects_after_the_end_resending_the_last_id() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![B(b"retry: 20\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n")]),
        1 => stream(vec![B(b"data: c\n\n")]),
        _ => status(204),
    })
    .await;
    let source = quick_source(&server);
    assert_eq!(
        run(source, 20).await,
        [
            "open",
            "msg message a 1",
            "msg message b 2",
            "retry ended 20",
            "open",
            "msg message c 2",
            "retry ended 20",
            "fail Status(204)",
        ]
    );
    let heads = server.heads();
    assert_eq!(heads.len(), 3);
    for head in &heads {
        assert!(head.contains("\r\naccept: text/event-stream\r\n"), "{head}");
        assert!(head.contains("\r\ncache-control: no-store\r\n"), "{head}");
    }
    assert!(!heads[0].contains("last-event-id"));
    assert!(heads[1].contains("\r\nlast-event-id: 2\r\n"));
    assert!(heads[2].contains("\r\nlast-event-id: 2\r\n"));
}

/// Each `retry:` sets the wait before the next request, and an id set to empty stops the
/// header being sent.
#[tokio::test]
async fn retry_changes_and_an_emptied_id() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![B(b"retry: 30\nid: 5\ndata: x\n\n")]),
        1 => stream(vec![B(b"retry: 70\nid\ndata: y\n\n")]),
        _ => status(204),
    })
    .await;
    let source = quick_source(&server);
    let got = run(source, 20).await;
    assert_eq!(
        got,
        [
            "open",
            "msg message x 5",
            "retry ended 30",
            "open",
            "msg message y ",
            "retry ended 70",
            "fail Status(204)",
        ]
    );
    let heads = server.heads();
    assert!(heads[1].contains("last-event-id: 5"));
    assert!(!heads[2].contains("last-event-id"));
}

/// `204`, any other status but `200`, and a content type other than `text/event-stream` fail
/// the source for good: one request, no reconnection.
#[tokio::test]
async fn statuses_and_content_types_fail_without_reconnecting() {
    for (reply, want) in [
        (status(204), "fail Status(204)"),
        (status(500), "fail Status(500)"),
        (status(404), "fail Status(404)"),
        (
            Reply {
                status: 200,
                headers: vec![("content-type", "text/html".into())],
                body: vec![B(b"data: no\n\n")],
            },
            "fail ContentType(Some(\"text/html\"))",
        ),
        (
            Reply {
                status: 200,
                headers: vec![],
                body: vec![B(b"data: no\n\n")],
            },
            "fail ContentType(None)",
        ),
    ] {
        let server = Scripted::start(move |_, _| reply.clone()).await;
        let source = quick_source(&server);
        assert_eq!(run(source, 5).await, [want]);
        assert_eq!(server.heads().len(), 1, "{want}");
    }
}

/// Opt-in: `5xx`, `408` and `429` reconnect instead of failing.
#[tokio::test]
async fn server_errors_are_retried_when_asked() {
    let server = Scripted::start(|n, _| match n {
        0 => status(503),
        1 => status(429),
        2 => stream(vec![B(b"data: up\n\n")]),
        _ => status(204),
    })
    .await;
    let config = quick().retry_on_server_errors(true);
    let source = EventSource::builder(server.url("/")).config(config).build();
    assert_eq!(
        run(source, 10).await,
        [
            "retry status503 10",
            "retry status429 10",
            "open",
            "msg message up ",
            "retry ended 10",
            "fail Status(204)",
        ]
    );
}

/// Redirects (301, 307) are followed, and the stream is read from where they lead.
#[tokio::test]
async fn redirects_are_followed() {
    let server = Scripted::start(|_, path| match path {
        "/old" => Reply {
            status: 301,
            headers: vec![("location", "/temp".into())],
            body: vec![],
        },
        "/temp" => Reply {
            status: 307,
            headers: vec![("location", "/events".into())],
            body: vec![],
        },
        "/events" => stream(vec![B(b"data: here\n\n")]),
        _ => status(404),
    })
    .await;
    let config = quick().max_attempts(1);
    let source = EventSource::builder(server.url("/old"))
        .config(config)
        .build();
    let got = run(source, 5).await;
    assert_eq!(got[..2], ["open", "msg message here "]);
    let paths: Vec<_> = server
        .heads()
        .iter()
        .map(|h| h.split(' ').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(paths[..3], ["/old", "/temp", "/events"]);
}

/// A server that stops sending without closing is a network error after the read timeout.
#[tokio::test]
async fn a_server_that_stops_sending_times_out() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![B(b"data: one\n\n"), Hang]),
        _ => status(204),
    })
    .await;
    let source = EventSource::builder(server.url("/"))
        .config(quick())
        .read_timeout(Duration::from_millis(300))
        .build();
    assert_eq!(
        run(source, 10).await,
        [
            "open",
            "msg message one ",
            "retry timeout 10",
            "fail Status(204)",
        ]
    );
}

/// A BOM at the start of each body is skipped; CR, LF and CRLF all end lines, cut anywhere
/// across chunks.
#[tokio::test]
async fn bom_and_every_line_ending() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![
            B(b"\xEF\xBB"),
            Pause(20),
            B(b"\xBFdata: a\r\r"),
            Pause(20),
            B(b"data: b\r"),
            Pause(20),
            B(b"\n\r\ndata: c\n\n"),
        ]),
        1 => stream(vec![B(b"\xEF\xBB\xBFdata: d\n\n")]),
        _ => status(204),
    })
    .await;
    let source = quick_source(&server);
    assert_eq!(
        run(source, 20).await,
        [
            "open",
            "msg message a ",
            "msg message b ",
            "msg message c ",
            "retry ended 10",
            "open",
            "msg message d ",
            "retry ended 10",
            "fail Status(204)",
        ]
    );
}

/// A line over the limit is reported and skipped with its event; the stream goes on.
#[tokio::test]
async fn a_line_over_the_limit_is_skipped() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![B(
            b"data: 0123456789012345678901234567890123456789\n\ndata: ok\n\n",
        )]),
        _ => status(204),
    })
    .await;
    let limits = Limits {
        max_line: 32,
        ..Limits::default()
    };
    let source = EventSource::builder(server.url("/"))
        .config(quick().limits(limits))
        .build();
    let skipped = format!("skip {:?}", DecodeError::LineTooLong { max: 32 });
    assert_eq!(
        run(source, 10).await,
        [
            "open",
            skipped.as_str(),
            "msg message ok ",
            "retry ended 10",
            "fail Status(204)",
        ]
    );
}

/// An event cut off by the end of a connection is discarded, not joined to the next
/// connection's bytes; the last id carries over.
#[tokio::test]
async fn an_event_split_across_reconnects_is_discarded() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![B(b"id: 1\ndata: a\n\nid: 2\ndata: half")]),
        1 => stream(vec![B(b"data: next\n\n")]),
        _ => status(204),
    })
    .await;
    let source = quick_source(&server);
    assert_eq!(
        run(source, 20).await,
        [
            "open",
            "msg message a 1",
            "retry ended 10",
            "open",
            "msg message next 1",
            "retry ended 10",
            "fail Status(204)",
        ]
    );
    assert!(server.heads()[1].contains("last-event-id: 1\r\n"));
}

/// Nothing listening: network errors, retried with a backoff that grows (half of each wait
/// drawn at random), until `max_attempts` in a row have failed.
#[tokio::test]
async fn backoff_then_give_up_after_max_attempts() {
    let port = common::free_port();
    let config = ClientConfig::default()
        .retry(Duration::from_millis(20))
        .backoff(Duration::from_millis(100))
        .max_attempts(5);
    let source = EventSource::builder(format!("http://127.0.0.1:{port}/"))
        .config(config)
        .build();
    let got = run(source, 10).await;
    assert_eq!(got.len(), 5);
    let fulls = [20, 40, 80, 100];
    for (line, full) in got.iter().zip(fulls) {
        let ms: u64 = line
            .strip_prefix("retry network ")
            .unwrap()
            .parse()
            .unwrap();
        assert!(ms >= full / 2 && ms <= full, "{line} for {full}");
    }
    assert_eq!(got[4], "fail GaveUp(5)");
}

/// Headers of the user's on every request, and headers made anew for each (a token).
#[tokio::test]
async fn custom_headers_on_every_request() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![B(b"data: a\n\n")]),
        _ => status(204),
    })
    .await;
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let source = EventSource::builder(server.url("/"))
        .config(quick())
        .header("x-static", "yes")
        .headers_fn(move || {
            let n = made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            vec![("authorization".to_owned(), format!("Bearer token-{n}"))]
        })
        .build();
    run(source, 10).await;
    let heads = server.heads();
    for (n, head) in heads.iter().enumerate() {
        assert!(head.contains("\r\nx-static: yes\r\n"));
        assert!(head.contains(&format!("\r\nauthorization: bearer token-{n}\r\n")));
    }
}

/// A proxy on loopback that cuts its first `cuts` connections after a varying number of bytes
/// of response (mid-event, mid-line), then passes everything.
async fn cutting_proxy(upstream: SocketAddr, cuts: usize) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for n in 0.. {
            let (client, _) = listener.accept().await.unwrap();
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                continue;
            };
            let budget = (n < cuts).then_some(300 + (n * 137) % 900);
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                });
                let mut sent = 0;
                let mut buf = [0; 256];
                loop {
                    let k = match server_read.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => k,
                    };
                    let k = budget.map_or(k, |b| k.min(b - sent));
                    if client_write.write_all(&buf[..k]).await.is_err() {
                        return;
                    }
                    sent += k;
                    if budget == Some(sent) {
                        return; // cut: both halves dropped
                    }
                }
            });
        }
    });
    addr
}

/// Reads messages until `count` have come, checking what each connection did.
async fn messages(source: EventSource, count: usize) -> (Vec<(String, String)>, usize) {
    let mut source = Box::pin(source);
    let mut got = Vec::new();
    let mut reconnects = 0;
    while got.len() < count {
        let Ok(item) = timeout(STEP, source.next()).await else {
            panic!("stalled after {} messages: {:?}", got.len(), got.last());
        };
        match item {
            Some(Ok(SourceEvent::Message(e))) => {
                got.push((e.last_event_id().to_owned(), e.data().to_owned()));
            }
            Some(Ok(SourceEvent::Reconnecting { .. })) => reconnects += 1,
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    (got, reconnects)
}

/// The counter example behind a proxy that cuts the connection 20 times, mid-event: every
/// message arrives exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_cut_20_times_loses_and_repeats_nothing() {
    let server = common::start_example(
        "counter",
        &["--port", "0", "--interval-ms", "2", "--retry-ms", "5"],
    );
    let upstream = server.url.trim_start_matches("http://").parse().unwrap();
    let proxy = cutting_proxy(upstream, 20).await;
    let source = EventSource::builder(format!("http://{proxy}/sse")).build();
    let (got, reconnects) = messages(source, 400).await;
    let want: Vec<_> = (0..400)
        .map(|n| (n.to_string(), format!("Message {n}")))
        .collect();
    assert_eq!(got, want);
    assert_eq!(reconnects, 20);
}

/// The hub behind the same proxy: a room's messages, published while the client is cut 20
/// times, each arrive exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_cut_20_times_loses_and_repeats_nothing() {
    use sse_wire::{Event, EventStream, Hub, HubConfig};
    let hub = Hub::new(HubConfig::default().history(10_000));
    let subscribe = hub.clone();
    let app = axum::Router::new().route(
        "/room",
        axum::routing::get(move |last: sse_wire::headers::LastEventId| {
            let hub = subscribe.clone();
            async move {
                let hint = futures_util::stream::once(async {
                    sse_wire::Encoded::from(Event::new().retry(Duration::from_millis(5)))
                });
                EventStream::new(hint.chain(hub.subscribe(["room"], last.as_bytes())))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let proxy = cutting_proxy(upstream, 20).await;
    let publisher = tokio::spawn(async move {
        // From the client's first subscription on, so that it is owed every message.
        while hub.subscribers() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        for n in 0..600 {
            hub.publish("room", Event::new().data(format!("m{n}")))
                .unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        hub
    });
    let source = EventSource::builder(format!("http://{proxy}/room")).build();
    let (got, reconnects) = messages(source, 600).await;
    let data: Vec<_> = got.iter().map(|(_, data)| data.clone()).collect();
    let want: Vec<_> = (0..600).map(|n| format!("m{n}")).collect();
    assert_eq!(data, want);
    assert_eq!(reconnects, 20);
    drop(publisher.await.unwrap());
}

/// Runs `tail` with `args` to its exit (bounded): (exit code, stdout, stderr).
fn tail(args: &[&str]) -> (i32, String, String) {
    let mut child = std::process::Command::new(common::example_binary("tail"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + STEP;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("tail did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// `examples/tail.rs`, its contract: a JSON line per event on stdout, reconnection, the
/// headers given, exit 0 on `204`, exit 1 with a one-line reason on another status or type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_json_lines_and_exits_as_promised() {
    let server = Scripted::start(|n, _| match n {
        0 => stream(vec![B(
            b"id: 1\ndata: a \"quoted\"\n\nevent: note\ndata: two\ndata: lines\n\n",
        )]),
        1 => stream(vec![B(b"data: \xc3\xa9\n\n")]),
        _ => status(204),
    })
    .await;
    let url = server.url("/");
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        tail(&[&url, "--retry-ms", "10", "--header", "X-Token: abc"])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        concat!(
            r#"{"type":"message","data":"a \"quoted\"","last_event_id":"1"}"#,
            "\n",
            r#"{"type":"note","data":"two\nlines","last_event_id":"1"}"#,
            "\n",
            r#"{"type":"message","data":"é","last_event_id":"1"}"#,
            "\n",
        )
    );
    assert!(server
        .heads()
        .iter()
        .all(|h| h.contains("\r\nx-token: abc\r\n")));
    assert!(server.heads()[1].contains("last-event-id: 1\r\n"));

    for (reply, reason) in [
        (status(500), "500"),
        (
            Reply {
                status: 200,
                headers: vec![("content-type", "text/html".into())],
                body: vec![],
            },
            "text/html",
        ),
    ] {
        let server = Scripted::start(move |_, _| reply.clone()).await;
        let url = server.url("/");
        let (code, stdout, stderr) = tokio::task::spawn_blocking(move || tail(&[&url]))
            .await
            .unwrap();
        assert_eq!(code, 1);
        assert!(stdout.is_empty());
        let last = stderr.lines().last().unwrap();
        assert!(last.contains(reason), "{stderr}");
    }
}

/// `examples/proxy.rs`: each upstream event relayed, transformed; the relay's client going
/// away closes the upstream connection; an upstream failure becomes a last `error` event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_relays_cancels_and_reports_failure() {
    let upstream = Scripted::start(|n, _| match n {
        0 => stream(vec![
            B(b"id: 1\ndata: hello\n\nevent: note\ndata: b\n\n"),
            Hang,
        ]),
        _ => status(500),
    })
    .await;
    let relay = common::start_example("proxy", &[&upstream.url("/"), "--port", "0"]);
    let url = format!("{}/relay", relay.url);
    let client = reqwest::Client::new();

    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut seen = Vec::new();
    let want = b"id: 1\ndata: HELLO\n\nevent: note\nid: 1\ndata: B\n\n";
    while seen.len() < want.len() {
        let chunk = timeout(STEP, body.next()).await.unwrap().unwrap().unwrap();
        seen.extend_from_slice(&chunk);
    }
    assert_eq!(
        String::from_utf8_lossy(&seen),
        String::from_utf8_lossy(want)
    );
    drop(body); // the relay's client goes away
    let started = std::time::Instant::now();
    while upstream.closed.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < STEP,
            "the upstream request outlived its client"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The next relayed request finds the upstream failing for good.
    let text = timeout(STEP, client.get(&url).send().await.unwrap().text())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        text,
        "event: error\ndata: the server answered 500, not 200\n\n"
    );
}
