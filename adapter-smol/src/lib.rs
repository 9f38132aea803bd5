//! WebSocketStream for the smol runtime (work in progress: see the adapters issue).
//!
//! For now this crate re-exports the sans-IO core, [`wsstream_core`].

pub use wsstream_core as core;
