//! `Last-Event-ID` parsing with arbitrary bytes: a typed answer, never a panic, and an accepted
//! id is exactly the input, within the rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sse_wire::headers::{last_event_id, last_event_id_u64, LAST_EVENT_ID_MAX_LEN};

fuzz_target!(|raw: &[u8]| {
    match last_event_id(raw) {
        Ok(id) => {
            assert_eq!(id.as_bytes(), raw);
            assert!(raw.len() <= LAST_EVENT_ID_MAX_LEN);
            assert!(!raw.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0')));
        }
        Err(_) => {
            let valid = raw.len() <= LAST_EVENT_ID_MAX_LEN
                && std::str::from_utf8(raw).is_ok()
                && !raw.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0'));
            assert!(!valid, "refused a valid id");
        }
    }
    match last_event_id_u64(raw) {
        Ok(n) => assert_eq!(n.to_string().parse::<u64>().ok(), Some(n)),
        // Leading zeros are fine, but not past the length cap (found by this target: 2,000
        // zeros are a valid number and still refused as too long, which is the documented rule).
        Err(_) => assert!(
            raw.is_empty()
                || raw.len() > LAST_EVENT_ID_MAX_LEN
                || !raw.iter().all(u8::is_ascii_digit)
                || std::str::from_utf8(raw).unwrap().parse::<u64>().is_err()
        ),
    }
    if let Ok(n) = last_event_id_u64(raw) {
        assert!(raw.iter().all(u8::is_ascii_digit));
        assert_eq!(std::str::from_utf8(raw).unwrap().parse::<u64>().unwrap(), n);
    }
});
