//! The ticking counter on `std::net` alone, no async runtime: `cargo run --example counter_std`.
//!
//! Same `/sse` contract as the other counters (see `examples/common/mod.rs`), one thread per
//! connection. It shows the non-async API: each event is encoded with `Event::to_bytes()` and
//! written to the socket as it is. The response has no `Content-Length` and
//! `Connection: close`, so the body ends when the connection does (valid HTTP/1.1).
//!
//! Without a signal-handling crate, Ctrl-C ends the process at once; the OS closes the
//! connections, and browsers reconnect (with `Last-Event-ID`) to the next server.

mod common;

use common::Config;
use sse_wire::headers::{self, LastEventId};
use sse_wire::Event;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The request line's path and the raw `Last-Event-ID` value, from a request head of at most
/// 16 KiB read within 5 seconds.
fn read_request(stream: &TcpStream) -> std::io::Result<(String, Option<Vec<u8>>)> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let mut path = String::new();
    let mut last_event_id = None;
    let mut total = 0;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        total += n;
        if n == 0 || total > 16 * 1024 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad request head",
            ));
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            return Ok((path, last_event_id));
        }
        if path.is_empty() {
            // "GET /sse HTTP/1.1"
            let request_line = String::from_utf8_lossy(text);
            path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
        } else if let Some(colon) = text.iter().position(|&b| b == b':') {
            if text[..colon].eq_ignore_ascii_case(headers::LAST_EVENT_ID.as_bytes()) {
                last_event_id = Some(text[colon + 1..].trim_ascii().to_vec());
            }
        }
    }
}

fn serve(mut stream: TcpStream, config: &Config, done: &AtomicBool) -> std::io::Result<()> {
    let (target, last_event_id) = read_request(&stream)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let last_event_id = LastEventId::from_parts(last_event_id.as_deref(), Some(query));
    match path {
        "/" => {
            let body = common::INDEX_HTML;
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        "/sse" => {
            write!(stream, "HTTP/1.1 200 OK\r\n")?;
            for (name, value) in headers::RESPONSE_HEADERS {
                write!(stream, "{name}: {value}\r\n")?;
            }
            write!(stream, "connection: close\r\n\r\n")?;
            let keep_alive = Event::new().comment("").to_bytes(); // ":\n\n"
            let first = common::first_id(&last_event_id);
            let mut n = first;
            let mut next_event = Instant::now();
            let mut last_write = Instant::now();
            loop {
                if done.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let now = Instant::now();
                if now >= next_event {
                    stream.write_all(
                        &common::counter_event(n, (n == first).then_some(config.retry)).to_bytes(),
                    )?;
                    last_write = now;
                    if common::is_last(n, config.count) {
                        done.store(true, Ordering::Relaxed);
                        return Ok(());
                    }
                    match n.checked_add(1) {
                        Some(next) => n = next,
                        None => return Ok(()), // the ids are used up
                    }
                    next_event += config.interval;
                } else if now >= last_write + config.keep_alive {
                    stream.write_all(&keep_alive)?;
                    last_write = now;
                }
                let wake = next_event
                    .min(last_write + config.keep_alive)
                    .min(now + Duration::from_millis(100));
                std::thread::sleep(wake.saturating_duration_since(Instant::now()));
            }
        }
        _ => write!(
            stream,
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ),
    }
}

fn main() -> std::io::Result<()> {
    let config = Arc::new(Config::from_args().reject_broadcast());
    let listener = TcpListener::bind(("127.0.0.1", config.port))?;
    println!("Listening on http://{}/", listener.local_addr()?);
    // Non-blocking accept, so the loop can notice `--count` being reached.
    listener.set_nonblocking(true)?;
    let done = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    while !done.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                let (config, done) = (config.clone(), done.clone());
                workers.push(std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &config, &done) {
                        eprintln!("connection ended: {e}");
                    }
                }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(e),
        }
        workers.retain(|w| !w.is_finished());
    }
    // Other streams see `done` within 100 ms and end their responses.
    for worker in workers {
        let _ = worker.join();
    }
    println!("Server stopped");
    Ok(())
}
