//! The two fixed, lean counterparts: the load generator that drives every library's echo server
//! (server role, and the idle connections of the memory table), and the raw echo server that
//! every library's client talks to (client role). Both are plain tokio on one thread, write
//! pre-encoded frames over plain TCP, and share no code with the libraries under test.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::stats::{ConnStats, Stats};
use crate::wire::{self, FrameParser, Part};

/// Bytes per socket read.
const READ_BYTES: usize = 64 << 10;
/// Connections opened at once while setting up many idle ones.
const CONNECT_BATCH: usize = 100;

/// A tokio runtime on its own thread, running until dropped.
pub(crate) struct Background {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Runs `setup` on a fresh single-threaded runtime; once it has returned `Ok`, keeps the
    /// runtime (and whatever `setup` spawned) going until this value is dropped.
    fn start<T, F>(setup: impl FnOnce() -> F + Send + 'static) -> io::Result<(Self, T)>
    where
        T: Send + 'static,
        F: Future<Output = io::Result<T>>,
    {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            crate::affinity::pin_counterpart();
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            let rt = match rt {
                Ok(rt) => rt,
                Err(e) => return drop(ready_tx.send(Err(e))),
            };
            rt.block_on(async move {
                let result = setup().await;
                let ok = result.is_ok();
                let _ = ready_tx.send(result);
                if ok {
                    let _ = stopped.await;
                }
            });
        });
        let value = ready_rx.recv().map_err(io::Error::other)??;
        Ok((Self { stop: Some(stop), thread: Some(thread) }, value))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Opens a WebSocket connection the lean way: TCP, the fixed upgrade request, a 101 back.
/// Returns the stream and any bytes read past the response.
async fn open(addr: SocketAddr) -> io::Result<(TcpStream, Vec<u8>)> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    tcp.write_all(&wire::upgrade_request(&addr.to_string())).await?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    loop {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = wire::head_end(&buf) {
            if !buf.starts_with(b"HTTP/1.1 101") {
                return Err(io::Error::other(String::from_utf8_lossy(&buf).into_owned()));
            }
            return Ok((tcp, buf.split_off(end)));
        }
    }
}

/// The load generator: `conns` connections to `addr`, each keeping `depth` binary messages of
/// `size` bytes in flight. Round trips are counted in the returned [`Stats`].
pub(crate) fn load(
    addr: SocketAddr,
    size: usize,
    conns: usize,
    depth: usize,
) -> io::Result<(Background, Arc<Stats>)> {
    Background::start(move || async move {
        let (stats, conn_stats) = Stats::new(conns);
        // `depth` frames back to back, so that a burst of credits leaves in one write.
        let frame = wire::masked_binary_frame(&vec![0x5a; size]);
        let batch: Arc<[u8]> = frame.repeat(depth).into();
        let mut streams = Vec::with_capacity(conns);
        for _ in 0..conns {
            streams.push(open(addr).await?);
        }
        for ((tcp, leftover), stats) in streams.into_iter().zip(conn_stats) {
            tokio::spawn(drive(tcp, leftover, batch.clone(), frame.len(), depth, stats));
        }
        Ok(stats)
    })
}

/// One load-generator connection: a writer task that spends credits, a reader that returns them.
async fn drive(
    tcp: TcpStream,
    leftover: Vec<u8>,
    batch: Arc<[u8]>,
    frame_len: usize,
    depth: usize,
    stats: ConnStats,
) {
    let (mut rd, mut wr) = tcp.into_split();
    let (tx, mut rx) = mpsc::channel::<Instant>(depth);
    tokio::spawn(async move {
        while let Some(n) = take_credits(&tx, depth).await {
            if wr.write_all(&batch[..n * frame_len]).await.is_err() {
                return;
            }
        }
    });
    let mut parser = FrameParser::default();
    let mut buf = vec![0u8; READ_BYTES];
    let mut returned = |parser: &mut FrameParser, data: &mut [u8]| {
        let mut done = 0;
        parser.feed(data, |part| {
            if let Part::End { first } = part {
                done += usize::from(wire::ends_message(first));
            }
        });
        for _ in 0..done {
            if let Ok(sent) = rx.try_recv() {
                stats.complete(sent);
            }
        }
    };
    let mut leftover = leftover;
    returned(&mut parser, &mut leftover);
    loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        returned(&mut parser, &mut buf[..n]);
    }
}

/// Waits for one credit (a free slot among the `depth` in flight), then takes up to `max` at
/// once; each carries the time its message is sent. `None` once the reader is gone.
pub(crate) async fn take_credits(tx: &mpsc::Sender<Instant>, max: usize) -> Option<usize> {
    let permit = tx.reserve().await.ok()?;
    let now = Instant::now();
    permit.send(now);
    let mut n = 1;
    while n < max && tx.try_send(now).is_ok() {
        n += 1;
    }
    Some(n)
}

/// Holds `n` idle, open connections to `addr` until dropped.
pub(crate) fn hold_idle(addr: SocketAddr, n: usize) -> io::Result<Background> {
    let (bg, ()) = Background::start(move || async move {
        let mut held = Vec::with_capacity(n);
        let mut left = n;
        while left > 0 {
            let batch = left.min(CONNECT_BATCH);
            let opens: Vec<_> = (0..batch).map(|_| tokio::spawn(open(addr))).collect();
            for o in opens {
                held.push(o.await.map_err(io::Error::other)??.0);
            }
            left -= batch;
        }
        // The sockets live as long as the runtime's task below.
        tokio::spawn(async move {
            let _held = held;
            std::future::pending::<()>().await;
        });
        Ok(())
    })?;
    Ok(bg)
}

/// The lean echo server: answers any upgrade request with 101 (no extensions), then sends every
/// frame back unmasked, streaming payload bytes as they arrive. Returns its address.
pub(crate) fn raw_echo_server() -> io::Result<(Background, SocketAddr)> {
    Background::start(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(echo(tcp));
            }
        });
        Ok(addr)
    })
}

async fn echo(mut tcp: TcpStream) {
    let _ = tcp.set_nodelay(true);
    let mut buf = vec![0u8; READ_BYTES];
    let mut head = Vec::new();
    let mut pending = loop {
        let n = match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = wire::head_end(&head) {
            let text = String::from_utf8_lossy(&head[..end]).into_owned();
            let Some(key) = wire::header(&text, "sec-websocket-key") else { return };
            if tcp.write_all(&wire::upgrade_response(key)).await.is_err() {
                return;
            }
            break head.split_off(end);
        }
    };
    let mut parser = FrameParser::default();
    let mut out = Vec::with_capacity(READ_BYTES + 64);
    let mut data = &mut pending[..];
    loop {
        out.clear();
        let mut close = false;
        parser.feed(data, |part| match part {
            Part::Header { first, len } => wire::push_header(&mut out, first, len, None),
            Part::Payload(bytes) => out.extend_from_slice(bytes),
            Part::End { first } => close |= first & 0x0f == 0x8,
        });
        if !out.is_empty() && tcp.write_all(&out).await.is_err() {
            return;
        }
        if close {
            let _ = tcp.shutdown().await;
            return;
        }
        let n = match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        data = &mut buf[..n];
    }
}
