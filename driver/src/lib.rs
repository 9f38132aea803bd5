//! # wsstream-driver
//!
//! The browser's `WebSocketStream` for Rust, written once over a small [`Runtime`] trait. The
//! adapters `wsstream-tokio`, `wsstream-async-std` and `wsstream-smol` implement the trait and
//! re-export the same names, so switching runtime changes one import. This is the only crate of
//! wsstream with async code; the protocol itself is the sans-IO [`wsstream_core`].
//!
//! It does: URL checks as the browser, DNS and TCP through the runtime, TLS (rustls on ring,
//! Mozilla's roots by default, SNI), the opening handshake for clients and servers, messages as
//! a `Stream` and a `Sink` with backpressure both ways, the closing handshake with timeouts, abort
//! signals, keepalive pings. It does not do HTTP beyond the upgrade, proxies, or redirects (a
//! redirect fails the handshake, as in the browser).
//!
//! ```text
//!  handles (any task)                 driver task (one per connection)
//!  ┌──────────────────┐   commands   ┌──────────────────────────────┐   bytes   ┌────────┐
//!  │ WebSocketStream  │ ───────────▶ │  Arc<Mutex<Shared>>          │ ◀───────▶ │ socket │
//!  │ Readable (Stream)│ ◀─ inbox ─── │  core Connection, transport, │  vectored │ (TLS)  │
//!  │ Writable (Sink)  │ ── budget ─▶ │  timers                      │  writes   └────────┘
//!  └──────────────────┘    wakers    └──────────────────────────────┘
//! ```
//!
//! ## A client
//!
//! The guide's sample client (MDN, "Using WebSocketStream to write a client"), in Rust and for
//! any runtime. With an adapter, write `wsstream_tokio::WebSocketStream` and drop the generics.
//!
//! ```
//! use futures_core::Stream;
//! use wsstream_driver::{CloseInfo, Opened, Options, Runtime, WebSocketError, WebSocketStream};
//!
//! async fn start<R: Runtime>() -> Result<(), WebSocketError> {
//!     let wss = WebSocketStream::<R>::new("ws://127.0.0.1/", Options::default())?;
//!     println!("{}", wss.url());
//!     let Opened { mut readable, mut writable, .. } = wss.opened().await?;
//!     println!("CONNECTED");
//!     writable.send("ping").await?;
//!     println!("SENT: ping");
//!     while let Some(message) = readable.read().await {
//!         println!("RECEIVED: {:?}", message?.as_text());
//!     }
//!     let CloseInfo { close_code, reason } = wss.closed().await?;
//!     println!("DISCONNECTED: code {close_code:?}, message {reason:?}");
//!     Ok(())
//! }
//!
//! // Closing with a code and reason, from anywhere (the handle is `Clone`):
//! fn close<R: Runtime>(wss: &WebSocketStream<R>) -> Result<(), WebSocketError> {
//!     wss.close(CloseInfo::new(4000, "Night draws to a close"))
//! }
//! ```
//!
//! ## A server
//!
//! ```
//! use futures_io::{AsyncRead, AsyncWrite};
//! use wsstream_driver::{Opened, Options, Runtime, WebSocketError, WebSocketStream};
//!
//! async fn serve<R: Runtime, T>(tcp: T) -> Result<(), WebSocketError>
//! where
//!     T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
//! {
//!     let incoming = WebSocketStream::<R>::accept(tcp, Options::default()).await?;
//!     if incoming.path() != "/echo" {
//!         return incoming.reject(404, "not found").await;
//!     }
//!     let wss = incoming.accept(None)?;
//!     let Opened { mut readable, mut writable, .. } = wss.opened().await?;
//!     while let Some(message) = readable.read().await {
//!         writable.send(message?).await?;
//!     }
//!     wss.closed().await.map(|_| ())
//! }
//! ```
//!
//! ## Design notes
//!
//! - **Why a `Mutex` and not channels?** The driver moves messages between the handles and the
//!   core under one short lock, never held across I/O; there is no per-message channel hop, and
//!   each side wakes the other only when it waits for it.
//! - **Backpressure.** The driver decodes ahead of the reader at most 64 messages and, beyond
//!   the first, [`Options::receive_budget`] bytes of them; then, beyond
//!   [`Options::receive_budget`] bytes of undecoded input, the socket is not read (the core
//!   decodes lazily). A burst of small messages thus reaches the reader in one task switch. A write completes when the message fits in [`Options::send_budget`]; a
//!   larger one completes when enough of it has gone to the socket.
//! - **Closing.** The reply to the peer's Close waits until the reader took the messages queued
//!   before it, unless we close ourselves. A client waits [`Options::server_close_wait`] for the
//!   server to close TCP; no reply to our Close within [`Options::close_timeout`] fails with
//!   1006.
//! - **One error.** A failure is one [`WebSocketError`] value shared by `opened`, `closed`, the
//!   readable and the writable; `==` compares identity.

mod abort;
mod connect;
mod driver;
mod error;
mod io;
mod options;
mod readable;
pub mod runtime;
mod server;
mod shared;
mod stream;
mod target;
mod tls;
mod writable;

pub use abort::{AbortController, AbortSignal};
pub use error::{ErrorKind, WebSocketError};
pub use futures_rustls::rustls;
pub use options::{
    Control, ControlCallback, DEFAULT_CLOSE_TIMEOUT, DEFAULT_RECEIVE_BUDGET_BYTES,
    DEFAULT_SEND_BUDGET_BYTES, DEFAULT_SERVER_CLOSE_WAIT, Keepalive, Options,
};
pub use readable::Readable;
pub use runtime::{BoxFuture, Runtime, Timer};
pub use server::Incoming;
pub use shared::CloseInfo;
pub use stream::{Opened, WebSocketStream};
pub use tls::client_config as tls_client_config;
pub use writable::Writable;
pub use wsstream_core as core;
#[cfg(feature = "deflate")]
pub use wsstream_core::DeflateConfig;
pub use wsstream_core::{CloseCode, Message, Payload, Request, Utf8Bytes};

/// The names every adapter re-exports, so that switching runtime changes one import.
pub mod api {
    #[cfg(feature = "deflate")]
    pub use crate::DeflateConfig;
    pub use crate::{
        AbortController, AbortSignal, CloseCode, CloseInfo, Control, ControlCallback, ErrorKind,
        Keepalive, Message, Opened, Options, Payload, Readable, Request, Runtime, Utf8Bytes,
        WebSocketError, Writable, core, rustls, tls_client_config,
    };
}
