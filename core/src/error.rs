//! Errors, split by fault: the peer's ([`ProtocolError`], [`HandshakeError`]) and the caller's
//! ([`SendError`], [`CloseError`]).

use std::fmt;

use crate::message::CloseCode;

/// The peer broke RFC 6455 (or RFC 7692) after the handshake; the connection fails.
///
/// [`close_code`](Self::close_code) says which code the Close frame we send carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An RSV bit was set that no negotiated extension defines.
    ReservedBits,
    /// An opcode that RFC 6455 reserves.
    ReservedOpcode,
    /// A control frame with FIN clear.
    FragmentedControlFrame,
    /// A control frame with more than 125 bytes of payload.
    ControlFrameTooLarge,
    /// A continuation frame with no message in progress.
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message was in progress.
    ExpectedContinuation,
    /// A client sent an unmasked frame (RFC 6455 5.1).
    UnmaskedFrame,
    /// A server sent a masked frame (RFC 6455 5.1).
    MaskedFrame,
    /// A 64-bit payload length with its most significant bit set (RFC 6455 5.2).
    InvalidLength,
    /// A text message (or close reason) that is not UTF-8.
    InvalidUtf8,
    /// A Close frame with a one-byte payload.
    InvalidClosePayload,
    /// A Close frame with a code that may not be sent (RFC 6455 7.4).
    InvalidCloseCode,
    /// A frame larger than the configured maximum.
    FrameTooLarge,
    /// A message larger than the configured maximum (after decompression, if compressed).
    MessageTooLarge,
    /// RSV1 (compressed) on a continuation or control frame.
    CompressedContinuation,
    /// A compressed message that does not inflate.
    InvalidCompressedData,
}

impl ProtocolError {
    /// A short lowercase description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReservedBits => "reserved bits set without a negotiated extension",
            Self::ReservedOpcode => "reserved opcode",
            Self::FragmentedControlFrame => "fragmented control frame",
            Self::ControlFrameTooLarge => "control frame payload over 125 bytes",
            Self::UnexpectedContinuation => "continuation frame without a message in progress",
            Self::ExpectedContinuation => "new data frame inside a fragmented message",
            Self::UnmaskedFrame => "unmasked frame from a client",
            Self::MaskedFrame => "masked frame from a server",
            Self::InvalidLength => "64-bit payload length with the most significant bit set",
            Self::InvalidUtf8 => "invalid utf-8 in text",
            Self::InvalidClosePayload => "close frame with a one-byte payload",
            Self::InvalidCloseCode => "invalid close code",
            Self::FrameTooLarge => "frame larger than the maximum frame size",
            Self::MessageTooLarge => "message larger than the maximum message size",
            Self::CompressedContinuation => "compressed bit on a continuation or control frame",
            Self::InvalidCompressedData => "compressed data that does not inflate",
        }
    }

    /// The close code this failure is reported with (RFC 6455 7.4.1).
    pub const fn close_code(self) -> CloseCode {
        match self {
            Self::InvalidUtf8 | Self::InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooLarge | Self::MessageTooLarge => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ProtocolError {}

/// The opening handshake failed. Says exactly what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The HTTP message could not be parsed.
    Http(httparse::Error),
    /// The header section is larger than the configured limit.
    HeadersTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// More header fields than the configured limit.
    TooManyHeaders {
        /// The limit, in fields.
        limit: usize,
    },
    /// The server answered with a status other than 101 (a refusal, a redirect, an error).
    Status {
        /// The HTTP status code.
        status: u16,
        /// The reason phrase.
        reason: String,
        /// The response's header fields, in order.
        headers: Vec<(String, Vec<u8>)>,
    },
    /// A required header field is missing.
    MissingHeader(&'static str),
    /// A header field has a value that is not allowed.
    InvalidHeader(&'static str),
    /// `Sec-WebSocket-Accept` does not match the key we sent.
    AcceptMismatch,
    /// The server chose a subprotocol that was not offered, or none when some were required.
    ProtocolNotOffered(String),
    /// The server chose an extension that was not offered.
    ExtensionNotOffered(String),
    /// The server accepted an offered extension with parameters that are malformed or that the
    /// offer did not allow (RFC 7692 7.1: the client fails the connection).
    InvalidExtension {
        /// The extension element as the server wrote it.
        extension: String,
        /// What is wrong with it.
        error: ExtensionError,
    },
    /// The request's method is not GET.
    Method(String),
    /// The HTTP version is not 1.1.
    Version,
    /// The client asks for a WebSocket version other than 13.
    UnsupportedVersion(String),
    /// The client's `Sec-WebSocket-Key` does not decode to 16 bytes.
    InvalidKey,
    /// The transport ended before the handshake completed.
    Eof,
}

impl HandshakeError {
    /// The HTTP status a server answers this request error with: 426 for a version mismatch,
    /// 405 for a method other than GET, 431 for oversized headers, otherwise 400.
    pub const fn http_status(&self) -> u16 {
        match self {
            Self::UnsupportedVersion(_) => 426,
            Self::Method(_) => 405,
            Self::HeadersTooLarge { .. } | Self::TooManyHeaders { .. } => 431,
            _ => 400,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http(e) => write!(f, "malformed http: {e}"),
            Self::HeadersTooLarge { limit } => write!(f, "header section over {limit} bytes"),
            Self::TooManyHeaders { limit } => write!(f, "more than {limit} header fields"),
            Self::Status { status, reason, .. } => {
                write!(f, "server answered {status} {reason} instead of 101")
            }
            Self::MissingHeader(name) => write!(f, "missing header {name}"),
            Self::InvalidHeader(name) => write!(f, "invalid value for header {name}"),
            Self::AcceptMismatch => f.write_str("sec-websocket-accept does not match the key"),
            Self::ProtocolNotOffered(p) if p.is_empty() => {
                f.write_str("server chose no subprotocol, but some were offered")
            }
            Self::ProtocolNotOffered(p) => write!(f, "server chose subprotocol {p:?}, not offered"),
            Self::ExtensionNotOffered(e) => write!(f, "server chose extension {e:?}, not offered"),
            Self::InvalidExtension { extension, error } => {
                write!(f, "server accepted extension {extension:?}: {error}")
            }
            Self::Method(m) => write!(f, "method {m} is not GET"),
            Self::Version => f.write_str("http version is not 1.1"),
            Self::UnsupportedVersion(v) => write!(f, "websocket version {v:?} is not 13"),
            Self::InvalidKey => f.write_str("sec-websocket-key is not 16 base64-encoded bytes"),
            Self::Eof => f.write_str("connection closed during the handshake"),
        }
    }
}

impl std::error::Error for HandshakeError {}

impl From<httparse::Error> for HandshakeError {
    fn from(e: httparse::Error) -> Self {
        Self::Http(e)
    }
}

/// What is wrong with an extension element of `Sec-WebSocket-Extensions` (RFC 6455 9.1), or
/// with the parameters of a permessage-deflate offer or response (RFC 7692 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionError {
    /// Not `name *( ";" param [ "=" value ] )` with tokens and quoted strings.
    Syntax,
    /// The element names another extension.
    Name,
    /// A parameter that the extension does not define.
    UnknownParameter,
    /// A parameter given twice.
    DuplicateParameter,
    /// A value where none is allowed, none where one is required, or one out of range.
    InvalidValue,
    /// Response only: a parameter or value that the offer did not allow (`client_max_window_bits`
    /// without having offered it, a window larger than the one asked for).
    NotOffered,
    /// Response only: a parameter that the offer asked for is missing
    /// (`server_no_context_takeover`, `server_max_window_bits`).
    MissingParameter,
    /// Response only: the same extension accepted twice.
    Duplicate,
}

impl ExtensionError {
    /// A short lowercase description.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "malformed extension element",
            Self::Name => "another extension",
            Self::UnknownParameter => "unknown parameter",
            Self::DuplicateParameter => "duplicate parameter",
            Self::InvalidValue => "invalid parameter value",
            Self::NotOffered => "parameter or value not offered",
            Self::MissingParameter => "a parameter of the offer is missing",
            Self::Duplicate => "extension accepted twice",
        }
    }
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for ExtensionError {}

/// Why the connection is no longer usable: what [`Connection`](crate::Connection) reports once it
/// failed, the same value on every later call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The opening handshake failed.
    Handshake(HandshakeError),
    /// The peer violated the protocol.
    Protocol(ProtocolError),
    /// The transport ended without a closing handshake (reported as 1006).
    Abnormal,
}

impl Error {
    /// The close code the caller reports for this failure: 1006 unless a Close was received.
    pub const fn close_code(&self) -> CloseCode {
        CloseCode::ABNORMAL
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handshake(e) => write!(f, "handshake failed: {e}"),
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::Abnormal => f.write_str("connection closed without a closing handshake"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Handshake(e) => Some(e),
            Self::Protocol(e) => Some(e),
            Self::Abnormal => None,
        }
    }
}

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        Self::Handshake(e)
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Self::Protocol(e)
    }
}

/// A message, ping or pong could not be queued: the caller's mistake, nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The handshake has not completed yet.
    NotOpen,
    /// A Close frame was sent or received: no more data frames may follow (RFC 6455 5.5.1).
    Closing,
    /// The connection failed or closed.
    Closed(Error),
    /// A ping or pong payload over 125 bytes.
    ControlFrameTooLarge,
    /// The message is larger than the configured maximum message size.
    MessageTooLarge,
}

impl SendError {
    /// A short lowercase description.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::NotOpen => "the handshake has not completed",
            Self::Closing => "the closing handshake has started",
            Self::Closed(_) => "the connection is closed",
            Self::ControlFrameTooLarge => "control frame payload over 125 bytes",
            Self::MessageTooLarge => "message larger than the maximum message size",
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed(e) => write!(f, "{}: {e}", self.as_str()),
            _ => f.write_str(self.as_str()),
        }
    }
}

impl std::error::Error for SendError {}

/// A Close could not be queued with the given code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseError {
    /// The code may not be sent (1005, 1006, 1015, and anything outside RFC 6455 7.4).
    InvalidCode(CloseCode),
    /// The reason is over 123 bytes.
    ReasonTooLong,
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCode(c) => write!(f, "close code {c} may not be sent"),
            Self::ReasonTooLong => f.write_str("close reason over 123 bytes"),
        }
    }
}

impl std::error::Error for CloseError {}
