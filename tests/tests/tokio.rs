//! The behaviour tests on tokio.

use wsstream_tokio as ws;

/// What the shared tests need from the runtime, beyond the adapter.
mod rt {
    use std::time::Duration;

    use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

    /// A raw TCP stream, as futures-io.
    pub(crate) type Tcp = Compat<tokio::net::TcpStream>;

    /// Runs a test body on a fresh runtime.
    pub(crate) fn block_on<F: Future<Output = ()> + Send + 'static>(f: F) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(f);
        rt.shutdown_timeout(Duration::from_millis(100));
    }

    pub(crate) fn spawn<F: Future<Output = ()> + Send + 'static>(f: F) {
        tokio::spawn(f);
    }

    pub(crate) async fn sleep(d: Duration) {
        tokio::time::sleep(d).await;
    }

    pub(crate) fn raw(tcp: tokio::net::TcpStream) -> Tcp {
        tcp.compat()
    }
}

#[path = "semantics/mod.rs"]
mod semantics;
