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

use crate::event::Event;
use crate::text::{decimal, Str, Text};
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
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode_into(&mut buf);
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

// What starts a line of each field: the name, the colon and the one space that clients remove.
// Before an empty value the space is left out (`data:`), which clients read the same way.
pub(crate) const DATA: &[u8] = DATA_JOIN.split_at(1).1;
pub(crate) const EVENT: &[u8] = b"event: ";
pub(crate) const ID: &[u8] = b"id: ";
const RETRY: &[u8] = b"retry: ";
const COMMENT: &[u8] = COMMENT_JOIN.split_at(1).1;

// The same for the fields that can span several lines, after the LF that ends the line before:
// [`put_field`] writes that LF and the next line's start as one piece.
pub(crate) const DATA_JOIN: &[u8] = b"\ndata: ";
const COMMENT_JOIN: &[u8] = b"\n: ";

/// Writes `value` as one line per line of it, each starting with the field's name (`join`
/// without its leading LF: `data: `, or `: ` for a comment), as long as the lines take at most
/// `budget` bytes in all. Returns `Ok` when every line was written, or the text of the lines
/// that did not fit. This is the hot loop.
///
/// Invariants, relied on by every caller:
/// * the output holds no empty line, whatever `value` is: each line starts with the name,
///   less its space when the line is empty;
/// * no byte of `value` is dropped or changed except the line breaks themselves (CRLF, CR, LF),
///   each of which becomes the end of one output line;
/// * exactly [`field_len`]`(name, value)` bytes are written when that is at most `budget`
///   (callers that need no limit pass `usize::MAX`); otherwise the whole lines that fit, never
///   more than `budget` bytes, which callers either keep (and go on from the text returned) or
///   take back.
///
/// Each line is two writes: the LF that ends the line before together with this line's start
/// (`join`), then its text; the last LF is written alone, where before each line was three
/// (name, text, LF). With 1 MiB of 64-byte lines, whose line writer already had its field name
/// inlined, that alone is 9% fewer instructions; with events of ten 80-byte lines, together
/// with the inlining described at [`put_data_lines`], 14% (callgrind, BENCHMARKS.md).
#[inline(always)]
pub(crate) fn put_field<'v, B: BufMut + ?Sized>(
    buf: &mut B,
    join: &[u8],
    value: &'v [u8],
    mut budget: usize,
) -> Result<(), &'v [u8]> {
    let name = &join[1..];
    let (line, mut next) = split_line(value);
    let len = line_len(name, line);
    if len > budget {
        return Err(value);
    }
    budget -= len;
    put_start(buf, name, line);
    let result = loop {
        let Some(rest) = next else { break Ok(()) };
        let (line, after) = split_line(rest);
        let len = line_len(name, line);
        if len > budget {
            break Err(rest);
        }
        budget -= len;
        put_start(buf, join, line); // the LF that ends the line before, and this line
        next = after;
    };
    buf.put_u8(b'\n');
    result
}

/// [`put_field`] for multi-line data, with no limit. These two are out of line because inlined
/// into [`Event::encode_into`] the loop made the one-line path around it slower (callgrind: 8
/// to 12 more instructions per event on one-line events), and they are two because called with
/// a field name it does not know, `put_field` copies the name with a `memcpy` call instead of a
/// move (8% more instructions on events of ten 80-byte lines, 17% on 1 MiB of 64-byte lines).
#[inline(never)]
fn put_data_lines<B: BufMut + ?Sized>(buf: &mut B, data: &[u8]) {
    let _all = put_field(buf, DATA_JOIN, data, usize::MAX);
}

/// [`put_field`] for a comment, with no limit; see [`put_data_lines`].
#[inline(never)]
fn put_comment_lines<B: BufMut + ?Sized>(buf: &mut B, comment: &[u8]) {
    let _all = put_field(buf, COMMENT_JOIN, comment, usize::MAX);
}

/// Writes `start` and `line`, where `line` holds no CR or LF and `start` ends with the space
/// after a field's name, which is left out before an empty `line`.
#[inline(always)]
fn put_start<B: BufMut + ?Sized>(buf: &mut B, start: &[u8], line: &[u8]) {
    if line.is_empty() {
        buf.put_slice(&start[..start.len() - 1]);
    } else {
        buf.put_slice(start);
        buf.put_slice(line);
    }
}

/// The number of bytes [`put_field`] writes for `prefix` and `value`.
#[inline]
fn field_len(prefix: &[u8], value: &[u8]) -> usize {
    let mut len = 0;
    let mut rest = value;
    loop {
        let (line, next) = split_line(rest);
        len += line_len(prefix, line);
        match next {
            Some(next) => rest = next,
            None => return len,
        }
    }
}

/// Writes one line, `prefix` + `line` + LF, where `line` holds no CR or LF. An empty `line` is
/// written as the prefix without its trailing space (`data:`).
#[inline(always)]
pub(crate) fn put_line<B: BufMut + ?Sized>(buf: &mut B, prefix: &[u8], line: &[u8]) {
    put_start(buf, prefix, line);
    buf.put_u8(b'\n');
}

/// The number of bytes the one-line field `value` takes after `prefix`: none when it is unset.
#[inline]
pub(crate) fn field_line_len(prefix: &[u8], value: Option<&Str>) -> usize {
    value.map_or(0, |v| line_len(prefix, v.as_bytes()))
}

/// The number of bytes [`put_line`] writes.
#[inline]
pub(crate) const fn line_len(prefix: &[u8], line: &[u8]) -> usize {
    match line.len() {
        0 => prefix.len(),
        n => prefix.len() + n + 1,
    }
}

/// Splits off the first line of `s`: the text before the first CRLF, CR or LF, and the text
/// after that break (`None` when `s` holds no break, so the last line may be empty: `"a\n"`
/// is the two lines `"a"` and `""`).
#[inline(always)]
pub(crate) fn split_line(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match find_break(s) {
        None => (s, None),
        Some(i) => {
            let width = if s[i] == b'\r' && s.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            (&s[..i], Some(&s[i + width..]))
        }
    }
}

/// Index of the first CR or LF in `s`.
///
/// Text of 32 bytes or more goes to `memchr`'s vector search (see [`wide`]), which tests a
/// whole vector register of bytes per instruction (with `std`, AVX2 where the CPU has it).
/// Measured on 1 MiB of text, it scans a line without breaks at about 80 GB/s and text with a
/// break every 64 bytes at about 9 GB/s, against 13 and 3 GB/s for a block-wise fold the
/// compiler vectorizes by itself. Shorter text, the common case for ids, event types and small
/// messages, is tested 8 bytes at a time as a `u64` (SWAR), the last word overlapping the one
/// before, which avoids the vector search's call and set-up cost.
#[inline]
pub(crate) fn find_break(s: &[u8]) -> Option<usize> {
    find::<false>(s)
}

/// Index of the first CR, LF or NUL in `s` (what an `id` may not hold), searched like
/// [`find_break`].
#[inline]
pub(crate) fn find_break_or_nul(s: &[u8]) -> Option<usize> {
    find::<true>(s)
}

#[inline(always)]
fn find<const NUL: bool>(s: &[u8]) -> Option<usize> {
    let len = s.len();
    if len >= 32 {
        return match NUL {
            true => wide::fallback::<true>(s),
            false => wide::find_break(s),
        };
    }
    if len >= 8 {
        let mut start = 0;
        let mut words = s.chunks_exact(8);
        for word in &mut words {
            if let Some(i) = first_in_word::<NUL>(word_at(word)) {
                return Some(start + i);
            }
            start += 8;
        }
        if len == start {
            return None;
        }
        // The last 8 bytes, overlapping bytes already known to hold no match.
        return first_in_word::<NUL>(word_at(&s[len - 8..])).map(|i| len - 8 + i);
    }
    // Fewer than 8 bytes: one word whose bytes cover all of `s`, in order, so that the first
    // match in the word is the first in `s`. For 4 to 7 bytes, the first 4 and the last 4 (two
    // loads, which overlap); for 1 to 3, the first, middle and last byte, padded with bytes
    // that match nothing.
    if let (Some(head), Some(tail)) = (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        let word =
            u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32;
        return first_in_word::<NUL>(word).map(|i| if i < 4 { i } else { len + i - 8 });
    }
    let (&first, &last) = (s.first()?, s.last()?);
    let word = u64::from_le_bytes([first, s[len / 2], last, b'x', b'x', b'x', b'x', b'x']);
    first_in_word::<NUL>(word).map(|i| [0, len / 2, len - 1][i])
}

/// The vector search for line breaks, for text of 32 bytes or more.
///
/// `memchr::memchr2(b'\n', b'\r', s)` chooses between its AVX2 and SSE2 code on every call,
/// through a function pointer, and builds its needle vectors again each time. On lines of 64 to
/// 200 bytes, the usual length in multi-line data, that is a third of the call: callgrind
/// counts about 85 instructions per call on 80-byte lines, and about 55 for the same search
/// through a searcher built once. Over a whole workload that is 11% of all instructions for
/// events of ten 80-byte lines, and 19% for 1 MiB of 64-byte lines (BENCHMARKS.md). So with
/// `std` on x86-64 the AVX2 searcher is built on first use, if the CPU has AVX2, and kept in a
/// `static`. Otherwise this is `memchr`'s own search: without `std` there is no run-time CPU
/// detection (and no `OnceLock`), and on other architectures `memchr` picks its code when it
/// is compiled. The search that also stops at NUL (for ids, which are short and rarely reach
/// 32 bytes) stays `memchr3`: nothing measured shows a searcher of its own would pay.
mod wide {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    use memchr::arch::x86_64::avx2::memchr::Two;
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    use std::sync::OnceLock;

    /// Index of the first CR or LF in `s`.
    #[inline]
    pub(super) fn find_break(s: &[u8]) -> Option<usize> {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            static SEARCHER: OnceLock<Option<Two>> = OnceLock::new();
            if let Some(searcher) = SEARCHER.get_or_init(|| Two::new(b'\n', b'\r')) {
                return searcher.find(s);
            }
        }
        fallback::<false>(s)
    }

    /// `memchr`'s own search, which picks its code on each call.
    #[inline]
    pub(super) fn fallback<const NUL: bool>(s: &[u8]) -> Option<usize> {
        match NUL {
            true => memchr::memchr3(b'\n', b'\r', 0, s),
            false => memchr::memchr2(b'\n', b'\r', s),
        }
    }
}

/// The first 8 bytes of `bytes` (which has at least 8) as one little-endian word: one load.
#[inline(always)]
fn word_at(bytes: &[u8]) -> u64 {
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// Index of the first CR or LF (or, with `NUL`, NUL) among the 8 bytes of `word`, the first
/// byte in its lowest 8 bits.
///
/// A byte is a break when it XORs to zero with `0x0A` or with `0x0D`, and
/// `(x - 0x01..01) & !x & 0x80..80` flags the zero bytes of `x`. A flag above a zero byte can be
/// false (a borrow from below), but the lowest flag is always a real zero byte, so
/// `trailing_zeros` gives the exact position of the first break.
#[inline(always)]
fn first_in_word<const NUL: bool>(w: u64) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut hits =
        zero_bytes(w ^ (ONES * u64::from(b'\n'))) | zero_bytes(w ^ (ONES * u64::from(b'\r')));
    if NUL {
        hits |= zero_bytes(w);
    }
    (hits != 0).then(|| hits.trailing_zeros() as usize / 8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn lines(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = s.as_bytes();
        loop {
            let (line, next) = split_line(rest);
            out.push(core::str::from_utf8(line).unwrap());
            match next {
                Some(n) => rest = n,
                None => return out,
            }
        }
    }

    #[test]
    fn splits_on_each_kind_of_break() {
        assert_eq!(lines(""), [""]);
        assert_eq!(lines("a"), ["a"]);
        assert_eq!(lines("a\n"), ["a", ""]);
        assert_eq!(lines("a\r\nb"), ["a", "b"]);
        assert_eq!(lines("a\rb"), ["a", "b"]);
        assert_eq!(lines("a\n\rb"), ["a", "", "b"]);
        assert_eq!(lines("\r\r\n\n"), ["", "", "", ""]);
        assert_eq!(
            lines("a\u{2028}b\u{85}c\x0bd\x0c"),
            ["a\u{2028}b\u{85}c\x0bd\x0c"]
        );
    }

    #[test]
    fn find_break_agrees_with_a_plain_search_at_every_offset() {
        for len in 0..100 {
            for at in 0..=len {
                for brk in [b'\r', b'\n'] {
                    let mut s = alloc::vec![b'x'; len];
                    if at < len {
                        s[at] = brk;
                    }
                    let want = s.iter().position(|&b| b == b'\r' || b == b'\n');
                    assert_eq!(find_break(&s), want, "len {len} at {at}");
                    assert_eq!(find_break_or_nul(&s), want, "len {len} at {at}");
                    // The vector search at every length, and its fallback (the search without
                    // `std`), which this machine's build may not otherwise use.
                    assert_eq!(wide::find_break(&s), want, "len {len} at {at}");
                    assert_eq!(wide::fallback::<false>(&s), want, "len {len} at {at}");
                    s.push(0);
                    s.insert(0, b'x');
                    let want = s.iter().position(|&b| b == b'\r' || b == b'\n' || b == 0);
                    assert_eq!(find_break_or_nul(&s), want, "nul: len {len} at {at}");
                }
            }
        }
    }

    /// `put_field` against a plain reading of the rule, with breaks of every kind at every
    /// position of texts long enough to cross the 16-, 32- and 64-byte steps of any vector
    /// search (a CRLF split by such a step is one break, not two).
    #[test]
    fn put_field_splits_like_the_rule_at_every_position() {
        fn plain(text: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            let mut line = Vec::new();
            let mut i = 0;
            let mut put = |line: &mut Vec<u8>| {
                out.extend_from_slice(if line.is_empty() { b"data:" } else { b"data: " });
                out.append(line);
                out.push(b'\n');
            };
            while i < text.len() {
                match text[i] {
                    b'\r' | b'\n' => {
                        put(&mut line);
                        i += if text[i..].starts_with(b"\r\n") { 2 } else { 1 };
                    }
                    b => {
                        line.push(b);
                        i += 1;
                    }
                }
            }
            put(&mut line);
            out
        }
        for len in 0..140 {
            for at in 0..len {
                for brk in [&b"\n"[..], b"\r", b"\r\n", b"\n\r", b"\r\r\n"] {
                    let mut text = alloc::vec![b'x'; len];
                    text.splice(at..(at + brk.len()).min(len), brk.iter().copied());
                    text.truncate(len);
                    let mut out = Vec::new();
                    assert_eq!(put_field(&mut out, DATA_JOIN, &text, usize::MAX), Ok(()));
                    assert_eq!(out, plain(&text), "len {len}, {brk:?} at {at}");
                    assert_eq!(
                        field_len(DATA, &text),
                        out.len(),
                        "len {len}, {brk:?} at {at}"
                    );
                }
            }
        }
    }

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

    #[test]
    fn field_len_matches_put_field() {
        for v in ["", "a", "a\n", "\r\n", " x\ry\r\nz\n", "\n\r"] {
            for join in [COMMENT_JOIN, DATA_JOIN] {
                let prefix = &join[1..];
                let mut out = Vec::new();
                assert_eq!(put_field(&mut out, join, v.as_bytes(), usize::MAX), Ok(()));
                let len = field_len(prefix, v.as_bytes());
                assert_eq!(out.len(), len, "{v:?}");
                // With a budget: all of it exactly when it fits, whole lines within it when not.
                for budget in 0..=len {
                    let mut part = Vec::new();
                    let all = put_field(&mut part, join, v.as_bytes(), budget);
                    assert_eq!(all.is_ok(), budget == len, "{v:?} in {budget}");
                    // What did not fit is returned, and continues where the written lines end.
                    if let Err(rest) = all {
                        assert!(v.as_bytes().ends_with(rest), "{v:?} in {budget}");
                        let mut whole = part.clone();
                        assert_eq!(put_field(&mut whole, join, rest, usize::MAX), Ok(()));
                        assert_eq!(whole, out, "{v:?} in {budget}");
                    }
                    assert!(
                        part.len() <= budget && out.starts_with(&part),
                        "{v:?} in {budget}"
                    );
                    assert!(
                        part.is_empty() || part.ends_with(b"\n"),
                        "{v:?} in {budget}"
                    );
                }
            }
        }
    }
}
