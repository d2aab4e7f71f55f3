//! W1–W3 driven the way an application's code drives a body, as a second method beside the
//! main benchmark's: each event built with `?` inside a closure that returns a `Result`, the
//! stream drained with `StreamExt::next` under a current-thread tokio `block_on`, sse-stream 0.3
//! as the reference in the same process, and glibc told never to trim or `mmap` (so that
//! neither side pays for returning memory to the kernel). The payload strings are cloned before
//! each timed repetition and moved in.
//!
//! `cargo run --release --manifest-path benches/peers/Cargo.toml --bin next [-- --guard]`:
//! prints sse-wire's and sse-stream's medians per workload; `--guard` exits 1 when sse-wire's is
//! the slower on any of them.

#[path = "../workloads.rs"]
mod workloads;

use futures_util::{stream, StreamExt};
use http_body_util::BodyExt;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use workloads::{Payload, W};

extern "C" {
    fn mallopt(param: i32, value: i32) -> i32;
}
const M_TRIM_THRESHOLD: i32 = -1;
const M_MMAP_MAX: i32 = -4;

fn sse_wire(rt: &tokio::runtime::Runtime, w: W, payloads: Vec<Payload>) -> usize {
    // One straight line per workload, as a handler would write it for its own events (a
    // builder that branches on optional fields compiles differently, and hid a regression).
    fn typical(p: Payload) -> Result<sse_wire::Event, sse_wire::Error> {
        let (event, id) = (p.event.unwrap_or_default(), p.id.unwrap_or_default());
        Ok(sse_wire::Event::new().event(event)?.id(id)?.data(p.data))
    }
    fn data_only(p: Payload) -> Result<sse_wire::Event, sse_wire::Error> {
        Ok(sse_wire::Event::new().data(p.data))
    }
    match w {
        W::Typical => drain(rt, payloads, typical),
        _ => drain(rt, payloads, data_only),
    }
}

/// Drains an `EventStream` over the payloads, each built by `build` (inlined into the stream).
fn drain<F>(rt: &tokio::runtime::Runtime, payloads: Vec<Payload>, build: F) -> usize
where
    F: FnMut(Payload) -> Result<sse_wire::Event, sse_wire::Error>,
{
    rt.block_on(async move {
        let mut body = sse_wire::EventStream::new(stream::iter(payloads).map(build));
        let mut total = 0;
        while let Some(chunk) = body.next().await {
            total += chunk.unwrap().len();
        }
        total
    })
}

fn sse_stream(rt: &tokio::runtime::Runtime, payloads: Vec<Payload>) -> usize {
    rt.block_on(async move {
        let build = |p: Payload| {
            let mut event = sse_stream::Sse::default().data(p.data);
            if let Some(t) = p.event {
                event = event.event(t);
            }
            if let Some(id) = p.id {
                event = event.id(id);
            }
            Ok::<_, Infallible>(event)
        };
        let mut body = sse_stream::SseBody::new(stream::iter(payloads).map(build));
        let mut total = 0;
        while let Some(frame) = body.frame().await {
            total += frame.unwrap().into_data().map_or(0, |d| d.len());
        }
        total
    })
}

fn main() {
    // SAFETY: `mallopt` only changes glibc's tuning, and is called before any other thread.
    unsafe {
        mallopt(M_MMAP_MAX, 0);
        mallopt(M_TRIM_THRESHOLD, -1);
    }
    let guard = std::env::args().any(|a| a == "--guard");
    let rounds = 21;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut behind = Vec::new();
    println!("| workload | sse-wire | sse-stream 0.3 | sse-stream ÷ sse-wire |");
    println!("|---|---:|---:|---:|");
    for w in [W::Tiny, W::Typical, W::Multiline] {
        let template = w.payloads(w.events(false));
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which one goes first.
            for k in 0..2 {
                let payloads = template.clone();
                let start = Instant::now();
                let bytes = match (k + round) % 2 {
                    0 => sse_wire(&rt, w, payloads),
                    _ => sse_stream(&rt, payloads),
                };
                std::hint::black_box(bytes);
                match (k + round) % 2 {
                    0 => ours.push(start.elapsed()),
                    _ => theirs.push(start.elapsed()),
                }
            }
        }
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let (a, b) = (median(&mut ours), median(&mut theirs));
        let ratio = b.as_secs_f64() / a.as_secs_f64();
        println!("| {} | {a:.2?} | {b:.2?} | {ratio:.2} |", w.name());
        if ratio < 1.0 {
            behind.push(w.name());
        }
    }
    if guard && !behind.is_empty() {
        eprintln!(
            "guard FAILED: sse-wire is behind sse-stream on {}",
            behind.join(", ")
        );
        std::process::exit(1);
    }
}
