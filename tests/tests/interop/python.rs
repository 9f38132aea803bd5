//! Python `websockets` as the server for our client and as the client of our server: messages of
//! every size, subprotocols, close codes both ways.

use super::peer::{Behaviour, LONG, Peer, Program, SHORT, Server, all_sizes, echo, options, run};
use crate::ws::{self, CloseInfo, ErrorKind, Opened, WebSocketStream};

/// Starts `py_server.py` with `args`; gives it and its URL.
pub(crate) async fn python_server(args: &[&str]) -> (Peer, String) {
    let (peer, port) = Peer::server(Program::Python, "py_server.py", args).await;
    (peer, format!("ws://127.0.0.1:{port}/"))
}

/// Starts `py_client.py` against `url` with `args` (the scenario last).
pub(crate) fn python_client(url: &str, args: &[&str]) -> Peer {
    let mut all = vec![url];
    all.extend_from_slice(args);
    Peer::start(Program::Python, "py_client.py", &all)
}

/// Our client, open: the handle and its streams.
pub(crate) async fn connect(url: &str, options: ws::Options) -> (WebSocketStream, Opened) {
    let wss = WebSocketStream::new(url, options).unwrap();
    let opened = wss.opened().await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    (wss, opened)
}

#[test]
fn our_client_round_trips_every_size_through_a_python_server() {
    run(LONG, async {
        let (mut peer, url) = python_server(&["echo", "--deflate", "off"]).await;
        let (wss, Opened { mut readable, mut writable, protocol, extensions, .. }) =
            connect(&url, options()).await;
        assert_eq!((protocol.as_str(), extensions.as_str()), ("", ""));
        assert_eq!(peer.line("OPEN").await, "- -");
        let specs = all_sizes();
        echo(&mut readable, &mut writable, &specs.iter().map(String::as_str).collect::<Vec<_>>())
            .await;
        wss.close(CloseInfo::default()).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(1005, ""));
        assert_eq!(peer.line("CLOSED").await, "1005 -");
    });
}

#[test]
fn a_python_client_round_trips_every_size_through_our_server() {
    run(LONG, async {
        let server = Server::start(options(), |_| None, Behaviour::Echo, None, None).await;
        let specs = all_sizes();
        let scenario = format!("echo:{}", specs.join(","));
        let mut peer = python_client(&format!("ws://127.0.0.1:{}/", server.port), &[&scenario]);
        assert_eq!(peer.line("OPEN").await, "- -");
        for spec in &specs {
            assert_eq!(&peer.line("ECHO").await, spec);
        }
        assert_eq!(peer.line("CLOSED").await, "1000 -");
        peer.success().await;
        let served = server.report().await.unwrap();
        let received: Vec<&str> = served.messages.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(received, specs);
        assert_eq!(served.closed.unwrap(), CloseInfo::new(1000, ""));
    });
}

#[test]
fn a_python_server_chooses_among_our_subprotocols() {
    run(SHORT, async {
        let (mut peer, url) = python_server(&["echo", "--protocols", "chat,superchat"]).await;
        let protocols = vec!["superchat".into(), "chat".into()];
        let (wss, Opened { protocol, .. }) =
            connect(&url, ws::Options { protocols, ..options() }).await;
        // websockets picks by the server's preference.
        assert_eq!(protocol, "chat");
        assert_eq!(peer.line("OPEN").await, "chat -");
        wss.close(CloseInfo::new(1000, "done")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(1000, "done"));
    });
}

#[test]
fn a_python_server_refusing_our_subprotocols_fails_the_handshake() {
    run(SHORT, async {
        let (_peer, url) = python_server(&["echo", "--protocols", "chat"]).await;
        let wss =
            WebSocketStream::new(&url, ws::Options { protocols: vec!["mqtt".into()], ..options() })
                .unwrap();
        let e = wss.opened().await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Handshake, Some(1006)), "{e}");
        assert!(e.to_string().contains("400"), "{e}");
    });
}

#[test]
fn a_python_server_choosing_no_subprotocol_fails_the_handshake() {
    run(SHORT, async {
        // SEMANTICS.md: "no protocol chosen when some were offered" fails, as in the browser.
        let (_peer, url) = python_server(&["echo"]).await;
        let wss =
            WebSocketStream::new(&url, ws::Options { protocols: vec!["chat".into()], ..options() })
                .unwrap();
        let e = wss.opened().await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Handshake, Some(1006)), "{e}");
    });
}

#[test]
fn our_server_chooses_among_a_python_clients_subprotocols() {
    run(SHORT, async {
        let choose = |offered: &[String]| offered.last().cloned();
        let server = Server::start(options(), choose, Behaviour::Echo, None, None).await;
        let url = format!("ws://127.0.0.1:{}/", server.port);
        let mut peer = python_client(&url, &["--protocols", "a,b", "echo:t3"]);
        assert_eq!(peer.line("OPEN").await, "b -");
        peer.success().await;
        let served = server.report().await.unwrap();
        assert_eq!((served.protocol.as_str(), served.extensions.as_str()), ("b", ""));
    });
}

#[test]
fn a_python_server_closing_with_4001_is_reported_by_closed() {
    run(SHORT, async {
        let (mut peer, url) = python_server(&["close:4001:bye"]).await;
        let (wss, Opened { mut readable, .. }) = connect(&url, options()).await;
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4001, "bye"));
        assert!(readable.read().await.is_none());
        // We echoed its code and reason.
        assert_eq!(peer.line("CLOSED").await, "4001 bye");
    });
}

#[test]
fn our_client_closing_with_4002_is_reported_by_a_python_server() {
    run(SHORT, async {
        let (mut peer, url) = python_server(&["echo"]).await;
        let (wss, _) = connect(&url, options()).await;
        wss.close(CloseInfo::new(4002, "later")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4002, "later"));
        assert_eq!(peer.line("CLOSED").await, "4002 later");
    });
}

#[test]
fn a_python_client_closing_with_4001_is_reported_by_our_server() {
    run(SHORT, async {
        let server = Server::start(options(), |_| None, Behaviour::Echo, None, None).await;
        let url = format!("ws://127.0.0.1:{}/", server.port);
        let mut peer = python_client(&url, &["close:4001:bye"]);
        assert_eq!(peer.line("CLOSED").await, "4001 bye");
        peer.success().await;
        assert_eq!(server.report().await.unwrap().closed.unwrap(), CloseInfo::new(4001, "bye"));
    });
}

#[test]
fn our_server_closing_with_4002_is_reported_by_a_python_client() {
    run(SHORT, async {
        let close = Behaviour::Close(CloseInfo::new(4002, "later"));
        let server = Server::start(options(), |_| None, close, None, None).await;
        let url = format!("ws://127.0.0.1:{}/", server.port);
        let mut peer = python_client(&url, &["wait"]);
        assert_eq!(peer.line("CLOSED").await, "4002 later");
        peer.success().await;
        assert_eq!(server.report().await.unwrap().closed.unwrap(), CloseInfo::new(4002, "later"));
    });
}
