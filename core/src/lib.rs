//! # wsstream-core
//!
//! A sans-IO WebSocket ([RFC 6455]) state machine for both roles: bytes in, events out;
//! messages in, bytes out. It is the protocol heart of the `wsstream` adapters, and usable alone
//! in any event loop.
//!
//! It does the opening handshake (client and server), framing, masking, fragmentation, UTF-8
//! checks, ping/pong, close negotiation and limits, and permessage-deflate compression
//! ([RFC 7692]; the default feature `deflate`, negotiated by default: see the `deflate` module).
//! It does **not** do network I/O, spawn threads, read a clock or pick an async runtime: the
//! caller moves the bytes and decides when to give up waiting.
//!
//! ```text
//!                 receive(&[u8]) / receive_eof()            poll_event() -> Event
//!   transport ──────────────────────────────────▶ Connection ─────────────────────▶ application
//!   transport ◀────────────────────────────────── Connection ◀───────────────────── application
//!                 poll_transmit() -> Transmit               send / ping / close / reply_close
//! ```
//!
//! ## Example: a client and a server, in memory
//!
//! ```
//! use wsstream_core::{ClientConfig, Connection, Event, Message, ServerConfig, Transmit};
//!
//! let mut client = Connection::client(ClientConfig::new("example.com", "/chat"))?;
//! let mut server = Connection::server(ServerConfig::new());
//!
//! // Move bytes from one end to the other until neither has anything to say.
//! fn pump(from: &mut Connection, to: &mut Connection) {
//!     while let Some(transmit) = from.poll_transmit() {
//!         match transmit {
//!             Transmit::Data(bytes) => to.receive(&bytes),
//!             Transmit::Shutdown => to.receive_eof(), // TCP FIN
//!         }
//!     }
//! }
//!
//! pump(&mut client, &mut server);
//! let Some(Event::Request(request)) = server.poll_event() else { panic!() };
//! assert_eq!(request.path, "/chat");
//! server.accept(None, None)?;
//! assert!(matches!(server.poll_event(), Some(Event::Opened { .. })));
//! server.send(Message::text("hello"))?;
//!
//! pump(&mut server, &mut client);
//! assert!(matches!(client.poll_event(), Some(Event::Opened { .. })));
//! assert_eq!(client.poll_event(), Some(Event::Message(Message::text("hello"))));
//!
//! // The client closes; the server answers and, being the server, closes TCP first.
//! client.close(Some(wsstream_core::CloseCode::NORMAL), "bye")?;
//! pump(&mut client, &mut server);
//! assert!(matches!(server.poll_event(), Some(Event::CloseReceived(_))));
//! assert!(server.is_closed() && server.wants_shutdown());
//! pump(&mut server, &mut client);
//! assert!(matches!(client.poll_event(), Some(Event::CloseReceived(_))));
//! assert!(client.is_closed() && client.error().is_none()); // a clean close
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A complete event loop over a blocking `std::net::TcpStream` is in
//! `examples/blocking_client.rs`.
//!
//! ## Design notes
//!
//! - **Lazy decoding.** [`Connection::receive`] buffers, and unmasks (and checks) what arrived
//!   of the frames it can while the bytes are hot in the cache; messages, events and errors come
//!   out only when [`Connection::poll_event`] is called, in order. A caller that stops polling
//!   (its consumer is slow) and stops reading bounds memory to what it chose to read.
//! - **No copy where it can be avoided.** A driver can read large frames straight into the
//!   connection's input ([`Connection::read_hint`], [`Connection::receive_room`],
//!   [`Connection::receive_bytes`]); a large message in a single frame leaves as `Bytes` split
//!   off the input, a small one is held inline in its [`Payload`] (up to
//!   [`payload::INLINE_CAPACITY`] bytes, no allocation), and [`Connection::poll_message_with`]
//!   lends small ones where they arrived. Frames go out as a header beside the message's own
//!   `Bytes`, for a vectored write.
//! - **Fail fast.** Every limit is checked on the frame header, before the payload is buffered;
//!   text is validated as its bytes arrive, so invalid UTF-8 fails at the first bad byte.
//! - **Failure is sticky.** After a failure the same [`Error`] is reported by every later call,
//!   and only the Close frame (or HTTP refusal) that was queued still leaves.
//! - **Closing.** The peer's Close is reported as [`Event::CloseReceived`]; with
//!   [`Config::auto_close_reply`] off, the caller answers it with [`Connection::reply_close`]
//!   when it is ready (an async driver waits until its reader has drained earlier messages).
//!
//! [RFC 6455]: https://www.rfc-editor.org/rfc/rfc6455
//! [RFC 7692]: https://www.rfc-editor.org/rfc/rfc7692

pub mod config;
pub mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod message;
pub mod payload;
pub mod utf8;

#[cfg(test)]
mod tests;

pub use config::{ClientConfig, Config, ConfigError, Role, ServerConfig};
pub use connection::{Connection, Event, InvalidState, State, Transmit};
#[cfg(feature = "deflate")]
pub use deflate::{DeflateConfig, DeflateParams};
pub use error::{CloseError, Error, ExtensionError, HandshakeError, ProtocolError, SendError};
pub use handshake::Request;
pub use message::{CloseCode, CloseFrame, Message, MessageRef, Utf8Bytes};
pub use payload::Payload;
