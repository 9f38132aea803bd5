//! permessage-deflate ([RFC 7692]): negotiation and per-message compression.
//!
//! Enabled by the default cargo feature `deflate`. A [`DeflateConfig`] in
//! [`ClientConfig::deflate`](crate::ClientConfig::deflate) is offered in the client's request; one
//! in [`ServerConfig::deflate`](crate::ServerConfig::deflate) lets
//! [`Connection::accept`](crate::Connection::accept) accept the first acceptable offer when the
//! caller passes no extensions of its own. Both default to [`DeflateConfig::default`], as a
//! browser offers and as python-websockets serves.
//!
//! Once agreed, compression is transparent: messages at least
//! [`threshold`](DeflateConfig::threshold) bytes long leave compressed (RSV1 on their first
//! frame), compressed messages are inflated as they arrive, and
//! [`Config::max_message_size`](crate::Config::max_message_size) bounds the inflated size while
//! inflating, so a small frame that would inflate to gigabytes fails with 1009 having allocated
//! at most the limit.
//!
//! The pure functions that negotiate ([`DeflateParams::parse`], [`DeflateConfig::offer`],
//! [`DeflateConfig::accept_offer`], [`DeflateConfig::negotiate`],
//! [`DeflateConfig::accept_response`]) take any input without panicking, for fuzzing.
//!
//! ```
//! use wsstream_core::deflate::{ClientMaxWindowBits, DeflateConfig};
//!
//! let client = DeflateConfig::default();
//! assert_eq!(client.offer(), "permessage-deflate; client_max_window_bits");
//!
//! let mut server = DeflateConfig::default();
//! server.server_max_window_bits = Some(12);
//! server.client_max_window_bits = ClientMaxWindowBits::Bits(12);
//! let agreed = server.negotiate(&[client.offer()]).unwrap();
//! let response = agreed.to_string();
//! assert_eq!(response, "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
//! assert_eq!(client.accept_response(&response), Ok(agreed));
//! ```
//!
//! ## Window sizes
//!
//! The backend is zlib-rs (through flate2), which compresses with any window from 9 to 15
//! bits; flate2's default backend, miniz_oxide, only with 15. A window of 8 bits is agreed as
//! asked, and compressed with 9, as zlib itself, Node's `ws` and python-websockets do: zlib's
//! deflate never refers further back than the window size less 262 bytes
//! (`MAX_DIST = w_size - MIN_LOOKAHEAD`), 250 bytes for a 512-byte window, within what a
//! 256-byte window decoder holds. Inflating uses the agreed window of the peer (9 for 8).
//!
//! [RFC 7692]: https://www.rfc-editor.org/rfc/rfc7692

mod codec;
mod negotiate;
mod params;
#[cfg(test)]
mod tests;

pub(crate) use codec::{Deflater, Inflater};
pub use params::DeflateParams;

/// The extension's name in `Sec-WebSocket-Extensions`.
pub const EXTENSION_NAME: &str = "permessage-deflate";
/// The smallest LZ77 window RFC 7692 allows, in bits (256 bytes).
pub const MIN_WINDOW_BITS: u8 = 8;
/// The largest LZ77 window, in bits (32 KiB), and what applies when no limit is agreed.
pub const MAX_WINDOW_BITS: u8 = 15;
/// The default compression level (zlib's default).
pub const DEFAULT_LEVEL: u8 = 6;
/// The default threshold: every message is compressed, as browsers and python-websockets do.
pub const DEFAULT_THRESHOLD_BYTES: usize = 0;

/// What this endpoint offers (client) or accepts (server) of permessage-deflate, and how it
/// compresses.
///
/// The same fields serve both roles; each says what it means in each. The window sizes are
/// base-2 logarithms, 8 to 15 (RFC 7692 7.1.2); [`ClientConfig::validate`] rejects others, a
/// server clamps them.
///
/// [`ClientConfig::validate`]: crate::ClientConfig::validate
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Client: ask the server to compress each message with a fresh context (the offer fails
    /// unless the server agrees). Server: do so even if not asked. Saves the server's compressor
    /// memory between messages, costs compression ratio. Default `false`.
    pub server_no_context_takeover: bool,
    /// Client: compress each message with a fresh context, and say so. Server: require it of
    /// the client (saves the server's decompressor memory between messages). Default `false`.
    pub client_no_context_takeover: bool,
    /// Client: ask the server to compress with at most this window (the offer fails unless the
    /// server agrees). Server: compress with at most this window whatever the client allows.
    /// Default `None`: 15.
    pub server_max_window_bits: Option<u8>,
    /// The client's window: see [`ClientMaxWindowBits`]. Default
    /// [`ClientMaxWindowBits::NoValue`], what browsers offer.
    pub client_max_window_bits: ClientMaxWindowBits,
    /// Compression level, 0 (store only) to 9 (smallest, slowest); larger values count as 9.
    /// Default [`DEFAULT_LEVEL`].
    pub level: u8,
    /// Messages shorter than this many bytes are sent uncompressed (RFC 7692 6: compression is
    /// chosen per message). Default [`DEFAULT_THRESHOLD_BYTES`].
    pub threshold: usize,
}

/// The `client_max_window_bits` parameter (RFC 7692 7.1.2.2), as a [`DeflateConfig`] uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientMaxWindowBits {
    /// Client: not offered, so the server may not limit the client's window. Server: no limit
    /// asked. In [`DeflateParams`]: not present.
    Absent,
    /// Client: offered without a value: the client accepts any limit the server sets (what
    /// browsers send). Server: no limit asked. In [`DeflateParams`]: present without a value,
    /// which only an offer may be.
    NoValue,
    /// Client: offered with this value, the largest window the client compresses with; the
    /// server may set a smaller one. Server: limit to this a client that offered the parameter
    /// (one that did not cannot be limited, and compresses with 15). In [`DeflateParams`]:
    /// present with this value.
    Bits(u8),
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: ClientMaxWindowBits::NoValue,
            level: DEFAULT_LEVEL,
            threshold: DEFAULT_THRESHOLD_BYTES,
        }
    }
}

impl DeflateConfig {
    /// The default: context takeover both ways, 15-bit windows, level 6, every message
    /// compressed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks that the window sizes are 8 to 15.
    ///
    /// # Errors
    /// A description of the first value out of range.
    pub fn validate(&self) -> Result<(), &'static str> {
        let valid = |bits: u8| (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&bits);
        if self.server_max_window_bits.is_some_and(|b| !valid(b)) {
            return Err("server_max_window_bits is not between 8 and 15");
        }
        if let ClientMaxWindowBits::Bits(b) = self.client_max_window_bits {
            if !valid(b) {
                return Err("client_max_window_bits is not between 8 and 15");
            }
        }
        Ok(())
    }
}

/// One direction's agreement: how one endpoint compresses, or how it inflates what the other
/// compresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Direction {
    /// Reset the context after each message.
    pub(crate) no_context_takeover: bool,
    /// The window, 9 to 15 (an agreed 8 is used as 9).
    pub(crate) window_bits: u8,
}

impl DeflateParams {
    /// How the client (`client == true`) or the server compresses under these parameters.
    pub(crate) fn direction(&self, client: bool) -> Direction {
        let (no_context_takeover, bits) = if client {
            let bits = match self.client_max_window_bits {
                ClientMaxWindowBits::Bits(b) => Some(b),
                ClientMaxWindowBits::Absent | ClientMaxWindowBits::NoValue => None,
            };
            (self.client_no_context_takeover, bits)
        } else {
            (self.server_no_context_takeover, self.server_max_window_bits)
        };
        // flate2 (and zlib since 1.2.9) refuse a raw 8-bit window: use 9 (see the module docs).
        let window_bits =
            bits.unwrap_or(MAX_WINDOW_BITS).clamp(MIN_WINDOW_BITS + 1, MAX_WINDOW_BITS);
        Direction { no_context_takeover, window_bits }
    }
}
