use futures_util::{stream, Stream, StreamExt};
use sse_wire::{Event, EventStream, KeepAlive};
use tokio::time::{sleep, Duration};

async fn sse() -> EventStream<impl Stream<Item = Event> + Send> {
    let ticks = stream::iter(0u64..).then(|n| async move {
        sleep(Duration::from_secs(n.min(1))).await; // the first at once, then one a second
        Event::new().id(n).data(format!("Message {n}"))
    });
    EventStream::new(ticks).keep_alive(KeepAlive::every(Duration::from_secs(15)))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or("3000".into()); // PORT=0: any free port
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("Listening on http://{}/", listener.local_addr()?);
    let app = axum::Router::new().route("/sse", axum::routing::get(sse));
    axum::serve(listener, app).await
}
