//! In-memory tests: a client and a server core driving each other, and protocol tests grouped
//! by RFC 6455 section.

mod close;
#[cfg(feature = "deflate")]
mod deflate;
mod framing;
mod pair;
mod receive;

pub(crate) use pair::*;
