//! The Autobahn|Testsuite server testee on smol: an echo server on
//! `127.0.0.1:$AUTOBAHN_PORT` (default 9002).

use std::error::Error;

use wsstream_smol::{Opened, Options, TcpListener, WebSocketError};

/// Messages up to 64 MiB: enough for the 9.* cases.
const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Echoes every message until the client closes.
async fn echo(tcp: wsstream_smol::TcpStream) -> Result<(), WebSocketError> {
    let options = Options {
        max_frame_size: MAX_MESSAGE_BYTES,
        max_message_size: MAX_MESSAGE_BYTES,
        ..Options::default()
    };
    let wss = wsstream_smol::accept(tcp, options).await?.accept(None)?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    while let Some(message) = readable.read().await {
        writable.send(message?).await?;
    }
    wss.closed().await.map(|_| ())
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    smol::block_on(async {
        let port = std::env::var("AUTOBAHN_PORT").unwrap_or_else(|_| "9002".into());
        let listener = TcpListener::bind(format!("127.0.0.1:{port}").as_str()).await?;
        println!("listening on ws://{}/", listener.local_addr()?);
        loop {
            let (tcp, _) = listener.accept().await?;
            spawn(async move {
                let _ = echo(tcp).await;
            });
        }
    })
}

/// Runs `task` on smol's global executor.
fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    smol::spawn(task).detach();
}
