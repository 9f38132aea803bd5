//! The [`Runtime`] trait: everything an adapter supplies, in one file.
//!
//! The driver needs four things from an async runtime: a TCP connection to a host and port (DNS
//! included), a way to spawn one task per connection, a resettable timer, and the time. Bytes move
//! through the futures-io [`AsyncRead`] and [`AsyncWrite`] traits: async-std and smol streams
//! implement them, tokio's get `tokio_util::compat`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use futures_io::{AsyncRead, AsyncWrite};

/// A boxed, sendable future: what [`Runtime::connect`] returns and [`Runtime::spawn`] takes.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What the driver needs from an async runtime; everything else lives in this crate.
///
/// An adapter is a unit struct implementing this trait (`wsstream_tokio::Tokio`,
/// `wsstream_async_std::AsyncStd`, `wsstream_smol::Smol`).
pub trait Runtime: Clone + Default + Send + Sync + Unpin + 'static {
    /// The runtime's TCP stream.
    type Tcp: AsyncRead + AsyncWrite + Send + Unpin + 'static;

    /// Resolves `host` and connects to the first of its addresses that answers on `port`.
    fn connect(&self, host: &str, port: u16) -> BoxFuture<io::Result<Self::Tcp>>;

    /// Runs `task` to completion in the background.
    fn spawn(&self, task: BoxFuture<()>);

    /// A timer that fires at `deadline`, and can be moved with [`Timer::reset`].
    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>>;

    /// The current time. The driver checks it before trusting a timer.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// Whether [`poll_read_buf`](Self::poll_read_buf) fills spare capacity without zeroing it
    /// first. Only then does the driver read large payloads straight into the connection's
    /// input (no copy); otherwise it reads into a per-thread buffer and copies, which costs
    /// about what zeroing would.
    const READS_INTO_SPARE_CAPACITY: bool = false;

    /// Reads at most `max` bytes from `tcp` into the spare capacity of `buf`, appending them;
    /// gives how many (0 at the end of the stream).
    ///
    /// The default zeroes the room and reads through [`AsyncRead`]; an adapter whose runtime
    /// can read into uninitialized memory (tokio's `ReadBuf`) overrides it and sets
    /// [`READS_INTO_SPARE_CAPACITY`](Self::READS_INTO_SPARE_CAPACITY).
    fn poll_read_buf(
        tcp: Pin<&mut Self::Tcp>,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
        max: usize,
    ) -> Poll<io::Result<usize>> {
        let start = buf.len();
        // The spare capacity, or 8 KiB when there is none; never more than `max`.
        let spare = buf.capacity() - start;
        let room = if spare == 0 { 8 << 10 } else { spare }.min(max).max(1);
        buf.resize(start + room, 0);
        let polled = tcp.poll_read(cx, &mut buf[start..]);
        let filled = match polled {
            Poll::Ready(Ok(n)) => n.min(room),
            _ => 0,
        };
        buf.truncate(start + filled);
        polled
    }
}

/// A resettable one-shot timer.
pub trait Timer: Send {
    /// Moves the deadline; the timer fires once it is reached.
    fn reset(self: Pin<&mut Self>, deadline: Instant);

    /// Ready once the deadline has passed; registers `cx`'s waker otherwise.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}

/// The async-io timer, shared by the async-std and smol adapters.
#[cfg(feature = "async-io")]
impl Timer for async_io::Timer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.set_at(deadline);
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Future::poll(self.as_mut(), cx).map(|_| ())
    }
}

/// A timer on async-io, for adapters whose runtime runs on it (async-std, smol).
#[cfg(feature = "async-io")]
pub fn async_io_timer(deadline: Instant) -> Pin<Box<dyn Timer>> {
    Box::pin(async_io::Timer::at(deadline))
}
