//! Messages, close codes and close frames: the values that cross the API.

use std::fmt;

use bytes::Bytes;

use crate::payload::Payload;
use crate::utf8;

/// A complete WebSocket message. Text and binary stay apart, as in the browser.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// A text message: its payload is valid UTF-8.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Payload),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message. `Bytes` are kept as they are; to hold a small payload inline, pass a
    /// [`Payload`] ([`Payload::copy_from_slice`]) to `Message::Binary`.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(Payload::from(data.into()))
    }

    /// Whether this is a text message.
    pub const fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Whether this is a binary message.
    pub const fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload as bytes, whatever the kind.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Binary(b) => b,
        }
    }

    /// The text, if this is a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t.as_str()),
            Self::Binary(_) => None,
        }
    }

    /// The payload as `Bytes`: without copying, except a small payload held inline
    /// ([`Payload::into_bytes`]).
    pub fn into_bytes(self) -> Bytes {
        self.into_payload().into_bytes()
    }

    /// The payload, whatever the kind.
    pub fn into_payload(self) -> Payload {
        match self {
            Self::Text(t) => t.into_payload(),
            Self::Binary(b) => b,
        }
    }

    /// The message, lent: what [`Connection::poll_message_with`] hands out.
    ///
    /// [`Connection::poll_message_with`]: crate::Connection::poll_message_with
    pub fn as_borrowed(&self) -> MessageRef<'_> {
        match self {
            Self::Text(t) => MessageRef::Text(t.as_str()),
            Self::Binary(b) => MessageRef::Binary(b),
        }
    }
}

/// A complete message, lent by the connection for the length of a call
/// ([`Connection::poll_message_with`]): its bytes where they are, no copy.
///
/// [`Connection::poll_message_with`]: crate::Connection::poll_message_with
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageRef<'a> {
    /// A text message.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

impl MessageRef<'_> {
    /// Whether this is a text message.
    pub const fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// The payload as bytes, whatever the kind.
    pub const fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Binary(b) => b,
        }
    }

    /// The payload's length in bytes.
    pub const fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An owned copy.
    pub fn to_message(&self) -> Message {
        match *self {
            Self::Text(t) => Message::text(t),
            Self::Binary(b) => Message::Binary(Payload::copy_from_slice(b)),
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) => f.debug_tuple("Text").field(&t.as_str()).finish(),
            Self::Binary(b) => f.debug_tuple("Binary").field(b).finish(),
        }
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Self::text(s)
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Self::text(s)
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Self {
        Self::binary(v)
    }
}

impl From<&[u8]> for Message {
    fn from(v: &[u8]) -> Self {
        Self::Binary(Payload::copy_from_slice(v))
    }
}

impl From<Bytes> for Message {
    fn from(v: Bytes) -> Self {
        Self::binary(v)
    }
}

/// Bytes that are known to hold valid UTF-8: a cheaply clonable string, held as a [`Payload`]
/// (inline when small, else shared `Bytes`, split off the input without a copy).
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Utf8Bytes(Payload);

impl Utf8Bytes {
    /// An empty string.
    pub const fn new() -> Self {
        Self(Payload::new())
    }

    /// A string from a `'static` str, without copying.
    pub const fn from_static(s: &'static str) -> Self {
        Self(Payload::from_static(s.as_bytes()))
    }

    /// Checks that `bytes` are UTF-8.
    ///
    /// # Errors
    /// [`utf8::InvalidUtf8`] when they are not.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Self, utf8::InvalidUtf8> {
        utf8::validate(&bytes)?;
        Ok(Self(Payload::from(bytes)))
    }

    /// Wraps bytes the caller has already validated (the decoder, as they arrived).
    pub(crate) fn from_validated(bytes: Payload) -> Self {
        // Fuzzing and the tests run with debug assertions: a validator bug shows here.
        debug_assert!(std::str::from_utf8(&bytes).is_ok(), "unvalidated text");
        Self(bytes)
    }

    /// The string, without checking it again: a text message's bytes are validated once, as
    /// they arrive, not on every access.
    pub fn as_str(&self) -> &str {
        // SAFETY: the invariant of this type. The field is private and the bytes of a `Payload`
        // never change once it is built (its one mutable access, `inline_mut`, is crate-private
        // and used by the decoder before it validates); every constructor makes it from a `str`
        // (`new`, `Default`, `from_static`, `From<String>`, `From<&str>`), checks it
        // (`try_from_bytes`), or is `from_validated`, which the decoder calls only for text that
        // its UTF-8 validator accepted (checked again there under debug assertions).
        // Re-validating here cost a full pass over the message on every access (the `as_str`
        // rows of `benches/core.rs`).
        unsafe { std::str::from_utf8_unchecked(self.0.as_slice()) }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as `Bytes`: without copying, except a small string held inline
    /// ([`Payload::into_bytes`]).
    pub fn into_bytes(self) -> Bytes {
        self.0.into_bytes()
    }

    /// The underlying [`Payload`].
    pub fn into_payload(self) -> Payload {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Self(Payload::from(Bytes::from(s)))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Self(Payload::copy_from_slice(s.as_bytes()))
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A close status code (RFC 6455 section 7.4).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose for which the connection was established has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: an endpoint is going away (server shutdown, page navigated away).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer violated the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: a kind of data the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no code was present (never sent on the wire).
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: closed without a Close frame (never sent on the wire).
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: data inconsistent with the message type (e.g. text that is not UTF-8).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1015: the TLS handshake failed (never sent on the wire).
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// The numeric code.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether a peer may send this code in a Close frame (RFC 6455 7.4.1 and the IANA registry):
    /// 1000-1003, 1007-1014 and 3000-4999.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether the application may choose this code for `close()`, as the browser allows:
    /// 1000 or 3000-4999.
    pub const fn is_allowed_for_application(self) -> bool {
        matches!(self.0, 1000 | 3000..=4999)
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

/// The most a close reason may take: a control frame's 125 bytes less the two of the code.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The content of a Close frame: a code and a UTF-8 reason.
///
/// A Close frame with an empty body is represented by [`CloseCode::NO_STATUS`] (1005) and an
/// empty reason, as the browser reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, at most [`MAX_CLOSE_REASON_BYTES`] bytes of UTF-8.
    pub reason: Utf8Bytes,
}

impl CloseFrame {
    /// A close frame with a code and a reason.
    pub fn new(code: impl Into<CloseCode>, reason: impl Into<Utf8Bytes>) -> Self {
        Self { code: code.into(), reason: reason.into() }
    }

    /// The Close frame with an empty body (reported as 1005).
    pub const fn empty() -> Self {
        Self { code: CloseCode::NO_STATUS, reason: Utf8Bytes::new() }
    }

    /// Whether this stands for a Close frame with no body.
    pub fn is_empty(&self) -> bool {
        self.code == CloseCode::NO_STATUS
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn as_str_gives_what_every_constructor_was_given() {
        let s = "héllo, wörld ✓";
        let all = [
            Utf8Bytes::from(s),
            Utf8Bytes::from(s.to_owned()),
            Utf8Bytes::from_static("héllo, wörld ✓"),
            Utf8Bytes::try_from_bytes(Bytes::from(s.as_bytes().to_vec())).unwrap(),
            Utf8Bytes::from_validated(Payload::from_static(s.as_bytes())),
        ];
        for u in &all {
            assert_eq!(u.as_str(), s);
            assert_eq!(std::str::from_utf8(u.as_bytes()), Ok(s));
        }
        assert_eq!(Utf8Bytes::new().as_str(), "");
        assert_eq!(Utf8Bytes::default().as_str(), "");
        assert!(Utf8Bytes::try_from_bytes(Bytes::from_static(b"\xff")).is_err());
    }

    use super::*;

    #[test]
    fn wire_codes() {
        for code in 0..6000u16 {
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode(code).is_valid_on_wire(), expected, "{code}");
        }
        assert!(!CloseCode::NO_STATUS.is_valid_on_wire());
        assert!(!CloseCode::ABNORMAL.is_valid_on_wire());
        assert!(!CloseCode::TLS_HANDSHAKE.is_valid_on_wire());
    }

    #[test]
    fn message_accessors() {
        let m = Message::text("héllo");
        assert!(m.is_text());
        assert_eq!(m.as_text(), Some("héllo"));
        assert_eq!(m.len(), 6);
        let b = Message::binary(vec![1, 2, 3]);
        assert_eq!(b.as_bytes(), &[1, 2, 3]);
        assert_eq!(b.as_text(), None);
        assert!(Utf8Bytes::try_from_bytes(Bytes::from_static(b"\xff")).is_err());
    }
}
