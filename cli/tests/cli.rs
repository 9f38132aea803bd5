//! The `wsstream` binary, run as a user runs it: arguments, pipes, exit statuses.
//!
//! Servers listen on port 0 (`wsstream serve 127.0.0.1:0` prints the port it got), so tests run
//! in parallel without clashing. Every child process has a deadline and is killed after it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
const WSSTREAM: &str = env!("CARGO_BIN_EXE_wsstream");
/// How long any child may run.
const DEADLINE: Duration = Duration::from_secs(30);

/// What a finished run gave.
struct Run {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts the exit status, showing the outputs otherwise.
    fn assert_status(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr
        );
        self
    }

    /// Asserts that standard error is one line, without a panic, containing every `needle`.
    fn assert_one_error_line(&self, needles: &[&str]) {
        assert_eq!(self.stderr.lines().count(), 1, "stderr: {}", self.stderr);
        assert!(!self.stderr.contains("panicked"), "stderr: {}", self.stderr);
        for needle in needles {
            assert!(self.stderr.contains(needle), "{needle:?} not in stderr: {}", self.stderr);
        }
    }
}

/// Starts `wsstream args` with piped standard streams.
fn spawn(args: &[&str]) -> Child {
    Command::new(WSSTREAM)
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the wsstream binary runs")
}

/// Reads all of `from` on a thread.
fn drain(mut from: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = from.read_to_end(&mut out);
        out
    })
}

/// Waits for `child` to exit, killing it after the deadline; gives its remaining outputs.
fn finish(mut child: Child, stdin: Option<ChildStdin>) -> Run {
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wsstream did not exit within {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    drop(stdin);
    let join =
        |h: Option<thread::JoinHandle<Vec<u8>>>| h.map(|h| h.join().unwrap()).unwrap_or_default();
    Run {
        status,
        stdout: join(stdout),
        stderr: String::from_utf8_lossy(&join(stderr)).into_owned(),
    }
}

/// Runs `wsstream args` with `input` on standard input (then its end).
fn run(args: &[&str], input: &[u8]) -> Run {
    let mut child = spawn(args);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // A thread: the child may answer before it has read everything.
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let run = finish(child, None);
    writer.join().unwrap();
    run
}

/// A `wsstream serve` on a free port, killed when dropped.
struct Server {
    child: Child,
    /// `ws://127.0.0.1:PORT/` or `wss://...`.
    url: String,
    /// Its log, line by line.
    log: mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = spawn(&[&["serve", "127.0.0.1:0"], args].concat());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("listening on ").expect("the listening line").to_owned();
        let (tx, log) = mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, url, log }
    }

    /// Waits for a log line containing `needle`; gives it.
    fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line with {needle:?}"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn demo_without_url_plays_ping_pong_and_closes_after_count() {
    let run = run(&["demo", "--interval", "50ms", "--count", "3"], b"");
    run.assert_status(0);
    assert_eq!(
        run.stdout(),
        "CONNECTED\nSENT: ping\nRECEIVED: pong\nSENT: ping\nRECEIVED: pong\nSENT: ping\n\
         RECEIVED: pong\nDISCONNECTED: code 1000, message \"That's all folks\"\n"
    );
}

#[cfg(unix)]
#[test]
fn demo_closes_on_ctrl_c() {
    let mut child = spawn(&["demo", "--interval", "50ms"]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    // Two rounds: by then the demo listens for Ctrl-C.
    while seen.matches("RECEIVED: pong").count() < 2 {
        assert_ne!(stdout.read_line(&mut seen).unwrap(), 0, "stdout ended: {seen}");
    }
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let rest = drain(stdout);
    let run = finish(child, None);
    run.assert_status(0);
    let rest = String::from_utf8(rest.join().unwrap()).unwrap();
    assert!(
        rest.ends_with("DISCONNECTED: code 1000, message \"That's all folks\"\n"),
        "{seen}{rest}"
    );
}

#[test]
fn demo_closes_when_its_output_is_gone() {
    let mut child = spawn(&["demo", "--interval", "10ms"]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "CONNECTED\n");
    drop(stdout); // as `wsstream demo | head -1`
    let run = finish(child, None);
    run.assert_status(0);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn connect_round_trips_text_lines_through_serve() {
    let server = Server::start(&[]);
    let run = run(&["connect", &server.url], "hello\nwörld\r\n\nlast".as_bytes());
    run.assert_status(0);
    assert_eq!(run.stdout(), "hello\nwörld\n\nlast\n");
    assert_eq!(run.stderr, "");
    server.wait_for_log("open /");
    let closed = server.wait_for_log("closed");
    assert!(closed.contains("code 1000"), "{closed}");
}

#[test]
fn connect_round_trips_binary_raw_and_as_hex() {
    let server = Server::start(&["--echo"]);
    let every_byte: Vec<u8> = (0..=255).collect();
    let run_raw = run(&["connect", "--binary", "--raw", &server.url], &every_byte);
    run_raw.assert_status(0);
    assert_eq!(run_raw.stdout, every_byte);

    let run_hex = run(&["connect", "--binary", &server.url], b"\x00\x01\xab\xff");
    run_hex.assert_status(0);
    assert_eq!(run_hex.stdout(), "0001abff\n");
}

#[test]
fn broadcast_sends_to_every_other_client() {
    let server = Server::start(&["--broadcast"]);
    let mut a = spawn(&["connect", &server.url]);
    let mut b = spawn(&["connect", &server.url]);
    server.wait_for_log("#1 ");
    server.wait_for_log("#2 ");
    let mut a_in = a.stdin.take().unwrap();
    a_in.write_all(b"hi from a\n").unwrap();
    a_in.flush().unwrap();
    let mut b_out = BufReader::new(b.stdout.take().unwrap());
    let mut line = String::new();
    b_out.read_line(&mut line).unwrap();
    assert_eq!(line, "hi from a\n");

    drop(a_in);
    let a = finish(a, None);
    a.assert_status(0);
    assert_eq!(a.stdout(), "", "the sender does not get its own message");
    drop(b.stdin.take());
    let b = finish(b, None);
    b.assert_status(0);
}

#[test]
fn serve_accepts_an_offered_protocol() {
    let server = Server::start(&["--protocol", "chat"]);
    let run =
        run(&["connect", "--protocol", "superchat", "--protocol", "chat", &server.url], b"x\n");
    run.assert_status(0);
    assert_eq!(run.stdout(), "x\n");
    server.wait_for_log("(protocol chat)");
}

#[test]
fn a_message_over_max_message_size_fails_the_connection() {
    let server = Server::start(&[]);
    let run = run(&["connect", "--max-message-size", "8", &server.url], b"more than eight bytes\n");
    run.assert_status(4).assert_one_error_line(&["maximum", "code 1006"]);
    assert_eq!(run.stdout(), "");
}

/// A self-signed certificate for `localhost`, and its key, as PEM files.
fn certificate(name: &str) -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn wss_with_ca_or_insecure_and_an_untrusted_certificate() {
    let (cert, key) = certificate("wss");
    let server = Server::start(&["--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap()]);
    let url = server.url.replace("127.0.0.1", "localhost");
    assert!(url.starts_with("wss://"), "{url}");

    let run_ca = run(&["connect", "--ca", cert.to_str().unwrap(), &url], b"over tls\n");
    run_ca.assert_status(0);
    assert_eq!(run_ca.stdout(), "over tls\n");

    let run_insecure = run(&["connect", "--insecure", &url], b"anyway\n");
    run_insecure.assert_status(0);
    assert_eq!(run_insecure.stdout(), "anyway\n");

    let untrusted = run(&["connect", &url], b"");
    untrusted.assert_status(1).assert_one_error_line(&["TLS"]);
}

#[test]
fn serve_with_an_unreadable_certificate_fails() {
    let run = run(&["serve", "127.0.0.1:0", "--cert", "/nonexistent.pem", "--key", "/x.pem"], b"");
    run.assert_status(1).assert_one_error_line(&["/nonexistent.pem"]);
}

#[test]
fn invalid_urls_fail_with_one_line() {
    run(&["connect", "not a url"], b"").assert_status(1).assert_one_error_line(&["invalid URL"]);
    run(&["connect", "ftp://example.com/"], b"")
        .assert_status(1)
        .assert_one_error_line(&["scheme \"ftp\""]);
    run(&["demo", "ws://example.com/#fragment"], b"")
        .assert_status(1)
        .assert_one_error_line(&["fragment"]);
}

#[test]
fn a_refused_connection_fails_with_one_line() {
    // A port that was free a moment ago: nobody listens there.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("ws://127.0.0.1:{port}/");
    run(&["connect", &url], b"")
        .assert_status(1)
        .assert_one_error_line(&["could not connect", "refused"]);
}

/// A server for one connection, on a free port, that reads the request and answers `response`
/// (a `{accept}` in it becomes the Sec-WebSocket-Accept value); gives its URL and, on a
/// channel, the request it read. It then closes TCP.
fn fake_server(response: &'static str) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/chat", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0];
        while !request.ends_with(b"\r\n\r\n") && tcp.read(&mut byte).unwrap_or(0) == 1 {
            request.push(byte[0]);
        }
        let request = String::from_utf8_lossy(&request).into_owned();
        let key = request
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-key"))
            .map_or("", |(_, value)| value);
        let accept = wsstream_tokio::core::handshake::accept_key(key.trim().as_bytes());
        let _ = tcp.write_all(response.replace("{accept}", &accept).as_bytes());
        let _ = tx.send(request);
        thread::sleep(Duration::from_millis(100));
    });
    (url, rx)
}

#[test]
fn a_refused_handshake_shows_the_http_status_and_headers_are_sent() {
    let (url, request) = fake_server("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    let run = run(&["connect", "--header", "X-Test: 1", "--protocol", "chat", &url], b"");
    run.assert_status(1).assert_one_error_line(&["404"]);
    let request = request.recv_timeout(DEADLINE).unwrap().to_ascii_lowercase();
    assert!(request.starts_with("get /chat http/1.1\r\n"), "{request}");
    assert!(request.contains("\r\nx-test: 1\r\n"), "{request}");
    assert!(request.contains("\r\nsec-websocket-protocol: chat\r\n"), "{request}");
}

#[test]
fn a_lost_connection_exits_4() {
    let (url, _) = fake_server(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n",
    );
    // Standard input stays open: the server ends the connection, without a Close.
    let mut child = spawn(&["connect", &url]);
    let stdin = child.stdin.take();
    let run = finish(child, stdin);
    run.assert_status(4).assert_one_error_line(&["1006"]);
}

#[test]
fn a_close_code_other_than_1000_exits_3() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = wsstream_tokio::TcpListener::from_std(listener).unwrap();
            let (tcp, _) = listener.accept().await.unwrap();
            let incoming = wsstream_tokio::accept(tcp, Default::default()).await.unwrap();
            let wss = incoming.accept(None).unwrap();
            wss.close(wsstream_tokio::CloseInfo::new(4000, "go away")).unwrap();
            let _ = wss.closed().await;
        });
    });
    let mut child = spawn(&["connect", &url]);
    let stdin = child.stdin.take();
    let run = finish(child, stdin);
    server.join().unwrap();
    run.assert_status(3).assert_one_error_line(&["code 4000", "go away"]);
}

#[test]
fn usage_errors_exit_2_and_help_shows_examples() {
    run(&["connect"], b"").assert_status(2);
    run(&["connect", "--header", "no colon", "ws://x/"], b"").assert_status(2);
    run(&["demo", "--interval", "soon"], b"").assert_status(2);
    run(&["serve", "127.0.0.1:0", "--echo", "--broadcast"], b"").assert_status(2);
    let help = run(&["--help"], b"");
    help.assert_status(0);
    for needle in ["Examples:", "wsstream demo", "Exit status:", "130"] {
        assert!(help.stdout().contains(needle), "{needle:?} not in --help");
    }
}
