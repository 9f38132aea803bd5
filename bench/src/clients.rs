//! `client-run <lib> ...`: each library's client, in its own process, against the lean echo
//! server. `conns` connections each keep `depth` binary messages in flight; a monitor thread
//! measures the round trips and this process's CPU time, prints a `RESULT` line and exits.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Sink, SinkExt, StreamExt};
use http_body_util::Empty;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use wsstream_driver::{BoxFuture, Message, Opened, Options, Payload, Runtime};

use crate::Lib;
use crate::lean::take_credits;
use crate::stats::{self, ConnStats, Stats};

/// What one client run does.
pub(crate) struct Run {
    pub(crate) lib: Lib,
    pub(crate) addr: SocketAddr,
    pub(crate) size: usize,
    pub(crate) conns: usize,
    pub(crate) depth: usize,
    pub(crate) warmup: Duration,
    pub(crate) window: Duration,
    pub(crate) threads: usize,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs the workload and reports; never returns.
pub(crate) fn run(run: Run) -> ! {
    let (stats, conn_stats) = Stats::new(run.conns);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let monitor_stats = stats.clone();
    let (size, warmup, window) = (run.size, run.warmup, run.window);
    std::thread::spawn(move || {
        let code = match ready_rx.recv() {
            Ok(Ok(())) => {
                let sample = stats::measure(&monitor_stats, size, warmup, window, stats::self_cpu);
                let mut out = io::stdout().lock();
                let _ = writeln!(out, "{}", sample.to_line()).and_then(|()| out.flush());
                0
            }
            Ok(Err(e)) => {
                eprintln!("client setup failed: {e}");
                1
            }
            Err(_) => 1,
        };
        std::process::exit(code);
    });
    let url = format!("ws://{}/", run.addr);
    let payload = Bytes::from(vec![0x5a; run.size]);
    let setup = async move {
        for stats in conn_stats {
            connect(run.lib, &url, run.addr, payload.clone(), run.depth, stats).await?;
        }
        Ok::<(), Error>(())
    };
    let report = move |result: Result<(), Error>| {
        let _ = ready_tx.send(result.map_err(|e| e.to_string()));
    };
    match run.lib {
        Lib::WsSmol => smol::block_on(async {
            report(setup.await);
            std::future::pending::<()>().await
        }),
        Lib::WsAsyncStd => async_std::task::block_on(async {
            report(setup.await);
            std::future::pending::<()>().await
        }),
        _ => match crate::tokio_runtime(run.threads) {
            Ok(rt) => rt.block_on(async {
                report(setup.await);
                std::future::pending::<()>().await
            }),
            Err(e) => report(Err(e.into())),
        },
    }
    // The monitor exits the process.
    loop {
        std::thread::park();
    }
}

/// Opens one connection with `lib` and starts its writer and reader.
async fn connect(
    lib: Lib,
    url: &str,
    addr: SocketAddr,
    payload: Bytes,
    depth: usize,
    stats: ConnStats,
) -> Result<(), Error> {
    let (tx, rx) = mpsc::channel::<Instant>(depth);
    match lib {
        Lib::WsTokio => ours::<wsstream_tokio::Tokio>(url, payload, tx, rx, stats).await,
        Lib::WsSmol => ours::<wsstream_smol::Smol>(url, payload, tx, rx, stats).await,
        Lib::WsAsyncStd => ours::<wsstream_async_std::AsyncStd>(url, payload, tx, rx, stats).await,
        Lib::Tungstenite => {
            let tcp = tcp(addr).await?;
            let (ws, _) = tokio_tungstenite::client_async(url, tcp).await?;
            let message = move || tungstenite::Message::Binary(payload.clone());
            split_sink_stream(ws, message, tungstenite::Message::is_binary, tx, rx, stats);
            Ok(())
        }
        Lib::TokioWs => {
            let tcp = tcp(addr).await?;
            let builder = tokio_websockets::ClientBuilder::new().uri(url)?;
            let (ws, _) = builder.connect_on(tcp).await?;
            let message = move || tokio_websockets::Message::binary(payload.clone());
            split_sink_stream(ws, message, tokio_websockets::Message::is_binary, tx, rx, stats);
            Ok(())
        }
        Lib::FastWs => {
            let tcp = tcp(addr).await?;
            let req = hyper::Request::builder()
                .method("GET")
                .uri(url)
                .header("Host", addr.to_string())
                .header("Upgrade", "websocket")
                .header("Connection", "upgrade")
                .header("Sec-WebSocket-Key", fastwebsockets::handshake::generate_key())
                .header("Sec-WebSocket-Version", "13")
                .body(Empty::<Bytes>::new())?;
            let (ws, _) = fastwebsockets::handshake::client(&SpawnExecutor, req, tcp).await?;
            let (rd, mut wr) = ws.split(tokio::io::split);
            tokio::spawn(async move {
                while let Some(n) = take_credits(&tx, depth).await {
                    for _ in 0..n {
                        let payload = fastwebsockets::Payload::Borrowed(&payload);
                        if wr.write_frame(fastwebsockets::Frame::binary(payload)).await.is_err() {
                            return;
                        }
                    }
                }
            });
            tokio::spawn(async move {
                let mut rx = rx;
                let mut rd = fastwebsockets::FragmentCollectorRead::new(rd);
                // The lean server sends no ping or close, so nothing obliges a write here.
                let mut send = |_| async { Ok::<(), fastwebsockets::WebSocketError>(()) };
                while let Ok(frame) = rd.read_frame(&mut send).await {
                    match frame.opcode {
                        fastwebsockets::OpCode::Binary => returned(&mut rx, &stats),
                        fastwebsockets::OpCode::Close => return,
                        _ => {}
                    }
                }
            });
            Ok(())
        }
    }
}

/// Ours, through the public API: `WebSocketStream::new`, `opened`, the readable and writable.
async fn ours<R: Runtime>(
    url: &str,
    payload: Bytes,
    tx: mpsc::Sender<Instant>,
    mut rx: mpsc::Receiver<Instant>,
    stats: ConnStats,
) -> Result<(), Error> {
    // Held inline when small (a clone is then a copy, without a reference count).
    let payload = Payload::copy_from_slice(&payload);
    let wss = wsstream_driver::WebSocketStream::<R>::new(url, Options::default())?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    let depth = tx.max_capacity();
    let writer: BoxFuture<()> = Box::pin(async move {
        let _wss = wss;
        while let Some(n) = take_credits(&tx, depth).await {
            for _ in 0..n {
                if writable.send(Message::Binary(payload.clone())).await.is_err() {
                    return;
                }
            }
        }
    });
    let reader: BoxFuture<()> = Box::pin(async move {
        while let Some(Ok(_)) = readable.read().await {
            returned(&mut rx, &stats);
        }
    });
    let runtime = R::default();
    runtime.spawn(writer);
    runtime.spawn(reader);
    Ok(())
}

/// A peer whose connection is a `Sink` and a `Stream` (tokio-tungstenite, tokio-websockets):
/// a writer task that spends credits, feeding `message()` and flushing once per burst, and a
/// reader task that returns a credit for every binary message.
fn split_sink_stream<W, M, E>(
    ws: W,
    message: impl Fn() -> M + Send + 'static,
    is_binary: fn(&M) -> bool,
    tx: mpsc::Sender<Instant>,
    mut rx: mpsc::Receiver<Instant>,
    stats: ConnStats,
) where
    W: Sink<M> + futures_util::Stream<Item = Result<M, E>> + Send + 'static,
    M: Send + 'static,
{
    let depth = tx.max_capacity();
    let (mut sink, mut stream) = ws.split();
    tokio::spawn(async move {
        while let Some(n) = take_credits(&tx, depth).await {
            for _ in 0..n {
                if sink.feed(message()).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        while let Some(Ok(m)) = stream.next().await {
            if is_binary(&m) {
                returned(&mut rx, &stats);
            }
        }
    });
}

async fn tcp(addr: SocketAddr) -> io::Result<TcpStream> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// A message came back: its credit returns, with the time it was sent.
fn returned(rx: &mut mpsc::Receiver<Instant>, stats: &ConnStats) {
    if let Ok(sent) = rx.try_recv() {
        stats.complete(sent);
    }
}

/// hyper's executor on tokio, for fastwebsockets' client handshake.
struct SpawnExecutor;

impl<F> hyper::rt::Executor<F> for SpawnExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        tokio::spawn(fut);
    }
}
