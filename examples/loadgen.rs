//! Load generator: opens many concurrent SSE connections on loopback and checks that every
//! client receives every event, in order, with no gap and no duplicate.
//!
//! ```sh
//! cargo run --release --example counter -- --port 3000 --interval-ms 100 &
//! cargo run --release --example loadgen -- --url http://127.0.0.1:3000/sse \
//!     --clients 2000 --seconds 60 --server-pid $!
//! ```
//!
//! Each client checks that ids go up by exactly one (a client of the per-connection counter
//! starts at 1; a client of `--broadcast` starts wherever the shared counter is). With
//! `--server-pid`, the server's CPU time and memory are read from `/proc` (Linux). Only
//! loopback URLs are accepted; the run stops by itself after `--seconds`.

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Totals {
    connected: AtomicU64,
    failed: AtomicU64,
    events: AtomicU64,
    gaps: AtomicU64,
    out_of_order: AtomicU64,
    ended_early: AtomicU64,
}

struct Args {
    url: String,
    clients: u64,
    seconds: u64,
    ramp_seconds: u64,
    server_pid: Option<u32>,
}

fn args() -> Args {
    let mut a = Args {
        url: "http://127.0.0.1:3000/sse".into(),
        clients: 100,
        seconds: 10,
        ramp_seconds: 5,
        server_pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--url" => a.url = value,
            "--clients" => a.clients = value.parse().expect("--clients N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--ramp-seconds" => a.ramp_seconds = value.parse().expect("--ramp-seconds N"),
            "--server-pid" => a.server_pid = Some(value.parse().expect("--server-pid PID")),
            _ => {
                eprintln!("usage: loadgen --url URL [--clients N] [--seconds N] [--ramp-seconds N] [--server-pid PID]");
                std::process::exit(2);
            }
        }
    }
    let host_ok = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|p| a.url.starts_with(p));
    assert!(host_ok, "loadgen only targets loopback servers");
    a
}

#[path = "common/proc_stats.rs"]
mod shared;

/// (user + system CPU seconds, current RSS KiB, peak RSS KiB) of a process.
fn proc_stats(pid: u32) -> Option<(f64, u64, u64)> {
    shared::proc_stats(pid).map(|s| (s.cpu_seconds, s.rss_kib, s.peak_rss_kib))
}

async fn client(url: String, until: Instant, totals: Arc<Totals>) {
    let http = reqwest::Client::new();
    let response = match http.get(&url).send().await {
        Ok(r) if r.status() == 200 => r,
        _ => {
            totals.failed.fetch_add(1, Relaxed);
            return;
        }
    };
    totals.connected.fetch_add(1, Relaxed);
    let mut events = response.bytes_stream().eventsource();
    let mut last: Option<u64> = None;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.next()).await {
            Err(_) => return, // the run is over
            Ok(Some(Ok(event))) => {
                let Ok(id) = event.id.parse::<u64>() else {
                    continue;
                };
                match last {
                    Some(prev) if id == prev + 1 => {}
                    Some(prev) if id > prev + 1 => {
                        totals.gaps.fetch_add(id - prev - 1, Relaxed);
                    }
                    Some(_) => {
                        totals.out_of_order.fetch_add(1, Relaxed);
                    }
                    None => {}
                }
                last = Some(id);
                totals.events.fetch_add(1, Relaxed);
            }
            Ok(_) => {
                totals.ended_early.fetch_add(1, Relaxed);
                return;
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let totals = Arc::new(Totals::default());
    let idle = a.server_pid.and_then(proc_stats);
    let start = Instant::now();
    let until = start + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for i in 0..a.clients {
        tasks.push(tokio::spawn(client(a.url.clone(), until, totals.clone())));
        // Ramp up evenly, so the server's accept queue is not flooded at once.
        let due =
            start + Duration::from_secs(a.ramp_seconds).mul_f64((i + 1) as f64 / a.clients as f64);
        tokio::time::sleep_until(due.into()).await;
    }
    let loaded = a.server_pid.and_then(proc_stats);
    let steady_from = Instant::now();
    for t in tasks {
        let _ = t.await;
    }
    let done = a.server_pid.and_then(proc_stats);

    let get = |c: &AtomicU64| c.load(Relaxed);
    println!(
        "clients: {} connected, {} failed",
        get(&totals.connected),
        get(&totals.failed)
    );
    println!("events delivered: {}", get(&totals.events));
    println!("gaps (missing ids): {}", get(&totals.gaps));
    println!("out of order or duplicate: {}", get(&totals.out_of_order));
    println!(
        "streams ended before the run did: {}",
        get(&totals.ended_early)
    );
    if let (Some(idle), Some(loaded), Some(done)) = (idle, loaded, done) {
        let steady = steady_from.elapsed().as_secs_f64();
        println!(
            "server CPU, steady state: {:.1}% of one core",
            (done.0 - loaded.0) / steady * 100.0
        );
        println!("server CPU, whole run: {:.2} s", done.0 - idle.0);
        println!("server RSS: {} KiB idle, {} KiB peak", idle.1, done.2);
        println!(
            "server memory per connection: {:.1} KiB",
            (loaded.1 as f64 - idle.1 as f64) / get(&totals.connected).max(1) as f64
        );
    }
    let ok = get(&totals.failed) == 0 && get(&totals.gaps) == 0 && get(&totals.out_of_order) == 0;
    std::process::exit(if ok { 0 } else { 1 });
}
