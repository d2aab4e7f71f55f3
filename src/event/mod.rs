//! [`Event`]: one server-sent event, checked as it is built; how it becomes bytes
//! ([`encode`], [`wire`]); and [`Encoded`], an event encoded once for many streams.

mod encode;
mod encoded;
pub(crate) mod wire;

pub use encoded::Encoded;

use crate::error::{Error, Field};
use crate::scan::check_utf8_and_breaks;
use crate::scan::{find_break, find_break_or_nul};
use crate::text::{Str, Text};
use alloc::boxed::Box;
use alloc::vec::Vec;
use bytes::Bytes;
use core::time::Duration;
use wire::{field_line_len, line_len, DATA, EVENT, ID};

/// One server-sent event.
///
/// Every field is optional; set the ones you need, in any order. What a conformant client
/// (a browser's `EventSource`, or any parser following WHATWG HTML §9.2) does with the result:
///
/// | method | on the wire | what the client sees | refused (returns `Result`) |
/// |---|---|---|---|
/// | [`data`](Event::data) | one `data:` line per line of the text | `event.data`: the text, with CR and CRLF turned into LF | never |
/// | [`event`](Event::event) | `event: <type>` | the event's type (`message` when unset or empty) | text with CR or LF; an [`EventType`] never (returns `Event`) |
/// | [`id`](Event::id) | `id: <id>` (`id:` for the empty string) | `lastEventId`; sent back as `Last-Event-ID` on reconnect; `""` resets it | text with CR, LF or NUL; integers never (returns `Event`) |
/// | [`retry`](Event::retry) | `retry: <milliseconds>` | the reconnection delay | never |
/// | [`comment`](Event::comment) | one `:` line per line of the text | nothing (comments are ignored) | never |
///
/// What can fail is decided by the type of the value, so the common cases need no `?`: integer
/// ids and event types fixed at compile time cannot fail, while text (which usually comes from
/// users or other systems) is checked and returns [`Error`] when it would forge a field.
///
/// # Data, and events without it
///
/// Data is any UTF-8 text: empty, with leading spaces, trailing newlines, NUL, U+FEFF, U+2028 or
/// a megabyte on one line all arrive exactly as given. The one change is forced by the wire
/// format: a client rebuilds multi-line data by joining lines with LF, so a CR or a CRLF in the
/// data arrives as a single LF. `data("")` is sent as one empty `data:` line and *is*
/// dispatched, with empty data.
///
/// An event with no data at all is **not** dispatched by clients: no `message` handler runs and
/// its `event` type is discarded. Its `id` and `retry` still take effect when the client reads
/// them, so a data-less event is the way to move `lastEventId` or change the reconnection delay
/// without waking handlers.
///
/// # Setting a field twice
///
/// `data`, `event`, `id` and `retry` replace the previous value. `comment` adds another comment;
/// comments are written first, in the order they were added. A refused value leaves no trace:
/// the method returns the error instead of the event.
///
/// # Ids persist
///
/// A client keeps the last id it saw until another event sets one, so an event without `id`
/// reports the previous event's id as its `lastEventId` (WHATWG HTML §9.2.6). After a reconnect,
/// give the first event an id.
///
/// ```
/// use std::time::Duration;
/// use sse_wire::Event;
///
/// let ev = Event::new()
///     .event("update")? // text: checked
///     .id(42u64) // an integer: cannot fail
///     .retry(Duration::from_secs(3))
///     .data("{\"n\":42}\nsecond line");
/// assert_eq!(
///     ev.to_bytes(),
///     "event: update\nid: 42\nretry: 3000\ndata: {\"n\":42}\ndata: second line\n\n"
/// );
///
/// // Text that would inject a field is refused, not edited:
/// assert!(Event::new().event("update\ndata: forged").is_err());
/// # Ok::<(), sse_wire::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Event {
    pub(crate) data: Option<Text>,
    /// When `data` is one line (no CR or LF): the bytes its `data:` line takes; otherwise 0,
    /// which no data line can take (the shortest is `data:` and LF). Found when the data is
    /// set, by a search that stops at the first break, so one-line data (the common case) is
    /// never scanned again: its encoded length is known, it is written without splitting, and
    /// large one-line data can be sent without a copy.
    pub(crate) one_line_len: usize,
    pub(crate) event: Option<Str>,
    pub(crate) id: Option<Str>,
    /// The bytes the `event` and `id` lines take (0 when neither is set), kept by
    /// [`event`](Event::event) and [`id`](Event::id) as they set those fields, so an event's
    /// length is known without looking at them again: the adapter measures every event it
    /// packs, and each look goes through `Str`'s four forms.
    pub(crate) type_id_len: usize,
    /// The fields most events lack, boxed so that an `Event` stays at 128 bytes: small enough
    /// to move with a few vector stores instead of a `memcpy` call, which on tiny events is a
    /// measurable share of the whole encoding cost.
    pub(crate) rare: Option<Box<Rare>>,
}

/// Comments and `retry`.
#[derive(Clone, Default)]
pub(crate) struct Rare {
    pub(crate) comments: Vec<Text>,
    pub(crate) retry: Option<Duration>,
}

impl PartialEq for Event {
    /// Compares the fields as the caller set them (the bytes, not how they are stored).
    fn eq(&self, other: &Event) -> bool {
        self.data.as_ref().map(Text::as_bytes) == other.data.as_ref().map(Text::as_bytes)
            && self.event.as_ref().map(Str::as_bytes) == other.event.as_ref().map(Str::as_bytes)
            && self.id.as_ref().map(Str::as_bytes) == other.id.as_ref().map(Str::as_bytes)
            && self.get_retry() == other.get_retry()
            && self.comments() == other.comments()
    }
}

impl Eq for Event {}

impl core::fmt::Debug for Event {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_struct("Event");
        if let Some(rare) = &self.rare {
            d.field("comments", &rare.comments);
        }
        d.field("event", &self.get_event())
            .field("id", &self.get_id());
        d.field("retry", &self.get_retry())
            .field("data", &self.get_data())
            .finish()
    }
}

impl Event {
    /// An event with no fields set. On its own it encodes to a single empty line, which clients
    /// ignore.
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the event's data, replacing any earlier data.
    ///
    /// Never fails: any UTF-8 text can be sent. CR and CRLF arrive at the client as LF.
    ///
    /// ```
    /// use sse_wire::Event;
    /// assert_eq!(Event::new().data("").to_bytes(), "data:\n\n");
    /// assert_eq!(Event::new().data(" a\r\nb\n").to_bytes(), "data:  a\ndata: b\ndata:\n\n");
    /// ```
    // Always inlined, like `event` and `id`: each takes and returns the 128-byte event by value,
    // which out of line goes through memory twice.
    #[inline(always)]
    pub fn data(mut self, data: impl Into<Text>) -> Event {
        // Stored first and searched where it lies: built aside and moved in, the text was
        // copied once more, with loads that waited for the stores that had just written it.
        let data = self.data.insert(data.into()).as_bytes();
        self.one_line_len = match find_break(data) {
            None => line_len(DATA, data),
            Some(_) => 0,
        };
        self
    }

    /// Sets the data from raw bytes, which must be UTF-8. The bytes are shared, not copied.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use sse_wire::{Error, Event, Field};
    ///
    /// let ev = Event::new().data_utf8(Bytes::from_static(b"caf\xc3\xa9"))?;
    /// assert_eq!(ev.get_data(), Some("café"));
    ///
    /// let err = Event::new().data_utf8(Bytes::from_static(b"caf\xc3")).unwrap_err();
    /// assert_eq!(err, Error::InvalidUtf8 { field: Field::Data, valid_up_to: 3 });
    /// # Ok::<(), Error>(())
    /// ```
    pub fn data_utf8(self, data: Bytes) -> Result<Event, Error> {
        match check_utf8_and_breaks(&data) {
            Ok(has_break) => {
                // The fields as `data` sets them, written out here: a helper shared by both
                // would take the event by reference and slow `data` down.
                let mut event = self;
                event.one_line_len = match has_break {
                    false => line_len(DATA, &data),
                    true => 0,
                };
                event.data = Some(Text::from_utf8_bytes(data));
                Ok(event)
            }
            Err(valid_up_to) => Err(Error::InvalidUtf8 {
                field: Field::Data,
                valid_up_to,
            }),
        }
    }

    /// Sets the data to `value` serialized as JSON (requires the `json` feature).
    ///
    /// Compact JSON is one line. Pretty-printed JSON, or a `RawValue` holding line breaks, is
    /// sent as several `data:` lines and arrives as the same JSON (any CR or CRLF between
    /// tokens arrives as LF, which JSON treats as the same whitespace; JSON strings cannot
    /// hold a raw line break).
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// use sse_wire::Event;
    /// let ev = Event::new().json_data(&serde_json::json!({"n": 1}))?;
    /// assert_eq!(ev.to_bytes(), "data: {\"n\":1}\n\n");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Whatever `serde_json` reports for a value it cannot serialize (for example a map with
    /// non-string keys). The event is not changed.
    #[cfg(feature = "json")]
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn json_data<T: serde::Serialize + ?Sized>(
        self,
        value: &T,
    ) -> Result<Event, serde_json::Error> {
        Ok(self.data(serde_json::to_string(value)?))
    }

    /// Sets the event type, replacing any earlier one. Clients dispatch the event under this
    /// name (`addEventListener("update", …)`); `""` means the default type, `message`.
    ///
    /// Takes text, which is checked and returns a `Result`, or an [`EventType`], checked when
    /// it was made (at compile time when made in a `const`), which returns the event itself:
    ///
    /// ```
    /// use sse_wire::{Event, EventType};
    ///
    /// const UPDATE: EventType = EventType::new("update");
    /// let ev = Event::new().event(UPDATE).data("x"); // no `?`: cannot fail
    /// assert_eq!(ev.to_bytes(), "event: update\ndata: x\n\n");
    ///
    /// let from_user = String::from("update\ndata: forged");
    /// assert!(Event::new().event(from_user).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// For text: [`Error::InvalidChar`] if the type contains CR or LF, which would end the line
    /// and let the rest be read as another field.
    #[inline(always)]
    pub fn event<T: IntoEventType>(self, event_type: T) -> T::Output {
        event_type.set_on(self)
    }

    /// Sets the event id, replacing any earlier one. Clients store it as `lastEventId` and send
    /// it back in the `Last-Event-ID` header when they reconnect. `""` is sent as `id:` and
    /// resets the client's last id.
    ///
    /// Integers cannot fail and return the event itself; they are formatted in decimal without
    /// allocating. Text is checked and returns a `Result`:
    ///
    /// ```
    /// use sse_wire::Event;
    ///
    /// let ev = Event::new().id(42u64).data("x"); // no `?`: cannot fail
    /// assert_eq!(ev.to_bytes(), "id: 42\ndata: x\n\n");
    /// assert!(Event::new().id("4\x002").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// For text: [`Error::InvalidChar`] if the id contains CR or LF (which would inject
    /// fields) or NUL (which makes clients ignore the id, silently keeping the old one).
    #[inline(always)]
    pub fn id<I: IntoId>(self, id: I) -> I::Output {
        id.set_on(self)
    }

    /// Sets the client's reconnection delay, replacing any earlier value.
    ///
    /// Sent as whole milliseconds (`retry: 1500`); a fraction of a millisecond is dropped.
    /// Clients apply it as soon as they read it, even if the event has no data. Note that some
    /// JavaScript clients pass the value to `setTimeout`, which misbehaves at 2³¹ ms (about 24.8
    /// days) and above.
    pub fn retry(mut self, delay: Duration) -> Event {
        self.rare.get_or_insert_with(Box::default).retry = Some(delay);
        self
    }

    /// Adds a comment. Clients ignore comments; they are useful to keep a connection busy or to
    /// annotate a stream. Multi-line text becomes one `:` line per line, so a comment can never
    /// end the event or be read as a field.
    ///
    /// ```
    /// use sse_wire::Event;
    /// assert_eq!(Event::new().comment("a\ndata: x").to_bytes(), ": a\n: data: x\n\n");
    /// ```
    pub fn comment(mut self, comment: impl Into<Text>) -> Event {
        self.rare
            .get_or_insert_with(Box::default)
            .comments
            .push(comment.into());
        self
    }

    /// The data, if set. (For data given as `Bytes` this checks the UTF-8 again, in O(n); see
    /// [`Text::as_str`].)
    pub fn get_data(&self) -> Option<&str> {
        self.data.as_ref().map(Text::as_str)
    }

    /// The event type, if set.
    pub fn get_event(&self) -> Option<&str> {
        self.event.as_ref().map(Str::as_str)
    }

    /// The id, if set.
    pub fn get_id(&self) -> Option<&str> {
        self.id.as_ref().map(Str::as_str)
    }

    /// The reconnection delay, if set.
    pub fn get_retry(&self) -> Option<Duration> {
        self.rare.as_ref().and_then(|rare| rare.retry)
    }

    /// The comments, in the order they were added.
    pub fn get_comments(&self) -> impl Iterator<Item = &str> {
        self.comments().iter().map(Text::as_str)
    }

    /// Whether the data is one line (see `one_line_len`).
    #[inline]
    pub(crate) fn data_is_one_line(&self) -> bool {
        self.one_line_len != 0
    }

    #[inline]
    pub(crate) fn comments(&self) -> &[Text] {
        self.rare.as_ref().map_or(&[], |rare| &rare.comments)
    }
}

/// Refuses `value` for `field` if `found` is the index of a (forbidden, ASCII) byte in it.
#[inline]
fn refuse(field: Field, value: &[u8], found: Option<usize>) -> Result<(), Error> {
    match found {
        None => Ok(()),
        Some(index) => Err(Error::InvalidChar {
            field,
            found: char::from(value[index]),
            index,
        }),
    }
}

mod sealed {
    /// What makes [`IntoId`](super::IntoId) and [`IntoEventType`](super::IntoEventType) sealed.
    // Sealed on purpose: reachable through those traits, but not nameable outside the crate.
    #[allow(unnameable_types)]
    pub trait Sealed {}
}

/// What [`Event::id`] takes: integers, which cannot fail (`Output = Event`), and text, which is
/// checked (`Output = Result<Event, Error>`). Sealed: implemented for the integer types and
/// every type [`Text`] is made from.
pub trait IntoId: sealed::Sealed {
    /// `Event` for integers, `Result<Event, Error>` for text.
    type Output;

    /// Sets `self` as `event`'s id.
    #[doc(hidden)]
    fn set_on(self, event: Event) -> Self::Output;
}

/// What [`Event::event`] takes: an [`EventType`], checked when it was made (`Output = Event`),
/// and text, which is checked (`Output = Result<Event, Error>`). Sealed, like [`IntoId`].
pub trait IntoEventType: sealed::Sealed {
    /// `Event` for an [`EventType`], `Result<Event, Error>` for text.
    type Output;

    /// Sets `self` as `event`'s type.
    #[doc(hidden)]
    fn set_on(self, event: Event) -> Self::Output;
}

/// Stores `$value` (a `Str`) as the `$field` (`event` or `id`) of the `Event` `$event`, keeps
/// `type_id_len` up to date, and gives the stored bytes, to be checked where they lie.
///
/// A macro rather than a method, so that the 128-byte event is changed in place inside the
/// caller's own `set_on`: each by-value hop between `Event::event`/`Event::id` and the store
/// added a copy of the event whose wide loads waited on the narrow stores just made.
macro_rules! put_str {
    ($event:ident . $field:ident, $prefix:ident, $value:expr) => {{
        let old = field_line_len($prefix, $event.$field.as_ref());
        let value = $event.$field.insert($value).as_bytes();
        $event.type_id_len = $event.type_id_len - old + line_len($prefix, value);
        value
    }};
}

macro_rules! text_values {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl IntoId for $t {
            type Output = Result<Event, Error>;
            #[inline(always)]
            fn set_on(self, mut event: Event) -> Result<Event, Error> {
                // On a refusal the event is dropped, so its fields need no undoing.
                let id = put_str!(event.id, ID, Str::from(Text::from(self)));
                refuse(Field::Id, id, find_break_or_nul(id))?;
                Ok(event)
            }
        }
        impl IntoEventType for $t {
            type Output = Result<Event, Error>;
            #[inline(always)]
            fn set_on(self, mut event: Event) -> Result<Event, Error> {
                let name = put_str!(event.event, EVENT, Str::from(Text::from(self)));
                refuse(Field::Event, name, find_break(name))?;
                Ok(event)
            }
        }
    )*};
}
text_values!(
    Text,
    &str,
    &alloc::string::String,
    alloc::string::String,
    Box<str>,
    alloc::sync::Arc<str>,
    &alloc::sync::Arc<str>,
    alloc::borrow::Cow<'static, str>,
    char
);

macro_rules! integer_ids {
    ($($t:ty)*) => {$(
        impl sealed::Sealed for $t {}
        impl IntoId for $t {
            type Output = Event;
            /// Decimal digits (and a `-`), which hold no CR, LF or NUL: nothing to check.
            #[inline(always)]
            fn set_on(self, mut event: Event) -> Event {
                let id = put_str!(event.id, ID, Str::from(Text::from(self)));
                debug_assert_eq!(find_break_or_nul(id), None, "an integer id holds a break or NUL");
                event
            }
        }
    )*};
}
integer_ids!(u8 u16 u32 u64 usize i8 i16 i32 i64 isize);

/// An id made by the crate from characters that hold no CR, LF or NUL (the hub's ids): setting
/// it cannot fail.
#[cfg(feature = "std")]
pub(crate) struct CheckedId(pub(crate) Text);

#[cfg(feature = "std")]
impl sealed::Sealed for CheckedId {}
#[cfg(feature = "std")]
impl IntoId for CheckedId {
    type Output = Event;
    #[inline(always)]
    fn set_on(self, mut event: Event) -> Event {
        let id = put_str!(event.id, ID, Str::from(self.0));
        debug_assert_eq!(
            find_break_or_nul(id),
            None,
            "a checked id holds a break or NUL"
        );
        event
    }
}

/// An event type checked when it is made: [`Event::event`] with one cannot fail.
///
/// Make it in a `const` and a bad name is a compile error:
///
/// ```
/// use sse_wire::EventType;
/// const UPDATE: EventType = EventType::new("update");
/// assert_eq!(UPDATE.as_str(), "update");
/// assert!(EventType::try_new("two\nlines").is_err());
/// ```
///
/// ```compile_fail
/// const BAD: sse_wire::EventType = sse_wire::EventType::new("update\ndata: forged");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType(&'static str);

impl EventType {
    /// `name` as an event type, for use in a `const`.
    ///
    /// # Panics
    ///
    /// If `name` holds CR or LF; in a `const` that is a compile error. Use
    /// [`try_new`](EventType::try_new) for names known only at run time.
    pub const fn new(name: &'static str) -> EventType {
        match EventType::try_new(name) {
            Ok(event_type) => event_type,
            Err(_) => panic!("an event type cannot hold CR or LF"),
        }
    }

    /// `name` as an event type.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidChar`] if `name` holds CR or LF.
    pub const fn try_new(name: &'static str) -> Result<EventType, Error> {
        let bytes = name.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'\r' || bytes[index] == b'\n' {
                return Err(Error::InvalidChar {
                    field: Field::Event,
                    found: bytes[index] as char,
                    index,
                });
            }
            index += 1;
        }
        Ok(EventType(name))
    }

    /// The name.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl sealed::Sealed for EventType {}
impl IntoEventType for EventType {
    type Output = Event;
    #[inline(always)]
    fn set_on(self, mut event: Event) -> Event {
        let name = put_str!(event.event, EVENT, Str::Static(self.0));
        debug_assert_eq!(find_break(name), None, "an EventType holds a break");
        event
    }
}
