//! SEMANTICS.md, row by row; mounted once per runtime with `ws` (the adapter) and `rt` (a shim).

mod backpressure;
mod close;
mod constructor;
mod handshake;
mod messages;
mod tls;
mod util;
