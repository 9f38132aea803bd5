//! The in-memory tables: decoding (unmask + UTF-8 validation) through the protocol layer, ours
//! against tungstenite's; masking against a plain memcpy; and permessage-deflate on and off.

use bytes::Bytes;
use std::hint::black_box;
use std::io::{self, IoSlice, Read, Write};
use std::time::{Duration, Instant};

use wsstream_core::frame::MAX_HEADER_BYTES;
use wsstream_core::{ClientConfig, Connection, Event, Message, ServerConfig, Transmit};

use crate::stats::median;
use crate::wire;

/// Bytes handed to the protocol layer per read, as tungstenite's default read buffer.
const CHUNK_BYTES: usize = 128 << 10;
/// FIN + text.
const FIN_TEXT: u8 = 0x81;

/// A decode row: payload MiB/s for ours and tungstenite.
pub(crate) struct DecodeRow {
    pub(crate) size: usize,
    pub(crate) ours_mib_s: f64,
    /// Ours through `poll_message_with`: messages lent, not copied out.
    pub(crate) ours_lent_mib_s: f64,
    pub(crate) tungstenite_mib_s: f64,
}

/// A masking row: GiB/s of `apply_mask` in place (on a buffer that starts on a 64-byte
/// boundary, and on one that starts 14 bytes past it, as a payload behind the header of a frame
/// of 64 KiB or more does) and of a memcpy of the same length.
pub(crate) struct MaskRow {
    pub(crate) size: usize,
    pub(crate) mask_gib_s: f64,
    pub(crate) mask_behind_header_gib_s: f64,
    pub(crate) memcpy_gib_s: f64,
}

/// A compression row: one message size with and without permessage-deflate.
pub(crate) struct DeflateRow {
    pub(crate) size: usize,
    pub(crate) deflate: bool,
    pub(crate) msgs_per_s: f64,
    pub(crate) wire_bytes_per_msg: f64,
}

/// Valid UTF-8 text of exactly `size` bytes, with multi-byte characters.
fn text(size: usize) -> Vec<u8> {
    let mut t: Vec<u8> = "wsstream ✓ κόσμε 𝄞 ".bytes().cycle().take(size).collect();
    while std::str::from_utf8(&t).is_err() {
        let last = t.len() - 1;
        t[last] = b'.';
        if let Err(e) = std::str::from_utf8(&t) {
            t[e.valid_up_to()..].fill(b'.');
        }
    }
    t
}

/// `count` masked text frames of `size` bytes, as a client sends them (a key per frame).
fn masked_text_frames(size: usize, count: usize) -> Vec<u8> {
    let payload = text(size);
    let mut out = Vec::with_capacity(count * (size + 14));
    for i in 0..count {
        let key = (i as u32).wrapping_mul(0x9e37_79b9).to_ne_bytes();
        wire::push_masked_frame(&mut out, FIN_TEXT, &payload, key);
    }
    out
}

/// Runs `f` (which handles `per_call` messages) until `budget` is spent; messages per second.
fn rate(budget: Duration, per_call: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm up
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        f();
        calls += 1;
    }
    (calls * per_call as u64) as f64 / start.elapsed().as_secs_f64()
}

/// An open server connection, after an in-memory handshake without compression.
fn open_server() -> Connection {
    let (_, server) = open_pair(false);
    server
}

fn open_pair(deflate: bool) -> (Connection, Connection) {
    let mut config = ClientConfig::new("localhost", "/");
    if !deflate {
        config = config.with_deflate(None);
    }
    let mut client = Connection::client(config).expect("a valid config");
    let mut server = Connection::server(ServerConfig::new());
    pump(&mut client, &mut server);
    let Some(Event::Request(_)) = server.poll_event() else { panic!("no request") };
    server.accept(None, None).expect("a request is waiting");
    while server.poll_event().is_some() {}
    pump(&mut server, &mut client);
    while client.poll_event().is_some() {}
    (client, server)
}

/// Moves every queued byte from `from` to `to`; returns how many.
fn pump(from: &mut Connection, to: &mut Connection) -> usize {
    let mut n = 0;
    while let Some(t) = from.poll_transmit() {
        if let Transmit::Data(bytes) = t {
            n += bytes.len();
            to.receive(&bytes);
        }
    }
    n
}

/// An endless in-memory stream repeating `data`; writes are discarded.
struct Repeat<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Read for Repeat<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos = (self.pos + n) % self.data.len();
        Ok(n)
    }
}

impl Write for Repeat<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decode throughput, interleaved runs, the median of `reps`.
pub(crate) fn decode(sizes: &[usize], reps: usize, budget: Duration) -> Vec<DecodeRow> {
    sizes
        .iter()
        .map(|&size| {
            // About 2 MiB of frames per call, at least 4 frames.
            let count = ((2 << 20) / size).max(4);
            let wire = masked_text_frames(size, count);
            let mut ours = Vec::new();
            let mut lent = Vec::new();
            let mut theirs = Vec::new();
            let mut server = open_server();
            let mut ws = tungstenite::WebSocket::from_raw_socket(
                Repeat { data: &wire, pos: 0 },
                tungstenite::protocol::Role::Server,
                None,
            );
            for _ in 0..reps {
                ours.push(rate(budget, count, || {
                    let mut n = 0;
                    for chunk in wire.chunks(CHUNK_BYTES) {
                        server.receive(chunk);
                        while let Some(event) = server.poll_event() {
                            if let Event::Message(m) = event {
                                black_box(m);
                                n += 1;
                            }
                        }
                    }
                    assert_eq!(n, count);
                }));
                lent.push(rate(budget, count, || {
                    let mut n = 0;
                    for chunk in wire.chunks(CHUNK_BYTES) {
                        server.receive(chunk);
                        while let Some(len) = server.poll_message_with(|m| black_box(m).len()) {
                            black_box(len);
                            n += 1;
                        }
                    }
                    assert_eq!(n, count);
                }));
                theirs.push(rate(budget, count, || {
                    for _ in 0..count {
                        let m = ws.read().expect("valid frames");
                        assert!(m.is_text());
                        black_box(m);
                    }
                }));
            }
            let mib = |v: Vec<f64>| median(v) * size as f64 / (1 << 20) as f64;
            DecodeRow {
                size,
                ours_mib_s: mib(ours),
                ours_lent_mib_s: mib(lent),
                tungstenite_mib_s: mib(theirs),
            }
        })
        .collect()
}

/// Decodes `calls` buffers of about 2 MiB of `size`-byte messages with `lib` (`ours`, `lent`
/// for ours through `poll_message_with`, or `tungstenite`), alone, for a profiler; returns how
/// many messages.
pub(crate) fn decode_alone(lib: &str, size: usize, calls: usize) -> usize {
    let count = ((2 << 20) / size).max(4);
    let wire = masked_text_frames(size, count);
    if lib == "ours" {
        let mut server = open_server();
        for _ in 0..calls {
            for chunk in wire.chunks(CHUNK_BYTES) {
                server.receive(chunk);
                while let Some(event) = server.poll_event() {
                    black_box(event);
                }
            }
        }
    } else if lib == "lent" {
        let mut server = open_server();
        for _ in 0..calls {
            for chunk in wire.chunks(CHUNK_BYTES) {
                server.receive(chunk);
                while let Some(len) = server.poll_message_with(|m| black_box(m).len()) {
                    black_box(len);
                }
            }
        }
    } else {
        let stream = Repeat { data: &wire, pos: 0 };
        let role = tungstenite::protocol::Role::Server;
        let mut ws = tungstenite::WebSocket::from_raw_socket(stream, role, None);
        for _ in 0..calls * count {
            black_box(ws.read().expect("valid frames"));
        }
    }
    calls * count
}

/// Sends `calls` rounds of 4096 binary messages of `size` bytes through an open client
/// connection (masked, as a client sends them), taking its output after each round as a
/// vectored writer would, alone, for a profiler; returns how many messages.
pub(crate) fn encode_alone(size: usize, calls: usize) -> usize {
    const ROUND: usize = 4096;
    let (mut client, _) = open_pair(false);
    let payload = Bytes::from(vec![0x5a; size]);
    for _ in 0..calls {
        for _ in 0..ROUND {
            let message = Message::binary(payload.clone());
            client.send(black_box(message)).expect("the connection is open");
        }
        loop {
            let mut slices = [IoSlice::new(&[]); 64];
            let n = client.chunks_vectored(&mut slices);
            if n == 0 {
                break;
            }
            let len: usize = slices[..n].iter().map(|s| black_box(s.len())).sum();
            client.advance(len);
        }
    }
    calls * ROUND
}

/// `apply_mask` in place against `copy_from_slice`, GiB/s.
pub(crate) fn mask(sizes: &[usize], reps: usize, budget: Duration) -> Vec<MaskRow> {
    sizes
        .iter()
        .map(|&size| {
            let src = vec![0x5au8; size];
            // Room to start on a 64-byte boundary and past it, wherever the allocation starts.
            let mut buf = vec![0u8; size + 64 + MAX_HEADER_BYTES];
            let aligned = buf.as_ptr().align_offset(64);
            let behind = aligned + MAX_HEADER_BYTES;
            let (mut m, mut h, mut c) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..reps {
                m.push(rate(budget, 1, || {
                    let dst = &mut buf[aligned..aligned + size];
                    wsstream_core::mask::apply_mask(black_box(dst), [1, 2, 3, 4], 0)
                }));
                h.push(rate(budget, 1, || {
                    let dst = &mut buf[behind..behind + size];
                    wsstream_core::mask::apply_mask(black_box(dst), [1, 2, 3, 4], 0)
                }));
                c.push(rate(budget, 1, || {
                    black_box(&mut buf[aligned..aligned + size]).copy_from_slice(black_box(&src))
                }));
            }
            let gib = |v: Vec<f64>| median(v) * size as f64 / (1u64 << 30) as f64;
            MaskRow {
                size,
                mask_gib_s: gib(m),
                mask_behind_header_gib_s: gib(h),
                memcpy_gib_s: gib(c),
            }
        })
        .collect()
}

/// A compressible text payload: JSON records of `size` bytes.
fn json(size: usize) -> String {
    let mut s = String::with_capacity(size + 100);
    let mut i = 0;
    while s.len() < size {
        s.push_str(&format!(
            r#"{{"id":{i},"user":"user{}","event":"price_update","symbol":"WSS","bid":{}.{:02},"ask":{}.{:02}}},"#,
            i % 97,
            100 + i % 7,
            i % 100,
            101 + i % 7,
            (i * 7) % 100
        ));
        i += 1;
    }
    s.truncate(size);
    s
}

/// Client send + server receive of a compressible text message, in memory, with and without
/// permessage-deflate (ours only: the peers do not compress).
pub(crate) fn deflate(sizes: &[usize], reps: usize, budget: Duration) -> Vec<DeflateRow> {
    let mut rows = Vec::new();
    for &size in sizes {
        let payload = json(size);
        for deflate in [false, true] {
            let (mut client, mut server) = open_pair(deflate);
            assert_eq!(client.extensions().is_some(), deflate);
            let mut wire_bytes = 0usize;
            let mut msgs = 0usize;
            let mut runs = Vec::new();
            for _ in 0..reps {
                runs.push(rate(budget, 1, || {
                    client.send(Message::text(payload.as_str())).expect("open");
                    wire_bytes += pump(&mut client, &mut server);
                    let Some(Event::Message(m)) = server.poll_event() else { panic!("no message") };
                    msgs += 1;
                    black_box(m);
                }));
            }
            let wire_bytes_per_msg = wire_bytes as f64 / msgs as f64;
            rows.push(DeflateRow { size, deflate, msgs_per_s: median(runs), wire_bytes_per_msg });
        }
    }
    rows
}
