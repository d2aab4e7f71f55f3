//! `RedisHub` on a real Redis (`redis-server`, which `.ci/run` installs): two instances share
//! one log, a client moves between them with its last id, and Redis is killed and restarted
//! mid-stream. Each test starts its own `redis-server` on a free loopback port, with an
//! append-only file, so that a restart keeps what Redis had. Without `redis-server` the tests
//! are skipped, except under CI (`CI` set), where they fail. Every wait is bounded.
#![cfg(feature = "redis")]

use crate::common;

use futures_util::StreamExt;
use sse_wire::decode::Decoder;
use sse_wire::{Encoded, Event, RedisConfig, RedisHub, RedisSubscription};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

struct RedisServer {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl RedisServer {
    /// A fresh `redis-server`, or `None` (outside CI) when it is not installed.
    fn start() -> Option<RedisServer> {
        let port = common::free_port();
        let dir =
            std::env::temp_dir().join(format!("sse-wire-redis-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = RedisServer {
            child: spawn(port, &dir)?,
            port,
            dir,
        };
        server.wait_ready();
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + STEP;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL: no clean shutdown) and starts it again on the same port and
    /// files after `pause`.
    fn kill_and_restart(&mut self, pause: Duration) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(pause);
        self.child = spawn(self.port, &self.dir).unwrap();
        self.wait_ready();
    }
}

fn spawn(port: u16, dir: &std::path::Path) -> Option<Child> {
    let spawned = Command::new("redis-server")
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "yes",
        ])
        .args(["--appendfsync", "always", "--dir", dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .spawn();
    match spawned {
        Ok(child) => Some(child),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("redis-server is needed under CI: {e}")
        }
        Err(e) => {
            // Straight to the terminal: libtest captures `eprintln!` of a passing test, and a
            // skip that nobody sees reads as a pass.
            use std::io::Write;
            let name = std::thread::current().name().unwrap_or("?").to_owned();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {name}: cannot start redis-server ({e}); install it or run .ci/run"
            );
            None
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn instance(server: &RedisServer, key: &str) -> RedisHub {
    let config = RedisConfig::default()
        .stream(key)
        .on_error(|e| eprintln!("reader: {e}"));
    timeout(STEP, RedisHub::connect(&server.url(), config))
        .await
        .unwrap()
        .unwrap()
}

/// The next event of a subscription as (id, data), decoded as a client would.
async fn next(sub: &mut RedisSubscription) -> (String, String) {
    let encoded: Encoded = timeout(STEP, sub.next())
        .await
        .expect("no event in time")
        .unwrap();
    let mut decoder = Decoder::new();
    decoder.push(encoded.into_bytes());
    let event = decoder.next_event().expect("one event").unwrap();
    (event.last_event_id().to_owned(), event.data().to_owned())
}

#[tokio::test]
async fn a_publish_on_one_instance_reaches_clients_of_both() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (a, b) = (
        instance(&server, "both").await,
        instance(&server, "both").await,
    );
    let mut on_a = a.subscribe(None).await;
    let mut on_b = b.subscribe(None).await;
    let id = a.publish(&Event::new().data("hello")).await.unwrap();
    assert_eq!(next(&mut on_a).await, (id.clone(), "hello".to_owned()));
    assert_eq!(next(&mut on_b).await, (id, "hello".to_owned()));
    // And the other way round, with an event type.
    let id = b
        .publish(&Event::new().event("greeting").unwrap().data("hi"))
        .await
        .unwrap();
    let got = timeout(STEP, on_a.next()).await.unwrap().unwrap();
    assert_eq!(
        got.as_bytes(),
        format!("event: greeting\nid: {id}\ndata: hi\n\n").as_bytes()
    );
}

#[tokio::test]
async fn a_client_moves_from_one_instance_to_the_other_and_misses_nothing() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (a, b) = (
        instance(&server, "move").await,
        instance(&server, "move").await,
    );
    let mut on_a = a.subscribe(None).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            a.publish(&Event::new().data(format!("m{n}")))
                .await
                .unwrap(),
        );
    }
    for (n, id) in ids.iter().enumerate().take(3) {
        assert_eq!(next(&mut on_a).await, (id.clone(), format!("m{n}")));
    }
    drop(on_a); // the client goes away after m2, and lands on B
    for n in 5..8 {
        ids.push(
            b.publish(&Event::new().data(format!("m{n}")))
                .await
                .unwrap(),
        );
    }
    let mut on_b = b.subscribe(Some(ids[2].as_bytes())).await;
    for (n, id) in ids.iter().enumerate().skip(3) {
        assert_eq!(next(&mut on_b).await, (id.clone(), format!("m{n}")), "m{n}");
    }
    // Live after the replay, with no duplicate at the seam.
    ids.push(a.publish(&Event::new().data("m8")).await.unwrap());
    assert_eq!(next(&mut on_b).await, (ids[8].clone(), "m8".to_owned()));

    // A fresh instance, started after all this, replays from Redis too.
    let c = instance(&server, "move").await;
    let mut on_c = c.subscribe(Some(ids[6].as_bytes())).await;
    assert_eq!(next(&mut on_c).await, (ids[7].clone(), "m7".to_owned()));
    assert_eq!(next(&mut on_c).await, (ids[8].clone(), "m8".to_owned()));
}

#[tokio::test]
async fn an_id_redis_trimmed_or_that_is_no_stream_id_gets_the_reset_event() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let config = RedisConfig::default().stream("trim").max_len(1).history(1);
    let hub = timeout(STEP, RedisHub::connect(&server.url(), config))
        .await
        .unwrap()
        .unwrap();
    let first = hub.publish(&Event::new().data("old")).await.unwrap();
    // `MAXLEN ~` trims whole nodes, so publish enough that the first one goes.
    for n in 0..300 {
        hub.publish(&Event::new().data(format!("n{n}")))
            .await
            .unwrap();
    }
    let b = timeout(
        STEP,
        RedisHub::connect(
            &server.url(),
            RedisConfig::default().stream("trim").history(1),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    for id in [first.as_str(), "not-a-stream-id"] {
        let mut sub = b.subscribe(Some(id.as_bytes())).await;
        let reset = timeout(STEP, sub.next()).await.unwrap().unwrap();
        assert!(
            reset.as_bytes().starts_with(b"event: reset\n"),
            "{id}: {reset:?}"
        );
    }
}

#[tokio::test]
async fn redis_killed_and_restarted_mid_stream_loses_nothing_it_kept() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let hub = instance(&server, "restart").await;
    let mut client = hub.subscribe(None).await;
    let mut published = Vec::new();
    for n in 0..5 {
        published.push((
            hub.publish(&Event::new().data(format!("m{n}")))
                .await
                .unwrap(),
            format!("m{n}"),
        ));
    }
    for want in &published[..5] {
        assert_eq!(&next(&mut client).await, want);
    }
    // Redis dies: publishing fails with a typed error, and the client stays connected.
    let kill = tokio::task::spawn_blocking({
        let pause = Duration::from_millis(700);
        move || {
            server.kill_and_restart(pause);
            server
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let failed = hub.publish(&Event::new().data("while down")).await;
    assert!(failed.is_err(), "publish while Redis is down must fail");
    let server = kill.await.unwrap();
    // Back: publishing works again (the client reconnects), and the reader resumes after the
    // last id it delivered.
    let deadline = Instant::now() + STEP;
    let id = loop {
        match hub.publish(&Event::new().data("m5")).await {
            Ok(id) => break id,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("Redis did not come back: {e}"),
        }
    };
    published.push((id, "m5".to_owned()));
    for n in 6..9 {
        published.push((
            hub.publish(&Event::new().data(format!("m{n}")))
                .await
                .unwrap(),
            format!("m{n}"),
        ));
    }
    for want in &published[5..] {
        assert_eq!(
            &next(&mut client).await,
            want,
            "no gap, no duplicate after the restart"
        );
    }
    // Everything Redis kept is there, across the restart.
    let all: Vec<_> = {
        let mut sub = hub.subscribe_all().await;
        let mut all = Vec::new();
        for _ in 0..published.len() {
            all.push(next(&mut sub).await);
        }
        all
    };
    assert_eq!(all, published);
    drop(server);
}

/// The example's contract over HTTP: two `fanout` processes on one Redis (the one `.ci/run`
/// starts, named by `SSE_WIRE_REDIS_URL`, or one of the test's own), on a stream of its own.
#[tokio::test]
async fn fanout_example_two_processes() {
    let own;
    let url = match std::env::var("SSE_WIRE_REDIS_URL") {
        Ok(url) => url,
        Err(_) => {
            let Some(server) = RedisServer::start() else {
                return;
            };
            own = server;
            own.url()
        }
    };
    let key = format!("fanout-test-{}", std::process::id());
    let start = |_: u8| {
        common::start_example_with_features(
            "fanout",
            &["redis"],
            &["--redis", &url, "--port", "0", "--stream", &key],
        )
    };
    let (a, b) = (start(0), start(1));
    let client = reqwest::Client::new();
    let publish = |url: String, body: &'static str| {
        let client = client.clone();
        async move {
            let r = timeout(
                STEP,
                client
                    .post(format!("{url}/publish?event=note"))
                    .body(body)
                    .send(),
            )
            .await
            .unwrap()
            .unwrap();
            assert_eq!(r.status(), 200);
            r.text().await.unwrap().trim().to_owned()
        }
    };
    let first = publish(a.url.clone(), "one").await;
    let second = publish(a.url.clone(), "two").await;
    // A fresh client on B gets every entry, from the oldest; one that resumes after the first
    // gets the second only.
    for (last, want) in [
        (None, vec![(&first, "one"), (&second, "two")]),
        (Some(&first), vec![(&second, "two")]),
    ] {
        let mut request = client.get(format!("{}/sse", b.url));
        if let Some(id) = last {
            request = request.header("last-event-id", id.as_str());
        }
        let response = timeout(STEP, request.send()).await.unwrap().unwrap();
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut body = response.bytes_stream();
        let mut decoder = Decoder::new();
        let mut got = Vec::new();
        while got.len() < want.len() {
            decoder.push(timeout(STEP, body.next()).await.unwrap().unwrap().unwrap());
            while let Some(event) = decoder.next_event() {
                let event = event.unwrap();
                assert_eq!(event.event_type(), "note");
                got.push((event.last_event_id().to_owned(), event.data().to_owned()));
            }
        }
        let want: Vec<_> = want
            .iter()
            .map(|(id, d)| ((*id).clone(), d.to_string()))
            .collect();
        assert_eq!(got, want);
    }
}
