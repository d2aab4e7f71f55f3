//! [`EventStream`]: a `Stream` of events in, a `Stream` of body chunks out.

use crate::chunk::{Chunk, Message, Push};
use crate::event::Event;
use crate::frame::Frame;
use crate::keep_alive::{KeepAlive, NoTicks};
use bytes::Bytes;
use core::convert::Infallible;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_core::{FusedStream, Stream};

/// Default largest chunk [`EventStream`] builds from events that are ready together: 16 KiB.
pub const DEFAULT_MAX_CHUNK: usize = 16 * 1024;

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
        chunk: Chunk,
        // An item taken from `inner` that must wait for the next chunk.
        held: Option<S::Item>,
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
            chunk: Chunk::new(DEFAULT_MAX_CHUNK),
            held: None,
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
        self.chunk.max = bytes;
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
            chunk: self.chunk,
            held: self.held,
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
        let chunk = this.chunk;
        if let Some(payload) = chunk.queued.take() {
            *this.sent = true;
            return Poll::Ready(Some(Ok(payload)));
        }
        // Items are looked at where they lie (in `held`, or where the inner stream put them)
        // and only moved to wait in `held`.
        while chunk.write_partial() {
            let push = match this.held.as_mut() {
                Some(item) => match offer(chunk, item) {
                    Some(Push::Wait) => Push::Wait,
                    Some(push) => {
                        *this.held = None;
                        push
                    }
                    None => match fail(this.held.take(), this.sent) {
                        Some(error) => return error,
                        None => continue, // not reached: an item without a message is an error
                    },
                },
                None if *this.done && chunk.is_empty() => return Poll::Ready(None),
                None if *this.done => break,
                None => {
                    // A binding of its own, which the inner stream's result is written into
                    // directly: assigned to a slot declared before, it was written elsewhere
                    // and copied there, and every load of that copy waited for the stores
                    // that had just written the event (they cannot be forwarded).
                    let mut polled = this.inner.as_mut().poll_next(cx);
                    let item = match &mut polled {
                        Poll::Ready(Some(item)) => item,
                        Poll::Ready(None) => {
                            *this.done = true;
                            continue;
                        }
                        Poll::Pending if chunk.is_empty() => {
                            return poll_keep_alive(this.ticks, this.keep_alive, this.sent, cx);
                        }
                        Poll::Pending => break,
                    };
                    match offer(chunk, item) {
                        Some(Push::Wait) => {
                            *this.held = ready(polled);
                            Push::Wait
                        }
                        Some(push) => push,
                        None => match fail(ready(polled), this.sent) {
                            Some(error) => return error,
                            None => continue, // not reached, as above
                        },
                    }
                }
            };
            match push {
                Push::Added => {}
                Push::Full | Push::Wait => break,
                Push::Send(bytes) => {
                    *this.sent = true;
                    return Poll::Ready(Some(Ok(bytes)));
                }
            }
        }
        *this.sent = true;
        Poll::Ready(Some(Ok(chunk.take())))
    }
}

impl<S, K> FusedStream for EventStream<S, K>
where
    S: Stream,
    S::Item: StreamItem,
    K: Stream,
{
    fn is_terminated(&self) -> bool {
        self.done && self.held.is_none() && self.chunk.is_done()
    }
}

/// Offers `item` to the chunk: what the chunk did with its event or frame, `Wait` for an error
/// while something is buffered (it is passed on after that), or `None` for an error to pass on
/// now.
#[inline(always)]
fn offer<I: StreamItem>(chunk: &mut Chunk, item: &mut I) -> Option<Push> {
    match item.message() {
        Some(message) => Some(chunk.push(message)),
        None if !chunk.is_empty() => Some(Push::Wait),
        None => None,
    }
}

/// What [`EventStream`]'s `poll_next` returns, for an inner stream whose error is `E`.
type Polled<E> = Poll<Option<Result<Bytes, E>>>;

/// Passes on the error `item` holds (`None` if it holds none, which `offer` rules out).
fn fail<I: StreamItem>(item: Option<I>, sent: &mut bool) -> Option<Polled<I::Error>> {
    let error = item.and_then(StreamItem::into_error)?;
    *sent = true;
    Some(Poll::Ready(Some(Err(error))))
}

/// The item of a `Poll` of the inner stream, if it was ready with one.
fn ready<T>(poll: Poll<Option<T>>) -> Option<T> {
    match poll {
        Poll::Ready(item) => item,
        Poll::Pending => None,
    }
}

/// Called when nothing is buffered and the inner stream is pending: yields the keep-alive
/// comment if a tick passed with nothing sent since the previous one.
fn poll_keep_alive<K: Stream, E>(
    mut ticks: Pin<&mut Option<K>>,
    keep_alive: &Bytes,
    sent: &mut bool,
    cx: &mut Context<'_>,
) -> Polled<E> {
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
    fn message(&mut self) -> Option<Message<'_>>;

    /// The error, if the item is one.
    #[doc(hidden)]
    fn into_error(self) -> Option<Self::Error>;
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
