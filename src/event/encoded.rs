//! [`Encoded`]: events already encoded, to be sent as they are.
//!
//! Not called `Frame`, which hyper users import from `http_body` in the same files.

use super::Event;
use bytes::{Bytes, BytesMut};

/// One or more events, already encoded: complete, well-formed event stream bytes.
///
/// An `Encoded` can only be made by encoding [`Event`]s, so it always ends with the empty line that
/// closes an event and never holds half of one. That makes it safe to send as it is, to any
/// number of clients, interleaved with other encoded events. Cloning is a reference-count bump.
///
/// Use it to encode once and broadcast: encode each event when it happens, hand clones of the
/// bytes to every subscriber, and let each subscriber's [`EventStream`](crate::EventStream) send
/// it. Nothing is encoded or copied per client for encoded events of 4 KiB and more; smaller ones are
/// copied into that client's current chunk, which is cheaper than a body frame of their own.
///
/// ```
/// use sse_wire::{Event, Encoded};
///
/// let frame = Encoded::from(Event::new().data("tick"));
/// let copy = frame.clone();
/// assert_eq!(copy.as_bytes(), "data: tick\n\n");
/// assert_eq!(copy.as_bytes().as_ptr(), frame.as_bytes().as_ptr());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Encoded(Bytes);

impl Encoded {
    /// Encodes several events into one value, in order, in one allocation.
    ///
    /// ```
    /// use sse_wire::{Event, Encoded};
    /// let frame = Encoded::from_events(&[Event::new().data("a"), Event::new().data("b")]);
    /// assert_eq!(frame.as_bytes(), "data: a\n\ndata: b\n\n");
    /// ```
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event> + Clone) -> Encoded {
        let len = events.clone().into_iter().map(Event::encoded_len).sum();
        let mut buf = BytesMut::with_capacity(len);
        for event in events {
            event.encode_into(&mut buf);
        }
        Encoded(buf.freeze())
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Bytes the caller has checked are whole events, each ending with its empty line.
    #[cfg(feature = "redis")]
    pub(crate) fn from_trusted(bytes: Bytes) -> Encoded {
        debug_assert!(bytes.ends_with(b"\n\n") || &bytes[..] == b"\n");
        Encoded(bytes)
    }

    /// Takes the bytes out, leaving `self` empty.
    pub(crate) fn take_bytes(&mut self) -> Bytes {
        core::mem::take(&mut self.0)
    }

    /// The encoded bytes, by value.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` for no events (only [`Encoded::from_events`] with no events makes one).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Event> for Encoded {
    fn from(event: Event) -> Encoded {
        Encoded(event.to_bytes())
    }
}

impl From<&Event> for Encoded {
    fn from(event: &Event) -> Encoded {
        Encoded(event.to_bytes())
    }
}

impl From<Encoded> for Bytes {
    fn from(frame: Encoded) -> Bytes {
        frame.0
    }
}

impl AsRef<[u8]> for Encoded {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
