//! Messages both ways: kinds, order, sizes, the Sink and Stream traits, pings, keepalive.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};

use super::util::{
    echo_once, frame, oneshot, options, raw_handshake, raw_once, read_frame, run, serve_once,
    timeout,
};
use crate::ws::{self, CloseInfo, Control, ErrorKind, Keepalive, Message, Opened, WebSocketStream};

#[test]
fn echoes_text_binary_and_empty_messages_in_order() {
    run(async {
        let url = echo_once().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        let messages = [
            Message::text("héllo"),
            Message::binary(vec![0u8, 1, 2]),
            Message::text(""),
            Message::binary(Vec::new()),
            Message::binary(vec![42u8; 1 << 20]),
        ];
        for m in &messages {
            writable.send(m.clone()).await.unwrap();
        }
        for m in &messages {
            assert_eq!(&readable.next().await.unwrap().unwrap(), m);
        }
        wss.close(CloseInfo::default()).unwrap();
        assert!(readable.next().await.is_none());
        wss.closed().await.unwrap();
    });
}

#[test]
fn large_uncompressed_messages_pipelined_arrive_intact() {
    run(async {
        let url = echo_once().await;
        // No compression: the frames are as large as the messages, and are read straight into
        // the connection where the runtime allows it.
        let wss = WebSocketStream::new(&url, ws::Options { deflate: None, ..options() }).unwrap();
        let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        let sizes = [16 << 10, (16 << 10) - 1, (64 << 10) + 3, 125, (1 << 20) + 1, 70_000, 40_000];
        let messages: Vec<Message> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let bytes: Vec<u8> = (0..n).map(|j| (j * 31 + i * 7) as u8).collect();
                Message::binary(bytes)
            })
            .collect();
        let (tx, rx) = oneshot::channel();
        let expected = messages.clone();
        crate::rt::spawn(async move {
            let mut ok = true;
            for m in &expected {
                ok &= readable.next().await.and_then(Result::ok).as_ref() == Some(m);
            }
            tx.send(ok);
        });
        // Every message is written before any echo is read: the echoes pile up behind each other.
        for m in &messages {
            writable.send(m.clone()).await.unwrap();
        }
        assert!(rx.recv().await, "an echo differed from what was sent");
        wss.close(CloseInfo::default()).unwrap();
        wss.closed().await.unwrap();
    });
}

#[test]
fn sink_and_stream_traits() {
    run(async {
        let url = echo_once().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { readable, mut writable, .. } = wss.opened().await.unwrap();
        let mut items =
            futures_util::stream::iter((0..100).map(|i| Ok(Message::text(i.to_string()))));
        writable.send_all(&mut items).await.unwrap();
        SinkExt::flush(&mut writable).await.unwrap();
        let received: Vec<Message> = readable.take(100).map(Result::unwrap).collect().await;
        assert_eq!(received.last(), Some(&Message::text("99")));
        assert_eq!(received.len(), 100);
        SinkExt::close(&mut writable).await.unwrap();
    });
}

#[test]
fn opened_and_closed_from_several_tasks() {
    run(async {
        let url = echo_once().await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let (tx, rx) = oneshot::channel();
        let other = wss.clone();
        crate::rt::spawn(async move {
            let protocol = other.opened().await.map(|o| o.protocol);
            tx.send((protocol, other.closed().await));
        });
        wss.opened().await.unwrap();
        wss.close(CloseInfo::new(4000, "x")).unwrap();
        let mine = wss.closed().await;
        let (protocol, theirs) = rx.recv().await;
        assert_eq!(protocol.unwrap(), "");
        assert_eq!(mine, theirs);
    });
}

#[test]
fn pings_are_answered_and_pongs_surface() {
    run(async {
        let pongs = Arc::new(Mutex::new(Vec::new()));
        let seen = pongs.clone();
        let url = serve_once(|incoming| async move {
            let wss = incoming.accept(None).unwrap();
            let _ = wss.closed().await;
        })
        .await;
        let on_control: ws::ControlCallback = Arc::new(move |c| seen.lock().unwrap().push(c));
        let options = ws::Options { on_control: Some(on_control), ..options() };
        let wss = WebSocketStream::new(&url, options).unwrap();
        wss.opened().await.unwrap();
        wss.ping(&b"are you there"[..]).unwrap();
        assert_eq!(wss.ping(vec![0u8; 126]).unwrap_err().kind(), ErrorKind::Syntax);
        for _ in 0..100 {
            if !pongs.lock().unwrap().is_empty() {
                break;
            }
            crate::rt::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(pongs.lock().unwrap().first(), Some(&Control::Pong("are you there".into())));
    });
}

#[test]
fn a_read_given_up_leaves_pings_to_the_driver() {
    // A reader waiting for input reads the socket itself when it is woken; one that gave up (its
    // read future dropped) must not keep the driver from answering what comes next.
    run(async {
        let (tx, rx) = oneshot::channel();
        let url = raw_once(|mut tcp| async move {
            use futures_util::io::AsyncWriteExt;
            raw_handshake(&mut tcp, "").await;
            crate::rt::sleep(Duration::from_millis(300)).await;
            tcp.write_all(&frame(0x9, b"still there?")).await.unwrap();
            let pong = timeout(Duration::from_secs(2), read_frame(&mut tcp)).await.flatten();
            tx.send(pong);
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut readable, .. } = wss.opened().await.unwrap();
        assert!(timeout(Duration::from_millis(100), readable.read()).await.is_none());
        // Not reading any more: the driver answers.
        assert_eq!(rx.recv().await, Some((0xA, b"still there?".to_vec())));
    });
}

#[test]
fn keepalive_pings_and_times_out() {
    run(async {
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "").await;
            // Reads the ping and never answers.
            while let Some((opcode, _)) = read_frame(&mut tcp).await {
                if opcode == 0x8 {
                    break;
                }
            }
        })
        .await;
        let keepalive =
            Keepalive { interval: Duration::from_millis(100), timeout: Duration::from_millis(200) };
        let options = ws::Options { keepalive: Some(keepalive), ..options() };
        let wss = WebSocketStream::new(&url, options).unwrap();
        wss.opened().await.unwrap();
        let e = wss.closed().await.unwrap_err();
        assert_eq!((e.code(), e.kind()), (Some(1006), ErrorKind::Timeout));
    });
}

#[test]
fn a_reply_leaves_at_once_while_the_reader_holds_back_a_burst() {
    // The driver holds output back while a waiting reader takes a message of a burst, so that
    // the replies leave together; a reader that stops reading must not hold back the reply it
    // wrote.
    run(async {
        let (tx, rx) = oneshot::channel();
        let url = raw_once(|mut tcp| async move {
            use futures_util::io::AsyncWriteExt;
            raw_handshake(&mut tcp, "").await;
            let mut burst = Vec::new();
            for text in ["one", "two", "three"] {
                burst.extend(frame(0x1, text.as_bytes()));
            }
            tcp.write_all(&burst).await.unwrap();
            let started = std::time::Instant::now();
            let reply = read_frame(&mut tcp).await;
            tx.send((reply, started.elapsed()));
            crate::rt::sleep(Duration::from_secs(3)).await;
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        assert_eq!(readable.read().await.unwrap().unwrap(), Message::text("one"));
        writable.send("reply").await.unwrap();
        // The reader holds back: "two" and "three" stay unread.
        let (reply, after) = rx.recv().await;
        assert_eq!(reply, Some((0x1, b"reply".to_vec())));
        assert!(after < Duration::from_secs(1), "the reply took {after:?}");
        assert_eq!(readable.read().await.unwrap().unwrap(), Message::text("two"));
    });
}
