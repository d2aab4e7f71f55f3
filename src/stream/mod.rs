//! [`EventStream`]: a `Stream` of events in, a `Stream` of body chunks out.

mod chunk;

use crate::event::{Encoded, Event};
use crate::lifecycle::clock::{Clock, Due};
use crate::lifecycle::keep_alive::KeepAlive;
use crate::lifecycle::lifetime::Lifetime;
#[cfg(feature = "std")]
use crate::lifecycle::shutdown::Signal;
use crate::lifecycle::timer::Timer;
use bytes::Bytes;
use chunk::{Chunk, Message, Push};
use core::convert::Infallible;
use core::pin::Pin;
use core::task::{Context, Poll};
use futures_core::{FusedStream, Stream};

/// Without `std` there is no [`Shutdown`](crate::Shutdown): a stream cannot hold a signal.
#[cfg(not(feature = "std"))]
#[derive(Debug)]
enum Signal {}

#[cfg(not(feature = "std"))]
impl Signal {
    fn is_triggered(&self) -> bool {
        match *self {}
    }
    fn register(&self, _: &mut Context<'_>) -> bool {
        match *self {}
    }
}

/// Default largest chunk [`EventStream`] builds from events that are ready together: 16 KiB.
pub const DEFAULT_MAX_CHUNK: usize = 16 * 1024;

/// The largest value [`EventStream::max_chunk`] takes: 64 KiB. Larger values act as this one,
/// because the chunk buffer is allocated a chunk at a time: a cap of a gigabyte must not
/// reserve a gigabyte, and past 64 KiB bigger chunks no longer save writes that matter.
pub const MAX_CHUNK_LIMIT: usize = 64 * 1024;

pin_project_lite::pin_project! {
    /// Turns a [`Stream`] of events into a [`Stream`] of body chunks, `Result<Bytes, E>`.
    ///
    /// The items of the inner stream may be [`Event`], [`Encoded`] (already encoded, for
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
    pub struct EventStream<S>
    where
        S: Stream,
        S::Item: StreamItem,
    {
        #[pin]
        inner: S,
        // Keep-alive and lifetime, on one timer.
        clock: Clock,
        chunk: Chunk,
        // An item taken from `inner` that must wait for the next chunk.
        held: Held<S::Item>,
        // Ends the stream when triggered, with `on_shutdown` as its last chunk.
        shutdown: Option<Signal>,
        on_shutdown: Option<Bytes>,
        // The inner stream ended, the shutdown came or the age passed: no more items are taken
        // from the inner stream.
        done: bool,
        // The last chunk, once the stream ends for a shutdown or its age.
        farewell: Option<Bytes>,
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
            clock: Clock::new(),
            chunk: Chunk::new(DEFAULT_MAX_CHUNK),
            held: Held(None),
            shutdown: None,
            on_shutdown: None,
            done: false,
            farewell: None,
        }
    }

    /// Sets the largest chunk built from several ready events (default [`DEFAULT_MAX_CHUNK`]).
    ///
    /// Larger chunks mean fewer writes during bursts; smaller ones less memory per connection.
    /// `0` sends every event in a chunk of its own; values above [`MAX_CHUNK_LIMIT`] act as
    /// that limit. A small event larger than this is still sent in one chunk; large multi-line
    /// events are split into chunks of about this size. Between chunks the stream keeps no
    /// buffer larger than this, and while it waits for its next event it keeps none at all.
    pub fn max_chunk(mut self, bytes: usize) -> Self {
        self.chunk.max = bytes.min(MAX_CHUNK_LIMIT);
        self
    }

    /// Sends `keep_alive`'s comment whenever the stream has been silent for its period.
    ///
    /// ```
    /// # use core::{pin::Pin, task::{Context, Poll}, time::Duration};
    /// # use std::sync::atomic::{AtomicU64, Ordering};
    /// # /// A clock that moves on a minute at each read, so every deadline has passed.
    /// # struct Racing(AtomicU64);
    /// # impl sse_wire::Timer for Racing {
    /// #     fn now(&self) -> Duration { Duration::from_secs(self.0.fetch_add(60, Ordering::Relaxed)) }
    /// #     fn reset(self: Pin<&mut Self>, _: Duration) {}
    /// #     fn poll_expired(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> { Poll::Ready(()) }
    /// # }
    /// # let timer = Racing(AtomicU64::new(0));
    /// use futures_util::{stream, StreamExt};
    /// use sse_wire::{Event, EventStream, KeepAlive};
    ///
    /// // An inner stream that never yields, on a clock where each period has passed: a
    /// // keep-alive each time the body asks.
    /// let events = stream::pending::<Event>();
    /// let ka = KeepAlive::new(timer, Duration::from_secs(15));
    /// let mut body = EventStream::new(events).keep_alive(ka);
    /// futures_executor::block_on(async {
    ///     assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    ///     assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    /// });
    /// ```
    pub fn keep_alive<T: Timer + Send + Sync + 'static>(
        mut self,
        keep_alive: KeepAlive<T>,
    ) -> Self {
        self.clock.set_keep_alive(keep_alive);
        self
    }

    /// Ends the stream at `lifetime`'s age (see [`Lifetime`]): what was already taken from
    /// the inner stream is sent, then the lifetime's last event if it has one, then the stream
    /// ends. The age is checked at every poll and the timer wakes the stream when it passes,
    /// so a busy stream and an idle one both end on time.
    ///
    /// A stream runs one timer for its keep-alive and its lifetime, armed for whichever comes
    /// first: the one given with the first of the two; the other's is dropped.
    pub fn max_lifetime<T: Timer + Send + Sync + 'static>(mut self, lifetime: Lifetime<T>) -> Self {
        self.clock.set_lifetime(lifetime);
        self
    }

    /// Ends the stream when `signal`'s [`Shutdown`](crate::Shutdown) is triggered: what was
    /// already taken from the inner stream is sent, then `last` if given (for example an event
    /// with a `retry` that spreads out the reconnections), then the stream ends, so the body
    /// completes and the server's graceful shutdown does not wait for it.
    #[cfg(feature = "std")]
    pub fn until(mut self, signal: Signal, last: Option<Event>) -> Self {
        self.shutdown = Some(signal);
        self.on_shutdown = last.map(|event| event.to_bytes());
        self
    }

    /// The inner stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner stream, to change it in place (for example to add a subscription). Items
    /// already taken from it and not yet sent stay with the adapter.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner stream, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut S> {
        self.project().inner
    }

    /// Takes the inner stream back. Whatever the adapter had taken from it and not yet sent
    /// (at most one chunk and one item) is dropped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Stream for EventStream<S>
where
    S: Stream,
    S::Item: StreamItem,
{
    type Item = Result<Bytes, <S::Item as StreamItem>::Error>;

    /// One chunk, in named steps: end the stream if its shutdown came or its age passed; send
    /// a queued zero-copy payload; then offer items (the one held back first, then the inner
    /// stream's) to the chunk until it is full or the inner stream is pending, and send it. An
    /// idle stream releases its buffer and waits for its keep-alive.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        let chunk = this.chunk;
        if !*this.done {
            if let Some(last) = must_end(this.shutdown, this.on_shutdown, this.clock) {
                // Take no more items: send what is held, then the last chunk.
                *this.done = true;
                *this.farewell = last;
            }
        }
        if let Some(payload) = chunk.queued.take() {
            this.clock.sent = true;
            return Poll::Ready(Some(Ok(payload)));
        }
        while chunk.write_partial() {
            let offered = match this.held.take() {
                Some(item) => item.offer_held(chunk, this.held.slot()),
                // The last event, when the stream ends for a shutdown or its age.
                None if *this.done && chunk.is_empty() => {
                    return Poll::Ready(this.farewell.take().map(Ok))
                }
                None if *this.done => break,
                None => {
                    // The inner stream's result is looked at where it lies, and moved only to
                    // wait in `held`: a move per event would copy each event once more.
                    let mut polled = this.inner.as_mut().poll_next(cx);
                    let item = match &mut polled {
                        Poll::Ready(Some(item)) => item,
                        Poll::Ready(None) => {
                            *this.done = true;
                            continue;
                        }
                        Poll::Pending if chunk.is_empty() => {
                            if this.shutdown.as_ref().is_some_and(|s| s.register(cx)) {
                                // Triggered meanwhile.
                                *this.done = true;
                                *this.farewell = this.on_shutdown.take();
                                continue;
                            }
                            chunk.release(); // nothing to send: hold no buffer while waiting
                            match this.clock.poll_due(cx) {
                                Poll::Pending => return Poll::Pending,
                                Poll::Ready(Due::KeepAlive(frame)) => {
                                    return Poll::Ready(Some(Ok(frame)))
                                }
                                Poll::Ready(Due::End(last)) => {
                                    *this.done = true;
                                    *this.farewell = last;
                                    continue;
                                }
                            }
                        }
                        Poll::Pending => break,
                    };
                    match item.offer(chunk) {
                        Push::Wait => {
                            // It starts the next chunk, or it is an error: it waits in `held`,
                            // from where an error is passed on once nothing is buffered.
                            *this.held.slot() = ready(polled);
                            match chunk.is_empty() {
                                true => continue,
                                false => break,
                            }
                        }
                        push => Offered::from(push),
                    }
                }
            };
            match offered {
                Offered::Added => {}
                Offered::Full | Offered::Wait => break,
                Offered::Send(bytes) => {
                    this.clock.sent = true;
                    return Poll::Ready(Some(Ok(bytes)));
                }
                Offered::Failed(error) => {
                    this.clock.sent = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
        this.clock.sent = true;
        Poll::Ready(Some(Ok(chunk.take())))
    }
}

impl<S> core::fmt::Debug for EventStream<S>
where
    S: Stream,
    S::Item: StreamItem,
{
    /// The adapter's own state; the inner stream and timer need not be `Debug`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventStream")
            .field("max_chunk", &self.chunk.max)
            .field("keep_alive", &self.clock.keep_alive_period())
            .field("max_lifetime", &self.clock.max_lifetime())
            .field("holds_item", &self.held.is_some())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<S> FusedStream for EventStream<S>
where
    S: Stream,
    S::Item: StreamItem,
{
    fn is_terminated(&self) -> bool {
        self.done && !self.held.is_some() && self.chunk.is_done() && self.farewell.is_none()
    }
}

/// Where an item taken from the inner stream waits for the next chunk: boxed, and allocated the
/// first time an item has to wait, so that a stream that never holds one (one event at a time,
/// the common case of a long-lived, mostly idle stream) carries a pointer rather than an item.
/// Once allocated it is kept: a busy stream does not allocate per chunk.
struct Held<T>(Option<alloc::boxed::Box<Option<T>>>);

impl<T> Held<T> {
    /// The waiting item, if any; without moving the empty slot, which is nearly always empty
    /// (an item waits once per chunk at most).
    #[inline(always)]
    fn take(&mut self) -> Option<T> {
        match &mut self.0 {
            Some(slot) if slot.is_some() => slot.take(),
            _ => None,
        }
    }

    /// The slot, allocated on first use.
    fn slot(&mut self) -> &mut Option<T> {
        self.0.get_or_insert_with(|| alloc::boxed::Box::new(None))
    }

    fn is_some(&self) -> bool {
        self.0.as_ref().is_some_and(|slot| slot.is_some())
    }
}

/// The item of a `Poll` of the inner stream, if it was ready with one.
#[inline(always)]
fn ready<T>(poll: Poll<Option<T>>) -> Option<T> {
    match poll {
        Poll::Ready(item) => item,
        Poll::Pending => None,
    }
}

/// Whether the stream must end now, for its shutdown or its age, and if so with what last
/// chunk.
#[inline]
fn must_end(
    shutdown: &Option<Signal>,
    on_shutdown: &mut Option<Bytes>,
    clock: &mut Clock,
) -> Option<Option<Bytes>> {
    if shutdown.as_ref().is_some_and(Signal::is_triggered) {
        return Some(on_shutdown.take());
    }
    clock.age_passed()
}

mod sealed {
    use super::chunk::{Chunk, Push};
    use bytes::Bytes;

    /// What makes [`StreamItem`](super::StreamItem) sealed, and the adapter's view of an item.
    // Sealed on purpose: reachable through `StreamItem`, but not nameable outside the crate.
    #[allow(unnameable_types)]
    pub trait Sealed: Sized {
        /// The error the item may carry (`StreamItem::Error`).
        type Failure;

        /// Offers the item to `chunk` where it lies: its event or frame is encoded (or taken
        /// apart), or `Wait` if it starts the next chunk. An error is `Wait` too: it is passed
        /// on from `held`, by [`offer_held`](Sealed::offer_held).
        fn offer(&mut self, chunk: &mut Chunk) -> Push;

        /// Offers an item that waited in `held`: as [`offer`](Sealed::offer), except that an
        /// error is passed on if nothing is buffered before it. An item that must still wait
        /// is put back in `held`.
        fn offer_held(self, chunk: &mut Chunk, held: &mut Option<Self>) -> Offered<Self::Failure>;
    }

    /// What became of an item offered to the chunk.
    #[allow(unnameable_types, missing_debug_implementations)]
    pub enum Offered<E> {
        /// Added; the chunk can take more.
        Added,
        /// Added, with a payload queued: send the chunk now.
        Full,
        /// These bytes go out now.
        Send(Bytes),
        /// It starts the next chunk and waits in `held`: send this one first.
        Wait,
        /// An error to pass on now.
        Failed(E),
    }

    impl<E> From<Push> for Offered<E> {
        /// What the chunk did with an item's event or frame (`Wait`: the caller keeps the item
        /// in `held`).
        #[inline(always)]
        fn from(push: Push) -> Offered<E> {
            match push {
                Push::Added => Offered::Added,
                Push::Full => Offered::Full,
                Push::Send(bytes) => Offered::Send(bytes),
                Push::Wait => Offered::Wait,
            }
        }
    }
}

use sealed::{Offered, Sealed as _};

/// Offers `item` to the chunk, and puts it in `held` if it must wait for the next one.
fn offer_or_hold<I: sealed::Sealed>(
    mut item: I,
    chunk: &mut Chunk,
    held: &mut Option<I>,
) -> Offered<I::Failure> {
    let push = item.offer(chunk);
    if let Push::Wait = push {
        *held = Some(item);
    }
    push.into()
}

/// What an [`EventStream`] accepts as items: [`Event`], [`Encoded`], and `Result`s of either.
///
/// A stream of `Event`s or `Encoded`s cannot fail, so its error type is [`Infallible`]. With
/// `Result<Event, E>` items the output is `Result<Bytes, E>`, and each `Err` is passed on in
/// order. This trait is sealed: it cannot be implemented outside this crate.
pub trait StreamItem: sealed::Sealed<Failure = <Self as StreamItem>::Error> {
    /// The error the item may carry.
    type Error;
}

impl sealed::Sealed for Event {
    type Failure = Infallible;
    #[inline(always)]
    fn offer(&mut self, chunk: &mut Chunk) -> Push {
        chunk.push(Message::Event(self))
    }
    fn offer_held(self, chunk: &mut Chunk, held: &mut Option<Self>) -> Offered<Infallible> {
        offer_or_hold(self, chunk, held)
    }
}
impl StreamItem for Event {
    type Error = Infallible;
}

impl sealed::Sealed for Encoded {
    type Failure = Infallible;
    #[inline(always)]
    fn offer(&mut self, chunk: &mut Chunk) -> Push {
        chunk.push(Message::Encoded(self))
    }
    fn offer_held(self, chunk: &mut Chunk, held: &mut Option<Self>) -> Offered<Infallible> {
        offer_or_hold(self, chunk, held)
    }
}
impl StreamItem for Encoded {
    type Error = Infallible;
}

/// `Result<Event, E>` and `Result<Encoded, E>`: the event or frame as on its own, an error
/// passed on in order.
impl<T, E> sealed::Sealed for Result<T, E>
where
    T: StreamItem<Error = Infallible>,
{
    type Failure = E;
    #[inline(always)]
    fn offer(&mut self, chunk: &mut Chunk) -> Push {
        match self {
            Ok(item) => item.offer(chunk),
            Err(_) => Push::Wait,
        }
    }
    fn offer_held(self, chunk: &mut Chunk, held: &mut Option<Self>) -> Offered<E> {
        match self {
            Err(error) if chunk.is_empty() => Offered::Failed(error),
            item => offer_or_hold(item, chunk, held),
        }
    }
}
impl<T, E> StreamItem for Result<T, E>
where
    T: StreamItem<Error = Infallible>,
{
    type Error = E;
}
