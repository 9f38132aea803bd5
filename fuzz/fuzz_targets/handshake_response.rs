//! Arbitrary bytes as the server's answer to the client's opening handshake (RFC 6455 4.1),
//! fed in arbitrary pieces.
//!
//! Input: `[flags, split seed, response...]`. Flags: bit 0 offers subprotocols `chat` and
//! `superchat`, bit 1 offers `permessage-deflate`, bit 2 sets tight header limits. The client's
//! nonce is RFC 6455 1.3's, so the expected accept value is `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
//!
//! Invariants: fed in pieces, the parser answers "need more" until it gives the same result as a
//! fresh parser given the whole input at once; a completed handshake took exactly the bytes up
//! to the first blank line (LF, optional CR, LF), within the limits, and agreed only to what was
//! offered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsstream_core::handshake::ClientHandshake;
use wsstream_core::{ClientConfig, Config};

const NONCE: [u8; 16] = *b"the sample nonce";

fuzz_target!(|data: &[u8]| {
    let [flags, seed, ref response @ ..] = *data else { return };
    let mut config = ClientConfig::new("server.example.com", "/chat");
    if flags & 1 != 0 {
        config = config.with_protocols(["chat", "superchat"]);
    }
    let offers = if flags & 2 != 0 {
        vec!["permessage-deflate; client_max_window_bits".to_owned()]
    } else {
        vec![]
    };
    if flags & 4 != 0 {
        let mut limits = Config::default();
        limits.max_header_bytes = 160;
        limits.max_headers = 5;
        config = config.with_config(limits);
    }
    let new = || ClientHandshake::new(&config, NONCE, &offers, &mut Vec::new());

    let whole = new().parse_response(response);
    let mut incremental = new();
    let mut end = 0;
    let mut result = Ok(None);
    for piece in wsstream_fuzz::pieces(seed, response) {
        end += piece.len();
        result = incremental.parse_response(&response[..end]);
        if !matches!(result, Ok(None)) {
            break;
        }
    }
    assert_eq!(result, whole, "split at {end} of {}", response.len());

    if let Ok(Some((res, used))) = whole {
        assert_eq!(Some(used), wsstream_fuzz::header_end(response), "not the first blank line");
        assert!(used <= config.config.max_header_bytes);
        assert!(res.headers.len() <= config.config.max_headers);
        assert_eq!(res.status, 101);
        if let Some(p) = &res.protocol {
            assert!(config.protocols.contains(p), "{p:?} was not offered");
        } else {
            assert!(config.protocols.is_empty());
        }
        if res.extensions.is_some() {
            assert!(!offers.is_empty());
        }
    }
});
