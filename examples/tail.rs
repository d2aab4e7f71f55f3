//! Follows an event stream like `tail -f`: `cargo run --example tail -- URL`.
//!
//! Prints one JSON line per dispatched event on stdout as it arrives,
//! `{"type":…,"data":…,"last_event_id":…}`, and reconnects as a browser's `EventSource` does
//! (after the server's `retry:`, resending the last event id); what happens to the connection
//! goes to stderr. Exits 0 when the server answers `204 No Content` (how a server says "stop"),
//! and 1 with a one-line reason on any other status or content type, or when `--max-attempts`
//! attempts in a row failed.
//!
//! Flags: `--retry-ms N` (the reconnection time until the server sets one), `--max-attempts N`,
//! `--header 'Name: value'` (repeatable).

use futures_util::StreamExt;
use sse_wire::client::{ClientConfig, ClientError, EventSource, Refusal, SourceEvent};
use std::io::Write;
use std::time::Duration;

fn usage() -> ! {
    eprintln!("usage: tail URL [--retry-ms N] [--max-attempts N] [--header 'Name: value']...");
    std::process::exit(2);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    let mut config = ClientConfig::default();
    let mut headers = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--retry-ms" => {
                let ms = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage());
                config = config.retry(Duration::from_millis(ms));
            }
            "--max-attempts" => {
                let n = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage());
                config = config.max_attempts(n);
            }
            "--header" => {
                let header = args.next().unwrap_or_else(|| usage());
                let (name, value) = header.split_once(':').unwrap_or_else(|| usage());
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            _ if url.is_none() && !arg.starts_with("--") => url = Some(arg),
            _ => usage(),
        }
    }
    let Some(url) = url else { usage() };
    let mut builder = EventSource::builder(url).config(config);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let mut source = builder.build();
    let mut stdout = std::io::stdout().lock();
    while let Some(item) = source.next().await {
        match item {
            Ok(SourceEvent::Message(event)) => {
                // The keys in this order; each value a JSON string.
                let string = |s: &str| serde_json::Value::from(s).to_string();
                let line = format!(
                    r#"{{"type":{},"data":{},"last_event_id":{}}}"#,
                    string(event.event_type()),
                    string(event.data()),
                    string(event.last_event_id()),
                );
                // A closed stdout (`| head`) ends the program.
                if writeln!(stdout, "{line}")
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    return;
                }
            }
            Ok(SourceEvent::Open) => eprintln!("open"),
            Ok(SourceEvent::Reconnecting { cause, after }) => {
                eprintln!("{cause}; reconnecting in {after:?}");
            }
            Ok(SourceEvent::Skipped(error)) => eprintln!("skipped an event: {error}"),
            Ok(other) => eprintln!("{other:?}"),
            Err(ClientError::Refused(Refusal::Status(204))) => {
                eprintln!("the server answered 204: done");
                std::process::exit(0);
            }
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(1);
            }
        }
    }
}
