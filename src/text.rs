//! [`Text`]: UTF-8 text held in whatever form the caller already had it.

use crate::encode::find_break;
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use bytes::Bytes;
use core::{fmt, hash, str};

/// Longest text stored inside the value itself, with no allocation. 22 keeps [`Str`] at 32
/// bytes, so an [`Event`](crate::Event) stays small enough to move without a `memcpy` call.
const INLINE_CAP: usize = 22;

/// UTF-8 text for one field of an [`Event`](crate::Event), kept in the form it arrived in.
///
/// Building an event should not cost an allocation the caller did not make, so `Text` takes
/// ownership of what it is given instead of copying it:
///
/// | from | cost |
/// |---|---|
/// | `String`, `Box<str>`, `Cow<'static, str>` | moved, no copy |
/// | `Arc<str>` | reference count bump, shared with every clone |
/// | `Bytes` (via [`TryFrom`]) | validated once as UTF-8, then shared, no copy |
/// | `&'static str` via [`Text::from_static`] | no copy |
/// | `&str` of at most 22 bytes, integers | copied into the value itself, no allocation |
/// | longer `&str` | one allocation and copy |
///
/// `Text` only promises valid UTF-8. Whether a given field may carry it (for example an `id`
/// may not contain CR, LF or NUL) is checked by the [`Event`](crate::Event) method that takes it.
///
/// ```
/// use sse_wire::Text;
/// let a = Text::from("short");
/// let b = Text::from(String::from("owned"));
/// let c = Text::from(42u64);
/// let d = Text::try_from(bytes::Bytes::from_static(b"shared")).unwrap();
/// assert_eq!(
///     (a.as_str(), b.as_str(), c.as_str(), d.as_str()),
///     ("short", "owned", "42", "shared")
/// );
/// ```
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
// A word-sized tag (here and on `Str`): the payloads then start on a word boundary, so the
// compiler moves and splits these values as whole words. With the default one-byte tag, the
// values were copied with wide loads across the byte-sized stores just made (which stall), and
// the build with one codegen unit was 14-18% slower on tiny and typical events (BENCHMARKS.md).
#[repr(u64)]
enum Repr {
    Str(Str),
    /// Invariant: valid UTF-8 (checked by `TryFrom<Bytes>`, or by `Event::data_utf8` before
    /// `Text::from_utf8_bytes`).
    Bytes(Bytes),
}

/// Text from string types: what `Text` holds except shared `Bytes`. 32 bytes instead of 40,
/// which is why [`Event`](crate::Event) keeps its `event` and `id` in this form.
#[derive(Clone)]
#[repr(u64)]
pub(crate) enum Str {
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Static(&'static str),
    Owned(String),
    Shared(Arc<str>),
}

impl Str {
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline { len, buf } => &buf[..usize::from(*len)],
            Str::Static(s) => s.as_bytes(),
            Str::Owned(s) => s.as_bytes(),
            Str::Shared(s) => s.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Str::Static(s) => s,
            Str::Owned(s) => s,
            Str::Shared(s) => s,
            // Every constructor of `Inline` stored valid UTF-8, so the fallback is never taken.
            Str::Inline { .. } => str::from_utf8(self.as_bytes()).unwrap_or(""),
        }
    }

    #[inline]
    fn inline(bytes: &[u8]) -> Option<Str> {
        let len = u8::try_from(bytes.len())
            .ok()
            .filter(|&l| usize::from(l) <= INLINE_CAP)?;
        let mut buf = [0; INLINE_CAP];
        buf[..bytes.len()].copy_from_slice(bytes);
        Some(Str::Inline { len, buf })
    }

    #[inline]
    fn from_str(s: &str) -> Str {
        Str::inline(s.as_bytes()).unwrap_or_else(|| Str::Owned(String::from(s)))
    }
}

impl From<Text> for Str {
    /// Free except for `Bytes`-backed text, which is copied (it is only used for the short
    /// `event` and `id` values).
    #[inline]
    fn from(text: Text) -> Str {
        match text.0 {
            Repr::Str(s) => s,
            // Bytes are checked before they become `Text` (see `Repr`): the fallback is never
            // taken.
            Repr::Bytes(b) => Str::from_str(str::from_utf8(&b).unwrap_or("")),
        }
    }
}

impl Text {
    /// The longest text a `Text` holds inside itself, with no allocation.
    pub(crate) const INLINE_CAP: usize = INLINE_CAP;

    /// Text from a string literal or other `'static` string, with no copy.
    ///
    /// ```
    /// const PING: sse_wire::Text = sse_wire::Text::from_static("ping");
    /// assert_eq!(PING.as_str(), "ping");
    /// ```
    pub const fn from_static(s: &'static str) -> Text {
        Text(Repr::Str(Str::Static(s)))
    }

    /// The text as bytes (always valid UTF-8).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Str(s) => s.as_bytes(),
            Repr::Bytes(b) => b,
        }
    }

    /// The text as a `&str`.
    ///
    /// Free for every source except `Bytes` and short inline copies, whose bytes are checked
    /// again (in O(n), without allocating) because this crate contains no `unsafe` code.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Str(s) => s.as_str(),
            // Bytes are checked before they become `Text` (see `Repr`): the fallback is never
            // taken.
            Repr::Bytes(b) => str::from_utf8(b).unwrap_or(""),
        }
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// `true` when the text is the empty string.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// Shares the text as [`Bytes`]: free for `Bytes` and `'static` sources, a copy otherwise.
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Repr::Str(Str::Static(s)) => Bytes::from_static(s.as_bytes()),
            Repr::Bytes(b) => b.clone(),
            _ => Bytes::copy_from_slice(self.as_bytes()),
        }
    }

    /// The text as [`Bytes`], without copying anything longer than the inline limit: a `String`
    /// becomes the `Bytes`' buffer, an `Arc<str>` is kept alive by it.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Str(Str::Static(s)) => Bytes::from_static(s.as_bytes()),
            Repr::Str(Str::Owned(s)) => Bytes::from(s),
            Repr::Str(Str::Shared(s)) => Bytes::from_owner(SharedStr(s)),
            Repr::Str(inline @ Str::Inline { .. }) => Bytes::copy_from_slice(inline.as_bytes()),
            Repr::Bytes(b) => b,
        }
    }
}

/// Lets `Bytes` keep an `Arc<str>` alive and read it as bytes.
struct SharedStr(Arc<str>);

impl AsRef<[u8]> for SharedStr {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::from_static("")
    }
}

impl From<&str> for Text {
    #[inline]
    fn from(s: &str) -> Self {
        Text(Repr::Str(Str::from_str(s)))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text::from(s.as_str())
    }
}

impl From<String> for Text {
    #[inline]
    fn from(s: String) -> Self {
        Text(Repr::Str(Str::Owned(s)))
    }
}

impl From<Box<str>> for Text {
    fn from(s: Box<str>) -> Self {
        Text(Repr::Str(Str::Owned(String::from(s))))
    }
}

impl From<Arc<str>> for Text {
    #[inline]
    fn from(s: Arc<str>) -> Self {
        Text(Repr::Str(Str::Shared(s)))
    }
}

impl From<&Arc<str>> for Text {
    fn from(s: &Arc<str>) -> Self {
        Text(Repr::Str(Str::Shared(Arc::clone(s))))
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Text::from_static(s),
            Cow::Owned(s) => Text::from(s),
        }
    }
}

impl From<char> for Text {
    fn from(c: char) -> Self {
        let mut buf = [0; 4];
        Text::from(&*c.encode_utf8(&mut buf))
    }
}

impl Text {
    /// `bytes` as text. The caller has checked that they are UTF-8.
    pub(crate) fn from_utf8_bytes(bytes: Bytes) -> Text {
        Text(Repr::Bytes(bytes))
    }
}

/// Checks that `bytes` are UTF-8 and whether they hold a CR or LF (are more than one line), in
/// one pass over memory: a block at a time, searched for a break while it is still in cache.
/// (Checking the whole of a large payload first and searching it second read it from memory
/// twice, which made sending 1 MiB of `Bytes` data slower than copying it.) On invalid UTF-8,
/// the error is where the valid prefix ends, as [`str::from_utf8`] reports it for the whole.
///
/// An ASCII block, the common case, is read once more only if it holds a byte that may be a
/// break (see [`ascii_and_maybe_break`]); on 1 MiB of ASCII from memory this is ~10% faster
/// than an ASCII check and a search in turn (BENCHMARKS.md, fifth round).
pub(crate) fn check_utf8_and_breaks(bytes: &[u8]) -> Result<bool, usize> {
    const BLOCK: usize = 16 * 1024;
    let mut has_break = false;
    let mut start = 0;
    while start < bytes.len() {
        let mut end = bytes.len().min(start + BLOCK);
        let block = &bytes[start..end];
        let maybe_break = match ascii_and_maybe_break(block) {
            Some(maybe_break) => maybe_break,
            None => {
                if let Err(e) = str::from_utf8(block) {
                    match e.error_len() {
                        // A character cut by the end of the block (not of the text): the
                        // block ends before it, and the next one starts with it.
                        None if end < bytes.len() => end = start + e.valid_up_to(),
                        _ => return Err(start + e.valid_up_to()),
                    }
                }
                true
            }
        };
        has_break = has_break || (maybe_break && find_break(&bytes[start..end]).is_some());
        start = end;
    }
    Ok(has_break)
}

/// For a `block` of ASCII, whether it may hold a CR or LF: `false` means it holds none, `true`
/// that it holds a byte from 0x08 to 0x0F (CR and LF among them, but also TAB, VT and FF,
/// which is why the caller then searches for real). `None` if it is not all ASCII, found by
/// the end of the 1 KiB piece that holds the first other byte, so that text which needs the
/// full UTF-8 check does not pay for this pass too.
// Out of line: inlined into the block loop it took 482 k instructions per MiB of W4 with
// `Bytes` against 473 k, in the same time (six alternating runs).
#[inline(never)]
fn ascii_and_maybe_break(block: &[u8]) -> Option<bool> {
    // One OR and one compare per byte, which the compiler vectorizes over a fixed-size piece.
    fn piece(bytes: &[u8]) -> (u8, u8) {
        bytes.iter().fold((0, 0), |(high, near), &b| {
            (high | b, near | u8::from(b | 0x07 == 0x0F))
        })
    }
    let mut pieces = block.chunks_exact(1024);
    let mut near = 0;
    for p in &mut pieces {
        let (high, p_near) = piece(p);
        if high >= 0x80 {
            return None;
        }
        near |= p_near;
    }
    let (high, p_near) = piece(pieces.remainder());
    (high < 0x80).then_some(near | p_near != 0)
}

impl TryFrom<Bytes> for Text {
    type Error = str::Utf8Error;

    /// Validates `bytes` as UTF-8 once and keeps sharing them, with no copy.
    ///
    /// For an event's data, [`Event::data_utf8`](crate::Event::data_utf8) does the same in one
    /// pass with the line-break search that [`Event::data`](crate::Event::data) makes after this.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        str::from_utf8(&bytes)?;
        Ok(Text(Repr::Bytes(bytes)))
    }
}

/// Decimal digits of `n`, most significant first, in a stack buffer: `(buf, start)`.
pub(crate) fn decimal(mut n: u128) -> ([u8; 39], usize) {
    let mut buf = [0u8; 39];
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return (buf, start);
        }
    }
}

macro_rules! from_unsigned {
    ($($t:ty)*) => {$(
        impl From<$t> for Text {
            /// The number in decimal ASCII digits, stored inline (no allocation).
            #[inline]
            fn from(n: $t) -> Self {
                let (buf, start) = decimal(n as u128);
                // ASCII digits are always UTF-8: the fallback is never taken.
                Text::from(str::from_utf8(&buf[start..]).unwrap_or("0"))
            }
        }
    )*};
}
from_unsigned!(u8 u16 u32 u64 usize);

macro_rules! from_signed {
    ($($t:ty)*) => {$(
        impl From<$t> for Text {
            /// The number in decimal ASCII digits with a leading `-` when negative, stored
            /// inline (no allocation).
            #[inline]
            fn from(n: $t) -> Self {
                let (mut buf, mut start) = decimal(n.unsigned_abs() as u128);
                if n < 0 {
                    start -= 1;
                    buf[start] = b'-';
                }
                // ASCII digits and '-' are always UTF-8: the fallback is never taken.
                Text::from(str::from_utf8(&buf[start..]).unwrap_or("0"))
            }
        }
    )*};
}
from_signed!(i8 i16 i32 i64 isize);

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl hash::Hash for Text {
    fn hash<H: hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn the_ascii_pass_flags_breaks_and_finds_any_other_byte() {
        // In the first piece, a later one and the remainder after the last whole piece: bytes
        // from 0x80 on make the block not ASCII; 0x08 to 0x0F (CR and LF among them) may be a
        // break; nothing else is flagged.
        for len in [5, 1024, 1500, 3 * 1024] {
            for at in [0, len / 2, len - 1] {
                for b in 0..=0xFFu8 {
                    let mut text = vec![b'a'; len];
                    text[at] = b;
                    let want = (b < 0x80).then_some((0x08..=0x0F).contains(&b));
                    assert_eq!(
                        ascii_and_maybe_break(&text),
                        want,
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert_eq!(ascii_and_maybe_break(&[]), Some(false));
    }

    #[test]
    fn the_block_wise_check_is_exact() {
        const BLOCK: usize = 16 * 1024;
        // Every ASCII byte, in the first block, the second, and at the boundary: only CR and LF
        // count as a break.
        for b in 0..0x80u8 {
            let is_break = b == b'\r' || b == b'\n';
            for at in [0, 1, 63, BLOCK - 1, BLOCK, BLOCK + 7] {
                let mut text = vec![b'a'; BLOCK + 8];
                text[at] = b;
                assert_eq!(check_utf8_and_breaks(&text), Ok(is_break), "{b:#x} at {at}");
            }
        }
        // A TAB (not a break) in the first block and a break in the second; a break after a
        // block that is not ASCII.
        let mut text = vec![b'a'; 2 * BLOCK];
        text[5] = b'\t';
        text[BLOCK + 5] = b'\n';
        assert_eq!(check_utf8_and_breaks(&text), Ok(true));
        let mut text = "é".repeat(BLOCK).into_bytes();
        assert_eq!(check_utf8_and_breaks(&text), Ok(false));
        text.push(b'\r');
        assert_eq!(check_utf8_and_breaks(&text), Ok(true));
        // Every byte from 0x80 on, alone, is not UTF-8; found where it is, in either block.
        for b in 0x80..=0xFFu8 {
            for at in [0, BLOCK - 1, BLOCK + 3] {
                let mut text = vec![b'a'; BLOCK + 8];
                text[at] = b;
                assert_eq!(check_utf8_and_breaks(&text), Err(at), "{b:#x} at {at}");
            }
        }
    }
}
