//! [`WriteTimeout`]: a connection whose client has stopped reading fails its writes, so the
//! server drops it, with its stream, instead of holding them forever.

use super::timer::Timer;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;
use std::io;

pin_project_lite::pin_project! {
    /// Wraps a connection's I/O so that a write (or flush, or shutdown) that has made no
    /// progress for `timeout` fails with [`io::ErrorKind::TimedOut`].
    ///
    /// # Why at the connection and not in the body
    ///
    /// A client that stops reading (a stalled tab, a frozen proxy) fills the socket's send
    /// buffer; from then on the server waits to write and no longer polls the response body, so
    /// nothing inside the body, not even a timer, runs again. The write is the only thing still
    /// pending, so that is where the timeout goes: when it fails, the server closes the
    /// connection and drops the body, the [`EventStream`](crate::EventStream) and whatever it
    /// holds (a [`Subscription`](crate::Subscription), a channel its producer waits on).
    ///
    /// A slow client is not a stalled one: any write that moves bytes, however few, starts the
    /// timeout over. Reads pass through untouched. Progress is what the operating system
    /// reports: a full socket counts as writable again only once a good part of its send
    /// buffer has drained (on Linux, a third or so), so pick a timeout well above that buffer's
    /// size divided by the slowest reading rate you accept: seconds, for megabytes of buffer.
    ///
    /// On HTTP/2 one stalled stream does not stall the connection (flow control holds it back,
    /// not the socket), so this catches a client whose whole connection stopped reading.
    ///
    /// # Use
    ///
    /// With the `tokio` feature it is tokio's `AsyncRead` + `AsyncWrite`, so it goes where a
    /// `TcpStream` goes: in hyper, `TokioIo::new(WriteTimeout::new(tcp, TokioTimer::new(),
    /// timeout))`; in axum, as the `Io` of a `Listener` handed to `axum::serve` (actix-web's
    /// `HttpServer` has no place to wrap a connection). For another runtime's I/O traits,
    /// [`watch`](WriteTimeout::watch) does the work: each write method calls it with the inner
    /// call.
    ///
    /// ```
    /// # #[cfg(feature = "tokio")]
    /// # async fn serve(tcp: tokio::net::TcpStream) {
    /// use std::time::Duration;
    /// use sse_wire::{TokioTimer, WriteTimeout};
    ///
    /// // A connection that fails once its client has taken nothing for 30 seconds.
    /// let io = WriteTimeout::new(tcp, TokioTimer::new(), Duration::from_secs(30));
    /// # let _ = io;
    /// # }
    /// ```
    #[derive(Debug)]
    pub struct WriteTimeout<IO, T> {
        #[pin]
        io: IO,
        #[pin]
        timer: T,
        timeout: Duration,
        // The timer is set for the write that is pending now; cleared by any progress.
        armed: bool,
    }
}

impl<IO, T: Timer> WriteTimeout<IO, T> {
    /// `io`, whose writes fail after `timeout` without progress, timed by `timer`.
    pub fn new(io: IO, timer: T, timeout: Duration) -> Self {
        WriteTimeout {
            io,
            timer,
            timeout,
            armed: false,
        }
    }

    /// The timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The wrapped I/O.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The wrapped I/O, to use in place.
    pub fn get_mut(&mut self) -> &mut IO {
        &mut self.io
    }

    /// The wrapped I/O, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut IO> {
        self.project().io
    }

    /// Takes the wrapped I/O back.
    pub fn into_inner(self) -> IO {
        self.io
    }

    /// Runs one write-side call of the inner I/O (`write`, `flush`, `shutdown`) under the
    /// timeout: its result if it is ready, otherwise pending until it becomes ready or until
    /// it has been pending for `timeout` since the last progress, when it is
    /// `Err(TimedOut)`.
    ///
    /// The timer is set once when a wait begins, not at every poll, and any ready result
    /// (progress or error) ends the wait.
    pub fn watch<R>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        call: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let mut this = self.project();
        if let Poll::Ready(result) = call(this.io, cx) {
            *this.armed = false;
            return Poll::Ready(result);
        }
        if !*this.armed {
            let deadline = this.timer.now().saturating_add(*this.timeout);
            this.timer.as_mut().reset(deadline);
            *this.armed = true;
        }
        match this.timer.poll_expired(cx) {
            Poll::Ready(()) => {
                *this.armed = false;
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client took nothing for the write timeout",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(feature = "tokio")]
mod tokio_io {
    use super::WriteTimeout;
    use crate::lifecycle::timer::Timer;
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use std::io;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    impl<IO: AsyncRead, T> AsyncRead for WriteTimeout<IO, T> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.project().io.poll_read(cx, buf)
        }
    }

    impl<IO: AsyncWrite, T: Timer> AsyncWrite for WriteTimeout<IO, T> {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.watch(cx, |io, cx| io.poll_write(cx, buf))
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.watch(cx, |io, cx| io.poll_write_vectored(cx, bufs))
        }

        fn is_write_vectored(&self) -> bool {
            self.get_ref().is_write_vectored()
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.watch(cx, |io, cx| io.poll_flush(cx))
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.watch(cx, |io, cx| io.poll_shutdown(cx))
        }
    }
}
