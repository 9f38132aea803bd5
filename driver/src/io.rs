//! The transport, reachable from every task of a connection: the driver and the handles alike
//! read and write it, under the shared lock.
//!
//! A reader that has taken every message reads the socket itself, and a reader about to wait
//! writes what its task queued (the replies to what it read), so that a server answering a burst
//! reads, decodes, answers and writes in one poll of one task, with the payload still in cache,
//! rather than across three hops between the reader's task and the driver's. A writer writes
//! itself too when it has 64 KiB or more queued (on a connection alone in its process, eight
//! messages, for up to [`PIECES_PER_WAIT`] pieces between two waits of the reader:
//! [`write_at_once_bytes`], [`piece_bytes`]), and on
//! `poll_flush`. The driver stays the fallback: it reads when the reader is not reading (to
//! answer pings, to see a Close), and writes when the application writes without reading.
//!
//! The answers to a burst leave together, in one write when the reader has taken the last of it,
//! or in pieces of [`write_at_once_bytes`] as they are made. Written two at a time (on a
//! connection alone on its thread, until `d8ad662`) they led by a little on one host and lost by
//! half on another, at 2-3 times the CPU; pieces of eight on a connection alone in its process
//! gain a third of messages/s or more ([`PIECE_MESSAGES`] has the figures).
//!
//! Every poll of the transport, whoever makes it, uses one waker, the connection's
//! [`IoWaker`]: the reactor holds one waker per direction, and a reader polling with its own
//! would take the driver's place. The `IoWaker` wakes the driver, and first the reader when it
//! waits for input, which then reads what came itself; the driver finds the socket drained.

use std::any::Any;
use std::cell::RefCell;
use std::io::{self, IoSlice};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use futures_io::{AsyncRead, AsyncWrite};
use wsstream_core::{Connection, Message, State};

use crate::runtime::Runtime;
use crate::shared::Shared;
use crate::tls::MaybeTls;

/// The read buffer's size: large messages arrive in few reads (it is per thread, not per
/// connection).
pub(crate) const READ_BUFFER_BYTES: usize = 256 << 10;

thread_local! {
    /// The read buffer, one per thread rather than per connection: what a read brings is copied
    /// into the connection before the read returns, so the buffer never outlives a poll (and
    /// 10,000 idle connections do not each hold it).
    static READ_BUFFER: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_BUFFER_BYTES].into());
}

/// Room a connection's input must already have for a read of small frames to go straight into
/// it ([`Connection::spare_room`]) rather than through the per-thread buffer.
const SPARE_READ_BYTES: usize = 16 << 10;

/// Slices handed to one vectored write.
const MAX_WRITE_SLICES: usize = 64;

/// Queued output from which holding it back for more to join it no longer pays: past this much
/// a writer writes it from its own task at once, and the driver no longer waits for a reader's
/// replies to join it. [`write_at_once_bytes`] gives the figure that applies.
const WRITE_AT_ONCE_BYTES: usize = 64 << 10;

/// Messages in a piece of the answers to a burst, on a connection alone in its process: they
/// leave in pieces of this many as they are made, not at the burst's end, so that the peer (on
/// another core) works on the first while we make the rest, instead of the two taking turns.
/// With other connections open their bursts fill that time, and a piece's system call would
/// only cost CPU (at 16 KiB, 64 connections of 1 KiB messages: a fifth fewer messages/s).
///
/// A/B against pieces of 16 KiB (2026-12-04, AMD EPYC host, 32 messages in flight, one
/// connection against the lean peers of `bench/`, 5 runs each): 1 KiB messages as server
/// 0.31-0.39M → 0.39-0.51M messages/s at the same CPU per message, as client 0.27-0.37M →
/// 0.29-0.50M at a tenth more; 4 KiB messages (pieces of 32 KiB) as server 0.19-0.35M →
/// 0.20-0.45M at two thirds of the CPU, as client 0.29-0.39M → 0.32-0.47M at four fifths.
/// Pieces of 16 KiB of any message (from `e17c549`) had gained a third against one write per
/// burst on an Intel host; pieces of two messages (until `d8ad662`), 2-3 times the CPU.
///
/// Larger pieces save CPU only by giving up the lead (2026-12-06, same host, 1 KiB × 32 in
/// flight as server, 4 alternated runs each beside tokio-tungstenite): ours ÷ its messages/s
/// 1.24-1.41 in pieces of 8, 0.73-1.24 of 16, 0.81-1.17 of 32 (one write per burst); CPU per
/// message 1.06-1.32, 0.98-1.35 and 0.84-1.09 of its. Nor do pieces that grow within a burst
/// (same host, 4 alternated runs, 1 KiB × 32 as server, perf stat task clock per message): the
/// first piece of eight at once and the rest when input arrives or the reader waits gave
/// 0.40-0.48M messages/s at 1.13-1.54 µs per message, pieces that double (8, 16, 32 messages)
/// 0.40-0.49M at 1.19-1.51 µs, against pieces of eight's 0.50-0.59M at 1.29-1.66 µs and
/// tokio-tungstenite's 0.41-0.42M at 0.98-1.01 µs.
///
/// Messages under 1 KiB left in pieces of 16 KiB until 2026-12-06, since 512 B messages in pieces
/// of 8 KiB (16 of them) had gained nothing. Eight is the count that pays, for small messages
/// too (client A/B, same host, 3-4 runs each, 16 B × 32 in flight): pieces of 16 KiB 0.46-0.53M
/// messages/s at 0.91-1.02 µs per message, pieces of four messages 0.39-0.48M at 2.07-2.56 µs,
/// of sixteen 0.47-0.52M at 1.16-1.26 µs, of eight 0.65-0.77M at 1.26-1.51 µs (tokio-tungstenite
/// 0.46-0.52M at 0.93-1.07 µs); as server 0.32-0.35M in pieces of 16 KiB, 0.50-0.56M in pieces
/// of eight (with [`PIECES_PER_WAIT`]), tokio-tungstenite 0.37-0.39M.
const PIECE_MESSAGES: usize = 8;

/// Pieces written at [`write_at_once_bytes`] between two waits of the reader; past them the
/// answers leave at [`WRITE_AT_ONCE_BYTES`] until the reader has taken everything and waits.
/// Four pieces of eight are one burst of 32 in flight; a deeper pipeline keeps the reader from
/// ever waiting, and pieces of eight then cost a system call per eight messages on both sides
/// with nothing left to overlap (client A/B, 2026-12-06, same host, 3 runs each, 1 KiB × 128 in
/// flight: uncapped pieces 0.56-0.81M messages/s at 1.23-1.78 µs per message, capped at four
/// 0.96-1.07M at 0.93-1.04 µs, tokio-tungstenite 0.98-1.29M at 0.67-0.81 µs; at 32 in flight
/// the cap changes nothing, 0.45-0.51M either way). The same cap makes a writer that never
/// waits for input (a stream of small messages sent in a loop) write 64 KiB at a time.
///
/// Nor does a deep pipeline pay for skipping the pieces altogether. A/B (2026-12-06, same host,
/// one connection, 4 alternated runs each, ours ÷ tokio-tungstenite): writing in 64 KiB for the
/// whole of a reader's turn once its previous turn took more than 32 messages gave, at 16 B ×
/// 128 in flight, as server 1.01-1.24M messages/s at 0.28-0.36 µs per message against these
/// pieces' 1.47-1.78M at 0.52-0.60 µs (tokio-tungstenite 1.03-1.14M at 0.34-0.43), as client
/// 1.02-1.22M at 0.44-0.50 µs against 1.27-1.67M at 0.59-0.78 (0.91-1.20M at 0.48-0.56); at
/// 1 KiB × 128 as client 1.15-1.22M at 0.65-0.78 µs against 1.03-1.25M at 0.78-0.96, as
/// server 0.74-1.04M against 0.89-1.01M; at 32 in flight within the spread. The CPU it saves
/// at 16 B is the lead in messages/s it gives up; the bench's deep rows (`bench/`) keep watch.
const PIECES_PER_WAIT: usize = 4;

/// Connections whose driver lives, in this process, across every runtime.
static OPEN_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// Counts a connection open for [`write_at_once_bytes`] while it lives.
pub(crate) struct OpenConnection(());

impl OpenConnection {
    pub(crate) fn count() -> Self {
        OPEN_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        OPEN_CONNECTIONS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Queued output that a writer of `message_len`-byte messages writes at once, and past which
/// the driver stops holding a reader's replies back: a piece ([`PIECE_MESSAGES`] of them) for a
/// connection alone in its process, [`WRITE_AT_ONCE_BYTES`] beside others, never more.
pub(crate) fn write_at_once_bytes(message_len: usize) -> usize {
    at_once_for(OPEN_CONNECTIONS.load(Ordering::Relaxed), message_len)
}

fn at_once_for(open: usize, message_len: usize) -> usize {
    if open > 1 {
        WRITE_AT_ONCE_BYTES
    } else {
        message_len.max(1).saturating_mul(PIECE_MESSAGES).min(WRITE_AT_ONCE_BYTES)
    }
}

/// Queued output that leaves at once when `pieces` were written since the reader last waited
/// and `at_once` is [`write_at_once_bytes`]: `at_once` for the first [`PIECES_PER_WAIT`], then
/// [`WRITE_AT_ONCE_BYTES`].
pub(crate) fn piece_bytes(at_once: usize, pieces: usize) -> usize {
    if pieces < PIECES_PER_WAIT { at_once } else { at_once.max(WRITE_AT_ONCE_BYTES) }
}

/// A connection's transport with its runtime's read, behind one object-safe face, so that the
/// handles (which know neither) can drive it.
pub(crate) trait Transport: Send {
    /// Reads into `conn`'s input, at most `limit` bytes, past what a large frame needs only
    /// when `caught_up` (no message waits for the reader).
    fn poll_read_into(
        &mut self,
        conn: &mut Connection,
        cx: &mut Context<'_>,
        limit: usize,
        caught_up: bool,
    ) -> Poll<io::Result<usize>>;

    /// [`AsyncWrite::poll_write_vectored`].
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        slices: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    /// [`AsyncWrite::poll_flush`].
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// [`AsyncWrite::poll_close`].
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// The transport `T` of a connection on runtime `R`.
pub(crate) struct Io<R, T> {
    io: T,
    runtime: PhantomData<fn() -> R>,
}

impl<R, T> Io<R, T> {
    pub(crate) fn new(io: T) -> Self {
        Self { io, runtime: PhantomData }
    }
}

impl<R: Runtime, T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for Io<R, T> {
    fn poll_read_into(
        &mut self,
        conn: &mut Connection,
        cx: &mut Context<'_>,
        mut limit: usize,
        caught_up: bool,
    ) -> Poll<io::Result<usize>> {
        let hint = conn.read_hint();
        if R::READS_INTO_SPARE_CAPACITY {
            if let Some(tcp) = plain_tcp::<R, T>(&mut self.io) {
                let room = if hint > 0 {
                    // A large frame (its rest, or the next of a stream of them) straight into the
                    // connection's input: no copy, and no zeroing first. The hint ends at a frame
                    // boundary (and the next header) and spans several frames when they fit, so
                    // that a read brings several when they are there (and their replies leave in
                    // one write), and no frame is left half in an allocation too small for its
                    // rest. All of it when
                    // the reader keeps up: the room is the connection's own, so the per-thread
                    // buffer's size does not bound it, and a megabyte frame arrives in fewer
                    // reads.
                    let max = if caught_up { hint } else { limit.min(hint) };
                    Some((conn.receive_room(hint), max))
                } else {
                    // Small frames straight into the room the connection's input already has (a
                    // busy connection's, grown by earlier bursts): no copy out of the per-thread
                    // buffer.
                    conn.spare_room(SPARE_READ_BYTES).map(|room| {
                        let max = limit.min(room.capacity());
                        (room, max)
                    })
                };
                if let Some((mut room, max)) = room {
                    let polled = R::poll_read_buf(Pin::new(tcp), cx, &mut room, max);
                    conn.receive_bytes(room);
                    return polled;
                }
            }
        }
        if hint > 0 {
            // Copied through the per-thread buffer, but into room reserved for the hint and no
            // more than it: the read still ends at a frame boundary, or inside a frame whose
            // rest fits, so the input never grows (a copy) with half a large frame in it.
            let room = conn.receive_room(hint);
            conn.receive_bytes(room);
            limit = limit.min(hint);
        }
        let io = &mut self.io;
        let mut read_into = |buf: &mut [u8]| {
            let len = limit.min(buf.len());
            let buf = &mut buf[..len];
            let polled = Pin::new(&mut *io).poll_read(cx, buf);
            if let Poll::Ready(Ok(n)) = polled {
                conn.receive(&buf[..n]);
            }
            polled
        };
        READ_BUFFER.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => read_into(&mut buf),
            // Only if a transport's read polled another connection's on this thread: a buffer
            // of its own for this once.
            Err(_) => read_into(&mut vec![0; READ_BUFFER_BYTES]),
        })
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        slices: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, slices)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

/// The runtime's own TCP stream, when `io` is one (an accepted socket, or a client's plain
/// connection): [`Runtime::poll_read_buf`] can read it. `None` for TLS and other transports.
fn plain_tcp<R: Runtime, T: 'static>(io: &mut T) -> Option<&mut R::Tcp> {
    let io: &mut dyn Any = io;
    if io.is::<R::Tcp>() {
        return io.downcast_mut::<R::Tcp>();
    }
    match io.downcast_mut::<MaybeTls<R::Tcp>>() {
        Some(MaybeTls::Plain(tcp)) => Some(tcp),
        _ => None,
    }
}

/// The waker every poll of a connection's transport registers: it wakes the reader waiting for
/// input, if one is, and the driver.
///
/// It never takes the shared lock: the reactor, or tokio's cooperative budget, may wake it
/// while that lock is held.
#[derive(Debug, Default)]
pub(crate) struct IoWaker {
    driver: Mutex<Option<Waker>>,
    reader: Mutex<Option<Waker>>,
    /// How many times the transport (or the runtime, for a poll it cut short) woke it: a read
    /// that waits stays registered until this moves, and need not be tried again before.
    wakes: AtomicU64,
}

fn lock(slot: &Mutex<Option<Waker>>) -> MutexGuard<'_, Option<Waker>> {
    slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn set(slot: &Mutex<Option<Waker>>, cx: &Context<'_>) {
    let mut slot = lock(slot);
    match &*slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

impl IoWaker {
    /// The driver to wake, until it is woken.
    pub(crate) fn register_driver(&self, cx: &Context<'_>) {
        set(&self.driver, cx);
    }

    /// Forgets the driver: it has ended.
    pub(crate) fn clear_driver(&self) {
        lock(&self.driver).take();
    }

    /// The reader to wake first when the transport is ready, until it is woken.
    pub(crate) fn register_reader(&self, cx: &Context<'_>) {
        set(&self.reader, cx);
    }

    /// The count of wakes so far (see [`Shared::read_in`]).
    pub(crate) fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Acquire)
    }

    /// The driver's waker, if it waits: the caller wakes it.
    pub(crate) fn take_driver(&self) -> Option<Waker> {
        lock(&self.driver).take()
    }

    /// Wakes the driver, if it waits.
    pub(crate) fn wake_driver(&self) {
        if let Some(waker) = self.take_driver() {
            waker.wake();
        }
    }
}

impl Wake for IoWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::AcqRel);
        let reader = lock(&self.reader).take();
        if let Some(reader) = reader {
            reader.wake();
        }
        self.wake_driver();
    }
}

/// Writes what `conn` queued through `write`, vectored, until all of it is written or the
/// transport waits; adds the bytes that left to `written`. Shared by the open connection's
/// writes ([`Shared::write_out`]) and a refused handshake's last one.
pub(crate) fn poll_write_queued(
    conn: &mut Connection,
    written: &mut usize,
    mut write: impl FnMut(&[IoSlice<'_>]) -> Poll<io::Result<usize>>,
) -> Poll<io::Result<()>> {
    while conn.pending_transmit() > 0 {
        let mut slices = [IoSlice::new(&[]); MAX_WRITE_SLICES];
        let n = conn.chunks_vectored(&mut slices);
        match write(&slices[..n]) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => {
                conn.advance(n);
                *written += n;
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
    Poll::Ready(Ok(()))
}

impl std::fmt::Debug for dyn Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Transport")
    }
}

/// Reads a reader that has taken every message makes in one poll before it waits (the rest of a
/// frame a read left short is often there already).
const DIRECT_READS: usize = 4;

impl Shared {
    /// Writes what the core queued, and flushes; returns whether bytes moved. Nothing without a
    /// transport (before the driver starts, after it ends).
    pub(crate) fn write_out(&mut self) -> io::Result<bool> {
        let Some(io) = self.io.as_mut() else { return Ok(false) };
        let mut cx = Context::from_waker(&self.io_waker_handle);
        let mut written = 0;
        let polled = poll_write_queued(&mut self.conn, &mut written, |slices| {
            io.poll_write_vectored(&mut cx, slices)
        });
        let progress = written > 0;
        self.needs_flush |= progress;
        if let Poll::Ready(Err(e)) = polled {
            return Err(e);
        }
        // Flushed once everything is written: a flush after a write that is waiting would cancel
        // its registration on some transports (smol's and async-std's TCP streams drop the
        // write's readiness future on a flush that succeeds), and nobody would be woken.
        if self.needs_flush && self.conn.pending_transmit() == 0 {
            if let Poll::Ready(result) = io.poll_flush(&mut cx) {
                result?;
                self.needs_flush = false;
            }
        }
        if progress {
            self.wake_writers_with_room();
        }
        Ok(progress)
    }

    /// Shuts the transport's sending side down (TCP FIN, TLS close_notify); whether done.
    pub(crate) fn poll_shutdown(&mut self) -> bool {
        let Some(io) = self.io.as_mut() else { return true };
        let mut cx = Context::from_waker(&self.io_waker_handle);
        // A failure here changes nothing: we are done.
        io.poll_close(&mut cx).is_ready()
    }

    /// Reads into the connection's input (see [`Transport::poll_read_into`]); notes the end of
    /// the stream and that input came. Pending without a transport.
    ///
    /// A read that waited is not tried again until the transport wakes the [`IoWaker`]: the
    /// registration stands, and on async-io runtimes each try is two system calls (the driver,
    /// woken beside a reader that has just drained the socket, would make them for nothing).
    pub(crate) fn read_in(&mut self, limit: usize, caught_up: bool) -> Poll<io::Result<usize>> {
        let Some(io) = self.io.as_mut() else { return Poll::Pending };
        let wakes = self.io_waker.wakes();
        if self.read_waits_since == Some(wakes) {
            return Poll::Pending;
        }
        let mut cx = Context::from_waker(&self.io_waker_handle);
        let polled = io.poll_read_into(&mut self.conn, &mut cx, limit, caught_up);
        self.read_waits_since = polled.is_pending().then_some(wakes);
        match polled {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                self.conn.receive_eof();
            }
            Poll::Ready(Ok(_)) => self.input_seen = true,
            _ => {}
        }
        polled
    }

    /// A handle's write: what the core queued leaves now, from the handle's task. The driver
    /// hears of what it must act on: a failure, or a shutdown due.
    pub(crate) fn write_from_handle(&mut self) {
        if let Err(e) = self.write_out() {
            self.io_error = Some(e);
        }
        if self.io_error.is_some() || self.conn.wants_shutdown() || self.io.is_none() {
            self.wake_driver();
        }
    }

    /// A reader about to wait or yield: what its task queued (the replies to what it read)
    /// leaves now, in one write.
    pub(crate) fn write_before_pausing(&mut self) {
        if self.conn.pending_transmit() > 0 {
            self.write_from_handle();
        }
    }

    /// The next message for a reader that has taken every message: from the input, else read
    /// from the transport by the reader's task. Registers `cx` with the [`IoWaker`] when the
    /// transport has nothing; leaves pings, Closes and failures to the driver (woken for them).
    pub(crate) fn next_message(&mut self, cx: &Context<'_>) -> Option<Message> {
        for _ in 0..DIRECT_READS {
            if let Some(message) = self.conn.poll_message() {
                return Some(message);
            }
            let readable = self.io.is_some()
                && !self.eof
                && self.io_error.is_none()
                && self.conn.state() == State::Open
                && self.conn.wants_read()
                && !self.conn.has_events();
            if !readable {
                return None;
            }
            match self.read_in(READ_BUFFER_BYTES, true) {
                Poll::Ready(Ok(n)) if n > 0 => {}
                Poll::Ready(Ok(_)) => {
                    self.wake_driver();
                    return self.conn.poll_message();
                }
                Poll::Ready(Err(e)) => {
                    self.io_error = Some(e);
                    self.wake_driver();
                    return None;
                }
                Poll::Pending => {
                    self.io_waker.register_reader(cx);
                    return None;
                }
            }
        }
        // Still more to read, and no reactor event will say so: the driver goes on.
        let message = self.conn.poll_message();
        if message.is_none() {
            self.wake_driver();
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_alone_writes_in_smaller_pieces() {
        // Eight messages of any size, never more than beside others.
        assert_eq!(at_once_for(1, 1 << 10), 8 << 10);
        assert_eq!(at_once_for(1, 4 << 10), 32 << 10);
        assert_eq!(at_once_for(1, 1 << 20), WRITE_AT_ONCE_BYTES);
        assert_eq!(at_once_for(1, usize::MAX), WRITE_AT_ONCE_BYTES);
        assert_eq!(at_once_for(1, 16), 128);
        assert_eq!(at_once_for(1, 0), PIECE_MESSAGES);
        // A connection's own count is in: none open is a driver not started yet.
        assert_eq!(at_once_for(0, 1 << 10), 8 << 10);
        assert_eq!(at_once_for(2, 1 << 10), WRITE_AT_ONCE_BYTES);
        assert_eq!(at_once_for(10_000, 16), WRITE_AT_ONCE_BYTES);
    }

    #[test]
    fn pieces_past_the_cap_wait_for_64_kib() {
        assert_eq!(piece_bytes(8 << 10, 0), 8 << 10);
        assert_eq!(piece_bytes(8 << 10, PIECES_PER_WAIT - 1), 8 << 10);
        assert_eq!(piece_bytes(8 << 10, PIECES_PER_WAIT), WRITE_AT_ONCE_BYTES);
        assert_eq!(piece_bytes(128, usize::MAX), WRITE_AT_ONCE_BYTES);
        // Beside other connections the figure is 64 KiB already.
        assert_eq!(piece_bytes(WRITE_AT_ONCE_BYTES, 0), WRITE_AT_ONCE_BYTES);
    }

    #[test]
    fn open_connections_are_counted_while_they_live() {
        // Other tests of this binary open connections too: only what this one holds is certain.
        let a = OpenConnection::count();
        let b = OpenConnection::count();
        assert!(OPEN_CONNECTIONS.load(Ordering::Relaxed) >= 2);
        assert_eq!(write_at_once_bytes(1 << 10), WRITE_AT_ONCE_BYTES);
        drop((a, b));
    }
}
