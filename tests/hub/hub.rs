//! The hub: replay after `Last-Event-ID` with no gap and no duplicate at the seam, topics, the
//! reset signal for ids it cannot resume, bounded history, lagging subscribers, and many threads
//! publishing while subscribers come and go.

use futures_core::Stream;
use futures_util::task::noop_waker;
use futures_util::StreamExt;
use sse_wire::{Encoded, Event, EventStream, Hub, HubConfig, OnLag, Subscription};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// What one poll of a subscription gave, as text.
fn poll(sub: &mut Subscription) -> Option<String> {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    match Pin::new(sub).poll_next(&mut cx) {
        Poll::Ready(Some(e)) => Some(String::from_utf8(e.into_bytes().to_vec()).unwrap()),
        Poll::Ready(None) => Some("END".into()),
        Poll::Pending => None,
    }
}

/// Everything ready now.
fn ready(sub: &mut Subscription) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(item) = poll(sub) {
        let end = item == "END";
        out.push(item);
        if end || out.len() > 10_000 {
            break;
        }
    }
    out
}

fn msg(n: u64) -> String {
    format!("id: {n}\ndata: m{n}\n\n")
}

fn publish(hub: &Hub, topic: &str, range: std::ops::Range<u64>) {
    for n in range {
        assert_eq!(hub.publish(topic, Event::new().data(format!("m{n}"))), n);
    }
}

const RESET: &str = "event: reset\ndata:\n\n";

fn reset_at(id: u64) -> String {
    format!("event: reset\nid: {id}\ndata:\n\n")
}

#[test]
fn replays_after_the_last_id_then_goes_live() {
    let hub = Hub::default();
    let mut fresh = hub.subscribe(["t"], None);
    assert_eq!(ready(&mut fresh), Vec::<String>::new(), "nothing yet");
    publish(&hub, "t", 0..5);
    assert_eq!(ready(&mut fresh), (0..5).map(msg).collect::<Vec<_>>());

    // Resume after 2: 3 and 4 from history, then live, at the seam neither lost nor repeated.
    let mut resumed = hub.subscribe(["t"], Some(b"2"));
    assert_eq!(poll(&mut resumed), Some(msg(3)));
    publish(&hub, "t", 5..6);
    assert_eq!(ready(&mut resumed), [msg(4), msg(5)]);
    assert_eq!(ready(&mut fresh), [msg(5)]);

    // The newest id: nothing to replay. The one before the oldest retained: all of history.
    let mut caught_up = hub.subscribe(["t"], Some(b"5"));
    assert_eq!(ready(&mut caught_up), Vec::<String>::new());
    assert_eq!(hub.subscribers(), 3);
    drop((fresh, resumed, caught_up));
    assert_eq!(hub.subscribers(), 0);
}

#[test]
fn ids_it_cannot_resume_get_the_reset_event() {
    let hub = Hub::new(HubConfig::default().history(3));
    publish(&hub, "t", 0..10); // retains 7, 8, 9
                               // The oldest retained is 7: after 6 nothing is missing, after 5 event 6 is.
    assert_eq!(
        ready(&mut hub.subscribe(["t"], Some(b"6"))),
        [msg(7), msg(8), msg(9)]
    );
    let mut newest = 9;
    for id in [&b"5"[..], b"0", b"99", b"abc", b"", b"+7", b"\xff", b"7\n"] {
        let mut sub = hub.subscribe(["t"], Some(id));
        let want = [reset_at(newest)];
        assert_eq!(ready(&mut sub), want, "{:?}", String::from_utf8_lossy(id));
        let n = hub.publish("t", Event::new().data("live"));
        newest = n;
        assert_eq!(
            ready(&mut sub),
            [format!("id: {n}\ndata: live\n\n")],
            "then live"
        );
    }
    // A hub with nothing published yet: the reset event has no id.
    let empty = Hub::default();
    assert_eq!(ready(&mut empty.subscribe(["t"], Some(b"3"))), [RESET]);
}

#[test]
fn topics() {
    let hub = Hub::default();
    let mut a = hub.subscribe(["a"], None);
    let mut ab = hub.subscribe(["a", "b", "a"], None);
    hub.publish("a", Event::new().data("1"));
    hub.publish("b", Event::new().data("2"));
    hub.publish("c", Event::new().data("3"));
    assert_eq!(ready(&mut a), ["id: 0\ndata: 1\n\n"]);
    assert_eq!(ready(&mut ab), ["id: 0\ndata: 1\n\n", "id: 1\ndata: 2\n\n"]);
    // Resuming on one topic skips the others' events.
    assert_eq!(
        ready(&mut hub.subscribe(["c"], Some(b"0"))),
        ["id: 2\ndata: 3\n\n"]
    );
}

#[test]
fn own_ids_are_kept_and_resumed_after() {
    let hub = Hub::default();
    for id in ["x-1", "x-2", "x-3"] {
        hub.publish("t", Event::new().id(id).unwrap().data(id));
    }
    assert_eq!(
        ready(&mut hub.subscribe(["t"], Some(b"x-1"))),
        ["id: x-2\ndata: x-2\n\n", "id: x-3\ndata: x-3\n\n"]
    );
    let mut unknown = hub.subscribe(["t"], Some(b"x-0"));
    assert_eq!(ready(&mut unknown), ["event: reset\nid: x-3\ndata:\n\n"]);
    // A sequence number that belongs to an event with an id of its own is not a hub id.
    assert_eq!(
        ready(&mut hub.subscribe(["t"], Some(b"0"))),
        ["event: reset\nid: x-3\ndata:\n\n"]
    );
}

#[test]
fn history_is_bounded_by_count_bytes_and_age() {
    let hub = Hub::new(HubConfig::default().history(4));
    publish(&hub, "t", 0..100);
    assert_eq!(hub.retained().0, 4);

    let each = Encoded::from(Event::new().id(0u64).data("m0")).len();
    let hub = Hub::new(HubConfig::default().history_bytes(3 * each));
    publish(&hub, "t", 0..10);
    assert_eq!(hub.retained(), (3, 3 * each));
    // The newest event is kept however large.
    hub.publish("t", Event::new().data("x".repeat(10 * each)));
    assert_eq!(hub.retained().0, 1);

    let hub = Hub::new(HubConfig::default().max_age(Duration::from_millis(50)));
    publish(&hub, "t", 0..3);
    std::thread::sleep(Duration::from_millis(80));
    publish(&hub, "t", 3..4);
    assert_eq!(hub.retained().0, 1);
    assert_eq!(ready(&mut hub.subscribe(["t"], Some(b"1"))), [reset_at(3)]);
}

#[test]
fn a_lagging_subscriber_is_told_then_closed_or_moved_on() {
    // Its next event left the history: reset, then the end of the stream.
    let hub = Hub::new(HubConfig::default().history(4));
    let mut slow = hub.subscribe(["t"], None);
    publish(&hub, "t", 0..10);
    assert_eq!(ready(&mut slow), [reset_at(9), "END".to_owned()]);

    // More than `max_lag` behind, and moved to the live end instead.
    let hub = Hub::new(HubConfig::default().max_lag(5).on_lag(OnLag::SkipToLive));
    let mut slow = hub.subscribe(["t"], None);
    publish(&hub, "t", 0..5);
    assert_eq!(poll(&mut slow), Some(msg(0)), "5 behind: not lagging yet");
    publish(&hub, "t", 5..7);
    assert_eq!(ready(&mut slow), [reset_at(6)], "6 behind: lagging");
    publish(&hub, "t", 7..8);
    assert_eq!(ready(&mut slow), [msg(7)]);
}

#[test]
fn first_seq_numbers_from_there() {
    let hub = Hub::new(HubConfig::default().first_seq(1_000));
    assert_eq!(hub.publish("t", Event::new().data("a")), 1_000);
    // An id from before a restart (a smaller number) is not resumed into new events.
    assert_eq!(
        ready(&mut hub.subscribe(["t"], Some(b"41"))),
        [reset_at(1_000)]
    );
    assert_eq!(
        Hub::new(HubConfig::default().first_seq(u64::MAX)).publish("t", Event::new()),
        1 << 63
    );
}

#[test]
fn an_event_stream_sends_what_the_hub_delivers() {
    let hub = Hub::default();
    publish(&hub, "t", 0..3);
    let sub = hub.subscribe(["t"], Some(b"0"));
    let mut body = EventStream::new(sub);
    let chunk = futures_executor::block_on(body.next()).unwrap().unwrap();
    assert_eq!(chunk, [msg(1), msg(2)].concat());
}

/// Reads the id out of one delivered event, or `None` for the reset event.
fn id_of(event: &Encoded) -> Option<u64> {
    let text = std::str::from_utf8(event.as_bytes()).unwrap();
    if text.starts_with("event: reset") {
        return None;
    }
    let line = text.lines().find(|l| l.starts_with("id: ")).unwrap();
    Some(line[4..].parse().unwrap())
}

/// A small deterministic generator, one per thread.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Publishers on several threads; subscribers that join, read a while, leave, and rejoin with
/// their last id at random moments. Every subscriber sees one contiguous run of ids, in order,
/// with no duplicate, across all its reconnections; a reset (history too short for its absence)
/// is the only way it may skip, and then it goes on from the reset's id.
#[test]
fn concurrent_publishers_and_reconnecting_subscribers() {
    const PUBLISHERS: u64 = 3;
    const EACH: u64 = 2_000;
    const TOTAL: u64 = PUBLISHERS * EACH;
    let deadline = Instant::now() + Duration::from_secs(60);
    for seed in 1..=8u64 {
        let hub = Hub::new(HubConfig::default().history(if seed % 2 == 0 { 64 } else { 10_000 }));
        // Everyone's first subscription is made before anything is published, so that no
        // subscriber waits for an event that never comes.
        let start = std::sync::Arc::new(std::sync::Barrier::new(4 + PUBLISHERS as usize));
        let subscribers: Vec<_> = (0..4)
            .map(|s| {
                let (hub, start) = (hub.clone(), start.clone());
                std::thread::spawn(move || {
                    let mut rng = Rng(seed * 7919 + s * 104_729 + 1);
                    let mut last: Option<u64> = None;
                    let mut resets = 0;
                    let mut first = Some(hub.subscribe(["t"], None));
                    start.wait();
                    while last.map_or(true, |l| l + 1 < TOTAL) {
                        assert!(Instant::now() < deadline, "seed {seed}: took too long");
                        let id = last.map(|l| l.to_string());
                        let mut sub = first.take().unwrap_or_else(|| {
                            hub.subscribe(["t"], id.as_deref().map(str::as_bytes))
                        });
                        for _ in 0..rng.below(300) + 1 {
                            let Some(event) = futures_executor::block_on(sub.next()) else {
                                break; // cut off after a reset: reconnect
                            };
                            match (id_of(&event), last) {
                                (Some(id), Some(l)) => assert_eq!(id, l + 1, "seed {seed}"),
                                (Some(_), None) => {}
                                (None, _) => {
                                    resets += 1;
                                    // Continue from the reset's id: what the client would send.
                                    let text = std::str::from_utf8(event.as_bytes()).unwrap();
                                    last = text
                                        .lines()
                                        .find_map(|l| l.strip_prefix("id: "))
                                        .map(|n| n.parse().unwrap());
                                    // A reset that names the last event leaves nothing to
                                    // read: waiting on would wait for an event never sent.
                                    if last == Some(TOTAL - 1) {
                                        break;
                                    }
                                    continue;
                                }
                            }
                            last = id_of(&event);
                            if last == Some(TOTAL - 1) {
                                break;
                            }
                        }
                        drop(sub);
                        if rng.below(4) == 0 {
                            std::thread::yield_now();
                        }
                    }
                    resets
                })
            })
            .collect();
        // Subscribers that start from nothing wait for the first event; publishers start after
        // a moment so some subscribe before and some after.
        let publishers: Vec<_> = (0..PUBLISHERS)
            .map(|p| {
                let (hub, start) = (hub.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut rng = Rng(seed * 31 + p + 1);
                    for _ in 0..EACH {
                        hub.publish("t", Event::new().data("x"));
                        if rng.below(50) == 0 {
                            std::thread::sleep(Duration::from_micros(200));
                        }
                    }
                })
            })
            .collect();
        for p in publishers {
            p.join().unwrap();
        }
        // A subscriber that waits for an event it will never get fails the test instead of
        // hanging it.
        while !subscribers.iter().all(|s| s.is_finished()) {
            assert!(
                Instant::now() < deadline,
                "seed {seed}: a subscriber is stuck"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let resets: u64 = subscribers.into_iter().map(|s| s.join().unwrap()).sum();
        if seed % 2 == 1 {
            assert_eq!(resets, 0, "seed {seed}: a history of 10,000 never runs out");
        }
        assert_eq!(hub.subscribers(), 0);
    }
}
