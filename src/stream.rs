//! [`EventStream`]: a `Stream` of events in, a `Stream` of body chunks out.

use crate::encode::{line_len, put_line, split_line, DATA};
use crate::event::Event;
use crate::frame::Frame;
use crate::keep_alive::{KeepAlive, NoTicks};
use crate::text::Text;
use bytes::{BufMut, Bytes, BytesMut};
use core::convert::Infallible;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_core::{FusedStream, Stream};

/// Default largest chunk [`EventStream`] builds from events that are ready together: 16 KiB.
pub const DEFAULT_MAX_CHUNK: usize = 16 * 1024;

/// Events whose data, or frames whose bytes, are at least this long start a chunk of their own:
/// one-line data and frames are then sent sharing the caller's memory instead of being copied
/// into the chunk buffer; multi-line data is written line by line into bounded chunks.
const ZERO_COPY_MIN: usize = 4 * 1024;

pin_project_lite::pin_project! {
    /// Turns a [`Stream`] of events into a [`Stream`] of body chunks, `Result<Bytes, E>`.
    ///
    /// The items of the inner stream may be [`Event`], [`Frame`] (already encoded, for
    /// broadcasting), or `Result` of either; see [`StreamItem`]. The output is what every Rust
    /// HTTP server takes as a streaming body:
    ///
    /// * axum: `Body::from_stream(EventStream::new(events))`
    /// * actix-web: `HttpResponse::Ok().streaming(EventStream::new(events))`
    /// * hyper: `StreamBody::new(EventStream::new(events).map_ok(hyper::body::Frame::data))`
    ///   (one `map`, because hyper's body wants `http_body::Frame`s)
    /// * a raw socket: write each chunk as it comes.
    ///
    /// # Chunks
    ///
    /// When several events are ready at once, they are packed into one chunk, up to the
    /// [`max_chunk`](EventStream::max_chunk) size, and nothing waits for more: as soon as the
    /// inner stream returns `Pending`, what is buffered is yielded. So an event is never delayed,
    /// and a burst costs one write instead of one per event. Chunks only ever split the output
    /// *between* events, except for large events (below); the concatenated chunks are byte for
    /// byte the events encoded one by one. A small event larger than `max_chunk` gets a chunk of
    /// its own.
    ///
    /// Large events (data of 4 KiB or more) and large frames start a new chunk. One-line data and
    /// frames are then sent as chunks that share the caller's memory rather than copying it.
    /// Multi-line data is written line by line into chunks of up to `max_chunk` bytes (always
    /// whole lines), so an event of any size needs no buffer larger than a chunk (or its longest
    /// line), and nothing else is sent between its chunks.
    ///
    /// The chunk buffer is reused: once the body has written and dropped earlier chunks, their
    /// memory holds the next ones, so a long stream of small events allocates almost nothing.
    ///
    /// # Errors
    ///
    /// An `Err(e)` from the inner stream is yielded as `Err(e)`, in order: the events before it
    /// are yielded first. The adapter then goes on polling the inner stream; what happens to the
    /// response is the server's choice (axum, hyper and actix-web end the body on the first
    /// error). Encoding itself cannot fail: every [`Event`] was checked when it was built.
    ///
    /// # Backpressure and cancellation
    ///
    /// The adapter pulls from the inner stream only when polled, so a slow client slows the
    /// producer down instead of growing a buffer: at most one chunk is held. Dropping the
    /// adapter (the server does so when the client goes away) drops the inner stream.
    ///
    /// ```
    /// use futures_util::{stream, StreamExt};
    /// use sse_wire::{Event, EventStream};
    ///
    /// let events = stream::iter((1..=3u32).map(|n| Event::new().data(format!("Message {n}"))));
    /// let chunks: Vec<_> = futures_executor::block_on(EventStream::new(events).collect());
    /// // All three were ready together, so they went out as one chunk.
    /// assert_eq!(chunks.len(), 1);
    /// assert_eq!(
    ///     chunks[0].as_ref().unwrap(),
    ///     "data: Message 1\n\ndata: Message 2\n\ndata: Message 3\n\n"
    /// );
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub struct EventStream<S, K = NoTicks>
    where
        S: Stream,
        S::Item: StreamItem,
    {
        #[pin]
        inner: S,
        #[pin]
        ticks: Option<K>,
        keep_alive: Bytes,
        // The chunk being built. Invariant: holds only whole events, or the end of a
        // zero-copy event (its closing "\n\n") followed by whole events.
        buf: BytesMut,
        max_chunk: usize,
        // An item taken from `inner` that must wait until `buf` has been yielded.
        held: Option<S::Item>,
        // A zero-copy payload to yield right after the chunk just returned.
        queued: Option<Bytes>,
        // A large multi-line event being written out line by line, over several chunks.
        partial: Option<Partial>,
        // Whether anything was yielded since the last keep-alive tick.
        sent: bool,
        done: bool,
    }
}

impl<S> EventStream<S>
where
    S: Stream,
    S::Item: StreamItem,
{
    /// Wraps `inner`, with chunks of up to [`DEFAULT_MAX_CHUNK`] bytes and no keep-alive.
    pub fn new(inner: S) -> Self {
        EventStream {
            inner,
            ticks: None,
            keep_alive: Bytes::new(),
            buf: BytesMut::new(),
            max_chunk: DEFAULT_MAX_CHUNK,
            held: None,
            queued: None,
            partial: None,
            sent: false,
            done: false,
        }
    }
}

impl<S, K> EventStream<S, K>
where
    S: Stream,
    S::Item: StreamItem,
{
    /// Sets the largest chunk built from several ready events (default [`DEFAULT_MAX_CHUNK`]).
    ///
    /// Larger chunks mean fewer writes during bursts; smaller ones less memory per connection.
    /// `0` sends every event in a chunk of its own. A small event larger than this is still
    /// sent in one chunk; large multi-line events are split into chunks of about this size.
    pub fn max_chunk(mut self, bytes: usize) -> Self {
        self.max_chunk = bytes;
        self
    }

    /// Sends `keep_alive`'s comment whenever one of its ticks passes with nothing sent.
    ///
    /// ```
    /// use futures_util::{stream, StreamExt};
    /// use sse_wire::{Event, EventStream, KeepAlive};
    ///
    /// // An inner stream that never yields, and two ticks: two keep-alives.
    /// let events = stream::pending::<Event>();
    /// let ticks = stream::iter([(), ()]);
    /// let mut body = EventStream::new(events).keep_alive(KeepAlive::new(ticks));
    /// futures_executor::block_on(async {
    ///     assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    ///     assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    /// });
    /// ```
    pub fn keep_alive<T: Stream>(self, keep_alive: KeepAlive<T>) -> EventStream<S, T> {
        EventStream {
            inner: self.inner,
            ticks: Some(keep_alive.ticks),
            keep_alive: keep_alive.frame,
            buf: self.buf,
            max_chunk: self.max_chunk,
            held: self.held,
            queued: self.queued,
            partial: self.partial,
            sent: self.sent,
            done: self.done,
        }
    }

    /// The inner stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, K> Stream for EventStream<S, K>
where
    S: Stream,
    S::Item: StreamItem,
    K: Stream,
{
    type Item = Result<Bytes, <S::Item as StreamItem>::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if let Some(payload) = this.queued.take() {
            *this.sent = true;
            return Poll::Ready(Some(Ok(payload)));
        }
        let max_chunk = *this.max_chunk;
        loop {
            if let Some(partial) = this.partial.as_mut() {
                if !partial.write(this.buf, max_chunk) {
                    break; // the chunk is full; the event goes on in the next one
                }
                *this.partial = None;
            }
            // (`is_some` first: taking from an empty slot would still copy the whole item.)
            let next = if this.held.is_some() {
                this.held.take()
            } else if *this.done {
                None
            } else {
                match this.inner.as_mut().poll_next(cx) {
                    Poll::Ready(next) => next,
                    Poll::Pending if this.buf.is_empty() => {
                        return poll_keep_alive(this.ticks, this.keep_alive, this.sent, cx);
                    }
                    Poll::Pending => break,
                }
            };
            let Some(mut item) = next else {
                *this.done = true;
                if this.buf.is_empty() {
                    return Poll::Ready(None);
                }
                break;
            };
            // The item is encoded where it lies and only ever moved to wait in `held`: moving
            // an `Event` through the layers of `Option`, `Result` and a message enum copied it
            // several times, which cost more than encoding a small one.
            let Some(message) = item.message() else {
                // An error: passed on in order, after what is buffered.
                if !this.buf.is_empty() {
                    *this.held = Some(item);
                    break;
                }
                match item.into_error() {
                    Some(error) => {
                        *this.sent = true;
                        return Poll::Ready(Some(Err(error)));
                    }
                    None => continue, // not reached: an item without a message is an error
                }
            };

            // The bytes this item adds to the chunk buffer: all of it, only what goes around
            // the shared payload of a zero-copy item, or the head of a streamed one. For
            // multi-line data `len_bound` is an upper bound, found without scanning the data.
            let shape = message.shape();
            let need = match shape {
                Shape::Whole => message.len_bound(),
                Shape::ZeroCopy => message.len() - message.payload_len(),
                Shape::Streamed => max_chunk,
            };
            if this.buf.is_empty() && shape == Shape::Whole {
                // An empty buffer first gets up to a block of room, so that the bound fits.
                reserve(this.buf, need.min(max_chunk), max_chunk);
            }
            let room = this.buf.capacity() - this.buf.len();
            let fits = need <= room && this.buf.len() + need <= max_chunk;
            if fits && shape == Shape::Whole {
                // The common case: a small item that fits the chunk being built.
                message.encode_whole(this.buf);
                continue;
            }
            if !this.buf.is_empty() && (shape == Shape::Streamed || !fits) {
                // Multi-line data may fit even so: it is encoded into the room left, in one
                // scan, and taken back if it does not fit (measuring it first would scan it
                // twice).
                let budget = room.min(max_chunk.saturating_sub(this.buf.len()));
                if let (Shape::Whole, Message::Event(event)) = (shape, &message) {
                    if !event.data_is_one_line() && event.encode_within(this.buf, budget) {
                        continue;
                    }
                }
                // Starts a new chunk: send what is buffered first.
                *this.held = Some(item);
                break;
            }
            // An empty buffer is given room for what it must hold: for a whole item whose bound
            // is more than a block, the exact length, measured.
            let need = match shape {
                Shape::Whole => message.len(),
                _ => need,
            };
            reserve(this.buf, need, max_chunk);
            match (message, shape) {
                (message, Shape::Whole) => message.encode_whole(this.buf),
                (Message::Frame(frame), _) => {
                    // Sent right after whatever is buffered.
                    *this.queued = Some(frame.take_bytes());
                    if this.buf.is_empty() {
                        return Poll::Ready(this.queued.take().map(Ok));
                    }
                    break;
                }
                (Message::Event(event), Shape::ZeroCopy) => {
                    // Buffered events, this event's head and `data: ` make one chunk; the payload
                    // follows as it is; its closing "\n\n" opens the next chunk.
                    let payload = event.encode_zero_copy(this.buf);
                    let head = this.buf.split().freeze();
                    this.buf.put_slice(b"\n\n");
                    *this.queued = Some(payload);
                    *this.sent = true;
                    return Poll::Ready(Some(Ok(head)));
                }
                (Message::Event(event), Shape::Streamed) => {
                    // The head now; the data lines at the top of the loop, a chunk at a time.
                    event.put_head(this.buf);
                    *this.partial = event.data.take().map(|data| Partial { data, offset: 0 });
                }
            }
        }
        *this.sent = true;
        Poll::Ready(Some(Ok(this.buf.split().freeze())))
    }
}

impl<S, K> FusedStream for EventStream<S, K>
where
    S: Stream,
    S::Item: StreamItem,
    K: Stream,
{
    fn is_terminated(&self) -> bool {
        self.done
            && self.buf.is_empty()
            && self.held.is_none()
            && self.queued.is_none()
            && self.partial.is_none()
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
    /// Appends whole lines to `buf` while it has room within `max_chunk` (always at least one
    /// line), then the event's closing empty line once the last line is written. Returns
    /// whether the event is complete.
    fn write(&mut self, buf: &mut BytesMut, max_chunk: usize) -> bool {
        let data = self.data.as_bytes();
        let mut rest = &data[self.offset..];
        loop {
            let (line, next) = split_line(rest);
            let len = line_len(DATA, line) + 1; // and room for the closing empty line
            let room = buf.capacity() - buf.len();
            if !buf.is_empty() && (buf.len() + len > max_chunk || len > room) {
                self.offset = data.len() - rest.len();
                return false;
            }
            reserve(buf, len, max_chunk);
            put_line(buf, DATA, line);
            match next {
                Some(next) => rest = next,
                None => {
                    buf.put_u8(b'\n');
                    return true;
                }
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

/// Called when nothing is buffered and the inner stream is pending: yields the keep-alive
/// comment if a tick passed with nothing sent since the previous one.
fn poll_keep_alive<K: Stream, E>(
    mut ticks: Pin<&mut Option<K>>,
    keep_alive: &Bytes,
    sent: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Bytes, E>>> {
    while let Some(t) = ticks.as_mut().as_pin_mut() {
        match t.poll_next(cx) {
            Poll::Ready(Some(_)) if *sent => *sent = false,
            Poll::Ready(Some(_)) => return Poll::Ready(Some(Ok(keep_alive.clone()))),
            Poll::Ready(None) => ticks.set(None),
            Poll::Pending => break,
        }
    }
    Poll::Pending
}

mod sealed {
    pub trait Sealed {}
}

/// What an [`EventStream`] accepts as items: [`Event`], [`Frame`], and `Result`s of either.
///
/// A stream of `Event`s or `Frame`s cannot fail, so its error type is [`Infallible`]. With
/// `Result<Event, E>` items the output is `Result<Bytes, E>`, and each `Err` is passed on in
/// order. This trait is sealed: it cannot be implemented outside this crate.
pub trait StreamItem: sealed::Sealed {
    /// The error the item may carry.
    type Error;

    /// The event or frame, to be encoded (or taken apart) in place; `None` for an error.
    #[doc(hidden)]
    fn message(&mut self) -> Option<private::Message<'_>>;

    /// The error, if the item is one.
    #[doc(hidden)]
    fn into_error(self) -> Option<Self::Error>;
}

use private::Message;

mod private {
    use crate::{Event, Frame};
    use bytes::{BufMut, BytesMut};

    /// What an item holds, once its `Result` is unwrapped: borrowed, so that it is encoded
    /// where it lies.
    pub enum Message<'a> {
        Event(&'a mut Event),
        Frame(&'a mut Frame),
    }

    impl Message<'_> {
        #[inline]
        pub(super) fn len(&self) -> usize {
            match self {
                Message::Event(event) => event.encoded_len(),
                Message::Frame(frame) => frame.len(),
            }
        }

        /// At least `len`, found without scanning multi-line data.
        #[inline]
        pub(super) fn len_bound(&self) -> usize {
            match self {
                Message::Event(event) => event.encoded_len_bound(),
                Message::Frame(frame) => frame.len(),
            }
        }

        /// Bytes of the item that can be sent without copying (when `ZeroCopy`).
        #[inline]
        pub(super) fn payload_len(&self) -> usize {
            match self {
                Message::Event(event) => event.data.as_ref().map_or(0, |d| d.len()),
                Message::Frame(frame) => frame.len(),
            }
        }

        /// Appends the whole item to `buf`.
        #[inline]
        pub(super) fn encode_whole(&self, buf: &mut BytesMut) {
            match self {
                Message::Event(event) => event.encode_into(buf),
                Message::Frame(frame) => buf.put_slice(frame.as_bytes()),
            }
        }

        /// How the item goes out: large one-line data and large frames as they are; large
        /// multi-line data line by line; everything else encoded whole into the chunk.
        #[inline]
        pub(super) fn shape(&self) -> super::Shape {
            use super::{Shape, ZERO_COPY_MIN};
            match self {
                Message::Frame(frame) if frame.len() >= ZERO_COPY_MIN => Shape::ZeroCopy,
                Message::Event(event)
                    if event
                        .data
                        .as_ref()
                        .is_some_and(|d| d.len() >= ZERO_COPY_MIN) =>
                {
                    match event.data_is_one_line() {
                        true => Shape::ZeroCopy,
                        false => Shape::Streamed,
                    }
                }
                _ => Shape::Whole,
            }
        }
    }
}

/// See `Message::shape`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Whole,
    ZeroCopy,
    Streamed,
}

impl sealed::Sealed for Event {}
impl StreamItem for Event {
    type Error = Infallible;
    #[inline]
    fn message(&mut self) -> Option<Message<'_>> {
        Some(Message::Event(self))
    }
    fn into_error(self) -> Option<Infallible> {
        None
    }
}

impl sealed::Sealed for Frame {}
impl StreamItem for Frame {
    type Error = Infallible;
    #[inline]
    fn message(&mut self) -> Option<Message<'_>> {
        Some(Message::Frame(self))
    }
    fn into_error(self) -> Option<Infallible> {
        None
    }
}

impl<E> sealed::Sealed for Result<Event, E> {}
impl<E> StreamItem for Result<Event, E> {
    type Error = E;
    #[inline]
    fn message(&mut self) -> Option<Message<'_>> {
        self.as_mut().ok().map(Message::Event)
    }
    fn into_error(self) -> Option<E> {
        self.err()
    }
}

impl<E> sealed::Sealed for Result<Frame, E> {}
impl<E> StreamItem for Result<Frame, E> {
    type Error = E;
    #[inline]
    fn message(&mut self) -> Option<Message<'_>> {
        self.as_mut().ok().map(Message::Frame)
    }
    fn into_error(self) -> Option<E> {
        self.err()
    }
}
