//! The incremental UTF-8 validator against `std::str::from_utf8`, with arbitrary split points.
//!
//! Input: `[split seed, bytes...]`. After every piece the validator must agree with std on
//! whether the bytes so far can still begin a valid string (it fails fast, at the first piece
//! that makes the stream invalid, never later and never sooner); at the end, `finish` must agree
//! with std on the whole, and so must the one-shot `validate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsstream_core::utf8::{Utf8Validator, validate};

fuzz_target!(|data: &[u8]| {
    let Some((&seed, text)) = data.split_first() else { return };
    let whole_ok = std::str::from_utf8(text).is_ok();
    assert_eq!(validate(text).is_ok(), whole_ok);

    let mut validator = Utf8Validator::new();
    let mut end = 0;
    for piece in wsstream_fuzz::pieces(seed, text) {
        end += piece.len();
        let prefix_ok = match std::str::from_utf8(&text[..end]) {
            Ok(_) => true,
            // An error without a length is a sequence cut short: more bytes may complete it.
            Err(e) => e.error_len().is_none(),
        };
        let fed = validator.feed(piece);
        assert_eq!(fed.is_ok(), prefix_ok, "after {end} bytes");
        if fed.is_err() {
            return;
        }
    }
    assert_eq!(validator.finish().is_ok(), whole_ok);
    // `finish` resets: the validator can check the next message from scratch.
    assert_eq!(validator.feed(text).and_then(|()| validator.finish()).is_ok(), whole_ok);
});
