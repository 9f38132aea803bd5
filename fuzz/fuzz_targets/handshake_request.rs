//! Arbitrary bytes as a client's opening handshake request (RFC 6455 4.2.1), fed to the server's
//! parser in arbitrary pieces.
//!
//! Input: `[flags, split seed, request...]`. Flag bit 0 sets tight header limits.
//!
//! Invariants: fed in pieces, the parser answers "need more" until it gives the same result as a
//! fresh parser given the whole input at once; a failure maps to a 4xx status; an accepted
//! request took exactly the bytes up to the first blank line, within the limits, and its key is
//! 16 base64-encoded bytes. Round trip: the 101 response the server writes for it (choosing the
//! first subprotocol that is a token) completes the handshake of a client that sent that key.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use wsstream_core::config::is_token;
use wsstream_core::handshake::server::RequestParser;
use wsstream_core::handshake::{ClientHandshake, accept_response};
use wsstream_core::{ClientConfig, Config};

fuzz_target!(|data: &[u8]| {
    let [flags, seed, ref request @ ..] = *data else { return };
    let mut config = Config::default();
    if flags & 1 != 0 {
        config.max_header_bytes = 200;
        config.max_headers = 6;
    }

    let whole = RequestParser::new(&config).parse(request);
    let mut incremental = RequestParser::new(&config);
    let mut end = 0;
    let mut result = Ok(None);
    for piece in wsstream_fuzz::pieces(seed, request) {
        end += piece.len();
        result = incremental.parse(&request[..end]);
        if !matches!(result, Ok(None)) {
            break;
        }
    }
    assert_eq!(result, whole, "split at {end} of {}", request.len());

    let (req, used) = match whole {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return,
        Err(e) => {
            assert!(matches!(e.http_status(), 400 | 405 | 426 | 431), "{e}");
            return;
        }
    };
    assert_eq!(Some(used), wsstream_fuzz::header_end(request), "not the first blank line");
    assert!(used <= config.max_header_bytes);
    assert!(req.headers.len() <= config.max_headers);
    assert!(req.header("Host").is_some());

    // Round trip through the client's checks.
    let key = base64::engine::general_purpose::STANDARD.decode(req.key()).expect("checked key");
    let nonce: [u8; 16] = key.try_into().expect("checked key length");
    let protocol = req.protocols.iter().find(|p| is_token(p)).cloned();
    let mut client = ClientConfig::new("h", "/");
    if let Some(p) = &protocol {
        client = client.with_protocols([p.as_str()]);
    }
    let mut hs = ClientHandshake::new(&client, nonce, &[], &mut Vec::new());
    let mut response = Vec::new();
    accept_response(&req, protocol.as_deref(), None, &[], &mut response);
    let (res, used) = hs.parse_response(&response).expect("our own 101").expect("complete");
    assert_eq!(used, response.len());
    assert_eq!(res.protocol, protocol);
});
