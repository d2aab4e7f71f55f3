//! [`Text`]: UTF-8 text held in whatever form the caller already had it.

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
// values were copied with wide loads across the byte-sized stores just made, which stall.
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
