//! Python `websockets` as the server for our client and as the client of our server: messages of
//! every size, subprotocols, close codes both ways ([`scenarios`]), and its handshake refusals.

use super::peer::{LONG, Program, SHORT, options, run};
use super::scenarios::{self, PeerScripts};
use crate::ws::{self, ErrorKind, WebSocketStream};

/// Python's `websockets`: `py_server.py` and `py_client.py`.
pub(crate) const PYTHON: PeerScripts = PeerScripts {
    program: Program::Python,
    server: "py_server.py",
    client: "py_client.py",
    plain_echo: &["echo", "--deflate", "off"],
};

#[test]
fn our_client_round_trips_every_size_through_a_python_server() {
    run(LONG, scenarios::our_client_round_trips_every_size(&PYTHON));
}

#[test]
fn a_python_client_round_trips_every_size_through_our_server() {
    run(LONG, scenarios::peer_client_round_trips_every_size(&PYTHON));
}

#[test]
fn a_python_server_chooses_among_our_subprotocols() {
    run(SHORT, scenarios::peer_server_chooses_among_our_subprotocols(&PYTHON));
}

#[test]
fn our_server_chooses_among_a_python_clients_subprotocols() {
    run(SHORT, scenarios::our_server_chooses_among_peer_subprotocols(&PYTHON));
}

#[test]
fn a_python_server_closing_with_4001_is_reported_by_closed() {
    run(SHORT, scenarios::peer_server_closing_is_reported_by_closed(&PYTHON));
}

#[test]
fn our_client_closing_with_4002_is_reported_by_a_python_server() {
    run(SHORT, scenarios::our_client_closing_is_reported_by_the_peer_server(&PYTHON));
}

#[test]
fn a_python_client_closing_with_4001_is_reported_by_our_server() {
    run(SHORT, scenarios::peer_client_closing_is_reported_by_our_server(&PYTHON));
}

#[test]
fn our_server_closing_with_4002_is_reported_by_a_python_client() {
    run(SHORT, scenarios::our_server_closing_is_reported_by_the_peer_client(&PYTHON));
}

#[test]
fn a_python_server_refusing_our_subprotocols_fails_the_handshake() {
    run(SHORT, async {
        let (_peer, url) = PYTHON.server(&["echo", "--protocols", "chat"]).await;
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
        let (_peer, url) = PYTHON.server(&["echo"]).await;
        let wss =
            WebSocketStream::new(&url, ws::Options { protocols: vec!["chat".into()], ..options() })
                .unwrap();
        let e = wss.opened().await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Handshake, Some(1006)), "{e}");
    });
}
