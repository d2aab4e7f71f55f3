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

use crate::scan::find_break;
use crate::text::Text;
use alloc::string::String;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

/// How much a [`Decoder`] holds at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line, in bytes, without its line break (default 4 MiB).
    pub max_line: usize,
    /// The largest event, in bytes of input: its data (with the LFs between lines) and its type
    /// (default 16 MiB). Decoded text can be up to three times as long, when every byte is
    /// invalid UTF-8 and becomes a U+FFFD.
    pub max_event: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 4 << 20,
            max_event: 16 << 20,
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
    ///
    /// Data shared with the input (see [`into_data`](MessageEvent::into_data)) is checked as
    /// UTF-8 again on each call, in O(n), as [`Text::as_str`] does; [`data_bytes`](Self::data_bytes)
    /// is free.
    pub fn data(&self) -> &str {
        self.data.as_str()
    }

    /// The data as bytes (always valid UTF-8), with no check: for a parser that reads bytes,
    /// such as `serde_json::from_slice`, or to send the data on.
    pub fn data_bytes(&self) -> &[u8] {
        self.data.as_bytes()
    }

    /// The stream's last event id when the event was dispatched (ids persist across events).
    pub fn last_event_id(&self) -> &str {
        self.last_event_id.as_str()
    }

    /// The data, by value: when it was one line of one input chunk and longer than 22 bytes, it
    /// shares that chunk's memory (shorter text is copied, which costs less).
    pub fn into_data(self) -> Text {
        self.data
    }
}

/// The data buffer: empty, one line still in the input chunk (not copied), or copied.
#[derive(Debug)]
enum Data {
    None,
    /// One data line, without its LF: this range of the current chunk.
    InChunk(usize, usize),
    /// One data line, without its LF, from an earlier chunk or a carried line.
    Shared(Bytes),
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
    input: Input,
    fields: Fields,
}

/// Where the bytes stand: the chunk being read, and a line cut by the end of an earlier one.
#[derive(Debug)]
struct Input {
    chunk: Bytes,
    /// Where the unread rest of `chunk` starts.
    at: usize,
    /// The start of a line cut by the end of a chunk.
    carried: BytesMut,
    /// The last byte was a CR: an LF that comes next belongs to that break.
    after_cr: bool,
    /// Bytes of a BOM matched at the start of the stream, until the start is settled.
    start: StartState,
    /// Skipping the rest of a line that broke the line limit.
    skipping_line: bool,
    max_line: usize,
}

/// The buffers of the standard, and the stream's state.
#[derive(Debug)]
struct Fields {
    data: Data,
    event_type: Option<Text>,
    /// The last event id buffer when a block set it; committed at dispatch.
    pending_id: Option<Text>,
    last_event_id: Text,
    retry: Option<u64>,
    /// Skipping the rest of an event that broke a limit, up to its closing empty line.
    skipping: bool,
    max_event: usize,
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

/// A line found by [`Input::next_line`]: a range of the chunk, or the carried buffer.
enum Line {
    InChunk(usize, usize),
    Carried,
}

impl Decoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Decoder {
        Decoder {
            input: Input {
                chunk: Bytes::new(),
                at: 0,
                carried: BytesMut::new(),
                after_cr: false,
                start: StartState::Bom(0),
                skipping_line: false,
                max_line: limits.max_line,
            },
            fields: Fields {
                data: Data::None,
                event_type: None,
                pending_id: None,
                last_event_id: Text::default(),
                retry: None,
                skipping: false,
                max_event: limits.max_event,
            },
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_line: self.input.max_line,
            max_event: self.fields.max_event,
        }
    }

    /// Gives the decoder the next bytes of the stream. Whatever was left of the previous chunk
    /// is kept (a cut line is carried over); call [`next_event`](Self::next_event) until it
    /// returns `None` before pushing more, or the events in the previous chunk wait.
    pub fn push(&mut self, chunk: impl Into<Bytes>) {
        let chunk = chunk.into();
        let input = &mut self.input;
        // A data line still in the old chunk is copied before the chunk goes: a slice would keep
        // the whole chunk alive, unseen by `buffered`, however small the line.
        if let Data::InChunk(start, end) = self.fields.data {
            self.fields.data = Data::Shared(Bytes::copy_from_slice(&input.chunk[start..end]));
        }
        if input.at < input.chunk.len() {
            // Events not taken yet: keep the unread rest by joining it to the new chunk.
            let mut joined = BytesMut::with_capacity(input.chunk.len() - input.at + chunk.len());
            joined.extend_from_slice(&input.chunk[input.at..]);
            joined.extend_from_slice(&chunk);
            input.chunk = joined.freeze();
        } else {
            input.chunk = chunk;
        }
        input.at = 0;
    }

    /// The reconnection time the stream set, in milliseconds, if any.
    pub fn retry(&self) -> Option<u64> {
        self.fields.retry
    }

    /// The bytes of input the decoder holds beyond the last chunk it was given: the start of a
    /// cut line and the event being built. Never more than [`Limits::max_line`] plus
    /// [`Limits::max_event`].
    pub fn buffered(&self) -> usize {
        let data = match &self.fields.data {
            Data::None | Data::InChunk(..) => 0,
            Data::Shared(line) => line.len(),
            Data::Lines(lines) => lines.len(),
        };
        let ty = self.fields.event_type.as_ref().map_or(0, Text::len);
        self.input.carried.len() + data + ty
    }

    /// The stream's last event id so far.
    pub fn last_event_id(&self) -> &str {
        self.fields.last_event_id.as_str()
    }

    /// The next event dispatched by the bytes pushed so far, or `None` when they hold no more
    /// complete event.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when a line or an event breaks the [`Limits`]; the event is skipped
    /// and the next call goes on after it.
    #[inline]
    pub fn next_event(&mut self) -> Option<Result<MessageEvent, DecodeError>> {
        let Decoder { input, fields } = self;
        loop {
            let line = match input.next_line()? {
                Ok(line) => line,
                Err(error) => {
                    fields.skip_event();
                    return Some(Err(error));
                }
            };
            let outcome = match line {
                Line::InChunk(start, end) => fields.apply(&input.chunk, start, end, true),
                Line::Carried => {
                    let line = input.carried.split().freeze();
                    fields.apply(&line, 0, line.len(), false)
                }
            };
            match outcome {
                Ok(Some(dispatch)) => {
                    if let Some(event) = fields.dispatch(dispatch, &input.chunk) {
                        return Some(Ok(event));
                    }
                }
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
            last_event_id: String::from(self.fields.last_event_id.as_str()),
            retry: self.fields.retry,
        };
        let last_event_id = core::mem::take(&mut self.fields.last_event_id);
        *self = Decoder::with_limits(self.limits());
        self.fields.last_event_id = last_event_id;
        end
    }
}

impl Input {
    /// The next complete line (without its break): a range of the chunk, or, for a line cut
    /// across chunks, the carried buffer; `None` when the chunk ends first (its rest is then
    /// carried).
    #[inline]
    fn next_line(&mut self) -> Option<Result<Line, DecodeError>> {
        loop {
            let rest = self.chunk.get(self.at..).filter(|r| !r.is_empty())?;
            if self.after_cr {
                self.after_cr = false;
                if rest[0] == b'\n' {
                    self.at += 1;
                    continue;
                }
            }
            if self.start != StartState::Done {
                if !self.skip_bom() {
                    return None;
                }
                continue;
            }
            let start = self.at;
            let Some(len) = find_break(rest) else {
                // No break in the rest of the chunk: carry it (within the limit).
                self.at = self.chunk.len();
                if self.skipping_line {
                    return None;
                }
                if self.carried.len() + rest.len() > self.max_line {
                    return Some(Err(self.too_long(false)));
                }
                self.carried.extend_from_slice(&self.chunk[start..]);
                return None;
            };
            self.at = start + len + 1;
            self.after_cr = rest[len] == b'\r';
            if core::mem::take(&mut self.skipping_line) {
                continue; // the end of a line that broke the limit
            }
            if self.carried.len() + len > self.max_line {
                return Some(Err(self.too_long(true)));
            }
            if self.carried.is_empty() {
                return Some(Ok(Line::InChunk(start, start + len)));
            }
            self.carried
                .extend_from_slice(&self.chunk[start..start + len]);
            return Some(Ok(Line::Carried));
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
                // Not a BOM: the bytes matched so far were text, and start the first line.
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

    /// A line broke the limit: drop what was carried, and skip the rest of the line unless it
    /// has `ended`.
    #[cold]
    fn too_long(&mut self, ended: bool) -> DecodeError {
        self.carried.clear();
        self.skipping_line = !ended;
        DecodeError::LineTooLong { max: self.max_line }
    }
}

/// What an empty line found: dispatch.
struct Dispatch;

impl Fields {
    /// Applies the line `src[start..end]` to the buffers (`in_chunk`: `src` is the current
    /// chunk, whose data line can then be kept as a range); `Some` for an empty line.
    #[inline]
    fn apply(
        &mut self,
        src: &Bytes,
        start: usize,
        end: usize,
        in_chunk: bool,
    ) -> Result<Option<Dispatch>, DecodeError> {
        let line = &src[start..end];
        let Some(&first) = line.first() else {
            return Ok(Some(Dispatch));
        };
        if self.skipping || first == b':' {
            return Ok(None);
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let skip = usize::from(line.get(colon + 1) == Some(&b' '));
                (&line[..colon], start + colon + 1 + skip)
            }
            None => (line, end),
        };
        match name {
            b"data" => {
                // Checked before the line is stored, so a refused event never takes more
                // than the limit.
                self.check_size(self.data_len_with(end - value))?;
                self.append_data(src, value, end, in_chunk);
                Ok(None)
            }
            b"event" => {
                self.event_type = Some(decode_str(&src[value..end]));
                self.check_size(self.data_len())
            }
            b"id" => {
                let id = &src[value..end];
                if memchr::memchr(0, id).is_none() {
                    self.pending_id = Some(decode_str(id));
                }
                Ok(None)
            }
            b"retry" => {
                let digits = &src[value..end];
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

    /// Appends `src[start..end]` and an LF to the data buffer; the first line of an event stays
    /// where it is. The caller has checked that the result fits in `max_event`.
    #[inline]
    fn append_data(&mut self, src: &Bytes, start: usize, end: usize, in_chunk: bool) {
        let value = &src[start..end];
        let max = self.max_event;
        match &mut self.data {
            Data::None => {
                self.data = match in_chunk {
                    true => Data::InChunk(start, end),
                    false => Data::Shared(src.slice(start..end)),
                };
            }
            Data::Lines(lines) => push_line(lines, value, max),
            Data::InChunk(a, b) => self.data = Data::Lines(join(&src[*a..*b], value, max)),
            Data::Shared(first) => self.data = Data::Lines(join(first, value, max)),
        }
        debug_assert!(self.data_len() <= max, "data checked against the limit");

        /// Makes room for `more` bytes: double, but not past `max` unless the content needs it.
        #[cold]
        fn grow(lines: &mut Vec<u8>, more: usize, max: usize) {
            let need = lines.len() + more;
            let target = need.max(lines.capacity().saturating_mul(2).min(max));
            lines.reserve_exact(target - lines.len());
        }

        /// The first two lines, each followed by LF, with room for a few more short ones (most
        /// multi-line events are a handful of short lines) but never more than 4 KiB of room:
        /// long lines take their size.
        fn join(first: &[u8], second: &[u8], max: usize) -> Vec<u8> {
            let len = first.len() + second.len() + 2;
            let room = (3 * len).min(4096);
            let mut lines = Vec::with_capacity((len + room).min(max.max(len)));
            push_line(&mut lines, first, max);
            push_line(&mut lines, second, max);
            lines
        }

        /// Appends `line` and an LF, growing the buffer by doubling as `Vec` does, but never
        /// past `max` bytes of capacity (unless the content needs it): the event's buffer stays
        /// within the limit it is checked against.
        #[inline]
        fn push_line(lines: &mut Vec<u8>, line: &[u8], max: usize) {
            if lines.capacity() - lines.len() <= line.len() {
                grow(lines, line.len() + 1, max);
            }
            lines.extend_from_slice(line);
            lines.push(b'\n');
        }
    }

    /// What [`data_len`](Self::data_len) would be once a data line of `len` bytes is added.
    #[inline(always)]
    fn data_len_with(&self, len: usize) -> usize {
        match &self.data {
            Data::None => len,
            // The first line then gets its LF, and the new one too.
            Data::InChunk(..) | Data::Shared(_) => self.data_len() + 1 + len + 1,
            Data::Lines(lines) => lines.len() + len + 1,
        }
    }

    #[inline(always)]
    fn data_len(&self) -> usize {
        match &self.data {
            Data::None => 0,
            Data::InChunk(start, end) => end - start,
            Data::Shared(line) => line.len(),
            Data::Lines(lines) => lines.len(),
        }
    }

    /// Refuses an event whose data (`data_len` bytes) and type break the limit, and skips the
    /// rest of it.
    #[inline]
    fn check_size(&mut self, data_len: usize) -> Result<Option<Dispatch>, DecodeError> {
        let ty = self.event_type.as_ref().map_or(0, Text::len);
        if data_len + ty > self.max_event {
            self.skip_event();
            return Err(DecodeError::EventTooLarge {
                max: self.max_event,
            });
        }
        Ok(None)
    }

    /// Drops what the current event holds, and skips the rest of it.
    #[cold]
    fn skip_event(&mut self) {
        self.data = Data::None;
        self.event_type = None;
        self.skipping = true;
    }

    /// An empty line: the dispatch steps of the standard. `chunk` holds data kept as a range.
    #[inline]
    fn dispatch(&mut self, _: Dispatch, chunk: &Bytes) -> Option<MessageEvent> {
        if let Some(id) = self.pending_id.take() {
            self.last_event_id = id;
        }
        let skipped = core::mem::take(&mut self.skipping);
        let event_type = self.event_type.take();
        let data = match core::mem::replace(&mut self.data, Data::None) {
            _ if skipped => return None,
            Data::None => return None,
            Data::InChunk(start, end) => decode_shared(chunk, start, end),
            Data::Shared(line) => decode_shared(&line, 0, line.len()),
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

/// `src[start..end]` as text, UTF-8 with replacement: sharing `src` when the text is valid and
/// longer than what a `Text` holds inline (copying a short text costs less than sharing it).
#[inline]
fn decode_shared(src: &Bytes, start: usize, end: usize) -> Text {
    let bytes = &src[start..end];
    if bytes.len() <= Text::INLINE_CAP {
        return decode_str(bytes);
    }
    // ASCII, the common case, is checked a word at a time.
    if bytes.is_ascii() || core::str::from_utf8(bytes).is_ok() {
        return Text::from_utf8_bytes(src.slice(start..end));
    }
    Text::from(String::from_utf8_lossy(bytes).into_owned())
}

/// UTF-8 with replacement, copied (short values such as types and ids are then stored inline).
/// Valid input, the common case, is checked by `from_utf8`, which is quicker on short values
/// than the lossy decoder's chunking.
#[inline]
fn decode_str(bytes: &[u8]) -> Text {
    match core::str::from_utf8(bytes) {
        Ok(valid) => Text::from(valid),
        Err(_) => Text::from(String::from_utf8_lossy(bytes).into_owned()),
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
