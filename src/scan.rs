//! Byte scanning, the bottom layer: where the line breaks are, and whether bytes are UTF-8.
//!
//! Everything above it (the line writer, the encoder, the decoder) finds breaks only through
//! these functions, so that the rule "a line ends at CR, at LF or at CRLF" is searched for in
//! one place.

use core::str;

/// Index of the first CR or LF in `s`.
///
/// Text of 32 bytes or more goes to `memchr`'s vector search (see [`wide`]), which tests a
/// whole vector register of bytes per instruction (with `std`, AVX2 where the CPU has it),
/// several times faster than a block-wise fold the compiler vectorizes by itself (figures in
/// BENCHMARKS.md). Shorter text, the common case for ids, event types and small
/// messages, is tested 8 bytes at a time as a `u64` (SWAR), the last word overlapping the one
/// before, which avoids the vector search's call and set-up cost.
#[inline]
pub(crate) fn find_break(s: &[u8]) -> Option<usize> {
    find::<false>(s)
}

/// Index of the first CR, LF or NUL in `s` (what an `id` may not hold), searched like
/// [`find_break`].
#[inline]
pub(crate) fn find_break_or_nul(s: &[u8]) -> Option<usize> {
    find::<true>(s)
}

#[inline(always)]
fn find<const NUL: bool>(s: &[u8]) -> Option<usize> {
    let len = s.len();
    if len >= 32 {
        return match NUL {
            true => wide::fallback::<true>(s),
            false => wide::find_break(s),
        };
    }
    if len >= 8 {
        let mut start = 0;
        let mut words = s.chunks_exact(8);
        for word in &mut words {
            if let Some(i) = first_in_word::<NUL>(word_at(word)) {
                return Some(start + i);
            }
            start += 8;
        }
        if len == start {
            return None;
        }
        // The last 8 bytes, overlapping bytes already known to hold no match.
        return first_in_word::<NUL>(word_at(&s[len - 8..])).map(|i| len - 8 + i);
    }
    // Fewer than 8 bytes: one word whose bytes cover all of `s`, in order, so that the first
    // match in the word is the first in `s`. For 4 to 7 bytes, the first 4 and the last 4 (two
    // loads, which overlap); for 1 to 3, the first, middle and last byte, padded with bytes
    // that match nothing.
    if let (Some(head), Some(tail)) = (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        let word =
            u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32;
        return first_in_word::<NUL>(word).map(|i| if i < 4 { i } else { len + i - 8 });
    }
    let (&first, &last) = (s.first()?, s.last()?);
    let word = u64::from_le_bytes([first, s[len / 2], last, b'x', b'x', b'x', b'x', b'x']);
    first_in_word::<NUL>(word).map(|i| [0, len / 2, len - 1][i])
}

/// The vector search for line breaks, for text of 32 bytes or more.
///
/// `memchr::memchr2(b'\n', b'\r', s)` chooses between its AVX2 and SSE2 code on every call,
/// through a function pointer, and builds its needle vectors again each time: on lines of 64 to
/// 200 bytes, the usual length in multi-line data, that is about a third of the call. So with
/// `std` on x86-64 the AVX2 searcher is built on first use, if the CPU has AVX2, and kept in a
/// `static`. Otherwise this is `memchr`'s own search: without `std` there is no run-time CPU
/// detection (and no `OnceLock`), and on other architectures `memchr` picks its code when it
/// is compiled. The search that also stops at NUL (for ids, which are short and rarely reach
/// 32 bytes) stays `memchr3`: nothing measured shows a searcher of its own would pay.
mod wide {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    use memchr::arch::x86_64::avx2::memchr::Two;
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    use std::sync::OnceLock;

    /// Index of the first CR or LF in `s`.
    #[inline]
    pub(super) fn find_break(s: &[u8]) -> Option<usize> {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            static SEARCHER: OnceLock<Option<Two>> = OnceLock::new();
            if let Some(searcher) = SEARCHER.get_or_init(|| Two::new(b'\n', b'\r')) {
                return searcher.find(s);
            }
        }
        fallback::<false>(s)
    }

    /// `memchr`'s own search, which picks its code on each call.
    #[inline]
    pub(super) fn fallback<const NUL: bool>(s: &[u8]) -> Option<usize> {
        match NUL {
            true => memchr::memchr3(b'\n', b'\r', 0, s),
            false => memchr::memchr2(b'\n', b'\r', s),
        }
    }
}

/// The first 8 bytes of `bytes` (which has at least 8) as one little-endian word: one load.
#[inline(always)]
fn word_at(bytes: &[u8]) -> u64 {
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// Index of the first CR or LF (or, with `NUL`, NUL) among the 8 bytes of `word`, the first
/// byte in its lowest 8 bits.
///
/// A byte is a break when it XORs to zero with `0x0A` or with `0x0D`, and
/// `(x - 0x01..01) & !x & 0x80..80` flags the zero bytes of `x`. A flag above a zero byte can be
/// false (a borrow from below), but the lowest flag is always a real zero byte, so
/// `trailing_zeros` gives the exact position of the first break.
#[inline(always)]
fn first_in_word<const NUL: bool>(w: u64) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut hits =
        zero_bytes(w ^ (ONES * u64::from(b'\n'))) | zero_bytes(w ^ (ONES * u64::from(b'\r')));
    if NUL {
        hits |= zero_bytes(w);
    }
    (hits != 0).then(|| hits.trailing_zeros() as usize / 8)
}

/// Checks that `bytes` are UTF-8 and whether they hold a CR or LF (are more than one line), in
/// one pass over memory: a block at a time, searched for a break while it is still in cache.
/// (Checking the whole of a large payload first and searching it second read it from memory
/// twice, which made sending 1 MiB of `Bytes` data slower than copying it.) On invalid UTF-8,
/// the error is where the valid prefix ends, as [`str::from_utf8`] reports it for the whole.
///
/// An ASCII block, the common case, is read once more only if it holds a byte that may be a
/// break (see [`ascii_and_maybe_break`]), so a large payload is read from memory once.
pub(crate) fn check_utf8_and_breaks(bytes: &[u8]) -> Result<bool, usize> {
    const BLOCK: usize = 16 * 1024;
    let mut has_break = false;
    let mut start = 0;
    while start < bytes.len() {
        let mut end = bytes.len().min(start + BLOCK);
        let block = &bytes[start..end];
        let maybe_break = match ascii_and_maybe_break(block) {
            Some(maybe_break) => maybe_break,
            None => {
                if let Err(e) = str::from_utf8(block) {
                    match e.error_len() {
                        // A character cut by the end of the block (not of the text): the
                        // block ends before it, and the next one starts with it.
                        None if end < bytes.len() => end = start + e.valid_up_to(),
                        _ => return Err(start + e.valid_up_to()),
                    }
                }
                true
            }
        };
        has_break = has_break || (maybe_break && find_break(&bytes[start..end]).is_some());
        start = end;
    }
    Ok(has_break)
}

/// For a `block` of ASCII, whether it may hold a CR or LF: `false` means it holds none, `true`
/// that it holds a byte from 0x08 to 0x0F (CR and LF among them, but also TAB, VT and FF,
/// which is why the caller then searches for real). `None` if it is not all ASCII, found by
/// the end of the 1 KiB piece that holds the first other byte, so that text which needs the
/// full UTF-8 check does not pay for this pass too.
// Out of line: inlined into the block loop it is no faster, and the loop is harder to read.
#[inline(never)]
fn ascii_and_maybe_break(block: &[u8]) -> Option<bool> {
    // One OR and one compare per byte, which the compiler vectorizes over a fixed-size piece.
    fn piece(bytes: &[u8]) -> (u8, u8) {
        bytes.iter().fold((0, 0), |(high, near), &b| {
            (high | b, near | u8::from(b | 0x07 == 0x0F))
        })
    }
    let mut pieces = block.chunks_exact(1024);
    let mut near = 0;
    for p in &mut pieces {
        let (high, p_near) = piece(p);
        if high >= 0x80 {
            return None;
        }
        near |= p_near;
    }
    let (high, p_near) = piece(pieces.remainder());
    (high < 0x80).then_some(near | p_near != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_break_agrees_with_a_plain_search_at_every_offset() {
        for len in 0..100 {
            for at in 0..=len {
                for brk in [b'\r', b'\n'] {
                    let mut s = alloc::vec![b'x'; len];
                    if at < len {
                        s[at] = brk;
                    }
                    let want = s.iter().position(|&b| b == b'\r' || b == b'\n');
                    assert_eq!(find_break(&s), want, "len {len} at {at}");
                    assert_eq!(find_break_or_nul(&s), want, "len {len} at {at}");
                    // The vector search at every length, and its fallback (the search without
                    // `std`), which this machine's build may not otherwise use.
                    assert_eq!(wide::find_break(&s), want, "len {len} at {at}");
                    assert_eq!(wide::fallback::<false>(&s), want, "len {len} at {at}");
                    s.push(0);
                    s.insert(0, b'x');
                    let want = s.iter().position(|&b| b == b'\r' || b == b'\n' || b == 0);
                    assert_eq!(find_break_or_nul(&s), want, "nul: len {len} at {at}");
                }
            }
        }
    }

    #[test]
    fn the_ascii_pass_flags_breaks_and_finds_any_other_byte() {
        // In the first piece, a later one and the remainder after the last whole piece: bytes
        // from 0x80 on make the block not ASCII; 0x08 to 0x0F (CR and LF among them) may be a
        // break; nothing else is flagged.
        for len in [5, 1024, 1500, 3 * 1024] {
            for at in [0, len / 2, len - 1] {
                for b in 0..=0xFFu8 {
                    let mut text = vec![b'a'; len];
                    text[at] = b;
                    let want = (b < 0x80).then_some((0x08..=0x0F).contains(&b));
                    assert_eq!(
                        ascii_and_maybe_break(&text),
                        want,
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert_eq!(ascii_and_maybe_break(&[]), Some(false));
    }

    #[test]
    fn the_block_wise_check_is_exact() {
        const BLOCK: usize = 16 * 1024;
        // Every ASCII byte, in the first block, the second, and at the boundary: only CR and LF
        // count as a break.
        for b in 0..0x80u8 {
            let is_break = b == b'\r' || b == b'\n';
            for at in [0, 1, 63, BLOCK - 1, BLOCK, BLOCK + 7] {
                let mut text = vec![b'a'; BLOCK + 8];
                text[at] = b;
                assert_eq!(check_utf8_and_breaks(&text), Ok(is_break), "{b:#x} at {at}");
            }
        }
        // A TAB (not a break) in the first block and a break in the second; a break after a
        // block that is not ASCII.
        let mut text = vec![b'a'; 2 * BLOCK];
        text[5] = b'\t';
        text[BLOCK + 5] = b'\n';
        assert_eq!(check_utf8_and_breaks(&text), Ok(true));
        let mut text = "é".repeat(BLOCK).into_bytes();
        assert_eq!(check_utf8_and_breaks(&text), Ok(false));
        text.push(b'\r');
        assert_eq!(check_utf8_and_breaks(&text), Ok(true));
        // Every byte from 0x80 on, alone, is not UTF-8; found where it is, in either block.
        for b in 0x80..=0xFFu8 {
            for at in [0, BLOCK - 1, BLOCK + 3] {
                let mut text = vec![b'a'; BLOCK + 8];
                text[at] = b;
                assert_eq!(check_utf8_and_breaks(&text), Err(at), "{b:#x} at {at}");
            }
        }
    }
}
