//! Load for the chat on Redis (`examples/chat.rs --redis`): SSE clients spread over several
//! instances and over many rooms, one publisher per instance posting to its half of the rooms
//! at a fixed rate; every client checks that it gets every message of its room once, in order,
//! and the publish-to-client latency of each. Loopback only; stops by itself.
//! `bash benches/chat_load.sh` starts Redis, two instances and this.
//!
//! ```sh
//! cargo run --release --example chat_load -- --instances http://127.0.0.1:4001,http://127.0.0.1:4002 \
//!     --clients 2000 --topics 10000 --rate 100 --seconds 60 --server-pids PID1,PID2
//! ```
//!
//! Each message is `<room> <n> <microseconds since the epoch>`, `n` counting from 0 in each
//! room; publisher `i` owns the rooms `r` with `r % instances == i`, so each room's messages
//! come from one publisher, in order. Client `c` reads room `c * 7919 % topics`.

use futures_util::StreamExt;
use sse_wire::decode::DecodeStream;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Totals {
    connected: AtomicU64,
    events: AtomicU64,
    /// Events a client never got.
    gaps: AtomicU64,
    duplicates: AtomicU64,
    resets: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
    /// Publish-to-receive latency of every event at every client, in microseconds.
    latencies: Mutex<Vec<u32>>,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

#[path = "common/proc_stats.rs"]
mod shared;

/// (user + system CPU seconds, RSS KiB) of a process.
fn proc_stats(pid: u32) -> Option<(f64, u64)> {
    shared::proc_stats(pid).map(|s| (s.cpu_seconds, s.rss_kib))
}

/// One client of `room`: reads until it has every message published to it (known once
/// publishing stops: `published`), or `until`; then reports what it missed, what came twice or
/// out of order, and its latencies.
async fn client(
    url: String,
    room: usize,
    published: Arc<Vec<AtomicU64>>,
    stopped: Arc<tokio::sync::Notify>,
    until: Instant,
    totals: Arc<Totals>,
) {
    let http = reqwest::Client::new();
    let Ok(response) = http.get(&url).send().await else {
        totals.failed.fetch_add(1, Relaxed);
        return;
    };
    totals.connected.fetch_add(1, Relaxed);
    // The crate's own decoder: thousands of clients in this one process.
    let mut events = DecodeStream::new(response.bytes_stream());
    let (mut next, mut twice) = (0u64, 0u64);
    let mut mine = Vec::new();
    let mut done_publishing = std::pin::pin!(stopped.notified());
    let mut finished = false;
    loop {
        if finished && next >= published[room].load(Relaxed) {
            break;
        }
        let left = until.saturating_duration_since(Instant::now());
        let event = tokio::select! {
            _ = &mut done_publishing, if !finished => {
                finished = true;
                continue;
            }
            event = tokio::time::timeout(left, events.next()) => event,
        };
        let Ok(Some(Ok(event))) = event else {
            break;
        };
        if event.event_type() == "reset" {
            totals.resets.fetch_add(1, Relaxed); // the hub says this client missed events
            continue;
        }
        let mut parts = event.data().split(' ');
        let (Some(r), Some(n), Some(ts)) = (
            parts.next().and_then(|r| r.parse::<usize>().ok()),
            parts.next().and_then(|n| n.parse::<u64>().ok()),
            parts.next().and_then(|t| t.parse::<u64>().ok()),
        ) else {
            continue;
        };
        assert_eq!(r, room, "a message of another room");
        mine.push(now_us().saturating_sub(ts) as u32);
        totals.events.fetch_add(1, Relaxed);
        match n.cmp(&next) {
            std::cmp::Ordering::Less => twice += 1,
            std::cmp::Ordering::Equal => next += 1,
            std::cmp::Ordering::Greater => {
                totals.gaps.fetch_add(n - next, Relaxed);
                next = n + 1;
            }
        }
    }
    let total = published[room].load(Relaxed);
    totals.gaps.fetch_add(total.saturating_sub(next), Relaxed);
    totals.duplicates.fetch_add(twice, Relaxed);
    totals.latencies.lock().unwrap().extend(mine);
    totals.done.fetch_add(1, Relaxed);
}

#[tokio::main]
async fn main() {
    let (mut instances, mut clients, mut topics, mut rate, mut seconds, mut pids) =
        (Vec::new(), 100usize, 10_000usize, 100u64, 10u64, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--instances" => instances = value.split(',').map(str::to_owned).collect(),
            "--clients" => clients = value.parse().expect("--clients N"),
            "--topics" => topics = value.parse().expect("--topics N"),
            "--rate" => rate = value.parse().expect("--rate N"),
            "--seconds" => seconds = value.parse().expect("--seconds N"),
            "--server-pids" => {
                pids = value
                    .split(',')
                    .map(|p| p.parse::<u32>().expect("pid"))
                    .collect()
            }
            _ => {
                eprintln!("usage: chat_load --instances URL,URL [--clients N per instance] [--topics N] [--rate N/s per publisher] [--seconds N] [--server-pids P,P]");
                std::process::exit(2);
            }
        }
    }
    assert!(
        instances.iter().all(|u| u.starts_with("http://127.0.0.1:")),
        "loopback only"
    );
    let totals = Arc::new(Totals::default());
    let published: Arc<Vec<AtomicU64>> = Arc::new((0..topics).map(|_| AtomicU64::new(0)).collect());
    let stopped = Arc::new(tokio::sync::Notify::new());
    let until = Instant::now() + Duration::from_secs(seconds + 60);
    let mut tasks = Vec::new();
    let mut c = 0usize;
    for base in &instances {
        for _ in 0..clients {
            let room = c * 7919 % topics;
            c += 1;
            tasks.push(tokio::spawn(client(
                format!("{base}/rooms/{room}/events"),
                room,
                published.clone(),
                stopped.clone(),
                until,
                totals.clone(),
            )));
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }
    let expected = instances.len() * clients;
    while (totals.connected.load(Relaxed) + totals.failed.load(Relaxed)) < expected as u64 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before: Vec<_> = pids.iter().filter_map(|&p| proc_stats(p)).collect();
    // One publisher per instance: `rate` a second each, to its own half of the rooms in turn.
    let started = Instant::now();
    let publishers: Vec<_> = instances
        .iter()
        .enumerate()
        .map(|(i, base)| {
            let (base, published) = (base.clone(), published.clone());
            let (count, owners) = (rate * seconds, instances.len());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut tick = tokio::time::interval(Duration::from_secs(1) / rate as u32);
                let mut sends = Vec::new();
                for k in 0..count as usize {
                    tick.tick().await;
                    let room = (k * owners + i) % published.len();
                    // Numbered in order: each room has one publisher.
                    let n = published[room].fetch_add(1, Relaxed);
                    let request = http
                        .post(format!("{base}/rooms/{room}"))
                        .body(format!("{room} {n} {}", now_us()));
                    // Each in a task of its own, so that the rate holds whatever one publish
                    // takes; a room's next message is `topics / owners` publishes later, long
                    // after this one is done.
                    sends.push(tokio::spawn(async move {
                        request.send().await.is_ok_and(|r| r.status() == 200)
                    }));
                }
                for sent in sends {
                    assert!(sent.await.unwrap_or(false), "a publish failed");
                }
            })
        })
        .collect();
    for p in publishers {
        p.await.expect("publisher");
    }
    let publishing = started.elapsed();
    stopped.notify_waiters();
    let after: Vec<_> = pids.iter().filter_map(|&p| proc_stats(p)).collect();
    // Every client ends once it has all its room's messages (or at `until`) and reports.
    for t in tasks {
        let _ = t.await;
    }
    let total: u64 = published.iter().map(|p| p.load(Relaxed)).sum();
    let owed: u64 = (0..expected)
        .map(|c| published[c * 7919 % topics].load(Relaxed))
        .sum();
    let mut lat = std::mem::take(&mut *totals.latencies.lock().unwrap());
    lat.sort_unstable();
    let pct = |p: f64| shared::percentile_ms(&lat, p);
    let events = totals.events.load(Relaxed);
    println!(
        "instances: {}, clients: {} ({} per instance) over {topics} rooms, connected: {}, failed: {}",
        instances.len(),
        expected,
        clients,
        totals.connected.load(Relaxed),
        totals.failed.load(Relaxed)
    );
    println!(
        "published: {total} in {:.1} s; delivered: {events} of {owed} owed; missed: {}; \
         twice: {}; resets: {}",
        publishing.as_secs_f64(),
        totals.gaps.load(Relaxed),
        totals.duplicates.load(Relaxed),
        totals.resets.load(Relaxed)
    );
    println!(
        "latency publish-to-client: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    for (i, ((c0, _), (c1, rss))) in before.iter().zip(&after).enumerate() {
        println!(
            "instance {i}: CPU {:.1}% of a core while publishing, RSS {} MiB",
            (c1 - c0) / publishing.as_secs_f64() * 100.0,
            rss / 1024
        );
    }
    let ok = totals.gaps.load(Relaxed) == 0
        && totals.duplicates.load(Relaxed) == 0
        && totals.resets.load(Relaxed) == 0
        && events == owed
        && totals.failed.load(Relaxed) == 0;
    std::process::exit(if ok { 0 } else { 1 });
}
