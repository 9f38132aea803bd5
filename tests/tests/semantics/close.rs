//! Closing: ours, the peer's, both, unclean ones, failures and timeouts.

use std::time::{Duration, Instant};

use futures_util::AsyncWriteExt;

use super::util::{
    close_frame, echo_once, eof_within, frame, oneshot, options, raw_handshake, raw_once,
    read_close, run, serve_once, timeout,
};
use crate::ws::{CloseInfo, ErrorKind, Message, Opened, WebSocketError, WebSocketStream};

/// A raw server that reports the Close it receives and answers it.
async fn close_recorder() -> (String, oneshot::Receiver<Option<(u16, String)>>) {
    let (tx, rx) = oneshot::channel();
    let url = raw_once(|mut tcp| async move {
        raw_handshake(&mut tcp, "").await;
        let close = read_close(&mut tcp).await;
        if let Some((code, reason)) = &close {
            let reply = if *code == 1005 { frame(0x8, b"") } else { close_frame(*code, reason) };
            let _ = tcp.write_all(&reply).await;
        }
        tx.send(close);
    })
    .await;
    (url, rx)
}

async fn close_and_record(info: CloseInfo) -> (Option<(u16, String)>, CloseInfo) {
    let (url, recorded) = close_recorder().await;
    let wss = WebSocketStream::new(&url, options()).unwrap();
    let Opened { mut writable, .. } = wss.opened().await.unwrap();
    wss.close(info).unwrap();
    let e = writable.send("too late").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidState);
    let closed = wss.closed().await.unwrap();
    (recorded.recv().await, closed)
}

#[test]
fn close_sends_an_empty_close() {
    run(async {
        let (sent, closed) = close_and_record(CloseInfo::default()).await;
        assert_eq!(sent, Some((1005, String::new())));
        assert_eq!(closed, CloseInfo { close_code: Some(1005), reason: String::new() });
        let (sent, _) =
            close_and_record(CloseInfo { close_code: None, reason: String::new() }).await;
        assert_eq!(sent, Some((1005, String::new())));
    });
}

#[test]
fn close_with_a_reason_sends_1000() {
    run(async {
        let info = CloseInfo { close_code: None, reason: "x".into() };
        let (sent, closed) = close_and_record(info).await;
        assert_eq!(sent, Some((1000, "x".into())));
        assert_eq!(closed, CloseInfo::new(1000, "x"));
    });
}

#[test]
fn close_with_a_code_and_reason() {
    run(async {
        let (sent, _) = close_and_record(CloseInfo::new(4000, "Night draws to a close")).await;
        assert_eq!(sent, Some((4000, "Night draws to a close".into())));
    });
}

#[test]
fn close_checks_code_then_reason_in_every_state() {
    run(async {
        let url = echo_once().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let check = |wss: &WebSocketStream| {
            for code in [999, 1001, 1005, 1006, 2999, 5000] {
                let e = wss.close(CloseInfo::new(code, "a".repeat(200))).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::InvalidAccess, "{code}");
            }
            let e = wss.close(CloseInfo::new(1000, "é".repeat(62))).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Syntax);
        };
        check(&wss);
        wss.opened().await.unwrap();
        check(&wss);
        wss.close(CloseInfo::new(3000, "é".repeat(61))).unwrap();
        // Already closing: nothing changes.
        wss.close(CloseInfo::new(4999, "again")).unwrap();
        let closed = wss.closed().await.unwrap();
        assert_eq!(closed, CloseInfo::new(3000, "é".repeat(61)));
        check(&wss);
        wss.close(CloseInfo::default()).unwrap();
    });
}

#[test]
fn peer_close_keeps_queued_messages_readable() {
    run(async {
        let url = serve_once(|incoming| async move {
            let wss = incoming.accept(None).unwrap();
            let Opened { mut writable, .. } = wss.opened().await.unwrap();
            for i in 0..3 {
                writable.send(format!("m{i}")).await.unwrap();
            }
            wss.close(CloseInfo::new(4001, "bye")).unwrap();
            let _ = wss.closed().await;
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        // The reply waits for the reader: closed does not resolve before we read.
        assert!(timeout(Duration::from_millis(300), wss.closed()).await.is_none());
        for i in 0..3 {
            assert_eq!(readable.read().await.unwrap().unwrap(), Message::text(format!("m{i}")));
        }
        assert!(readable.read().await.is_none());
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4001, "bye"));
        assert_eq!(writable.send("late").await.unwrap_err().kind(), ErrorKind::InvalidState);
    });
}

#[test]
fn an_empty_peer_close_reads_as_1005() {
    run(async {
        let url = serve_once(|incoming| async move {
            let wss = incoming.accept(None).unwrap();
            wss.close(CloseInfo::default()).unwrap();
            let _ = wss.closed().await;
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(1005, ""));
    });
}

#[test]
fn writer_close_resolves_when_the_handshake_completes() {
    run(async {
        let url = echo_once().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut writable, .. } = wss.opened().await.unwrap();
        writable.send("hello").await.unwrap();
        writable.close().await.unwrap();
        assert_eq!(wss.closed().await.unwrap().close_code, Some(1005));
    });
}

#[test]
fn abort_and_cancel_close_with_the_reason_code() {
    run(async {
        let (url, recorded) = close_recorder().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { writable, .. } = wss.opened().await.unwrap();
        writable.abort(Some(WebSocketError::with_close(4002, "aborted")));
        assert_eq!(recorded.recv().await, Some((4002, "aborted".into())));
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4002, "aborted"));

        let (url, recorded) = close_recorder().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { readable, .. } = wss.opened().await.unwrap();
        readable.cancel(Some(WebSocketError::new(ErrorKind::Application, "no code")));
        assert_eq!(recorded.recv().await, Some((1005, String::new())));
    });
}

#[test]
fn dropping_every_handle_closes() {
    run(async {
        let (url, recorded) = close_recorder().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let opened = wss.opened().await.unwrap();
        drop((wss, opened));
        assert_eq!(recorded.recv().await, Some((1005, String::new())));
    });
}

#[test]
fn tcp_lost_without_close_fails_with_1006() {
    run(async {
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "").await;
            let _ = tcp.write_all(&frame(0x1, b"last words")).await;
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        let closed = wss.closed().await.unwrap_err();
        assert_eq!((closed.code(), closed.kind()), (Some(1006), ErrorKind::Io));
        assert_eq!(readable.read().await.unwrap().unwrap_err(), closed);
        assert_eq!(writable.send("x").await.unwrap_err(), closed);
    });
}

#[test]
fn no_reply_to_our_close_times_out() {
    run(async {
        let (tx, rx) = oneshot::channel();
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "").await;
            // Reads the Close, never answers, and reports whether TCP was dropped.
            let close = read_close(&mut tcp).await;
            tx.send((close, eof_within(&mut tcp, Duration::from_secs(5)).await));
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        wss.opened().await.unwrap();
        let start = Instant::now();
        wss.close(CloseInfo::default()).unwrap();
        let e = wss.closed().await.unwrap_err();
        assert_eq!((e.code(), e.kind()), (Some(1006), ErrorKind::Timeout));
        assert!(start.elapsed() >= Duration::from_millis(400), "close timeout is 500 ms");
        assert_eq!(rx.recv().await, (Some((1005, String::new())), true));
    });
}

#[test]
fn a_server_keeping_tcp_open_is_closed_by_the_client() {
    run(async {
        let (tx, rx) = oneshot::channel();
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "").await;
            let _ = tcp.write_all(&close_frame(4005, "done")).await;
            let echoed = read_close(&mut tcp).await;
            // Keeps TCP open; the client must close it.
            tx.send((echoed, eof_within(&mut tcp, Duration::from_secs(5)).await));
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut readable, .. } = wss.opened().await.unwrap();
        assert!(readable.read().await.is_none());
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4005, "done"));
        assert_eq!(rx.recv().await, (Some((4005, "done".into())), true));
    });
}

async fn violation(bytes: Vec<u8>, expected: u16) {
    let (tx, rx) = oneshot::channel();
    let url = raw_once(|mut tcp| async move {
        raw_handshake(&mut tcp, "").await;
        let _ = tcp.write_all(&bytes).await;
        let close = read_close(&mut tcp).await;
        tx.send((close, eof_within(&mut tcp, Duration::from_secs(5)).await));
    })
    .await;
    let wss = WebSocketStream::new(&url, options()).unwrap();
    let Opened { mut readable, .. } = wss.opened().await.unwrap();
    let e = wss.closed().await.unwrap_err();
    assert_eq!((e.code(), e.kind()), (Some(1006), ErrorKind::Protocol));
    assert_eq!(readable.read().await.unwrap().unwrap_err(), e);
    let (close, dropped) = rx.recv().await;
    assert_eq!(close.map(|(code, _)| code), Some(expected));
    assert!(dropped);
}

#[test]
fn protocol_violations_fail_with_the_right_code() {
    run(async {
        violation(vec![0x83, 0x00], 1002).await; // reserved opcode
        violation(frame(0x1, b"\xff\xfe"), 1007).await; // invalid UTF-8
        violation(close_frame(1005, ""), 1002).await; // a code that may not be sent
    });
}

#[test]
fn a_peer_close_during_our_write_is_unclean() {
    run(async {
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "").await;
            crate::rt::sleep(Duration::from_millis(200)).await;
            let _ = tcp.write_all(&close_frame(4003, "go away")).await;
            // Never reads: our write stays in flight.
            crate::rt::sleep(Duration::from_secs(3)).await;
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut writable, .. } = wss.opened().await.unwrap();
        let big = Message::binary(vec![7u8; 16 << 20]);
        let write = writable.send(big).await.unwrap_err();
        let closed = wss.closed().await.unwrap_err();
        assert_eq!((closed.code(), closed.reason()), (Some(4003), "go away"));
        assert_eq!(write, closed);
        assert_eq!(writable.send("later").await.unwrap_err(), closed);
    });
}

#[test]
fn both_sides_close_at_once() {
    run(async {
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "").await;
            let _ = tcp.write_all(&close_frame(4010, "server first")).await;
            let _ = read_close(&mut tcp).await;
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        wss.opened().await.unwrap();
        wss.close(CloseInfo::new(4011, "client")).unwrap();
        // Either order on the wire, the first Close received is reported.
        assert_eq!(wss.closed().await.unwrap(), CloseInfo::new(4010, "server first"));
    });
}
