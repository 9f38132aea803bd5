//! Arbitrary Close frame payloads through `parse_close_payload` (RFC 6455 5.5.1 and 7.4).
//!
//! Invariants: an empty payload is 1005 with no reason; one byte is
//! [`ProtocolError::InvalidClosePayload`]; otherwise the payload is accepted exactly when its
//! code may be sent on the wire and its reason is UTF-8, and an accepted frame holds exactly
//! the code and reason bytes that were on the wire.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use wsstream_core::frame::parse_close_payload;
use wsstream_core::{CloseCode, ProtocolError};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_close_payload(Bytes::copy_from_slice(data));
    match *data {
        [] => {
            let frame = parsed.expect("an empty Close is valid");
            assert_eq!((frame.code, frame.reason.len()), (CloseCode::NO_STATUS, 0));
            assert!(frame.is_empty());
        }
        [_] => assert_eq!(parsed, Err(ProtocolError::InvalidClosePayload)),
        [hi, lo, ref reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([hi, lo]));
            match parsed {
                Ok(frame) => {
                    assert!(code.is_valid_on_wire());
                    assert_eq!(frame.code, code);
                    assert_eq!(frame.reason.as_bytes(), reason);
                    assert_eq!(frame.reason.as_str().as_bytes(), reason);
                    assert!(!frame.is_empty());
                }
                Err(e) => {
                    assert!(
                        !code.is_valid_on_wire() || std::str::from_utf8(reason).is_err(),
                        "refused a valid Close payload: {e}"
                    );
                    let expected = if code.is_valid_on_wire() {
                        ProtocolError::InvalidUtf8
                    } else {
                        ProtocolError::InvalidCloseCode
                    };
                    assert_eq!(e, expected);
                    assert!(matches!(e.close_code().as_u16(), 1002 | 1007));
                }
            }
        }
    }
});
