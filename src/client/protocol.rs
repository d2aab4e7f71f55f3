//! [`Protocol`]: an `EventSource`'s processing model with no I/O, for any runtime and any HTTP
//! client to drive.

use crate::decode::{DecodeError, Decoder, Limits, MessageEvent};
use alloc::string::String;
use bytes::Bytes;
use core::time::Duration;

/// Where the source stands: `EventSource.readyState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyState {
    /// Before a response opens the stream, and while waiting to reconnect.
    Connecting,
    /// A `200` with `Content-Type: text/event-stream` is being read.
    Open,
    /// Failed or given up: no further request.
    Closed,
}

/// How a source reconnects. The defaults are the standard's: the reconnection time starts at
/// [`ClientConfig::DEFAULT_RETRY`] until the server sets one with `retry:`, every end of a body
/// and every network error reconnects, forever, and any status but `200` (or a content type
/// other than `text/event-stream`) fails the source for good. The rest is opt-in.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    retry: Duration,
    backoff: Option<Duration>,
    max_attempts: Option<u32>,
    retry_statuses: bool,
    limits: Limits,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            retry: ClientConfig::DEFAULT_RETRY,
            backoff: None,
            max_attempts: None,
            retry_statuses: false,
            limits: Limits::default(),
        }
    }
}

impl ClientConfig {
    /// The reconnection time before the server sets one: 3 s, as in Chromium.
    pub const DEFAULT_RETRY: Duration = Duration::from_secs(3);

    /// The reconnection time until the server sends `retry:`.
    pub fn retry(mut self, initial: Duration) -> Self {
        self.retry = initial;
        self
    }

    /// Exponential backoff, beyond the standard: after each attempt in a row that failed (no
    /// event received), the wait doubles from the reconnection time, up to `max`, with half
    /// of it drawn at random so that many clients do not come back at once. A connection that
    /// delivers an event resets it.
    pub fn backoff(mut self, max: Duration) -> Self {
        self.backoff = Some(max);
        self
    }

    /// Gives up after `attempts` connection attempts in a row that failed (no event received),
    /// beyond the standard, which retries forever. The first connection counts.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Reconnects after a `5xx`, `408` or `429` response instead of failing, beyond the
    /// standard (which fails on any status but `200`).
    pub fn retry_on_server_errors(mut self, retry: bool) -> Self {
        self.retry_statuses = retry;
        self
    }

    /// The decoder's limits on a line and an event.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// Why a source failed for good: it makes no further request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The response's status was not `200` (`204` is how a server says "stop").
    #[error("the server answered {0}, not 200")]
    Status(u16),
    /// The response's content type was not `text/event-stream` (or was missing).
    #[error("the response's content type is {0:?}, not text/event-stream")]
    ContentType(Option<String>),
    /// [`ClientConfig::max_attempts`] attempts in a row failed.
    #[error("gave up after {0} attempts in a row without an event")]
    GaveUp(u32),
}

/// Why a connection ended, as a transport reports it when the source reconnects (the
/// [`Protocol`] treats them all alike).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interruption {
    /// The body ended.
    Ended,
    /// The connection or the request failed; the transport's description.
    Network(String),
    /// No bytes came for the read timeout.
    ReadTimeout,
    /// A status retried under [`ClientConfig::retry_on_server_errors`].
    Status(u16),
}

impl core::fmt::Display for Interruption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Interruption::Ended => f.write_str("the stream ended"),
            Interruption::Network(e) => write!(f, "network error: {e}"),
            Interruption::ReadTimeout => f.write_str("no bytes for the read timeout"),
            Interruption::Status(s) => write!(f, "the server answered {s}"),
        }
    }
}

/// What the transport does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then send a new request ([`Protocol::request_headers`]).
    Reconnect(Duration),
    /// Stop: the source is [`ReadyState::Closed`].
    Close(Refusal),
}

/// An `EventSource`'s processing model (WHATWG HTML §9.2.3), with no I/O: the transport sends
/// the requests, reads the responses and sleeps; this says what to send, what the bytes mean
/// and what to do next.
///
/// What outlives a connection is kept here, as the standard says: the last event id (sent as
/// `Last-Event-ID` on the next request) and the reconnection time (`retry:`). An event cut off
/// by the end of a connection is discarded, and each response body starts fresh (a BOM is
/// skipped at its start).
///
/// ```
/// use sse_wire::client::{ClientConfig, Next, Protocol, ReadyState};
/// use std::time::Duration;
///
/// let mut source = Protocol::new(ClientConfig::default());
/// assert!(source.request_headers().all(|(name, _)| name != "last-event-id"));
/// assert!(source.response(200, Some(b"text/event-stream; charset=utf-8")).is_ok());
/// source.push("retry: 500\nid: 7\ndata: hello\n\ndata: cut off");
/// let event = source.next_event().unwrap().unwrap();
/// assert_eq!((event.data(), event.last_event_id()), ("hello", "7"));
/// assert!(source.next_event().is_none());
///
/// // The body ends: reconnect after the server's `retry`, resending the last id.
/// assert_eq!(source.interrupted(), Next::Reconnect(Duration::from_millis(500)));
/// assert_eq!(source.ready_state(), ReadyState::Connecting);
/// assert!(source.request_headers().any(|header| header == ("last-event-id", "7")));
///
/// // A 204 stops it.
/// assert!(source.response(204, None).is_err());
/// assert_eq!(source.ready_state(), ReadyState::Closed);
/// ```
#[derive(Debug)]
pub struct Protocol {
    config: ClientConfig,
    decoder: Decoder,
    state: ReadyState,
    /// The reconnection time of the connections before this one (the decoder holds this
    /// connection's `retry:`).
    reconnection_time: Duration,
    /// Attempts in a row that delivered no event.
    failures: u32,
    /// The open connection has delivered an event.
    healthy: bool,
    /// xorshift64 state for the jitter.
    rng: u64,
}

impl Protocol {
    /// A source about to make its first request.
    pub fn new(config: ClientConfig) -> Protocol {
        Protocol::with_seed(config, 0x9E37_79B9_7F4A_7C15)
    }

    /// [`new`](Self::new), with the seed of the backoff's jitter (give each source its own,
    /// from a clock or a random source, so that clients spread out).
    pub fn with_seed(config: ClientConfig, seed: u64) -> Protocol {
        Protocol {
            decoder: Decoder::with_limits(config.limits),
            reconnection_time: config.retry,
            state: ReadyState::Connecting,
            failures: 0,
            healthy: false,
            rng: seed | 1,
            config,
        }
    }

    /// `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.state
    }

    /// The last event id string: sent as `Last-Event-ID` when not empty.
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }

    /// The reconnection time: the server's last `retry:`, or the configured one.
    pub fn reconnection_time(&self) -> Duration {
        self.decoder
            .retry()
            .map_or(self.reconnection_time, Duration::from_millis)
    }

    /// The headers of the next request, beside the transport's own: `Accept:
    /// text/event-stream`, `Cache-Control: no-store`, and `Last-Event-ID` when the last event
    /// id is not empty. Names are lowercase.
    pub fn request_headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let id = self.last_event_id();
        [
            Some(("accept", "text/event-stream")),
            Some(("cache-control", "no-store")),
            (!id.is_empty()).then_some(("last-event-id", id)),
        ]
        .into_iter()
        .flatten()
    }

    /// The response's head (after redirects): `Ok` opens the stream (readyState `Open`, the
    /// `open` event); `Err` fails the source for good unless the status is retried under
    /// [`ClientConfig::retry_on_server_errors`] ([`retries`](Self::retries)), in which case
    /// call [`interrupted`](Self::interrupted).
    pub fn response(&mut self, status: u16, content_type: Option<&[u8]>) -> Result<(), Refusal> {
        debug_assert_ne!(self.state, ReadyState::Closed, "no request after Closed");
        let refusal = if status != 200 {
            Refusal::Status(status)
        } else if !content_type.is_some_and(is_event_stream) {
            let shown = content_type.map(|t| String::from_utf8_lossy(t).into_owned());
            Refusal::ContentType(shown)
        } else {
            self.state = ReadyState::Open;
            self.healthy = false;
            return Ok(());
        };
        if !self.retries(&refusal) {
            self.state = ReadyState::Closed;
        }
        Err(refusal)
    }

    /// Whether `refusal` is a status this source reconnects after.
    pub fn retries(&self, refusal: &Refusal) -> bool {
        let Refusal::Status(status) = *refusal else {
            return false;
        };
        self.config.retry_statuses && (status >= 500 || status == 408 || status == 429)
    }

    /// The next bytes of the open response's body.
    pub fn push(&mut self, chunk: impl Into<Bytes>) {
        debug_assert_eq!(
            self.state,
            ReadyState::Open,
            "bytes only from an open response"
        );
        self.decoder.push(chunk);
    }

    /// The next event the bytes so far dispatch; `Err` for an event or line over the limits,
    /// which is skipped (the stream goes on).
    pub fn next_event(&mut self) -> Option<Result<MessageEvent, DecodeError>> {
        let event = self.decoder.next_event()?;
        self.healthy |= event.is_ok();
        Some(event)
    }

    /// The connection ended, whatever the [`Interruption`] (they all reconnect alike): an event
    /// without its closing blank line is discarded, and the source reconnects after the
    /// reconnection time (with the backoff, if set), or gives up after
    /// [`ClientConfig::max_attempts`] failed attempts in a row.
    pub fn interrupted(&mut self) -> Next {
        let end = self.decoder.finish();
        if let Some(ms) = end.retry {
            self.reconnection_time = Duration::from_millis(ms);
        }
        match core::mem::take(&mut self.healthy) {
            true => self.failures = 0,
            false => self.failures = self.failures.saturating_add(1),
        }
        if let Some(max) = self.config.max_attempts {
            if self.failures >= max {
                self.state = ReadyState::Closed;
                return Next::Close(Refusal::GaveUp(self.failures));
            }
        }
        self.state = ReadyState::Connecting;
        Next::Reconnect(self.delay())
    }

    /// The wait before the next attempt.
    fn delay(&mut self) -> Duration {
        let base = self.reconnection_time;
        let Some(max) = self.config.backoff else {
            return base;
        };
        if self.failures == 0 {
            return base.min(max);
        }
        let doublings = (self.failures - 1).min(31);
        let full = base.saturating_mul(1 << doublings).min(max);
        // Half fixed, half drawn uniformly: spread out, never below half the wait.
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let drawn = match nanos {
            0 => 0,
            n => self.next_random() % n,
        };
        half + Duration::from_nanos(drawn)
    }

    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

/// Whether a `Content-Type` value's MIME type is `text/event-stream` (parameters ignored,
/// case-insensitive, surrounding spaces allowed).
fn is_event_stream(value: &[u8]) -> bool {
    let essence = value.split(|&b| b == b';').next().unwrap_or_default();
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"text/event-stream")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        for yes in [
            &b"text/event-stream"[..],
            b"Text/Event-Stream",
            b" text/event-stream ; charset=utf-8",
        ] {
            assert!(is_event_stream(yes), "{yes:?}");
        }
        for no in [
            &b"text/html"[..],
            b"",
            b"text/event-streams",
            b"text/event-stream,x",
        ] {
            assert!(!is_event_stream(no), "{no:?}");
        }
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_resets_after_an_event() {
        let config = ClientConfig::default()
            .retry(Duration::from_millis(100))
            .backoff(Duration::from_millis(1000));
        let mut source = Protocol::new(config);
        let mut waits = alloc::vec::Vec::new();
        for _ in 0..6 {
            source.response(200, Some(b"text/event-stream")).unwrap();
            let Next::Reconnect(wait) = source.interrupted() else {
                panic!("closed");
            };
            waits.push(wait);
        }
        let fulls = [100, 200, 400, 800, 1000, 1000];
        for (wait, full) in waits.iter().zip(fulls) {
            let full = Duration::from_millis(full);
            assert!(*wait >= full / 2 && *wait <= full, "{wait:?} for {full:?}");
        }
        source.response(200, Some(b"text/event-stream")).unwrap();
        source.push("data: x\n\n");
        assert!(source.next_event().unwrap().is_ok());
        let healthy = source.interrupted();
        assert_eq!(healthy, Next::Reconnect(Duration::from_millis(100)));
    }

    #[test]
    fn gives_up_after_max_attempts_without_an_event() {
        let mut source = Protocol::new(ClientConfig::default().max_attempts(2));
        let first = source.interrupted();
        assert!(matches!(first, Next::Reconnect(_)));
        let second = source.interrupted();
        assert_eq!(second, Next::Close(Refusal::GaveUp(2)));
        assert_eq!(source.ready_state(), ReadyState::Closed);
    }

    #[test]
    fn statuses_fail_unless_retried() {
        let mut source = Protocol::new(ClientConfig::default());
        assert_eq!(source.response(503, None), Err(Refusal::Status(503)));
        assert_eq!(source.ready_state(), ReadyState::Closed);
        let mut source = Protocol::new(ClientConfig::default().retry_on_server_errors(true));
        for (status, retried) in [(503, true), (408, true), (429, true), (404, false)] {
            let refusal = source.response(status, None).unwrap_err();
            assert_eq!(source.retries(&refusal), retried, "{status}");
        }
        let mut source = Protocol::new(ClientConfig::default().retry_on_server_errors(true));
        let refusal = source.response(200, Some(b"text/html")).unwrap_err();
        assert!(!source.retries(&refusal));
        assert_eq!(source.ready_state(), ReadyState::Closed);
    }
}
