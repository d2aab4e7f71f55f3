//! One SSE app served several ways, for the server-level benchmark (`benches/servers.sh`):
//! `GET /sse` sends `id: n` and `data: n <microseconds since the epoch>` every 1/RATE s.
//!
//! `servers KIND PORT RATE`, KIND one of:
//! * `axum-sse`: axum 0.8's own `Sse`, a counter per connection;
//! * `actix-lab-sse`: actix-web-lab 0.29's `Sse` on actix-web 4, a counter per connection;
//! * `sse-wire`: sse-wire's `EventStream` on axum, a counter per connection;
//! * `sse-wire-hub`: sse-wire's `Hub` on axum, one counter published to every connection;
//! * `floor`: axum writing the same bytes, formatted by hand, with no SSE library.
//!
//! Every kind keeps idle connections alive with a comment every 15 s. Loopback only.

use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

/// Ticks every `period`, counting from 0.
fn ticks(period: Duration) -> impl futures_core::Stream<Item = u64> + Send {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    futures_util::stream::unfold((0u64, interval), |(n, mut interval)| async move {
        interval.tick().await;
        Some((n, (n + 1, interval)))
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kind, port, rate) = match &args[1..] {
        [k, p, r] => (
            k.clone(),
            p.parse::<u16>().unwrap(),
            r.parse::<u32>().unwrap(),
        ),
        _ => {
            eprintln!("usage: servers KIND PORT RATE");
            std::process::exit(2);
        }
    };
    let period = Duration::from_secs(1) / rate;
    if kind == "actix-lab-sse" {
        return actix(port, period);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(axum_kinds(kind, port, period));
}

async fn axum_kinds(kind: String, port: u16, period: Duration) {
    use axum::response::IntoResponse;
    use axum::routing::get;
    use futures_util::StreamExt;
    let keep_alive = Duration::from_secs(15);
    let hub = sse_wire::Hub::new(sse_wire::HubConfig::default().history(64));
    if kind == "sse-wire-hub" {
        let publisher = hub.clone();
        tokio::spawn(async move {
            let mut t = Box::pin(ticks(period));
            while let Some(n) = t.next().await {
                // No own id: the hub's own, so never refused.
                let _ = publisher.publish(
                    "t",
                    sse_wire::Event::new().data(format!("{n} {}", now_us())),
                );
            }
        });
    }
    let app = match kind.as_str() {
        "axum-sse" => axum::Router::new().route(
            "/sse",
            get(move || async move {
                use axum::response::sse::{Event, KeepAlive, Sse};
                let events = ticks(period).map(|n| {
                    Ok::<_, Infallible>(
                        Event::default()
                            .id(n.to_string())
                            .data(format!("{n} {}", now_us())),
                    )
                });
                Sse::new(events)
                    .keep_alive(KeepAlive::new().interval(keep_alive))
                    .into_response()
            }),
        ),
        "sse-wire" => axum::Router::new().route(
            "/sse",
            get(move || async move {
                let events = ticks(period).map(|n| {
                    sse_wire::Event::new()
                        .id(n)
                        .data(format!("{n} {}", now_us()))
                });
                sse_wire::EventStream::new(Box::pin(events))
                    .keep_alive(sse_wire::KeepAlive::every(keep_alive))
                    .into_response()
            }),
        ),
        "sse-wire-hub" => axum::Router::new().route(
            "/sse",
            get(move || {
                let hub = hub.clone();
                async move {
                    sse_wire::EventStream::new(hub.subscribe(["t"], None))
                        .keep_alive(sse_wire::KeepAlive::every(keep_alive))
                        .into_response()
                }
            }),
        ),
        "floor" => axum::Router::new().route(
            "/sse",
            get(move || async move {
                let chunks = ticks(period).map(|n| {
                    Ok::<_, Infallible>(bytes::Bytes::from(format!(
                        "id: {n}\ndata: {n} {}\n\n",
                        now_us()
                    )))
                });
                let mut response =
                    axum::response::Response::new(axum::body::Body::from_stream(chunks));
                response.headers_mut().insert(
                    "content-type",
                    axum::http::HeaderValue::from_static("text/event-stream"),
                );
                response
            }),
        ),
        other => panic!("unknown kind {other}"),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    println!("listening");
    axum::serve(listener, app).await.unwrap();
}

fn actix(port: u16, period: Duration) {
    use actix_web::{web, App, HttpServer};
    use futures_util::StreamExt;
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let server = HttpServer::new(move || {
            App::new().route(
                "/sse",
                web::get().to(move || async move {
                    use actix_web_lab::sse::{Data, Event, Sse};
                    let events = ticks(period).map(|n| {
                        Ok::<_, Infallible>(Event::Data(
                            Data::new(format!("{n} {}", now_us())).id(n.to_string()),
                        ))
                    });
                    Sse::from_stream(events).with_keep_alive(Duration::from_secs(15))
                }),
            )
        })
        .workers(2)
        .backlog(16_384)
        .max_connections(100_000)
        .bind(("127.0.0.1", port))
        .unwrap()
        .run();
        println!("listening");
        server.await.unwrap();
    });
}
