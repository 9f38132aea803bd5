//! RFC 7692 on connections: negotiation in the handshake, compressed messages both ways, and
//! the failures (1002, 1007, 1009) a peer's compressed data can cause.

use super::framing::assert_failed;
use super::*;
use crate::deflate::{ClientMaxWindowBits, DeflateConfig};
use crate::error::{Error, ExtensionError, HandshakeError, ProtocolError};
use crate::{ClientConfig, Config, Connection, Event, Message, ServerConfig};

fn deflate(
    server_nct: bool,
    client_nct: bool,
    server_bits: Option<u8>,
    client_bits: ClientMaxWindowBits,
    threshold: usize,
) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
        threshold,
        ..DeflateConfig::default()
    }
}

fn pair(client: DeflateConfig, server: DeflateConfig, config: Config) -> Pair {
    Pair::open_with(
        ClientConfig::new("example.com", "/")
            .with_config(config.clone())
            .with_deflate(Some(client)),
        ServerConfig::new().with_config(config).with_deflate(Some(server)),
    )
}

/// The frames' first bytes (FIN, RSV, opcode) in unmasked or masked wire bytes.
fn first_bytes(mut wire: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    while wire.len() >= 2 {
        out.push(wire[0]);
        let masked = wire[1] & 0x80 != 0;
        let (len, mut at) = match wire[1] & 0x7f {
            126 => (u16::from_be_bytes([wire[2], wire[3]]) as usize, 4),
            127 => (u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize, 10),
            n => (n as usize, 2),
        };
        if masked {
            at += 4;
        }
        wire = &wire[at + len..];
    }
    out
}

/// A server that accepted a request offering `offer`, with deflate settings `server`.
fn server_with(offer: &str, server: DeflateConfig, config: Config) -> Connection {
    let mut s =
        Connection::server(ServerConfig::new().with_config(config).with_deflate(Some(server)));
    s.receive(
        format!(
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Extensions: {offer}\r\n\r\n"
        )
        .as_bytes(),
    );
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(None, None).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Opened { .. })));
    let _ = sent(&mut s);
    s
}

/// A client whose default offer the server accepted with `response`.
fn client_with(response: &str) -> Connection {
    let mut c = seeded_client(ClientConfig::new("example.com", "/"));
    respond(&mut c, &format!("Sec-WebSocket-Extensions: {response}\r\n"));
    let opened = c.poll_event();
    assert_eq!(
        opened,
        Some(Event::Opened { protocol: None, extensions: Some(response.to_owned()) })
    );
    c
}

// ----- negotiation -----

#[test]
fn default_configurations_agree_like_a_browser() {
    let mut client = seeded_client(ClientConfig::new("example.com", "/"));
    let request = String::from_utf8(sent(&mut client)).unwrap();
    assert!(
        request.contains(
            "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        )
    );
    let p = Pair::open(Config::default());
    assert_eq!(p.client.extensions(), Some("permessage-deflate"));
    assert_eq!(p.server.extensions(), Some("permessage-deflate"));
}

#[test]
fn no_deflate_means_no_offer_and_no_acceptance() {
    let mut client = seeded_client(ClientConfig::new("h", "/").with_deflate(None));
    assert!(!String::from_utf8(sent(&mut client)).unwrap().contains("Extensions"));
    let p = Pair::open_with(ClientConfig::new("h", "/"), ServerConfig::new().with_deflate(None));
    assert_eq!((p.client.extensions(), p.server.extensions()), (None, None));
}

#[test]
fn server_accepts_the_first_acceptable_offer_across_headers() {
    let mut s = Connection::server(ServerConfig::new());
    s.receive(
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Extensions: x-foo, permessage-deflate; unknown\r\n\
          Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10, permessage-deflate\r\n\r\n",
    );
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(None, None).unwrap();
    let agreed = "permessage-deflate; client_max_window_bits=10";
    assert_eq!(
        s.poll_event(),
        Some(Event::Opened { protocol: None, extensions: Some(agreed.into()) })
    );
    let response = String::from_utf8(sent(&mut s)).unwrap();
    assert!(response.contains(&format!("\r\nSec-WebSocket-Extensions: {agreed}\r\n")));
    // Compressed input is accepted, output is compressed.
    s.receive(&masked(0xc1, b"\xf2\x48\xcd\xc9\xc9\x07\x00"));
    assert_eq!(events(&mut s), vec![Event::Message(Message::text("Hello"))]);
    s.send(Message::text("Hello")).unwrap();
    assert_eq!(sent(&mut s), b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00");
}

#[test]
fn server_takes_explicit_extensions_as_given() {
    let request = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
    let mut s = Connection::server(ServerConfig::new().with_deflate(None));
    s.receive(request.as_bytes());
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    assert!(s.accept(None, Some("permessage-deflate; client_max_window_bits")).is_err());
    assert!(s.accept(None, Some("permessage-deflate, permessage-deflate")).is_err());
    assert!(sent(&mut s).is_empty(), "nothing is sent after a refused accept");
    s.accept(None, Some("permessage-deflate; server_no_context_takeover")).unwrap();
    assert_eq!(s.extensions(), Some("permessage-deflate; server_no_context_takeover"));
    let _ = sent(&mut s);
    s.send(Message::text("Hello")).unwrap();
    s.send(Message::text("Hello")).unwrap();
    // No context takeover: the second "Hello" does not refer to the first.
    assert_eq!(
        sent(&mut s),
        b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00"
    );
}

#[test]
fn client_fails_on_an_unacceptable_response() {
    let cases = [
        (None, "permessage-deflate", None),
        (
            Some(DeflateConfig::default()),
            "permessage-deflate; foo",
            Some(ExtensionError::UnknownParameter),
        ),
        (
            Some(DeflateConfig::default()),
            "permessage-deflate; client_max_window_bits",
            Some(ExtensionError::InvalidValue),
        ),
        (
            Some(deflate(false, false, None, ClientMaxWindowBits::Absent, 0)),
            "permessage-deflate; client_max_window_bits=10",
            Some(ExtensionError::NotOffered),
        ),
        (
            Some(deflate(true, false, None, ClientMaxWindowBits::NoValue, 0)),
            "permessage-deflate",
            Some(ExtensionError::MissingParameter),
        ),
        (
            Some(DeflateConfig::default()),
            "permessage-deflate, permessage-deflate",
            Some(ExtensionError::Duplicate),
        ),
    ];
    for (offer, response, error) in cases {
        let mut c = seeded_client(ClientConfig::new("h", "/").with_deflate(offer));
        respond(&mut c, &format!("Sec-WebSocket-Extensions: {response}\r\n"));
        let expected = match error {
            None => HandshakeError::ExtensionNotOffered(response.into()),
            // The element at fault: the second one for a duplicate.
            Some(error) => HandshakeError::InvalidExtension {
                extension: response.rsplit(", ").next().unwrap_or(response).to_owned(),
                error,
            },
        };
        assert_eq!(events(&mut c), vec![Event::Failed(Error::Handshake(expected))], "{response}");
    }
}

// ----- messages -----

#[test]
fn every_parameter_combination_round_trips() {
    let text: String = (0..300).map(|i| format!("{{\"n\":{i},\"v\":\"κόσμε\"}}")).collect();
    let binary: Vec<u8> = (0..5000u32).map(|i| (i % 7 * 13) as u8).collect();
    for server_nct in [false, true] {
        for client_nct in [false, true] {
            for server_bits in 8..=15 {
                for client_bits in 8..=15 {
                    for fragment_size in [None, Some(100)] {
                        let config = Config { fragment_size, ..Config::default() };
                        let bits = ClientMaxWindowBits::Bits(client_bits);
                        let c = deflate(server_nct, client_nct, Some(server_bits), bits, 0);
                        let mut p = pair(c, DeflateConfig::default(), config);
                        let expected = format!(
                            "permessage-deflate{}{}; server_max_window_bits={server_bits}; \
                             client_max_window_bits={client_bits}",
                            if server_nct { "; server_no_context_takeover" } else { "" },
                            if client_nct { "; client_no_context_takeover" } else { "" },
                        );
                        assert_eq!(p.server.extensions(), Some(expected.as_str()));
                        let messages = [
                            Message::text(text.clone()),
                            Message::binary(binary.clone()),
                            Message::text(text.clone()),
                            Message::text(""),
                            Message::text("hi"),
                        ];
                        for m in &messages {
                            p.client.send(m.clone()).unwrap();
                            p.server.send(m.clone()).unwrap();
                        }
                        p.drive_split(997);
                        assert_eq!(p.server_messages(), messages, "{expected} {fragment_size:?}");
                        assert_eq!(p.client_messages(), messages, "{expected} {fragment_size:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn compressed_messages_set_rsv1_on_the_first_frame_only() {
    let mut s = server_with(
        "permessage-deflate",
        DeflateConfig::default(),
        Config { fragment_size: Some(4), ..Config::default() },
    );
    s.send(Message::text("Hello, Hello, Hello!")).unwrap();
    s.ping(b"p").unwrap();
    let wire = sent(&mut s);
    let firsts = first_bytes(&wire);
    assert_eq!(firsts[0], 0x41, "{wire:x?}");
    assert!(firsts[1..firsts.len() - 2].iter().all(|&b| b == 0x00), "{firsts:x?}");
    assert_eq!(firsts[firsts.len() - 2..], [0x80, 0x89]);
}

#[test]
fn messages_under_the_threshold_and_control_frames_are_not_compressed() {
    let mut s = server_with(
        "permessage-deflate",
        deflate(false, false, None, ClientMaxWindowBits::NoValue, 10),
        Config::default(),
    );
    s.send(Message::text("short")).unwrap();
    s.send(Message::text("long enough to compress")).unwrap();
    s.ping(b"ping").unwrap();
    s.pong(b"pong").unwrap();
    s.close(Some(crate::CloseCode::NORMAL), "bye").unwrap();
    assert_eq!(first_bytes(&sent(&mut s)), [0x81, 0xc1, 0x89, 0x8a, 0x88]);
    // And a pair with a threshold still round-trips both kinds.
    let d = deflate(false, false, None, ClientMaxWindowBits::NoValue, 64);
    let mut p = pair(d, d, Config::default());
    let messages =
        [Message::text("x".repeat(63)), Message::text("x".repeat(64)), Message::text("x")];
    for m in &messages {
        p.client.send(m.clone()).unwrap();
    }
    p.drive();
    assert_eq!(p.server_messages(), messages);
}

#[test]
fn rfc7692_section_7_2_3_frames_as_client() {
    let mut c = client_with("permessage-deflate");
    // 7.2.3.1: one frame, then the same in two fragments; 7.2.3.2: the shared window.
    c.receive(b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00");
    c.receive(b"\x41\x03\xf2\x48\xcd\x80\x04\xc9\xc9\x07\x00");
    c.receive(b"\xc1\x05\xf2\x00\x11\x00\x00");
    // 7.2.3.3: a block with no compression; a control frame between fragments.
    c.receive(b"\x41\x04\x00\x05\x00\xfa\x89\x00\x80\x07\xffHello\x00");
    // 7.2.3.6: an empty message; an uncompressed message between compressed ones.
    c.receive(b"\xc1\x01\x00\x81\x02hi");
    assert_eq!(
        events(&mut c),
        vec![
            Event::Message(Message::text("Hello")),
            Event::Message(Message::text("Hello")),
            Event::Message(Message::text("Hello")),
            Event::Ping(bytes(b"")),
            Event::Message(Message::text("Hello")),
            Event::Message(Message::text("")),
            Event::Message(Message::text("hi")),
        ]
    );
}

// ----- failures -----

#[test]
fn rsv1_where_it_does_not_belong_fails_with_1002() {
    let mut c = client_with("permessage-deflate");
    c.receive(b"\x41\x03\xf2\x48\xcd\xc0\x04\xc9\xc9\x07\x00");
    assert_failed(&mut c, ProtocolError::CompressedContinuation);
    let mut c = client_with("permessage-deflate");
    c.receive(b"\xc9\x00");
    assert_failed(&mut c, ProtocolError::CompressedContinuation);
    // Without the extension, RSV1 is a reserved bit.
    let mut c = open_client(Config::default());
    c.receive(b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00");
    assert_failed(&mut c, ProtocolError::ReservedBits);
}

#[test]
fn data_that_does_not_inflate_fails_with_1007() {
    let mut c = client_with("permessage-deflate");
    c.receive(b"\xc2\x03\xff\xff\xff");
    assert_failed(&mut c, ProtocolError::InvalidCompressedData);
    // Context takeover refused: the second message refers to a window the client reset.
    let mut c = client_with("permessage-deflate; server_no_context_takeover");
    c.receive(b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00\xc1\x05\xf2\x00\x11\x00\x00");
    assert_eq!(c.poll_event(), Some(Event::Message(Message::text("Hello"))));
    assert_failed(&mut c, ProtocolError::InvalidCompressedData);
}

#[test]
fn invalid_utf8_inside_compressed_text_fails_with_1007() {
    let mut d = crate::deflate::Deflater::new(
        crate::deflate::DeflateParams::default().direction(false),
        6,
        0,
    );
    let payload = d.compress(b"ok \xff\xfe").unwrap();
    let mut c = client_with("permessage-deflate");
    c.receive(&unmasked(0xc1, &payload));
    assert_failed(&mut c, ProtocolError::InvalidUtf8);
}

#[test]
fn a_decompression_bomb_fails_with_1009() {
    let mut d = crate::deflate::Deflater::new(
        crate::deflate::DeflateParams::default().direction(true),
        9,
        0,
    );
    let bomb = d.compress(&vec![b'a'; 8 << 20]).unwrap();
    assert!(bomb.len() < 16 << 10, "{}", bomb.len());
    let config = Config { max_message_size: 1 << 20, ..Config::default() };
    let mut s = server_with("permessage-deflate", DeflateConfig::default(), config.clone());
    s.receive(&masked(0xc2, &bomb));
    assert_failed(&mut s, ProtocolError::MessageTooLarge);
    // Fragmented: the limit counts inflated bytes across frames.
    let mut s = server_with("permessage-deflate", DeflateConfig::default(), config);
    let (a, b) = bomb.split_at(bomb.len() / 2);
    s.receive(&masked(0x42, a));
    s.receive(&masked(0x80, b));
    assert_failed(&mut s, ProtocolError::MessageTooLarge);
}
