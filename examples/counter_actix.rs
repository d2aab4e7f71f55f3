//! The ticking counter on actix-web 4: `cargo run --example counter_actix`.
//!
//! Same `/sse` contract as the other counters (see `examples/common/mod.rs`). With the
//! `actix-web` feature an `EventStream` is a `Responder`: the handler returns it as it is.
//!
//! actix-web's own signal handling waits up to its shutdown timeout for open responses, and an
//! event stream never finishes by itself; so this example ends the streams first, then stops
//! the server.

mod common;

use actix_web::{web, App, HttpResponse, HttpServer, Responder};
use common::Config;
use sse_wire::headers::LastEventId;
use sse_wire::{EventStream, KeepAlive, Shutdown};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
struct State {
    config: Config,
    shutdown: Arc<watch::Sender<bool>>,
    ends: Shutdown,
}

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(common::INDEX_HTML)
}

async fn sse(last_id: LastEventId, state: web::Data<State>) -> impl Responder {
    let events = common::counter_stream(
        common::first_id(&last_id),
        true,
        &state.config,
        state.shutdown.clone(),
    );
    // `EventStream` is a `Responder`: status, headers and the streaming body in one value.
    EventStream::new(events)
        .keep_alive(KeepAlive::every(state.config.keep_alive))
        .until(state.ends.signal(), Some(common::farewell()))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let config = Config::from_args().reject_broadcast();
    let shutdown = Arc::new(watch::channel(false).0);
    let ends = Shutdown::new();
    let state = State {
        config: config.clone(),
        shutdown: shutdown.clone(),
        ends: ends.clone(),
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route("/", web::get().to(index))
            .route("/sse", web::get().to(sse))
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(5)
    .bind(("127.0.0.1", config.port))?;
    for addr in server.addrs() {
        println!("Listening on http://{addr}/");
    }
    let server = server.run();
    let handle = server.handle();
    common::shutdown_on_ctrl_c(shutdown.clone(), Some(ends));
    actix_web::rt::spawn(async move {
        common::wait_for_shutdown(shutdown.subscribe()).await;
        handle.stop(true).await;
    });
    server.await?;
    println!("Server stopped");
    Ok(())
}
