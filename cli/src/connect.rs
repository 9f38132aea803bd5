//! `wsstream connect URL`: an interactive client, in the manner of websocat.
//!
//! Standard input becomes messages (a text message per line, or with `--binary` a binary
//! message per read); messages received go to standard output (text and a newline; binary as
//! hexadecimal and a newline, or raw with `--raw`). Reading and writing run apart, so a peer
//! that answers while we send never waits for us to stop sending.
//!
//! The end of input (or Ctrl-C) closes with 1000; the connection's end decides the exit status.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use wsstream_tokio::{CloseInfo, Message, Opened, Options, Readable, WebSocketStream, Writable};

use crate::args::{ConnectionArgs, TlsArgs, parse_header};
use crate::exit::{self, Failure, Status};
use crate::interrupt::CtrlC;

/// How much of standard input one binary message carries at most.
const BINARY_CHUNK_BYTES: usize = 64 << 10;

/// Arguments of `wsstream connect`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server's URL (`ws://` or `wss://`; `http://` and `https://` mean the same).
    #[arg(
        help = "The server: ws://HOST[:PORT]/PATH or wss://... (http:// and https:// mean the same)"
    )]
    url: String,
    /// Send standard input as binary messages, as its bytes arrive (no line splitting).
    #[arg(long)]
    binary: bool,
    /// Write binary messages received as raw bytes, with nothing added (default: hexadecimal
    /// lines).
    #[arg(long)]
    raw: bool,
    /// A subprotocol to offer; repeat for several, in order of preference.
    #[arg(long = "protocol", value_name = "NAME")]
    protocols: Vec<String>,
    /// An extra request header; repeat for several.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// How a wss server's certificate is checked.
    #[command(flatten)]
    tls: TlsArgs,
    /// Keepalive, limits and compression.
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Connects, then copies standard input to the connection and the connection to standard
/// output until it has closed.
///
/// # Errors
/// As documented for the exit statuses: the connection could not open (1), closed with a code
/// other than 1000 (3), failed (4), or a second Ctrl-C (130).
pub(crate) async fn run(args: Args) -> Result<(), Failure> {
    let options =
        Options { protocols: args.protocols, headers: args.headers, ..Options::default() };
    let options = args.tls.apply(args.connection.apply(options))?;
    let mut ctrl_c = CtrlC::new();
    let wss = WebSocketStream::new(&args.url, options).map_err(|e| Failure::connect(&e))?;

    let opened = tokio::select! {
        opened = wss.opened() => opened.map_err(|e| Failure::connect(&e))?,
        () = ctrl_c.pressed() => return Err(interrupted("before the connection opened")),
    };
    let Opened { readable, writable, protocol, extensions, .. } = opened;
    tracing::info!(protocol, extensions, "connected to {}", wss.url());

    let mut output = tokio::spawn(write_messages(readable, args.raw));
    let input = read_input(writable, args.binary);
    tokio::pin!(input);
    let mut input_open = true;
    let mut closing = false;
    loop {
        tokio::select! {
            result = &mut input, if input_open => {
                input_open = false;
                if let Err(e) = result {
                    tracing::warn!("{e}");
                }
                // The end of input: close with 1000 (nothing happens if already closing).
                close(&wss);
                closing = true;
            }
            result = &mut output => {
                // The messages have ended: the connection is closing, or standard output failed.
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!("cannot write to standard output: {e}"),
                    Err(e) => tracing::warn!("the output task failed: {e}"),
                }
                close(&wss);
                break;
            }
            () = ctrl_c.pressed() => {
                if closing {
                    return Err(interrupted("while closing"));
                }
                close(&wss);
                closing = true;
            }
        }
    }

    let result = tokio::select! {
        result = wss.closed() => result,
        () = ctrl_c.pressed() => return Err(interrupted("while closing")),
    };
    tracing::debug!("closed: {result:?}");
    exit::closed(&result)
}

/// Closes with 1000 and no reason; once closing, does nothing.
fn close(wss: &WebSocketStream) {
    // 1000 with an empty reason is always valid.
    let _ = wss.close(CloseInfo::new(1000, ""));
}

/// The failure of a second Ctrl-C (or a first one before the connection opened).
fn interrupted(when: &str) -> Failure {
    Failure::new(Status::Interrupted, format!("interrupted {when}"))
}

/// Sends standard input until its end: a text message per line (without `\n` or `\r\n`), or
/// a binary message per read.
///
/// # Errors
/// Reading standard input failed, or the connection no longer takes messages.
async fn read_input(mut writable: Writable, binary: bool) -> Result<(), String> {
    let mut stdin = tokio::io::stdin();
    let read_failed = |e: io::Error| format!("cannot read standard input: {e}");
    let send_failed = |e: wsstream_tokio::WebSocketError| format!("cannot send: {e}");
    if binary {
        let mut buf = vec![0; BINARY_CHUNK_BYTES];
        loop {
            let n = stdin.read(&mut buf).await.map_err(read_failed)?;
            if n == 0 {
                return Ok(());
            }
            writable.send(Message::binary(buf[..n].to_vec())).await.map_err(send_failed)?;
        }
    }
    let mut lines = BufReader::new(stdin);
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        if lines.read_until(b'\n', &mut line).await.map_err(read_failed)? == 0 {
            break;
        }
        if line.ends_with(b"\n") {
            line.pop();
            if line.ends_with(b"\r") {
                line.pop();
            }
        }
        match String::from_utf8(std::mem::take(&mut line)) {
            Ok(text) => writable.send(Message::text(text)).await.map_err(send_failed)?,
            Err(_) => tracing::warn!("line {number} is not UTF-8, not sent (see --binary)"),
        }
    }
    Ok(())
}

/// Writes each message received to standard output until the messages end.
///
/// # Errors
/// Writing to standard output failed (a closed pipe).
async fn write_messages(mut readable: Readable, raw: bool) -> io::Result<()> {
    let mut stdout = tokio::io::stdout();
    // An error ends the messages; `closed` reports it.
    while let Some(Ok(message)) = readable.read().await {
        match message {
            Message::Text(text) => {
                stdout.write_all(text.as_bytes()).await?;
                stdout.write_all(b"\n").await?;
            }
            Message::Binary(data) if raw => stdout.write_all(&data).await?,
            Message::Binary(data) => {
                stdout.write_all(hex(&data).as_bytes()).await?;
                stdout.write_all(b"\n").await?;
            }
        }
        stdout.flush().await?;
    }
    Ok(())
}

/// `data` in lowercase hexadecimal.
fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(data.len() * 2);
    for &byte in data {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_without_separators() {
        assert_eq!(hex(b""), "");
        assert_eq!(hex(b"\x00\x01\xab\xff"), "0001abff");
    }
}
