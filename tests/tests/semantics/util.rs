//! Servers written for the tests: on our own server API, or raw TCP where a misbehaving peer is
//! needed; and helpers to bound every test's time.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::{Either, select};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};

use crate::{rt, ws};

/// The limit on any one test.
const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs a test body with a time limit.
pub(crate) fn run<F: Future<Output = ()> + Send + 'static>(f: F) {
    rt::block_on(async move {
        if timeout(TEST_TIMEOUT, f).await.is_none() {
            panic!("the test took more than {TEST_TIMEOUT:?}");
        }
    });
}

/// `f`'s output, or `None` after `d`.
pub(crate) async fn timeout<F: Future>(d: Duration, f: F) -> Option<F::Output> {
    match select(Box::pin(f), Box::pin(rt::sleep(d))).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// Options with short timeouts, for tests.
pub(crate) fn options() -> ws::Options {
    ws::Options {
        close_timeout: Duration::from_millis(500),
        server_close_wait: Duration::from_millis(300),
        connect_timeout: Some(Duration::from_secs(5)),
        ..ws::Options::default()
    }
}

/// A listener on a free port.
pub(crate) async fn listen() -> (ws::TcpListener, SocketAddr) {
    let listener = ws::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    (listener, addr)
}

/// Serves one connection on our server API with `f`; gives the URL to connect to.
pub(crate) async fn serve_once<F, Fut>(f: F) -> String
where
    F: FnOnce(ws::Incoming) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (listener, addr) = listen().await;
    rt::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            if let Ok(incoming) = ws::accept(tcp, options()).await {
                f(incoming).await;
            }
        }
    });
    format!("ws://{addr}/")
}

/// An echo server on our API, for one connection; gives the URL.
pub(crate) async fn echo_once() -> String {
    serve_once(|incoming| async move {
        let Ok(wss) = incoming.accept(None) else { return };
        let Ok(ws::Opened { mut readable, mut writable, .. }) = wss.opened().await else { return };
        while let Some(Ok(message)) = readable.read().await {
            if writable.send(message).await.is_err() {
                break;
            }
        }
        let _ = wss.closed().await;
    })
    .await
}

/// Serves one raw TCP connection with `f`; gives the URL to connect to.
pub(crate) async fn raw_once<F, Fut>(f: F) -> String
where
    F: FnOnce(rt::Tcp) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (listener, addr) = listen().await;
    rt::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            f(rt::raw(tcp)).await;
        }
    });
    format!("ws://{addr}/")
}

/// Reads the client's request; gives its `Sec-WebSocket-Key`.
pub(crate) async fn read_request(tcp: &mut rt::Tcp) -> String {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte).await.unwrap_or(0) == 0 {
            return String::new();
        }
        request.push(byte[0]);
    }
    let request = String::from_utf8_lossy(&request).into_owned();
    request
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

/// Reads the request and answers 101 with the right key plus `extra` header lines.
pub(crate) async fn raw_handshake(tcp: &mut rt::Tcp, extra: &str) {
    let key = read_request(tcp).await;
    let accept = wsstream_core::handshake::accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
    );
    let _ = tcp.write_all(response.as_bytes()).await;
}

/// An unmasked (server) frame.
pub(crate) fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// A server Close frame.
pub(crate) fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    frame(0x8, &payload)
}

/// Reads one (masked, client) frame: its opcode and unmasked payload; `None` at EOF.
pub(crate) async fn read_frame(tcp: &mut rt::Tcp) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            tcp.read_exact(&mut b).await.ok()?;
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            tcp.read_exact(&mut b).await.ok()?;
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut mask = [0u8; 4];
    if head[1] & 0x80 != 0 {
        tcp.read_exact(&mut mask).await.ok()?;
    }
    let mut payload = vec![0u8; usize::try_from(len).ok()?];
    tcp.read_exact(&mut payload).await.ok()?;
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
    Some((head[0] & 0x0f, payload))
}

/// Reads frames until a Close; gives its code (1005 for an empty body) and reason.
pub(crate) async fn read_close(tcp: &mut rt::Tcp) -> Option<(u16, String)> {
    loop {
        let (opcode, payload) = read_frame(tcp).await?;
        if opcode == 0x8 {
            if payload.len() < 2 {
                return Some((1005, String::new()));
            }
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            return Some((code, String::from_utf8_lossy(&payload[2..]).into_owned()));
        }
    }
}

/// Whether the peer closed TCP within `d` (reading and discarding what comes).
pub(crate) async fn eof_within(tcp: &mut rt::Tcp, d: Duration) -> bool {
    timeout(d, async {
        let mut buf = [0u8; 4096];
        while tcp.read(&mut buf).await.unwrap_or(0) > 0 {}
    })
    .await
    .is_some()
}

/// A one-shot channel good enough for tests, on std only.
pub(crate) mod oneshot {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    pub(crate) struct Sender<T>(Arc<Mutex<Option<T>>>);
    pub(crate) struct Receiver<T>(Arc<Mutex<Option<T>>>);

    pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let slot = Arc::new(Mutex::new(None));
        (Sender(slot.clone()), Receiver(slot))
    }

    impl<T> Sender<T> {
        pub(crate) fn send(self, value: T) {
            *self.0.lock().unwrap() = Some(value);
        }
    }

    impl<T> Receiver<T> {
        pub(crate) async fn recv(self) -> T {
            loop {
                if let Some(value) = self.0.lock().unwrap().take() {
                    return value;
                }
                crate::rt::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
