//! The hub in memory: the shared suite, then what only this backend has (its limits, topic
//! bookkeeping, many threads publishing while subscribers come and go, a model-checked run).

use crate::suite::{self, datas, field, flood, ready, Backend};
use futures_util::StreamExt;
use proptest::prelude::*;
use sse_wire::{Encoded, Event, EventStream, Hub, HubConfig, Subscription};
use std::time::{Duration, Instant};

impl Backend for Hub {
    type Sub = Subscription;
    fn start(config: HubConfig) -> Self {
        Hub::new(config)
    }
    fn publish(&self, topic: &str, event: Event) -> String {
        Hub::publish(self, topic, event).unwrap().to_string()
    }
    fn subscribe(&self, topics: &[&str], last_event_id: Option<&str>) -> Subscription {
        Hub::subscribe(
            self,
            topics.iter().copied(),
            last_event_id.map(str::as_bytes),
        )
    }
}

macro_rules! suite {
    ($($name:ident)*) => { $( #[test] fn $name() { suite::$name::<Hub>() } )* };
}
suite! {
    a_quiet_topic_is_not_reset_by_traffic_on_others
    a_quiet_topic_resumes_after_others_rolled_their_history
    several_topics_are_one_stream_resumed_by_one_id
    ids_it_cannot_resume_get_a_reset_that_does_not_loop
    own_ids_resume_only_when_retained
    a_reset_after_everything_aged_out_names_where_to_go_on
    a_subscriber_whose_events_left_the_history_is_told
    a_subscriber_past_max_lag_is_told_where_to_go_on
    dropping_the_hub_ends_subscriptions_after_what_they_are_owed
}

#[test]
fn replays_after_the_last_id_then_goes_live_with_no_gap_at_the_seam() {
    let hub = Hub::default();
    let mut fresh = hub.subscribe(["t"], None);
    assert_eq!(ready(&hub, &mut fresh), Vec::<String>::new(), "nothing yet");
    let ids = flood(&hub, "t", 5);
    assert_eq!(
        datas(&ready(&hub, &mut fresh)),
        ["t0", "t1", "t2", "t3", "t4"]
    );
    let mut resumed = hub.subscribe(["t"], Some(ids[2].as_bytes()));
    assert_eq!(datas(&ready(&hub, &mut resumed)), ["t3", "t4"]);
    hub.publish("t", Event::new().data("t5")).unwrap();
    assert_eq!(datas(&ready(&hub, &mut resumed)), ["t5"]);
    assert_eq!(datas(&ready(&hub, &mut fresh)), ["t5"]);
    assert_eq!(hub.subscribers(), 2);
    drop((fresh, resumed));
    assert_eq!(hub.subscribers(), 0);
}

#[test]
fn ids_are_epoch_and_sequence() {
    let hub = Hub::default();
    let first = hub.publish("t", Event::new().data("a")).unwrap();
    let second = hub.publish("u", Event::new().data("b")).unwrap();
    assert_eq!((first.seq(), second.seq()), (1, 2));
    let (epoch, seq) = first
        .to_string()
        .split_once('-')
        .map(|(e, s)| (e.to_owned(), s.to_owned()))
        .unwrap();
    assert_eq!(seq, "1");
    assert!(epoch.len() == 8 && epoch.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(second.to_string(), format!("{epoch}-2"));
    // The reset names the live end; `{epoch}-0` is the point before the first event.
    let empty = Hub::default();
    let got = ready(&empty, &mut empty.subscribe(["t"], Some(b"x")));
    let reset_id = field(&got[0], "id").unwrap().to_owned();
    assert!(reset_id.ends_with("-0"), "{reset_id}");
    assert_eq!(
        ready(
            &empty,
            &mut empty.subscribe(["t"], Some(reset_id.as_bytes()))
        ),
        Vec::<String>::new()
    );
    assert!(matches!(
        hub.publish("t", Event::new().id("k").unwrap()).and_then(|_| hub.publish("u", Event::new().id("k").unwrap())),
        Err(sse_wire::HubError::DuplicateId { id }) if id == "k"
    ));
}

#[test]
fn each_topic_keeps_its_own_history_by_count_bytes_and_age() {
    let hub = Hub::new(HubConfig::default().history(4));
    flood(&hub, "a", 100);
    flood(&hub, "b", 2);
    assert_eq!(hub.retained().0, 6);

    let each = Encoded::from(Event::new().id("00000000-1").unwrap().data("t0")).len();
    let hub = Hub::new(HubConfig::default().history_bytes(3 * each));
    flood(&hub, "t", 9);
    assert_eq!(hub.retained(), (3, 3 * each));
    hub.publish("t", Event::new().data("x".repeat(10 * each)))
        .unwrap();
    assert_eq!(hub.retained().0, 1, "the newest is kept however large");

    let hub = Hub::new(HubConfig::default().max_age(Duration::from_millis(50)));
    flood(&hub, "t", 3);
    std::thread::sleep(Duration::from_millis(80));
    flood(&hub, "u", 1);
    assert_eq!(hub.retained().0, 1);
}

/// The hub-wide budget evicts the oldest events first; exactly the subscribers that had not read
/// an evicted event get the reset.
#[test]
fn the_hub_budget_resets_exactly_those_whose_unread_events_left() {
    let each = Encoded::from(Event::new().id("00000000-1").unwrap().data("a0")).len()
        + Hub::EVENT_OVERHEAD;
    // Ids from `-10` on are a byte longer: room for 10 events, not 11.
    let hub = Hub::new(HubConfig::default().hub_bytes(10 * each + 10));
    let mut read_a = hub.subscribe(["a"], None);
    let mut unread_a = hub.subscribe(["a"], None);
    let mut b = hub.subscribe(["b"], None);
    flood(&hub, "a", 5);
    assert_eq!(datas(&ready(&hub, &mut read_a)).len(), 5);
    flood(&hub, "b", 8); // 13 events for room for 10: a0, a1, a2 leave
    assert_eq!(hub.retained().0, 10);
    assert_eq!(datas(&ready(&hub, &mut read_a)), Vec::<String>::new());
    assert_eq!(datas(&ready(&hub, &mut unread_a)), ["RESET", "END"]);
    assert_eq!(datas(&ready(&hub, &mut b)).len(), 8);
}

#[test]
fn topics_with_no_subscriber_and_nothing_retained_are_freed() {
    let hub = Hub::new(HubConfig::default().max_age(Duration::from_millis(20)));
    let subs: Vec<_> = (0..1_000)
        .map(|n| hub.subscribe([format!("one-off-{n}")], None))
        .collect();
    assert_eq!(hub.topics(), 1_000);
    drop(subs);
    assert_eq!(hub.topics(), 0);
    let ids: Vec<_> = (0..100)
        .map(|n| {
            hub.publish(&format!("p{n}"), Event::new().data("x"))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(hub.topics(), 100);
    std::thread::sleep(Duration::from_millis(40));
    hub.publish("other", Event::new().data("y")).unwrap();
    assert_eq!(hub.topics(), 1);
    // A forgotten topic is still judged exactly: its event left, so resuming before it resets,
    // and a topic that never had an event resumes.
    let got = ready(&hub, &mut hub.subscribe(["p7"], Some(ids[6].as_bytes())));
    assert_eq!(datas(&got), ["RESET"]);
    let got = ready(&hub, &mut hub.subscribe(["never"], Some(ids[6].as_bytes())));
    assert_eq!(got, Vec::<String>::new());
}

#[test]
fn a_subscription_to_forty_thousand_topics() {
    let hub = Hub::default();
    let names: Vec<String> = (0..40_000).map(|n| format!("user-{n}")).collect();
    let mut all = hub.subscribe(names.iter(), None);
    assert_eq!(hub.topics(), 40_000);
    for n in (0..40_000).step_by(997) {
        hub.publish(&names[n], Event::new().data(names[n].as_str()))
            .unwrap();
    }
    let want: Vec<_> = (0..40_000).step_by(997).map(|n| names[n].clone()).collect();
    assert_eq!(datas(&ready(&hub, &mut all)), want);
    drop(all);
    assert_eq!((hub.topics(), hub.subscribers()), (41, 0));
}

#[test]
fn an_event_stream_sends_what_the_hub_delivers() {
    let hub = Hub::default();
    let ids = flood(&hub, "t", 3);
    let mut body = EventStream::new(hub.subscribe(["t"], Some(ids[0].as_bytes())));
    let chunk = futures_executor::block_on(body.next()).unwrap().unwrap();
    assert_eq!(
        chunk,
        format!("id: {}\ndata: t1\n\nid: {}\ndata: t2\n\n", ids[1], ids[2])
    );
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

/// The sequence number in one of this hub's ids.
fn seq_of(id: &str) -> u64 {
    id.rsplit_once('-').unwrap().1.parse().unwrap()
}

/// Publishers on several threads over three topics; subscribers to two of them that join, read
/// a while, leave and rejoin with their last id at random moments. Every subscriber sees each
/// event of its topics once, in order, across all its reconnections; a reset (history too short
/// for its absence) is the only way it may skip, and then it goes on from the reset's id.
#[test]
fn concurrent_publishers_and_reconnecting_subscribers() {
    const PUBLISHERS: u64 = 3;
    const EACH: u64 = 2_000;
    let deadline = Instant::now() + Duration::from_secs(60);
    for seed in 1..=6u64 {
        let hub = Hub::new(HubConfig::default().history(if seed % 2 == 0 { 32 } else { 10_000 }));
        let start = std::sync::Arc::new(std::sync::Barrier::new(4 + PUBLISHERS as usize));
        let published = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u64, String)>::new()));
        let subscribers: Vec<_> = (0..4u64)
            .map(|s| {
                let (hub, start) = (hub.clone(), start.clone());
                std::thread::spawn(move || {
                    let topics = [["a", "b"], ["b", "c"], ["a", "c"], ["c", "a"]][s as usize];
                    let mut rng = Rng(seed * 7919 + s * 104_729 + 1);
                    let mut last: Option<String> = None;
                    let mut got: Vec<u64> = Vec::new();
                    let mut resets = Vec::new();
                    let mut first = Some(hub.subscribe(topics, None));
                    start.wait();
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .build()
                        .unwrap();
                    let mut rounds = 0;
                    while rounds < 40 {
                        assert!(Instant::now() < deadline, "seed {seed}: took too long");
                        rounds += 1;
                        let mut sub = first.take().unwrap_or_else(|| {
                            hub.subscribe(topics, last.as_deref().map(str::as_bytes))
                        });
                        for _ in 0..rng.below(200) + 1 {
                            let next = rt.block_on(async {
                                tokio::time::timeout(Duration::from_millis(50), sub.next()).await
                            });
                            let Ok(Some(event)) = next else { break };
                            let text = String::from_utf8(event.into_bytes().to_vec()).unwrap();
                            let id = field(&text, "id").unwrap().to_owned();
                            if field(&text, "event") == Some("reset") {
                                resets.push((got.len(), seq_of(&id)));
                            } else {
                                got.push(seq_of(&id));
                            }
                            last = Some(id);
                        }
                    }
                    (topics, got, resets)
                })
            })
            .collect();
        let publishers: Vec<_> = (0..PUBLISHERS)
            .map(|p| {
                let (hub, start, published) = (hub.clone(), start.clone(), published.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut rng = Rng(seed * 31 + p + 1);
                    for _ in 0..EACH {
                        let topic = ["a", "b", "c"][rng.below(3) as usize];
                        let seq = hub.publish(topic, Event::new().data("x")).unwrap().seq();
                        published.lock().unwrap().push((seq, topic.to_owned()));
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
        let mut published = published.lock().unwrap().clone();
        published.sort();
        for s in subscribers {
            let (topics, got, resets) = s.join().unwrap();
            // Between resets, exactly the events of its topics, in order, with no gap.
            let mut cursor = 0u64; // sequence numbers at or below it are accounted for
            let mut marks = resets.iter().peekable();
            for (i, &seq) in got.iter().enumerate() {
                while let Some(&&(before, reset_to)) = marks.peek() {
                    if before > i {
                        break;
                    }
                    cursor = reset_to;
                    marks.next();
                }
                let owed = published
                    .iter()
                    .find(|(s, t)| *s > cursor && topics.contains(&t.as_str()))
                    .unwrap();
                assert_eq!(seq, owed.0, "seed {seed}, {topics:?}: event {i}");
                cursor = seq;
            }
            if seed % 2 == 1 {
                assert!(
                    resets.is_empty(),
                    "seed {seed}: a history of 10,000 never runs out"
                );
            }
        }
        assert_eq!(hub.subscribers(), 0);
    }
}

/// One step of the model-checked run.
#[derive(Debug, Clone)]
enum Op {
    Publish(usize),
    /// Subscriber, topics (a bit mask over `TOPICS`), which id it sends.
    Connect(usize, u8, IdKind),
    Poll(usize, usize),
    Disconnect(usize),
}

#[derive(Debug, Clone)]
enum IdKind {
    None,
    /// Its own last id: what a client sends.
    Last,
    /// The id of the n-th event published (modulo the count), or `{epoch}-0`.
    Old(usize),
    Future(u64),
    Malformed(usize),
    PreviousRun(u64),
}

const TOPICS: [&str; 3] = ["a", "b", "c"];

fn op() -> impl Strategy<Value = Op> {
    let id = prop_oneof![
        1 => Just(IdKind::None),
        4 => Just(IdKind::Last),
        2 => any::<usize>().prop_map(IdKind::Old),
        1 => (1..1_000u64).prop_map(IdKind::Future),
        1 => (0..5usize).prop_map(IdKind::Malformed),
        1 => (0..50u64).prop_map(IdKind::PreviousRun),
    ];
    prop_oneof![
        6 => (0..3usize).prop_map(Op::Publish),
        2 => (0..3usize, 1..8u8, id).prop_map(|(s, t, i)| Op::Connect(s, t, i)),
        4 => (0..3usize, 1..6usize).prop_map(|(s, n)| Op::Poll(s, n)),
        1 => (0..3usize).prop_map(Op::Disconnect),
    ]
}

/// A client as the model sees it.
struct Client {
    sub: Option<Subscription>,
    topics: Vec<usize>,
    /// Every event of its topics after this sequence number is owed to it.
    after: u64,
    /// Its id was not resumable: the reset comes first, naming this sequence number.
    reset_first: Option<u64>,
    last_id: Option<String>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random publishers over random topics, random subscribers that disconnect and resume with
    /// random ids (their own, old, from the future, malformed, of a previous run): every
    /// subscriber sees each event of its topics once, in order, or a reset that names where to
    /// go on, and never a reset while nothing of its topics it was owed was evicted.
    #[test]
    fn every_event_once_in_order_or_a_reset_that_was_needed(
        history in 1..6usize,
        ops in proptest::collection::vec(op(), 1..150),
    ) {
        let hub = Hub::new(HubConfig::default().history(history));
        let previous = Hub::default();
        let epoch = {
            let got = ready(&hub, &mut hub.subscribe(["x"], Some(b"?")));
            field(&got[0], "id").unwrap().strip_suffix("-0").unwrap().to_owned()
        };
        // Published events: (sequence number, topic), and each topic's count.
        let mut published: Vec<(u64, usize)> = Vec::new();
        let evicted = |published: &[(u64, usize)], s: u64, t: usize| {
            let later = published.iter().filter(|&&(q, u)| u == t && q > s).count();
            later >= history
        };
        let mut clients: Vec<Client> = (0..3).map(|_| Client { sub: None, topics: vec![], after: 0, reset_first: None, last_id: None }).collect();
        for op in ops {
            let newest = published.last().map_or(0, |p| p.0);
            match op {
                Op::Publish(t) => {
                    let p = hub.publish(TOPICS[t], Event::new().data(TOPICS[t])).unwrap();
                    prop_assert_eq!(p.seq(), newest + 1);
                    published.push((p.seq(), t));
                }
                Op::Connect(s, mask, kind) => {
                    let client = &mut clients[s];
                    client.sub = None;
                    client.topics = (0..3).filter(|t| mask & (1 << t) != 0).collect();
                    let id: Option<String> = match kind {
                        IdKind::None => None,
                        IdKind::Last => client.last_id.clone(),
                        IdKind::Old(n) if published.is_empty() || n % 5 == 0 => Some(format!("{epoch}-0")),
                        IdKind::Old(n) => Some(format!("{epoch}-{}", published[n % published.len()].0)),
                        IdKind::Future(k) => Some(format!("{epoch}-{}", newest + k)),
                        IdKind::Malformed(n) => Some(["", "garbage", &format!("{epoch}-01"), &format!("{epoch}--1"), &format!(" {epoch}-1")][n].to_owned()),
                        IdKind::PreviousRun(k) => {
                            let other = previous.publish("a", Event::new()).unwrap().to_string();
                            Some(format!("{}-{k}", other.split_once('-').unwrap().0))
                        }
                    };
                    let resumable = id.as_deref().and_then(|id| {
                        let (e, n) = id.split_once('-')?;
                        (e == epoch && (n == "0" || !n.starts_with('0'))).then_some(())?;
                        let n: u64 = n.parse().ok()?;
                        (n <= newest).then_some(())?;
                        let lost = client.topics.iter().any(|&t| published.iter().any(|&(q, u)| u == t && q > n && evicted(&published, q, t)));
                        (!lost).then_some(n)
                    });
                    match (&id, resumable) {
                        (None, _) => { client.after = newest; client.reset_first = None; }
                        (Some(_), Some(n)) => { client.after = n; client.reset_first = None; }
                        (Some(_), None) => { client.after = newest; client.reset_first = Some(newest); }
                    }
                    let names: Vec<&str> = client.topics.iter().map(|&t| TOPICS[t]).collect();
                    client.sub = Some(hub.subscribe(names, id.as_deref().map(str::as_bytes)));
                }
                Op::Disconnect(s) => clients[s].sub = None,
                Op::Poll(s, n) => {
                    let client = &mut clients[s];
                    let Some(sub) = client.sub.as_mut() else { continue };
                    for _ in 0..n {
                        let got = suite::drain_one(sub);
                        let owed: Vec<u64> = published.iter().filter(|&&(q, t)| q > client.after && client.topics.contains(&t)).map(|p| p.0).collect();
                        let lost = published.iter().any(|&(q, t)| q > client.after && client.topics.contains(&t) && evicted(&published, q, t));
                        let Some(event) = got.first() else {
                            prop_assert!(client.reset_first.is_none(), "the reset was ready");
                            prop_assert!(owed.is_empty(), "pending with {:?} owed", owed);
                            break;
                        };
                        if event == "END" {
                            prop_assert!(false, "ended without a reset before");
                        }
                        let id = field(event, "id").unwrap().to_owned();
                        if field(event, "event") == Some("reset") {
                            match client.reset_first.take() {
                                Some(at) => prop_assert_eq!(seq_of(&id), at),
                                None => {
                                    prop_assert!(lost, "a reset with nothing lost; owed {:?}", owed);
                                    prop_assert_eq!(seq_of(&id), newest);
                                    // Cut off (`OnLag::Close`): the end, then it reconnects.
                                    prop_assert_eq!(suite::drain_one(sub), ["END"]);
                                    client.sub = None;
                                }
                            }
                            client.after = seq_of(&id);
                            client.last_id = Some(id);
                            break;
                        }
                        prop_assert!(client.reset_first.is_none(), "an event before the reset");
                        prop_assert_eq!(Some(seq_of(&id)), owed.first().copied(), "the next owed event");
                        client.after = seq_of(&id);
                        client.last_id = Some(id);
                    }
                }
            }
        }
    }
}
