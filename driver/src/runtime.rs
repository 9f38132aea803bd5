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

/// The buffer of [`Runtime::poll_read_buf`], for adapters (and `async_io_reads!`, with the
/// `async-io` feature).
pub use bytes::BytesMut;
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
    /// can read into uninitialized memory (tokio's `ReadBuf`, or `poll_read_uninit` on async-io,
    /// with the `async-io` feature) overrides it and sets
    /// [`READS_INTO_SPARE_CAPACITY`](Self::READS_INTO_SPARE_CAPACITY).
    fn poll_read_buf(
        tcp: Pin<&mut Self::Tcp>,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
        max: usize,
    ) -> Poll<io::Result<usize>> {
        // The spare capacity, or 8 KiB when there is none; never more than `max`.
        let spare = buf.capacity() - buf.len();
        let room = if spare == 0 { 8 << 10 } else { spare }.min(max).max(1);
        poll_read_zeroed(tcp, cx, buf, room)
    }

    /// Arranges for the task polling with `cx` to be polled again after the runtime's other
    /// ready tasks, before the task returns `Pending`: a reader that has had its turn
    /// ([`Readable`](crate::Readable)) yields so, while its peer keeps sending.
    ///
    /// The default wakes `cx` at once; tokio's adapter defers the wake until the runtime has
    /// looked for I/O, as `tokio::task::yield_now` does, so that connections whose input came
    /// meanwhile are next.
    fn yield_turn(cx: &mut Context<'_>) {
        cx.waker().wake_by_ref();
    }
}

/// Reads at most `room` bytes through [`AsyncRead`] into `room` zeroed bytes appended to `buf`,
/// keeping what was read.
fn poll_read_zeroed<S: AsyncRead + ?Sized>(
    tcp: Pin<&mut S>,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    room: usize,
) -> Poll<io::Result<usize>> {
    let start = buf.len();
    buf.resize(start + room, 0);
    let polled = tcp.poll_read(cx, &mut buf[start..]);
    let filled = match polled {
        Poll::Ready(Ok(n)) => n.min(room),
        _ => 0,
    };
    buf.truncate(start + filled);
    polled
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

/// Inside `impl Runtime for ...` of an async-io runtime whose `Tcp` is a socket (`AsFd`):
/// sets [`Runtime::READS_INTO_SPARE_CAPACITY`] and reads with [`poll_read_uninit`], on Unix
/// (elsewhere the defaults stay). Shared by the async-std and smol adapters.
///
/// With `source: f`, where `f(&Tcp)` gives the socket's `Arc<async_io::Async<TcpStream>>`, an
/// empty socket is waited for with [`poll_read_uninit_with_source`] instead: one system call
/// fewer per wait, two fewer after a wake.
#[cfg(feature = "async-io")]
#[macro_export]
macro_rules! async_io_reads {
    () => {
        $crate::async_io_reads!(@with $crate::runtime::poll_read_uninit);
    };
    (source: $source:expr) => {
        $crate::async_io_reads!(@with |tcp, cx, buf, max| {
            $crate::runtime::poll_read_uninit_with_source(tcp, cx, buf, max, $source)
        });
    };
    (@with $read:expr) => {
        const READS_INTO_SPARE_CAPACITY: bool = cfg!(unix);

        #[cfg(unix)]
        fn poll_read_buf(
            tcp: ::std::pin::Pin<&mut Self::Tcp>,
            cx: &mut ::std::task::Context<'_>,
            buf: &mut $crate::runtime::BytesMut,
            max: usize,
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            ($read)(tcp, cx, buf, max)
        }
    };
}

/// Zeroed bytes offered to `poll_read` when the socket was empty.
#[cfg(all(unix, feature = "async-io"))]
const WAIT_BYTES: usize = 4 << 10;

/// Reads what the socket has, without waiting, into the spare capacity of `buf` (at most `max`
/// bytes); `None` when it has nothing.
#[cfg(all(unix, feature = "async-io"))]
fn recv_into_spare(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &mut BytesMut,
    max: usize,
) -> Option<io::Result<usize>> {
    if buf.capacity() == buf.len() {
        buf.reserve(WAIT_BYTES);
    }
    let spare = buf.spare_capacity_mut();
    let len = spare.len().min(max).max(1);
    loop {
        match rustix::net::recv(fd, &mut spare[..len], rustix::net::RecvFlags::DONTWAIT) {
            Ok(((filled, _), _)) => {
                let n = filled.len();
                // SAFETY: `recv` initialized the first `n` bytes of the spare capacity (it gave
                // them back as `filled`), and `n <= len <= spare capacity`.
                unsafe { buf.set_len(buf.len() + n) };
                return Some(Ok(n));
            }
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::AGAIN) => return None,
            Err(e) => return Some(Err(e.into())),
        }
    }
}

/// [`Runtime::poll_read_buf`] without zeroing, for a socket of an async-io runtime (async-std,
/// smol): the kernel writes straight into the spare capacity of `buf` (at most `max` bytes),
/// so that large payloads reach the connection's input with no copy and no zeroing.
///
/// The socket is read at once, without waiting; only when it has nothing does this go through
/// [`AsyncRead::poll_read`] (into a few zeroed bytes), which registers `cx` with the reactor,
/// or takes what arrived meanwhile. Unix only.
#[cfg(all(unix, feature = "async-io"))]
pub fn poll_read_uninit<S>(
    tcp: Pin<&mut S>,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    max: usize,
) -> Poll<io::Result<usize>>
where
    S: AsyncRead + std::os::fd::AsFd,
{
    if let Some(read) = recv_into_spare(tcp.as_fd(), buf, max) {
        return Poll::Ready(read);
    }
    // The room the read found empty, as `recv_into_spare` measured it (with nothing read, the
    // spare capacity is as it left it).
    let room = (buf.capacity() - buf.len()).min(max).max(1);
    poll_read_zeroed(tcp, cx, buf, room.min(WAIT_BYTES))
}

/// [`poll_read_uninit`], waiting for an empty socket on its reactor source (`source(&tcp)`)
/// rather than through [`AsyncRead::poll_read`], which would read it twice more: once for
/// nothing, and once again after the readiness left by the wake that brought what was read.
///
/// That readiness is taken without a read: what it announced was read since (or, if more came
/// meanwhile, the registration that follows reports it at once, a spurious wake at worst).
#[cfg(all(unix, feature = "async-io"))]
pub fn poll_read_uninit_with_source<S>(
    tcp: Pin<&mut S>,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    max: usize,
    source: impl Fn(&S) -> std::sync::Arc<async_io::Async<std::net::TcpStream>>,
) -> Poll<io::Result<usize>>
where
    S: std::os::fd::AsFd,
{
    if let Some(read) = recv_into_spare(tcp.as_fd(), buf, max) {
        return Poll::Ready(read);
    }
    let source = source(&tcp);
    // At most a readiness left from before, then the registration.
    for _ in 0..2 {
        if let Err(e) = std::task::ready!(source.poll_readable(cx)) {
            return Poll::Ready(Err(e));
        }
    }
    // Registered twice over without waiting: read again, the next call waits.
    match recv_into_spare(tcp.as_fd(), buf, max) {
        Some(read) => Poll::Ready(read),
        None => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[cfg(all(test, unix, feature = "async-io"))]
mod tests {
    use std::io::Write as _;
    use std::net::{TcpListener, TcpStream};

    use async_io::Async;

    use super::*;

    /// A connected pair on 127.0.0.1: the blocking writer, and the reader under async-io.
    fn pair() -> (TcpStream, Async<TcpStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let writer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (reader, _) = listener.accept().unwrap();
        (writer, Async::new(reader).unwrap())
    }

    fn read(reader: &mut Async<TcpStream>, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
        async_io::block_on(std::future::poll_fn(|cx| {
            poll_read_uninit(Pin::new(&mut *reader), cx, buf, max)
        }))
    }

    #[test]
    fn reads_into_spare_capacity_after_what_is_there() {
        let (mut writer, mut reader) = pair();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 3) as u8).collect();
        writer.write_all(&data).unwrap();
        let mut buf = BytesMut::with_capacity(200_000);
        buf.extend_from_slice(b"head");
        while buf.len() < 4 + data.len() {
            let before = buf.len();
            let n = read(&mut reader, &mut buf, 30_000).unwrap();
            assert!(n > 0 && n <= 30_000, "{n}");
            assert_eq!(buf.len(), before + n);
        }
        assert_eq!(&buf[..4], b"head");
        assert_eq!(&buf[4..], &data[..]);
    }

    #[test]
    fn waits_for_data_then_reports_the_end() {
        let (mut writer, mut reader) = pair();
        let late = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            writer.write_all(b"late").unwrap();
            // Dropping the writer ends the stream.
        });
        // Nothing there yet: the read waits on the reactor, then takes what came.
        let mut buf = BytesMut::new();
        let mut got = 0;
        while got < 4 {
            got += read(&mut reader, &mut buf, 1 << 20).unwrap();
        }
        assert_eq!(&buf[..], b"late");
        late.join().unwrap();
        assert_eq!(read(&mut reader, &mut buf, 1 << 20).unwrap(), 0, "the end of the stream");
        assert_eq!(&buf[..], b"late");
    }

    #[test]
    fn waiting_on_the_source_misses_no_wake() {
        let (mut writer, reader) = pair();
        let reader = std::sync::Arc::new(reader);
        let rounds = 50;
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = reader;
            let mut buf = BytesMut::new();
            let read = |reader: &mut std::sync::Arc<Async<TcpStream>>, buf: &mut BytesMut| {
                async_io::block_on(std::future::poll_fn(|cx| {
                    poll_read_uninit_with_source(Pin::new(&mut *reader), cx, buf, 1 << 16, |a| {
                        a.clone()
                    })
                }))
            };
            // Each round reads what came after a wait, then finds the socket empty: a wait
            // with the readiness of the wake before still standing.
            while buf.len() < rounds {
                let n = read(&mut reader, &mut buf).unwrap();
                assert!(n > 0);
            }
            let end = read(&mut reader, &mut buf).unwrap();
            done_tx.send((buf, end)).unwrap();
        });
        for i in 0..rounds {
            std::thread::sleep(std::time::Duration::from_millis(2));
            writer.write_all(&[i as u8]).unwrap();
        }
        drop(writer);
        let (buf, end) = done_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the reader missed a wake");
        assert_eq!(&buf[..], &(0..rounds as u8).collect::<Vec<_>>()[..]);
        assert_eq!(end, 0, "the end of the stream");
    }
}
