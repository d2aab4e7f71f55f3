//! The client side of the server-level benchmark (`benches/servers.sh`): N raw HTTP/1.1
//! connections to `GET /sse` on loopback, spread over source addresses 127.0.0.1–127.0.0.8,
//! each decoded with `sse_wire::decode` and checked for contiguous ids; the server's CPU and
//! memory are read from `/proc`. Prints one CSV line:
//! `kind,connections,rate,events,cpu_s_per_million,rss_kib_per_conn,p50_ms,p99_ms,max_ms,gaps,failed`.
//!
//! `conns KIND PORT SERVER_PID CONNECTIONS RATE SECONDS`

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

#[path = "../../../../examples/common/proc_stats.rs"]
mod shared;

/// (user + system CPU seconds, RSS KiB) of the server, which must be running.
fn proc_stats(pid: u32) -> (f64, u64) {
    let s = shared::proc_stats(pid).expect("the server's /proc entry");
    (s.cpu_seconds, s.rss_kib)
}

#[derive(Default)]
struct Totals {
    connected: AtomicU64,
    failed: AtomicU64,
    events: AtomicU64,
    gaps: AtomicU64,
    /// Latencies of the measured window, in microseconds.
    latencies: Mutex<Vec<u32>>,
    measuring: std::sync::atomic::AtomicBool,
    stop: std::sync::atomic::AtomicBool,
}

/// Undoes HTTP/1.1 chunked transfer coding, as bytes arrive.
#[derive(Default)]
struct Dechunk {
    buf: Vec<u8>,
    /// Bytes left of the current chunk's data.
    left: usize,
}

impl Dechunk {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.buf.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            if self.left > 0 {
                let n = self.left.min(self.buf.len() - at);
                out.extend_from_slice(&self.buf[at..at + n]);
                at += n;
                self.left -= n;
                if self.left > 0 {
                    break;
                }
                continue;
            }
            // A size line, or the CRLF after a chunk's data.
            let Some(end) = self.buf[at..].windows(2).position(|w| w == b"\r\n") else {
                break;
            };
            let line = &self.buf[at..at + end];
            at += end + 2;
            if line.is_empty() {
                continue;
            }
            let size = std::str::from_utf8(line)
                .ok()
                .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or(""), 16).ok());
            self.left = size.unwrap_or(0);
        }
        self.buf.drain(..at);
    }
}

async fn client(port: u16, source: u8, totals: Arc<Totals>, until: Instant) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, source], 0)))
        .unwrap();
    let Ok(mut stream) = socket.connect(([127, 0, 0, 1], port).into()).await else {
        totals.failed.fetch_add(1, Relaxed);
        return;
    };
    stream
        .write_all(b"GET /sse HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    let mut head = Vec::new();
    let mut body = Vec::new();
    // The head, then the body.
    let chunked = loop {
        let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await
        else {
            totals.failed.fetch_add(1, Relaxed);
            return;
        };
        if n == 0 {
            totals.failed.fetch_add(1, Relaxed);
            return;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
            body.extend_from_slice(&head[end + 4..]);
            break text.contains("transfer-encoding: chunked");
        }
    };
    totals.connected.fetch_add(1, Relaxed);
    let mut dechunk = Dechunk::default();
    let mut decoder = sse_wire::decode::Decoder::new();
    let mut last: Option<u64> = None;
    let mut mine = Vec::new();
    let mut pending = std::mem::take(&mut body);
    loop {
        let mut data = Vec::new();
        if chunked {
            dechunk.feed(&pending, &mut data);
        } else {
            data = std::mem::take(&mut pending);
        }
        pending.clear();
        decoder.push(bytes::Bytes::from(data));
        while let Some(Ok(event)) = decoder.next_event() {
            let mut parts = event.data().split(' ');
            let (Some(n), Some(ts)) = (
                parts.next().and_then(|n| n.parse::<u64>().ok()),
                parts.next().and_then(|t| t.parse::<u64>().ok()),
            ) else {
                continue;
            };
            if last.is_some_and(|l| n != l + 1) {
                totals.gaps.fetch_add(1, Relaxed);
            }
            last = Some(n);
            if totals.measuring.load(Relaxed) {
                totals.events.fetch_add(1, Relaxed);
                mine.push(now_us().saturating_sub(ts) as u32);
            }
        }
        // Read until the run stops (checked every 200 ms) or the server closes.
        if totals.stop.load(Relaxed) {
            totals.latencies.lock().unwrap().extend(mine);
            return;
        }
        loop {
            match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {
                    pending.extend_from_slice(&buf[..n]);
                    break;
                }
                Ok(_) => {
                    totals.latencies.lock().unwrap().extend(mine);
                    return;
                }
                Err(_) if totals.stop.load(Relaxed) || Instant::now() > until => {
                    totals.latencies.lock().unwrap().extend(mine);
                    return;
                }
                Err(_) => {}
            }
        }
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let [_, kind, port, pid, n, rate, seconds] = &a[..] else {
        eprintln!("usage: conns KIND PORT SERVER_PID CONNECTIONS RATE SECONDS");
        std::process::exit(2);
    };
    let (port, pid, n, seconds): (u16, u32, u64, u64) = (
        port.parse().unwrap(),
        pid.parse().unwrap(),
        n.parse().unwrap(),
        seconds.parse().unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let totals = Arc::new(Totals::default());
        let (_, rss0) = proc_stats(pid);
        let until = Instant::now() + Duration::from_secs(seconds + 60);
        let mut tasks = Vec::new();
        for i in 0..n {
            tasks.push(tokio::spawn(client(
                port,
                1 + (i % 8) as u8,
                totals.clone(),
                until,
            )));
            if i % 100 == 99 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while totals.connected.load(Relaxed) + totals.failed.load(Relaxed) < n
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (cpu0, rss1) = proc_stats(pid);
        totals.measuring.store(true, Relaxed);
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        totals.measuring.store(false, Relaxed);
        let (cpu1, _) = proc_stats(pid);
        let window = start.elapsed().as_secs_f64();
        let events = totals.events.load(Relaxed);
        totals.stop.store(true, Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let mut lat = std::mem::take(&mut *totals.latencies.lock().unwrap());
        lat.sort_unstable();
        let pct = |p: f64| shared::percentile_ms(&lat, p);
        let connected = totals.connected.load(Relaxed).max(1);
        let _ = window;
        println!(
            "{kind},{n},{rate},{events},{:.3},{:.2},{:.2},{:.2},{:.2},{},{}",
            (cpu1 - cpu0) / (events.max(1) as f64 / 1e6),
            rss1.saturating_sub(rss0) as f64 / connected as f64,
            pct(0.5),
            pct(0.99),
            pct(1.0),
            totals.gaps.load(Relaxed),
            totals.failed.load(Relaxed),
        );
    });
}
