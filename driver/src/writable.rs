//! [`Writable`]: where messages to the peer go, as a `Sink`.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_sink::Sink;
use wsstream_core::Message;

use crate::error::WebSocketError;
use crate::io::{piece_bytes, write_at_once_bytes};
use crate::shared::{Shared, SharedRef, closed_for_writing};
use crate::stream::{close_for_reason, release_handle, request_close, wait_closed};

/// Where messages to the peer go: a [`Sink`] of [`Message`], plus [`send`](Self::send).
///
/// A write completes when the message is handed to the bounded send buffer
/// ([`Options::send_budget`](crate::Options::send_budget)), not when it is delivered; a write
/// larger than the free space completes only once enough of it has gone to the socket. The
/// inherent [`send`](Self::send) has exactly this meaning; `SinkExt::send` also flushes, so it
/// completes only when the socket took everything.
///
/// After a close, writes fail with [`ErrorKind::InvalidState`](crate::ErrorKind::InvalidState);
/// after a failure, with the connection's error.
pub struct Writable {
    shared: SharedRef,
}

impl Writable {
    pub(crate) fn new(shared: SharedRef) -> Self {
        Self { shared }
    }

    /// Writes a message: waits for room in the send buffer, hands it over, and completes as the
    /// browser's `writer.write()` does.
    ///
    /// # Errors
    /// The connection is closing, closed or failed; or the peer closed before the socket took
    /// this write (an unclean close, with the peer's code).
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), WebSocketError> {
        let mut message = Some(message.into());
        // Wait for room, hand the message over, wait for room again: under one lock when the
        // buffer has room, as it mostly has.
        poll_fn(|cx| {
            let mut s = self.shared.lock();
            if let Some(e) = &s.write_error {
                return Poll::Ready(Err(e.clone()));
            }
            if s.unsent() > s.send_budget {
                s.write_wakers.register(cx);
                return Poll::Pending;
            }
            if let Some(m) = message.take() {
                push_locked(&mut s, m)?;
                if s.unsent() > s.send_budget {
                    s.write_wakers.register(cx);
                    return Poll::Pending;
                }
            }
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// The same as [`send`](Self::send), named as the browser's `writer.write()`.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn write(&mut self, message: impl Into<Message>) -> Result<(), WebSocketError> {
        self.send(message).await
    }

    /// Closes the connection with an empty Close and waits until the closing handshake has
    /// completed, as the browser's `writer.close()`.
    ///
    /// # Errors
    /// The close was not clean: the error `closed` reports.
    pub async fn close(&mut self) -> Result<(), WebSocketError> {
        request_close(&self.shared, close_for_reason(&self.shared, None));
        wait_closed(&self.shared).await.map(|_| ())
    }

    /// Aborts the stream, as the browser's `writable.abort(reason)`: closes the connection with
    /// the code and reason of `reason` when it carries a code the application may send
    /// ([`WebSocketError::with_close`]), else with an empty Close.
    pub fn abort(self, reason: Option<WebSocketError>) {
        request_close(&self.shared, close_for_reason(&self.shared, reason.as_ref()));
    }

    /// Ready when the send buffer is within its budget (earlier writes have completed).
    fn poll_room(&self, cx: &mut Context<'_>) -> Poll<Result<(), WebSocketError>> {
        let mut s = self.shared.lock();
        if let Some(e) = &s.write_error {
            return Poll::Ready(Err(e.clone()));
        }
        if s.unsent() <= s.send_budget {
            return Poll::Ready(Ok(()));
        }
        s.write_wakers.register(cx);
        Poll::Pending
    }

    fn push(&self, message: Message) -> Result<(), WebSocketError> {
        let mut s = self.shared.lock();
        if let Some(e) = &s.write_error {
            return Err(e.clone());
        }
        push_locked(&mut s, message)
    }
}

/// Queues `message` in the core, behind the messages written before; the driver writes it, or
/// this task at once when [`write_at_once_bytes`] or more are queued ([`piece_bytes`] once a
/// few pieces left without the reader waiting in between).
fn push_locked(s: &mut Shared, message: Message) -> Result<(), WebSocketError> {
    s.write_at_once = write_at_once_bytes(message.len());
    if s.conn.send(message).is_err() {
        // The core stopped taking messages (the peer's Close was decoded just now): the driver
        // reports why once it has run.
        return Err(closed_for_writing());
    }
    // Worth a write of its own: it leaves now, from this task, while in cache. Smaller ones wait
    // for the reader's wait (`Shared::write_before_pausing`) or the driver, and leave together.
    if s.conn.pending_transmit() >= piece_bytes(s.write_at_once, s.pieces_since_wait) {
        s.pieces_since_wait = s.pieces_since_wait.saturating_add(1);
        s.write_from_handle();
    } else {
        s.wake_driver();
    }
    Ok(())
}

impl Sink<Message> for Writable {
    type Error = WebSocketError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_room(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        self.push(item)
    }

    /// Ready once the socket has taken every message written so far.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let mut s = self.shared.lock();
        if s.unsent() == 0 {
            return Poll::Ready(Ok(()));
        }
        if s.write_error.is_none() {
            // What was fed leaves now, from this task, rather than at the driver's next turn.
            s.write_from_handle();
            if s.unsent() == 0 {
                return Poll::Ready(Ok(()));
            }
        }
        if let Some(e) = &s.write_error {
            return Poll::Ready(Err(e.clone()));
        }
        s.write_wakers.register(cx);
        Poll::Pending
    }

    /// Closes as [`Writable::close`].
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        request_close(&self.shared, close_for_reason(&self.shared, None));
        let mut s = self.shared.lock();
        match &s.closed {
            Some(result) => Poll::Ready(result.clone().map(|_| ())),
            None => {
                s.lifecycle_wakers.register(cx);
                Poll::Pending
            }
        }
    }
}

impl Clone for Writable {
    fn clone(&self) -> Self {
        self.shared.lock().handles += 1;
        Self { shared: self.shared.clone() }
    }
}

impl Drop for Writable {
    fn drop(&mut self) {
        release_handle(&self.shared);
    }
}

impl fmt::Debug for Writable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writable").finish_non_exhaustive()
    }
}
