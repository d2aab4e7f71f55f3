//! [`EventSource`]: [`Protocol`] driven on tokio with reqwest.

use super::protocol::{ClientConfig, Interruption, Next, Protocol, ReadyState, Refusal};
use crate::decode::{DecodeError, MessageEvent};
use bytes::Bytes;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use futures_core::{Future, Stream};
use std::sync::Arc;
use std::time::Duration;

/// What an [`EventSource`] reports, as a browser's `EventSource` does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceEvent {
    /// A response opened the stream (`open`).
    Open,
    /// A dispatched event (`message`, or its own type).
    Message(MessageEvent),
    /// The connection ended and the source will reconnect after `after` (`error`, with
    /// `readyState` back to `CONNECTING`).
    Reconnecting {
        /// Why the connection ended.
        cause: Interruption,
        /// The wait before the next request.
        after: Duration,
    },
    /// An event or a line over the decoder's limits, skipped; the stream goes on.
    Skipped(DecodeError),
}

/// Why an [`EventSource`] stopped: the last item of its stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The response failed the source for good (status, content type), or it gave up.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The request could not be built (a malformed URL or header).
    #[error("the request cannot be made: {0}")]
    Request(Box<dyn std::error::Error + Send + Sync>),
}

type HeadersFn = dyn Fn() -> Vec<(String, String)> + Send + Sync;

/// Settings of an [`EventSource`]: [`EventSource::builder`].
#[derive(Clone)]
pub struct EventSourceBuilder {
    url: String,
    client: Option<reqwest::Client>,
    config: ClientConfig,
    headers: Vec<(String, String)>,
    headers_fn: Option<Arc<HeadersFn>>,
    read_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
}

impl core::fmt::Debug for EventSourceBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventSourceBuilder")
            .field("url", &self.url)
            .field("config", &self.config)
            .field("headers", &self.headers.len())
            .field("read_timeout", &self.read_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl EventSourceBuilder {
    /// The reconnection rules (the standard's by default).
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// A header sent with every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Headers made anew for each request (a token that expires, say).
    pub fn headers_fn(
        mut self,
        make: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
    ) -> Self {
        self.headers_fn = Some(Arc::new(make));
        self
    }

    /// Counts a connection that brings no byte for `timeout` as a network error (the server
    /// or a proxy stalled without closing), beyond the standard. Set it above the server's
    /// keep-alive period.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// Counts a connection not established within `timeout` as a network error.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The reqwest client to send the requests with (its TLS, proxy and pool settings); one
    /// made with this builder's connect timeout otherwise. Redirects follow its policy
    /// (reqwest's default follows up to 10), as the standard asks.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The source, connecting when first polled.
    pub fn build(self) -> EventSource {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            ^ (self.url.len() as u64).rotate_left(32);
        EventSource {
            protocol: Protocol::with_seed(self.config.clone(), seed),
            state: State::Start,
            settings: self,
        }
    }
}

type Connecting = Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send>>;
type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

enum State {
    /// Before the first request.
    Start,
    /// A request sent, its response head awaited.
    Connecting(Connecting),
    /// Reading an open response; the sleep is the read timeout, reset by each chunk.
    Reading(Body, Option<Pin<Box<tokio::time::Sleep>>>),
    /// Waiting to reconnect.
    Waiting(Pin<Box<tokio::time::Sleep>>),
    /// Closed, the error not yet reported.
    Failed(ClientError),
    Done,
}

/// An `EventSource` for Rust: a `Stream` of [`SourceEvent`]s that reconnects as the WHATWG
/// standard says, ending with a [`ClientError`] when the source fails for good (a status
/// other than `200`, such as `204`; a content type other than `text/event-stream`; the
/// attempts given up).
///
/// ```no_run
/// use futures_util::StreamExt;
/// use sse_wire::client::{EventSource, SourceEvent};
///
/// # async fn run() -> Result<(), sse_wire::client::ClientError> {
/// let mut source = EventSource::builder("http://127.0.0.1:3000/sse").build();
/// while let Some(item) = source.next().await {
///     match item? {
///         SourceEvent::Message(event) => println!("{}: {}", event.event_type(), event.data()),
///         SourceEvent::Reconnecting { cause, after } => eprintln!("{cause}; again in {after:?}"),
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct EventSource {
    settings: EventSourceBuilder,
    protocol: Protocol,
    state: State,
}

impl core::fmt::Debug for EventSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventSource")
            .field("url", &self.settings.url)
            .field("ready_state", &self.protocol.ready_state())
            .field("last_event_id", &self.protocol.last_event_id())
            .finish_non_exhaustive()
    }
}

impl EventSource {
    /// A builder for a source reading `url`.
    pub fn builder(url: impl Into<String>) -> EventSourceBuilder {
        EventSourceBuilder {
            url: url.into(),
            client: None,
            config: ClientConfig::default(),
            headers: Vec::new(),
            headers_fn: None,
            read_timeout: None,
            connect_timeout: None,
        }
    }

    /// `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.protocol.ready_state()
    }

    /// The last event id, sent as `Last-Event-ID` on reconnection.
    pub fn last_event_id(&self) -> &str {
        self.protocol.last_event_id()
    }

    /// Sends the next request.
    fn connect(&mut self) -> State {
        let settings = &mut self.settings;
        let client = match &settings.client {
            Some(client) => client.clone(),
            None => {
                let mut builder = reqwest::Client::builder();
                if let Some(timeout) = settings.connect_timeout {
                    builder = builder.connect_timeout(timeout);
                }
                match builder.build() {
                    Ok(client) => settings.client.insert(client).clone(),
                    Err(e) => return State::Failed(ClientError::Request(e.into())),
                }
            }
        };
        let mut request = client.get(&settings.url);
        for (name, value) in self.protocol.request_headers() {
            request = request.header(name, value);
        }
        for (name, value) in &settings.headers {
            request = request.header(name, value);
        }
        if let Some(make) = &settings.headers_fn {
            for (name, value) in make() {
                request = request.header(name, value);
            }
        }
        match request.build() {
            Ok(request) => State::Connecting(Box::pin(client.execute(request))),
            Err(e) => State::Failed(ClientError::Request(e.into())),
        }
    }

    /// The connection ended: reconnect later, or fail.
    fn interrupted(
        &mut self,
        cause: Interruption,
    ) -> Poll<Option<Result<SourceEvent, ClientError>>> {
        match self.protocol.interrupted() {
            Next::Reconnect(after) => {
                self.state = State::Waiting(Box::pin(tokio::time::sleep(after)));
                Poll::Ready(Some(Ok(SourceEvent::Reconnecting { cause, after })))
            }
            Next::Close(refusal) => {
                self.state = State::Done;
                Poll::Ready(Some(Err(refusal.into())))
            }
        }
    }

    fn read_deadline(&self) -> Option<Pin<Box<tokio::time::Sleep>>> {
        self.settings
            .read_timeout
            .map(|timeout| Box::pin(tokio::time::sleep(timeout)))
    }
}

impl Stream for EventSource {
    type Item = Result<SourceEvent, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Start => this.state = this.connect(),
                State::Waiting(sleep) => {
                    ready!(sleep.as_mut().poll(cx));
                    this.state = this.connect();
                }
                State::Connecting(response) => {
                    let response = match ready!(response.as_mut().poll(cx)) {
                        Ok(response) => response,
                        Err(e) => return this.interrupted(Interruption::Network(e.to_string())),
                    };
                    let content_type = response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .map(|v| v.as_bytes());
                    match this
                        .protocol
                        .response(response.status().as_u16(), content_type)
                    {
                        Ok(()) => {
                            let deadline = this.read_deadline();
                            this.state =
                                State::Reading(Box::pin(response.bytes_stream()), deadline);
                            return Poll::Ready(Some(Ok(SourceEvent::Open)));
                        }
                        // Not closed: a status retried under the config.
                        Err(Refusal::Status(status))
                            if this.protocol.ready_state() != ReadyState::Closed =>
                        {
                            return this.interrupted(Interruption::Status(status));
                        }
                        Err(refusal) => {
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(refusal.into())));
                        }
                    }
                }
                State::Reading(body, deadline) => {
                    // Events already pushed go first.
                    if let Some(event) = this.protocol.next_event() {
                        return Poll::Ready(Some(Ok(match event {
                            Ok(event) => SourceEvent::Message(event),
                            Err(e) => SourceEvent::Skipped(e),
                        })));
                    }
                    match body.as_mut().poll_next(cx) {
                        Poll::Ready(Some(Ok(chunk))) => {
                            if let (Some(timeout), Some(sleep)) =
                                (this.settings.read_timeout, deadline.as_mut())
                            {
                                sleep.as_mut().reset(tokio::time::Instant::now() + timeout);
                            }
                            this.protocol.push(chunk);
                        }
                        Poll::Ready(Some(Err(e))) => {
                            return this.interrupted(Interruption::Network(e.to_string()));
                        }
                        Poll::Ready(None) => return this.interrupted(Interruption::Ended),
                        Poll::Pending => {
                            if let Some(sleep) = deadline {
                                ready!(sleep.as_mut().poll(cx));
                                return this.interrupted(Interruption::ReadTimeout);
                            }
                            return Poll::Pending;
                        }
                    }
                }
                State::Failed(_) => {
                    let State::Failed(error) = core::mem::replace(&mut this.state, State::Done)
                    else {
                        unreachable!("matched above")
                    };
                    return Poll::Ready(Some(Err(error)));
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }
}
