//! Property tests: what one side encodes the other decodes to the same messages, whatever the
//! message sizes, fragment sizes and input split points; arbitrary input never panics and never
//! makes the decoder hold more than the configured limits.

use bytes::BytesMut;
use proptest::prelude::*;
use wsstream_core::frame::Decoder;
use wsstream_core::{
    ClientConfig, Config, Connection, Event, Message, Role, ServerConfig, Transmit,
};

/// Moves everything `from` transmits into `to`, cut into pieces of the given sizes (cycled).
fn pump(from: &mut Connection, to: &mut Connection, cuts: &[usize]) {
    let mut wire = Vec::new();
    while let Some(t) = from.poll_transmit() {
        match t {
            Transmit::Data(b) => wire.extend_from_slice(&b),
            Transmit::Shutdown => {}
        }
    }
    let mut rest = &wire[..];
    let mut i = 0;
    while !rest.is_empty() {
        let n = cuts.get(i % cuts.len().max(1)).copied().unwrap_or(rest.len()).clamp(1, rest.len());
        to.receive(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
}

fn messages(conn: &mut Connection) -> Vec<Message> {
    std::iter::from_fn(|| conn.poll_event())
        .filter_map(|e| match e {
            Event::Message(m) => Some(m),
            Event::Failed(e) => panic!("failed: {e}"),
            _ => None,
        })
        .collect()
}

fn open_pair(fragment_size: Option<usize>) -> (Connection, Connection) {
    let config = Config::default().with_fragment_size(fragment_size);
    let mut client =
        Connection::client(ClientConfig::new("example.com", "/").with_config(config.clone()))
            .unwrap();
    let mut server = Connection::server(ServerConfig::new().with_config(config));
    pump(&mut client, &mut server, &[]);
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    server.accept(None, None).unwrap();
    assert!(matches!(server.poll_event(), Some(Event::Opened { .. })));
    pump(&mut server, &mut client, &[]);
    assert!(matches!(client.poll_event(), Some(Event::Opened { .. })));
    (client, server)
}

/// Moves everything `from` transmits into `to` as a driver reading large frames straight into
/// the input does: [`Connection::read_hint`] bytes at most into the room
/// [`Connection::receive_room`] gives, pieces of the given sizes otherwise, taking the messages
/// after each read. Returns the messages.
fn pump_into_room(from: &mut Connection, to: &mut Connection, cuts: &[usize]) -> Vec<Message> {
    let mut wire = Vec::new();
    while let Some(Transmit::Data(b)) = from.poll_transmit() {
        wire.extend_from_slice(&b);
    }
    let mut rest = &wire[..];
    let mut got = Vec::new();
    let mut i = 0;
    while !rest.is_empty() {
        let mut n = cuts[i % cuts.len()].clamp(1, rest.len());
        let hint = to.read_hint();
        if hint > 0 {
            n = n.min(hint);
            let mut room = to.receive_room(hint);
            assert!(room.capacity() >= hint);
            room.extend_from_slice(&rest[..n]);
            to.receive_bytes(room);
        } else {
            to.receive(&rest[..n]);
        }
        rest = &rest[n..];
        i += 1;
        got.extend(messages(to));
    }
    got
}

/// A handshake `conn` accepts: a request for a server, the matching response for a client.
fn valid_handshake(conn: &mut Connection) -> Vec<u8> {
    if conn.role() == Role::Server {
        return b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            .to_vec();
    }
    let mut request = Vec::new();
    while let Some(Transmit::Data(b)) = conn.poll_transmit() {
        request.extend_from_slice(&b);
    }
    let request = String::from_utf8(request).unwrap();
    let key = request.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap();
    let accept = wsstream_core::handshake::accept_key(key.as_bytes());
    format!(
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        any::<String>().prop_map(Message::text),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(Message::binary),
        (0usize..70_000).prop_map(|n| Message::binary(vec![0xa5; n])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_both_directions(
        msgs in proptest::collection::vec(message(), 0..8),
        fragment in proptest::option::of(1usize..300),
        cuts in proptest::collection::vec(1usize..5000, 1..6),
    ) {
        let (mut client, mut server) = open_pair(fragment);
        for m in &msgs {
            client.send(m.clone()).unwrap();
            server.send(m.clone()).unwrap();
        }
        pump(&mut client, &mut server, &cuts);
        pump(&mut server, &mut client, &cuts);
        prop_assert_eq!(&messages(&mut server), &msgs);
        prop_assert_eq!(&messages(&mut client), &msgs);
    }

    #[test]
    fn round_trip_with_reads_into_the_input(
        msgs in proptest::collection::vec(message(), 0..8),
        cuts in proptest::collection::vec(1usize..150_000, 1..6),
    ) {
        let (mut client, mut server) = open_pair(None);
        for m in &msgs {
            client.send(m.clone()).unwrap();
            server.send(m.clone()).unwrap();
        }
        prop_assert_eq!(&pump_into_room(&mut client, &mut server, &cuts), &msgs);
        prop_assert_eq!(&pump_into_room(&mut server, &mut client, &cuts), &msgs);
    }

    #[test]
    fn arbitrary_input_never_panics_or_exceeds_limits(
        server_role in any::<bool>(),
        input in proptest::collection::vec(any::<u8>(), 0..4096),
        cut in 1usize..64,
    ) {
        let role = if server_role { Role::Server } else { Role::Client };
        let (max_frame, max_message) = (512, 1024);
        let mut decoder = Decoder::new(role, max_frame, max_message);
        let mut buf = BytesMut::new();
        'feed: for piece in input.chunks(cut) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(wsstream_core::frame::Decoded::Message(m))) => {
                        prop_assert!(m.len() <= max_message)
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            // The decoder keeps at most one frame's header and payload buffered.
            prop_assert!(buf.len() <= max_frame + 14 + cut);
        }
    }

    #[test]
    fn arbitrary_input_to_a_connection_never_panics(
        server_role in any::<bool>(),
        input in proptest::collection::vec(any::<u8>(), 0..2048),
        eof in any::<bool>(),
        handshake_first in any::<bool>(),
    ) {
        let mut conn = if server_role {
            Connection::server(ServerConfig::new())
        } else {
            Connection::client(ClientConfig::new("h", "/")).unwrap()
        };
        if handshake_first {
            // A valid handshake, so that the input reaches the frame decoder.
            let handshake = valid_handshake(&mut conn);
            conn.receive(&handshake);
        }
        conn.receive(&input);
        if eof {
            conn.receive_eof();
        }
        while let Some(e) = conn.poll_event() {
            if let Event::Request(_) = e {
                conn.accept(None, None).unwrap();
            }
        }
        while conn.poll_transmit().is_some() {}
    }
}
