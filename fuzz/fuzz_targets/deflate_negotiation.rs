//! Arbitrary text through permessage-deflate negotiation: parsing, the server's answer, and the
//! client's check of that answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsstream_core::deflate::{DeflateConfig, DeflateParams};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let server = DeflateConfig::default();
    let _ = server.accept_response(text);
    let Ok(offer) = DeflateParams::parse(text) else {
        // RFC 7692 5.1: an offer that does not parse is declined.
        assert!(server.negotiate(&[text]).is_none());
        return;
    };
    // What parses formats back to itself.
    assert_eq!(DeflateParams::parse(&offer.to_string()), Ok(offer));
    // The server accepts every valid offer, and the client that made it accepts the answer.
    let agreed = server.negotiate(&[text]).expect("a valid offer is acceptable");
    let mut client = DeflateConfig::default();
    client.server_no_context_takeover = offer.server_no_context_takeover;
    client.client_no_context_takeover = offer.client_no_context_takeover;
    client.server_max_window_bits = offer.server_max_window_bits;
    client.client_max_window_bits = offer.client_max_window_bits;
    assert_eq!(client.accept_response(&agreed.to_string()), Ok(agreed));
});
