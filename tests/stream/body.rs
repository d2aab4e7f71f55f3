//! `EventStream` as a response: `http_body::Body` and `into_http_response` (feature
//! `http-body`), polled in process; and axum's `IntoResponse` and actix-web's `Responder` on
//! real servers on loopback, read with reqwest. (The counter examples also serve each
//! framework this way; `tests/examples.rs` reads them.)
#![cfg(all(feature = "axum", feature = "actix-web"))]

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use http_body_util::BodyExt;
use sse_wire::{Event, EventStream};
use std::time::Duration;
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

fn three() -> impl futures_util::Stream<Item = Event> + Send + 'static {
    stream::iter(0u64..3).map(|n| Event::new().id(n).data(format!("Message {n}")))
}

const THREE: &str =
    "id: 0\ndata: Message 0\n\nid: 1\ndata: Message 1\n\nid: 2\ndata: Message 2\n\n";

fn check_head(status: u16, headers: &http::HeaderMap) {
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-accel-buffering"], "no");
    assert!(headers.get("connection").is_none(), "no hop-by-hop header");
}

#[tokio::test]
async fn http_body_frames_and_end() {
    let response = EventStream::new(three()).max_chunk(0).into_http_response();
    check_head(response.status().as_u16(), response.headers());
    assert_eq!(response.headers().len(), 3);
    let mut body = response.into_body();
    let mut chunks = Vec::new();
    while let Some(frame) = body.frame().await {
        chunks.push(frame.unwrap().into_data().unwrap());
    }
    // `max_chunk(0)`: the setting on the stream is the body's, one chunk per event.
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks.concat(), THREE.as_bytes());
    assert!(http_body::Body::is_end_stream(&body));
}

#[tokio::test]
async fn http_body_passes_errors_on() {
    let items = stream::iter([
        Ok(Event::new().data("before")),
        Err(std::io::Error::other("producer failed")),
    ]);
    let mut body = EventStream::new(items).into_http_response().into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(first, "data: before\n\n");
    let error = body.frame().await.unwrap().unwrap_err();
    assert_eq!(error.to_string(), "producer failed");
}

async fn read_all(response: reqwest::Response) -> Bytes {
    let mut body = response.bytes_stream();
    let mut all = Vec::new();
    while let Some(chunk) = timeout(STEP, body.next()).await.unwrap() {
        all.extend_from_slice(&chunk.unwrap());
    }
    Bytes::from(all)
}

#[tokio::test]
async fn axum_handler_returns_the_stream() {
    use axum::{routing::get, Router};
    async fn sse() -> impl axum::response::IntoResponse {
        EventStream::new(three())
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sse", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/sse", get(sse)))
            .await
            .unwrap()
    });
    let response = timeout(STEP, reqwest::get(url)).await.unwrap().unwrap();
    check_head(response.status().as_u16(), response.headers());
    assert_eq!(read_all(response).await, THREE);
    server.abort();
}

#[test]
fn actix_handler_returns_the_stream() {
    use actix_web::{web, App, HttpServer};
    async fn sse() -> impl actix_web::Responder {
        EventStream::new(three())
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(|| App::new().route("/sse", web::get().to(sse)))
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .unwrap();
            let addr = server.addrs()[0];
            let server = server.run();
            tx.send((addr, server.handle())).unwrap();
            server.await.unwrap();
        })
    });
    let (addr, handle) = rx.recv_timeout(STEP).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!("http://{addr}/sse");
        let response = timeout(STEP, reqwest::get(url)).await.unwrap().unwrap();
        check_head(response.status().as_u16(), response.headers());
        assert_eq!(read_all(response).await, THREE);
        handle.stop(true).await;
    });
    server.join().unwrap();
}

/// `LastEventId` as each framework reads it: the header, else the query parameter
/// (percent-decoded), the header winning when both are there, nothing when neither is.
#[actix_web::test]
async fn last_event_id_from_header_or_query_in_http_axum_and_actix() {
    use axum::extract::FromRequestParts;
    use sse_wire::headers::LastEventId;
    // (Last-Event-ID header, URI, the id read)
    type Case = (Option<&'static str>, &'static str, Option<&'static [u8]>);
    let cases: [Case; 4] = [
        (Some("7"), "/sse?lastEventId=41", Some(b"7")),
        (None, "/sse?room=a&lastEventId=a%20b", Some(b"a b")),
        (None, "/sse?room=a", None),
        (None, "/sse", None),
    ];
    for (header, uri, want) in cases {
        let mut request = http::Request::builder().uri(uri);
        if let Some(id) = header {
            request = request.header("last-event-id", id);
        }
        let request = request.body(()).unwrap();
        assert_eq!(
            LastEventId::from_request(&request).as_bytes(),
            want,
            "http {uri}"
        );

        let (mut parts, ()) = request.into_parts();
        let axum = LastEventId::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        assert_eq!(axum.as_bytes(), want, "axum {uri}");

        let mut actix = actix_web::test::TestRequest::get().uri(uri);
        if let Some(id) = header {
            actix = actix.insert_header(("last-event-id", id));
        }
        let actix = actix_web::test::TestRequest::to_http_request(actix);
        let extracted = <LastEventId as actix_web::FromRequest>::extract(&actix)
            .await
            .unwrap();
        assert_eq!(extracted.as_bytes(), want, "actix {uri}");
    }
}
