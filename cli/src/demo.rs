//! `wsstream demo`: the sample client of the guide "Using WebSocketStream to write a client"
//! (MDN), in Rust.
//!
//! As the guide's `start()`: await `opened`, print `CONNECTED`, send `ping`, then print each
//! message received and send another `ping` an interval later. As its close button: Ctrl-C (or
//! `--count`) closes with 1000 "That's all folks", and `closed` prints the `DISCONNECTED` line.
//!
//! ```text
//! CONNECTED
//! SENT: ping
//! RECEIVED: pong
//! SENT: ping
//! RECEIVED: pong
//! DISCONNECTED: code 1000, message "That's all folks"
//! ```

use std::fmt;
use std::future::pending;
use std::io::Write;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};
use wsstream_tokio::{
    CloseInfo, Message, Opened, Options, TcpListener, TcpStream, WebSocketError, WebSocketStream,
    Writable,
};

use crate::args::{TlsArgs, parse_duration};
use crate::exit::{self, Failure, Status};
use crate::interrupt::CtrlC;

/// The close code of the guide's close button.
const CLOSE_CODE: u16 = 1000;
/// The close reason of the guide's close button.
const CLOSE_REASON: &str = "That's all folks";

/// Arguments of `wsstream demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server (ws:// or wss://). Default: an echo server of the demo's own on 127.0.0.1.
    url: Option<String>,
    /// How long after each message received the next ping is sent (e.g. 5s, 100ms).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    interval: Duration,
    /// Close after this many messages received (N ping/pong rounds). Default: until Ctrl-C.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// How a wss server's certificate is checked.
    #[command(flatten)]
    tls: TlsArgs,
}

/// Runs the demo until the connection has closed.
///
/// # Errors
/// As documented for the exit statuses: the connection could not open (1), closed with a code
/// other than 1000 (3), failed (4), or a second Ctrl-C (130).
pub(crate) async fn run(args: Args) -> Result<(), Failure> {
    let options = args.tls.apply(Options::default())?;
    let url = match args.url {
        Some(url) => url,
        None => embedded_server().await?,
    };
    let mut ctrl_c = CtrlC::new();
    let wss = WebSocketStream::new(&url, options).map_err(|e| Failure::connect(&e))?;
    // As the guide's `console.log(wss.url)`, beside the output.
    let _ = writeln!(std::io::stderr(), "{}", wss.url());

    let opened = tokio::select! {
        opened = wss.opened() => opened.map_err(|e| Failure::connect(&e))?,
        () = ctrl_c.pressed() => return Err(interrupted("before the connection opened")),
    };
    let Opened { mut readable, mut writable, .. } = opened;
    let mut output = say(format_args!("CONNECTED")) && send_ping(&mut writable).await;

    let mut received = 0;
    let mut next_ping = None;
    let mut closing = false;
    loop {
        if !output && !closing {
            // Nobody reads the output any more (`wsstream demo | head -3`): stop as on Ctrl-C.
            close(&wss);
            closing = true;
            next_ping = None;
        }
        tokio::select! {
            message = readable.read() => match message {
                Some(Ok(message)) => {
                    output &= say(format_args!("RECEIVED: {}", show(&message)));
                    received += 1;
                    if args.count.is_some_and(|count| received >= count) && !closing {
                        close(&wss);
                        closing = true;
                    }
                    if !closing {
                        next_ping = Some(Instant::now() + args.interval);
                    }
                }
                // The end, or a failure that `closed` reports.
                Some(Err(_)) | None => break,
            },
            () = at(next_ping) => {
                next_ping = None;
                output &= send_ping(&mut writable).await;
            }
            () = ctrl_c.pressed() => {
                if closing {
                    return Err(interrupted("while closing"));
                }
                close(&wss);
                closing = true;
                next_ping = None;
            }
        }
    }

    let result = tokio::select! {
        result = wss.closed() => result,
        () = ctrl_c.pressed() => return Err(interrupted("while closing")),
    };
    if let Ok(CloseInfo { close_code, reason }) = &result {
        let code = close_code.unwrap_or(1005);
        say(format_args!("DISCONNECTED: code {code}, message {reason:?}"));
    }
    exit::closed(&result)
}

/// Sends `ping` and says so, or says why not, as the guide's `setTimeout` callback; false if
/// standard output is gone.
async fn send_ping(writable: &mut Writable) -> bool {
    match writable.send("ping").await {
        Ok(()) => say(format_args!("SENT: ping")),
        Err(e) => say(format_args!("Error writing to socket: {}", e.message())),
    }
}

/// Prints a line of output; false if standard output is gone (a closed pipe), where `println!`
/// would panic.
fn say(line: fmt::Arguments<'_>) -> bool {
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(line).and_then(|()| stdout.write_all(b"\n")).is_ok()
}

/// The guide's close button.
fn close(wss: &WebSocketStream) {
    // 1000 and a short reason are always valid; once closing, this does nothing.
    let _ = wss.close(CloseInfo::new(CLOSE_CODE, CLOSE_REASON));
}

/// Resolves at `deadline`, never if there is none.
async fn at(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => pending().await,
    }
}

/// A message as the demo prints it: text as is, binary as its length.
fn show(message: &Message) -> String {
    match message {
        Message::Text(text) => text.to_string(),
        Message::Binary(data) => format!("<{} bytes of binary>", data.len()),
    }
}

/// The failure of a second Ctrl-C (or a first one before the connection opened).
fn interrupted(when: &str) -> Failure {
    Failure::new(Status::Interrupted, format!("interrupted {when}"))
}

/// Starts an echo server on a free port of 127.0.0.1 that answers `ping` with `pong`; gives its
/// URL. It serves until the process ends.
async fn embedded_server() -> Result<String, Failure> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .and_then(|listener| Ok((listener.local_addr()?, listener)));
    let (addr, listener) = listener
        .map_err(|e| Failure::new(Status::Connect, format!("cannot start the demo server: {e}")))?;
    tokio::spawn(async move {
        while let Ok((tcp, peer)) = listener.accept().await {
            tokio::spawn(async move {
                if let Err(e) = ping_pong(tcp).await {
                    tracing::debug!("demo server, {peer}: {e}");
                }
            });
        }
    });
    Ok(format!("ws://{addr}/"))
}

/// Serves one connection of the embedded server: `pong` for `ping`, anything else echoed.
async fn ping_pong(tcp: TcpStream) -> Result<(), WebSocketError> {
    let wss = wsstream_tokio::accept(tcp, Options::default()).await?.accept(None)?;
    let Opened { mut readable, mut writable, .. } = wss.opened().await?;
    while let Some(message) = readable.read().await {
        let message = message?;
        let reply = if message.as_text() == Some("ping") { Message::text("pong") } else { message };
        writable.send(reply).await?;
    }
    wss.closed().await.map(|_| ())
}
