//! The framing rules: how an [`Event`] becomes bytes.
//!
//! # The rules (WHATWG HTML §9.2.5–9.2.6)
//!
//! A client reads the stream line by line, where a line ends at CRLF, at a lone LF or at a lone
//! CR. A line `name: value` sets a field; one space after the colon is removed; a line starting
//! with `:` is a comment; an empty line dispatches the event. From that follows all this module
//! does:
//!
//! * Every value is split into lines at CRLF, CR and LF (CRLF first, so it is one break, while LF
//!   followed by CR is two). Each piece is written as its own `name: piece` line, so no caller
//!   text can ever produce an empty line (an early dispatch) or a line the client would read as
//!   another field (an injection). For `data` the client joins the pieces again with LF, which
//!   is why CR and CRLF in data arrive as LF: the one change the wire format forces.
//! * The separator is always exactly one space, so a value that itself starts with a space keeps
//!   it. An empty piece is written as `name:` with nothing after the colon.
//! * `event` and `id` values were checked when they were set to hold no CR or LF, so they are
//!   always a single line; comments are split like data, with an empty field name (`: text`).
//! * Every event ends with one empty line, and contains no other.
//! * Field order: comments, `event`, `id`, `retry`, `data`. Clients apply `id` and `retry` when
//!   they read the line, and dispatch only on the empty line, so the order changes nothing a
//!   client sees; a fixed order keeps the output reproducible.
//!
//! # Why it is fast
//!
//! * **Exact capacity.** [`Event::encoded_len`] is exact, so [`Event::to_bytes`] allocates once
//!   and never grows, and [`Event::encode_into`] never reallocates a buffer the caller reserved.
//! * **One-line data is searched once.** Setting the data looks for a line break and stops at
//!   the first one. Data without a break, the common case, then has an O(1) `encoded_len`, is
//!   written with one copy and no further scan, and is sent without any copy by
//!   [`EventStream`](crate::EventStream) when it is large. Large multi-line data is sent line by
//!   line into bounded chunks, so its length is never needed in advance.
//! * **The common fields are measured once, when they are set.** `event` and `id` keep the
//!   length of their lines as they store them, as `data` keeps its line's, so the adapter
//!   learns an event's length from two numbers instead of looking at each field again through
//!   the forms its text may take. (Comments and `retry`, which most events lack, are measured
//!   when the event is.)
//! * **Multi-line data is scanned once by the adapter too.** Its length has an upper bound that
//!   needs no scan (every byte a break: 7 bytes per byte); when that bound does not fit what is
//!   left of a chunk, the event is written into the room left and taken back if it does not fit,
//!   instead of being measured first and written second.
//! * **One scan per line, vectorized.** Line breaks are found with `memchr`'s SIMD search in
//!   long text (through a searcher built once, not chosen again on every call) and 8 bytes at a
//!   time in short text; text between breaks is copied with one `put_slice`, and the LF that
//!   ends a line goes out with the start of the next, so a line costs two writes.
//! * **Raw bytes are read once.** [`Event::data_utf8`] checks ASCII text for UTF-8 and for line
//!   breaks in one vectorized pass (other text gets the full UTF-8 check and an exact search),
//!   16 KiB at a time, so nothing reads a large payload from memory a second time.
//! * **Coalescing and zero copy** happen one level up, in [`EventStream`](crate::EventStream),
//!   which encodes each event where the inner stream put it: moving a 128-byte `Event` through
//!   the layers of `Poll`, `Option` and `Result` copied it several times, each copy reading in
//!   16-byte pieces what had just been written in pieces of another size and place, which the
//!   processor cannot forward from its store buffer: it waits for the stores to reach the cache.

use super::wire::{
    field_len, field_line_len, line_len, put_comment_lines, put_data_lines, put_field, put_line,
    put_start, COMMENT, DATA, DATA_JOIN, EVENT, ID, RETRY,
};
use super::Event;
use crate::text::{decimal, Text};
use bytes::{BufMut, Bytes, BytesMut};

impl Event {
    /// The exact number of bytes [`encode_into`](Event::encode_into) writes for this event.
    ///
    /// O(1) in the data's length when the data is one line (known since it was set); multi-line
    /// data is split again to count its lines. The other fields are short.
    ///
    /// ```
    /// use sse_wire::Event;
    /// let ev = Event::new().data("a\nb");
    /// assert_eq!(ev.encoded_len(), "data: a\ndata: b\n\n".len());
    /// ```
    #[inline]
    pub fn encoded_len(&self) -> usize {
        self.head_len() + self.data_wire_len() + 1 // the closing empty line
    }

    /// At least [`encoded_len`](Event::encoded_len), without scanning the data: exact unless
    /// the data has several lines, which are counted as if every byte of it were a break.
    ///
    /// Data of `n` bytes with `k` breaks is `k + 1` lines holding at most `n - k` bytes of text,
    /// and each line adds at most 7 (`data: ` and LF): at most `n + 6k + 7 <= 7n + 7` bytes.
    #[inline]
    pub(crate) fn encoded_len_bound(&self) -> usize {
        let data = match &self.data {
            Some(data) if !self.data_is_one_line() => data.len().saturating_mul(7) + 7,
            _ => self.data_wire_len(),
        };
        (self.head_len() + 1).saturating_add(data)
    }

    /// Bytes the lines before the data take: comments, `event`, `id`, `retry`. The `event` and
    /// `id` lines were measured when they were set (`type_id_len`); the rest are rare.
    #[inline(always)]
    fn head_len(&self) -> usize {
        debug_assert_eq!(
            self.type_id_len,
            self.measure_type_id(),
            "type_id_len is stale"
        );
        match &self.rare {
            None => self.type_id_len,
            Some(_) => self.type_id_len + self.rare_len(),
        }
    }

    /// Bytes the `event` and `id` lines take, measured (what `type_id_len` must hold).
    fn measure_type_id(&self) -> usize {
        field_line_len(EVENT, self.event.as_ref()) + field_line_len(ID, self.id.as_ref())
    }

    /// Bytes the comment and `retry` lines take; out of line, as most events have neither.
    #[inline(never)]
    fn rare_len(&self) -> usize {
        let mut len = 0;
        for comment in self.comments() {
            len += field_len(COMMENT, comment.as_bytes());
        }
        if let Some(delay) = self.get_retry() {
            let (digits, start) = decimal(delay.as_millis());
            len += line_len(RETRY, &digits[start..]);
        }
        len
    }

    /// Appends the framed event to `buf`: exactly [`encoded_len`](Event::encoded_len) bytes,
    /// ending with the empty line that makes clients dispatch it.
    ///
    /// `buf` is any [`BufMut`]: a `BytesMut`, a `Vec<u8>`, or a caller's own write buffer. If
    /// the caller reserved `encoded_len()` bytes, nothing is reallocated. Whatever `buf` already
    /// holds is kept; events can be appended one after another.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sse_wire::Event;
    ///
    /// let events = [Event::new().data("one"), Event::new().data("two")];
    /// let mut buf = BytesMut::with_capacity(events.iter().map(Event::encoded_len).sum());
    /// for ev in &events {
    ///     ev.encode_into(&mut buf);
    /// }
    /// assert_eq!(&buf[..], b"data: one\n\ndata: two\n\n");
    /// ```
    #[inline]
    pub fn encode_into<B: BufMut + ?Sized>(&self, buf: &mut B) {
        self.put_head(buf);
        match &self.data {
            // Known to be one line since it was set: no need to scan it again. Its LF and the
            // closing empty line are written as one piece.
            Some(data) if self.data_is_one_line() => {
                put_start(buf, DATA, data.as_bytes());
                buf.put_slice(b"\n\n");
            }
            Some(data) => {
                put_data_lines(buf, data.as_bytes());
                buf.put_u8(b'\n');
            }
            None => buf.put_u8(b'\n'),
        }
    }

    /// The framed event as one [`Bytes`], in a single allocation of exactly
    /// [`encoded_len`](Event::encoded_len) bytes.
    ///
    /// Encode once, send everywhere: a `Bytes` is a reference-counted view, so cloning it for
    /// each subscriber of a broadcast copies nothing. See [`Encoded`](crate::Encoded) for sending
    /// such bytes through an [`EventStream`](crate::EventStream).
    ///
    /// ```
    /// use sse_wire::Event;
    /// let frame = Event::new().event("tick")?.id(7u64).data("hello").to_bytes();
    /// assert_eq!(&frame[..], b"event: tick\nid: 7\ndata: hello\n\n");
    ///
    /// // Fan-out: every subscriber gets the same bytes, shared, not copied.
    /// let per_client: Vec<bytes::Bytes> = (0..3).map(|_| frame.clone()).collect();
    /// assert!(per_client.iter().all(|b| b.as_ptr() == frame.as_ptr()));
    /// # Ok::<(), sse_wire::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Bytes {
        let len = self.encoded_len();
        let mut buf = BytesMut::with_capacity(len);
        self.encode_into(&mut buf);
        debug_assert_eq!(
            buf.len(),
            len,
            "encode_into wrote other than encoded_len bytes"
        );
        debug_assert!(
            is_one_event(&buf),
            "an event held an empty line before its end"
        );
        buf.freeze()
    }

    /// Appends the framed event if it takes at most `budget` bytes, and returns whether it did;
    /// otherwise `buf` is left as it was. Multi-line data is scanned once either way, where
    /// measuring it first ([`encoded_len`](Event::encoded_len)) and then writing it would scan
    /// it twice.
    pub(crate) fn encode_within(&self, buf: &mut BytesMut, budget: usize) -> bool {
        let head = self.head_len() + 1; // and the closing empty line
        let start = buf.len();
        let fits = head <= budget && {
            self.put_head(buf);
            match &self.data {
                Some(data) => put_field(buf, DATA_JOIN, data.as_bytes(), budget - head).is_ok(),
                None => true,
            }
        };
        match fits {
            true => buf.put_u8(b'\n'),
            false => buf.truncate(start),
        }
        fits
    }

    /// Every line before the data: comments, `event`, `id`, `retry`.
    #[inline(always)]
    pub(crate) fn put_head<B: BufMut + ?Sized>(&self, buf: &mut B) {
        for comment in self.comments() {
            put_comment_lines(buf, comment.as_bytes());
        }
        // `event` and `id` were checked to hold no CR or LF when they were set: one line each.
        if let Some(ty) = &self.event {
            put_line(buf, EVENT, ty.as_bytes());
        }
        if let Some(id) = &self.id {
            put_line(buf, ID, id.as_bytes());
        }
        if let Some(delay) = self.get_retry() {
            let (digits, start) = decimal(delay.as_millis());
            put_line(buf, RETRY, &digits[start..]);
        }
    }

    /// Bytes the `data` lines take on the wire.
    #[inline]
    fn data_wire_len(&self) -> usize {
        match &self.data {
            Some(_) if self.data_is_one_line() => self.one_line_len,
            Some(data) => field_len(DATA, data.as_bytes()),
            None => 0,
        }
    }

    /// For one-line data ([`data_is_one_line`](Self::data_is_one_line)): writes everything up
    /// to and including `data: ` into `buf` and returns the data itself, without copying it.
    /// The caller sends `buf`, then the returned bytes, then `"\n\n"`; together they are
    /// exactly the bytes of [`encode_into`](Self::encode_into).
    pub(crate) fn encode_zero_copy(&mut self, buf: &mut BytesMut) -> Bytes {
        self.put_head(buf);
        buf.put_slice(DATA);
        self.data.take().map(Text::into_bytes).unwrap_or_default()
    }
}

/// Invariant 2 of the crate: the bytes end with the empty line that closes the event and hold
/// no other (no LF right after an LF, and no CR at all, since values are split on it).
fn is_one_event(bytes: &[u8]) -> bool {
    let body = match bytes {
        [body @ .., b'\n'] => body,
        _ => return false,
    };
    body.is_empty()
        || body.ends_with(b"\n") && !body.windows(2).any(|w| w == b"\n\n") && !body.contains(&b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::find_break;

    #[test]
    fn length_bound_is_never_below_the_length() {
        // Every text of up to 6 bytes over `a`, CR and LF, with and without a head.
        let mut texts = alloc::vec![alloc::string::String::new()];
        let mut level = texts.clone();
        for _ in 0..6 {
            level = level
                .iter()
                .flat_map(|t| ["a", "\r", "\n"].map(|c| alloc::format!("{t}{c}")))
                .collect();
            texts.extend(level.iter().cloned());
        }
        assert_eq!(texts.len(), (0..=6).map(|n| 3usize.pow(n)).sum::<usize>());
        for text in &texts {
            for ev in [
                Event::new().data(text.as_str()),
                Event::new()
                    .id("7")
                    .unwrap()
                    .comment(text.as_str())
                    .data(text.as_str()),
            ] {
                let (exact, bound) = (ev.encoded_len(), ev.encoded_len_bound());
                assert_eq!(exact, ev.to_bytes().len());
                assert!(bound >= exact, "{text:?}: bound {bound} < {exact}");
                if find_break(text.as_bytes()).is_none() {
                    assert_eq!(bound, exact, "one line: {text:?}");
                }
            }
        }
    }

    #[test]
    fn length_stays_exact_when_type_and_id_are_replaced() {
        // `event` and `id` keep their lines' length as they set them (`type_id_len`); setting
        // either again, to a longer, shorter or empty value, must leave the length exact.
        let values = [
            "",
            "a",
            "update",
            "a value longer than the inline limit of 22 bytes",
        ];
        for first in values {
            for second in values {
                let ev = Event::new()
                    .event(first)
                    .and_then(|ev| ev.id(first))
                    .and_then(|ev| ev.event(second))
                    .and_then(|ev| ev.id(second))
                    .unwrap()
                    .data("x");
                let bytes = ev.to_bytes();
                assert_eq!(ev.encoded_len(), bytes.len(), "{first:?}, then {second:?}");
                assert_eq!(
                    ev.encoded_len_bound(),
                    bytes.len(),
                    "{first:?}, then {second:?}"
                );
            }
        }
    }
}
