//! # wsstream-smol
//!
//! The browser's `WebSocketStream` on the smol runtime: [`Smol`] implements the driver's
//! [`Runtime`], and this crate re-exports the same names as `wsstream-tokio` and
//! `wsstream-async-std`, so switching runtime changes one import. Everything is documented in
//! [`wsstream_driver`].
//! Timers come from async-io, shared with `wsstream-async-std`.
//!
//! ## A client
//! ```no_run
//! use wsstream_smol::{CloseInfo, Opened, Options, WebSocketStream};
//!
//! # smol::block_on(async {
//! let wss = WebSocketStream::new("wss://example.com/wss", Options::default())?;
//! let Opened { mut readable, mut writable, .. } = wss.opened().await?;
//! writable.send("My message").await?;
//! while let Some(message) = readable.read().await {
//!     println!("{:?}", message?);
//! }
//! let CloseInfo { close_code, reason } = wss.closed().await?;
//! # let _ = (close_code, reason);
//! # Ok::<(), wsstream_smol::WebSocketError>(())
//! # });
//! ```

use std::io;
use std::pin::Pin;
use std::time::Instant;

use wsstream_driver::{BoxFuture, Timer};

pub use smol::net::{TcpListener, TcpStream};
pub use wsstream_driver::api::*;

/// The smol runtime, for the driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Smol;

/// A WebSocket connection on smol: see [`wsstream_driver::WebSocketStream`].
pub type WebSocketStream = wsstream_driver::WebSocketStream<Smol>;

/// An incoming connection whose request was read: see [`wsstream_driver::Incoming`].
pub type Incoming<T = Tcp> = wsstream_driver::Incoming<Smol, T>;

/// The runtime's TCP stream as the driver sees it (futures-io).
pub type Tcp = TcpStream;

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
    WebSocketStream::accept(tcp, options)
}

impl Runtime for Smol {
    type Tcp = Tcp;

    fn connect(&self, host: &str, port: u16) -> BoxFuture<io::Result<Tcp>> {
        let host = host.to_owned();
        Box::pin(async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            Ok(tcp)
        })
    }

    fn spawn(&self, task: BoxFuture<()>) {
        smol::spawn(task).detach();
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        wsstream_driver::runtime::async_io_timer(deadline)
    }

    // On Unix, large payloads are read straight into the spare capacity: no copy, no zeroing;
    // an empty socket is waited for on its reactor source, without reading it again.
    wsstream_driver::async_io_reads!(source: |tcp: &TcpStream| {
        std::sync::Arc::<smol::Async<std::net::TcpStream>>::from(tcp.clone())
    });
}
