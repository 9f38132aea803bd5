//! The sample client of the guide "Using WebSocketStream to write a client", on smol.
//!
//! It prints `CONNECTED`, sends `ping`, prints each message it receives and sends another `ping`
//! five seconds later (`PING_INTERVAL_MS` changes the interval). On Ctrl-C it closes with 1000
//! "That's all folks" and prints `DISCONNECTED: code 1000, message "That's all folks"`.
//!
//! ```text
//! cargo run -p wsstream-smol --example ping_smol  # against an embedded echo server
//! cargo run -p wsstream-smol --example ping_smol -- ws://127.0.0.1:9001/
//! ```

use std::error::Error;
use std::time::Duration;

use wsstream_smol::{
    CloseInfo, Message, Opened, Options, TcpListener, WebSocketError, WebSocketStream,
};

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    smol::block_on(async {
        let interval = std::env::var("PING_INTERVAL_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(Duration::from_secs(5), Duration::from_millis);
        let url = match std::env::args().nth(1) {
            Some(url) => url,
            None => {
                // No URL: answer ourselves, with an echo server on a free port.
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let url = format!("ws://{}/", listener.local_addr()?);
                spawn(async move {
                    while let Ok((tcp, _)) = listener.accept().await {
                        spawn(async move {
                            let _ = echo(tcp).await;
                        });
                    }
                });
                url
            }
        };

        let wss = WebSocketStream::new(&url, Options::default())?;
        eprintln!("{}", wss.url());
        let closer = wss.clone();
        ctrlc::set_handler(move || {
            let _ = closer.close(CloseInfo::new(1000, "That's all folks"));
        })?;

        let Opened { mut readable, mut writable, .. } = wss.opened().await?;
        println!("CONNECTED");
        writable.send("ping").await?;
        println!("SENT: ping");

        while let Some(message) = readable.read().await {
            match message {
                Ok(Message::Text(text)) => println!("RECEIVED: {text}"),
                Ok(Message::Binary(data)) => println!("RECEIVED: {} bytes", data.len()),
                Err(e) => {
                    println!("ERROR: {e}");
                    break;
                }
            }
            let mut writer = writable.clone();
            spawn(async move {
                smol::Timer::after(interval).await;
                match writer.send("ping").await {
                    Ok(()) => println!("SENT: ping"),
                    Err(e) => println!("Error writing to socket: {}", e.message()),
                }
            });
        }

        match wss.closed().await {
            Ok(CloseInfo { close_code, reason }) => {
                println!("DISCONNECTED: code {}, message {reason:?}", close_code.unwrap_or(1005));
            }
            Err(e) => println!("DISCONNECTED: {e}"),
        }
        Ok(())
    })
}

/// Answers `ping` with `pong` and echoes anything else.
async fn echo(tcp: wsstream_smol::TcpStream) -> Result<(), WebSocketError> {
    let wss = wsstream_smol::accept(tcp, Options::default()).await?.accept(None)?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    while let Some(message) = readable.read().await {
        let message = message?;
        let reply = if message.as_text() == Some("ping") { Message::text("pong") } else { message };
        writable.send(reply).await?;
    }
    wss.closed().await.map(|_| ())
}

/// Runs `task` on smol's global executor.
fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    smol::spawn(task).detach();
}
