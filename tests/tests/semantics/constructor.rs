//! The constructor: URL and subprotocol checks, and an already-aborted signal.

use std::time::Duration;

use super::util::{listen, options, run, timeout};
use crate::ws::{self, AbortController, ErrorKind, WebSocketError, WebSocketStream};

#[test]
fn rewrites_and_serializes_the_url() {
    run(async {
        let signal = Some(ws::AbortSignal::aborted());
        let new = |url: &str| {
            WebSocketStream::new(url, ws::Options { signal: signal.clone(), ..options() })
        };
        assert_eq!(new("ws://h").unwrap().url(), "ws://h/");
        assert_eq!(new("http://h:81/a?b").unwrap().url(), "ws://h:81/a?b");
        assert_eq!(new("https://h/").unwrap().url(), "wss://h/");
        assert_eq!(new("wss://h:443/").unwrap().url(), "wss://h/");
    });
}

#[test]
fn rejects_bad_urls_without_touching_the_network() {
    run(async {
        for url in ["", "not a url", "/relative", "ftp://h/", "file:///x", "ws://h/#", "ws://h/#x"]
        {
            let e = WebSocketStream::new(url, options()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Syntax, "{url}");
        }
    });
}

#[test]
fn rejects_bad_protocols() {
    run(async {
        let bad: [&[&str]; 5] = [&["a", "a"], &[""], &["a b"], &["a,b"], &["é"]];
        for protocols in bad {
            let options = ws::Options {
                protocols: protocols.iter().map(|&p| p.into()).collect(),
                ..options()
            };
            let e = WebSocketStream::new("ws://127.0.0.1/", options).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Syntax, "{protocols:?}");
        }
        // Case-sensitive comparison: "a" and "A" are different protocols.
        let signal = Some(ws::AbortSignal::aborted());
        let options = ws::Options { protocols: vec!["a".into(), "A".into()], signal, ..options() };
        assert!(WebSocketStream::new("ws://127.0.0.1/", options).is_ok());
    });
}

#[test]
fn an_aborted_signal_attempts_no_connection() {
    run(async {
        let (listener, addr) = listen().await;
        let controller = AbortController::new();
        let reason = WebSocketError::with_close(4000, "why");
        controller.abort_with(reason.clone());
        let options = ws::Options { signal: Some(controller.signal()), ..options() };
        let wss = WebSocketStream::new(&format!("ws://{addr}/"), options).unwrap();
        assert_eq!(wss.opened().await.unwrap_err(), reason);
        assert_eq!(wss.closed().await.unwrap_err(), reason);
        assert!(timeout(Duration::from_millis(200), listener.accept()).await.is_none());
    });
}
