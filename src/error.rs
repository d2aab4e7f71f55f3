//! The crate's one error type.
//!
//! Every way a caller's input can be refused has its own variant, and each variant names the
//! field it was found in and, where there is one, the offending character and its byte offset,
//! so that a log line says exactly what to fix.

use core::fmt;

/// The part of an event (or request) a value was meant for.
///
/// Used by [`Error`] to say where bad input was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The `data` field.
    Data,
    /// The `event` field (the event type).
    Event,
    /// The `id` field.
    Id,
    /// The `Last-Event-ID` request header.
    LastEventId,
}

impl Field {
    /// The name as it appears on the wire (`data`, `event`, `id`), or `Last-Event-ID` for the
    /// request header. (Comments and `retry` are never refused, so they have no variant.)
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Data => "data",
            Field::Event => "event",
            Field::Id => "id",
            Field::LastEventId => "Last-Event-ID",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a value was refused.
///
/// Nothing in this crate edits a caller's text to make it fit: a value that cannot be sent
/// exactly as given is refused with one of these, and nothing is written halfway.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The value contains a character the field cannot carry.
    ///
    /// CR (U+000D) or LF (U+000A) in `event` or `id` would end the line early, so the rest of
    /// the value would be read by clients as a new field (an injection). NUL (U+0000) in `id`
    /// makes conformant clients ignore the whole field (WHATWG HTML §9.2.6), so the id would
    /// silently not be set.
    #[error("{field} value contains {found:?} at byte {index}, which the field cannot carry")]
    InvalidChar {
        /// The field the value was meant for.
        field: Field,
        /// The refused character.
        found: char,
        /// The byte offset of `found` in the value.
        index: usize,
    },
    /// The bytes are not valid UTF-8. Event streams are always UTF-8 (WHATWG HTML §9.2.5);
    /// invalid bytes would reach clients as U+FFFD, so they are refused instead.
    #[error("{field} value is not valid UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// The field the value was meant for.
        field: Field,
        /// The length of the longest valid UTF-8 prefix.
        valid_up_to: usize,
    },
    /// The value is longer than the limit for the field.
    #[error("{field} value is {len} bytes long, more than the limit of {max}")]
    TooLong {
        /// The field the value was meant for.
        field: Field,
        /// The length of the value in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The value is not a decimal integer in range (for example a `Last-Event-ID` expected to
    /// be numeric).
    #[error("{field} value is not a decimal integer in range")]
    NotANumber {
        /// The field the value was meant for.
        field: Field,
    },
}
