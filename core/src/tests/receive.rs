//! Input handed over in place: reading straight into the connection ([`Connection::receive_room`]),
//! the read hint for large frames, unmasking on receipt, and messages lent where they arrived
//! ([`Connection::poll_message_with`]).

use super::framing::assert_failed;
use super::*;
use crate::error::ProtocolError;
use crate::{Config, Connection, Event, Message, MessageRef};

/// Feeds `wire` through `receive_room` in reads of at most `chunk` bytes, as a driver would.
fn feed_in_place(conn: &mut Connection, wire: &[u8], chunk: usize) {
    for piece in wire.chunks(chunk) {
        let mut room = conn.receive_room(piece.len());
        assert!(room.is_empty() && room.capacity() >= piece.len());
        room.extend_from_slice(piece);
        conn.receive_bytes(room);
    }
}

#[test]
fn room_rejoins_the_input_without_a_copy() {
    let mut s = open_server(Config::default());
    let wire = masked(0x82, &[7; 1000]);
    let mut room = s.receive_room(wire.len());
    room.extend_from_slice(&wire[..500]);
    let start = room.as_ptr();
    s.receive_bytes(room);
    // The rest lands right behind the first half, in the same allocation.
    let mut room = s.receive_room(wire.len() - 500);
    assert_eq!(room.as_ptr(), start.wrapping_add(500));
    room.extend_from_slice(&wire[500..]);
    s.receive_bytes(room);
    assert_eq!(events(&mut s), vec![Event::Message(Message::binary(vec![7; 1000]))]);
}

#[test]
fn room_handed_back_empty_loses_nothing() {
    let mut s = open_server(Config::default());
    let wire = masked(0x81, b"hello");
    s.receive(&wire[..3]);
    let room = s.receive_room(4096);
    s.receive_bytes(room);
    s.receive(&wire[3..]);
    assert_eq!(events(&mut s), vec![Event::Message(Message::text("hello"))]);
}

#[test]
fn messages_read_in_place_equal_messages_copied_in() {
    let mut wire = Vec::new();
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    wire.extend(masked(0x82, &big));
    wire.extend(masked(0x89, b"ping"));
    wire.extend(masked(0x01, "κόσμε ".repeat(3000).as_bytes()));
    wire.extend(masked(0x80, "✓".as_bytes()));
    wire.extend(masked(0x82, b"tiny"));
    for chunk in [1, 7, 1000, 16 << 10, 65_550, 1 << 20] {
        let mut copied = open_server(Config::default());
        for piece in wire.chunks(chunk) {
            copied.receive(piece);
        }
        let mut in_place = open_server(Config::default());
        feed_in_place(&mut in_place, &wire, chunk);
        let expected = events(&mut copied);
        assert_eq!(expected.len(), 4, "chunk {chunk}: {expected:?}");
        assert_eq!(events(&mut in_place), expected, "chunk {chunk}");
    }
}

#[test]
fn read_hint_asks_for_the_rest_of_a_large_frame_and_room_for_more() {
    let mut s = open_server(Config::default());
    assert_eq!(s.read_hint(), 0, "nothing is known yet");
    let wire = masked(0x82, &[1; 40_000]);
    let header = 8; // 16-bit length, masking key
    let frame = wire.len();
    assert_eq!(frame, header + 40_000);
    // Without spare capacity for the rest of the frame: that rest, two frames more and the
    // header of the next (so that a read which empties the socket comes back short).
    s.receive(&wire[..100]);
    assert_eq!(s.read_hint(), frame - 100 + 2 * frame + header);
    // Once `receive` reserved the rest of the frame (it knows the header now), that rest.
    s.receive(&wire[100..200]);
    assert!(s.read_hint() >= frame - 200);
    let past = (200 + s.read_hint()) % frame;
    assert!(past == 0 || past == header, "ends at a frame boundary or past the next header");
    s.receive(&wire[200..]);
    assert_eq!(s.read_hint(), 0, "the frame is complete");
    assert!(matches!(s.poll_event(), Some(Event::Message(_))));
    // Between frames, after a large one: whole frames as long, as many as the spare capacity
    // holds (at least one), or two in a new allocation, and a header when it fits.
    let hint = s.read_hint();
    assert!(hint >= frame && (hint % frame == 0 || hint % frame == header), "{hint}");
    // Small frames are read in bulk, behind complete frames too.
    let mut small = open_server(Config::default());
    let mut wire = masked(0x82, b"a");
    wire.extend(masked(0x82, &[2; 100]));
    small.receive(&wire[..wire.len() - 10]);
    assert_eq!(small.read_hint(), 0);
    // A large frame behind a complete small one is found.
    let mut behind = open_server(Config::default());
    let mut wire = masked(0x82, b"a");
    let large = masked(0x82, &[3; 20_000]);
    wire.extend(&large);
    behind.receive(&wire[..100]);
    assert_eq!(behind.read_hint(), wire.len() - 100 + 2 * large.len() + header);
}

#[test]
fn read_hint_ends_at_frame_boundaries_within_the_spare_capacity() {
    let mut s = open_server(Config::default());
    let one = masked(0x82, &[7; 30_000]);
    let frame = one.len();
    let stream: Vec<u8> = (0..8).flat_map(|_| one.iter().copied()).collect();
    let mut fed = 0;
    let mut messages = 0;
    // The first bytes come through a driver's buffer; from then on the reads go straight into
    // the input, each as large as the hint, in pieces that end anywhere.
    s.receive(&stream[..50]);
    fed += 50;
    let mut grown = 0;
    while fed < stream.len() {
        let hint = s.read_hint();
        if hint == 0 {
            // A read ended inside the header of the next frame (the hint reaches past the
            // boundary): until it is whole the length is unknown, and a driver reads through
            // its own buffer, as it did the first bytes.
            let at = fed % frame;
            assert!(at > 0 && at < 8, "no hint at {fed}, {at} bytes into a frame");
            s.receive(&stream[fed..fed + 8 - at]);
            fed += 8 - at;
            continue;
        }
        let mut room = s.receive_room(hint);
        assert!(room.capacity() >= hint, "the room is smaller than the hint");
        // The hint is the rest of the tail frame plus whole frames, and maybe the header of
        // the next (8 bytes: a 16-bit length and the key).
        let past = (fed + hint) % frame;
        assert!(past == 0 || past == 8, "hint {hint} at {fed} is not frame-aligned");
        // A short read (a third of the hint) leaves the rest of its frame room in this allocation.
        let n = (hint / 3).max(1).min(stream.len() - fed);
        room.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        let ptr = room.as_ptr();
        s.receive_bytes(room);
        while let Some(Event::Message(m)) = s.poll_event() {
            assert_eq!(m.as_bytes().len(), 30_000);
            messages += 1;
        }
        // The rest of a frame left half-read fits behind it: the next hint needs no growth.
        let needed = s.frame_bytes_needed();
        if needed > 0 {
            let next = s.read_hint();
            let room = s.receive_room(next);
            if room.as_ptr() != ptr.wrapping_add(n) {
                grown += 1;
            }
            s.receive_bytes(room);
        }
    }
    assert_eq!(messages, 8);
    assert_eq!(grown, 0, "a half-read frame was moved to a new allocation");
}

#[test]
fn read_hint_ignores_lengths_past_the_limits_and_the_handshake() {
    let mut s = open_server(Config { max_frame_size: 1 << 20, ..Config::default() });
    // A header that announces 2 MiB: decoding will fail, nothing should be reserved for it.
    s.receive(b"\x82\xff\x00\x00\x00\x00\x00\x20\x00\x00\x01\x02\x03\x04");
    assert_eq!(s.read_hint(), 0);
    assert_eq!(s.frame_bytes_needed(), 0);
    // Before the handshake the input is HTTP.
    let mut fresh = Connection::server(crate::ServerConfig::default());
    fresh.receive(b"\x82\x7f\x00\x00\x00\x00\x00\x10\x00\x00");
    assert_eq!(fresh.read_hint(), 0);
    assert_eq!(fresh.frame_bytes_needed(), 0);
}

#[test]
fn invalid_text_found_on_receipt_is_reported_after_the_messages_before_it() {
    let mut s = open_server(Config::default());
    let mut wire = masked(0x82, b"first");
    wire.extend(masked(0x81, b"fine"));
    s.receive(&wire);
    // The bad frame arrives, in pieces, while the two messages before it are still undecoded,
    // and once they are decoded: either way they come first, then the failure.
    let bad = masked(0x81, b"ok \xff then more");
    s.receive(&bad[..10]);
    s.receive(&bad[10..]);
    let evs = events(&mut s);
    assert_eq!(
        evs[..2],
        [Event::Message(Message::binary(&b"first"[..])), Event::Message(Message::text("fine"))]
    );
    assert_eq!(evs.len(), 3, "{evs:?}");
    let mut s = open_server(Config::default());
    s.receive(&masked(0x82, b"first"));
    assert_eq!(events(&mut s), vec![Event::Message(Message::binary(&b"first"[..]))]);
    // Now the bad frame is at the front of the input as it arrives: checked on receipt, up to
    // and including the bad byte only.
    s.receive(&bad[..10]);
    assert_failed(&mut s, ProtocolError::InvalidUtf8);
}

#[test]
fn a_bad_header_found_on_receipt_fails_in_order() {
    let mut s = open_server(Config::default());
    s.receive(&masked(0x82, b"before"));
    // Reserved bits set: found when it arrives at the front, reported after "before".
    s.receive(&masked(0xc2, b"x"));
    let evs = events(&mut s);
    assert_eq!(evs[0], Event::Message(Message::binary(&b"before"[..])));
    let mut s = open_server(Config::default());
    s.receive(&masked(0xc2, b"x"));
    assert_failed(&mut s, ProtocolError::ReservedBits);
}

/// Every event, taking messages with `poll_message_with` first, as a custom loop would.
fn lent_events(conn: &mut Connection) -> Vec<Event> {
    let mut out = Vec::new();
    loop {
        if let Some(m) = conn.poll_message_with(|m: MessageRef<'_>| m.to_message()) {
            out.push(Event::Message(m));
            continue;
        }
        match conn.poll_event() {
            Some(e) => out.push(e),
            None => return out,
        }
    }
}

#[test]
fn lent_messages_equal_owned_ones() {
    let mut wire = Vec::new();
    wire.extend(masked(0x81, "κόσμε".as_bytes()));
    wire.extend(masked(0x82, b""));
    wire.extend(masked(0x81, &[b'x'; 64]));
    wire.extend(masked(0x82, &[9; 65]));
    wire.extend(masked(0x89, b"ping"));
    wire.extend(masked(0x01, b"frag"));
    wire.extend(masked(0x8a, b"pong"));
    wire.extend(masked(0x80, "ment ✓".as_bytes()));
    wire.extend(masked(0x82, &[5; 70_000]));
    wire.extend(masked(0x81, b"last"));
    for chunk in [1, 3, 16, 100, 1 << 20] {
        let mut owned = open_server(Config::default());
        let mut lent = open_server(Config::default());
        for piece in wire.chunks(chunk) {
            owned.receive(piece);
            lent.receive(piece);
        }
        let expected = events(&mut owned);
        assert_eq!(expected.len(), 9, "{expected:?}");
        assert_eq!(lent_events(&mut lent), expected, "chunk {chunk}");
        assert_eq!(sent(&mut lent), sent(&mut owned), "the same pong leaves");
    }
}

#[test]
fn lent_text_that_is_not_utf8_fails_as_owned_text_does() {
    for bad in [&b"\xff"[..], b"ok \xc3", b"\xed\xa0\x80 surrogate"] {
        let mut s = open_server(Config::default());
        let mut wire = masked(0x81, b"fine");
        wire.extend(masked(0x81, bad));
        s.receive(&wire);
        assert_eq!(s.poll_message_with(|m| m.to_message()), Some(Message::text("fine")));
        assert_eq!(s.poll_message_with(|m| m.to_message()), None);
        assert_failed(&mut s, ProtocolError::InvalidUtf8);
    }
}

#[test]
fn small_frames_over_the_limits_fail_as_before() {
    let mut s = open_server(Config { max_message_size: 10, ..Config::default() });
    s.receive(&masked(0x82, &[1; 11]));
    assert_failed(&mut s, ProtocolError::MessageTooLarge);
    // An unmasked frame to a server, a masked one to a client.
    let mut s = open_server(Config::default());
    s.receive(&unmasked(0x81, b"hi"));
    assert_failed(&mut s, ProtocolError::UnmaskedFrame);
    let mut c = open_client(Config::default());
    c.receive(&masked(0x82, b"hi"));
    assert_failed(&mut c, ProtocolError::MaskedFrame);
}

#[test]
fn large_frames_behind_undecoded_ones_are_unmasked_once() {
    // Large frames back to back (text among them), small ones between, received in pieces of
    // every kind of size while nothing is decoded: each is unmasked on receipt, behind the
    // others, and must come out exactly as sent.
    let sizes = [20_000, 16 << 10, 5, 100_000, 17_000, 0, 40_000, 18_000, 19_000, 20_001, 30];
    let payload =
        |i: usize, n: usize| -> Vec<u8> { (0..n).map(|j| b'a' + ((i + j) % 26) as u8).collect() };
    let mut wire = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        let first = if i % 3 == 1 { 0x81 } else { 0x82 };
        wire.extend(masked(first, &payload(i, n)));
    }
    for chunk in [1000, 4096, 16 << 10, 65_536, 200_000] {
        let mut s = open_server(Config::default());
        for piece in wire.chunks(chunk) {
            s.receive(piece);
        }
        let got = events(&mut s);
        assert_eq!(got.len(), sizes.len(), "chunk {chunk}");
        for (i, (event, &n)) in got.iter().zip(&sizes).enumerate() {
            let Event::Message(m) = event else { panic!("{event:?}") };
            assert_eq!(m.as_bytes(), &payload(i, n)[..], "chunk {chunk}, message {i}");
            assert_eq!(m.is_text(), i % 3 == 1);
        }
    }
    // Decoding between pieces, as a reader keeping up, gives the same.
    let mut s = open_server(Config::default());
    let mut got = Vec::new();
    for piece in wire.chunks(7000) {
        s.receive(piece);
        if let Some(Event::Message(m)) = s.poll_event() {
            got.push(m);
        }
    }
    got.extend(events(&mut s).into_iter().filter_map(|e| match e {
        Event::Message(m) => Some(m),
        _ => None,
    }));
    let expected: Vec<Vec<u8>> = sizes.iter().enumerate().map(|(i, &n)| payload(i, n)).collect();
    let got: Vec<Vec<u8>> = got.iter().map(|m| m.as_bytes().to_vec()).collect();
    assert_eq!(got, expected);
}

#[test]
fn spare_room_reuses_the_inputs_allocation_and_never_allocates() {
    let mut s = open_server(Config::default());
    // The handshake's input is all the connection holds: not room for a burst.
    assert!(s.spare_room(16 << 10).is_none(), "an idle connection is not made to allocate");
    // A burst of small frames, copied in: the input grows to hold it.
    let burst: Vec<u8> = (0..40u8).flat_map(|i| masked(0x82, &[i; 1000])).collect();
    s.receive(&burst);
    assert_eq!(events(&mut s).len(), 40);
    // The next bursts go straight into the same allocation, and decode as copied input does.
    let mut start = None;
    for _ in 0..3 {
        let mut room = s.spare_room(16 << 10).expect("the first burst's allocation");
        assert!(room.is_empty() && room.capacity() >= burst.len());
        assert_eq!(*start.get_or_insert(room.as_ptr()), room.as_ptr());
        room.extend_from_slice(&burst);
        s.receive_bytes(room);
        let messages = events(&mut s);
        assert_eq!(messages.len(), 40);
        assert_eq!(messages[39], Event::Message(Message::binary(vec![39; 1000])));
    }
    // Room that only fresh memory could give: none.
    assert!(s.spare_room(1 << 20).is_none());
}
