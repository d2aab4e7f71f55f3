//! [`Chunk`]: how [`EventStream`](crate::EventStream) packs events into body chunks.

use crate::event::wire::{line_len, put_field, split_line, DATA, DATA_JOIN};
use crate::event::{Encoded, Event};
use crate::text::Text;
use bytes::{BufMut, Bytes, BytesMut};

/// Events whose data, or frames whose bytes, are at least this long start a chunk of their own:
/// one-line data and frames are then sent sharing the caller's memory instead of being copied
/// into the chunk buffer; multi-line data is written line by line into bounded chunks.
const ZERO_COPY_MIN: usize = 4 * 1024;

/// The length of the `data:` line of [`ZERO_COPY_MIN`] bytes of one-line data.
const ZERO_COPY_MIN_LINE: usize = line_len(DATA, &[b'x'; ZERO_COPY_MIN]);

/// An item of the inner stream, once its `Result` is unwrapped: borrowed, so that it is encoded
/// where it lies. (Moving an `Event` through the layers of `Option`, `Result` and an enum of
/// its own copied it several times, which cost more than encoding a small one.)
// Reachable only through the sealed supertrait of `StreamItem`, so not nameable outside the
// crate, on purpose.
#[allow(unnameable_types)]
#[derive(Debug)]
pub enum Message<'a> {
    /// An event, to encode.
    Event(&'a mut Event),
    /// Bytes already encoded.
    Encoded(&'a mut Encoded),
}

/// The chunk being built, and what must follow it.
// Reachable only through the sealed supertrait of `StreamItem`, like `Message`.
#[allow(unnameable_types, missing_debug_implementations)]
pub struct Chunk {
    /// Invariant: holds only whole events, or the end of a zero-copy event (its closing "\n\n")
    /// followed by whole events.
    buf: BytesMut,
    /// The largest chunk built from several items.
    pub(crate) max: usize,
    /// A zero-copy payload to yield right after the chunk just returned.
    pub(crate) queued: Option<Bytes>,
    /// A large multi-line event being written out line by line, over several chunks.
    partial: Option<Partial>,
    /// The buffer was released while the stream waited: the next block is a small one, since
    /// an event after a wait usually goes out alone (a burst moves on to full blocks).
    after_wait: bool,
}

/// The block a chunk starts with after a wait.
const SMALL_BLOCK: usize = 512;

/// What [`Chunk::push`] did with an item.
// Reachable only through the sealed supertrait of `StreamItem`, like `Message`.
#[allow(unnameable_types, missing_debug_implementations)]
pub enum Push {
    /// Added it; the chunk can take more.
    Added,
    /// Added it, and queued its payload: send the chunk now, then the payload.
    Full,
    /// Left it alone: it starts the next chunk, so send this one first.
    Wait,
    /// Took it: these bytes go out now (they start with whatever was buffered before it).
    Send(Bytes),
}

/// How an item goes out, with the item; see [`Message::into_shape`].
enum Shape<'a> {
    /// Encoded whole into the chunk.
    Whole(Message<'a>),
    /// Large one-line data or a large frame, sent as it is.
    ZeroCopy(Message<'a>),
    /// Large multi-line data (only events have lines), written line by line.
    Streamed(&'a mut Event),
}

impl Chunk {
    pub(crate) fn new(max: usize) -> Chunk {
        Chunk {
            buf: BytesMut::new(),
            max,
            queued: None,
            partial: None,
            after_wait: false,
        }
    }

    /// Nothing is buffered or still to be written.
    pub(crate) fn is_done(&self) -> bool {
        self.buf.is_empty() && self.queued.is_none() && self.partial.is_none()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The chunk built so far; the buffer starts the next one. A buffer that grew past `max`
    /// for one large item is not kept for the next chunk, so that between chunks the stream
    /// never holds more than `max` bytes of buffer.
    pub(crate) fn take(&mut self) -> Bytes {
        let oversized = self.buf.capacity() > self.max;
        let chunk = self.buf.split().freeze();
        if oversized {
            self.buf = BytesMut::new();
        }
        chunk
    }

    /// Lets go of the buffer's block (freed once the body drops the chunks cut from it), so
    /// that a stream waiting for its next event holds no buffer at all.
    pub(crate) fn release(&mut self) {
        debug_assert!(self.buf.is_empty(), "released a buffer holding bytes");
        if self.buf.capacity() != 0 {
            self.buf = BytesMut::new();
        }
        self.after_wait = true;
    }

    /// Goes on writing a large event begun in an earlier chunk; returns whether it is done
    /// (or there was none), so the chunk can take more.
    #[inline]
    pub(crate) fn write_partial(&mut self) -> bool {
        self.partial.is_none() || self.continue_partial()
    }

    #[cold]
    fn continue_partial(&mut self) -> bool {
        let Some(partial) = &mut self.partial else {
            return true;
        };
        if !partial.write(&mut self.buf, self.max) {
            return false; // the chunk is full; the event goes on in the next one
        }
        self.partial = None;
        true
    }

    /// Adds an item to the chunk, if it belongs in it.
    ///
    /// Small items are encoded into the buffer while it stays within `max`; nothing waits for
    /// more. Large items (see [`ZERO_COPY_MIN`]) start a chunk of their own: one-line data and
    /// frames are sent sharing the caller's memory, multi-line data line by line.
    #[inline(always)]
    pub(crate) fn push(&mut self, message: Message<'_>) -> Push {
        // The common case, kept small so that it inlines into the caller's loop: a small item
        // whose length (or, for multi-line data, its bound, found without a scan) fits the room
        // left in the chunk.
        let shape = message.into_shape();
        if let Shape::Whole(message) = &shape {
            if self.fits(message.len_bound()) {
                message.encode_whole(&mut self.buf);
                return Push::Added;
            }
        }
        self.push_other(shape)
    }

    /// Whether `need` more bytes fit both the buffer's room and `max`.
    #[inline(always)]
    fn fits(&self, need: usize) -> bool {
        let len = self.buf.len();
        need <= self.buf.capacity() - len && len + need <= self.max
    }

    /// [`push`](Self::push), for whatever the common case does not cover:
    ///
    /// | shape     | buffer    | what happens                                                |
    /// |-----------|-----------|-------------------------------------------------------------|
    /// | whole     | empty     | [`start_whole`](Self::start_whole): `Added`                 |
    /// | whole     | not empty | [`fill_rest`](Self::fill_rest): `Added` or `Wait`           |
    /// | zero-copy | either    | [`zero_copy`](Self::zero_copy): `Send`, `Full` or `Wait`    |
    /// | streamed  | empty     | [`start_streamed`](Self::start_streamed): `Added`           |
    /// | streamed  | not empty | `Wait`: it starts the next chunk                            |
    #[inline(never)]
    fn push_other(&mut self, shape: Shape<'_>) -> Push {
        match (shape, self.buf.is_empty()) {
            (Shape::Whole(message), true) => self.start_whole(message),
            (Shape::Whole(message), false) => self.fill_rest(message),
            (Shape::ZeroCopy(message), _) => self.zero_copy(message),
            (Shape::Streamed(event), true) => self.start_streamed(event),
            (Shape::Streamed(_), false) => Push::Wait,
        }
    }

    /// A whole item into an empty buffer, which takes any: room for its bound in a block (a
    /// small block after a wait), or, for an item whose bound is more than `max`, room for its
    /// exact length, measured.
    fn start_whole(&mut self, message: Message<'_>) -> Push {
        let bound = message.len_bound();
        let block = match core::mem::take(&mut self.after_wait) {
            true => SMALL_BLOCK.min(self.max),
            false => self.max,
        };
        match bound <= self.max {
            true => reserve(&mut self.buf, bound, block),
            false => reserve(&mut self.buf, message.len(), self.max),
        }
        message.encode_whole(&mut self.buf);
        Push::Added
    }

    /// A whole item whose bound does not fit the room left (else `push` took it). Multi-line
    /// data may fit even so, since its bound is above its length: it is encoded into the room
    /// in one scan and taken back if it does not fit (measuring it first would scan it twice).
    /// Anything else waits for the next chunk.
    fn fill_rest(&mut self, message: Message<'_>) -> Push {
        let room = self.buf.capacity() - self.buf.len();
        let budget = room.min(self.max.saturating_sub(self.buf.len()));
        match message {
            Message::Event(event)
                if !event.data_is_one_line() && event.encode_within(&mut self.buf, budget) =>
            {
                Push::Added
            }
            _ => Push::Wait,
        }
    }

    /// Large one-line data or a large frame, sent as it is right after whatever is buffered,
    /// when the bytes that go around it fit the room left (they always do in an empty buffer);
    /// otherwise it waits for the next chunk.
    fn zero_copy(&mut self, message: Message<'_>) -> Push {
        let around = message.len() - message.payload_len();
        if !self.buf.is_empty() && !self.fits(around) {
            return Push::Wait;
        }
        reserve(&mut self.buf, around, self.max);
        match message {
            Message::Encoded(frame) if self.buf.is_empty() => Push::Send(frame.take_bytes()),
            Message::Encoded(frame) => {
                self.queued = Some(frame.take_bytes());
                Push::Full
            }
            Message::Event(event) => {
                // Buffered events, this event's head and `data: ` make one chunk; the payload
                // follows as it is; its closing "\n\n" opens the next chunk.
                let payload = event.encode_zero_copy(&mut self.buf);
                let head = self.take();
                self.buf.put_slice(b"\n\n");
                self.queued = Some(payload);
                Push::Send(head)
            }
        }
    }

    /// Large multi-line data into an empty buffer: the head now, the data lines in
    /// `write_partial`, a chunk at a time.
    fn start_streamed(&mut self, event: &mut Event) -> Push {
        reserve(&mut self.buf, self.max, self.max);
        event.put_head(&mut self.buf);
        self.partial = event.data.take().map(|data| Partial { data, offset: 0 });
        Push::Added
    }
}

impl Message<'_> {
    #[inline]
    fn len(&self) -> usize {
        match self {
            Message::Event(event) => event.encoded_len(),
            Message::Encoded(frame) => frame.len(),
        }
    }

    /// At least `len`, found without scanning multi-line data.
    #[inline]
    fn len_bound(&self) -> usize {
        match self {
            Message::Event(event) => event.encoded_len_bound(),
            Message::Encoded(frame) => frame.len(),
        }
    }

    /// Bytes of the item that can be sent without copying (when `ZeroCopy`).
    #[inline]
    fn payload_len(&self) -> usize {
        match self {
            Message::Event(event) => event.data.as_ref().map_or(0, |d| d.len()),
            Message::Encoded(frame) => frame.len(),
        }
    }

    /// Appends the whole item to `buf`.
    #[inline]
    fn encode_whole(&self, buf: &mut BytesMut) {
        match self {
            Message::Event(event) => event.encode_into(buf),
            Message::Encoded(frame) => buf.put_slice(frame.as_bytes()),
        }
    }
}

impl<'a> Message<'a> {
    /// How the item goes out: large one-line data and large frames as they are; large
    /// multi-line data line by line; everything else encoded whole into the chunk.
    #[inline(always)]
    fn into_shape(self) -> Shape<'a> {
        match self {
            Message::Encoded(frame) if frame.len() >= ZERO_COPY_MIN => {
                Shape::ZeroCopy(Message::Encoded(frame))
            }
            // One-line data, the common case, is measured by its line's length, known since it
            // was set: the text itself (behind a pointer, in one of several forms) is not read.
            Message::Event(event) if event.data_is_one_line() => {
                match event.one_line_len >= ZERO_COPY_MIN_LINE {
                    true => Shape::ZeroCopy(Message::Event(event)),
                    false => Shape::Whole(Message::Event(event)),
                }
            }
            Message::Event(event)
                if event
                    .data
                    .as_ref()
                    .is_some_and(|d| d.len() >= ZERO_COPY_MIN) =>
            {
                Shape::Streamed(event)
            }
            message => Shape::Whole(message),
        }
    }
}

/// The data of a large multi-line event, being written out line by line: whole `data:` lines
/// into each chunk until it is full, so even a huge event needs no buffer larger than a chunk
/// (or its longest line) and is never measured in advance.
struct Partial {
    data: Text,
    /// Where the next line starts.
    offset: usize,
}

impl Partial {
    /// Appends whole lines to `buf` while its block has room for them within `max_chunk` (an
    /// empty chunk takes at least one line, growing for it if need be), then the event's
    /// closing empty line once the last line is written. Returns whether the event is complete.
    // Its own function (the line loop of large events), not inlined into the cold caller,
    // which would compile it for size.
    #[inline(never)]
    fn write(&mut self, buf: &mut BytesMut, max_chunk: usize) -> bool {
        let data = self.data.as_bytes();
        let rest = &data[self.offset..];
        if buf.is_empty() {
            reserve(buf, max_chunk, max_chunk);
        }
        // The lines that fit in the block and within `max_chunk`, leaving a byte for the
        // closing empty line.
        let budget = buf.capacity().min(max_chunk).saturating_sub(buf.len() + 1);
        let written = match put_field(buf, DATA_JOIN, rest, budget) {
            // Nothing written into an empty chunk: the first line is longer than the budget.
            // An empty chunk takes it whatever its length, alone, given the room for it (the
            // line is then scanned twice, once per try).
            Err(_) if buf.is_empty() => {
                let first = line_len(DATA, split_line(rest).0);
                reserve(buf, first + 1, max_chunk);
                put_field(buf, DATA_JOIN, rest, first)
            }
            written => written,
        };
        match written {
            Ok(()) => {
                buf.put_u8(b'\n');
                true
            }
            Err(rest) => {
                self.offset = data.len() - rest.len();
                false
            }
        }
    }
}

/// Makes room for `additional` bytes in the chunk buffer. An empty buffer reuses its block if
/// every chunk cut from it has been dropped, or starts a block of `max(additional, block)`
/// bytes. A buffer that holds bytes is only ever grown, never replaced (callers send what is
/// buffered first when it lacks room, so this does not happen on their paths).
#[inline]
fn reserve(buf: &mut BytesMut, additional: usize, block: usize) {
    if buf.capacity() - buf.len() < additional {
        grow(buf, additional, block);
    }
}

#[cold]
fn grow(buf: &mut BytesMut, additional: usize, block: usize) {
    if !buf.is_empty() {
        buf.reserve(additional);
    } else if !buf.try_reclaim(additional.max(block)) {
        *buf = BytesMut::with_capacity(additional.max(block));
    }
}
