//! Real peers as child processes (the scripts in `tests/peers/`), and what the interop tests
//! share: patterned messages, our own servers for the peers' clients, a byte-counting TCP relay
//! and certificates on disk.
//!
//! A [`Peer`] is killed and reaped when dropped, so a failing or timed-out test leaves nothing
//! running; every wait on it is bounded.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use futures_rustls::TlsAcceptor;
use futures_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use futures_rustls::rustls::{self, ServerConfig};

use crate::rt;
use crate::semantics::util::{self, oneshot};
use crate::ws::{self, CloseInfo, Message, Opened, WebSocketError, WebSocketStream};

/// The limit on a test whose messages are small.
pub(crate) const SHORT: Duration = Duration::from_secs(20);
/// The limit on a test that moves 16 MiB messages.
pub(crate) const LONG: Duration = Duration::from_secs(90);
/// How long a peer may take to print an expected line or to exit.
const PEER_WAIT: Duration = Duration::from_secs(30);

/// The message sizes of the echo tests: each side of every length-encoding boundary.
pub(crate) const SIZES: [usize; 8] = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];

/// Runs a test body on the runtime, failing it after `limit`.
pub(crate) fn run<F: Future<Output = ()> + Send + 'static>(limit: Duration, f: F) {
    rt::block_on(async move {
        if util::timeout(limit, f).await.is_none() {
            panic!("the test took more than {limit:?}");
        }
    });
}

/// Options for talking to real peers: room for 16 MiB messages, no compression unless a test
/// asks for it, and the tests' short timeouts but for the close timeout: the peers' replies are
/// prompt, but on a busy machine (or smol's one executor thread, shared with the other tests)
/// our driver may run late, and it judges the close deadline before decoding what it just read.
pub(crate) fn options() -> ws::Options {
    ws::Options {
        close_timeout: Duration::from_secs(5),
        max_frame_size: 64 << 20,
        max_message_size: 64 << 20,
        deflate: None,
        ..util::options()
    }
}

/// `spec` as a message, as the peer scripts build it: `tN` N bytes of patterned ASCII text, `bN`
/// N patterned bytes, `u` a short text with multi-byte characters.
pub(crate) fn message(spec: &str) -> Message {
    if spec == "u" {
        return Message::text(UTF8_SAMPLE);
    }
    let (kind, n) = spec.split_at(1);
    let n: usize = n.parse().expect("a length");
    match kind {
        "t" => Message::text(String::from_utf8(pattern(b't', n)).expect("ASCII")),
        "b" => Message::binary(pattern(b'b', n)),
        _ => panic!("no message {spec:?}"),
    }
}

/// The text of the `u` message.
const UTF8_SAMPLE: &str = "h\u{e9}llo w\u{f6}rld \u{2713} \u{1f389}";

/// N patterned bytes: lowercase ASCII for text (`t`), any byte for binary (`b`); the length
/// seeds the pattern, so a message cut or shifted does not match.
fn pattern(kind: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            let v = i.wrapping_mul(7).wrapping_add(n);
            // Both remainders are below 256.
            if kind == b't' { b'a' + (v % 26) as u8 } else { (v % 251) as u8 }
        })
        .collect()
}

/// The specs of every size, text and binary, and the multi-byte text.
pub(crate) fn all_sizes() -> Vec<String> {
    let mut specs: Vec<String> =
        SIZES.iter().flat_map(|n| [format!("t{n}"), format!("b{n}")]).collect();
    specs.push("u".into());
    specs
}

/// Sends each message of `specs` and checks that it comes back unchanged.
pub(crate) async fn echo(readable: &mut ws::Readable, writable: &mut ws::Writable, specs: &[&str]) {
    for spec in specs {
        let sent = message(spec);
        writable.send(sent.clone()).await.unwrap_or_else(|e| panic!("sending {spec}: {e}"));
        let back = readable
            .read()
            .await
            .unwrap_or_else(|| panic!("the stream ended before {spec} came back"))
            .unwrap_or_else(|e| panic!("reading {spec}: {e}"));
        assert!(
            back == sent,
            "{spec} came back as {} bytes, text: {}",
            back.len(),
            back.as_text().is_some()
        );
    }
}

/// Which peer program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Program {
    /// Python 3 with `websockets`.
    Python,
    /// Node with `ws`.
    Node,
}

/// A peer script running as a child process; killed and reaped on drop.
pub(crate) struct Peer {
    child: Child,
    name: String,
    lines: mpsc::Receiver<String>,
    /// Lines read but not yet consumed by [`line`](Self::line).
    pending: VecDeque<String>,
    /// Everything it printed, for failure messages.
    stdout: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Peer {
    /// Starts `script` (a file of `tests/peers/`) with `args` on `program`.
    ///
    /// # Panics
    /// If the peer is not installed: the message says to run `scripts/peers.sh`.
    pub(crate) fn start(program: Program, script: &str, args: &[&str]) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers").join(script);
        let mut command = match program {
            Program::Python => {
                let mut c = Command::new(installed("PEER_PYTHON", "python"));
                c.arg("-u").env("PYTHONDONTWRITEBYTECODE", "1");
                c
            }
            Program::Node => {
                let mut c = Command::new(installed("PEER_NODE", "node"));
                c.env("NODE_PATH", installed("PEER_NODE_MODULES", "node"));
                c
            }
        };
        command.arg(&path).args(args);
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let name = format!("{script} {}", args.join(" "));
        let mut child = command.spawn().unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self { child, name, lines, pending: VecDeque::new(), stdout: Vec::new(), stderr }
    }

    /// Starts a server script and waits for its `LISTENING <port>`; gives the port.
    pub(crate) async fn server(program: Program, script: &str, args: &[&str]) -> (Self, u16) {
        let mut peer = Self::start(program, script, args);
        let port = peer.line("LISTENING").await;
        let port = port.parse().unwrap_or_else(|_| peer.fail(&format!("bad port {port:?}")));
        (peer, port)
    }

    /// Waits for the next line starting with `word` (lines before it are skipped); gives the
    /// rest of it, trimmed.
    pub(crate) async fn line(&mut self, word: &str) -> String {
        let deadline = Instant::now() + PEER_WAIT;
        loop {
            while let Some(line) = self.pending.pop_front() {
                if let Some(rest) = line.strip_prefix(word) {
                    if rest.is_empty() || rest.starts_with(' ') {
                        return rest.trim().to_owned();
                    }
                }
            }
            match self.lines.try_recv() {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    self.pending.push_back(line);
                }
                Err(mpsc::TryRecvError::Empty) if Instant::now() < deadline => {
                    rt::sleep(Duration::from_millis(5)).await;
                }
                Err(mpsc::TryRecvError::Empty) => {
                    self.fail(&format!("no `{word}` line within {PEER_WAIT:?}"))
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    // Give stderr a moment to be collected.
                    rt::sleep(Duration::from_millis(50)).await;
                    self.fail(&format!("it exited without a `{word}` line"))
                }
            }
        }
    }

    /// Waits (bounded) for the peer to exit; fails unless it exits with status 0.
    pub(crate) async fn success(&mut self) {
        let status = self.exit().await;
        if !status.success() {
            rt::sleep(Duration::from_millis(50)).await;
            self.fail(&format!("it exited with {status}"));
        }
    }

    /// Waits (bounded) for the peer to exit.
    pub(crate) async fn exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PEER_WAIT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => rt::sleep(Duration::from_millis(5)).await,
                Ok(None) => self.fail(&format!("it did not exit within {PEER_WAIT:?}")),
                Err(e) => self.fail(&format!("waiting for it: {e}")),
            }
        }
    }

    /// Fails the test with what the peer printed.
    fn fail(&mut self, what: &str) -> ! {
        while let Ok(line) = self.lines.try_recv() {
            self.stdout.push(line);
        }
        panic!(
            "peer `{}`: {what}\n--- its stdout:\n{}\n--- its stderr:\n{}",
            self.name,
            self.stdout.join("\n"),
            self.stderr.lock().unwrap()
        );
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `var`: from the environment, else from `.peers/env.sh` (written by
/// `scripts/peers.sh`).
///
/// # Panics
/// If neither has it, or it names a path that does not exist: the peer is not installed.
fn installed(var: &str, peer: &str) -> String {
    let env_sh = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.peers/env.sh");
    let value = std::env::var(var).ok().filter(|v| !v.is_empty()).or_else(|| {
        let text = std::fs::read_to_string(&env_sh).ok()?;
        text.lines().find_map(|line| {
            let value = line.strip_prefix("export ")?.strip_prefix(var)?.strip_prefix('=')?;
            Some(unquote(value))
        })
    });
    match value {
        Some(v) if Path::new(&v).exists() => v,
        found => panic!(
            "the {peer} test peer is not installed ({var} is {found:?}, from the environment or \
             {}): run `scripts/peers.sh {peer}` first (scripts/test.sh does)",
            env_sh.display()
        ),
    }
}

/// Undoes bash's `printf %q` for the paths `scripts/peers.sh` writes.
fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.to_owned();
    }
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
    }
    out
}

/// What one of our servers saw of a connection.
#[derive(Debug)]
pub(crate) struct Served {
    /// The negotiated subprotocol, as `opened` gave it.
    pub(crate) protocol: String,
    /// The negotiated extensions, as `opened` gave them.
    pub(crate) extensions: String,
    /// Each message received: its spec if it matches a patterned one (`t5`, `b0`, `u`), else
    /// `?<kind><len>`, and the relay's byte counts (up, down) when it arrived.
    pub(crate) messages: Vec<(String, (u64, u64))>,
    /// What `closed` gave.
    pub(crate) closed: Result<CloseInfo, WebSocketError>,
}

/// What our server does once open.
#[derive(Debug, Clone)]
pub(crate) enum Behaviour {
    /// Sends every message back.
    Echo,
    /// Closes at once with this.
    Close(CloseInfo),
}

/// One of our servers, for one connection of a peer's client.
pub(crate) struct Server {
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
    report: oneshot::Receiver<Result<Served, String>>,
}

impl Server {
    /// Serves one connection: accepts choosing `choose(offered protocols)`, then `behaviour`.
    /// With `tls`, over TLS with that certificate. `relay` gives byte counts to record.
    pub(crate) async fn start(
        options: ws::Options,
        choose: fn(&[String]) -> Option<String>,
        behaviour: Behaviour,
        tls: Option<&Cert>,
        relay: Option<Counts>,
    ) -> Self {
        let acceptor = tls.map(|cert| cert.acceptor());
        let (listener, addr) = util::listen().await;
        let (tx, report) = oneshot::channel();
        rt::spawn(async move {
            let counts = relay.unwrap_or_default();
            let served = match listener.accept().await {
                Err(e) => Err(format!("accept: {e}")),
                Ok((tcp, _)) => match acceptor {
                    None => serve(rt::raw(tcp), options, choose, behaviour, counts).await,
                    Some(acceptor) => match acceptor.accept(rt::raw(tcp)).await {
                        Ok(tls) => serve(tls, options, choose, behaviour, counts).await,
                        Err(e) => Err(format!("TLS accept: {e}")),
                    },
                },
            };
            tx.send(served);
        });
        Self { port: addr.port(), report }
    }

    /// What the server saw, once the connection is over (or failed to open: the error).
    pub(crate) async fn report(self) -> Result<Served, String> {
        self.report.recv().await
    }
}

async fn serve<T>(
    io: T,
    options: ws::Options,
    choose: fn(&[String]) -> Option<String>,
    behaviour: Behaviour,
    counts: Counts,
) -> Result<Served, String>
where
    T: futures_util::AsyncRead + futures_util::AsyncWrite + Unpin + Send + 'static,
{
    let incoming =
        WebSocketStream::accept(io, options).await.map_err(|e| format!("accept: {e}"))?;
    let protocol = choose(incoming.protocols());
    let wss = incoming.accept(protocol.as_deref()).map_err(|e| format!("accept: {e}"))?;
    let Opened { mut readable, mut writable, protocol, extensions, .. } =
        wss.opened().await.map_err(|e| format!("opened: {e}"))?;
    let mut messages = Vec::new();
    match behaviour {
        Behaviour::Echo => {
            while let Some(Ok(m)) = readable.read().await {
                messages.push((spec_of(&m), counts.get()));
                if writable.send(m).await.is_err() {
                    break;
                }
            }
        }
        Behaviour::Close(info) => wss.close(info).map_err(|e| format!("close: {e}"))?,
    }
    let closed = wss.closed().await;
    Ok(Served { protocol, extensions, messages, closed })
}

/// The spec of a patterned message, or `?t<len>` / `?b<len>`.
fn spec_of(m: &Message) -> String {
    let kind = if m.as_text().is_some() { "t" } else { "b" };
    let spec = format!("{kind}{}", m.len());
    if m.as_text() == Some(UTF8_SAMPLE) {
        "u".into()
    } else if *m == message(&spec) {
        spec
    } else {
        format!("?{spec}")
    }
}

/// The byte counts of a [`relay`]: up (towards the target) and down.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts(Arc<(AtomicU64, AtomicU64)>);

impl Counts {
    /// (up, down) so far.
    pub(crate) fn get(&self) -> (u64, u64) {
        (self.0.0.load(Ordering::SeqCst), self.0.1.load(Ordering::SeqCst))
    }
}

/// Relays one TCP connection from a free port of 127.0.0.1 to `target_port`, counting the bytes
/// each way (counted before they are passed on). Gives its port. Threads, so any runtime will do;
/// they end when both sides have closed, or after a while without a connection.
pub(crate) fn relay(target_port: u16, counts: &Counts) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let counts = counts.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + PEER_WAIT;
        let client = loop {
            match listener.accept() {
                Ok((tcp, _)) => break tcp,
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => return,
            }
        };
        let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else { return };
        for s in [&client, &server] {
            let _ = s.set_nonblocking(false);
            let _ = s.set_nodelay(true);
        }
        let (c2, s2) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
        let up = counts.clone();
        std::thread::spawn(move || pump(client, server, |n| up.0.0.fetch_add(n, Ordering::SeqCst)));
        pump(s2, c2, |n| counts.0.1.fetch_add(n, Ordering::SeqCst));
    });
    port
}

fn pump(mut from: TcpStream, mut to: TcpStream, count: impl Fn(u64) -> u64) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                count(n as u64);
                if to.write_all(&buf[..n]).is_err() {
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
            }
            Err(_) => {
                let _ = to.shutdown(Shutdown::Both);
                return;
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// A self-signed certificate for `localhost`, made for the test, with PEM files for the peers;
/// the files go when it is dropped.
pub(crate) struct Cert {
    pub(crate) der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    dir: PathBuf,
}

impl Cert {
    pub(crate) fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "wsstream-interop-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        std::fs::write(dir.join("cert.pem"), certified.cert.pem()).expect("cert.pem");
        std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem())
            .expect("key.pem");
        Self {
            der: certified.cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
            dir,
        }
    }

    /// The certificate, PEM.
    pub(crate) fn cert_pem(&self) -> String {
        self.dir.join("cert.pem").display().to_string()
    }

    /// The private key, PEM.
    pub(crate) fn key_pem(&self) -> String {
        self.dir.join("key.pem").display().to_string()
    }

    /// Client options trusting this certificate only.
    pub(crate) fn trusting(&self, options: ws::Options) -> ws::Options {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        ws::Options { tls: Some(ws::tls_client_config(roots).unwrap()), ..options }
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(self.key.clone_key());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.der.clone()], key)
            .unwrap();
        TlsAcceptor::from(Arc::new(config))
    }
}

impl Drop for Cert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
