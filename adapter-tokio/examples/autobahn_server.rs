//! The Autobahn|Testsuite server testee on tokio: an echo server on
//! `127.0.0.1:$AUTOBAHN_PORT` (default 9002).

use std::error::Error;

use wsstream_tokio::{Opened, Options, TcpListener, WebSocketError};

/// Messages up to 64 MiB: enough for the 9.* cases.
const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Echoes every message until the client closes.
async fn echo(tcp: wsstream_tokio::TcpStream) -> Result<(), WebSocketError> {
    let options = Options {
        max_frame_size: MAX_MESSAGE_BYTES,
        max_message_size: MAX_MESSAGE_BYTES,
        ..Options::default()
    };
    let wss = wsstream_tokio::accept(tcp, options).await?.accept(None)?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    while let Some(message) = readable.read().await {
        writable.send(message?).await?;
    }
    wss.closed().await.map(|_| ())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let port = std::env::var("AUTOBAHN_PORT").unwrap_or_else(|_| "9002".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}").as_str()).await?;
    println!("listening on ws://{}/", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = echo(tcp).await;
        });
    }
}
