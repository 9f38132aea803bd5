//! [`WebSocketStream`]: the browser's WebSocketStream, for clients and servers.

use std::fmt;
use std::future::poll_fn;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use wsstream_core::message::MAX_CLOSE_REASON_BYTES;
use wsstream_core::{CloseCode, Connection};

use crate::connect;
use crate::error::{ErrorKind, WebSocketError};
use crate::options::Options;
use crate::readable::Readable;
use crate::runtime::Runtime;
use crate::shared::{CloseInfo, CloseRequest, Shared, SharedRef, closed_for_writing};
use crate::target::{Target, check_protocols};
use crate::writable::Writable;

/// An open connection's streams and negotiated values: what [`WebSocketStream::opened`] gives.
#[derive(Debug)]
#[non_exhaustive]
pub struct Opened {
    /// The messages from the peer.
    pub readable: Readable,
    /// Where messages to the peer go.
    pub writable: Writable,
    /// The extensions the server agreed to, `""` if none.
    pub extensions: String,
    /// The subprotocol the server chose, `""` if none.
    pub protocol: String,
}

/// A WebSocket connection, client or server, as the browser's `WebSocketStream`.
///
/// Created synchronously ([`new`](Self::new) for a client, [`accept`](Self::accept) for a
/// server); a task spawned on the runtime `R` then owns the socket. [`opened`](Self::opened)
/// gives a [`Readable`] (a `Stream` of messages) and a [`Writable`] (a `Sink` of messages);
/// [`closed`](Self::closed) gives the peer's close code and reason; [`close`](Self::close) starts
/// the closing handshake. The handle is cheap to clone; every clone is the same connection.
///
/// When every handle (this, its clones, the readables and writables) is dropped, the connection
/// is closed with an empty Close, or abandoned if it is still opening.
///
/// Adapters name it `wsstream_tokio::WebSocketStream`, `wsstream_async_std::WebSocketStream`
/// and `wsstream_smol::WebSocketStream`.
pub struct WebSocketStream<R: Runtime> {
    shared: SharedRef,
    url: Arc<str>,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> WebSocketStream<R> {
    /// Starts connecting to `url` on the default runtime value `R::default()`.
    ///
    /// Synchronous, as the browser's constructor: the URL and options are checked, then a task
    /// connects in the background. `http:` and `https:` become `ws:` and `wss:`.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`]: an unparsable or relative URL, a scheme other than `ws`, `wss`,
    /// `http` or `https`, a fragment (even an empty `#`), a subprotocol that is not a token or
    /// is given twice, or a header that cannot be sent. Nothing touches the network then.
    ///
    /// # Panics
    /// If the runtime's `spawn` panics, as tokio's does outside a tokio runtime.
    pub fn new(url: &str, options: Options) -> Result<Self, WebSocketError> {
        Self::with_runtime(R::default(), url, options)
    }

    /// [`new`](Self::new) on the given runtime value.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_runtime(runtime: R, url: &str, options: Options) -> Result<Self, WebSocketError> {
        let target = Target::parse(url)?;
        check_protocols(&options.protocols)?;
        let config = connect::client_config(&target, &options)?;
        let conn = Connection::client(config)
            .map_err(|e| WebSocketError::new(ErrorKind::Syntax, e.to_string()))?;
        let shared = SharedRef::new(Shared::new(conn, options.send_budget, R::yield_turn));
        let stream = Self::from_shared(shared.clone(), target.url.as_str());
        if let Some(reason) = options.signal.as_ref().and_then(|s| s.reason()) {
            // Already aborted: no connection is attempted.
            let mut s = shared.lock();
            s.set_closed(Err(reason));
            drop(s);
            return Ok(stream);
        }
        let task = connect::run_client(runtime.clone(), shared, target, options);
        runtime.spawn(Box::pin(task));
        Ok(stream)
    }

    pub(crate) fn from_shared(shared: SharedRef, url: &str) -> Self {
        Self { shared, url: url.into(), runtime: PhantomData }
    }

    /// The URL, as rewritten and serialized (`ws://h` gives `ws://h/`). For a server connection,
    /// the request target (`/chat?room=1`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits until the connection is open; gives the readable, the writable and the negotiated
    /// values. Every caller sees the same outcome; each success gives new handles on the same
    /// streams.
    ///
    /// # Errors
    /// The handshake failed, was aborted, or the connection was closed before it opened.
    pub async fn opened(&self) -> Result<Opened, WebSocketError> {
        poll_fn(|cx| {
            let mut s = self.shared.lock();
            match &s.opened {
                Some(Ok(info)) => {
                    let info = info.clone();
                    s.handles += 2;
                    s.readers += 1;
                    s.readers_gone = false;
                    drop(s);
                    Poll::Ready(Ok(Opened {
                        readable: Readable::new(self.shared.clone()),
                        writable: Writable::new(self.shared.clone()),
                        extensions: info.extensions,
                        protocol: info.protocol,
                    }))
                }
                Some(Err(e)) => Poll::Ready(Err(e.clone())),
                None => {
                    s.lifecycle_wakers.register(cx);
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Waits until the connection has closed; gives the close code and reason of the first
    /// Close received (1005 and `""` for an empty one).
    ///
    /// # Errors
    /// The connection did not close cleanly: the handshake failed, TCP was lost, the peer broke
    /// the protocol, no reply to our Close came in time (all 1006), or the peer closed while one
    /// of our writes was in flight (the peer's code). It is the error the streams report.
    pub async fn closed(&self) -> Result<CloseInfo, WebSocketError> {
        wait_closed(&self.shared).await
    }

    /// Starts the closing handshake with an optional code and reason.
    ///
    /// `CloseInfo::default()` sends a Close with an empty body; a reason without a code is sent
    /// with 1000. While opening, the connection is abandoned (TCP dropped): `opened` fails, and
    /// `closed` fails with 1006. While already closing or closed, nothing happens.
    ///
    /// A client may use the codes the browser allows, 1000 and 3000..=4999; a server may also
    /// use the other codes RFC 6455 defines for endpoints (1001 going away, 1008 policy
    /// violation, 1011 internal error, ...).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidAccess`] for a code the end may not send; [`ErrorKind::Syntax`] for a
    /// reason over 123 bytes. Checked first, in every state.
    pub fn close(&self, info: CloseInfo) -> Result<(), WebSocketError> {
        let server = self.shared.lock().server;
        let request = check_close(info, server)?;
        request_close(&self.shared, request);
        Ok(())
    }

    /// Sends a Ping with `payload` (at most 125 bytes) once the connection is open. Its Pong is
    /// reported through [`Options::on_control`].
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for a payload over 125 bytes; [`ErrorKind::InvalidState`] once
    /// closing.
    pub fn ping(&self, payload: impl Into<Bytes>) -> Result<(), WebSocketError> {
        let payload = payload.into();
        if payload.len() > 125 {
            return Err(WebSocketError::new(ErrorKind::Syntax, "ping payload over 125 bytes"));
        }
        let mut s = self.shared.lock();
        if s.close_called {
            return Err(closed_for_writing());
        }
        s.pings.push(payload);
        s.wake_driver();
        Ok(())
    }
}

impl<R: Runtime> Clone for WebSocketStream<R> {
    fn clone(&self) -> Self {
        self.shared.lock().handles += 1;
        Self { shared: self.shared.clone(), url: self.url.clone(), runtime: PhantomData }
    }
}

impl<R: Runtime> Drop for WebSocketStream<R> {
    fn drop(&mut self) {
        release_handle(&self.shared);
    }
}

impl<R: Runtime> fmt::Debug for WebSocketStream<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketStream").field("url", &self.url).finish_non_exhaustive()
    }
}

/// One handle fewer; at zero the driver closes the connection.
pub(crate) fn release_handle(shared: &SharedRef) {
    let mut s = shared.lock();
    s.handles -= 1;
    if s.handles == 0 {
        s.wake_driver();
    }
}

/// Waits for `closed`.
pub(crate) async fn wait_closed(shared: &SharedRef) -> Result<CloseInfo, WebSocketError> {
    poll_fn(|cx| {
        let mut s = shared.lock();
        match &s.closed {
            Some(result) => Poll::Ready(result.clone()),
            None => {
                s.lifecycle_wakers.register(cx);
                Poll::Pending
            }
        }
    })
    .await
}

/// The browser's checks on `close()`: the code first, then the reason. A server may also send
/// the codes RFC 6455 reserves for endpoints.
pub(crate) fn check_close(info: CloseInfo, server: bool) -> Result<CloseRequest, WebSocketError> {
    if let Some(code) = info.close_code {
        let code = CloseCode(code);
        if server && !code.is_valid_on_wire() {
            return Err(WebSocketError::new(
                ErrorKind::InvalidAccess,
                format!("close code {code} may not be sent (RFC 6455 7.4)"),
            ));
        }
        if !server && !code.is_allowed_for_application() {
            return Err(WebSocketError::new(
                ErrorKind::InvalidAccess,
                format!("close code {code} is neither 1000 nor in 3000..=4999"),
            ));
        }
    }
    if info.reason.len() > MAX_CLOSE_REASON_BYTES {
        return Err(WebSocketError::new(ErrorKind::Syntax, "close reason over 123 bytes"));
    }
    Ok(CloseRequest { code: info.close_code.map(CloseCode), reason: info.reason })
}

/// Posts a close to the driver unless one was already asked for; writes fail from now on.
pub(crate) fn request_close(shared: &SharedRef, request: CloseRequest) {
    let mut s = shared.lock();
    if s.close_called {
        return;
    }
    s.close_called = true;
    s.close_request = Some(request);
    if s.write_error.is_none() {
        s.write_error = Some(closed_for_writing());
        s.write_wakers.wake_all();
    }
    s.wake_driver();
}

/// The close an abort or cancel with `reason` asks for: its code and reason if it carries a code
/// the application may send, else an empty Close.
pub(crate) fn close_for_reason(
    shared: &SharedRef,
    reason: Option<&WebSocketError>,
) -> CloseRequest {
    let server = shared.lock().server;
    reason
        .and_then(|e| {
            let code = e.code()?;
            let info = CloseInfo { close_code: Some(code), reason: e.reason().to_owned() };
            check_close(info, server).ok()
        })
        .unwrap_or(CloseRequest { code: None, reason: String::new() })
}
