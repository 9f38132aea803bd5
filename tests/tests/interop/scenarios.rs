//! The scenarios every peer runs, written once: `python` and `node` call them with their
//! [`PeerScripts`].

use super::peer::{Behaviour, Peer, Program, Server, all_sizes, echo, options};
use crate::ws::{self, CloseInfo, Opened, WebSocketStream};

/// A peer's server and client scripts (in `tests/peers/`), and how its server echoes plainly.
pub(crate) struct PeerScripts {
    pub(crate) program: Program,
    pub(crate) server: &'static str,
    pub(crate) client: &'static str,
    /// The server's arguments for an echo without compression.
    pub(crate) plain_echo: &'static [&'static str],
}

impl PeerScripts {
    /// Starts the peer's server with `args`; gives it and its URL.
    pub(crate) async fn server(&self, args: &[&str]) -> (Peer, String) {
        let (peer, port) = Peer::server(self.program, self.server, args).await;
        (peer, format!("ws://127.0.0.1:{port}/"))
    }

    /// Starts the peer's client against `url` with `args` (the scenario last).
    pub(crate) fn client(&self, url: &str, args: &[&str]) -> Peer {
        let mut all = vec![url];
        all.extend_from_slice(args);
        Peer::start(self.program, self.client, &all)
    }

    /// Starts the peer's client against our server on `port`.
    fn client_of(&self, server: &Server, args: &[&str]) -> Peer {
        self.client(&format!("ws://127.0.0.1:{}/", server.port), args)
    }
}

/// Our client, open: the handle and its streams.
pub(crate) async fn connect(url: &str, options: ws::Options) -> (WebSocketStream, Opened) {
    let wss = WebSocketStream::new(url, options).unwrap();
    let opened = wss.opened().await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    (wss, opened)
}

/// Our client echoes every size through the peer's server, then closes with an empty Close.
pub(crate) async fn our_client_round_trips_every_size(p: &PeerScripts) {
    let (mut peer, url) = p.server(p.plain_echo).await;
    let (wss, Opened { mut readable, mut writable, protocol, extensions, .. }) =
        connect(&url, options()).await;
    assert_eq!((protocol.as_str(), extensions.as_str()), ("", ""));
    assert_eq!(peer.line("OPEN").await, "- -");
    let specs = all_sizes();
    echo(&mut readable, &mut writable, &specs.iter().map(String::as_str).collect::<Vec<_>>()).await;
    wss.close(CloseInfo::default()).unwrap();
    assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(1005, ""));
    assert_eq!(peer.line("CLOSED").await, "1005 -");
}

/// The peer's client echoes every size through our server, then closes with 1000.
pub(crate) async fn peer_client_round_trips_every_size(p: &PeerScripts) {
    let server = Server::start(options(), |_| None, Behaviour::Echo, None, None).await;
    let specs = all_sizes();
    let mut peer = p.client_of(&server, &[&format!("echo:{}", specs.join(","))]);
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
}

/// The peer's server picks `chat` (its own preference) from our `superchat, chat`.
pub(crate) async fn peer_server_chooses_among_our_subprotocols(p: &PeerScripts) {
    let mut args = p.plain_echo.to_vec();
    args.extend(["--protocols", "chat,superchat"]);
    let (mut peer, url) = p.server(&args).await;
    let protocols = vec!["superchat".into(), "chat".into()];
    let (wss, Opened { protocol, .. }) =
        connect(&url, ws::Options { protocols, ..options() }).await;
    assert_eq!(protocol, "chat");
    assert_eq!(peer.line("OPEN").await, "chat -");
    wss.close(CloseInfo::new(1000, "done")).unwrap();
    assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(1000, "done"));
    assert_eq!(peer.line("CLOSED").await, "1000 done");
}

/// Our server picks the last of the peer client's `a, b`.
pub(crate) async fn our_server_chooses_among_peer_subprotocols(p: &PeerScripts) {
    let choose = |offered: &[String]| offered.last().cloned();
    let server = Server::start(options(), choose, Behaviour::Echo, None, None).await;
    let mut peer = p.client_of(&server, &["--protocols", "a,b", "echo:t3"]);
    assert_eq!(peer.line("OPEN").await, "b -");
    peer.success().await;
    let served = server.report().await.unwrap();
    assert_eq!((served.protocol.as_str(), served.extensions.as_str()), ("b", ""));
}

/// The peer's server closes with 4001: `closed` reports it, the readable ends, and we echoed
/// its code and reason.
pub(crate) async fn peer_server_closing_is_reported_by_closed(p: &PeerScripts) {
    let (mut peer, url) = p.server(&["close:4001:bye"]).await;
    let (wss, Opened { mut readable, .. }) = connect(&url, options()).await;
    assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4001, "bye"));
    assert!(readable.read().await.is_none());
    assert_eq!(peer.line("CLOSED").await, "4001 bye");
}

/// Our client closes with 4002; the peer's server sees that code and reason.
pub(crate) async fn our_client_closing_is_reported_by_the_peer_server(p: &PeerScripts) {
    let (mut peer, url) = p.server(p.plain_echo).await;
    let (wss, _) = connect(&url, options()).await;
    wss.close(CloseInfo::new(4002, "later")).unwrap();
    assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4002, "later"));
    assert_eq!(peer.line("CLOSED").await, "4002 later");
}

/// The peer's client closes with 4001; our server's `closed` reports it.
pub(crate) async fn peer_client_closing_is_reported_by_our_server(p: &PeerScripts) {
    let server = Server::start(options(), |_| None, Behaviour::Echo, None, None).await;
    let mut peer = p.client_of(&server, &["close:4001:bye"]);
    assert_eq!(peer.line("CLOSED").await, "4001 bye");
    peer.success().await;
    assert_eq!(server.report().await.unwrap().closed.unwrap(), CloseInfo::new(4001, "bye"));
}

/// Our server closes with 4002; the peer's client sees that code and reason.
pub(crate) async fn our_server_closing_is_reported_by_the_peer_client(p: &PeerScripts) {
    let close = Behaviour::Close(CloseInfo::new(4002, "later"));
    let server = Server::start(options(), |_| None, close, None, None).await;
    let mut peer = p.client_of(&server, &["wait"]);
    assert_eq!(peer.line("CLOSED").await, "4002 later");
    peer.success().await;
    assert_eq!(server.report().await.unwrap().closed.unwrap(), CloseInfo::new(4002, "later"));
}
