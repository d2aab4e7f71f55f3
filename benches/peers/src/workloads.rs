//! The workloads W1–W5, shared by the encoder benchmark (`main.rs`) and the decoder benchmark
//! (`bin/decode.rs`).
#![allow(dead_code)]

// ---------------------------------------------------------------------------------------------
// Workloads

/// One event's input, made before timing.
#[derive(Clone)]
pub struct Payload {
    pub event: Option<&'static str>,
    pub id: Option<String>,
    pub data: String,
}

#[derive(Clone, Copy, PartialEq)]
pub enum W {
    Tiny,
    Typical,
    Multiline,
    Large,
    LargeBytes,
    LargeMultiline,
}

impl W {
    pub fn name(self) -> &'static str {
        match self {
            W::Tiny => "W1 tiny",
            W::Typical => "W2 typical",
            W::Multiline => "W3 multiline",
            W::Large => "W4 large",
            W::LargeBytes => "W4 large (Bytes)",
            W::LargeMultiline => "W5 large-multiline",
        }
    }

    pub fn events(self, quick: bool) -> usize {
        let n = match self {
            W::Tiny => 1_000_000,
            W::Typical => 200_000,
            W::Multiline => 100_000,
            W::Large | W::LargeBytes | W::LargeMultiline => 200,
        };
        if quick {
            n / 20
        } else {
            n
        }
    }

    pub fn payloads(self, n: usize) -> Vec<Payload> {
        (0..n)
            .map(|i| match self {
                W::Tiny => Payload {
                    event: None,
                    id: None,
                    data: format!("Message {i}"),
                },
                W::Typical => Payload {
                    event: Some("update"),
                    id: Some(format!("{i}")),
                    data: json_200(i),
                },
                W::Multiline => {
                    let line = |k: usize| format!("{:0>80}", i * 10 + k);
                    Payload {
                        event: None,
                        id: None,
                        data: (0..10).map(line).collect::<Vec<_>>().join("\n"),
                    }
                }
                W::Large | W::LargeBytes => Payload {
                    event: None,
                    id: None,
                    data: one_mib_line(i),
                },
                W::LargeMultiline => Payload {
                    event: None,
                    id: None,
                    data: one_mib_lines(i),
                },
            })
            .collect()
    }
}

/// A ~200-byte single-line JSON text.
fn json_200(i: usize) -> String {
    format!(
        r#"{{"id":{i},"type":"update","user":{{"name":"user-{}","role":"editor"}},"path":"/projects/{}/items/{i}","changes":[{{"field":"title","from":"draft","to":"final"}}],"ts":{}}}"#,
        i % 997,
        i % 31,
        1_700_000_000_000u64 + i as u64
    )
}

fn one_mib_line(i: usize) -> String {
    let c = (b'a' + (i % 26) as u8) as char;
    c.to_string().repeat(1 << 20)
}

/// 1 MiB with `\n` every 64 bytes (63 characters and a newline).
fn one_mib_lines(i: usize) -> String {
    let c = (b'a' + (i % 26) as u8) as char;
    (c.to_string().repeat(63) + "\n").repeat((1 << 20) / 64)
}

/// The workload's events, as sse-wire encodes them: the wire the decoder and client benchmarks
/// read.
pub fn encode(payloads: &[Payload]) -> bytes::Bytes {
    let mut buf = bytes::BytesMut::new();
    for p in payloads {
        let mut ev = sse_wire::Event::new();
        if let Some(t) = p.event {
            ev = ev.event(t).unwrap();
        }
        if let Some(id) = &p.id {
            ev = ev.id(id.as_str()).unwrap();
        }
        ev.data(p.data.as_str()).encode_into(&mut buf);
    }
    buf.freeze()
}

/// The (type, data) of each event a conformant client dispatches for the payloads.
pub fn dispatched(payloads: &[Payload]) -> Vec<(String, String)> {
    payloads
        .iter()
        .map(|p| (p.event.unwrap_or("message").to_owned(), p.data.clone()))
        .collect()
}

/// The median of each contender's round times.
pub fn medians(times: &mut [Vec<std::time::Duration>]) -> Vec<std::time::Duration> {
    times
        .iter_mut()
        .map(|t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}
