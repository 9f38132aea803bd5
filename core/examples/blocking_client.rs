//! The core driven over a blocking `std::net::TcpStream`: a custom event loop, no async.
//!
//! ```text
//! cargo run -p wsstream-core --example blocking_client                 # in-process echo server
//! cargo run -p wsstream-core --example blocking_client ws://host:port/path hello world
//! ```
//!
//! With no URL it starts the server role of the same core on a free 127.0.0.1 port, in a
//! thread, and talks to it: the whole protocol over real loopback TCP in a hundred lines.

use std::error::Error;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use wsstream_core::{ClientConfig, CloseCode, Connection, Event, Message, ServerConfig, Transmit};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (url, server) = match args.next() {
        Some(url) => (url, None),
        None => {
            let (addr, handle) = spawn_echo_server()?;
            (format!("ws://{addr}/"), Some(handle))
        }
    };
    let mut words: Vec<String> = args.collect();
    if words.is_empty() {
        words = vec!["ping".into(), "hello".into(), "κόσμε".into()];
    }
    let summary = run_client(&url, &words, &mut std::io::stdout())?;
    println!("{summary}");
    if let Some(server) = server {
        server.join().map_err(|_| "server thread panicked")??;
    }
    Ok(())
}

/// Connects to `url`, sends each word as a text message, prints every message received, then
/// closes with 1000 once as many messages came back as were sent. Returns the close summary.
pub fn run_client(
    url: &str,
    words: &[String],
    out: &mut dyn Write,
) -> Result<String, Box<dyn Error>> {
    let rest = url.strip_prefix("ws://").ok_or("only ws:// URLs are supported here")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>()?),
        None => (authority, 80),
    };
    let mut sock = TcpStream::connect((host, port))?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut config = ClientConfig::new(host, path);
    if port != 80 {
        config = config.with_port(port);
    }
    let mut ws = Connection::client(config)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut received = 0;
    loop {
        // 1. Send what the core queued.
        while let Some(t) = ws.poll_transmit() {
            match t {
                Transmit::Data(bytes) => sock.write_all(&bytes)?,
                Transmit::Shutdown => sock.shutdown(Shutdown::Write)?,
            }
        }
        // 3. Handle what it decoded.
        while let Some(event) = ws.poll_event() {
            match event {
                Event::Opened { .. } => {
                    writeln!(out, "CONNECTED")?;
                    for w in words {
                        ws.send(Message::text(w.as_str()))?;
                        writeln!(out, "SENT: {w}")?;
                    }
                }
                Event::Message(m) => {
                    writeln!(out, "RECEIVED: {}", m.as_text().unwrap_or("<binary>"))?;
                    received += 1;
                    if received == words.len() {
                        ws.close(Some(CloseCode::NORMAL), "That's all folks")?;
                    }
                }
                Event::CloseReceived(frame) => {
                    writeln!(
                        out,
                        "DISCONNECTED: code {}, message {:?}",
                        frame.code, &*frame.reason
                    )?;
                }
                Event::Failed(e) => return Err(e.into()),
                _ => {}
            }
        }
        if ws.pending_transmit() > 0 {
            continue;
        }
        if !ws.wants_read() {
            break;
        }
        // 2. Feed what arrived.
        let n = sock.read(&mut buf)?;
        if n == 0 {
            ws.receive_eof();
        } else {
            ws.receive(&buf[..n]);
        }
    }
    let close = ws.close_received().ok_or("no close received")?;
    Ok(format!("closed cleanly: {} {:?}", close.code, &*close.reason))
}

/// Starts an echo server (the core's server role) for one connection on a free port.
pub fn spawn_echo_server()
-> std::io::Result<(std::net::SocketAddr, thread::JoinHandle<Result<(), String>>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        serve(sock).map_err(|e| e.to_string())
    });
    Ok((addr, handle))
}

/// Serves one connection: accepts the handshake, echoes every message, answers the Close and
/// closes TCP first, as RFC 6455 asks of a server.
pub fn serve(mut sock: TcpStream) -> Result<(), Box<dyn Error>> {
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut ws = Connection::server(ServerConfig::new());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = ws.poll_event() {
            match event {
                Event::Request(_) => ws.accept(None, None)?,
                Event::Message(m) => ws.send(m)?,
                Event::Failed(e) => return Err(e.into()),
                _ => {}
            }
        }
        while let Some(t) = ws.poll_transmit() {
            match t {
                Transmit::Data(bytes) => sock.write_all(&bytes)?,
                Transmit::Shutdown => {
                    sock.shutdown(Shutdown::Both)?;
                    return Ok(());
                }
            }
        }
        let n = sock.read(&mut buf)?;
        if n == 0 {
            ws.receive_eof();
        } else {
            ws.receive(&buf[..n]);
        }
    }
}
