//! Node `ws` as the server for our client and as the client of our server: messages of every
//! size, subprotocols, close codes both ways ([`scenarios`]), and its permessage-deflate.

use super::peer::{Behaviour, LONG, Program, SHORT, Server, echo, options, run};
use super::scenarios::{self, PeerScripts, connect};
use crate::ws::{self, CloseInfo, DeflateConfig, Opened};

/// Node's `ws`: `node_server.js` and `node_client.js`.
const NODE: PeerScripts = PeerScripts {
    program: Program::Node,
    server: "node_server.js",
    client: "node_client.js",
    plain_echo: &["echo"],
};

#[test]
fn our_client_round_trips_every_size_through_a_node_server() {
    run(LONG, scenarios::our_client_round_trips_every_size(&NODE));
}

#[test]
fn a_node_client_round_trips_every_size_through_our_server() {
    run(LONG, scenarios::peer_client_round_trips_every_size(&NODE));
}

#[test]
fn a_node_server_chooses_among_our_subprotocols() {
    run(SHORT, scenarios::peer_server_chooses_among_our_subprotocols(&NODE));
}

#[test]
fn our_server_chooses_among_a_node_clients_subprotocols() {
    run(SHORT, scenarios::our_server_chooses_among_peer_subprotocols(&NODE));
}

#[test]
fn a_node_server_closing_with_4001_is_reported_by_closed() {
    run(SHORT, scenarios::peer_server_closing_is_reported_by_closed(&NODE));
}

#[test]
fn our_client_closing_with_4002_is_reported_by_a_node_server() {
    run(SHORT, scenarios::our_client_closing_is_reported_by_the_peer_server(&NODE));
}

#[test]
fn a_node_client_closing_with_4001_is_reported_by_our_server() {
    run(SHORT, scenarios::peer_client_closing_is_reported_by_our_server(&NODE));
}

#[test]
fn our_server_closing_with_4002_is_reported_by_a_node_client() {
    run(SHORT, scenarios::our_server_closing_is_reported_by_the_peer_client(&NODE));
}

#[test]
fn permessage_deflate_with_a_node_server() {
    run(SHORT, async {
        let (mut peer, url) = NODE.server(&["echo", "--deflate"]).await;
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
        let mut peer =
            NODE.client(&format!("ws://127.0.0.1:{}/", server.port), &["--deflate", specs]);
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
