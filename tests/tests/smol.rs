//! The behaviour tests on smol.

use wsstream_smol as ws;

/// What the shared tests need from the runtime, beyond the adapter.
mod rt {
    use std::time::Duration;

    /// A raw TCP stream, as futures-io.
    pub(crate) type Tcp = smol::net::TcpStream;

    /// Runs a test body.
    pub(crate) fn block_on<F: Future<Output = ()> + Send + 'static>(f: F) {
        smol::block_on(f);
    }

    pub(crate) fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        smol::spawn(f).detach();
    }

    pub(crate) async fn sleep(d: Duration) {
        smol::Timer::after(d).await;
    }

    pub(crate) fn raw(tcp: Tcp) -> Tcp {
        tcp
    }
}

#[path = "semantics/mod.rs"]
mod semantics;
