//! Load for the Redis fan-out (`examples/fanout.rs`): many SSE clients spread over several
//! instances, one publisher at a fixed rate, every client checking that it gets every event in
//! order with no gap, and the publish-to-client latency of each. Loopback only; stops by itself.
//! `bash benches/fanout_load.sh` starts Redis, two instances and this.
//!
//! ```sh
//! cargo run --release --example fanout_load -- --instances http://127.0.0.1:4001,http://127.0.0.1:4002 \
//!     --clients 2000 --rate 100 --seconds 60 --server-pids PID1,PID2
//! ```
//!
//! Each published event's data is `<n> <microseconds since the epoch>`, `n` counting from 0;
//! clients connect before publishing starts, and each must get every `n` exactly once (publishes
//! sent to different instances may reach Redis out of order, so order is not checked).

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

/// One client: reads until it has every one of the `total` events (or `until`), then reports
/// what it missed (never got), what it got twice, and its latencies.
async fn client(url: String, total: u64, until: Instant, totals: Arc<Totals>) {
    let http = reqwest::Client::new();
    let Ok(response) = http.get(&url).send().await else {
        totals.failed.fetch_add(1, Relaxed);
        return;
    };
    totals.connected.fetch_add(1, Relaxed);
    // The crate's own decoder: the clients must keep up with 100 events/s each, thousands of
    // them in this one process.
    let mut events = DecodeStream::new(response.bytes_stream());
    // Publishes to different instances may reach Redis in another order than they were sent,
    // so what counts is which events arrived, not their order.
    let mut seen = vec![false; total as usize];
    let (mut got, mut twice) = (0, 0);
    let mut mine = Vec::with_capacity(total as usize);
    while got < total {
        let left = until.saturating_duration_since(Instant::now());
        let Ok(Some(Ok(event))) = tokio::time::timeout(left, events.next()).await else {
            break;
        };
        if event.event_type() == "reset" {
            totals.resets.fetch_add(1, Relaxed); // the hub says this client missed events
            continue;
        }
        let mut parts = event.data().split(' ');
        let (Some(n), Some(ts)) = (
            parts.next().and_then(|n| n.parse::<u64>().ok()),
            parts.next().and_then(|t| t.parse::<u64>().ok()),
        ) else {
            continue;
        };
        mine.push(now_us().saturating_sub(ts) as u32);
        match seen.get_mut(n as usize) {
            Some(s) if *s => twice += 1,
            Some(s) => {
                *s = true;
                got += 1;
            }
            None => {}
        }
        totals.events.fetch_add(1, Relaxed);
    }
    totals.gaps.fetch_add(total - got, Relaxed);
    totals.duplicates.fetch_add(twice, Relaxed);
    totals.latencies.lock().unwrap().extend(mine);
    totals.done.fetch_add(1, Relaxed);
}

#[tokio::main]
async fn main() {
    let (mut instances, mut clients, mut rate, mut seconds, mut pids) =
        (Vec::new(), 100u64, 100u64, 10u64, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--instances" => instances = value.split(',').map(str::to_owned).collect(),
            "--clients" => clients = value.parse().expect("--clients N"),
            "--rate" => rate = value.parse().expect("--rate N"),
            "--seconds" => seconds = value.parse().expect("--seconds N"),
            "--server-pids" => {
                pids = value
                    .split(',')
                    .map(|p| p.parse::<u32>().expect("pid"))
                    .collect()
            }
            _ => {
                eprintln!("usage: fanout_load --instances URL,URL [--clients N per instance] [--rate N/s] [--seconds N] [--server-pids P,P]");
                std::process::exit(2);
            }
        }
    }
    assert!(
        instances.iter().all(|u| u.starts_with("http://127.0.0.1:")),
        "loopback only"
    );
    let totals = Arc::new(Totals::default());
    let until = Instant::now() + Duration::from_secs(seconds + 30);
    let total = rate * seconds;
    let mut tasks = Vec::new();
    for base in &instances {
        for _ in 0..clients {
            tasks.push(tokio::spawn(client(
                format!("{base}/sse"),
                total,
                until,
                totals.clone(),
            )));
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }
    let expected = instances.len() as u64 * clients;
    while totals.connected.load(Relaxed) + totals.failed.load(Relaxed) < expected {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before: Vec<_> = pids.iter().filter_map(|&p| proc_stats(p)).collect();
    // The publisher: `rate` a second, alternating instances, for `seconds`.
    let http = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate as u32);
    let started = Instant::now();
    let mut publishes = Vec::new();
    for n in 0..total {
        tick.tick().await;
        let url = format!("{}/publish", instances[n as usize % instances.len()]);
        // Each in a task of its own, so that the rate holds whatever one publish takes.
        let request = http.post(url).body(format!("{n} {}", now_us()));
        publishes.push(tokio::spawn(async move {
            request.send().await.is_ok_and(|r| r.status() == 200)
        }));
    }
    let publishing = started.elapsed();
    for (n, p) in publishes.into_iter().enumerate() {
        assert!(p.await.unwrap_or(false), "publish {n} failed");
    }
    let after: Vec<_> = pids.iter().filter_map(|&p| proc_stats(p)).collect();
    // Every client ends once it has all the events (or at `until`) and reports.
    for t in tasks {
        let _ = t.await;
    }
    let mut lat = std::mem::take(&mut *totals.latencies.lock().unwrap());
    lat.sort_unstable();
    let pct = |p: f64| shared::percentile_ms(&lat, p);
    let events = totals.events.load(Relaxed);
    println!(
        "instances: {}, clients: {} ({} per instance), connected: {}, failed: {}",
        instances.len(),
        expected,
        clients,
        totals.connected.load(Relaxed),
        totals.failed.load(Relaxed)
    );
    println!(
        "published: {total} in {:.1} s; delivered: {events} of {} expected; missed (gaps): {}; \
         twice: {}; resets: {}",
        publishing.as_secs_f64(),
        expected * total,
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
        && events == expected * total
        && totals.failed.load(Relaxed) == 0;
    std::process::exit(if ok { 0 } else { 1 });
}
