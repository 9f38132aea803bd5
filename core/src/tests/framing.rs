//! RFC 6455 section 5: framing, masking, fragmentation, control frames, UTF-8 and limits.

use bytes::Bytes;

use super::*;
use crate::error::{Error, ProtocolError};
use crate::{CloseCode, Config, Connection, Event, Message, State, Transmit};

/// The connection failed with `error`, queued a Close with its code, and asks for shutdown.
pub(super) fn assert_failed(conn: &mut Connection, error: ProtocolError) {
    let evs = events(conn);
    assert_eq!(evs.last(), Some(&Event::Failed(Error::Protocol(error))), "{evs:?}");
    let out = sent(conn);
    // An unmasked server Close, or a masked client Close: the code follows the header.
    let code_at = if out[1] & 0x80 != 0 { 6 } else { 2 };
    assert_eq!(out[0], 0x88, "{out:x?}");
    let mut code = [out[code_at], out[code_at + 1]];
    if out[1] & 0x80 != 0 {
        code[0] ^= out[2];
        code[1] ^= out[3];
    }
    assert_eq!(CloseCode(u16::from_be_bytes(code)), error.close_code());
    assert_eq!(conn.poll_transmit(), Some(Transmit::Shutdown));
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(conn.error(), Some(&Error::Protocol(error)));
    // Failure is sticky: later input is dropped, sends fail with the same error.
    conn.receive(b"\x81\x00");
    assert_eq!(conn.poll_event(), None);
    assert!(conn.send(Message::text("x")).is_err());
}

#[test]
fn rfc6455_section_5_7_examples_as_client() {
    let mut c = open_client(Config::default());
    c.receive(b"\x81\x05Hello");
    c.receive(b"\x01\x03Hel\x80\x02lo");
    c.receive(b"\x89\x05Hello");
    c.receive(b"\x8a\x05Hello");
    let mut big = b"\x82\x7e\x01\x00".to_vec();
    big.extend_from_slice(&[0xab; 256]);
    c.receive(&big);
    let mut huge = b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00".to_vec();
    huge.extend_from_slice(&[0xcd; 65536]);
    c.receive(&huge);
    assert_eq!(
        events(&mut c),
        vec![
            Event::Message(Message::text("Hello")),
            Event::Message(Message::text("Hello")),
            Event::Ping(bytes(b"Hello")),
            Event::Pong(bytes(b"Hello")),
            Event::Message(Message::binary(vec![0xab; 256])),
            Event::Message(Message::binary(vec![0xcd; 65536])),
        ]
    );
    // The ping was answered with a masked pong carrying the same payload.
    let out = sent(&mut c);
    assert_eq!(&out[..2], b"\x8a\x85");
    let mut payload = out[6..].to_vec();
    crate::mask::apply_mask(&mut payload, [out[2], out[3], out[4], out[5]], 0);
    assert_eq!(payload, b"Hello");
}

#[test]
fn rfc6455_masked_hello_as_server() {
    let mut s = open_server(Config::default());
    s.receive(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    assert_eq!(events(&mut s), vec![Event::Message(Message::text("Hello"))]);
}

#[test]
fn input_split_at_every_byte_boundary() {
    let mut wire = masked(0x01, b"frag");
    wire.extend(masked(0x89, b"p"));
    wire.extend(masked(0x80, "ment ✓".as_bytes()));
    wire.extend(masked(0x82, &[1, 2, 3]));
    for cut in 0..wire.len() {
        let mut s = open_server(Config::default());
        s.receive(&wire[..cut]);
        let mut evs = events(&mut s);
        s.receive(&wire[cut..]);
        evs.extend(events(&mut s));
        assert_eq!(
            evs,
            vec![
                Event::Ping(bytes(b"p")),
                Event::Message(Message::text("fragment ✓")),
                Event::Message(Message::binary(vec![1, 2, 3])),
            ],
            "cut at {cut}"
        );
    }
}

#[test]
fn reserved_bits_without_extension_fail_with_1002() {
    for rsv in [0x40, 0x20, 0x10] {
        let mut s = open_server(Config::default());
        s.receive(&masked(0x81 | rsv, b"x"));
        assert_failed(&mut s, ProtocolError::ReservedBits);
    }
}

#[test]
fn reserved_opcodes_fail_with_1002() {
    for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        let mut s = open_server(Config::default());
        s.receive(&masked(0x80 | op, b""));
        assert_failed(&mut s, ProtocolError::ReservedOpcode);
    }
}

#[test]
fn control_frame_rules() {
    let mut s = open_server(Config::default());
    s.receive(&masked(0x09, b"x"));
    assert_failed(&mut s, ProtocolError::FragmentedControlFrame);
    let mut s = open_server(Config::default());
    s.receive(&masked(0x89, &[0; 126]));
    assert_failed(&mut s, ProtocolError::ControlFrameTooLarge);
    // 125 bytes is fine.
    let mut s = open_server(Config::default());
    s.receive(&masked(0x89, &[0; 125]));
    assert_eq!(events(&mut s), vec![Event::Ping(Bytes::from(vec![0; 125]))]);
}

#[test]
fn fragmentation_rules() {
    let mut s = open_server(Config::default());
    s.receive(&masked(0x80, b"x"));
    assert_failed(&mut s, ProtocolError::UnexpectedContinuation);
    let mut s = open_server(Config::default());
    s.receive(&masked(0x01, b"x"));
    s.receive(&masked(0x81, b"y"));
    assert_failed(&mut s, ProtocolError::ExpectedContinuation);
    let mut s = open_server(Config::default());
    s.receive(&masked(0x02, b"x"));
    s.receive(&masked(0x02, b"y"));
    assert_failed(&mut s, ProtocolError::ExpectedContinuation);
}

#[test]
fn control_frames_inside_a_fragmented_message() {
    let mut s = open_server(Config::default());
    s.receive(&masked(0x02, b"ab"));
    s.receive(&masked(0x89, b"ping"));
    s.receive(&masked(0x00, b"cd"));
    s.receive(&masked(0x8a, b"pong"));
    s.receive(&masked(0x80, b"ef"));
    assert_eq!(
        events(&mut s),
        vec![
            Event::Ping(bytes(b"ping")),
            Event::Pong(bytes(b"pong")),
            Event::Message(Message::binary(b"abcdef".to_vec())),
        ]
    );
    assert_eq!(sent(&mut s), b"\x8a\x04ping");
}

#[test]
fn masking_is_required_by_role() {
    let mut s = open_server(Config::default());
    s.receive(&unmasked(0x81, b"x"));
    assert_failed(&mut s, ProtocolError::UnmaskedFrame);
    let mut c = open_client(Config::default());
    c.receive(&masked(0x81, b"x"));
    assert_failed(&mut c, ProtocolError::MaskedFrame);
}

#[test]
fn length_with_top_bit_fails() {
    let mut c = open_client(Config::default());
    c.receive(b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x01");
    assert_failed(&mut c, ProtocolError::InvalidLength);
}

#[test]
fn invalid_utf8_fails_fast_with_1007() {
    // The bad byte arrives in the first piece of a long frame: fail before the rest arrives.
    let mut payload = b"hello \xff".to_vec();
    payload.extend_from_slice(&[b'a'; 1000]);
    let wire = masked(0x81, &payload);
    let mut s = open_server(Config::default());
    s.receive(&wire[..20]);
    assert_failed(&mut s, ProtocolError::InvalidUtf8);
    // Across fragments: the second fragment makes the sequence invalid.
    let mut s = open_server(Config::default());
    s.receive(&masked(0x01, b"ok \xf4"));
    assert_eq!(events(&mut s), vec![]);
    s.receive(&masked(0x00, b"\x90 and more"));
    assert_failed(&mut s, ProtocolError::InvalidUtf8);
    // Truncated at the end of the message.
    let mut s = open_server(Config::default());
    s.receive(&masked(0x81, b"\xe2\x82"));
    assert_failed(&mut s, ProtocolError::InvalidUtf8);
    // Binary is not checked.
    let mut s = open_server(Config::default());
    s.receive(&masked(0x82, b"\xff"));
    assert_eq!(events(&mut s), vec![Event::Message(Message::binary(vec![0xff]))]);
}

#[test]
fn limits_fail_with_1009_before_buffering() {
    let config = Config { max_frame_size: 1000, max_message_size: 1500, ..Config::default() };
    // The header alone is enough to fail: the payload never arrives.
    let mut s = open_server(config.clone());
    s.receive(&masked(0x82, &[0; 1001])[..8]);
    assert_failed(&mut s, ProtocolError::FrameTooLarge);
    let mut s = open_server(config.clone());
    s.receive(&masked(0x02, &[0; 1000]));
    s.receive(&masked(0x80, &[0; 501])[..8]);
    assert_failed(&mut s, ProtocolError::MessageTooLarge);
    let mut s = open_server(config);
    s.receive(&masked(0x02, &[0; 1000]));
    s.receive(&masked(0x80, &[0; 500]));
    assert_eq!(events(&mut s), vec![Event::Message(Message::binary(vec![0; 1500]))]);
    // A claimed length of 2^62 fails at once, without an allocation.
    let mut c = open_client(Config::default());
    c.receive(b"\x82\x7f\x40\x00\x00\x00\x00\x00\x00\x00");
    assert_failed(&mut c, ProtocolError::FrameTooLarge);
}

#[test]
fn limits_below_the_short_paths_reach_hold_for_small_frames() {
    // A small frame would take the short path; a limit lower than its reach still applies.
    for config in [
        Config { max_frame_size: 10, ..Config::default() },
        Config { max_message_size: 10, ..Config::default() },
    ] {
        // In one read, so that the second frame is first looked at when decoding reaches it.
        let mut s = open_server(config.clone());
        s.receive(&[masked(0x82, &[7; 10]), masked(0x81, b"eleven byte")].concat());
        assert_eq!(s.poll_event(), Some(Event::Message(Message::binary(vec![7; 10]))));
        let error = match config.max_frame_size {
            10 => ProtocolError::FrameTooLarge,
            _ => ProtocolError::MessageTooLarge,
        };
        assert_failed(&mut s, error);
    }
}

#[test]
fn small_messages_are_held_inline_and_larger_ones_shared() {
    use crate::payload::INLINE_CAPACITY;
    // Across the inline capacity and the short path's reach (64), masked (server) and not
    // (client), text with two-byte characters and binary.
    for len in 0..=80usize {
        // "aéaé…" cut to `len` bytes on a character boundary, padded with dots.
        let mut text: String = "aé".chars().cycle().take(len).collect();
        while text.len() > len {
            text.pop();
        }
        text.push_str(&".".repeat(len - text.len()));
        let binary: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
        let mut s = open_server(Config::default());
        let mut c = open_client(Config::default());
        // The frame at the front of a read is decoded on the general path, those behind it on
        // the short one, which copies a small payload as a whole window of the input when more
        // input follows (a 40-byte frame here) and as just its bytes at the end: each kind
        // takes every path.
        let (t, b) = (Message::text(text.as_str()), Message::binary(binary.clone()));
        let pad = Message::binary(vec![7u8; INLINE_CAPACITY + 2]);
        for (first, second) in [(&t, &b), (&b, &t)] {
            let op = |m: &Message| if m.is_text() { 0x81 } else { 0x82 };
            let order = [first, second, &pad, second];
            let frames = |f: fn(u8, &[u8]) -> Vec<u8>| {
                order.iter().flat_map(|m| f(op(m), m.as_bytes())).collect::<Vec<u8>>()
            };
            s.receive(&frames(masked));
            c.receive(&frames(unmasked));
            for conn in [&mut s, &mut c] {
                let evs = events(conn);
                let want: Vec<Event> = order.iter().map(|&m| Event::Message(m.clone())).collect();
                assert_eq!(evs, want);
                for ev in evs {
                    let Event::Message(m) = ev else { unreachable!() };
                    let inline = m.len() <= INLINE_CAPACITY;
                    assert_eq!(m.into_payload().is_inline(), inline, "{len}");
                }
            }
        }
    }
    // Invalid UTF-8 in the last byte fails, on either path, inline or not, with more input
    // behind it or without.
    for len in [1, INLINE_CAPACITY, INLINE_CAPACITY + 1] {
        let mut bad = vec![b'a'; len];
        bad[len - 1] = 0xff;
        for (behind, followed) in [(false, false), (true, false), (true, true)] {
            let mut s = open_server(Config::default());
            let good = if behind { masked(0x82, b"") } else { vec![] };
            let more = if followed { masked(0x82, &[0; INLINE_CAPACITY]) } else { vec![] };
            s.receive(&[good, masked(0x81, &bad), more].concat());
            if behind {
                assert_eq!(s.poll_event(), Some(Event::Message(Message::binary(vec![]))));
            }
            assert_failed(&mut s, ProtocolError::InvalidUtf8);
        }
    }
}

#[test]
fn inline_messages_are_sent_fragmented_and_compressed_as_others() {
    let both = |config: Config| {
        let client = crate::ClientConfig::new("example.com", "/").with_config(config.clone());
        (client, crate::ServerConfig::new().with_config(config))
    };
    let mut configs =
        vec![both(Config::default()), both(Config::default().with_fragment_size(Some(5)))];
    #[cfg(feature = "deflate")]
    {
        // Compressed whatever their size.
        let deflate = crate::DeflateConfig { threshold: 0, ..crate::DeflateConfig::default() };
        let (client, server) = both(Config::default());
        configs.push((client.with_deflate(Some(deflate)), server.with_deflate(Some(deflate))));
    }
    for (client, server) in configs {
        let mut pair = Pair::open_with(client, server);
        let text = Message::text("a small text, held inline");
        let binary = Message::Binary(crate::Payload::copy_from_slice(b"and binary bytes"));
        assert!(
            text.clone().into_payload().is_inline() && binary.clone().into_payload().is_inline()
        );
        pair.client.send(text.clone()).unwrap();
        pair.client.send(binary.clone()).unwrap();
        pair.server.send(text.clone()).unwrap();
        pair.server.send(binary.clone()).unwrap();
        pair.drive_split(3);
        assert_eq!(pair.server_messages(), vec![text.clone(), binary.clone()]);
        assert_eq!(pair.client_messages(), vec![text, binary]);
    }
}

#[test]
fn pair_exchanges_messages_of_every_size_with_pings() {
    let mut pair = Pair::open(Config::default());
    let sizes = [0usize, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20];
    for &size in &sizes {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        pair.client.send(Message::binary(data.clone())).unwrap();
        pair.client.ping(b"tick").unwrap();
        pair.server.send(Message::text("é".repeat(size / 2))).unwrap();
        pair.server.ping(b"tock").unwrap();
        pair.drive_split(7919);
        assert_eq!(pair.server_messages(), vec![Message::binary(data)]);
        assert_eq!(pair.client_messages(), vec![Message::text("é".repeat(size / 2))]);
        // Each side saw the other's ping and the pong answering its own.
        for evs in [&mut pair.client_events, &mut pair.server_events] {
            assert_eq!(evs.len(), 2, "{evs:?}");
            evs.clear();
        }
    }
}

#[test]
fn an_open_connection_keeps_no_room_for_handshake_events() {
    // Data messages bypass the event queue; the room the handshake's events took is given back
    // once `Opened` is taken, so that an idle connection holds none.
    let mut pair = Pair::open(Config::default());
    assert_eq!((pair.client.event_room(), pair.server.event_room()), (0, 0));
    pair.client.send(Message::binary(vec![1; 10])).unwrap();
    pair.client.ping(b"tick").unwrap();
    pair.drive();
    assert_eq!(pair.server_messages(), vec![Message::binary(vec![1; 10])]);
    assert_eq!(pair.server_events, vec![Event::Ping(Bytes::from_static(b"tick"))]);
}

#[test]
fn outgoing_fragmentation() {
    let config = Config { fragment_size: Some(3), ..Config::default() };
    let mut s = open_server(config.clone());
    s.send(Message::text("abcdefg")).unwrap();
    assert_eq!(sent(&mut s), b"\x01\x03abc\x00\x03def\x80\x01g");
    let mut pair = Pair::open(config);
    pair.client.send(Message::text("κόσμε is split inside characters")).unwrap();
    pair.drive();
    assert_eq!(pair.server_messages(), vec![Message::text("κόσμε is split inside characters")]);
}

#[test]
fn client_masks_every_frame_with_a_fresh_key() {
    let mut c = open_client(Config::default());
    c.send(Message::text("same")).unwrap();
    c.send(Message::text("same")).unwrap();
    let out = sent(&mut c);
    let (a, b) = out.split_at(out.len() / 2);
    assert_eq!((a[1], b[1]), (0x84, 0x84));
    assert_ne!(a[2..6], b[2..6], "masking keys repeat");
}

#[test]
fn eof_without_close_is_abnormal() {
    let mut c = open_client(Config::default());
    c.receive(b"\x81\x02hi");
    c.receive_eof();
    assert_eq!(
        events(&mut c),
        vec![Event::Message(Message::text("hi")), Event::Failed(Error::Abnormal)]
    );
    // EOF mid-frame too.
    let mut c = open_client(Config::default());
    c.receive(b"\x81\x05hel");
    c.receive_eof();
    assert_eq!(events(&mut c), vec![Event::Failed(Error::Abnormal)]);
}

#[test]
fn poll_message_takes_messages_and_leaves_other_events() {
    let mut s = open_server(Config::default());
    assert_eq!(s.poll_message(), None);
    let mut wire = masked(0x81, b"a");
    wire.extend(masked(0x89, b"p"));
    wire.extend(masked(0x82, b"b"));
    wire.extend(masked(0x88, &close_payload(1000, "")));
    wire.extend(masked(0x81, b"after the close"));
    s.receive(&wire);
    assert_eq!(s.poll_message(), Some(Message::text("a")));
    // The ping comes next: decoded, answered, and left for `poll_event`.
    assert_eq!(s.poll_message(), None);
    assert!(s.has_events());
    assert_eq!(s.poll_message(), None, "events first");
    assert_eq!(s.poll_event(), Some(Event::Ping(bytes(b"p"))));
    assert!(!s.has_events());
    assert_eq!(sent(&mut s), unmasked(0x8a, b"p"));
    assert_eq!(s.poll_message(), Some(Message::binary(&b"b"[..])));
    assert_eq!(s.poll_message(), None);
    assert!(matches!(s.poll_event(), Some(Event::CloseReceived(_))));
    assert_eq!(s.poll_message(), None);
    assert_eq!(s.poll_event(), None);

    let mut s = open_server(Config::default());
    s.receive(&[0x81, 0x05]); // unmasked: a protocol error
    assert_eq!(s.poll_message(), None);
    assert!(matches!(s.poll_event(), Some(Event::Failed(_))));
}
