//! [`Readable`]: the messages from the peer, as a `Stream`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use wsstream_core::Message;

use crate::error::WebSocketError;
use crate::shared::{ReadEnd, SharedRef};
use crate::stream::{close_for_reason, release_handle, request_close};

/// Payload bytes a reader takes in one turn: past them it lets the thread's other tasks run
/// ([`Shared::yield_reader`](crate::shared::Shared::yield_reader)) before it goes on. A bound on
/// how long one connection holds the thread (two 1 MiB messages, read and answered), not a time
/// slice. At 16 MiB, a server thread with 64 connections streaming 1 MiB messages served some
/// sixteen at a time while the rest waited: the slowest connection got 0.1-0.6 of the mean
/// share of round trips, and the p99 round trip was 230-510 ms. At 2 MiB it is 0.7-0.8, and
/// 120-170 ms. A shorter turn costs CPU only if the driver reads in the yielded reader's
/// place, which it no longer does.
pub(crate) const TURN_BYTES: usize = 2 << 20;

/// Messages a reader takes in one turn (see [`TURN_BYTES`]).
pub(crate) const TURN_MESSAGES: usize = 4096;

/// The messages from the peer: a [`Stream`] of `Result<Message, WebSocketError>`.
///
/// One item per complete message, text and binary apart, empty messages included. The stream
/// ends (`None`) after the messages received before the peer's Close; it yields the connection's
/// error once, then ends, if the connection fails.
///
/// The driver holds at most one message ahead of the reader, plus at most
/// [`Options::receive_budget`](crate::Options::receive_budget) bytes of undecoded input; beyond
/// that it stops reading the socket, so a slow reader slows the peer down through TCP.
///
/// A reader whose peer keeps sending does not hold its thread: after 4096 messages or 2 MiB
/// taken without waiting, the next poll lets the runtime's other ready tasks run first (tokio's
/// cooperative budget does as much for a task it constrains; async-std and smol have none).
///
/// Clones read from the same stream: each message goes to one of them. When every readable is
/// dropped, later messages are discarded ([`cancel`](Self::cancel) closes the connection
/// instead).
pub struct Readable {
    shared: SharedRef,
}

impl Readable {
    pub(crate) fn new(shared: SharedRef) -> Self {
        Self { shared }
    }

    /// Cancels the stream, as the browser's `readable.cancel(reason)`: closes the connection
    /// with the code and reason of `reason` when it carries a code the application may send
    /// ([`WebSocketError::with_close`]), else with an empty Close.
    pub fn cancel(self, reason: Option<WebSocketError>) {
        request_close(&self.shared, close_for_reason(&self.shared, reason.as_ref()));
    }

    /// The next message; `None` at the end. Equivalent to `StreamExt::next`.
    pub async fn read(&mut self) -> Option<Result<Message, WebSocketError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for Readable {
    type Item = Result<Message, WebSocketError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut s = self.shared.lock();
        if s.turn.0 >= TURN_BYTES || s.turn.1 >= TURN_MESSAGES {
            // This reader had its turn: the other tasks of the thread run before it goes on
            // (an executor polls a task that never waits for as long as its peer sends).
            s.yield_reader(cx);
            return Poll::Pending;
        }
        s.reader_yielded = false;
        // The message the driver handed over; else, while messages may come, the next one
        // straight from the connection's input, without a hop through the driver task (a ping,
        // the peer's Close or a failure is left for the driver to act on).
        let message = match s.inbox.pop_front() {
            None if matches!(s.read_end, ReadEnd::Open) => s.next_message(cx),
            popped => popped,
        };
        if let Some(message) = message {
            s.turn.0 += message.len();
            s.turn.1 += 1;
            if s.driver_waits_reader {
                // To answer a Close once the inbox is drained, or to read again within the
                // receive budget.
                s.driver_waits_reader = false;
                s.wake_driver();
            }
            return Poll::Ready(Some(Ok(message)));
        }
        match &s.read_end {
            ReadEnd::Open => {
                s.write_before_pausing();
                if s.conn.has_events() {
                    s.wake_driver();
                }
                s.turn = (0, 0);
                s.pieces_since_wait = 0;
                s.read_wakers.register(cx);
                Poll::Pending
            }
            ReadEnd::Ended => Poll::Ready(None),
            ReadEnd::Errored(e) => {
                let e = e.clone();
                s.read_end = ReadEnd::Ended;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

impl Clone for Readable {
    fn clone(&self) -> Self {
        let mut s = self.shared.lock();
        s.handles += 1;
        s.readers += 1;
        drop(s);
        Self { shared: self.shared.clone() }
    }
}

impl Drop for Readable {
    fn drop(&mut self) {
        {
            let mut s = self.shared.lock();
            s.readers -= 1;
            if s.readers == 0 {
                s.readers_gone = true;
                s.inbox.clear();
                s.wake_driver();
            }
        }
        release_handle(&self.shared);
    }
}

impl fmt::Debug for Readable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readable").finish_non_exhaustive()
    }
}
