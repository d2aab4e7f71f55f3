//! `KeepAlive::every` (the `tokio` feature), on tokio's paused clock: no real sleeping.
#![cfg(feature = "tokio")]

use futures_util::StreamExt;
use sse_wire::{Event, EventStream, KeepAlive};
use std::time::Duration;
use tokio::time::timeout;

fn channel_stream() -> (
    tokio::sync::mpsc::UnboundedSender<Event>,
    impl futures_util::Stream<Item = Event> + Unpin,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let events =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
    (tx, Box::pin(events))
}

#[tokio::test(start_paused = true)]
async fn one_period_after_the_last_thing_sent() {
    let (tx, events) = channel_stream();
    let mut body = EventStream::new(events).keep_alive(KeepAlive::every(Duration::from_secs(15)));
    let start = tokio::time::Instant::now();

    // Nothing for 15 s: one keep-alive, after exactly one period.
    assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(15));

    // An event at 20 s: the next keep-alive is 15 s after it, at 35 s (never 30 s of silence).
    tokio::time::sleep(Duration::from_secs(5)).await;
    tx.send(Event::new().data("x")).unwrap();
    assert_eq!(body.next().await.unwrap().unwrap(), "data: x\n\n");
    assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(35));
    assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(50));
}

#[tokio::test(start_paused = true)]
async fn zero_and_max_periods_do_not_panic() {
    // Zero is raised to the minimum period.
    let (_tx, events) = channel_stream();
    let mut body = EventStream::new(events).keep_alive(KeepAlive::every(Duration::ZERO));
    let start = tokio::time::Instant::now();
    assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    assert_eq!(start.elapsed(), sse_wire::MIN_PERIOD);

    // `Duration::MAX` never fires, and events still flow.
    let (tx, events) = channel_stream();
    let mut body = EventStream::new(events).keep_alive(KeepAlive::every(Duration::MAX));
    let year = Duration::from_secs(365 * 86_400);
    assert!(
        timeout(year, body.next()).await.is_err(),
        "no keep-alive in a year"
    );
    tx.send(Event::new().data("x")).unwrap();
    assert_eq!(body.next().await.unwrap().unwrap(), "data: x\n\n");
}
