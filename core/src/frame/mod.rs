//! Framing (RFC 6455 section 5): the header, the incremental decoder and the encoder.

pub mod decoder;
pub mod encoder;
pub mod header;

#[cfg(feature = "deflate")]
pub(crate) use decoder::Inflate;
pub use decoder::{Decoded, Decoder, parse_close_payload};
pub use encoder::{FramePayload, OutQueue};
pub use header::{FrameHeader, MAX_CONTROL_PAYLOAD_BYTES, MAX_HEADER_BYTES, OpCode};
