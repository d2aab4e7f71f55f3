//! Writing field lines: the framing rules applied to one field at a time.
//!
//! A value is split into lines at CRLF, CR and LF, and each piece is written as its own
//! `name: piece` line (`name:` when the piece is empty), so no value can produce an empty line
//! or a line a client would read as another field. Above [`scan`](crate::scan), below the
//! [`Event`](crate::Event) encoder.

use crate::scan::find_break;
use crate::text::Str;
use bytes::BufMut;

// What starts a line of each field: the name, the colon and the one space that clients remove.
// Before an empty value the space is left out (`data:`), which clients read the same way.
pub(crate) const DATA: &[u8] = DATA_JOIN.split_at(1).1;
pub(crate) const EVENT: &[u8] = b"event: ";
pub(crate) const ID: &[u8] = b"id: ";
pub(crate) const RETRY: &[u8] = b"retry: ";
pub(crate) const COMMENT: &[u8] = COMMENT_JOIN.split_at(1).1;

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
/// (`join`), then its text; the last LF is written alone: two writes a line instead of three
/// (name, text, LF).
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

/// [`put_field`] for multi-line data, with no limit. These two are out of line so that the loop
/// does not slow down the one-line path of [`Event::encode_into`](crate::Event::encode_into)
/// around it, and they are two because called with a field name it does not know, `put_field`
/// copies the name with a `memcpy` call instead of a move.
#[inline(never)]
pub(crate) fn put_data_lines<B: BufMut + ?Sized>(buf: &mut B, data: &[u8]) {
    let _all = put_field(buf, DATA_JOIN, data, usize::MAX);
}

/// [`put_field`] for a comment, with no limit; see [`put_data_lines`].
#[inline(never)]
pub(crate) fn put_comment_lines<B: BufMut + ?Sized>(buf: &mut B, comment: &[u8]) {
    let _all = put_field(buf, COMMENT_JOIN, comment, usize::MAX);
}

/// Writes `start` and `line`, where `line` holds no CR or LF and `start` ends with the space
/// after a field's name, which is left out before an empty `line`.
#[inline(always)]
pub(crate) fn put_start<B: BufMut + ?Sized>(buf: &mut B, start: &[u8], line: &[u8]) {
    if line.is_empty() {
        buf.put_slice(&start[..start.len() - 1]);
    } else {
        buf.put_slice(start);
        buf.put_slice(line);
    }
}

/// The number of bytes [`put_field`] writes for `prefix` and `value`.
#[inline]
pub(crate) fn field_len(prefix: &[u8], value: &[u8]) -> usize {
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
