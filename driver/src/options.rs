//! [`Options`]: what the constructor and the server's accept take, with the defaults the browser
//! uses where it has one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_rustls::rustls::ClientConfig as TlsConfig;
use wsstream_core::config::{DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_MESSAGE_BYTES};

#[cfg(feature = "deflate")]
use wsstream_core::DeflateConfig;

use crate::abort::AbortSignal;

/// The default time allowed for the peer to answer our Close: 60 s, as Chromium.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(60);
/// The default time a client waits for the server to close TCP after the closing handshake: 2 s.
pub const DEFAULT_SERVER_CLOSE_WAIT: Duration = Duration::from_secs(2);
/// The default receive budget: bytes read ahead of a reader that is behind, 128 KiB.
pub const DEFAULT_RECEIVE_BUDGET_BYTES: usize = 128 << 10;
/// The default send budget: bytes accepted ahead of the socket, 128 KiB.
pub const DEFAULT_SEND_BUDGET_BYTES: usize = 128 << 10;

/// A ping or pong the peer sent, as given to [`Options::on_control`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control {
    /// A Ping; the Pong with the same payload has been queued already.
    Ping(Bytes),
    /// A Pong.
    Pong(Bytes),
}

/// Called by the driver with each ping and pong the peer sends. It runs on the driver's task:
/// it MUST return quickly and never block.
pub type ControlCallback = Arc<dyn Fn(Control) + Send + Sync>;

/// Automatic keepalive: a Ping after `interval` without input, and a failure when nothing at
/// all arrives for `timeout` after that Ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// How long the connection may stay silent before we ping.
    pub interval: Duration,
    /// How long we wait for any input after the ping before failing the connection (1006).
    pub timeout: Duration,
}

/// Options of a client ([`WebSocketStream::new`](crate::WebSocketStream::new)) or a server
/// ([`WebSocketStream::accept`](crate::WebSocketStream::accept)) connection.
///
/// Fields marked *client* are ignored by a server. Build with struct update syntax:
///
/// ```
/// use std::time::Duration;
/// use wsstream_driver::Options;
///
/// let options = Options {
///     protocols: vec!["amqp".into(), "mqtt".into()],
///     connect_timeout: Some(Duration::from_secs(10)),
///     ..Options::default()
/// };
/// ```
///
/// New fields may be added in minor releases; always end with `..Options::default()`.
#[derive(Clone)]
pub struct Options {
    /// *Client*: subprotocols to offer, in order of preference. Each must be an HTTP token and
    /// appear once.
    pub protocols: Vec<String>,
    /// *Client*: aborts the connection while it opens; ignored once it is open.
    pub signal: Option<AbortSignal>,
    /// *Client*: extra request header fields (authorization, cookies, ...).
    pub headers: Vec<(String, String)>,
    /// *Client*: the `Origin` header, if any.
    pub origin: Option<String>,
    /// *Client*: the TLS configuration for `wss:` URLs. Default: Mozilla's roots
    /// (webpki-roots), TLS 1.2 and 1.3 on the ring provider, ALPN `http/1.1`.
    pub tls: Option<Arc<TlsConfig>>,
    /// The time allowed to open: DNS, TCP, TLS and the opening handshake for a client; reading
    /// the request for a server. Default `None`: no limit but the operating system's.
    pub connect_timeout: Option<Duration>,
    /// The time allowed for the peer to answer our Close; then TCP is dropped and `closed`
    /// fails with 1006. Default [`DEFAULT_CLOSE_TIMEOUT`].
    pub close_timeout: Duration,
    /// *Client*: after the closing handshake, how long to wait for the server to close TCP before
    /// closing it ourselves. Default [`DEFAULT_SERVER_CLOSE_WAIT`].
    pub server_close_wait: Duration,
    /// The largest frame payload accepted (1009 beyond). Default 16 MiB.
    pub max_frame_size: usize,
    /// The largest message accepted (1009 beyond). Default 64 MiB.
    pub max_message_size: usize,
    /// How many bytes the driver decodes ahead of the reader (beyond a first message, and at
    /// most 64 messages), and then how many it reads ahead undecoded; beyond it the socket is
    /// not read and the peer's sends stall in TCP. Default
    /// [`DEFAULT_RECEIVE_BUDGET_BYTES`].
    pub receive_budget: usize,
    /// How many bytes may wait for the socket before a write stops completing at once.
    /// Default [`DEFAULT_SEND_BUDGET_BYTES`].
    pub send_budget: usize,
    /// Automatic pings with an idle timeout. Default `None`: off.
    pub keepalive: Option<Keepalive>,
    /// Called with each ping and pong received. Default `None`: they are answered and dropped.
    pub on_control: Option<ControlCallback>,
    /// permessage-deflate (RFC 7692): what a client offers, or what a server accepts. Default
    /// `Some(DeflateConfig::default())`: offered like a browser (`permessage-deflate;
    /// client_max_window_bits`) and accepted when a client offers it. `None` turns it off.
    #[cfg(feature = "deflate")]
    pub deflate: Option<DeflateConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            protocols: Vec::new(),
            signal: None,
            headers: Vec::new(),
            origin: None,
            tls: None,
            connect_timeout: None,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            server_close_wait: DEFAULT_SERVER_CLOSE_WAIT,
            max_frame_size: DEFAULT_MAX_FRAME_BYTES,
            max_message_size: DEFAULT_MAX_MESSAGE_BYTES,
            receive_budget: DEFAULT_RECEIVE_BUDGET_BYTES,
            send_budget: DEFAULT_SEND_BUDGET_BYTES,
            keepalive: None,
            on_control: None,
            #[cfg(feature = "deflate")]
            deflate: Some(DeflateConfig::default()),
        }
    }
}

impl Options {
    /// The core's configuration for these options.
    pub(crate) fn core_config(&self) -> wsstream_core::Config {
        let mut config = wsstream_core::Config::default();
        config.max_frame_size = self.max_frame_size;
        config.max_message_size = self.max_message_size;
        // The driver answers the peer's Close once the reader has drained what came before it.
        config.auto_close_reply = false;
        config
    }

    /// The core's server configuration for these options.
    pub(crate) fn server_config(&self) -> wsstream_core::ServerConfig {
        #[allow(unused_mut)] // without the deflate feature there is nothing to change
        let mut config = wsstream_core::ServerConfig::new().with_config(self.core_config());
        #[cfg(feature = "deflate")]
        {
            config.deflate = self.deflate;
        }
        config
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("protocols", &self.protocols)
            .field("signal", &self.signal)
            .field("headers", &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("origin", &self.origin)
            .field("tls", &self.tls.as_ref().map(|_| "custom"))
            .field("connect_timeout", &self.connect_timeout)
            .field("close_timeout", &self.close_timeout)
            .field("server_close_wait", &self.server_close_wait)
            .field("max_frame_size", &self.max_frame_size)
            .field("max_message_size", &self.max_message_size)
            .field("receive_budget", &self.receive_budget)
            .field("send_budget", &self.send_budget)
            .field("keepalive", &self.keepalive)
            .field("on_control", &self.on_control.as_ref().map(|_| "callback"))
            .finish_non_exhaustive()
    }
}
