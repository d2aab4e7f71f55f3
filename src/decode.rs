//! [`Decoder`]: event stream bytes in, the events a conformant client dispatches out.
//!
//! # The rules (WHATWG HTML §9.2.5–9.2.6), as this module applies them
//!
//! * The stream is UTF-8; one leading byte order mark is removed, and only at byte 0. Invalid
//!   bytes become U+FFFD (the UTF-8 decode algorithm, "with replacement"). Lines are split on the
//!   raw bytes first: CR, LF and U+003A are ASCII, and a UTF-8 sequence never spans them, so
//!   splitting first and decoding each value after is the same as decoding the stream first.
//! * A line ends at CRLF, at a lone LF or at a lone CR, wherever the input is cut: a CR that
//!   ends one chunk and an LF that starts the next are one break.
//! * An empty line dispatches; a line starting with `:` is a comment; otherwise the field name is
//!   what comes before the first `:` (the whole line if there is none) and the value what comes
//!   after it, less one leading space.
//! * `data` appends the value and an LF to the data buffer; `event` sets the type buffer; `id`
//!   sets the last event id unless the value holds NUL; `retry` sets the reconnection time when
//!   the value is one or more ASCII digits (saturating at `u64::MAX`); other fields are ignored.
//! * Dispatch sets the stream's last event id from its buffer (even for a block without data),
//!   then, if the data buffer is empty, resets the data and type buffers and dispatches nothing;
//!   otherwise it removes one trailing LF and dispatches an event of the buffered type
//!   (`message` when empty).
//! * At the end of the stream, an event not yet closed by an empty line is discarded.
//!
//! # Limits
//!
//! A hostile server could send a line that never ends. [`Limits`] bounds the longest line and
//! the largest event (its data and type together); past either, [`next_event`](Decoder::next_event)
//! returns a [`DecodeError`], the rest of that event is skipped up to its closing empty line,
//! and decoding goes on with the next one. The decoder never holds more than the limits plus the
//! chunk it was last given.

use crate::encode::find_break;
use crate::text::Text;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

/// How much a [`Decoder`] holds at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line, in bytes, without its line break (default 1 MiB).
    pub max_line: usize,
    /// The largest event, in bytes: its data (with the LFs between lines) and its type
    /// (default 4 MiB).
    pub max_event: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 1 << 20,
            max_event: 4 << 20,
        }
    }
}

/// Why a [`Decoder`] refused part of its input. The event it was in is skipped; decoding goes
/// on with the next one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line was longer than [`Limits::max_line`].
    #[error("a line is longer than the limit of {max} bytes")]
    LineTooLong {
        /// The limit.
        max: usize,
    },
    /// An event's data and type were larger than [`Limits::max_event`].
    #[error("an event is larger than the limit of {max} bytes")]
    EventTooLarge {
        /// The limit.
        max: usize,
    },
}

/// One event as a conformant client dispatches it: what a browser's `MessageEvent` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    event_type: Text,
    data: Text,
    last_event_id: Text,
}

impl MessageEvent {
    /// The type: the last `event` field of the block, or `message`.
    pub fn event_type(&self) -> &str {
        self.event_type.as_str()
    }

    /// The data: the `data` lines joined with LF.
    pub fn data(&self) -> &str {
        self.data.as_str()
    }

    /// The stream's last event id when the event was dispatched (ids persist across events).
    pub fn last_event_id(&self) -> &str {
        self.last_event_id.as_str()
    }

    /// The data, by value: when it was one line of one input chunk, it shares that chunk's
    /// memory.
    pub fn into_data(self) -> Text {
        self.data
    }
}

/// The data buffer: empty, one line still in the input chunk (shared, not copied), or copied.
#[derive(Debug)]
enum Data {
    None,
    /// One data line, without its LF.
    Line(Bytes),
    /// Lines, each followed by LF.
    Lines(Vec<u8>),
}

/// An incremental event stream parser: give it bytes cut anywhere with [`push`](Decoder::push),
/// take events with [`next_event`](Decoder::next_event), and call
/// [`finish`](Decoder::finish) at the end of the stream.
///
/// ```
/// use bytes::Bytes;
/// use sse_wire::decode::Decoder;
///
/// let mut decoder = Decoder::new();
/// decoder.push(Bytes::from_static(b"\xEF\xBB\xBFid: 7\r\nevent: up"));
/// assert!(decoder.next_event().is_none(), "the event is not closed yet");
/// decoder.push(Bytes::from_static(b"date\rdata: a\ndata:  b\n\n"));
/// let event = decoder.next_event().unwrap()?;
/// assert_eq!((event.event_type(), event.data(), event.last_event_id()), ("update", "a\n b", "7"));
/// assert_eq!(decoder.finish().last_event_id, "7");
/// # Ok::<(), sse_wire::decode::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    /// The chunk being read, and where in it.
    chunk: Bytes,
    at: usize,
    /// The start of a line cut by the end of a chunk.
    carried: BytesMut,
    /// The last byte was a CR: an LF that comes next belongs to that break.
    after_cr: bool,
    /// Bytes seen so far, up to 3, to find a BOM cut across chunks.
    start: StartState,
    /// Skipping the rest of an event that broke a limit, up to its closing empty line.
    skipping: bool,
    /// Skipping the rest of a line that broke the line limit.
    skipping_line: bool,
    data: Data,
    event_type: Option<Text>,
    pending_id: Option<Text>,
    last_event_id: Text,
    retry: Option<u64>,
}

/// Whether the stream's first bytes have been checked for a BOM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartState {
    /// Matched this many bytes of the BOM so far (0 to 2).
    Bom(u8),
    Done,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the stream left at its end: what a client keeps for its reconnection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    /// The last event id: what a client sends as `Last-Event-ID` when it reconnects.
    pub last_event_id: String,
    /// The reconnection time the stream set, in milliseconds, if it set one.
    pub retry: Option<u64>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::with_limits(Limits::default())
    }
}

impl Decoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Decoder {
        Decoder {
            limits,
            chunk: Bytes::new(),
            at: 0,
            carried: BytesMut::new(),
            after_cr: false,
            start: StartState::Bom(0),
            skipping: false,
            skipping_line: false,
            data: Data::None,
            event_type: None,
            pending_id: None,
            last_event_id: Text::default(),
            retry: None,
        }
    }

    /// Gives the decoder the next bytes of the stream. Whatever was left of the previous chunk
    /// is kept (a cut line is carried over); call [`next_event`](Self::next_event) until it
    /// returns `None` before pushing more, or the events in the previous chunk wait.
    pub fn push(&mut self, chunk: impl Into<Bytes>) {
        let chunk = chunk.into();
        if self.at < self.chunk.len() {
            // Events not taken yet: keep the unread rest by joining it to the new chunk.
            let mut joined = BytesMut::with_capacity(self.chunk.len() - self.at + chunk.len());
            joined.extend_from_slice(&self.chunk[self.at..]);
            joined.extend_from_slice(&chunk);
            self.chunk = joined.freeze();
        } else {
            self.chunk = chunk;
        }
        self.at = 0;
    }

    /// The reconnection time the stream set, in milliseconds, if any.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// The bytes of input the decoder holds beyond the last chunk it was given: the start of a
    /// cut line and the event being built. Never more than [`Limits::max_line`] plus
    /// [`Limits::max_event`].
    pub fn buffered(&self) -> usize {
        let data = match &self.data {
            Data::None => 0,
            Data::Line(line) => line.len(),
            Data::Lines(lines) => lines.len(),
        };
        self.carried.len() + data + self.event_type.as_ref().map_or(0, Text::len)
    }

    /// The stream's last event id so far.
    pub fn last_event_id(&self) -> &str {
        self.last_event_id.as_str()
    }

    /// The next event dispatched by the bytes pushed so far, or `None` when they hold no more
    /// complete event.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when a line or an event breaks the [`Limits`]; the event is skipped
    /// and the next call goes on after it.
    pub fn next_event(&mut self) -> Option<Result<MessageEvent, DecodeError>> {
        loop {
            let line = self.next_line()?;
            let line = match line {
                Ok(line) => line,
                Err(error) => return Some(Err(error)),
            };
            match self.process(line) {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => {}
                Err(error) => return Some(Err(error)),
            }
        }
    }

    /// Ends the stream: an event not closed by an empty line is discarded, as the standard
    /// says; returns the last event id and reconnection time. The decoder starts over, as for
    /// a new connection that keeps the last event id.
    pub fn finish(&mut self) -> End {
        let end = End {
            last_event_id: String::from(self.last_event_id.as_str()),
            retry: self.retry,
        };
        let last_event_id = core::mem::take(&mut self.last_event_id);
        *self = Decoder {
            last_event_id,
            ..Decoder::with_limits(self.limits)
        };
        end
    }

    /// The next complete line (without its break), from the chunk or joined to what was
    /// carried over; `None` when the chunk ends first (its rest is then carried).
    fn next_line(&mut self) -> Option<Result<Line, DecodeError>> {
        loop {
            if self.at == self.chunk.len() {
                return None;
            }
            if self.after_cr {
                self.after_cr = false;
                if self.chunk[self.at] == b'\n' {
                    self.at += 1;
                    continue;
                }
            }
            if self.start != StartState::Done && !self.skip_bom() {
                return None;
            }
            let rest = &self.chunk[self.at..];
            let Some(end) = find_break(rest) else {
                // No break in the rest of the chunk: carry it (within the limit).
                let rest_len = rest.len();
                self.at = self.chunk.len();
                if self.skipping_line {
                    return None;
                }
                if self.carried.len() + rest_len > self.limits.max_line {
                    return Some(Err(self.too_long(false)));
                }
                let start = self.chunk.len() - rest_len;
                self.carried.extend_from_slice(&self.chunk[start..]);
                return None;
            };
            let start = self.at;
            self.at += end + 1;
            self.after_cr = rest[end] == b'\r';
            if core::mem::take(&mut self.skipping_line) {
                continue; // the end of a line that broke the limit
            }
            let line = if self.carried.is_empty() {
                if end > self.limits.max_line {
                    return Some(Err(self.too_long(true)));
                }
                Line::Shared(self.chunk.slice(start..start + end))
            } else {
                if self.carried.len() + end > self.limits.max_line {
                    return Some(Err(self.too_long(true)));
                }
                self.carried.extend_from_slice(&rest[..end]);
                Line::Carried(self.carried.split().freeze())
            };
            return Some(Ok(line));
        }
    }

    /// Removes a BOM at the very start of the stream, across chunks; returns whether the start
    /// is settled (`false`: the chunk ended inside what may still be a BOM).
    fn skip_bom(&mut self) -> bool {
        while let StartState::Bom(matched) = self.start {
            let Some(&byte) = self.chunk.get(self.at) else {
                return false;
            };
            if byte != BOM[usize::from(matched)] {
                // Not a BOM: the bytes matched so far were data, and start the first line.
                self.carried.extend_from_slice(&BOM[..usize::from(matched)]);
                self.start = StartState::Done;
                break;
            }
            self.at += 1;
            self.start = match matched {
                2 => StartState::Done,
                m => StartState::Bom(m + 1),
            };
        }
        true
    }

    /// A line broke the limit: drop what was carried, and skip the rest of the line (unless it
    /// has `ended`) and of its event.
    fn too_long(&mut self, ended: bool) -> DecodeError {
        self.carried.clear();
        self.skipping_line = !ended;
        self.skipping = true;
        self.reset_event();
        DecodeError::LineTooLong {
            max: self.limits.max_line,
        }
    }

    fn reset_event(&mut self) {
        self.data = Data::None;
        self.event_type = None;
    }

    /// Applies one line to the buffers; `Some` when it dispatched an event.
    fn process(&mut self, line: Line) -> Result<Option<MessageEvent>, DecodeError> {
        let bytes = line.bytes();
        if bytes.is_empty() {
            return Ok(self.dispatch());
        }
        if self.skipping || bytes[0] == b':' {
            return Ok(None);
        }
        let (name, value) = match memchr::memchr(b':', bytes) {
            Some(colon) => {
                let value = &bytes[colon + 1..];
                let skip = usize::from(value.first() == Some(&b' '));
                (&bytes[..colon], colon + 1 + skip)
            }
            None => (bytes, bytes.len()),
        };
        match name {
            b"data" => self.append_data(line, value),
            b"event" => {
                let ty = decode_text(line.slice(value));
                self.event_type = Some(ty);
                self.check_size()
            }
            b"id" => {
                if memchr::memchr(0, &bytes[value..]).is_none() {
                    self.pending_id = Some(decode_text(line.slice(value)));
                }
                Ok(None)
            }
            b"retry" => {
                let digits = &bytes[value..];
                if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
                    let ms = digits.iter().fold(0u64, |n, &d| {
                        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                    });
                    self.retry = Some(ms);
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn append_data(
        &mut self,
        line: Line,
        value: usize,
    ) -> Result<Option<MessageEvent>, DecodeError> {
        let value = line.slice(value);
        self.data = match core::mem::replace(&mut self.data, Data::None) {
            Data::None => Data::Line(value),
            Data::Line(first) => {
                let mut lines = Vec::with_capacity(first.len() + value.len() + 2);
                lines.extend_from_slice(&first);
                lines.push(b'\n');
                lines.extend_from_slice(&value);
                lines.push(b'\n');
                Data::Lines(lines)
            }
            Data::Lines(mut lines) => {
                lines.extend_from_slice(&value);
                lines.push(b'\n');
                Data::Lines(lines)
            }
        };
        self.check_size()
    }

    /// Refuses an event that grew past the limit, and skips the rest of it.
    fn check_size(&mut self) -> Result<Option<MessageEvent>, DecodeError> {
        let data = match &self.data {
            Data::None => 0,
            Data::Line(line) => line.len(),
            Data::Lines(lines) => lines.len(),
        };
        let ty = self.event_type.as_ref().map_or(0, Text::len);
        if data + ty > self.limits.max_event {
            self.reset_event();
            self.skipping = true;
            return Err(DecodeError::EventTooLarge {
                max: self.limits.max_event,
            });
        }
        Ok(None)
    }

    /// An empty line: the dispatch steps of the standard.
    fn dispatch(&mut self) -> Option<MessageEvent> {
        if let Some(id) = self.pending_id.take() {
            self.last_event_id = id;
        }
        let skipped = core::mem::take(&mut self.skipping);
        let data = core::mem::replace(&mut self.data, Data::None);
        let event_type = self.event_type.take();
        let data = match data {
            _ if skipped => return None,
            Data::None => return None,
            Data::Line(line) => decode_text(line),
            Data::Lines(mut lines) => {
                lines.pop(); // the LF after the last line
                match String::from_utf8(lines) {
                    Ok(text) => Text::from(text),
                    Err(e) => Text::from(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                }
            }
        };
        let event_type = match event_type {
            Some(ty) if !ty.is_empty() => ty,
            _ => Text::from_static("message"),
        };
        Some(MessageEvent {
            event_type,
            data,
            last_event_id: self.last_event_id.clone(),
        })
    }
}

/// A line, shared with the chunk it came in or rebuilt from pieces carried over.
enum Line {
    Shared(Bytes),
    Carried(Bytes),
}

impl Line {
    fn bytes(&self) -> &[u8] {
        match self {
            Line::Shared(b) | Line::Carried(b) => b,
        }
    }

    fn slice(&self, from: usize) -> Bytes {
        match self {
            Line::Shared(b) | Line::Carried(b) => b.slice(from..),
        }
    }
}

/// UTF-8 with replacement, sharing the bytes when they are valid.
fn decode_text(bytes: Bytes) -> Text {
    match core::str::from_utf8(&bytes) {
        Ok(_) => Text::from_utf8_bytes(bytes),
        Err(_) => Text::from(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

pin_project_lite::pin_project! {
    /// Decodes a `Stream` of byte chunks (`Result<Bytes, E>`, what every HTTP client's body
    /// stream yields) into the events a conformant client dispatches.
    ///
    /// At the end of the inner stream an unfinished event is discarded, as the standard says;
    /// [`last_event_id`](DecodeStream::last_event_id) and [`retry`](DecodeStream::retry) then
    /// hold what a client would reconnect with.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use futures_util::{stream, StreamExt};
    /// use sse_wire::decode::DecodeStream;
    ///
    /// let chunks = stream::iter(["data: a\r", "\ndata", ": b\n\n", "data: cut"])
    ///     .map(|s| Ok::<_, std::io::Error>(Bytes::from(s)));
    /// let events: Vec<_> = futures_executor::block_on(DecodeStream::new(chunks).collect());
    /// assert_eq!(events.len(), 1);
    /// assert_eq!(events[0].as_ref().unwrap().data(), "a\nb");
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct DecodeStream<S> {
        #[pin]
        inner: S,
        decoder: Decoder,
        end: Option<End>,
    }
}

/// What a [`DecodeStream`] yields besides events: the inner stream's error, or the decoder's.
#[derive(Debug, thiserror::Error)]
pub enum DecodeStreamError<E> {
    /// The inner stream failed.
    #[error("the byte stream failed: {0}")]
    Source(E),
    /// The bytes broke a [`Limits`]; decoding goes on with the next event.
    #[error(transparent)]
    Decode(DecodeError),
}

impl<S> DecodeStream<S> {
    /// Decodes `inner` with the default [`Limits`].
    pub fn new(inner: S) -> Self {
        DecodeStream::with_limits(inner, Limits::default())
    }

    /// Decodes `inner` with the given limits.
    pub fn with_limits(inner: S, limits: Limits) -> Self {
        DecodeStream {
            inner,
            decoder: Decoder::with_limits(limits),
            end: None,
        }
    }

    /// The last event id so far: what a client would send as `Last-Event-ID`.
    pub fn last_event_id(&self) -> &str {
        match &self.end {
            Some(end) => &end.last_event_id,
            None => self.decoder.last_event_id(),
        }
    }

    /// The reconnection time the stream set, in milliseconds, if any.
    pub fn retry(&self) -> Option<u64> {
        match &self.end {
            Some(end) => end.retry,
            None => self.decoder.retry(),
        }
    }
}

impl<S, E> futures_core::Stream for DecodeStream<S>
where
    S: futures_core::Stream<Item = Result<Bytes, E>>,
{
    type Item = Result<MessageEvent, DecodeStreamError<E>>;

    fn poll_next(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Option<Self::Item>> {
        use core::task::Poll;
        let mut this = self.project();
        loop {
            if this.end.is_some() {
                return Poll::Ready(None);
            }
            if let Some(event) = this.decoder.next_event() {
                return Poll::Ready(Some(event.map_err(DecodeStreamError::Decode)));
            }
            match this.inner.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.decoder.push(chunk),
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Some(Err(DecodeStreamError::Source(e))))
                }
                Poll::Ready(None) => *this.end = Some(this.decoder.finish()),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
