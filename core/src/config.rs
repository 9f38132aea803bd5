//! Configuration: limits and behaviour shared by both roles, and what each role adds.

use std::fmt;

#[cfg(feature = "deflate")]
use crate::deflate::DeflateConfig;

/// Which end of the connection this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that sent the opening handshake; it masks its frames.
    Client,
    /// The end that accepted it; it closes TCP first.
    Server,
}

/// The default maximum frame payload: 16 MiB, as tungstenite.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 << 20;
/// The default maximum message size: 64 MiB, as tungstenite.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 20;
/// The default limit on the handshake's header section: 16 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 << 10;
/// The default limit on the number of header fields in the handshake.
pub const DEFAULT_MAX_HEADERS: usize = 64;

/// Limits and behaviour common to both roles.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The largest frame payload accepted; a larger one fails the connection with 1009 before
    /// its payload is buffered. Default [`DEFAULT_MAX_FRAME_BYTES`].
    pub max_frame_size: usize,
    /// The largest message accepted (after decompression); a larger one fails the connection
    /// with 1009 before it is buffered. Default [`DEFAULT_MAX_MESSAGE_BYTES`].
    pub max_message_size: usize,
    /// Answer each Ping with a Pong carrying the same payload. Default `true`.
    pub auto_pong: bool,
    /// Answer the peer's Close at once with the same code and reason. Default `true`. An async
    /// driver turns this off to answer only after the reader has drained the messages received
    /// before the Close ([`Connection::reply_close`](crate::Connection::reply_close)).
    pub auto_close_reply: bool,
    /// Split outgoing data messages into frames of at most this many payload bytes. Default
    /// `None`: one frame per message.
    pub fragment_size: Option<usize>,
    /// The largest header section the handshake accepts. Default [`DEFAULT_MAX_HEADER_BYTES`].
    pub max_header_bytes: usize,
    /// The most header fields the handshake accepts. Default [`DEFAULT_MAX_HEADERS`].
    pub max_headers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_frame_size: DEFAULT_MAX_FRAME_BYTES,
            max_message_size: DEFAULT_MAX_MESSAGE_BYTES,
            auto_pong: true,
            auto_close_reply: true,
            fragment_size: None,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
        }
    }
}

impl Config {
    /// Sets [`max_frame_size`](Self::max_frame_size).
    pub fn with_max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`auto_pong`](Self::auto_pong).
    pub fn with_auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Sets [`auto_close_reply`](Self::auto_close_reply).
    pub fn with_auto_close_reply(mut self, on: bool) -> Self {
        self.auto_close_reply = on;
        self
    }

    /// Sets [`fragment_size`](Self::fragment_size).
    pub fn with_fragment_size(mut self, bytes: Option<usize>) -> Self {
        self.fragment_size = bytes;
        self
    }

    /// Sets [`max_header_bytes`](Self::max_header_bytes) and [`max_headers`](Self::max_headers).
    pub fn with_header_limits(mut self, bytes: usize, fields: usize) -> Self {
        self.max_header_bytes = bytes;
        self.max_headers = fields;
        self
    }
}

/// What the client sends in its opening handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The host, as it goes in the `Host` header: a name, an IPv4 address, or a bracketed IPv6
    /// literal (`[::1]`).
    pub host: String,
    /// The port, included in `Host` when it is not the scheme's default.
    pub port: Option<u16>,
    /// The resource name: path and query, starting with `/`.
    pub path: String,
    /// Subprotocols to offer, in order of preference.
    pub protocols: Vec<String>,
    /// The `Origin` header, if any.
    pub origin: Option<String>,
    /// Extra header fields (authorization, cookies, ...).
    pub headers: Vec<(String, String)>,
    /// Limits and behaviour.
    pub config: Config,
    /// The permessage-deflate offer (RFC 7692), if any. Default `Some(DeflateConfig::default())`,
    /// which offers `permessage-deflate; client_max_window_bits` as browsers do.
    #[cfg(feature = "deflate")]
    pub deflate: Option<DeflateConfig>,
}

impl ClientConfig {
    /// A client handshake for `path` on `host`, default port, no subprotocols.
    ///
    /// # Examples
    /// ```
    /// let config = wsstream_core::ClientConfig::new("example.com", "/chat")
    ///     .with_protocols(["chat.v2", "chat.v1"])
    ///     .with_header("Authorization", "Bearer token");
    /// assert_eq!(config.protocols, ["chat.v2", "chat.v1"]);
    /// ```
    pub fn new(host: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: None,
            path: path.into(),
            protocols: Vec::new(),
            origin: None,
            headers: Vec::new(),
            config: Config::default(),
            #[cfg(feature = "deflate")]
            deflate: Some(DeflateConfig::default()),
        }
    }

    /// Sets the port written in `Host` (give it only when it is not the scheme's default).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets the subprotocols to offer.
    pub fn with_protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the `Origin` header.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Sets the limits and behaviour.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets the permessage-deflate offer; `None` offers no compression.
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }

    /// Checks that every field can go on the wire: no CR, LF or NUL in a value, header names
    /// and subprotocols are HTTP tokens, subprotocols are not repeated.
    ///
    /// # Errors
    /// The first field that cannot be sent, or a deflate window size out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        #[cfg(feature = "deflate")]
        if let Some(deflate) = &self.deflate {
            deflate.validate().map_err(ConfigError::InvalidDeflate)?;
        }
        if self.host.is_empty() || !is_field_value(&self.host) {
            return Err(ConfigError::InvalidHost(self.host.clone()));
        }
        if !self.path.starts_with('/') || !self.path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::InvalidPath(self.path.clone()));
        }
        for (i, p) in self.protocols.iter().enumerate() {
            if !is_token(p) {
                return Err(ConfigError::InvalidProtocol(p.clone()));
            }
            if self.protocols[..i].contains(p) {
                return Err(ConfigError::DuplicateProtocol(p.clone()));
            }
        }
        for (name, value) in &self.headers {
            if !is_token(name) {
                return Err(ConfigError::InvalidHeaderName(name.clone()));
            }
            if !is_field_value(value) {
                return Err(ConfigError::InvalidHeaderValue(name.clone()));
            }
        }
        if let Some(origin) = &self.origin {
            if !is_field_value(origin) {
                return Err(ConfigError::InvalidHeaderValue("Origin".into()));
            }
        }
        Ok(())
    }
}

/// What the server needs besides the shared limits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Limits and behaviour.
    pub config: Config,
    /// What permessage-deflate offers (RFC 7692) [`Connection::accept`] agrees to when it is
    /// given no extensions of its own; `None` declines them. Default
    /// `Some(DeflateConfig::default())`. Window sizes out of 8..=15 are clamped.
    ///
    /// [`Connection::accept`]: crate::Connection::accept
    #[cfg(feature = "deflate")]
    pub deflate: Option<DeflateConfig>,
}

// Not derived: with the `deflate` feature, the default accepts compression.
#[allow(clippy::derivable_impls)]
impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            config: Config::default(),
            #[cfg(feature = "deflate")]
            deflate: Some(DeflateConfig::default()),
        }
    }
}

impl ServerConfig {
    /// A server with the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the limits and behaviour.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets what permessage-deflate offers to accept; `None` declines compression.
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }
}

/// A configuration value that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The host is empty or holds characters not allowed in a header.
    InvalidHost(String),
    /// The path does not start with `/` or holds spaces or control characters.
    InvalidPath(String),
    /// A subprotocol is not an HTTP token.
    InvalidProtocol(String),
    /// A subprotocol is offered twice.
    DuplicateProtocol(String),
    /// A header name is not an HTTP token.
    InvalidHeaderName(String),
    /// A header value holds CR, LF or NUL (the name is given).
    InvalidHeaderValue(String),
    /// A permessage-deflate setting is out of range (which one is said).
    InvalidDeflate(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidHost(h) => write!(f, "invalid host {h:?}"),
            Self::InvalidPath(p) => write!(f, "invalid path {p:?}"),
            Self::InvalidProtocol(p) => write!(f, "invalid subprotocol {p:?}"),
            Self::DuplicateProtocol(p) => write!(f, "subprotocol {p:?} offered twice"),
            Self::InvalidHeaderName(n) => write!(f, "invalid header name {n:?}"),
            Self::InvalidHeaderValue(n) => write!(f, "invalid value for header {n:?}"),
            Self::InvalidDeflate(what) => write!(f, "invalid permessage-deflate setting: {what}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Whether `s` is an HTTP token (RFC 9110 5.6.2): what a subprotocol or header name must be.
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            (0x21..=0x7e).contains(&b)
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                        | b'{'
                        | b'}'
                )
        })
}

/// Whether `s` can be a header value: no CR, LF or NUL.
fn is_field_value(s: &str) -> bool {
    !s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_client_config() {
        assert_eq!(ClientConfig::new("h", "/").validate(), Ok(()));
        let bad = ClientConfig::new("h", "/").with_protocols(["a", "a"]);
        assert_eq!(bad.validate(), Err(ConfigError::DuplicateProtocol("a".into())));
        let bad = ClientConfig::new("h", "/").with_protocols(["a b"]);
        assert!(matches!(bad.validate(), Err(ConfigError::InvalidProtocol(_))));
        let bad = ClientConfig::new("h", "/").with_header("X", "a\r\nEvil: 1");
        assert!(matches!(bad.validate(), Err(ConfigError::InvalidHeaderValue(_))));
        let bad = ClientConfig::new("h", "no-slash");
        assert!(matches!(bad.validate(), Err(ConfigError::InvalidPath(_))));
        assert!(is_token("chat.v1") && !is_token("") && !is_token("a,b") && !is_token("é"));
    }
}
