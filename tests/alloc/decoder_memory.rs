//! What the decoder holds, counted by the allocator: within its limits, and nothing beyond
//! what `Decoder::buffered` reports.

use crate::counting_alloc::{live, peak, reset_peak};
use bytes::Bytes;
use sse_wire::decode::{DecodeError, Decoder, Limits};

const MIB: usize = 1 << 20;

/// `data: ` and `len` bytes of `fill`, then LF.
fn data_line(fill: u8, len: usize) -> Vec<u8> {
    let mut line = b"data: ".to_vec();
    line.resize(6 + len, fill);
    line.push(b'\n');
    line
}

/// Two data lines of almost 4 MiB (the line limit) in one event take their joined size, once.
pub fn two_long_data_lines_take_their_size() {
    let mut input = data_line(b'a', 4 * MIB - 64);
    input.extend(data_line(b'b', 4 * MIB - 64));
    input.push(b'\n');
    let input = Bytes::from(input);
    let mut decoder = Decoder::new();
    reset_peak();
    let before = live();
    decoder.push(input.clone());
    let event = decoder.next_event().unwrap().unwrap();
    let extra = (peak() - before) as usize;
    assert_eq!(event.data().len(), 8 * MIB - 128 + 1);
    assert!(
        extra <= 8 * MIB + 4096,
        "{extra} bytes to join two 4 MiB lines"
    );
}

/// An event over `max_event` (16 MiB by default), sent in 1 MiB data lines, is refused as the
/// line that would break the limit arrives, having taken at most the limit.
pub fn an_oversized_event_is_refused_within_the_limit() {
    let line = Bytes::from(data_line(b'x', MIB - 8));
    let mut decoder = Decoder::new();
    reset_peak();
    let before = live();
    let mut refused_at = None;
    for n in 1..=40 {
        decoder.push(line.clone());
        if let Some(result) = decoder.next_event() {
            assert_eq!(
                result.unwrap_err(),
                DecodeError::EventTooLarge { max: 16 * MIB }
            );
            refused_at = Some(n);
            break;
        }
    }
    assert_eq!(refused_at, Some(17), "the 17th line breaks 16 MiB");
    let extra = (peak() - before) as usize;
    assert!(
        extra <= 16 * MIB + 4096,
        "{extra} bytes before refusing a 16 MiB event"
    );
    assert_eq!(decoder.buffered(), 0);
}

/// A one-line data value read from a big chunk, its event not yet ended, does not keep that
/// chunk alive once the next chunk comes: the decoder holds what `buffered` says.
pub fn a_pending_data_line_does_not_pin_its_chunk() {
    let before = live();
    let mut chunk = Vec::with_capacity(32 * MIB);
    while chunk.len() < 31 * MIB {
        chunk.extend_from_slice(b": a comment, as a proxy might pad a stream with\n");
    }
    chunk.extend_from_slice(b"data: 1\n");
    let mut decoder = Decoder::with_limits(Limits::default());
    decoder.push(Bytes::from(chunk));
    assert!(decoder.next_event().is_none());
    decoder.push(Bytes::from_static(b"\n"));
    let held = (live() - before) as usize;
    assert_eq!(decoder.buffered(), 1);
    assert!(held < 64 * 1024, "{held} bytes held for a 1-byte data line");
    assert_eq!(decoder.next_event().unwrap().unwrap().data(), "1");
}
