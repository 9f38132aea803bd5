//! An echo server on the public server API of wsstream-smol.
//!
//! ```text
//! cargo run -p wsstream-smol --example echo_server_smol -- 127.0.0.1:9001
//! ```

use std::error::Error;

use wsstream_smol::{Opened, Options, TcpListener, WebSocketError};

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    smol::block_on(async {
        let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".into());
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!("listening on ws://{}/", listener.local_addr()?);
        loop {
            let (tcp, peer) = listener.accept().await?;
            spawn(async move {
                if let Err(e) = echo(tcp).await {
                    eprintln!("{peer}: {e}");
                }
            });
        }
    })
}

/// Echoes every message until the client closes.
async fn echo(tcp: wsstream_smol::TcpStream) -> Result<(), WebSocketError> {
    let incoming = wsstream_smol::accept(tcp, Options::default()).await?;
    // Choose the client's first subprotocol, if it offers any.
    let protocol = incoming.protocols().first().cloned();
    let wss = incoming.accept(protocol.as_deref())?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    while let Some(message) = readable.read().await {
        writable.send(message?).await?;
    }
    wss.closed().await.map(|_| ())
}

/// Runs `task` on smol's global executor.
fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    smol::spawn(task).detach();
}
