//! permessage-deflate with Python `websockets`, our client against its server and its client
//! against our server, for each side's context takeover and window settings.
//!
//! Each case checks the exact agreed `Sec-WebSocket-Extensions` on both ends, and, through a
//! byte-counting relay, that compression is in use both ways (a 1 MiB patterned text crosses in
//! a few KiB) and that each direction keeps or resets its context as agreed: the same 2000
//! random bytes sent twice cost about 2000 bytes again without context takeover (or with a
//! window too small to reach back), and a few dozen with it.

use bytes::Bytes;

use super::peer::{Behaviour, Counts, Peer, Program, SHORT, Server, message, options, relay, run};
use super::python::PYTHON;
use super::scenarios::connect;
use crate::ws::{
    self, CloseInfo, DeflateConfig, Message, Opened, core::deflate::ClientMaxWindowBits,
};

/// Bytes on the wire of a 2000-byte random message sent again with its context available.
const AGAIN_AT_MOST: u64 = 500;
/// ... and without.
const FRESH_AT_LEAST: u64 = 1900;
/// Bytes on the wire of the 1 MiB patterned text, compressed.
const COMPRESSED_AT_MOST: u64 = 64 << 10;

/// What each direction may reuse of earlier messages, as agreed.
#[derive(Debug, Clone, Copy)]
struct Context {
    /// The client's compressor (bytes going up).
    client: bool,
    /// The server's compressor (bytes going down).
    server: bool,
}

const BOTH: Context = Context { client: true, server: true };
const NEITHER: Context = Context { client: false, server: false };

/// Our deflate configuration, changed by `f`.
fn ours(f: impl FnOnce(&mut DeflateConfig)) -> ws::Options {
    let mut config = DeflateConfig::default();
    f(&mut config);
    ws::Options { deflate: Some(config), ..options() }
}

/// 2000 bytes of noise (xorshift64), the same for every call.
fn noise() -> Message {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..2000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[3]
        })
        .collect();
    Message::binary(Bytes::from(bytes))
}

/// Checks the cost of the second copy of the noise, one direction.
fn check_again(direction: &str, first: u64, again: u64, context: bool) {
    assert!(first >= FRESH_AT_LEAST, "{direction}: the first noise took {first} bytes");
    if context {
        assert!(again <= AGAIN_AT_MOST, "{direction}: the noise again took {again} bytes");
    } else {
        assert!(again >= FRESH_AT_LEAST, "{direction}: the noise again took {again} bytes");
    }
}

/// Our client, configured by `client`, against `py_server.py --deflate server`.
fn client_case(client: ws::Options, server: &str, agreed: &'static str, context: Context) {
    let server = server.to_owned();
    run(SHORT, async move {
        let args = ["echo", "--deflate", &server];
        let (mut peer, port) = Peer::server(Program::Python, "py_server.py", &args).await;
        let counts = Counts::default();
        let url = format!("ws://127.0.0.1:{}/", relay(port, &counts));
        let (wss, Opened { mut readable, mut writable, extensions, .. }) =
            connect(&url, client).await;
        assert_eq!(extensions, agreed);
        assert_eq!(peer.line("OPEN").await, format!("- {agreed}"));

        // Each message and its echo, and the bytes they took up and down.
        let mut round_trip = async |m: Message| {
            let before = counts.get();
            writable.send(m.clone()).await.unwrap();
            let back = readable.read().await.unwrap().unwrap();
            assert!(back == m, "a message of {} bytes came back changed", m.len());
            let after = counts.get();
            (after.0 - before.0, after.1 - before.1)
        };
        let (up, down) = round_trip(message("t1048576")).await;
        assert!(
            up <= COMPRESSED_AT_MOST && down <= COMPRESSED_AT_MOST,
            "1 MiB took {up} up, {down} down"
        );
        let first = round_trip(noise()).await;
        let again = round_trip(noise()).await;
        check_again("up (our client)", first.0, again.0, context.client);
        check_again("down (python server)", first.1, again.1, context.server);
        round_trip(message("u")).await;

        wss.close(CloseInfo::new(4002, "later")).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4002, "later"));
        assert_eq!(peer.line("CLOSED").await, "4002 later");
    });
}

/// `py_client.py --deflate client` against our server, configured by `server`.
fn server_case(client: &str, server: ws::Options, agreed: &'static str, context: Context) {
    let client = client.to_owned();
    run(SHORT, async move {
        let counts = Counts::default();
        let ours =
            Server::start(server, |_| None, Behaviour::Echo, None, Some(counts.clone())).await;
        let url = format!("ws://127.0.0.1:{}/", relay(ours.port, &counts));
        let mut peer = PYTHON.client(&url, &["--deflate", &client, "echo:t1048576,r2000,r2000,u"]);
        assert_eq!(peer.line("OPEN").await, format!("- {agreed}"));
        assert_eq!(peer.line("CLOSED").await, "1000 -");
        peer.success().await;
        let served = ours.report().await.unwrap();
        assert_eq!(served.extensions, agreed, "our server's `opened` extensions");
        assert_eq!(served.closed.unwrap(), CloseInfo::new(1000, ""));

        // The counts when each message arrived: message i went up before them, and the echo of
        // message i - 1 came down (the client waits for each echo before sending on).
        let at: Vec<(u64, u64)> = served.messages.iter().map(|(_, counts)| *counts).collect();
        assert_eq!(at.len(), 4, "{:?}", served.messages);
        assert!(at[0].0 <= COMPRESSED_AT_MOST, "1 MiB took {} up", at[0].0);
        let echo_down = at[1].1 - at[0].1;
        assert!(echo_down <= COMPRESSED_AT_MOST, "1 MiB took {echo_down} down");
        check_again("up (python client)", at[1].0 - at[0].0, at[2].0 - at[1].0, context.client);
        check_again("down (our server)", at[2].1 - at[1].1, at[3].1 - at[2].1, context.server);
    });
}

// Our client, a Python server.

#[test]
fn our_default_offer_to_a_plain_python_server() {
    client_case(ours(|_| {}), "plain", "permessage-deflate", BOTH);
}

#[test]
fn our_client_without_context_takeover() {
    let client = ours(|c| c.client_no_context_takeover = true);
    let agreed = "permessage-deflate; client_no_context_takeover";
    client_case(client, "plain", agreed, Context { client: false, server: true });
}

#[test]
fn our_client_asking_the_python_server_for_no_context_takeover() {
    let client = ours(|c| c.server_no_context_takeover = true);
    let agreed = "permessage-deflate; server_no_context_takeover";
    client_case(client, "plain", agreed, Context { client: true, server: false });
}

#[test]
fn a_python_server_requiring_no_context_takeover_both_ways() {
    let server = "server_no_context_takeover,client_no_context_takeover";
    let agreed = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    client_case(ours(|_| {}), server, agreed, NEITHER);
}

#[test]
fn a_python_server_with_its_default_12_bit_windows() {
    let agreed = "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12";
    client_case(ours(|_| {}), "default", agreed, BOTH);
}

#[test]
fn our_client_asking_for_small_windows() {
    let client = ours(|c| {
        c.server_max_window_bits = Some(10);
        c.client_max_window_bits = ClientMaxWindowBits::Bits(9);
    });
    let agreed = "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9";
    client_case(client, "plain", agreed, NEITHER);
}

// A Python client, our server.

#[test]
fn a_plain_python_offer_to_our_default_server() {
    server_case("plain", ours(|_| {}), "permessage-deflate", BOTH);
}

#[test]
fn a_python_client_without_context_takeover() {
    let agreed = "permessage-deflate; client_no_context_takeover";
    let context = Context { client: false, server: true };
    server_case("client_no_context_takeover", ours(|_| {}), agreed, context);
}

#[test]
fn a_python_client_asking_our_server_for_no_context_takeover() {
    let agreed = "permessage-deflate; server_no_context_takeover";
    let context = Context { client: true, server: false };
    server_case("server_no_context_takeover", ours(|_| {}), agreed, context);
}

#[test]
fn our_server_requiring_no_context_takeover_both_ways() {
    let server = ours(|c| {
        c.server_no_context_takeover = true;
        c.client_no_context_takeover = true;
    });
    let agreed = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    server_case("plain", server, agreed, NEITHER);
}

#[test]
fn a_python_client_asking_for_small_windows() {
    let client = "server_max_window_bits=10,client_max_window_bits=9";
    let agreed = "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9";
    server_case(client, ours(|_| {}), agreed, NEITHER);
}

#[test]
fn our_server_limiting_the_windows_of_a_default_python_client() {
    let server = ours(|c| {
        c.server_max_window_bits = Some(11);
        c.client_max_window_bits = ClientMaxWindowBits::Bits(12);
    });
    let agreed = "permessage-deflate; server_max_window_bits=11; client_max_window_bits=12";
    // zlib reaches back at most the window less 262 bytes: 1786 with 11 bits, 3834 with 12.
    server_case("default", server, agreed, Context { client: true, server: false });
}
