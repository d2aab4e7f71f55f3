//! Reads an event stream on stdin and prints what a conformant client dispatches, one JSON
//! object per line: `{"type": …, "data": …, "last_event_id": …}` for each event, then at the end
//! of input `{"end": true, "last_event_id": …, "retry": <ms or null>}`.
//!
//! `curl -sN http://127.0.0.1:3000/sse | cargo run --example decode`
//!
//! Input that breaks the decoder's limits is reported on stderr; decoding goes on with the next
//! event.

use serde_json::json;
use sse_wire::decode::Decoder;
use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let mut decoder = Decoder::new();
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        decoder.push(bytes::Bytes::copy_from_slice(&buf[..n]));
        while let Some(event) = decoder.next_event() {
            match event {
                Ok(event) => {
                    let line = json!({
                        "type": event.event_type(),
                        "data": event.data(),
                        "last_event_id": event.last_event_id(),
                    });
                    writeln!(stdout, "{line}")?;
                }
                Err(e) => eprintln!("skipped an event: {e}"),
            }
        }
        stdout.flush()?;
    }
    let end = decoder.finish();
    let line = json!({ "end": true, "last_event_id": end.last_event_id, "retry": end.retry });
    writeln!(stdout, "{line}")?;
    Ok(())
}
