//! An echo server on the public server API of wsstream-tokio.
//!
//! ```text
//! cargo run -p wsstream-tokio --example echo_server_tokio -- 127.0.0.1:9001
//! ```

use std::error::Error;

use wsstream_tokio::{Opened, Options, TcpListener, WebSocketError};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on ws://{}/", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = echo(tcp).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

/// Echoes every message until the client closes.
async fn echo(tcp: wsstream_tokio::TcpStream) -> Result<(), WebSocketError> {
    let incoming = wsstream_tokio::accept(tcp, Options::default()).await?;
    // Choose the client's first subprotocol, if it offers any.
    let protocol = incoming.protocols().first().cloned();
    let wss = incoming.accept(protocol.as_deref())?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    while let Some(message) = readable.read().await {
        writable.send(message?).await?;
    }
    wss.closed().await.map(|_| ())
}
