//! [`CtrlC`]: the presses of Ctrl-C, one after another.
//!
//! The first press asks a command to close cleanly; a second one, while it closes, gives up
//! (exit status 130). Once tokio listens for the signal it no longer ends the process, so every
//! command that waits must also wait for Ctrl-C.

use std::future::Future;
use std::io;
use std::pin::Pin;

/// Waits for Ctrl-C, press after press.
pub(crate) struct CtrlC(Pin<Box<dyn Future<Output = io::Result<()>> + Send>>);

impl CtrlC {
    /// Starts listening at the first [`pressed`](Self::pressed).
    pub(crate) fn new() -> Self {
        Self(Box::pin(tokio::signal::ctrl_c()))
    }

    /// Resolves at the next press. Cancel-safe: a press is not lost if this future is dropped
    /// (in a `select!`) before it resolves. Never resolves if the signal cannot be caught.
    pub(crate) async fn pressed(&mut self) {
        if let Err(e) = self.0.as_mut().await {
            tracing::warn!("cannot catch Ctrl-C: {e}");
            self.0 = Box::pin(std::future::pending());
            std::future::pending::<()>().await;
        }
        // Listen again before anything else runs: a finished future must not be polled.
        self.0 = Box::pin(tokio::signal::ctrl_c());
    }
}
