//! `wsstream serve ADDR`: an echo or broadcast server, over ws or wss.
//!
//! One task per connection: TLS if configured, the opening handshake (choosing the first
//! subprotocol the client offers among `--protocol`), then echo (each message back to its
//! sender) or broadcast (each message to every other client, through a bounded queue per client
//! so that a slow client loses messages instead of stalling the others). Each open and close is
//! logged at info, with the close code and reason. Ctrl-C closes every connection with 1000
//! "server shutting down".

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::TlsAcceptor;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::compat::TokioAsyncReadCompatExt;
use wsstream_tokio::{
    CloseInfo, ErrorKind, Message, Opened, Options, Readable, TcpListener, TcpStream,
    WebSocketError, WebSocketStream, Writable,
};

use crate::args::ConnectionArgs;
use crate::exit::{Failure, Status};
use crate::interrupt::CtrlC;
use crate::tls;

/// The time a client has for the TLS handshake and then for its handshake request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections have to close after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Messages waiting for a slow client in broadcast mode before new ones are dropped for it.
const BROADCAST_QUEUE: usize = 256;

/// Arguments of `wsstream serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The address to listen on, such as 127.0.0.1:9001 (port 0: a free port).
    addr: String,
    /// Send each message back to its sender (the default).
    #[arg(long, conflicts_with = "broadcast")]
    echo: bool,
    /// Send each message to every other client.
    #[arg(long)]
    broadcast: bool,
    /// A subprotocol to accept; repeat for several. The first one the client offers that is
    /// in this list is chosen.
    #[arg(long = "protocol", value_name = "NAME")]
    protocols: Vec<String>,
    /// Serve wss: the certificate chain, PEM.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// Serve wss: the private key of --cert, PEM.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Keepalive, limits and compression.
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Serves until Ctrl-C.
///
/// # Errors
/// The certificate or key cannot be used, or the address cannot be listened on (1); a second
/// Ctrl-C while the connections close (130).
pub(crate) async fn run(args: Args) -> Result<(), Failure> {
    let acceptor = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    let cannot_listen = |e: std::io::Error| {
        Failure::new(Status::Connect, format!("cannot listen on {}: {e}", args.addr))
    };
    let listener = TcpListener::bind(args.addr.as_str()).await.map_err(cannot_listen)?;
    let local = listener.local_addr().map_err(cannot_listen)?;
    let scheme = if acceptor.is_some() { "wss" } else { "ws" };
    let mode = if args.broadcast { Mode::Broadcast } else { Mode::Echo };
    // Not `println!`, which panics when standard output is closed.
    let _ = writeln!(std::io::stdout(), "listening on {scheme}://{local}/");
    tracing::info!("{mode:?} server listening on {scheme}://{local}/");

    let options = Options {
        connect_timeout: Some(HANDSHAKE_TIMEOUT),
        ..args.connection.apply(Options::default())
    };
    let server = Arc::new(Server {
        mode,
        protocols: args.protocols,
        options,
        clients: Mutex::default(),
        next_id: AtomicU64::new(1),
        stopping: AtomicBool::new(false),
    });
    let mut tasks = JoinSet::new();
    let mut ctrl_c = CtrlC::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let server = server.clone();
                    let acceptor = acceptor.clone();
                    tasks.spawn(async move { server.serve(tcp, peer, acceptor).await });
                }
                Err(e) => {
                    // Out of file descriptors, most likely: wait a little rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            () = ctrl_c.pressed() => break,
        }
    }

    drop(listener);
    server.stopping.store(true, Ordering::SeqCst);
    let open = server.close_all();
    tracing::info!("shutting down: closing {open} connections");
    let drain = async { while tasks.join_next().await.is_some() {} };
    tokio::select! {
        () = drain => Ok(()),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}: dropped");
            Ok(())
        }
        () = ctrl_c.pressed() => Err(Failure::new(Status::Interrupted, "interrupted while closing")),
    }
}

/// What the server does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Back to its sender.
    Echo,
    /// To every other client.
    Broadcast,
}

/// An open connection, as the other connections and the shutdown see it.
struct Client {
    /// Its handle, to close it on shutdown.
    wss: WebSocketStream,
    /// Its queue of broadcast messages (broadcast mode).
    queue: Option<mpsc::Sender<Message>>,
}

/// The state of the server, shared by its connections.
struct Server {
    mode: Mode,
    /// The subprotocols to accept.
    protocols: Vec<String>,
    options: Options,
    /// The open connections, by number.
    clients: Mutex<HashMap<u64, Client>>,
    next_id: AtomicU64,
    /// Set once Ctrl-C was pressed: connections that open later are closed at once.
    stopping: AtomicBool,
}

impl Server {
    /// Serves one TCP connection until it has closed, logging its open and close.
    async fn serve(&self, tcp: TcpStream, peer: SocketAddr, acceptor: Option<TlsAcceptor>) {
        let _ = tcp.set_nodelay(true);
        let tcp = tcp.compat();
        let opened = match acceptor {
            None => self.open(tcp).await,
            Some(acceptor) => {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => self.open(tls).await,
                    Ok(Err(e)) => {
                        tracing::warn!("{peer}: TLS handshake failed: {e}");
                        return;
                    }
                    Err(_) => {
                        tracing::warn!("{peer}: TLS handshake timed out");
                        return;
                    }
                }
            }
        };
        let (wss, path, protocol) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                tracing::warn!("{peer}: opening handshake failed: {e}");
                return;
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A server connection is open once accepted: this gives its streams.
        if let Ok(Opened { readable, writable, .. }) = wss.opened().await {
            // Registered before the open is logged: who sees the log can reach this client.
            let queue = match self.mode {
                Mode::Echo => None,
                Mode::Broadcast => {
                    let (queue, messages) = mpsc::channel(BROADCAST_QUEUE);
                    tokio::spawn(forward(messages, writable.clone()));
                    Some(queue)
                }
            };
            self.register(id, &wss, queue);
            match &protocol {
                Some(protocol) => tracing::info!("#{id} {peer} open {path} (protocol {protocol})"),
                None => tracing::info!("#{id} {peer} open {path}"),
            }
            match self.mode {
                Mode::Echo => echo(readable, writable).await,
                Mode::Broadcast => {
                    drop(writable);
                    self.broadcast(id, readable).await;
                }
            }
            // Dropping the client's queue ends its forwarding task.
            self.clients().remove(&id);
        }
        match wss.closed().await {
            Ok(CloseInfo { close_code, reason }) => {
                let code = close_code.unwrap_or(1005);
                tracing::info!("#{id} {peer} closed: code {code}, reason {reason:?}");
            }
            // The peer's Close came while a reply was still queued: its code is known, but the
            // close is unclean. Common for an echo server, so not a warning.
            Err(e) if e.kind() == ErrorKind::Closed && e.code().is_some() => {
                let (code, reason) = (e.code().unwrap_or(1005), e.reason());
                tracing::info!(
                    "#{id} {peer} closed uncleanly: code {code}, reason {reason:?} ({})",
                    e.message()
                );
            }
            Err(e) => {
                let code = e.code().map_or_else(|| "none".to_owned(), |c| c.to_string());
                tracing::warn!("#{id} {peer} failed: {e} (code {code})");
            }
        }
    }

    /// Reads the opening handshake request and accepts it, choosing a subprotocol; gives the
    /// connection, the request's path and the subprotocol.
    async fn open<T>(
        &self,
        io: T,
    ) -> Result<(WebSocketStream, String, Option<String>), WebSocketError>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let incoming = WebSocketStream::accept(io, self.options.clone()).await?;
        let protocol = incoming.protocols().iter().find(|p| self.protocols.contains(p)).cloned();
        let path = incoming.path().to_owned();
        let wss = incoming.accept(protocol.as_deref())?;
        Ok((wss, path, protocol))
    }

    /// Adds an open connection to the clients; closes it at once if the server is stopping.
    fn register(&self, id: u64, wss: &WebSocketStream, queue: Option<mpsc::Sender<Message>>) {
        let mut clients = self.clients();
        if self.stopping.load(Ordering::SeqCst) {
            let _ = wss.close(going_away());
        }
        clients.insert(id, Client { wss: wss.clone(), queue });
    }

    /// Sends each message of client `id` to every other client, until its messages end.
    async fn broadcast(&self, id: u64, mut readable: Readable) {
        while let Some(Ok(message)) = readable.read().await {
            for (&other, client) in self.clients().iter() {
                let Some(queue) = client.queue.as_ref().filter(|_| other != id) else { continue };
                if queue.try_send(message.clone()).is_err() {
                    tracing::warn!("#{other} is too slow: a message from #{id} was dropped");
                }
            }
        }
    }

    /// Closes every open connection with [`going_away`]; gives how many there were.
    fn close_all(&self) -> usize {
        let clients = self.clients();
        for client in clients.values() {
            let _ = client.wss.close(going_away());
        }
        clients.len()
    }

    /// The clients, locked. A panic while the lock is held cannot leave them inconsistent
    /// (every change is one insert or remove), so a poisoned lock is used as is.
    fn clients(&self) -> MutexGuard<'_, HashMap<u64, Client>> {
        self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The close of a server that stops. 1000: the driver, as the browser, lets the application
/// send 1000 and 3000..=4999 only, not 1001 (going away).
fn going_away() -> CloseInfo {
    CloseInfo::new(1000, "server shutting down")
}

/// Sends each message back until the messages end or the connection stops taking them.
async fn echo(mut readable: Readable, mut writable: Writable) {
    while let Some(Ok(message)) = readable.read().await {
        if writable.send(message).await.is_err() {
            break;
        }
    }
}

/// Sends the messages of a client's broadcast queue until it is dropped.
async fn forward(mut messages: mpsc::Receiver<Message>, mut writable: Writable) {
    while let Some(message) = messages.recv().await {
        if writable.send(message).await.is_err() {
            break;
        }
    }
}
