//! Node `ws` as the server for our client and as the client of our server: messages of every
//! size, subprotocols, close codes both ways, and its permessage-deflate.

use super::peer::{Behaviour, LONG, Peer, Program, SHORT, Server, all_sizes, echo, options, run};
use super::python::connect;
use crate::ws::{self, CloseInfo, DeflateConfig, Opened};

/// Starts `node_server.js` with `args`; gives it and its URL.
async fn node_server(args: &[&str]) -> (Peer, String) {
    let (peer, port) = Peer::server(Program::Node, "node_server.js", args).await;
    (peer, format!("ws://127.0.0.1:{port}/"))
}

/// Starts `node_client.js` against our server on `port` with `args` (the scenario last).
fn node_client(port: u16, args: &[&str]) -> Peer {
    let url = format!("ws://127.0.0.1:{port}/");
    let mut all = vec![url.as_str()];
    all.extend_from_slice(args);
    Peer::start(Program::Node, "node_client.js", &all)
}

#[test]
fn our_client_round_trips_every_size_through_a_node_server() {
    run(LONG, async {
        let (mut peer, url) = node_server(&["echo"]).await;
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
fn a_node_client_round_trips_every_size_through_our_server() {
    run(LONG, async {
        let server = Server::start(options(), |_| None, Behaviour::Echo, None, None).await;
        let specs = all_sizes();
        let mut peer = node_client(server.port, &[&format!("echo:{}", specs.join(","))]);
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
fn a_node_server_chooses_among_our_subprotocols() {
    run(SHORT, async {
        let (mut peer, url) = node_server(&["echo", "--protocols", "chat,superchat"]).await;
        let protocols = vec!["superchat".into(), "chat".into()];
        let (wss, Opened { protocol, .. }) =
            connect(&url, ws::Options { protocols, ..options() }).await;
        assert_eq!(protocol, "chat");
        assert_eq!(peer.line("OPEN").await, "chat -");
        wss.close(CloseInfo::new(1000, "done")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(1000, "done"));
        assert_eq!(peer.line("CLOSED").await, "1000 done");
    });
}

#[test]
fn our_server_chooses_among_a_node_clients_subprotocols() {
    run(SHORT, async {
        let choose = |offered: &[String]| offered.last().cloned();
        let server = Server::start(options(), choose, Behaviour::Echo, None, None).await;
        let mut peer = node_client(server.port, &["--protocols", "a,b", "echo:t3"]);
        assert_eq!(peer.line("OPEN").await, "b -");
        peer.success().await;
        assert_eq!(server.report().await.unwrap().protocol, "b");
    });
}

#[test]
fn a_node_server_closing_with_4001_is_reported_by_closed() {
    run(SHORT, async {
        let (mut peer, url) = node_server(&["close:4001:bye"]).await;
        let (wss, Opened { mut readable, .. }) = connect(&url, options()).await;
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4001, "bye"));
        assert!(readable.read().await.is_none());
        assert_eq!(peer.line("CLOSED").await, "4001 bye");
    });
}

#[test]
fn our_client_closing_with_4002_is_reported_by_a_node_server() {
    run(SHORT, async {
        let (mut peer, url) = node_server(&["echo"]).await;
        let (wss, _) = connect(&url, options()).await;
        wss.close(CloseInfo::new(4002, "later")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4002, "later"));
        assert_eq!(peer.line("CLOSED").await, "4002 later");
    });
}

#[test]
fn a_node_client_closing_with_4001_is_reported_by_our_server() {
    run(SHORT, async {
        let server = Server::start(options(), |_| None, Behaviour::Echo, None, None).await;
        let mut peer = node_client(server.port, &["close:4001:bye"]);
        assert_eq!(peer.line("CLOSED").await, "4001 bye");
        peer.success().await;
        assert_eq!(server.report().await.unwrap().closed.unwrap(), CloseInfo::new(4001, "bye"));
    });
}

#[test]
fn our_server_closing_with_4002_is_reported_by_a_node_client() {
    run(SHORT, async {
        let close = Behaviour::Close(CloseInfo::new(4002, "later"));
        let server = Server::start(options(), |_| None, close, None, None).await;
        let mut peer = node_client(server.port, &["wait"]);
        assert_eq!(peer.line("CLOSED").await, "4002 later");
        peer.success().await;
        assert_eq!(server.report().await.unwrap().closed.unwrap(), CloseInfo::new(4002, "later"));
    });
}

#[test]
fn permessage_deflate_with_a_node_server() {
    run(SHORT, async {
        let (mut peer, url) = node_server(&["echo", "--deflate"]).await;
        let options = ws::Options { deflate: Some(DeflateConfig::default()), ..options() };
        let (wss, Opened { mut readable, mut writable, extensions, .. }) =
            connect(&url, options).await;
        assert_eq!(peer.line("OPEN").await, format!("- {extensions}"));
        assert_eq!(extensions, "permessage-deflate");
        echo(&mut readable, &mut writable, &["t0", "t1048576", "b65536", "u", "t1048576"]).await;
        wss.close(CloseInfo::new(4002, "later")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4002, "later"));
    });
}

#[test]
fn permessage_deflate_with_a_node_client() {
    run(SHORT, async {
        let options = ws::Options { deflate: Some(DeflateConfig::default()), ..options() };
        let server = Server::start(options, |_| None, Behaviour::Echo, None, None).await;
        let specs = "echo:t0,t1048576,b65536,u,t1048576";
        let mut peer = node_client(server.port, &["--deflate", specs]);
        let agreed = peer.line("OPEN").await;
        assert_eq!(peer.line("CLOSED").await, "1000 -");
        peer.success().await;
        let served = server.report().await.unwrap();
        assert_eq!(format!("- {}", served.extensions), agreed);
        assert_eq!(served.extensions, "permessage-deflate");
        assert_eq!(served.messages.len(), 5);
        assert!(served.messages.iter().all(|(spec, _)| !spec.starts_with('?')));
    });
}
