//! The counter page of the examples served over TLS, with ALPN offering `h2` then `http/1.1`
//! and a self-signed certificate made at start, so that a browser's `EventSource` runs over
//! HTTP/2 as it does in production. Each stream lives about a second (`Lifetime`), so the page
//! also reconnects, with `Last-Event-ID`, over the same connection.

#[path = "../../examples/common/mod.rs"]
mod example;

use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use sse_wire::headers::LastEventId;
use sse_wire::{Event, EventStream, Lifetime};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_rustls::rustls;

type Body = http_body_util::combinators::UnsyncBoxBody<bytes::Bytes, Infallible>;

/// What the server saw of each `/sse` request: its HTTP version and the number of the
/// connection it came on (connections are numbered as accepted; a browser may open a spare).
#[derive(Debug, Default)]
pub struct Seen {
    pub sse: Vec<(Version, usize)>,
    pub connections: usize,
}

/// The server, stopped when dropped.
pub struct TlsCounter {
    /// `https://127.0.0.1:PORT/`.
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for TlsCounter {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The TLS settings: a certificate for 127.0.0.1 made now, and ALPN `h2`, `http/1.1`.
fn tls_config() -> rustls::ServerConfig {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(made.signing_key.serialize_der());
    // ring is deprecated in rustls only for lacking post-quantum key exchange, which a loopback
    // test does not need; aws-lc-rs would add a cmake build to every CI run.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key.into())
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

fn handle(
    request: Request<hyper::body::Incoming>,
    connection: usize,
    seen: &Mutex<Seen>,
) -> Response<Body> {
    if request.uri().path() != "/sse" {
        return Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .body(
                Full::from(example::INDEX_HTML)
                    .map_err(|e| match e {})
                    .boxed_unsync(),
            )
            .unwrap();
    }
    seen.lock()
        .unwrap()
        .sse
        .push((request.version(), connection));
    let config = example::Config {
        port: 0,
        interval: Duration::from_millis(150),
        keep_alive: Duration::from_secs(15),
        count: None,
        broadcast: false,
        retry: example::RETRY,
    };
    let shutdown = Arc::new(tokio::sync::watch::channel(false).0);
    let first = example::first_id(&LastEventId::from_request(&request));
    let events = example::counter_stream(first, first == 0, &config, shutdown);
    let lifetime = Lifetime::after(Duration::from_millis(900))
        .last_event(Event::new().retry(Duration::from_millis(100)));
    EventStream::new(events)
        .max_lifetime(lifetime)
        .into_http_response()
        .map(BodyExt::boxed_unsync)
}

/// Starts the server on a free loopback port.
pub fn start() -> TlsCounter {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls_config()));
    let server_seen = seen.clone();
    runtime.spawn(async move {
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            tcp.set_nodelay(true).unwrap();
            let connection = {
                let mut seen = server_seen.lock().unwrap();
                seen.connections += 1;
                seen.connections
            };
            let (acceptor, builder, seen) =
                (acceptor.clone(), builder.clone(), server_seen.clone());
            tokio::spawn(async move {
                // A browser may open a connection it then drops before the handshake.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |request| {
                    let response = handle(request, connection, &seen);
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = builder.serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    TlsCounter {
        url,
        seen,
        runtime: Some(runtime),
    }
}
