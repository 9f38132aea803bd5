//! Close frames going out: checks on what the caller asks to send, and the payload encoding.

use bytes::BytesMut;

use crate::error::CloseError;
use crate::message::{CloseCode, CloseFrame, MAX_CLOSE_REASON_BYTES};

/// Checks a Close the caller asks for and returns the frame to send.
///
/// A reason without a code is sent with 1000, as the browser does; no code and no reason is an
/// empty Close.
///
/// # Errors
/// A code RFC 6455 7.4 does not allow on the wire, or a reason over 123 bytes.
pub(crate) fn outgoing(code: Option<CloseCode>, reason: &str) -> Result<CloseFrame, CloseError> {
    if let Some(code) = code {
        if !code.is_valid_on_wire() {
            return Err(CloseError::InvalidCode(code));
        }
    }
    if reason.len() > MAX_CLOSE_REASON_BYTES {
        return Err(CloseError::ReasonTooLong);
    }
    Ok(match code {
        Some(code) => CloseFrame::new(code, reason),
        None if reason.is_empty() => CloseFrame::empty(),
        None => CloseFrame::new(CloseCode::NORMAL, reason),
    })
}

/// The payload of a Close frame: nothing for 1005, else the code and the reason.
pub(crate) fn payload(frame: &CloseFrame, out: &mut BytesMut) {
    if frame.is_empty() {
        return;
    }
    out.extend_from_slice(&frame.code.0.to_be_bytes());
    out.extend_from_slice(frame.reason.as_bytes());
}

/// Cuts `reason` to at most 123 bytes on a character boundary.
pub(crate) fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON_BYTES {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_what_the_caller_sends() {
        assert_eq!(outgoing(None, ""), Ok(CloseFrame::empty()));
        assert_eq!(outgoing(None, "x"), Ok(CloseFrame::new(1000, "x")));
        assert_eq!(outgoing(Some(CloseCode(4000)), "y"), Ok(CloseFrame::new(4000, "y")));
        for bad in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            assert_eq!(
                outgoing(Some(CloseCode(bad)), ""),
                Err(CloseError::InvalidCode(CloseCode(bad)))
            );
        }
        assert_eq!(outgoing(None, &"a".repeat(124)), Err(CloseError::ReasonTooLong));
        assert!(outgoing(None, &"a".repeat(123)).is_ok());
        assert_eq!(truncate_reason(&"é".repeat(100)).len(), 122);
    }
}
