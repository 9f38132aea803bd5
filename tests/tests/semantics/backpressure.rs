//! Backpressure both ways, measured loosely: a slow reader stalls the peer's sender; a write to
//! a peer that does not read completes only as the socket takes it.

use std::time::{Duration, Instant};

use futures_util::AsyncReadExt;

use super::util::{oneshot, options, raw_handshake, raw_once, run, serve_once};
use crate::ws::{Message, Opened, WebSocketStream};

const MIB: usize = 1 << 20;

#[test]
fn a_slow_reader_stalls_the_peer() {
    run(async {
        let (tx, rx) = oneshot::channel();
        let url = serve_once(|incoming| async move {
            let wss = incoming.accept(None).unwrap();
            let Opened { mut writable, .. } = wss.opened().await.unwrap();
            let start = Instant::now();
            for i in 0..16u8 {
                writable.send(Message::binary(vec![i; MIB])).await.unwrap();
            }
            tx.send(start.elapsed());
            let _ = wss.closed().await;
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut readable, .. } = wss.opened().await.unwrap();
        crate::rt::sleep(Duration::from_secs(2)).await;
        for i in 0..16u8 {
            let m = readable.read().await.unwrap().unwrap();
            assert_eq!((m.len(), m.as_bytes()[0]), (MIB, i));
        }
        let sending = rx.recv().await;
        assert!(sending >= Duration::from_millis(1500), "the sender was blocked {sending:?}");
    });
}

#[test]
fn a_large_write_waits_for_the_socket() {
    run(async {
        let url = raw_once(|mut tcp| async move {
            raw_handshake(&mut tcp, "").await;
            crate::rt::sleep(Duration::from_secs(2)).await;
            let mut buf = vec![0u8; 1 << 16];
            while tcp.read(&mut buf).await.unwrap_or(0) > 0 {}
        })
        .await;
        let wss = WebSocketStream::new(&url, options()).unwrap();
        let Opened { mut writable, .. } = wss.opened().await.unwrap();
        // A small write fits in the send buffer and completes at once.
        let start = Instant::now();
        writable.send(Message::binary(vec![1u8; 1024])).await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(500));
        writable.send(Message::binary(vec![2u8; 8 * MIB])).await.unwrap();
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(1500), "the 8 MiB write took {took:?}");
    });
}
