//! RFC 6455 sections 5.5.1 and 7: the closing handshake in both orders, and its failures.

use super::*;
use crate::error::{CloseError, Error, ProtocolError, SendError};
use crate::{ClientConfig, CloseCode, CloseFrame, Config, Event, Message, State, Transmit};

#[test]
fn client_closes_first_server_replies_and_closes_tcp_first() {
    let mut pair = Pair::open(Config::default());
    pair.client.close(Some(CloseCode::NORMAL), "done").unwrap();
    assert_eq!(pair.client.state(), State::Closing);
    assert_eq!(pair.client.send(Message::text("late")), Err(SendError::Closing));
    pair.drive();
    let frame = CloseFrame::new(1000, "done");
    assert_eq!(pair.server_events, vec![Event::CloseReceived(frame.clone())]);
    assert_eq!(pair.client_events, vec![Event::CloseReceived(frame)]);
    assert!(pair.client.is_closed() && pair.server.is_closed());
    assert!(pair.server_shutdown, "the server closes TCP first");
    assert!(!pair.client_shutdown, "the client waits for the server");
    // The client saw the server's FIN: the close was clean.
    assert_eq!(pair.client.error(), None);
    assert!(!pair.client.close_expected());
}

#[test]
fn server_closes_first_client_replies() {
    let mut pair = Pair::open(Config::default());
    pair.server.close(Some(CloseCode(4000)), "Night draws to a close").unwrap();
    pair.drive();
    let frame = CloseFrame::new(4000, "Night draws to a close");
    assert_eq!(pair.client_events, vec![Event::CloseReceived(frame.clone())]);
    assert_eq!(pair.server_events, vec![Event::CloseReceived(frame)]);
    assert!(pair.server_shutdown && !pair.client_shutdown);
    assert_eq!((pair.client.error(), pair.server.error()), (None, None));
}

#[test]
fn both_close_at_once() {
    let mut pair = Pair::open(Config::default());
    pair.client.close(Some(CloseCode(3001)), "c").unwrap();
    pair.server.close(Some(CloseCode(3002)), "s").unwrap();
    pair.drive();
    assert_eq!(pair.client_events, vec![Event::CloseReceived(CloseFrame::new(3002, "s"))]);
    assert_eq!(pair.server_events, vec![Event::CloseReceived(CloseFrame::new(3001, "c"))]);
    assert!(pair.client.is_closed() && pair.server.is_closed());
    // Neither replied to the other: each had sent its own Close.
    assert_eq!(pair.client.close_sent(), Some(&CloseFrame::new(3001, "c")));
}

#[test]
fn reply_can_wait_for_the_caller() {
    let config = Config { auto_close_reply: false, ..Config::default() };
    let mut c = open_client(config);
    c.receive(b"\x81\x02hi\x88\x04\x0f\xa0ok\x81\x05after");
    assert_eq!(
        events(&mut c),
        vec![
            Event::Message(Message::text("hi")),
            Event::CloseReceived(CloseFrame::new(4000, "ok"))
        ]
    );
    assert_eq!(c.state(), State::Closing);
    assert_eq!(c.pending_transmit(), 0, "no reply before reply_close");
    c.reply_close();
    let out = sent(&mut c);
    assert_eq!(&out[..2], b"\x88\x84");
    assert_eq!(c.state(), State::Closed);
    assert!(c.close_expected());
    c.receive_eof();
    assert!(!c.close_expected());
    assert_eq!(c.error(), None);
}

#[test]
fn empty_close_is_1005_and_echoed_empty() {
    let mut s = open_server(Config::default());
    s.receive(&masked(0x88, b""));
    assert_eq!(events(&mut s), vec![Event::CloseReceived(CloseFrame::empty())]);
    assert_eq!(sent(&mut s), b"\x88\x00");
    assert_eq!(s.poll_transmit(), Some(Transmit::Shutdown));
}

#[test]
fn invalid_close_frames_fail() {
    let cases = [
        (vec![0x03], ProtocolError::InvalidClosePayload),
        (close_payload(999, ""), ProtocolError::InvalidCloseCode),
        (close_payload(1005, ""), ProtocolError::InvalidCloseCode),
        (close_payload(1006, ""), ProtocolError::InvalidCloseCode),
        (close_payload(1015, ""), ProtocolError::InvalidCloseCode),
        (close_payload(1016, ""), ProtocolError::InvalidCloseCode),
        (close_payload(2999, ""), ProtocolError::InvalidCloseCode),
        (close_payload(5000, ""), ProtocolError::InvalidCloseCode),
        ([&close_payload(1000, "")[..], b"\xce\xba\xe1"].concat(), ProtocolError::InvalidUtf8),
    ];
    for (payload, error) in cases {
        let mut s = open_server(Config::default());
        s.receive(&masked(0x88, &payload));
        let evs = events(&mut s);
        assert_eq!(evs, vec![Event::Failed(Error::Protocol(error))], "{payload:?}");
        let out = sent(&mut s);
        assert_eq!(
            &out[..4],
            &[&[0x88, out[1]][..], &error.close_code().0.to_be_bytes()].concat()[..]
        );
    }
    for ok in [1000u16, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999] {
        let mut s = open_server(Config::default());
        s.receive(&masked(0x88, &close_payload(ok, "fine")));
        assert_eq!(events(&mut s), vec![Event::CloseReceived(CloseFrame::new(ok, "fine"))]);
    }
}

#[test]
fn close_arguments_are_checked_in_every_state() {
    let mut c = seeded_client(ClientConfig::new("h", "/"));
    assert_eq!(c.close(Some(CloseCode(1005)), ""), Err(CloseError::InvalidCode(CloseCode(1005))));
    assert_eq!(c.close(None, &"x".repeat(124)), Err(CloseError::ReasonTooLong));
    let mut s = open_server(Config::default());
    assert_eq!(s.close(Some(CloseCode(999)), ""), Err(CloseError::InvalidCode(CloseCode(999))));
    assert_eq!(s.state(), State::Open);
}

#[test]
fn close_during_the_handshake_abandons_it() {
    let mut c = seeded_client(ClientConfig::new("h", "/"));
    let _ = sent(&mut c);
    c.close(None, "").unwrap();
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.poll_transmit(), Some(Transmit::Shutdown));
}

#[test]
fn close_twice_sends_one_close() {
    let mut s = open_server(Config::default());
    s.close(None, "").unwrap();
    s.close(Some(CloseCode(4000)), "again").unwrap();
    assert_eq!(sent(&mut s), b"\x88\x00");
    // A reason without a code goes out with 1000.
    let mut s = open_server(Config::default());
    s.close(None, "x").unwrap();
    assert_eq!(sent(&mut s), b"\x88\x03\x03\xe8x");
}

#[test]
fn messages_still_arrive_after_our_close_until_theirs() {
    let mut s = open_server(Config::default());
    s.close(None, "").unwrap();
    s.receive(&masked(0x81, b"in flight"));
    s.receive(&masked(0x88, &close_payload(1000, "")));
    s.receive(&masked(0x81, b"after close: dropped"));
    assert_eq!(
        events(&mut s),
        vec![
            Event::Message(Message::text("in flight")),
            Event::CloseReceived(CloseFrame::new(1000, ""))
        ]
    );
}

#[test]
fn no_reply_to_our_close_then_eof_is_abnormal() {
    let mut c = open_client(Config::default());
    c.close(None, "").unwrap();
    c.receive_eof();
    assert_eq!(events(&mut c), vec![Event::Failed(Error::Abnormal)]);
}

#[test]
fn fail_sends_the_given_code() {
    let mut s = open_server(Config::default());
    s.fail(CloseCode::POLICY_VIOLATION, "idle");
    assert_eq!(sent(&mut s), b"\x88\x06\x03\xf0idle");
    assert_eq!(s.poll_transmit(), Some(Transmit::Shutdown));
    assert!(s.is_closed());
}
