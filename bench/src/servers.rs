//! `serve <lib>`: each library's echo server, in its own process, on 127.0.0.1 at a free port
//! (announced as `PORT <n>` on stdout). Every server echoes text and binary messages, answers
//! pings and closes as its library does by default, and sets TCP_NODELAY.

use std::io::{self, Write};

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use wsstream_driver::{Opened, Options, Runtime};

use crate::Lib;

/// Runs `lib`'s echo server until the process is killed.
pub(crate) fn serve(lib: Lib, threads: usize) -> io::Result<()> {
    match lib {
        Lib::WsSmol => smol::block_on(async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
            announce(listener.local_addr()?.port())?;
            loop {
                let (tcp, _) = listener.accept().await?;
                smol::spawn(async move {
                    if let Ok(incoming) = wsstream_smol::accept(tcp, Options::default()).await {
                        ours(incoming).await;
                    }
                })
                .detach();
            }
        }),
        Lib::WsAsyncStd => async_std::task::block_on(async {
            let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
            announce(listener.local_addr()?.port())?;
            loop {
                let (tcp, _) = listener.accept().await?;
                async_std::task::spawn(async move {
                    if let Ok(incoming) = wsstream_async_std::accept(tcp, Options::default()).await
                    {
                        ours(incoming).await;
                    }
                });
            }
        }),
        _ => crate::tokio_runtime(threads)?.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            announce(listener.local_addr()?.port())?;
            loop {
                let (tcp, _) = listener.accept().await?;
                tcp.set_nodelay(true)?;
                spawn_on_tokio(lib, tcp);
            }
        }),
    }
}

fn announce(port: u16) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "PORT {port}")?;
    out.flush()
}

/// Spawns `lib`'s echo task for `tcp`. Each library gets a task of its own type, so that its
/// allocation is as large as that library's state and no other's (one `async` block matching on
/// the library would give every connection the largest of them, which the memory table counts).
fn spawn_on_tokio(lib: Lib, tcp: TcpStream) {
    // As the peers' own echo examples: no cooperative-scheduling budget.
    fn spawn(task: impl Future<Output = ()> + Send + 'static) {
        tokio::spawn(tokio::task::unconstrained(task));
    }
    match lib {
        Lib::WsTokio => spawn(async move {
            if let Ok(incoming) = wsstream_tokio::accept(tcp, Options::default()).await {
                ours(incoming).await;
            }
        }),
        Lib::Tungstenite => spawn(async move {
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                forward(ws, |m: &tungstenite::Message| m.is_binary() || m.is_text()).await;
            }
        }),
        Lib::TokioWs => spawn(async move {
            if let Ok((_, ws)) = tokio_websockets::ServerBuilder::new().accept(tcp).await {
                forward(ws, |m: &tokio_websockets::Message| m.is_binary() || m.is_text()).await;
            }
        }),
        Lib::FastWs => spawn(async move {
            // fastwebsockets' own way: hyper reads the request, `upgrade` answers it.
            let service = service_fn(fast_upgrade);
            let conn = http1::Builder::new().serve_connection(TokioIo::new(tcp), service);
            let _ = conn.with_upgrades().await;
        }),
        Lib::WsSmol | Lib::WsAsyncStd => unreachable!("not a tokio server"),
    }
}

/// Ours, through the public API on any runtime: accept, then read and write messages.
async fn ours<R: Runtime, T>(incoming: wsstream_driver::Incoming<R, T>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Ok(wss) = incoming.accept(None) else { return };
    let Ok(Opened { mut readable, mut writable, .. }) = wss.opened().await else { return };
    while let Some(Ok(message)) = readable.read().await {
        if writable.send(message).await.is_err() {
            return;
        }
    }
}

/// Echoes a `Stream + Sink` of messages as `StreamExt::forward` does (tokio-tungstenite's echo
/// example): queue each message, flush only when no further message is ready.
async fn forward<S, M, E>(mut ws: S, is_data: impl Fn(&M) -> bool)
where
    S: Stream<Item = Result<M, E>> + Sink<M> + Unpin,
{
    loop {
        let next = match ws.next().now_or_never() {
            Some(next) => next,
            None => {
                if ws.flush().await.is_err() {
                    return;
                }
                ws.next().await
            }
        };
        match next {
            Some(Ok(m)) if is_data(&m) => {
                if ws.feed(m).await.is_err() {
                    return;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}

async fn fast_upgrade(
    mut req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Empty<Bytes>>, fastwebsockets::WebSocketError> {
    let (response, upgrade) = fastwebsockets::upgrade::upgrade(&mut req)?;
    tokio::spawn(tokio::task::unconstrained(async move {
        let Ok(ws) = upgrade.await else { return };
        // As fastwebsockets' echo example: reassemble fragments, echo data frames.
        let mut ws = fastwebsockets::FragmentCollector::new(ws);
        while let Ok(frame) = ws.read_frame().await {
            let data = match frame.opcode {
                fastwebsockets::OpCode::Close => return,
                fastwebsockets::OpCode::Text | fastwebsockets::OpCode::Binary => true,
                _ => false,
            };
            if data && ws.write_frame(frame).await.is_err() {
                return;
            }
        }
    }));
    Ok(response)
}
