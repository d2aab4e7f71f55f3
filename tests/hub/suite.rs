//! What every hub backend promises, written once: each test is generic over [`Backend`];
//! `hub.rs` runs them against the hub in memory, `redis.rs` against one Redis, two instances
//! on one Redis, and two instances on a Redis Cluster.
//!
//! Events are compared as text; ids are taken from what `publish` returned, never assumed, so
//! that the same tests hold whatever the backend's id format.

use futures_core::Stream;
use futures_util::task::noop_waker;
use sse_wire::{Event, HubConfig, OnLag};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A hub implementation under test.
pub trait Backend: Sized {
    /// What `subscribe` gives: a stream of encoded events.
    type Sub: Stream<Item = sse_wire::Encoded> + Unpin;
    /// A fresh, empty hub.
    fn start(config: HubConfig) -> Self;
    /// Publishes; the id clients will see.
    fn publish(&self, topic: &str, event: Event) -> String;
    fn subscribe(&self, topics: &[&str], last_event_id: Option<&str>) -> Self::Sub;
    /// Whether subscribers see each event under the id `publish` returned for it. (A hub on
    /// a sharded log gives each instance's subscribers ids of their own.)
    const PUBLISHED_IDS_ARE_SEEN: bool = true;
    /// Waits until everything published is visible to subscriptions.
    fn settle(&self) {}
    /// Everything `sub` has ready, once settled (see [`drain`]).
    fn collect(&self, sub: &mut Self::Sub) -> Vec<String> {
        drain(sub)
    }
    /// The next event `sub` has ready, once settled (see [`drain_one`]).
    fn next_one(&self, sub: &mut Self::Sub) -> Vec<String> {
        drain_one(sub)
    }
}

/// What one subscription has ready now, each event as text; `END` when it ended.
pub fn ready<B: Backend>(hub: &B, sub: &mut B::Sub) -> Vec<String> {
    hub.settle();
    hub.collect(sub)
}

/// Everything ready now, without settling (the hub may be gone).
pub fn drain<S: Stream<Item = sse_wire::Encoded> + Unpin>(sub: &mut S) -> Vec<String> {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut out = Vec::new();
    while out.len() < 100_000 {
        match Pin::new(&mut *sub).poll_next(&mut cx) {
            Poll::Ready(Some(e)) => out.push(String::from_utf8(e.into_bytes().to_vec()).unwrap()),
            Poll::Ready(None) => {
                out.push("END".into());
                break;
            }
            Poll::Pending => break,
        }
    }
    out
}

/// The value of field `name` in one event's text.
pub fn field<'a>(event: &'a str, name: &str) -> Option<&'a str> {
    event
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

/// The data of each event, `RESET` for the reset event, `END` for the end.
pub fn datas(events: &[String]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            if e == "END" {
                "END".into()
            } else if field(e, "event") == Some("reset") {
                "RESET".into()
            } else {
                field(e, "data").unwrap_or("").to_owned()
            }
        })
        .collect()
}

fn data(topic: &str, n: usize) -> Event {
    Event::new().data(format!("{topic}{n}"))
}

/// Publishes `n` events to `topic` (`a0`, `a1`, …); their ids.
pub fn flood<B: Backend>(hub: &B, topic: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| hub.publish(topic, data(topic, i))).collect()
}

/// A subscriber of a quiet topic, up to date, gets that topic's next event however much the
/// other topics publish in between; with any lag policy and lag limit.
pub fn a_quiet_topic_is_not_reset_by_traffic_on_others<B: Backend>() {
    for config in [
        HubConfig::default(),
        HubConfig::default().max_lag(10),
        HubConfig::default().on_lag(OnLag::SkipToLive),
    ] {
        let hub = B::start(config.clone());
        let mut a = hub.subscribe(&["a"], None);
        flood(&hub, "b", 2_000);
        hub.publish("a", data("a", 0));
        assert_eq!(datas(&ready(&hub, &mut a)), ["a0"], "{config:?}");
    }
}

/// A client that resumes a quiet topic with its last id is replayed what it missed, though the
/// other topics published far more than one topic's history since.
pub fn a_quiet_topic_resumes_after_others_rolled_their_history<B: Backend>() {
    let hub = B::start(HubConfig::default());
    let ids = flood(&hub, "a", 2);
    flood(&hub, "b", 3_000);
    let mut resumed = hub.subscribe(&["a"], Some(&ids[0]));
    assert_eq!(datas(&ready(&hub, &mut resumed)), ["a1"]);
    // Notifications per user: each user's own event survives the others' traffic.
    let hub = B::start(HubConfig::default());
    let mut users: Vec<_> = (0..50)
        .map(|u| hub.subscribe(&[&format!("user{u}")], None))
        .collect();
    for round in 0..40 {
        for u in 0..50 {
            hub.publish(&format!("user{u}"), data(&format!("u{u}-"), round));
        }
    }
    for (u, sub) in users.iter_mut().enumerate() {
        let want: Vec<_> = (0..40).map(|r| format!("u{u}-{r}")).collect();
        assert_eq!(datas(&ready(&hub, sub)), want, "user {u}");
    }
}

/// One subscription to several topics: their events in publication order, and one id resumes
/// them all with no gap and no duplicate at the seam.
pub fn several_topics_are_one_stream_resumed_by_one_id<B: Backend>() {
    let hub = B::start(HubConfig::default());
    let mut ab = hub.subscribe(&["a", "b", "a"], None);
    let mut ids = Vec::new();
    for (i, topic) in ["a", "c", "b", "b", "c", "a", "b"].iter().enumerate() {
        ids.push(hub.publish(topic, data(topic, i)));
    }
    let got = ready(&hub, &mut ab);
    assert_eq!(datas(&got), ["a0", "b2", "b3", "a5", "b6"]);
    let got_ids: Vec<_> = got.iter().map(|e| field(e, "id").unwrap()).collect();
    if B::PUBLISHED_IDS_ARE_SEEN {
        assert_eq!(got_ids, [&ids[0], &ids[2], &ids[3], &ids[5], &ids[6]]);
    }
    // Each id it saw resumes after that event.
    let mut after_b3 = hub.subscribe(&["a", "b"], Some(got_ids[2]));
    assert_eq!(datas(&ready(&hub, &mut after_b3)), ["a5", "b6"]);
    // Resume after b3: a5 and b6 from history, then live.
    let mut resumed = hub.subscribe(&["b", "a"], Some(&ids[3]));
    assert_eq!(datas(&ready(&hub, &mut resumed)), ["a5", "b6"]);
    hub.publish("a", data("a", 7));
    hub.publish("c", data("c", 8));
    assert_eq!(datas(&ready(&hub, &mut resumed)), ["a7"]);
    assert_eq!(datas(&ready(&hub, &mut ab)), ["a7"]);
    // A topic with nothing published yet, resumed with an id of another topic: no reset.
    let mut fresh = hub.subscribe(&["new"], Some(&ids[6]));
    assert_eq!(ready(&hub, &mut fresh), Vec::<String>::new());
}

/// Ids a client may send that name no place to resume from: each gets the reset event, with an
/// id that resumes cleanly on the next connection (no reset loop), then live events.
pub fn ids_it_cannot_resume_get_a_reset_that_does_not_loop<B: Backend>() {
    let hub = B::start(HubConfig::default().history(3));
    let ids = flood(&hub, "t", 10); // t7, t8, t9 retained
    let last = ids[9].clone();
    let future = bump_number(&last, 1_000);
    let evicted = ids[5].clone();
    // The same topic on a previous run of the hub, whose last id falls inside this run's
    // retained range if ids were bare counters.
    let previous_run = {
        let other = B::start(HubConfig::default());
        flood(&other, "t", 8).pop().unwrap()
    };
    for id in [
        previous_run.as_str(),
        evicted.as_str(),
        future.as_str(),
        "abc",
        "",
        "-1",
        "+7",
        "7\n",
        "\u{feff}9",
    ] {
        let mut sub = hub.subscribe(&["t"], Some(id));
        let got = ready(&hub, &mut sub);
        assert_eq!(datas(&got), ["RESET"], "Last-Event-ID {id:?}");
        let reset_id = field(&got[0], "id")
            .expect("a reset carries an id")
            .to_owned();
        let live = hub.publish("t", Event::new().data("live"));
        assert_eq!(datas(&ready(&hub, &mut sub)), ["live"], "then live");
        // The client reconnects with the reset's id: it gets what followed, no second reset.
        let mut again = hub.subscribe(&["t"], Some(&reset_id));
        let got = ready(&hub, &mut again);
        assert_eq!(datas(&got), ["live"], "after reset id {reset_id:?}");
        assert_eq!(field(&got[0], "id"), Some(live.as_str()));
    }
    // The id just before the oldest retained event resumes: nothing is missing.
    let hub = B::start(HubConfig::default().history(3));
    let ids = flood(&hub, "t", 10);
    assert_eq!(
        datas(&ready(&hub, &mut hub.subscribe(&["t"], Some(&ids[6])))),
        ["t7", "t8", "t9"]
    );
}

/// A hub whose events carry their own ids: a plain number, or an own id that left the history,
/// gets the reset; a retained own id resumes after it.
pub fn own_ids_resume_only_when_retained<B: Backend>() {
    let hub = B::start(HubConfig::default().history(5));
    for n in 0..10 {
        let id = format!("evt-{n}");
        hub.publish("t", Event::new().id(id.as_str()).unwrap().data(id.as_str()));
    }
    for id in ["4", "evt-4", "evt-2", "5", "evt-99"] {
        let got = ready(&hub, &mut hub.subscribe(&["t"], Some(id)));
        assert_eq!(datas(&got), ["RESET"], "{id}");
    }
    assert_eq!(
        datas(&ready(&hub, &mut hub.subscribe(&["t"], Some("evt-6")))),
        ["evt-7", "evt-8", "evt-9"]
    );
    assert_eq!(
        datas(&ready(&hub, &mut hub.subscribe(&["t"], Some("evt-4x")))),
        ["RESET"]
    );
}

/// After `max_age` emptied the history, the reset still names where to go on.
pub fn a_reset_after_everything_aged_out_names_where_to_go_on<B: Backend>() {
    let hub = B::start(HubConfig::default().max_age(std::time::Duration::from_millis(30)));
    let ids = flood(&hub, "t", 3);
    std::thread::sleep(std::time::Duration::from_millis(60));
    let got = ready(&hub, &mut hub.subscribe(&["t"], Some(&ids[0])));
    assert_eq!(datas(&got), ["RESET"]);
    let reset_id = field(&got[0], "id")
        .expect("a reset carries an id")
        .to_owned();
    let mut again = hub.subscribe(&["t"], Some(&reset_id));
    assert_eq!(
        ready(&hub, &mut again),
        Vec::<String>::new(),
        "no second reset"
    );
    hub.publish("t", Event::new().data("next"));
    assert_eq!(datas(&ready(&hub, &mut again)), ["next"]);
}

/// A subscriber whose unread events left the history is told, with an id to go on from, and
/// cut off. (A hub on a shared log serves it from the log instead, while the log has them.)
pub fn a_subscriber_whose_events_left_the_history_is_told<B: Backend>() {
    let hub = B::start(HubConfig::default().history(4));
    let mut slow = hub.subscribe(&["t"], None);
    let mut other = hub.subscribe(&["u"], None);
    flood(&hub, "t", 10);
    hub.publish("u", data("u", 0));
    let got = ready(&hub, &mut slow);
    assert_eq!(datas(&got), ["RESET", "END"]);
    assert_eq!(
        datas(&ready(&hub, &mut other)),
        ["u0"],
        "other topics untouched"
    );
    let reset_id = field(&got[0], "id").unwrap().to_owned();
    let mut again = hub.subscribe(&["t"], Some(&reset_id));
    assert_eq!(ready(&hub, &mut again), Vec::<String>::new());
}

/// A subscriber more than `max_lag` events of its own topics behind is told, and moved to live.
pub fn a_subscriber_past_max_lag_is_told_where_to_go_on<B: Backend>() {
    let hub = B::start(HubConfig::default().max_lag(5).on_lag(OnLag::SkipToLive));
    let mut slow = hub.subscribe(&["t", "u"], None);
    flood(&hub, "t", 3);
    flood(&hub, "x", 100); // not its topic: does not count
    flood(&hub, "u", 2);
    hub.settle();
    assert_eq!(
        datas(&hub.next_one(&mut slow)),
        ["t0"],
        "5 behind: not lagging yet"
    );
    flood(&hub, "u", 2);
    let got = ready(&hub, &mut slow);
    assert_eq!(datas(&got), ["RESET"], "6 behind: lagging");
    hub.publish("t", data("t", 9));
    assert_eq!(datas(&ready(&hub, &mut slow)), ["t9"]);
    // The reset's id resumes after everything it skipped.
    let reset_id = field(&got[0], "id").unwrap().to_owned();
    let mut again = hub.subscribe(&["t", "u"], Some(&reset_id));
    assert_eq!(datas(&ready(&hub, &mut again)), ["t9"]);
}

pub fn drain_one<S: Stream<Item = sse_wire::Encoded> + Unpin>(sub: &mut S) -> Vec<String> {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    match Pin::new(sub).poll_next(&mut cx) {
        Poll::Ready(Some(e)) => vec![String::from_utf8(e.into_bytes().to_vec()).unwrap()],
        Poll::Ready(None) => vec!["END".into()],
        Poll::Pending => vec![],
    }
}

/// Dropping every handle of the hub ends each subscription after the events it is owed.
pub fn dropping_the_hub_ends_subscriptions_after_what_they_are_owed<B: Backend>() {
    let hub = B::start(HubConfig::default());
    let mut early = hub.subscribe(&["t"], None);
    let mut idle = hub.subscribe(&["other"], None);
    flood(&hub, "t", 3);
    hub.settle();
    drop(hub);
    assert_eq!(datas(&drain(&mut early)), ["t0", "t1", "t2", "END"]);
    assert_eq!(datas(&drain(&mut idle)), ["END"]);
}

/// `n`'s last run of digits plus `by`: an id from the future in any format built on numbers.
fn bump_number(id: &str, by: u64) -> String {
    let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, tail) = id.split_at(id.len() - digits);
    format!("{head}{}", tail.parse::<u64>().unwrap() + by)
}
