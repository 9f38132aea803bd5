//! [`WebSocketError`]: the one error of the driver, shared by `opened`, `closed`, the readable and
//! the writable.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// What kind of failure a [`WebSocketError`] reports, after the DOM exception names the browser
/// uses where there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A malformed URL, subprotocol or close reason (the browser's `SyntaxError`).
    Syntax,
    /// A close code the application may not use (the browser's `InvalidAccessError`).
    InvalidAccess,
    /// The operation does not fit the connection's state: writing after a close
    /// (`InvalidStateError`).
    InvalidState,
    /// An [`AbortSignal`](crate::AbortSignal) aborted the connection (`AbortError`).
    Abort,
    /// The opening handshake failed: DNS, TCP, TLS, HTTP or WebSocket checks.
    Handshake,
    /// The peer broke the protocol; we sent Close 1002, 1007 or 1009 and closed TCP.
    Protocol,
    /// The transport failed or ended without a closing handshake.
    Io,
    /// A timeout expired: connect, close, or keepalive.
    Timeout,
    /// The connection closed uncleanly: the peer closed while one of our writes was in flight,
    /// or it was closed before it opened.
    Closed,
    /// An error the application built itself, to abort a writable or cancel a readable.
    Application,
}

impl ErrorKind {
    /// A short lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "syntax error",
            Self::InvalidAccess => "invalid access",
            Self::InvalidState => "invalid state",
            Self::Abort => "aborted",
            Self::Handshake => "handshake failed",
            Self::Protocol => "protocol error",
            Self::Io => "connection lost",
            Self::Timeout => "timed out",
            Self::Closed => "closed uncleanly",
            Self::Application => "application error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

struct Inner {
    kind: ErrorKind,
    code: Option<u16>,
    reason: String,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// A failure of a WebSocket connection: cheap to clone (an `Arc` inside) and compared by identity.
///
/// One value rejects `opened` or `closed` and errors the readable and the writable, so a task
/// that awaits `closed` and one that reads see the *same* error (`==` is identity).
///
/// [`code`](Self::code) and [`reason`](Self::reason) are the close code and reason the browser
/// would report (`WebSocketError.closeCode`, `.reason`): 1006 for a lost connection, the peer's
/// code for an unclean close, none for an error raised before anything was sent.
#[derive(Clone)]
pub struct WebSocketError(Arc<Inner>);

impl WebSocketError {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Arc::new(Inner {
            kind,
            code: None,
            reason: String::new(),
            message: message.into(),
            source: None,
        }))
    }

    /// An application error carrying a close code and reason: abort a writable or cancel a
    /// readable with it, and the Close frame sent carries `code` and `reason`.
    pub fn with_close(code: u16, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self(Arc::new(Inner {
            kind: ErrorKind::Application,
            code: Some(code),
            message: format!("closed by the application with {code} {reason:?}"),
            reason,
            source: None,
        }))
    }

    pub(crate) fn build(
        kind: ErrorKind,
        code: Option<u16>,
        reason: impl Into<String>,
        message: impl Into<String>,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self(Arc::new(Inner { kind, code, reason: reason.into(), message: message.into(), source }))
    }

    /// A connection failure reported with 1006.
    pub(crate) fn abnormal(
        kind: ErrorKind,
        message: impl Into<String>,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self::build(kind, Some(1006), "", message, source)
    }

    /// The default reason of an aborted signal.
    pub(crate) fn aborted() -> Self {
        Self::new(ErrorKind::Abort, "the operation was aborted")
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The close code, if the failure has one (1006 for a lost connection).
    pub fn code(&self) -> Option<u16> {
        self.0.code
    }

    /// The close reason ("" when there is none).
    pub fn reason(&self) -> &str {
        &self.0.reason
    }

    /// What failed, in words.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Whether `self` and `other` are the same error (not merely equal-looking).
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for WebSocketError {
    fn eq(&self, other: &Self) -> bool {
        self.ptr_eq(other)
    }
}

impl Eq for WebSocketError {}

impl fmt::Debug for WebSocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("WebSocketError");
        d.field("kind", &self.0.kind).field("code", &self.0.code);
        if !self.0.reason.is_empty() {
            d.field("reason", &self.0.reason);
        }
        d.field("message", &self.0.message);
        if let Some(source) = &self.0.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for WebSocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind, self.0.message)?;
        if let Some(source) = &self.0.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for WebSocketError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source.as_deref().map(|s| s as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_by_identity() {
        let a = WebSocketError::new(ErrorKind::Io, "x");
        let b = WebSocketError::new(ErrorKind::Io, "x");
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
        let c = WebSocketError::with_close(4000, "bye");
        assert_eq!((c.code(), c.reason(), c.kind()), (Some(4000), "bye", ErrorKind::Application));
        let io = std::io::Error::other("boom");
        let d = WebSocketError::abnormal(ErrorKind::Io, "read failed", Some(Box::new(io)));
        assert_eq!(d.code(), Some(1006));
        assert!(d.source().is_some() && d.to_string().contains("boom"));
    }
}
