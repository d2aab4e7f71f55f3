//! Helpers shared by the integration tests.
#![allow(dead_code)]

mod whatwg;
#[allow(unused_imports)]
pub use whatwg::{Dispatched, Parser};

/// What a client receives for data: CR and CRLF become LF.
pub fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Lines of a comment as a client reads them (the one space after the colon is ours to strip).
pub fn comment_lines(s: &str) -> Vec<String> {
    normalize_newlines(s)
        .split('\n')
        .map(str::to_owned)
        .collect()
}

/// Parses `bytes` with the `eventsource-stream` crate, fed as the given chunks.
pub fn peer_parse(chunks: Vec<bytes::Bytes>) -> Vec<eventsource_stream::Event> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let stream =
        futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::convert::Infallible>));
    futures_executor::block_on(
        stream
            .eventsource()
            .map(|r| r.expect("peer parse error"))
            .collect(),
    )
}
