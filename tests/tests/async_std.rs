//! The behaviour tests on async-std.

use wsstream_async_std as ws;

/// What the shared tests need from the runtime, beyond the adapter.
mod rt {
    use std::time::Duration;

    /// A raw TCP stream, as futures-io.
    pub(crate) type Tcp = async_std::net::TcpStream;

    /// Runs a test body.
    pub(crate) fn block_on<F: Future<Output = ()> + Send + 'static>(f: F) {
        async_std::task::block_on(f);
    }

    pub(crate) fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        async_std::task::spawn(f);
    }

    pub(crate) async fn sleep(d: Duration) {
        async_std::task::sleep(d).await;
    }

    pub(crate) fn raw(tcp: Tcp) -> Tcp {
        tcp
    }
}

#[path = "semantics/mod.rs"]
mod semantics;
