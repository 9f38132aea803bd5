//! Arbitrary bytes through the frame decoder of either role (the first byte picks it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsstream_core::Role;
use wsstream_core::frame::Decoder;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let role = if first & 1 == 0 { Role::Client } else { Role::Server };
    let mut decoder = Decoder::new(role, 1 << 16, 1 << 18);
    let mut input = bytes::BytesMut::new();
    for piece in rest.chunks(usize::from(first >> 1).max(1)) {
        input.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
