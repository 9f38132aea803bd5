//! The Autobahn|Testsuite client testee on smol: `AUTOBAHN_URL` (default
//! `ws://127.0.0.1:9001`) is the fuzzing server, `AUTOBAHN_AGENT` (default `wsstream-smol`) the
//! name in the reports.

use std::error::Error;

use wsstream_smol::{Opened, Options, WebSocketError, WebSocketStream};

/// Messages up to 64 MiB: enough for the 9.* cases.
const MAX_MESSAGE_BYTES: usize = 64 << 20;

fn options() -> Options {
    Options {
        max_frame_size: MAX_MESSAGE_BYTES,
        max_message_size: MAX_MESSAGE_BYTES,
        ..Options::default()
    }
}

/// Echoes every message until the server closes.
async fn echo(url: &str) -> Result<(), WebSocketError> {
    let wss = WebSocketStream::new(url, options())?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    while let Some(message) = readable.read().await {
        writable.send(message?).await?;
    }
    wss.closed().await.map(|_| ())
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    smol::block_on(async {
        let base = std::env::var("AUTOBAHN_URL").unwrap_or_else(|_| "ws://127.0.0.1:9001".into());
        let agent = std::env::var("AUTOBAHN_AGENT").unwrap_or_else(|_| "wsstream-smol".into());

        let wss = WebSocketStream::new(&format!("{base}/getCaseCount"), options())?;
        let Opened { mut readable, .. } = wss.opened().await?;
        let count: u32 = match readable.read().await {
            Some(Ok(message)) => message.as_text().unwrap_or("0").trim().parse()?,
            _ => 0,
        };
        let _ = wss.closed().await;
        println!("{count} cases");

        for case in 1..=count {
            let url = format!("{base}/runCase?case={case}&agent={agent}");
            if let Err(e) = echo(&url).await {
                println!("case {case}: {e}");
            }
        }

        let wss = WebSocketStream::new(&format!("{base}/updateReports?agent={agent}"), options())?;
        let _ = wss.closed().await;
        println!("reports updated");
        Ok(())
    })
}
