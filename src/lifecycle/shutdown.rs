//! [`Shutdown`]: one signal that ends every open stream of a server, on any runtime.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Waker};
use std::sync::Mutex;

/// Ends every [`EventStream`](crate::EventStream) given one of its [`signal`](Shutdown::signal)s
/// with [`EventStream::until`](crate::EventStream::until), when [`trigger`](Shutdown::trigger)
/// is called: each stream sends what it has already taken from its inner stream, then its last
/// event if it has one, then ends its body. A server's graceful shutdown then completes
/// promptly, instead of waiting for streams that never end by themselves.
///
/// Runtime-agnostic: triggering wakes the streams through their wakers. Cloning is cheap: clones
/// share the signal.
///
/// ```
/// use futures_util::{stream, StreamExt};
/// use sse_wire::{Event, EventStream, Shutdown};
///
/// let shutdown = Shutdown::new();
/// let events = stream::iter([Event::new().data("a")]).chain(stream::pending());
/// let goodbye = Event::new().retry(std::time::Duration::from_secs(5));
/// let mut body = EventStream::new(events).until(shutdown.signal(), Some(goodbye));
/// futures_executor::block_on(async {
///     assert_eq!(body.next().await.unwrap().unwrap(), "data: a\n\n");
///     shutdown.trigger(); // on Ctrl-C, say
///     assert_eq!(body.next().await.unwrap().unwrap(), "retry: 5000\n\n");
///     assert!(body.next().await.is_none());
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    triggered: AtomicBool,
    /// The wakers of the streams waiting on the signal; `None` slots are free.
    wakers: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Shutdown {
    /// A signal not yet triggered.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// A handle for one stream.
    pub fn signal(&self) -> Signal {
        let mut slots = self.inner.lock();
        let key = match slots.free.pop() {
            Some(key) => key,
            None => {
                slots.wakers.push(None);
                slots.wakers.len() - 1
            }
        };
        Signal {
            inner: self.inner.clone(),
            key,
        }
    }

    /// Ends every stream holding a signal of this shutdown (and any given one later).
    pub fn trigger(&self) {
        self.inner.triggered.store(true, Ordering::Release);
        let wakers: Vec<Waker> = self
            .inner
            .lock()
            .wakers
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether [`trigger`](Shutdown::trigger) was called.
    pub fn is_triggered(&self) -> bool {
        self.inner.triggered.load(Ordering::Acquire)
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // Every change under the lock is one slot's: a panic elsewhere leaves it consistent.
        self.wakers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One stream's handle on a [`Shutdown`].
#[derive(Debug)]
pub struct Signal {
    inner: Arc<Inner>,
    key: usize,
}

impl Signal {
    /// Whether the shutdown was triggered (one atomic load, checked on every poll).
    #[inline]
    pub(crate) fn is_triggered(&self) -> bool {
        self.inner.triggered.load(Ordering::Acquire)
    }

    /// Has `cx`'s waker woken when the shutdown is triggered (for a stream about to wait);
    /// returns whether it was triggered meanwhile.
    pub(crate) fn register(&self, cx: &mut Context<'_>) -> bool {
        let mut slots = self.inner.lock();
        if let Some(slot) = slots.wakers.get_mut(self.key) {
            match slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
        }
        drop(slots);
        // Triggered while registering: the waker may have been missed.
        self.inner.triggered.load(Ordering::Acquire)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        let mut slots = self.inner.lock();
        if let Some(slot) = slots.wakers.get_mut(self.key) {
            *slot = None;
            slots.free.push(self.key);
        }
    }
}
