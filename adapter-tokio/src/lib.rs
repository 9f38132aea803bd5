//! # wsstream-tokio
//!
//! The browser's `WebSocketStream` on the tokio runtime: [`Tokio`] implements the driver's
//! [`Runtime`], and this crate re-exports the same names as `wsstream-async-std` and
//! `wsstream-smol`, so switching runtime changes one import. Everything is documented in
//! [`wsstream_driver`]; the protocol is [`wsstream_driver::core`]'s sans-IO connection.
//!
//! Call [`WebSocketStream::new`] and [`accept`] from inside a tokio runtime: the driver task is
//! spawned with `tokio::spawn`. Sockets are tokio's, seen through futures-io by [`Tcp`].
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
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use bytes::{BufMut as _, BytesMut};
use tokio::io::{AsyncRead as _, AsyncWrite as _, ReadBuf};
use wsstream_driver::{BoxFuture, Timer};

pub use tokio::net::{TcpListener, TcpStream};
pub use wsstream_driver::api::*;

/// The tokio runtime, for the driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tokio;

/// A WebSocket connection on tokio: see [`wsstream_driver::WebSocketStream`].
pub type WebSocketStream = wsstream_driver::WebSocketStream<Tokio>;

/// An incoming connection whose request was read: see [`wsstream_driver::Incoming`].
pub type Incoming<T = Tcp> = wsstream_driver::Incoming<Tokio, T>;

/// The runtime's TCP stream as the driver sees it: tokio's `TcpStream` through the futures-io
/// traits, vectored writes included.
///
/// Not `tokio_util::compat::Compat`: it does not forward `poll_write_vectored`, so a frame
/// header and its payload, queued side by side without a copy, would leave in two writes (and,
/// with `TCP_NODELAY`, two segments).
#[derive(Debug)]
pub struct Tcp(TcpStream);

impl Tcp {
    /// Wraps a tokio TCP stream.
    pub fn new(tcp: TcpStream) -> Self {
        Self(tcp)
    }

    /// The tokio TCP stream.
    pub fn get_ref(&self) -> &TcpStream {
        &self.0
    }

    /// Unwraps the tokio TCP stream.
    pub fn into_inner(self) -> TcpStream {
        self.0
    }
}

impl futures_io::AsyncRead for Tcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl futures_io::AsyncWrite for Tcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Reads the opening handshake request of an accepted TCP connection; then accept or reject it.
///
/// For TLS, or any other transport, use [`WebSocketStream::accept`] with a futures-io stream.
///
/// # Errors
/// As [`wsstream_driver::WebSocketStream::accept`].
pub fn accept(
    tcp: TcpStream,
    options: Options,
) -> impl Future<Output = Result<Incoming, WebSocketError>> {
    // Small messages should not wait for Nagle; a failure only costs latency.
    let _ = tcp.set_nodelay(true);
    WebSocketStream::accept(Tcp(tcp), options)
}

impl Runtime for Tokio {
    type Tcp = Tcp;

    fn connect(&self, host: &str, port: u16) -> BoxFuture<io::Result<Tcp>> {
        let host = host.to_owned();
        Box::pin(async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            Ok(Tcp(tcp))
        })
    }

    fn spawn(&self, task: BoxFuture<()>) {
        tokio::spawn(task);
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(Sleep(Box::pin(tokio::time::sleep_until(deadline.into()))))
    }

    const READS_INTO_SPARE_CAPACITY: bool = true;

    /// tokio's `ReadBuf` takes uninitialized memory: large payloads are read straight into the
    /// connection's input, neither copied nor zeroed first.
    fn poll_read_buf(
        tcp: Pin<&mut Tcp>,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
        max: usize,
    ) -> Poll<io::Result<usize>> {
        tokio_util::io::poll_read_buf(Pin::new(&mut tcp.get_mut().0), cx, &mut buf.limit(max))
    }

    /// As `tokio::task::yield_now`: the wake waits until tokio has polled for I/O.
    fn yield_turn(cx: &mut Context<'_>) {
        let yielded = std::pin::pin!(tokio::task::yield_now()).poll(cx);
        debug_assert!(yielded.is_pending());
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
