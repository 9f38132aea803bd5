//! The driver task: one future per connection drives the core
//! [`Connection`](wsstream_core::Connection) and its transport, which live in the shared state
//! beside the handles' queues.
//!
//! Each turn of its loop, under the shared lock: take the handles' commands (messages, close,
//! pings), decode events while the reader has room, write what the core queued (vectored), read
//! while the receive budget allows, and watch the deadlines. It sleeps when none of these can
//! progress; the handles wake it only when they give it something to do. `on_control` is called
//! between turns, with the lock released.
//!
//! The handles do the common work themselves, in their own task ([`crate::io`]): a reader that
//! has taken every message takes the next one straight from the connection's input
//! ([`Connection::poll_message`](wsstream_core::Connection::poll_message)), reading the socket
//! when the input has none, and writes what its task queued before it waits; a write of 64 KiB
//! or more leaves at once. A server answering a burst then reads, decodes, answers and writes in
//! one poll of one task, with the payload still in cache. The driver is the fallback: it reads
//! while nobody reads (pings are answered, a Close is seen, within the receive budget), writes
//! what the writers left, and acts on pings, Closes, failures and deadlines. When it hands a
//! message to a waiting reader and more input is buffered, it yields once before writing, so
//! that the replies to the burst leave in one write.
//!
//! Reads go into a per-thread buffer and are copied into the connection, so that idle
//! connections hold no buffer of their own; but a large frame (16 KiB or more) is read straight
//! into the connection's input when the runtime can read without zeroing first
//! ([`Runtime::READS_INTO_SPARE_CAPACITY`]: plain TCP on tokio, and on smol and async-std on
//! Unix): its payload is neither copied nor zeroed, and is unmasked on receipt, while in cache.
//! Elsewhere (TLS, or another runtime) a large frame is still copied into room reserved for it,
//! read no further than [`Connection::read_hint`](wsstream_core::Connection::read_hint) says, so
//! that the input never grows (a copy) with half a frame in it.
//!
//! ```text
//!   Writable ─ conn.send ─┬─ ≥ 64 KiB: write_out ──────────────────────▶ socket
//!                         └──────────▶ ┌────────┐ ── write_out ────────▶ socket
//!                                      │ Driver │
//!   Readable ◀── inbox ─────────────── └────────┘ ◀── read (budget) ──── socket
//!      ▲         (≤ 1 message ahead)       │
//!      ├──── poll_message ◀── core input (≤ receive budget, undecoded)
//!      └──── read_in (caught up), write_out (before waiting) ◀─────────▶ socket
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};
use wsstream_core::{CloseCode, CloseFrame, Error as CoreError, Event, State};

use crate::abort::AbortSignal;
use crate::connect::opening_cancelled;
use crate::error::{ErrorKind, WebSocketError};
use crate::io::{Io, OpenConnection, READ_BUFFER_BYTES};
use crate::options::{Control, ControlCallback, Keepalive, Options};
use crate::runtime::{Runtime, Timer};
use crate::shared::{CloseInfo, OpenInfo, Shared, SharedRef};

/// How long past the close timeout the driver still looks for a reply that arrived while it was
/// held up, before it declares the close unanswered.
const LAST_LOOK_GRACE: std::time::Duration = std::time::Duration::from_millis(20);
/// Loop turns before yielding to the runtime, so that a busy connection does not starve others.
const TURNS_PER_POLL: usize = 64;

/// What the driver keeps of [`Options`].
pub(crate) struct Settings {
    pub(crate) close_timeout: std::time::Duration,
    pub(crate) server_close_wait: std::time::Duration,
    pub(crate) receive_budget: usize,
    pub(crate) keepalive: Option<Keepalive>,
    pub(crate) on_control: Option<ControlCallback>,
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) connect_deadline: Option<Instant>,
}

impl Settings {
    pub(crate) fn new(options: &Options, connect_deadline: Option<Instant>) -> Self {
        Self {
            close_timeout: options.close_timeout,
            server_close_wait: options.server_close_wait,
            receive_budget: options.receive_budget,
            keepalive: options.keepalive,
            on_control: options.on_control.clone(),
            signal: options.signal.clone(),
            connect_deadline,
        }
    }
}

/// One connection's driver: the shared state (with the core connection) and the rest.
pub(crate) struct Driver<R: Runtime> {
    shared: SharedRef,
    inner: Inner<R>,
    /// This connection in the process's count of open ones.
    _open: OpenConnection,
}

/// What only the driver task touches; each turn borrows the locked shared state beside it.
struct Inner<R: Runtime> {
    runtime: R,
    settings: Settings,
    timer: Option<Pin<Box<dyn Timer>>>,
    timer_deadline: Option<Instant>,
    /// Whether the reader has room for a message (no message waiting in the inbox).
    room: bool,
    /// Whether the reply to the peer's Close waits for the reader to drain.
    reply_pending: bool,
    /// This turn handed a message to a reader that was waiting for it.
    handed_to_waiting_reader: bool,
    shut_down: bool,
    close_deadline: Option<Instant>,
    tcp_close_deadline: Option<Instant>,
    last_input: Instant,
    ping_sent: Option<Instant>,
    /// The first Close received.
    peer_close: Option<CloseFrame>,
    /// Set when the connection failed or closed uncleanly: what `closed` reports.
    error: Option<WebSocketError>,
    /// The close deadline passed once: one more turn of reading before the timeout counts.
    last_look: bool,
    done: bool,
    /// Pings and pongs for `on_control`, called once the lock is released.
    controls: Vec<Control>,
}

impl<R: Runtime> Driver<R> {
    /// The driver of the connection in `shared`, over `io`, which it hands to the shared state.
    pub(crate) fn new<T>(runtime: R, shared: SharedRef, io: T, settings: Settings) -> Self
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        shared.lock().io = Some(Box::new(Io::<R, T>::new(io)));
        let inner = Inner::new(runtime, settings);
        Self { shared, inner, _open: OpenConnection::count() }
    }
}

impl<R: Runtime> Drop for Driver<R> {
    fn drop(&mut self) {
        // The transport closes with the driver (dropped with the lock released).
        let io = self.shared.lock().io.take();
        drop(io);
    }
}

impl<R: Runtime> Inner<R> {
    fn new(runtime: R, settings: Settings) -> Self {
        let now = runtime.now();
        Self {
            runtime,
            settings,
            timer: None,
            timer_deadline: None,
            room: true,
            reply_pending: false,
            handed_to_waiting_reader: false,
            shut_down: false,
            close_deadline: None,
            tcp_close_deadline: None,
            last_input: now,
            ping_sent: None,
            peer_close: None,
            error: None,
            last_look: false,
            done: false,
            controls: Vec::new(),
        }
    }

    /// Takes the handles' commands; returns whether anything changed.
    fn exchange(&mut self, s: &mut Shared, cx: &Context<'_>) -> bool {
        let mut progress = false;
        let connecting = s.conn.state() == State::Connecting;
        if connecting {
            // Aborts, closes and dropped handles while opening abandon the connection.
            if let Some(e) = opening_cancelled(s, self.settings.signal.as_ref(), cx) {
                s.set_closed(Err(e));
                self.done = true;
                return true;
            }
        } else {
            s.register_driver(cx);
        }
        // Writers queue their messages in the core themselves, so those written before a close
        // are ahead of the Close frame.
        for payload in s.pings.drain(..) {
            let _ = s.conn.ping(&payload);
            progress = true;
        }
        if let Some(request) = s.close_request.take() {
            // The request was checked by the handle, so the core accepts it.
            let _ = s.conn.close(request.code, &request.reason);
            self.reply_pending = false;
            progress = true;
        } else if s.handles == 0 && !connecting && !s.close_called {
            s.close_called = true;
            let _ = s.conn.close(None, "");
            self.reply_pending = false;
            progress = true;
        }
        // Without readers (or any handle) nobody will take messages: discard them.
        let discard = s.readers_gone || s.handles == 0;
        self.room = s.inbox.is_empty() || discard;
        if discard {
            s.inbox.clear();
        }
        if self.reply_pending && self.room {
            // RFC 6455 5.5.1: "If an endpoint receives a Close frame and did not previously
            // send a Close frame, the endpoint MUST send a Close frame in response." We answer
            // once the reader has taken the messages that came before it (SEMANTICS.md).
            self.reply_pending = false;
            s.conn.reply_close();
            progress = true;
        }
        // The reader takes the next message itself (`poll_message`) once the inbox is empty: it
        // wakes the driver only for what the driver waits on, the reply to a Close or room in
        // the receive budget (`read`).
        s.driver_waits_reader = self.reply_pending;
        progress
    }

    /// Decodes events while the reader has room; returns whether any came.
    fn drain_events(&mut self, s: &mut Shared) -> bool {
        let mut progress = false;
        // After EOF nothing more will be read: decode what is left (at most the receive budget)
        // so that a lost connection is noticed even while the reader is behind.
        while self.room || s.eof {
            let Some(event) = s.conn.poll_event() else { break };
            progress = true;
            match event {
                // Without readers (or any handle) nobody will take it: discarded.
                Event::Message(message) if !(s.readers_gone || s.handles == 0) => {
                    s.inbox.push_back(message);
                    self.room = false;
                    self.handed_to_waiting_reader = !s.read_wakers.is_empty();
                    s.read_wakers.wake_all();
                }
                Event::Ping(payload) => self.control(Control::Ping(payload)),
                Event::Pong(payload) => self.control(Control::Pong(payload)),
                Event::Opened { protocol, extensions } => {
                    let info = OpenInfo {
                        protocol: protocol.unwrap_or_default(),
                        extensions: extensions.unwrap_or_default(),
                    };
                    s.set_opened(Ok(info));
                }
                Event::CloseReceived(frame) => self.on_close_received(s, frame),
                Event::Failed(e) => self.on_failed(s, &e),
                // Discarded messages; server requests are answered before the driver starts.
                _ => {}
            }
        }
        progress
    }

    /// Keeps a ping or pong for `on_control` (called by [`Self::call_back`]).
    fn control(&mut self, control: Control) {
        if self.settings.on_control.is_some() {
            self.controls.push(control);
        }
    }

    /// Calls `on_control` with the pings and pongs of the last turn; the lock is not held, so
    /// that the callback may use the connection's handles.
    fn call_back(&mut self) {
        if let Some(callback) = &self.settings.on_control {
            for control in self.controls.drain(..) {
                callback(control);
            }
        }
    }

    fn on_close_received(&mut self, s: &mut Shared, frame: CloseFrame) {
        if s.conn.close_sent().is_none() {
            // A write that has not completed (it did not fit in the send budget) makes the close
            // unclean. Completed writes still waiting in the buffer leave before our reply.
            if s.conn.pending_transmit() > s.send_budget {
                let e = WebSocketError::build(
                    ErrorKind::Closed,
                    Some(frame.code.as_u16()),
                    frame.reason.as_str(),
                    "the peer closed while a write was in flight",
                    None,
                );
                s.write_error = Some(e.clone());
                s.write_wakers.wake_all();
                self.error = Some(e);
            }
            self.reply_pending = true;
        }
        if s.write_error.is_none() {
            s.write_error = Some(crate::shared::closed_for_writing());
            s.write_wakers.wake_all();
        }
        s.close_called = true;
        s.read_end = crate::shared::ReadEnd::Ended;
        s.read_wakers.wake_all();
        self.peer_close.get_or_insert(frame);
    }

    fn on_failed(&mut self, s: &mut Shared, e: &CoreError) {
        let (kind, message) = match e {
            CoreError::Handshake(_) => (ErrorKind::Handshake, "the opening handshake failed"),
            CoreError::Protocol(_) => (ErrorKind::Protocol, "the peer broke the protocol"),
            _ => (ErrorKind::Io, "the connection closed without a closing handshake"),
        };
        self.fail(s, WebSocketError::abnormal(kind, message, Some(Box::new(e.clone()))));
    }

    /// Errors the streams with `e` at once; `closed` reports it when the driver ends.
    fn fail(&mut self, s: &mut Shared, e: WebSocketError) {
        let e = self.error.clone().unwrap_or(e);
        s.set_errored(&e);
        if s.opened.is_none() {
            s.set_opened(Err(e.clone()));
        }
        self.reply_pending = false;
        // The first failure is the one reported: an unclean close stays one after a timeout.
        self.error.get_or_insert(e);
    }

    /// Whether to let the reader run before writing: it was waiting, was just handed a message,
    /// and more input is buffered, so its reply will likely join those of the messages after
    /// it in one write (as a server that answers a pipelined burst). Bounded: the driver yields
    /// once, and writes on its next turn unless the reader has taken the message and another
    /// was handed out; and never past [`Shared::write_at_once`] of output.
    fn coalesce(&mut self, s: &Shared) -> bool {
        let handed = std::mem::take(&mut self.handed_to_waiting_reader);
        handed
            && s.conn.state() == State::Open
            && s.conn.buffered_input() > 0
            && s.conn.pending_transmit() < s.write_at_once
    }

    /// Writes what the core queued, then shuts down when due; returns whether bytes moved.
    fn write(&mut self, s: &mut Shared) -> io::Result<bool> {
        let mut progress = s.write_out()?;
        if s.conn.pending_transmit() == 0
            && !s.needs_flush
            && s.conn.wants_shutdown()
            && !self.shut_down
            && s.poll_shutdown()
        {
            self.shut_down = true;
            progress = true;
        }
        Ok(progress)
    }

    /// Reads while the budget allows; returns whether input came.
    fn read(&mut self, s: &mut Shared) -> io::Result<bool> {
        if s.eof || !s.conn.wants_read() {
            return Ok(false);
        }
        // Backpressure: a reader that is behind gets at most the receive budget read ahead, and
        // no read for the last sliver of it (a 32nd: the last header's worth of the 128 KiB
        // default was a read of its own for every megabyte message).
        let budget = self.settings.receive_budget;
        if !self.room && s.conn.buffered_input() + budget / 32 >= budget {
            s.driver_waits_reader = true;
            return Ok(false);
        }
        // Reading ahead of a reader that is behind stops at the budget.
        let limit = if self.room { READ_BUFFER_BYTES } else { budget - s.conn.buffered_input() };
        match s.read_in(limit, self.room) {
            Poll::Ready(Ok(_)) => Ok(true),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Ok(false),
        }
    }

    /// Checks the deadlines and whether the connection is over; returns whether to loop again
    /// (`Some(true)`), sleep (`Some(false)`), or stop (`None`).
    fn deadlines(&mut self, s: &mut Shared, cx: &mut Context<'_>) -> Option<bool> {
        if self.done {
            return None;
        }
        let state = s.conn.state();
        if state == State::Closed && s.conn.pending_transmit() == 0 {
            let waiting_for_server = self.error.is_none() && s.conn.close_expected();
            if !waiting_for_server && (self.shut_down || !s.conn.wants_shutdown()) {
                return None;
            }
            if s.eof && !s.conn.wants_shutdown() {
                return None;
            }
        }
        let timed = (state == State::Connecting && self.settings.connect_deadline.is_some())
            || s.conn.close_sent().is_some()
            || s.conn.close_expected()
            || self.settings.keepalive.is_some();
        if !timed {
            // An open connection with nothing timed: no clock to read, no timer to set.
            s.input_seen = false;
            return Some(false);
        }
        let now = self.runtime.now();
        if std::mem::take(&mut s.input_seen) {
            self.last_input = now;
            self.ping_sent = None;
        }
        let mut next: Option<Instant> = None;
        let mut consider = |d: Instant| next = Some(next.map_or(d, |n| n.min(d)));
        if state == State::Connecting {
            if let Some(d) = self.settings.connect_deadline {
                if now >= d {
                    let e = WebSocketError::abnormal(ErrorKind::Timeout, "connect timed out", None);
                    self.fail(s, e);
                    return None;
                }
                consider(d);
            }
        }
        // Bounded too: a Close reply that cannot leave because the peer stopped reading.
        let close_pending = state != State::Closed || s.conn.pending_transmit() > 0;
        if s.conn.close_sent().is_some() && close_pending {
            let d = *self.close_deadline.get_or_insert(now + self.settings.close_timeout);
            if now >= d && !self.last_look {
                // The task may have run late (a slow callback, a busy executor): the reply can
                // be waiting in the socket, unseen by a reactor that has not run since. Give the
                // runtime a short grace to deliver it before we judge.
                self.last_look = true;
                let grace = now + LAST_LOOK_GRACE;
                self.close_deadline = Some(grace);
                consider(grace);
            } else if now >= d {
                let e = WebSocketError::abnormal(
                    ErrorKind::Timeout,
                    "no reply to our Close within the close timeout",
                    None,
                );
                self.fail(s, e);
                return None;
            } else {
                consider(d);
            }
        }
        if self.error.is_none() && s.conn.close_expected() {
            let d = *self.tcp_close_deadline.get_or_insert(now + self.settings.server_close_wait);
            if now >= d {
                // The server kept TCP open after the closing handshake: close it ourselves.
                return None;
            }
            consider(d);
        }
        if let (Some(k), State::Open) = (self.settings.keepalive, state) {
            match self.ping_sent {
                None if now >= self.last_input + k.interval => {
                    let _ = s.conn.ping(b"");
                    self.ping_sent = Some(now);
                    return Some(true);
                }
                None => consider(self.last_input + k.interval),
                Some(sent) if now >= sent + k.timeout => {
                    s.conn.fail(CloseCode::GOING_AWAY, "keepalive timeout");
                    let e = WebSocketError::abnormal(
                        ErrorKind::Timeout,
                        "no input within the keepalive timeout",
                        None,
                    );
                    self.fail(s, e);
                    return Some(true);
                }
                Some(sent) => consider(sent + k.timeout),
            }
        }
        let Some(deadline) = next else { return Some(false) };
        let timer = match &mut self.timer {
            Some(timer) => {
                if self.timer_deadline != Some(deadline) {
                    timer.as_mut().reset(deadline);
                }
                timer
            }
            None => self.timer.insert(self.runtime.timer(deadline)),
        };
        self.timer_deadline = Some(deadline);
        Some(timer.as_mut().poll(cx).is_ready())
    }

    /// Resolves `closed` and wakes everyone: the connection is over.
    fn finish(&mut self, s: &mut Shared) {
        if s.closed.is_some() {
            return;
        }
        let result = match (&self.error, s.conn.error()) {
            (Some(e), _) => Err(e.clone()),
            (None, Some(e)) => {
                let e = WebSocketError::abnormal(ErrorKind::Io, e.to_string(), None);
                s.set_errored(&e);
                Err(e)
            }
            (None, None) => match &self.peer_close {
                Some(frame) => Ok(CloseInfo {
                    close_code: Some(frame.code.as_u16()),
                    reason: frame.reason.to_string(),
                }),
                None => {
                    let e = WebSocketError::abnormal(
                        ErrorKind::Io,
                        "the connection ended without a closing handshake",
                        None,
                    );
                    s.set_errored(&e);
                    Err(e)
                }
            },
        };
        s.io_waker.clear_driver();
        s.set_closed(result);
    }

    fn io_failed(&mut self, s: &mut Shared, e: io::Error) {
        let kind =
            if s.conn.state() == State::Connecting { ErrorKind::Handshake } else { ErrorKind::Io };
        let message = if kind == ErrorKind::Handshake {
            "the connection failed during the opening handshake"
        } else {
            "the connection failed"
        };
        if self.error.is_none() {
            self.fail(s, WebSocketError::abnormal(kind, message, Some(Box::new(e))));
        }
        self.done = true;
    }
}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Self { shared, inner, .. } = self.get_mut();
        for _ in 0..TURNS_PER_POLL {
            let mut s = shared.lock();
            let turn = inner.turn(&mut s, cx);
            drop(s);
            inner.call_back();
            match turn {
                Turn::Again => {}
                Turn::Sleep => return Poll::Pending,
                Turn::Done => return Poll::Ready(()),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// What a turn of the driver's loop leads to.
enum Turn {
    /// Something moved: go round again.
    Again,
    /// Nothing can move until a waker fires.
    Sleep,
    /// The connection is over.
    Done,
}

impl<R: Runtime> Inner<R> {
    /// One turn: commands, events, writes, reads and deadlines, under the lock.
    fn turn(&mut self, s: &mut Shared, cx: &mut Context<'_>) -> Turn {
        let mut progress = self.exchange(s, cx);
        if let Some(e) = s.io_error.take() {
            // A handle's read or write failed.
            self.io_failed(s, e);
        }
        if self.done {
            self.finish(s);
            return Turn::Done;
        }
        progress |= self.drain_events(s);
        if self.coalesce(s) {
            // Back once the runtime has run the reader (woken before us).
            cx.waker().wake_by_ref();
            return Turn::Sleep;
        }
        match self.write(s) {
            Ok(p) => progress |= p,
            Err(e) => self.io_failed(s, e),
        }
        if s.reader_yielded {
            // The reader yielded its turn and reads next (`Shared::yield_reader`); back after
            // it, to read if it did not.
            s.reader_yielded = false;
            cx.waker().wake_by_ref();
        } else if !self.done {
            match self.read(s) {
                Ok(p) => progress |= p,
                Err(e) => self.io_failed(s, e),
            }
        }
        match self.deadlines(s, cx) {
            None => {
                self.finish(s);
                Turn::Done
            }
            Some(fired) => {
                progress |= fired;
                if progress { Turn::Again } else { Turn::Sleep }
            }
        }
    }
}
