//! Messages both ways: kinds, order, sizes, the Sink and Stream traits, pings, keepalive.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::{Either, select};
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

/// A transport that counts the writes that carried bytes.
struct CountedWrites {
    tcp: crate::rt::Tcp,
    writes: Arc<std::sync::atomic::AtomicUsize>,
}

impl CountedWrites {
    fn count(&self, polled: &Poll<std::io::Result<usize>>) {
        if matches!(polled, Poll::Ready(Ok(n)) if *n > 0) {
            self.writes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl futures_util::io::AsyncRead for CountedWrites {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl futures_util::io::AsyncWrite for CountedWrites {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.tcp).poll_write(cx, buf);
        self.count(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs);
        self.count(&polled);
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_close(cx)
    }
}

/// A client's TCP connection to `addr`, past a handshake it made by hand.
async fn raw_client(addr: std::net::SocketAddr) -> crate::rt::Tcp {
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = crate::rt::raw(ws::TcpStream::connect(addr).await.unwrap());
    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
                   Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                   Sec-WebSocket-Version: 13\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    tcp
}

/// A client frame of any length (masked, with an all-zero key: the payload reads as it is).
fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = frame(opcode, payload);
    let head = match out[1] {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    out[1] |= 0x80;
    out.splice(head..head, [0u8; 4]);
    out
}

#[test]
fn a_burst_is_answered_in_one_write() {
    // A reader that took a burst writes the answers its task queued when it has taken the last
    // message and is about to wait: a burst of 8 that came in one read leaves in one write, not
    // eight (nor two by two).
    run(async {
        use futures_util::io::AsyncWriteExt;
        let (listener, addr) = super::util::listen().await;
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel();
        let counted = writes.clone();
        crate::rt::spawn(async move {
            let mut tcp = raw_client(addr).await;
            for i in 0..20u8 {
                tcp.write_all(&masked_frame(0x2, &[i])).await.unwrap();
                assert_eq!(read_frame(&mut tcp).await, Some((0x2, vec![i])));
            }
            let mut per_burst = Vec::new();
            for _ in 0..50 {
                let before = counted.load(std::sync::atomic::Ordering::SeqCst);
                let burst: Vec<u8> = (0..8u8).flat_map(|i| masked_frame(0x2, &[i])).collect();
                tcp.write_all(&burst).await.unwrap();
                for i in 0..8u8 {
                    assert_eq!(read_frame(&mut tcp).await, Some((0x2, vec![i])));
                }
                per_burst.push(counted.load(std::sync::atomic::Ordering::SeqCst) - before);
            }
            tx.send(per_burst);
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let io = CountedWrites { tcp: crate::rt::raw(tcp), writes };
        let incoming = WebSocketStream::accept(io, options()).await.unwrap();
        let wss = incoming.accept(None).unwrap();
        let Opened { mut readable, mut writable, .. } = wss.opened().await.unwrap();
        let echo = async move {
            while let Some(Ok(message)) = readable.read().await {
                if writable.send(message).await.is_err() {
                    break;
                }
            }
        };
        // The echo ends when the peer, done, goes away.
        let per_burst = match select(Box::pin(echo), Box::pin(rx.recv())).await {
            Either::Right((per_burst, _)) => per_burst,
            Either::Left((_, rx)) => rx.await,
        };
        // On a runtime with several threads the driver, woken by the first answer, may write
        // some on a thread of its own before the reader is done; not for every burst.
        assert!(per_burst.contains(&1), "writes per burst of 8: {per_burst:?}");
    });
}

#[test]
fn a_reader_whose_peer_keeps_sending_lets_other_work_run() {
    // A reader always finds the next message there: without a bound on its turn, the task (and
    // its thread, on an executor that never preempts) would do nothing else while the peer
    // sends. Here the other work shares the reader's task, as select! would have it.
    run(async {
        use std::io::{Read as _, Write as _};
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let (listener, addr) = super::util::listen().await;
        let buffered = Arc::new(AtomicBool::new(false));
        let flag = buffered.clone();
        std::thread::spawn(move || {
            let mut tcp = std::net::TcpStream::connect(addr).unwrap();
            let request = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
                           Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                           Sec-WebSocket-Version: 13\r\n\r\n";
            tcp.write_all(request.as_bytes()).unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                tcp.read_exact(&mut byte).unwrap();
                head.push(byte[0]);
            }
            // 1 MiB of 16-byte messages (about 47,000) waits before the reader starts; 15 MiB
            // more follow as fast as the socket takes them.
            let chunk: Vec<u8> = (0..1 << 20)
                .map(|i: u32| i as u8)
                .collect::<Vec<_>>()
                .chunks(16)
                .flat_map(|payload| masked_frame(0x2, payload))
                .collect();
            let mut chunks = 0;
            while chunks < 16 && tcp.write_all(&chunk).is_ok() {
                chunks += 1;
                flag.store(true, Ordering::SeqCst);
            }
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let incoming = WebSocketStream::accept(crate::rt::raw(tcp), options()).await.unwrap();
        let wss = incoming.accept(None).unwrap();
        let Opened { mut readable, .. } = wss.opened().await.unwrap();
        while !buffered.load(Ordering::SeqCst) {
            crate::rt::sleep(Duration::from_millis(5)).await;
        }
        let taken = Arc::new(AtomicUsize::new(0));
        let counter = taken.clone();
        let reader = async move {
            while let Some(Ok(_)) = readable.read().await {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        };
        // The other work: ready once the reader has begun and then let it be polled.
        let other = std::future::poll_fn(|cx| {
            if taken.load(Ordering::SeqCst) > 0 {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        });
        let outcome = select(Box::pin(reader), Box::pin(other)).await;
        let taken = taken.load(Ordering::SeqCst);
        assert!(matches!(outcome, Either::Right(_)), "the reader ended first");
        assert!(taken <= 10_000, "the reader held its task for {taken} messages");
    });
}

#[test]
fn a_reader_that_stops_after_its_turn_still_has_pings_answered() {
    // A reader that took its turn (2 MiB: 32 messages of 64 KiB) yields, and the driver leaves
    // the socket to it rather than read in its place; an application that then stops reading
    // must still have the peer's ping answered, the driver reading again after that once.
    run(async {
        use futures_util::io::AsyncWriteExt;
        let (listener, addr) = super::util::listen().await;
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (pong_tx, pong_rx) = oneshot::channel();
        crate::rt::spawn(async move {
            let mut tcp = raw_client(addr).await;
            let message = masked_frame(0x2, &[7u8; 64 << 10]);
            for _ in 0..32 {
                tcp.write_all(&message).await.unwrap();
            }
            go_rx.recv().await;
            tcp.write_all(&masked_frame(0x9, b"still there?")).await.unwrap();
            pong_tx.send(read_frame(&mut tcp).await);
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let incoming = WebSocketStream::accept(crate::rt::raw(tcp), options()).await.unwrap();
        let wss = incoming.accept(None).unwrap();
        let Opened { mut readable, .. } = wss.opened().await.unwrap();
        let taken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = taken.clone();
        let reader = async move {
            while let Some(Ok(_)) = readable.read().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        };
        // Ready once the reader has taken the 32 messages and then returned `Pending` (its
        // yield: the turn is over whether or not more input is there).
        let other = std::future::poll_fn(|cx| {
            if taken.load(std::sync::atomic::Ordering::SeqCst) >= 32 {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        });
        let Either::Right((_, reader)) = select(Box::pin(reader), Box::pin(other)).await else {
            panic!("the reader ended first");
        };
        assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 32);
        // The reader is kept, never polled again; the ping comes now.
        go_tx.send(());
        let pong = timeout(Duration::from_secs(10), pong_rx.recv()).await;
        assert_eq!(pong, Some(Some((0xA, b"still there?".to_vec()))), "the ping went unanswered");
        drop(reader);
    });
}
