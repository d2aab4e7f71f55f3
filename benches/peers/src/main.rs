//! sse-wire side by side with other Rust SSE encoders, in one process, interleaved.
//!
//! Run from the repository root: `cargo run --release --manifest-path benches/peers/Cargo.toml`
//! (add `-- --quick` for a smoke run, `-- --csv FILE` to write the table for `chart.py`,
//! `-- --guard` to exit 1 when sse-wire is behind the best peer on any workload).
//!
//! Each peer takes the path a user of that library would: build events with its own builder,
//! wrap them in its SSE response body, and drain the body as a server would (each body frame
//! is dropped once counted). Payload strings are made before the clock starts. A counting global
//! allocator reports allocations and reallocations made inside the timed run (the payloads
//! themselves were allocated before it). Every peer's output is then decoded with the WHATWG
//! parser from `tests/common/whatwg.rs` and compared with the expected events.

#[path = "../../../tests/common/whatwg.rs"]
mod whatwg;

use bytes::Bytes;
use futures_util::stream;
use std::convert::Infallible;
use std::io::Write as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[path = "../../../tests/common/counting_alloc.rs"]
mod counting_alloc;

mod workloads;
use workloads::{Payload, W};

// ---------------------------------------------------------------------------------------------
// Peers

#[derive(Clone, Copy, PartialEq, Debug)]
enum Peer {
    SseWire,
    Axum,
    ActixWebLab,
    Warp,
    SseStream,
    NaiveWrite,
    HandLoop,
    SseWireNoAdapter,
    Memcpy,
}

const PEERS: [Peer; 9] = [
    Peer::SseWire,
    Peer::Axum,
    Peer::ActixWebLab,
    Peer::Warp,
    Peer::SseStream,
    Peer::NaiveWrite,
    Peer::HandLoop,
    Peer::SseWireNoAdapter,
    Peer::Memcpy,
];

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::SseWire => "sse-wire",
            Peer::Axum => "axum 0.8",
            Peer::ActixWebLab => "actix-web-lab 0.29",
            Peer::Warp => "warp 0.4",
            Peer::SseStream => "sse-stream 0.3",
            Peer::NaiveWrite => "naive write! (floor)",
            Peer::HandLoop => "hand-written loop (floor)",
            Peer::SseWireNoAdapter => "sse-wire, no stream (floor)",
            Peer::Memcpy => "memcpy (floor)",
        }
    }
}

/// What draining a body produced.
#[derive(Default)]
struct Drained {
    frames: u64,
    bytes: u64,
    /// The output itself, only when asked for (the correctness pass).
    output: Option<Vec<u8>>,
}

impl Drained {
    fn new(keep: bool) -> Drained {
        Drained {
            output: keep.then(Vec::new),
            ..Drained::default()
        }
    }
    fn frame(&mut self, bytes: &[u8]) {
        self.frames += 1;
        self.bytes += bytes.len() as u64;
        if let Some(out) = &mut self.output {
            out.extend_from_slice(bytes);
        }
    }
}

fn cx() -> Context<'static> {
    Context::from_waker(futures_util::task::noop_waker_ref())
}

/// Drains an `http_body::Body` as hyper would.
fn drain_http_body<B>(mut body: B, keep: bool) -> Drained
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Debug,
{
    let mut out = Drained::new(keep);
    let mut cx = cx();
    loop {
        match Pin::new(&mut body).poll_frame(&mut cx) {
            Poll::Ready(Some(frame)) => {
                if let Ok(data) = frame.unwrap().into_data() {
                    out.frame(&data);
                }
            }
            Poll::Ready(None) => return out,
            Poll::Pending => unreachable!("in-memory bodies are always ready"),
        }
    }
}

/// Applies a payload's optional event type and id to a peer's event builder: every peer's
/// builder has `event` and `id` methods of the same shape, though of different types.
macro_rules! type_and_id {
    ($builder:expr, $payload:expr) => {{
        let mut builder = $builder;
        if let Some(t) = $payload.event {
            builder = builder.event(t);
        }
        if let Some(id) = $payload.id {
            builder = builder.id(id);
        }
        builder
    }};
}

/// sse-wire's event with the payload's type and id, as a user's handler writes it: text is
/// checked, so each setter is followed by `?` in a function that returns a `Result`, and the
/// stream's items are `Result<Event, Error>`. (Built with `unwrap` instead, the benchmark did not
/// see a regression of the `?` path that an outside harness found.)
#[inline(always)]
fn sse_wire_head(
    event: Option<&'static str>,
    id: Option<String>,
) -> Result<sse_wire::Event, sse_wire::Error> {
    let mut ev = sse_wire::Event::new();
    if let Some(t) = event {
        ev = ev.event(t)?;
    }
    if let Some(id) = id {
        ev = ev.id(id)?;
    }
    Ok(ev)
}

fn run(peer: Peer, w: W, payloads: Vec<Payload>, expected: &[u8], keep: bool) -> Drained {
    match peer {
        Peer::SseWire => {
            // Each workload's events are made the way a user's code would make them: data from
            // a `String`, or (W4 with `Bytes`) from `Bytes`; not one closure that picks per event.
            fn drain<S: futures_core::Stream<Item = Result<sse_wire::Event, sse_wire::Error>>>(
                events: S,
                keep: bool,
            ) -> Drained {
                use futures_core::Stream;
                let mut body = std::pin::pin!(sse_wire::EventStream::new(events));
                let mut out = Drained::new(keep);
                let mut cx = cx();
                while let Poll::Ready(Some(chunk)) = body.as_mut().poll_next(&mut cx) {
                    out.frame(&chunk.unwrap());
                }
                out
            }
            let payloads = payloads.into_iter();
            match w {
                W::LargeBytes => drain(
                    stream::iter(
                        payloads
                            .map(|p| sse_wire_head(p.event, p.id)?.data_utf8(Bytes::from(p.data))),
                    ),
                    keep,
                ),
                _ => drain(
                    stream::iter(payloads.map(|p| Ok(sse_wire_head(p.event, p.id)?.data(p.data)))),
                    keep,
                ),
            }
        }
        Peer::Axum => {
            use axum::response::sse::{Event, Sse};
            use axum::response::IntoResponse;
            let events = payloads
                .into_iter()
                .map(|p| Ok::<_, Infallible>(type_and_id!(Event::default(), p).data(p.data)));
            drain_http_body(
                Sse::new(stream::iter(events)).into_response().into_body(),
                keep,
            )
        }
        Peer::ActixWebLab => {
            use actix_web::body::MessageBody;
            use actix_web_lab::sse::{Data, Event, Sse};
            let events = payloads
                .into_iter()
                .map(|p| Ok::<_, Infallible>(Event::Data(type_and_id!(Data::new(p.data), p))));
            let mut body = Sse::from_stream(stream::iter(events));
            let mut out = Drained::new(keep);
            let mut cx = cx();
            while let Poll::Ready(Some(chunk)) = Pin::new(&mut body).poll_next(&mut cx) {
                out.frame(&chunk.unwrap());
            }
            out
        }
        Peer::Warp => {
            use warp::sse::Event;
            use warp::Reply;
            let events = payloads
                .into_iter()
                .map(|p| Ok::<_, Infallible>(type_and_id!(Event::default(), p).data(p.data)));
            drain_http_body(
                warp::sse::reply(stream::iter(events))
                    .into_response()
                    .into_body(),
                keep,
            )
        }
        Peer::SseStream => {
            use sse_stream::{Sse, SseBody};
            let events = payloads
                .into_iter()
                .map(|p| Ok::<_, Infallible>(type_and_id!(Sse::default().data(p.data), p)));
            drain_http_body(SseBody::new(stream::iter(events)), keep)
        }
        Peer::NaiveWrite => {
            let mut out = Vec::new();
            for p in payloads {
                if let Some(t) = p.event {
                    writeln!(out, "event: {t}").unwrap();
                }
                if let Some(id) = &p.id {
                    writeln!(out, "id: {id}").unwrap();
                }
                for line in p.data.split('\n') {
                    writeln!(out, "data: {line}").unwrap();
                }
                out.push(b'\n');
            }
            let mut d = Drained::new(keep);
            d.frame(&out);
            d
        }
        Peer::HandLoop => {
            // What a careful hand-written encoder does with no event type and no adapter: one
            // loop over the payloads, `memchr2` for line breaks, appending to one reused buffer
            // that is sent whenever it passes 16 KiB.
            const CHUNK: usize = 16 * 1024;
            let mut d = Drained::new(keep);
            let mut buf = Vec::with_capacity(2 * CHUNK);
            let mut line = |buf: &mut Vec<u8>, prefix: &[u8], text: &[u8]| {
                match text.is_empty() {
                    true => buf.extend_from_slice(&prefix[..prefix.len() - 1]),
                    false => {
                        buf.extend_from_slice(prefix);
                        buf.extend_from_slice(text);
                    }
                }
                buf.push(b'\n');
                if buf.len() >= CHUNK {
                    d.frame(buf);
                    buf.clear();
                }
            };
            for p in payloads {
                if let Some(t) = p.event {
                    line(&mut buf, b"event: ", t.as_bytes());
                }
                if let Some(id) = &p.id {
                    line(&mut buf, b"id: ", id.as_bytes());
                }
                let mut rest = p.data.as_bytes();
                loop {
                    match memchr::memchr2(b'\n', b'\r', rest) {
                        None => {
                            line(&mut buf, b"data: ", rest);
                            break;
                        }
                        Some(i) => {
                            line(&mut buf, b"data: ", &rest[..i]);
                            let crlf = rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n');
                            rest = &rest[i + 1 + usize::from(crlf)..];
                        }
                    }
                }
                buf.push(b'\n');
            }
            if !buf.is_empty() {
                d.frame(&buf);
            }
            d
        }
        Peer::SseWireNoAdapter => {
            // sse-wire's builder and encoder with no stream at all: the same events, made the
            // same way, appended with `encode_into` to one reused buffer that is sent whenever
            // it passes 16 KiB, as the hand-written loop does. For small events this bounds
            // what any adapter over a `Stream` of these events can reach: the adapter only adds
            // (the inner stream's `Poll`, the packing). Large events are copied whole here,
            // where `EventStream` shares one-line data and writes multi-line data in chunks.
            const CHUNK: usize = 16 * 1024;
            let mut d = Drained::new(keep);
            let mut buf = bytes::BytesMut::with_capacity(2 * CHUNK);
            let mut send = |buf: &mut bytes::BytesMut| {
                if buf.len() >= CHUNK {
                    d.frame(buf);
                    buf.clear();
                }
            };
            match w {
                W::LargeBytes => {
                    for p in payloads {
                        let ev = sse_wire_head(p.event, p.id)
                            .and_then(|ev| ev.data_utf8(Bytes::from(p.data)))
                            .unwrap();
                        ev.encode_into(&mut buf);
                        send(&mut buf);
                    }
                }
                _ => {
                    for p in payloads {
                        sse_wire_head(p.event, p.id)
                            .unwrap()
                            .data(p.data)
                            .encode_into(&mut buf);
                        send(&mut buf);
                    }
                }
            }
            if !buf.is_empty() {
                d.frame(&buf);
            }
            d
        }
        Peer::Memcpy => {
            // Every peer drops the caller's payloads; then the exact output is copied once into
            // a buffer that was allocated and touched before the clock started, so the floor
            // holds no page faults (a fresh 200 MiB buffer per run made it 5× slower on W4,
            // which would flatter everyone measured against it).
            drop(payloads);
            SCRATCH.with(|scratch| {
                let mut buf = scratch.borrow_mut();
                buf.clear();
                buf.extend_from_slice(expected);
                let mut d = Drained::new(keep);
                d.frame(std::hint::black_box(&buf));
                d
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement

thread_local! {
    /// The memcpy floor's output buffer, sized and touched once per workload.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Row {
    workload: &'static str,
    peer: &'static str,
    median: Duration,
    events: usize,
    bytes: u64,
    frames: u64,
    allocs: u64,
    reallocs: u64,
    check: String,
}

/// The events a client must see for `payloads`.
fn expected_events(payloads: &[Payload]) -> Vec<whatwg::Dispatched> {
    payloads
        .iter()
        .map(|p| whatwg::Dispatched {
            event_type: p.event.unwrap_or("message").to_owned(),
            data: p.data.clone(),
            last_event_id: p.id.clone().unwrap_or_default(),
        })
        .collect()
}

fn check(output: &[u8], want: &[whatwg::Dispatched]) -> String {
    let got = whatwg::Parser::parse(output).events;
    if got.len() != want.len() {
        return format!(
            "differs: {} events decoded, {} expected",
            got.len(),
            want.len()
        );
    }
    match got.iter().zip(want).position(|(g, w)| g != w) {
        None => "ok".to_owned(),
        Some(i) => format!(
            "differs at event {i}: {:?} vs {:?}",
            short(&got[i]),
            short(&want[i])
        ),
    }
}

fn short(d: &whatwg::Dispatched) -> String {
    let data: String = d.data.chars().take(40).collect();
    format!("type={} id={} data={data:?}", d.event_type, d.last_event_id)
}

fn main() {
    eprintln!(
        "size_of::<sse_wire::Event>() = {}",
        std::mem::size_of::<sse_wire::Event>()
    );
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let csv = args
        .iter()
        .position(|a| a == "--csv")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let rounds = if quick { 3 } else { 7 };
    // `--only W1` (a workload prefix) and `--peer sse-wire` narrow the run, for profiling.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let profile: Option<usize> = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());
    let only_peer = args
        .iter()
        .position(|a| a == "--peer")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let mut rows = Vec::new();

    for w in [
        W::Tiny,
        W::Typical,
        W::Multiline,
        W::Large,
        W::LargeBytes,
        W::LargeMultiline,
    ] {
        if only
            .as_ref()
            .is_some_and(|o| !w.name().starts_with(o.as_str()))
        {
            continue;
        }
        let n = w.events(quick);
        let template = w.payloads(n);
        if let Some(reps) = profile {
            // Only the timed path of the chosen peers, repeated: for `perf record`.
            let peer = PEERS.iter().copied().find(|p| {
                only_peer
                    .as_ref()
                    .is_some_and(|o| p.name().starts_with(o.as_str()))
            });
            let copies: Vec<_> = (0..reps).map(|_| template.clone()).collect();
            eprintln!("profiling");
            let start = Instant::now();
            for payloads in copies {
                run(
                    peer.expect("--profile needs --peer"),
                    w,
                    payloads,
                    &[],
                    false,
                );
            }
            eprintln!("{:?} per run", start.elapsed() / reps as u32);
            continue;
        }
        let want = expected_events(&template);
        // The exact bytes every encoder should produce (sse-wire's, checked against the parser
        // below like everyone else's), for the memcpy floor.
        let expected = run(Peer::SseWire, w, template.clone(), &[], true)
            .output
            .unwrap();
        SCRATCH.with(|scratch| {
            let mut buf = scratch.borrow_mut();
            buf.clear();
            buf.resize(expected.len(), 0);
        });
        let peers: Vec<Peer> = PEERS
            .iter()
            .copied()
            .filter(|&p| {
                w != W::LargeBytes
                    || matches!(p, Peer::SseWire | Peer::SseWireNoAdapter | Peer::Memcpy)
            })
            .filter(|&p| {
                only_peer
                    .as_ref()
                    .is_none_or(|o| p.name().starts_with(o.as_str()) || p == Peer::Memcpy)
            })
            .collect();

        // Correctness pass, untimed.
        let checks: Vec<String> = peers
            .iter()
            .map(|&p| {
                check(
                    &run(p, w, template.clone(), &expected, true).output.unwrap(),
                    &want,
                )
            })
            .collect();

        let mut times = vec![Vec::new(); peers.len()];
        let mut stats = vec![(0u64, 0u64, 0u64, 0u64); peers.len()];
        for round in 0..rounds {
            // Interleave, starting with a different peer each round.
            for k in 0..peers.len() {
                let i = (k + round) % peers.len();
                let payloads = template.clone();
                let (a0, r0) = counting_alloc::counts();
                let start = Instant::now();
                let d = run(peers[i], w, payloads, &expected, false);
                times[i].push(start.elapsed());
                let (a1, r1) = counting_alloc::counts();
                stats[i] = (d.frames, d.bytes, a1 - a0, r1 - r0);
            }
        }
        for (i, &p) in peers.iter().enumerate() {
            times[i].sort();
            let (frames, bytes, allocs, reallocs) = stats[i];
            rows.push(Row {
                workload: w.name(),
                peer: p.name(),
                median: times[i][times[i].len() / 2],
                events: n,
                bytes,
                frames,
                allocs,
                reallocs,
                check: checks[i].clone(),
            });
        }
        eprintln!("{} done", w.name());
    }
    print_table(&rows);
    if let Some(path) = csv {
        write_csv(&rows, &path);
    }
    if args.iter().any(|a| a == "--guard") {
        guard(&rows);
    }
}

/// `--guard`: exits with status 1, naming each workload, if sse-wire's median is slower than the
/// best peer's (axum, actix-web-lab, warp, sse-stream) on any of W1–W5. This is what keeps a
/// regression like the `?`-path one from passing unseen: run it with `--quick` for a smoke
/// check, or in full before a release.
fn guard(rows: &[Row]) {
    let mut behind = Vec::new();
    for w in rows
        .iter()
        .map(|r| r.workload)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let ours = rows
            .iter()
            .find(|r| r.workload == w && r.peer == Peer::SseWire.name());
        let best = best_peer(rows, w);
        if let (Some(ours), Some(best)) = (ours, best) {
            let ratio = best.as_secs_f64() / ours.median.as_secs_f64();
            eprintln!("guard: {w}: best peer / sse-wire = {ratio:.2}");
            if ratio < 1.0 {
                behind.push(format!("{w} ({ratio:.2}x)"));
            }
        }
    }
    if !behind.is_empty() {
        eprintln!(
            "guard FAILED: sse-wire is behind the best peer on {}",
            behind.join(", ")
        );
        std::process::exit(1);
    }
    eprintln!("guard: sse-wire is ahead of the best peer on every workload");
}

/// The fastest library peer's median on workload `w` (floors and sse-wire itself excluded).
fn best_peer(rows: &[Row], w: &str) -> Option<Duration> {
    rows.iter()
        .filter(|p| {
            p.workload == w
                && ![
                    Peer::SseWire.name(),
                    Peer::NaiveWrite.name(),
                    Peer::HandLoop.name(),
                    Peer::SseWireNoAdapter.name(),
                    Peer::Memcpy.name(),
                ]
                .contains(&p.peer)
        })
        .map(|p| p.median)
        .min()
}

fn print_table(rows: &[Row]) {
    println!("| workload | peer | median | events/s | MB/s | × memcpy | × best peer | frames/event | allocs/event | reallocs/event | output |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let floor = rows
            .iter()
            .find(|f| f.workload == r.workload && f.peer == Peer::Memcpy.name())
            .unwrap();
        let best_peer = best_peer(rows, r.workload);
        let secs = r.median.as_secs_f64();
        println!(
            "| {} | {} | {:.2} ms | {:.2} M | {:.0} | {:.2} | {} | {:.4} | {:.3} | {:.3} | {} |",
            r.workload,
            r.peer,
            secs * 1e3,
            r.events as f64 / secs / 1e6,
            r.bytes as f64 / secs / 1e6,
            secs / floor.median.as_secs_f64(),
            best_peer.map_or("–".to_owned(), |b| format!(
                "{:.2}",
                b.as_secs_f64() / secs
            )),
            r.frames as f64 / r.events as f64,
            r.allocs as f64 / r.events as f64,
            r.reallocs as f64 / r.events as f64,
            r.check,
        );
    }
}

fn write_csv(rows: &[Row], path: &str) {
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(
        f,
        "workload,peer,median_ns,events,bytes,frames,allocs,reallocs,check"
    )
    .unwrap();
    for r in rows {
        writeln!(
            f,
            "\"{}\",\"{}\",{},{},{},{},{},{},{}",
            r.workload,
            r.peer,
            r.median.as_nanos(),
            r.events,
            r.bytes,
            r.frames,
            r.allocs,
            r.reallocs,
            r.check.replace(',', ";")
        )
        .unwrap();
    }
}
