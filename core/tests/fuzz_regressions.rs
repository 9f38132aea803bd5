//! Inputs the fuzz targets in `fuzz/` found, kept as regression tests: one test per bug, each
//! naming the target and the invariant the input broke. Run the targets with `scripts/fuzz.sh`.

use wsstream_core::handshake::server::RequestParser;
use wsstream_core::handshake::{ClientHandshake, accept_key};
use wsstream_core::{
    ClientConfig, CloseCode, CloseFrame, Config, Connection, Event, Message, ServerConfig, Transmit,
};

/// `handshake_request`, "an accepted request took exactly the bytes up to the first blank line":
/// this header section ends in LF CR LF (httparse, as RFC 9112 2.2 allows, takes a bare LF as a
/// line end), and the parser waited for a CR LF CR LF that only came 49 bytes later, then handed
/// those 49 bytes to the frame decoder. It must complete at the blank line, whatever follows.
#[test]
fn request_ending_in_bare_lf_completes_at_its_blank_line() {
    // The fuzz input: `[flags, split seed]`, then the request.
    let input: &[u8] = b"\x00!GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: U\
        pgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub12jZQ==\r\nOrigin: http://example\xf6\xf6\
        \xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\
        \xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\
        \xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6\xf6.c\
        om\r\nSec-WebSocket-Protocol: chatsepuperchat\r\nSec-WebSocket-Version: 13\r\nSec-Wpgrade:\
        \x20websock\n\r\n\rConnection: UpgNhbXBsZSBub12jZQket-Key: dits\r\n\r\n";
    let request = &input[2..];
    let end = 319;
    assert_eq!(&request[end - 3..end], b"\n\r\n");
    let mut parser = RequestParser::new(&Config::default());
    for cut in 0..end {
        assert_eq!(parser.parse(&request[..cut]), Ok(None), "{cut}");
    }
    let (req, used) = parser.parse(&request[..end]).unwrap().unwrap();
    assert_eq!(used, end);
    assert_eq!(req.path, "/chat");
    let whole = RequestParser::new(&Config::default()).parse(request).unwrap().unwrap();
    assert_eq!(whole.1, end);
}

/// `handshake_response`, same invariant from the client's side: the response's blank line is
/// LF CR LF, and a later CR LF CR LF decided where it ended.
#[test]
fn response_ending_in_bare_lf_completes_at_its_blank_line() {
    // The fuzz input: `[flags, split seed]` (flags 3: subprotocols and permessage-deflate
    // offered), then the response.
    let input: &[u8] = b"\x03\x05HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nS\
        ec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nSec-W\
        ebSocket-Extensixns: permeassge-deflate; clSec-WebSocket-Protocol: \n\r\n\r\nHello";
    let response = &input[2..];
    let config =
        ClientConfig::new("server.example.com", "/chat").with_protocols(["chat", "superchat"]);
    let offers = ["permessage-deflate; client_max_window_bits".to_owned()];
    let new = || ClientHandshake::new(&config, *b"the sample nonce", &offers, &mut Vec::new());
    let end = 232;
    assert_eq!(&response[end - 3..end], b"\n\r\n");
    let whole = new().parse_response(response);
    let mut incremental = new();
    for cut in 0..end {
        assert_eq!(incremental.parse_response(&response[..cut]), Ok(None), "{cut}");
    }
    assert_eq!(incremental.parse_response(&response[..end]), whole);
    let (res, used) = whole.unwrap().unwrap();
    assert_eq!((used, res.protocol.as_deref()), (end, Some("chat")));
}

/// The same bug end to end: a server whose client ends its header lines with a bare LF reports
/// the request at once, not when a later frame happens to contain CR LF CR LF.
#[test]
fn server_opens_for_a_request_with_bare_lf_lines() {
    let mut server = Connection::server(ServerConfig::new());
    server.receive(
        b"GET /chat HTTP/1.1\nHost: server.example.com\nUpgrade: websocket\n\
          Connection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n\
          Sec-WebSocket-Version: 13\n\n",
    );
    // RFC 6455 5.7: a single-frame masked text message, "Hello".
    server.receive(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    let Some(Event::Request(request)) = server.poll_event() else { panic!("no request") };
    assert_eq!(request.path, "/chat");
    server.accept(None, None).unwrap();
    assert!(matches!(server.poll_event(), Some(Event::Opened { .. })));
    assert_eq!(server.poll_event(), Some(Event::Message(Message::text("Hello"))));
}

/// And a client whose server does the same.
#[test]
fn client_opens_on_a_response_with_bare_lf_lines() {
    let mut client = Connection::client(ClientConfig::new("example.com", "/")).unwrap();
    let Some(Transmit::Data(request)) = client.poll_transmit() else { panic!("no request") };
    let request = String::from_utf8(request.to_vec()).unwrap();
    let key = request.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap();
    let accept = accept_key(key.trim_end().as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\
         Sec-WebSocket-Accept: {accept}\n\n"
    );
    client.receive(response.as_bytes());
    client.receive(b"\x81\x05Hello");
    assert!(matches!(client.poll_event(), Some(Event::Opened { .. })));
    assert_eq!(client.poll_event(), Some(Event::Message(Message::text("Hello"))));
}

/// `connection`, "on a clean link, a receiver fails only on its own limits": the sequence the
/// fuzzer found (the client sends a text, the server calls `fail(CloseCode(35383), ..)`) put code
/// 35383 on the wire, and the client had to fail with 1002. A code that may not be sent now gives
/// an empty Close.
#[test]
fn fail_with_a_code_not_allowed_on_the_wire_sends_an_empty_close() {
    for code in [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 35383] {
        let (mut client, mut server) = open_pair();
        client.send_text("\u{f} ").unwrap();
        pump(&mut client, &mut server);
        assert_eq!(server.poll_event(), Some(Event::Message(Message::text("\u{f} "))));
        server.fail(CloseCode(code), "\t\u{17}B");
        assert_eq!(server.close_sent(), Some(&CloseFrame::empty()), "{code}");
        pump(&mut server, &mut client);
        assert_eq!(client.poll_event(), Some(Event::CloseReceived(CloseFrame::empty())));
        assert_eq!(client.error(), None, "{code}");
    }
    let (mut client, mut server) = open_pair();
    server.fail(CloseCode(4000), "idle");
    pump(&mut server, &mut client);
    assert_eq!(client.poll_event(), Some(Event::CloseReceived(CloseFrame::new(4000, "idle"))));
}

/// A client and a server with their handshake done.
fn open_pair() -> (Connection, Connection) {
    let mut client = Connection::client(ClientConfig::new("example.com", "/")).unwrap();
    let mut server = Connection::server(ServerConfig::new());
    pump(&mut client, &mut server);
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    server.accept(None, None).unwrap();
    assert!(matches!(server.poll_event(), Some(Event::Opened { .. })));
    pump(&mut server, &mut client);
    assert!(matches!(client.poll_event(), Some(Event::Opened { .. })));
    (client, server)
}

/// Moves every byte `from` wants to send to `to`.
fn pump(from: &mut Connection, to: &mut Connection) {
    while let Some(transmit) = from.poll_transmit() {
        match transmit {
            Transmit::Data(bytes) => to.receive(&bytes),
            Transmit::Shutdown => to.receive_eof(),
        }
    }
}
