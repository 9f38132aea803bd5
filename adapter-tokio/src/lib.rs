//! # wsstream-tokio
//!
//! The browser's `WebSocketStream` on the tokio runtime: [`Tokio`] implements the driver's
//! [`Runtime`], and this crate re-exports the same names as `wsstream-async-std` and
//! `wsstream-smol`, so switching runtime changes one import. Everything is documented in
//! [`wsstream_driver`]; the protocol is [`wsstream_driver::core`]'s sans-IO connection.
//!
//! Call [`WebSocketStream::new`] and [`accept`] from inside a tokio runtime: the driver task is
//! spawned with `tokio::spawn`. Sockets go through `tokio_util::compat`.
//!
//! ## A client
//! ```no_run
//! use wsstream_tokio::{CloseInfo, Opened, Options, WebSocketStream};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), wsstream_tokio::WebSocketError> {
//! let wss = WebSocketStream::new("wss://example.com/wss", Options::default())?;
//! let Opened { mut readable, mut writable, .. } = wss.opened().await?;
//! writable.send("My message").await?;
//! while let Some(message) = readable.read().await {
//!     println!("{:?}", message?);
//! }
//! wss.close(CloseInfo::new(4000, "Night draws to a close"))?;
//! let CloseInfo { close_code, reason } = wss.closed().await?;
//! # let _ = (close_code, reason);
//! # Ok(())
//! # }
//! ```
//!
//! ## A server
//! ```no_run
//! use wsstream_tokio::{Opened, Options, TcpListener};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = TcpListener::bind("127.0.0.1:9001").await?;
//! let (tcp, _) = listener.accept().await?;
//! let incoming = wsstream_tokio::accept(tcp, Options::default()).await?;
//! let wss = incoming.accept(None)?;
//! let Opened { mut readable, mut writable, .. } = wss.opened().await?;
//! while let Some(message) = readable.read().await {
//!     writable.send(message?).await?;
//! }
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};
use wsstream_driver::{BoxFuture, Timer};

pub use tokio::net::{TcpListener, TcpStream};
pub use wsstream_driver::core;
pub use wsstream_driver::{
    AbortController, AbortSignal, CloseCode, CloseInfo, Control, ControlCallback, ErrorKind,
    Keepalive, Message, Opened, Options, Readable, Request, Runtime, Utf8Bytes, WebSocketError,
    Writable, rustls, tls_client_config,
};

/// The tokio runtime, for the driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tokio;

/// A WebSocket connection on tokio: see [`wsstream_driver::WebSocketStream`].
pub type WebSocketStream = wsstream_driver::WebSocketStream<Tokio>;

/// An incoming connection whose request was read: see [`wsstream_driver::Incoming`].
pub type Incoming<T = Tcp> = wsstream_driver::Incoming<Tokio, T>;

/// The runtime's TCP stream as the driver sees it (futures-io).
pub type Tcp = Compat<TcpStream>;

/// Reads the opening handshake request of an accepted TCP connection; then accept or reject it.
///
/// For TLS, or any other transport, use [`WebSocketStream::accept`] with a futures-io stream.
///
/// # Errors
/// As [`wsstream_driver::WebSocketStream::accept`].
pub async fn accept(tcp: TcpStream, options: Options) -> Result<Incoming, WebSocketError> {
    // Small messages should not wait for Nagle; a failure only costs latency.
    let _ = tcp.set_nodelay(true);
    WebSocketStream::accept(tcp.compat(), options).await
}

impl Runtime for Tokio {
    type Tcp = Tcp;

    fn connect(&self, host: &str, port: u16) -> BoxFuture<io::Result<Tcp>> {
        let host = host.to_owned();
        Box::pin(async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            Ok(tcp.compat())
        })
    }

    fn spawn(&self, task: BoxFuture<()>) {
        tokio::spawn(task);
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(Sleep(Box::pin(tokio::time::sleep_until(deadline.into()))))
    }
}

/// tokio's `Sleep` as a driver [`Timer`].
struct Sleep(Pin<Box<tokio::time::Sleep>>);

impl Timer for Sleep {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.as_mut().reset(deadline.into());
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}
