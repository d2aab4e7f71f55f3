//! A client-side event stream parser written from WHATWG HTML §9.2.6, line by line, to check
//! what bytes mean to a conformant client. Deliberately independent of `src/`: it shares no
//! code with the encoder. Used by the tests and by the peer benchmark (`benches/peers`), which
//! checks every encoder's output with it. No dependencies beyond `std`.
#![allow(dead_code)]

/// One dispatched event, as a browser's `MessageEvent` would carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    pub event_type: String,
    pub data: String,
    pub last_event_id: String,
}

/// Incremental parser: feed it bytes in pieces of any size.
#[derive(Debug, Default)]
pub struct Parser {
    line: Vec<u8>,
    /// The previous line ended with CR: an LF right after it belongs to that break.
    after_cr: bool,
    started: bool,
    data: String,
    event_type: String,
    last_event_id_buffer: String,
    /// The source's last event id string (set at dispatch).
    pub last_event_id: String,
    /// The reconnection time, each time a valid `retry` is read.
    pub retries: Vec<u64>,
    /// Comment lines seen (without the leading colon).
    pub comments: Vec<String>,
    /// Events dispatched so far.
    pub events: Vec<Dispatched>,
    /// How many blank lines were read (dispatch attempts).
    pub blank_lines: usize,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Parses a whole stream at once.
    pub fn parse(bytes: &[u8]) -> Parser {
        let mut p = Parser::new();
        p.feed(bytes);
        p
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => self.end_line(),
                b'\r' => {
                    self.end_line();
                    self.after_cr = true;
                }
                _ => self.line.push(b),
            }
        }
    }

    /// The text still unterminated at the end of the stream (the spec discards it).
    pub fn pending_line(&self) -> &[u8] {
        &self.line
    }

    fn end_line(&mut self) {
        let mut raw = std::mem::take(&mut self.line);
        if !self.started {
            self.started = true;
            // The UTF-8 decode algorithm strips one leading BOM.
            if raw.starts_with(b"\xEF\xBB\xBF") {
                raw.drain(..3);
            }
        }
        let line = String::from_utf8_lossy(&raw).into_owned();
        self.process(&line);
    }

    fn process(&mut self, line: &str) {
        if line.is_empty() {
            self.blank_lines += 1;
            return self.dispatch();
        }
        if let Some(comment) = line.strip_prefix(':') {
            self.comments.push(comment.to_owned());
            return;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        match field {
            "event" => self.event_type = value.to_owned(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.last_event_id_buffer = value.to_owned(),
            // Arbitrary precision is not needed for these tests; saturate.
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retries.push(value.parse().unwrap_or(u64::MAX))
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        self.last_event_id = self.last_event_id_buffer.clone();
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event_type = match std::mem::take(&mut self.event_type) {
            t if t.is_empty() => "message".to_owned(),
            t => t,
        };
        self.events.push(Dispatched {
            event_type,
            data,
            last_event_id: self.last_event_id.clone(),
        });
    }
}
