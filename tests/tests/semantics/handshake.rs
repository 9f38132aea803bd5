//! Opening: success, the ways a handshake fails, abort and close while opening.

use std::time::{Duration, Instant};

use super::util::{
    eof_within, listen, oneshot, options, raw_handshake, raw_once, read_request, run, serve_once,
};
use crate::ws::{self, AbortController, CloseInfo, ErrorKind, WebSocketStream};

#[test]
fn opens_with_the_negotiated_protocol() {
    run(async {
        let url = serve_once(|incoming| async move {
            assert_eq!(incoming.path(), "/chat?room=1");
            assert_eq!(incoming.protocols(), ["amqp", "mqtt"]);
            assert_eq!(incoming.header("x-token"), Some("secret"));
            assert_eq!(incoming.header("origin"), Some("https://example.com"));
            let wss = incoming.accept(Some("mqtt")).unwrap();
            let opened = wss.opened().await.unwrap();
            assert_eq!(
                (opened.protocol.as_str(), opened.extensions.as_str()),
                ("mqtt", "permessage-deflate")
            );
            let _ = wss.closed().await;
        })
        .await;
        let options = ws::Options {
            protocols: vec!["amqp".into(), "mqtt".into()],
            headers: vec![("X-Token".into(), "secret".into())],
            origin: Some("https://example.com".into()),
            ..options()
        };
        let wss = WebSocketStream::new(&format!("{url}chat?room=1"), options).unwrap();
        let opened = wss.opened().await.unwrap();
        assert_eq!(opened.protocol, "mqtt");
        // Compression is offered like a browser does and accepted by default.
        assert_eq!(opened.extensions, "permessage-deflate");
        // Every waiter sees the same outcome.
        assert_eq!(wss.opened().await.unwrap().protocol, "mqtt");
        wss.close(CloseInfo::default()).unwrap();
        assert_eq!(wss.closed().await.unwrap().close_code, Some(1005));
    });
}

#[test]
fn the_server_reports_the_extensions_it_agreed_to() {
    // Regression: the server's `opened` gave `extensions: ""` even with permessage-deflate agreed.
    run(async {
        let (tx, rx) = oneshot::channel();
        let url = serve_once(|incoming| async move {
            let wss = incoming.accept(None).unwrap();
            tx.send(wss.opened().await.map(|opened| opened.extensions));
            let _ = wss.closed().await;
        })
        .await;
        let mut deflate = ws::DeflateConfig::default();
        deflate.client_no_context_takeover = true;
        let options = ws::Options { deflate: Some(deflate), ..options() };
        let wss = WebSocketStream::new(&url, options).unwrap();
        let agreed = "permessage-deflate; client_no_context_takeover";
        assert_eq!(wss.opened().await.unwrap().extensions, agreed);
        assert_eq!(rx.recv().await.unwrap(), agreed);
        wss.close(CloseInfo::default()).unwrap();
        let _ = wss.closed().await;
    });
}

#[test]
fn a_connection_being_accepted_is_small_to_hold() {
    // A server holds a task per connection, as large as the largest state of its future for as
    // long as the connection lives. The future reading the request, and the `Incoming` it gives,
    // keep the connection's state on the heap: inline, they were 2 KB and 1 KB.
    run(async {
        let (listener, addr) = listen().await;
        let client = WebSocketStream::new(&format!("ws://{addr}/"), options()).unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let transport = size_of_val(&tcp);
        let accepting = ws::accept(tcp, options());
        let size = size_of_val(&accepting);
        assert!(size <= 2 * transport + 320, "reading the request takes {size} bytes");
        let incoming = accepting.await.unwrap();
        let size = size_of_val(&incoming);
        assert!(size <= transport + 32, "an Incoming takes {size} bytes");
        let wss = incoming.accept(None).unwrap();
        client.opened().await.unwrap();
        client.close(CloseInfo::default()).unwrap();
        assert_eq!(wss.closed().await.unwrap().close_code, Some(1005));
    });
}

async fn assert_fails(url: &str, options: ws::Options, words: &str) {
    let wss = WebSocketStream::new(url, options).unwrap();
    let opened = wss.opened().await.unwrap_err();
    let closed = wss.closed().await.unwrap_err();
    assert_eq!(closed.code(), Some(1006));
    assert_eq!(opened, closed, "one shared error");
    let text = format!("{opened} {:?}", opened);
    assert!(text.contains(words), "{text:?} should mention {words:?}");
}

#[test]
fn refused_connection_fails() {
    run(async {
        let (listener, addr) = listen().await;
        drop(listener);
        assert_fails(&format!("ws://{addr}/"), options(), "could not connect").await;
    });
}

#[test]
fn a_404_fails_and_says_so() {
    run(async {
        let url = serve_once(|incoming| async move {
            incoming.reject(404, "no such room").await.unwrap();
        })
        .await;
        assert_fails(&url, options(), "404").await;
    });
}

#[test]
fn a_wrong_accept_key_fails() {
    run(async {
        let url = raw_once(|mut tcp| async move {
            read_request(&mut tcp).await;
            let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                            Connection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n";
            let _ = futures_util::AsyncWriteExt::write_all(&mut tcp, response.as_bytes()).await;
            eof_within(&mut tcp, Duration::from_secs(5)).await;
        })
        .await;
        assert_fails(&url, options(), "accept").await;
    });
}

#[test]
fn an_unoffered_protocol_fails() {
    run(async {
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "Sec-WebSocket-Protocol: other\r\n").await;
            eof_within(&mut tcp, Duration::from_secs(5)).await;
        })
        .await;
        let options = ws::Options { protocols: vec!["chat".into()], ..options() };
        assert_fails(&url, options, "other").await;
    });
}

#[test]
fn no_protocol_chosen_when_some_were_offered_fails() {
    run(async {
        let url = serve_once(|incoming| async move {
            let wss = incoming.accept(None).unwrap();
            let _ = wss.closed().await;
        })
        .await;
        let options = ws::Options { protocols: vec!["chat".into()], ..options() };
        assert_fails(&url, options, "subprotocol").await;
    });
}

#[test]
fn a_server_may_not_choose_an_unoffered_protocol() {
    run(async {
        let url = serve_once(|incoming| async move {
            let e = incoming.accept(Some("nope")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Syntax);
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        assert!(wss.opened().await.is_err());
    });
}

/// A server that accepts TCP and never answers; reports whether the client dropped TCP.
async fn silent_server() -> (String, oneshot::Receiver<bool>) {
    let (tx, rx) = oneshot::channel();
    let url = raw_once(|mut tcp| async move {
        read_request(&mut tcp).await;
        tx.send(eof_within(&mut tcp, Duration::from_secs(5)).await);
    })
    .await;
    (url, rx)
}

#[test]
fn abort_during_the_handshake() {
    run(async {
        let (url, dropped) = silent_server().await;
        let controller = AbortController::new();
        let options = ws::Options { signal: Some(controller.signal()), ..options() };
        let wss = WebSocketStream::new(&url, options).unwrap();
        super::util::timeout(Duration::from_millis(100), wss.opened()).await;
        controller.abort();
        let opened = wss.opened().await.unwrap_err();
        assert_eq!(opened.kind(), ErrorKind::Abort);
        assert_eq!(wss.closed().await.unwrap_err(), opened);
        assert!(dropped.recv().await, "TCP dropped");
    });
}

#[test]
fn close_during_the_handshake() {
    run(async {
        let (url, dropped) = silent_server().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        super::util::timeout(Duration::from_millis(100), wss.opened()).await;
        wss.close(CloseInfo::default()).unwrap();
        assert_eq!(wss.opened().await.unwrap_err().code(), None);
        assert_eq!(wss.closed().await.unwrap_err().code(), Some(1006));
        assert!(dropped.recv().await, "TCP dropped");
    });
}

#[test]
fn dropping_every_handle_while_connecting_abandons_the_handshake() {
    run(async {
        let (url, dropped) = silent_server().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        super::util::timeout(Duration::from_millis(100), wss.opened()).await;
        drop(wss);
        assert!(dropped.recv().await, "TCP dropped");
    });
}

#[test]
fn connect_timeout_bounds_a_slow_server() {
    run(async {
        let (url, _dropped) = silent_server().await;
        let options =
            ws::Options { connect_timeout: Some(Duration::from_millis(300)), ..options() };
        let start = Instant::now();
        let wss = WebSocketStream::new(&url, options).unwrap();
        let e = wss.opened().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(start.elapsed() < Duration::from_secs(3));
    });
}

#[test]
fn abort_after_open_changes_nothing() {
    run(async {
        let url = super::util::echo_once().await;
        let controller = AbortController::new();
        let options = ws::Options { signal: Some(controller.signal()), ..options() };
        let wss = WebSocketStream::new(&url, options).unwrap();
        let ws::Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        controller.abort();
        writable.send("still here").await.unwrap();
        assert_eq!(readable.read().await.unwrap().unwrap(), ws::Message::text("still here"));
    });
}

#[test]
fn a_slow_accept_still_opens() {
    run(async {
        let (listener, addr) = listen().await;
        crate::rt::spawn(async move {
            crate::rt::sleep(Duration::from_millis(700)).await;
            let (tcp, _) = listener.accept().await.unwrap();
            let wss = ws::accept(tcp, options()).await.unwrap().accept(None).unwrap();
            let _ = wss.closed().await;
        });
        let start = Instant::now();
        let wss = WebSocketStream::new(&format!("ws://{addr}/"), options()).unwrap();
        wss.opened().await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(600));
    });
}
