//! `KeepAlive::every` (the `tokio` feature), on tokio's paused clock: no real sleeping.
#![cfg(feature = "tokio")]

use futures_util::StreamExt;
use sse_wire::{Event, EventStream, KeepAlive};
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn every_period_without_traffic() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let events =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) });
    let mut body =
        EventStream::new(Box::pin(events)).keep_alive(KeepAlive::every(Duration::from_secs(15)));
    let start = tokio::time::Instant::now();

    // Nothing for 15 s: one keep-alive, after exactly one period.
    assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(15));

    // An event at 20 s counts as traffic for the tick at 30 s; the next keep-alive is at 45 s.
    tokio::time::sleep(Duration::from_secs(5)).await;
    tx.send(Event::new().data("x")).unwrap();
    assert_eq!(body.next().await.unwrap().unwrap(), "data: x\n\n");
    assert_eq!(body.next().await.unwrap().unwrap(), ":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(45));
}
