//! What the handles and the driver task share: one `Mutex<Shared>` per connection.
//!
//! Handles ([`WebSocketStream`](crate::WebSocketStream), [`Readable`](crate::Readable),
//! [`Writable`](crate::Writable)) post commands and take messages; the core connection and the
//! transport live here too, so that a handle may read and write from its own task ([`crate::io`])
//! as the driver does. Nobody holds this lock across an await. Each side wakes the other only
//! when it is waiting for it.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Waker};

use bytes::Bytes;
use wsstream_core::{CloseCode, Connection, Message};

use crate::error::{ErrorKind, WebSocketError};
use crate::io::{IoWaker, Transport};

/// The negotiated values of an open connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OpenInfo {
    pub(crate) protocol: String,
    pub(crate) extensions: String,
}

/// A close code and reason: what [`close`](crate::WebSocketStream::close) takes and
/// [`closed`](crate::WebSocketStream::closed) gives.
///
/// As the browser's `WebSocketCloseInfo`: `close_code` `None` and an empty reason send a Close
/// with an empty body; a reason alone is sent with 1000. `closed` always gives a code, 1005 when
/// the peer's Close had an empty body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CloseInfo {
    /// The close code.
    pub close_code: Option<u16>,
    /// The close reason, at most 123 bytes of UTF-8.
    pub reason: String,
}

impl CloseInfo {
    /// A close with `code` and `reason`.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self { close_code: Some(code), reason: reason.into() }
    }
}

/// Where the readable is.
#[derive(Debug, Clone)]
pub(crate) enum ReadEnd {
    /// Messages may still come.
    Open,
    /// No message will come after those queued: the stream ends.
    Ended,
    /// The stream errors with this, once, then ends.
    Errored(WebSocketError),
}

/// A close the application asked for.
#[derive(Debug, Clone)]
pub(crate) struct CloseRequest {
    pub(crate) code: Option<CloseCode>,
    pub(crate) reason: String,
}

/// A few wakers, each registered once.
#[derive(Debug, Default)]
pub(crate) struct WakerSet(Vec<Waker>);

impl WakerSet {
    pub(crate) fn register(&mut self, cx: &Context<'_>) {
        if !self.0.iter().any(|w| w.will_wake(cx.waker())) {
            self.0.push(cx.waker().clone());
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn wake_all(&mut self) {
        self.0.drain(..).for_each(Waker::wake);
    }
}

/// The state shared by a connection's handles and its driver.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The core connection. The driver feeds it and writes what it queues; a reader takes
    /// messages from it directly ([`Connection::poll_message`]) when none waits in the inbox,
    /// which saves a hop through the driver task per message.
    pub(crate) conn: Connection,
    // ----- lifecycle -----
    pub(crate) opened: Option<Result<OpenInfo, WebSocketError>>,
    pub(crate) closed: Option<Result<CloseInfo, WebSocketError>>,
    pub(crate) lifecycle_wakers: WakerSet,
    /// Live application handles; at zero the driver closes the connection.
    pub(crate) handles: usize,
    /// Whether this is the server end: its `close()` may use every code RFC 6455 allows.
    pub(crate) server: bool,
    // ----- commands to the driver -----
    pub(crate) close_request: Option<CloseRequest>,
    /// Set once `close` was called (or the connection ended): later closes do nothing.
    pub(crate) close_called: bool,
    pub(crate) pings: Vec<Bytes>,
    // ----- the transport -----
    /// Set by the driver when it starts, taken when it ends.
    pub(crate) io: Option<Box<dyn Transport>>,
    /// What every poll of `io` registers ([`IoWaker`]); it also holds the driver's waker.
    pub(crate) io_waker: Arc<IoWaker>,
    /// `io_waker` as a [`Waker`].
    pub(crate) io_waker_handle: Waker,
    /// The transport ended (a read gave 0 bytes).
    pub(crate) eof: bool,
    /// Bytes were written and not flushed yet.
    pub(crate) needs_flush: bool,
    /// Input came since the driver last looked (for keepalive).
    pub(crate) input_seen: bool,
    /// A handle's read or write failed: the driver reports it.
    pub(crate) io_error: Option<io::Error>,
    /// A handle woke the driver, whose next turn has not started yet: later wakes change
    /// nothing (a writer sending a burst wakes it once, not once per message).
    pub(crate) driver_woken: bool,
    /// The [`IoWaker`]'s count of wakes when a read last waited; `None` after a read that
    /// brought something.
    pub(crate) read_waits_since: Option<u64>,
    /// Payload bytes and messages the reader took since it last waited or yielded: past
    /// [`TURN_BYTES`](crate::readable::TURN_BYTES) or
    /// [`TURN_MESSAGES`](crate::readable::TURN_MESSAGES), it lets other tasks run.
    pub(crate) turn: (usize, usize),
    /// The reader yielded its turn and comes back to read the socket itself: the driver's next
    /// turn does not read ([`Shared::yield_reader`]).
    pub(crate) reader_yielded: bool,
    /// The runtime's [`Runtime::yield_turn`](crate::Runtime::yield_turn).
    pub(crate) yield_turn: fn(&mut Context<'_>),
    /// [`write_at_once_bytes`](crate::io::write_at_once_bytes) for the last message written:
    /// queued output that leaves at once.
    pub(crate) write_at_once: usize,
    /// Pieces a writer wrote at [`write_at_once`](Self::write_at_once) since the reader last
    /// waited ([`piece_bytes`](crate::io::piece_bytes)).
    pub(crate) pieces_since_wait: usize,
    // ----- receive -----
    pub(crate) inbox: VecDeque<Message>,
    pub(crate) read_end: ReadEnd,
    pub(crate) read_wakers: WakerSet,
    /// Live [`Readable`](crate::Readable) handles.
    pub(crate) readers: usize,
    /// Whether readers existed and all were dropped: messages are discarded from then on.
    pub(crate) readers_gone: bool,
    /// The driver waits for the reader to take messages: to answer the peer's Close once the
    /// inbox is drained, or to read again once the input is within the receive budget.
    pub(crate) driver_waits_reader: bool,
    // ----- send -----
    pub(crate) send_budget: usize,
    pub(crate) write_error: Option<WebSocketError>,
    pub(crate) write_wakers: WakerSet,
}

impl Shared {
    /// `yield_turn` is the runtime's [`Runtime::yield_turn`](crate::Runtime::yield_turn).
    pub(crate) fn new(
        conn: Connection,
        send_budget: usize,
        yield_turn: fn(&mut Context<'_>),
    ) -> Self {
        let io_waker = Arc::new(IoWaker::default());
        Self {
            conn,
            opened: None,
            closed: None,
            lifecycle_wakers: WakerSet::default(),
            handles: 1,
            server: false,
            close_request: None,
            close_called: false,
            pings: Vec::new(),
            io: None,
            io_waker_handle: Waker::from(io_waker.clone()),
            io_waker,
            eof: false,
            needs_flush: false,
            input_seen: false,
            io_error: None,
            driver_woken: false,
            read_waits_since: None,
            turn: (0, 0),
            yield_turn,
            write_at_once: crate::io::write_at_once_bytes(0),
            pieces_since_wait: 0,
            inbox: VecDeque::with_capacity(2),
            read_end: ReadEnd::Open,
            read_wakers: WakerSet::default(),
            readers: 0,
            readers_gone: false,
            driver_waits_reader: false,
            reader_yielded: false,
            send_budget,
            write_error: None,
            write_wakers: WakerSet::default(),
        }
    }

    /// Wakes the driver if it is waiting.
    pub(crate) fn wake_driver(&mut self) {
        if !self.driver_woken {
            self.driver_woken = true;
            self.io_waker.wake_driver();
        }
    }

    /// A reader that had its turn lets the thread's other tasks run: its replies leave, it is
    /// polled again after them ([`Runtime::yield_turn`](crate::Runtime::yield_turn)), and the
    /// driver, woken the same way just after it, leaves the socket to it for that turn (read
    /// by the driver, the next message would wait out of cache for the reader's turn). Should
    /// the reader not come back, the driver reads on its next turn.
    pub(crate) fn yield_reader(&mut self, cx: &mut Context<'_>) {
        self.turn = (0, 0);
        self.write_before_pausing();
        self.reader_yielded = true;
        (self.yield_turn)(cx);
        if let Some(driver) = self.io_waker.take_driver() {
            self.driver_woken = true;
            (self.yield_turn)(&mut Context::from_waker(&driver));
        }
    }

    /// The driver (or the connecting task) registers `cx` and takes the handles' wakes from
    /// here on.
    pub(crate) fn register_driver(&mut self, cx: &Context<'_>) {
        self.driver_woken = false;
        self.io_waker.register_driver(cx);
    }

    /// Bytes written by the application that the socket has not taken yet.
    pub(crate) fn unsent(&self) -> usize {
        // Once the connection is over, nothing more will leave: nothing is waited for.
        if self.closed.is_some() { 0 } else { self.conn.pending_transmit() }
    }

    /// Wakes the writers whose write completed: the socket took enough of the send buffer.
    pub(crate) fn wake_writers_with_room(&mut self) {
        if !self.write_wakers.is_empty() && self.unsent() <= self.send_budget {
            self.write_wakers.wake_all();
        }
    }

    /// Resolves `opened` (once).
    pub(crate) fn set_opened(&mut self, result: Result<OpenInfo, WebSocketError>) {
        if self.opened.is_none() {
            self.opened = Some(result);
            self.lifecycle_wakers.wake_all();
        }
    }

    /// Resolves `closed` (once), and with it `opened` if still pending.
    pub(crate) fn set_closed(&mut self, result: Result<CloseInfo, WebSocketError>) {
        if self.closed.is_some() {
            return;
        }
        if self.opened.is_none() {
            let e = match &result {
                Err(e) => e.clone(),
                Ok(_) => WebSocketError::new(ErrorKind::Closed, "closed before it opened"),
            };
            self.opened = Some(Err(e));
        }
        self.closed = Some(result);
        self.close_called = true;
        if self.write_error.is_none() {
            self.write_error = Some(closed_for_writing());
        }
        if matches!(self.read_end, ReadEnd::Open) {
            self.read_end = ReadEnd::Ended;
        }
        self.lifecycle_wakers.wake_all();
        self.read_wakers.wake_all();
        self.write_wakers.wake_all();
    }

    /// Errors the readable and the writable with `e` at once.
    pub(crate) fn set_errored(&mut self, e: &WebSocketError) {
        self.inbox.clear();
        if !matches!(self.read_end, ReadEnd::Errored(_)) {
            self.read_end = ReadEnd::Errored(e.clone());
        }
        self.write_error = Some(e.clone());
        self.read_wakers.wake_all();
        self.write_wakers.wake_all();
    }
}

/// The error of writes after a close.
pub(crate) fn closed_for_writing() -> WebSocketError {
    WebSocketError::new(ErrorKind::InvalidState, "the connection is closing or closed")
}

/// A handle's reference to the shared state.
#[derive(Debug, Clone)]
pub(crate) struct SharedRef(Arc<Mutex<Shared>>);

impl SharedRef {
    pub(crate) fn new(shared: Shared) -> Self {
        Self(Arc::new(Mutex::new(shared)))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared> {
        // Nothing panics while holding this lock; if something did, the state is still
        // consistent field by field, so recover it rather than spread the panic.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
