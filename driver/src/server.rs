//! The server side: read an incoming connection's opening handshake request, let the caller
//! inspect it, then accept (a [`WebSocketStream`]) or refuse it with an HTTP status.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;

use futures_io::{AsyncRead, AsyncWrite};
use wsstream_core::config::is_token;
use wsstream_core::{Connection, Event, Request};

use crate::driver::{Driver, Settings};
use crate::error::{ErrorKind, WebSocketError};
use crate::io::poll_write_queued;
use crate::options::Options;
use crate::runtime::Runtime;
use crate::shared::{OpenInfo, Shared, SharedRef};
use crate::stream::WebSocketStream;

/// Why reading the request failed.
enum Failure {
    Core(wsstream_core::Error),
    Io(io::Error),
    Timeout,
}

/// An incoming connection whose opening handshake request has been read and checked.
///
/// Inspect the request ([`path`](Self::path), [`header`](Self::header),
/// [`protocols`](Self::protocols)), then [`accept`](Self::accept) it, choosing a subprotocol, or
/// [`reject`](Self::reject) it with an HTTP status.
pub struct Incoming<R: Runtime, T> {
    pending: Box<Pending<R>>,
    io: T,
    request: Box<Request>,
}

/// What a connection being accepted holds besides its transport, on the heap: the future that
/// reads the request, and the [`Incoming`] it yields, stay a few words long. A task is as large
/// as the largest state of its future for the whole life of the connection, and a server holds
/// one per connection, so a `Connection` and `Options` inline here would cost every connection a
/// kilobyte or two long after the handshake.
struct Pending<R> {
    runtime: R,
    conn: Connection,
    options: Options,
}

impl<R: Runtime> WebSocketStream<R> {
    /// Reads the opening handshake request of an incoming connection `io` (a TCP stream of the
    /// runtime, a TLS stream, anything futures-io), on the default runtime value.
    ///
    /// Of `options`, a server uses the limits, the budgets, the close timeout, keepalive,
    /// `on_control`, and `connect_timeout` as the time allowed for the request to arrive.
    ///
    /// # Errors
    /// [`ErrorKind::Handshake`]: the request is not a valid WebSocket opening handshake (it has
    /// been answered with 400, 405, 426 or 431), the client went away, or an I/O error;
    /// [`ErrorKind::Timeout`]: `connect_timeout` expired.
    pub fn accept<T>(
        io: T,
        options: Options,
    ) -> impl Future<Output = Result<Incoming<R, T>, WebSocketError>>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Self::accept_with_runtime(R::default(), io, options)
    }

    /// [`accept`](Self::accept) on the given runtime value.
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    pub fn accept_with_runtime<T>(
        runtime: R,
        io: T,
        options: Options,
    ) -> impl Future<Output = Result<Incoming<R, T>, WebSocketError>>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // Boxed before the future exists, so that the future holds a pointer, not the state.
        let conn = Connection::server(options.server_config());
        read_request(Box::new(Pending { runtime, conn, options }), io)
    }
}

/// Reads and checks the request of the connection `pending` and `io` make.
async fn read_request<R: Runtime, T>(
    mut pending: Box<Pending<R>>,
    mut io: T,
) -> Result<Incoming<R, T>, WebSocketError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Pending { runtime, conn, options } = &mut *pending;
    let mut timer = options.connect_timeout.map(|t| runtime.timer(runtime.now() + t));
    let mut buf = vec![0; 4096];
    let read = poll_fn(|cx| {
        loop {
            match conn.poll_event() {
                Some(Event::Request(request)) => return Poll::Ready(Ok(request)),
                Some(Event::Failed(e)) => return Poll::Ready(Err(Failure::Core(e))),
                Some(_) => continue,
                None => {}
            }
            if let Some(timer) = &mut timer {
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(Failure::Timeout));
                }
            }
            match Pin::new(&mut io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(0)) => conn.receive_eof(),
                Poll::Ready(Ok(n)) => conn.receive(&buf[..n]),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Failure::Io(e))),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    match read {
        Ok(request) => Ok(Incoming { pending, io, request }),
        Err(failure) => {
            // Send the refusal the core queued (400 and friends), then close.
            let _ = flush_and_close(conn, &mut io).await;
            Err(match failure {
                Failure::Core(e) => {
                    let message = e.to_string();
                    WebSocketError::abnormal(ErrorKind::Handshake, message, Some(Box::new(e)))
                }
                Failure::Io(e) => WebSocketError::abnormal(
                    ErrorKind::Handshake,
                    "the connection failed while reading the request",
                    Some(Box::new(e)),
                ),
                Failure::Timeout => WebSocketError::abnormal(
                    ErrorKind::Timeout,
                    "no handshake request within the connect timeout",
                    None,
                ),
            })
        }
    }
}

impl<R: Runtime, T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Incoming<R, T> {
    /// The whole request: path, headers, offered subprotocols and extensions.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The request target: path and query (`/chat?room=1`).
    pub fn path(&self) -> &str {
        &self.request.path
    }

    /// The first value of header `name` (case-insensitive), if it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request.header_str(name)
    }

    /// The subprotocols the client offers, in its order of preference.
    pub fn protocols(&self) -> &[String] {
        &self.request.protocols
    }

    /// Accepts the connection, choosing `protocol` (one of [`protocols`](Self::protocols), or
    /// `None`), and starts its driver. The 101 response goes out at once.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] if `protocol` was not offered; nothing is sent then.
    ///
    /// # Panics
    /// If the runtime's `spawn` panics, as tokio's does outside a tokio runtime.
    pub fn accept(self, protocol: Option<&str>) -> Result<WebSocketStream<R>, WebSocketError> {
        self.accept_with_headers(protocol, &[])
    }

    /// [`accept`](Self::accept) with extra response header fields (a cookie, a server name).
    ///
    /// # Errors
    /// As [`accept`](Self::accept), and [`ErrorKind::Syntax`] for a header name that is not a
    /// token or a value with CR, LF or NUL.
    pub fn accept_with_headers(
        self,
        protocol: Option<&str>,
        headers: &[(String, String)],
    ) -> Result<WebSocketStream<R>, WebSocketError> {
        let syntax = |m: String| WebSocketError::new(ErrorKind::Syntax, m);
        if let Some(p) = protocol {
            if !self.request.protocols.iter().any(|offered| offered == p) {
                return Err(syntax(format!("subprotocol {p:?} was not offered")));
            }
        }
        for (name, value) in headers {
            if !is_token(name) || value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(syntax(format!("header {name:?} cannot be sent")));
            }
        }
        let Pending { runtime, mut conn, options } = *self.pending;
        conn.accept_with_headers(protocol, None, headers).map_err(|e| syntax(e.to_string()))?;
        // What the core agreed to, permessage-deflate included, as the response wrote it.
        let opened = OpenInfo {
            protocol: protocol.unwrap_or_default().to_owned(),
            extensions: conn.extensions().unwrap_or_default().to_owned(),
        };
        let mut shared = Shared::new(conn, options.send_budget, R::yield_turn);
        shared.server = true;
        shared.opened = Some(Ok(opened));
        let shared = SharedRef::new(shared);
        let stream = WebSocketStream::from_shared(shared.clone(), &self.request.path);
        let settings = Settings::new(&options, None);
        let driver = Driver::new(runtime.clone(), shared, self.io, settings);
        runtime.spawn(Box::pin(driver));
        Ok(stream)
    }

    /// Refuses the connection with an HTTP `status` (400..=599 is usual) and a plain-text `body`,
    /// then closes it.
    ///
    /// # Errors
    /// Writing the response failed.
    pub async fn reject(mut self, status: u16, body: &str) -> Result<(), WebSocketError> {
        self.pending
            .conn
            .reject(status, body)
            .map_err(|e| WebSocketError::new(ErrorKind::InvalidState, e.to_string()))?;
        flush_and_close(&mut self.pending.conn, &mut self.io).await.map_err(|e| {
            WebSocketError::abnormal(ErrorKind::Io, "could not send the refusal", Some(Box::new(e)))
        })
    }
}

impl<R: Runtime, T> fmt::Debug for Incoming<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming").field("request", &self.request).finish_non_exhaustive()
    }
}

/// Writes everything the core queued, then closes the transport.
async fn flush_and_close<T: AsyncWrite + Unpin>(
    conn: &mut Connection,
    io: &mut T,
) -> io::Result<()> {
    poll_fn(|cx| {
        poll_write_queued(conn, &mut 0, |slices| Pin::new(&mut *io).poll_write_vectored(cx, slices))
    })
    .await?;
    poll_fn(|cx| Pin::new(&mut *io).poll_flush(cx)).await?;
    poll_fn(|cx| Pin::new(&mut *io).poll_close(cx)).await
}
