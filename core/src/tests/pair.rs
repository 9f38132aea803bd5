//! Test helpers: a client/server [`Pair`] in memory, and one end opened against raw bytes.

use bytes::Bytes;
use rand::SeedableRng;

use crate::{ClientConfig, Config, Connection, Event, Message, ServerConfig, Transmit};

/// A client and a server core wired back to back.
pub(crate) struct Pair {
    pub(crate) client: Connection,
    pub(crate) server: Connection,
    /// Events each side produced, in order.
    pub(crate) client_events: Vec<Event>,
    pub(crate) server_events: Vec<Event>,
    pub(crate) client_shutdown: bool,
    pub(crate) server_shutdown: bool,
}

pub(crate) fn seeded_client(config: ClientConfig) -> Connection {
    let rng = rand::rngs::StdRng::seed_from_u64(7);
    Connection::client_with_rng(config, Box::new(rng)).unwrap()
}

impl Pair {
    /// A pair with `config` on both sides, handshake completed.
    pub(crate) fn open(config: Config) -> Self {
        Self::open_with(
            ClientConfig::new("example.com", "/").with_config(config.clone()),
            ServerConfig::new().with_config(config),
        )
    }

    /// A pair with these configurations, handshake completed (`accept(None, None)`).
    pub(crate) fn open_with(client: ClientConfig, server: ServerConfig) -> Self {
        let client = seeded_client(client);
        let server = Connection::server(server);
        let mut pair = Self {
            client,
            server,
            client_events: vec![],
            server_events: vec![],
            client_shutdown: false,
            server_shutdown: false,
        };
        pair.drive();
        assert!(matches!(pair.server_events.remove(0), Event::Request(_)));
        pair.server.accept(None, None).unwrap();
        pair.drive();
        assert!(matches!(pair.server_events.remove(0), Event::Opened { .. }));
        assert!(matches!(pair.client_events.remove(0), Event::Opened { .. }));
        pair
    }

    /// Moves bytes both ways, `chunk` bytes at a time, until neither side has anything to say.
    pub(crate) fn drive_split(&mut self, chunk: usize) {
        loop {
            let mut progress = false;
            progress |=
                transfer(&mut self.client, &mut self.server, chunk, &mut self.client_shutdown);
            progress |= collect(&mut self.server, &mut self.server_events);
            progress |=
                transfer(&mut self.server, &mut self.client, chunk, &mut self.server_shutdown);
            progress |= collect(&mut self.client, &mut self.client_events);
            if !progress {
                return;
            }
        }
    }

    pub(crate) fn drive(&mut self) {
        self.drive_split(usize::MAX);
    }

    pub(crate) fn client_messages(&mut self) -> Vec<Message> {
        take_messages(&mut self.client_events)
    }

    pub(crate) fn server_messages(&mut self) -> Vec<Message> {
        take_messages(&mut self.server_events)
    }
}

fn transfer(from: &mut Connection, to: &mut Connection, chunk: usize, shut: &mut bool) -> bool {
    let mut progress = false;
    while let Some(t) = from.poll_transmit() {
        progress = true;
        match t {
            Transmit::Data(bytes) => {
                for piece in bytes.chunks(chunk.max(1)) {
                    to.receive(piece);
                }
            }
            Transmit::Shutdown => {
                *shut = true;
                to.receive_eof();
            }
        }
    }
    progress
}

fn collect(conn: &mut Connection, events: &mut Vec<Event>) -> bool {
    let mut progress = false;
    while let Some(e) = conn.poll_event() {
        events.push(e);
        progress = true;
    }
    progress
}

fn take_messages(events: &mut Vec<Event>) -> Vec<Message> {
    let mut out = vec![];
    events.retain(|e| match e {
        Event::Message(m) => {
            out.push(m.clone());
            false
        }
        _ => true,
    });
    out
}

/// Everything `conn` wants to send, concatenated.
pub(crate) fn sent(conn: &mut Connection) -> Vec<u8> {
    let mut out = vec![];
    while conn.pending_transmit() > 0 {
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        let n = conn.chunks_vectored(&mut slices);
        let before = out.len();
        for s in &slices[..n] {
            out.extend_from_slice(s);
        }
        conn.advance(out.len() - before);
    }
    out
}

/// Every event available now.
pub(crate) fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// A client that completed its handshake against a canned response; sent bytes drained.
pub(crate) fn open_client(config: Config) -> Connection {
    let mut c = seeded_client(ClientConfig::new("example.com", "/").with_config(config));
    respond(&mut c, "");
    assert!(matches!(c.poll_event(), Some(Event::Opened { .. })));
    c
}

/// Feeds `c` a 101 response to its request, with `extra` header lines.
pub(crate) fn respond(c: &mut Connection, extra: &str) {
    let request = String::from_utf8(sent(c)).unwrap();
    let key = request.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap();
    let accept = crate::handshake::accept_key(key.as_bytes());
    c.receive(
        format!("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{extra}\r\n")
            .as_bytes(),
    );
}

/// A server that accepted a canned request; sent bytes drained.
pub(crate) fn open_server(config: Config) -> Connection {
    let mut s = Connection::server(ServerConfig::new().with_config(config));
    s.receive(
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s.accept(None, None).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Opened { .. })));
    let _ = sent(&mut s);
    s
}

/// A masked frame as a client would send it (key 0: the payload stays readable).
pub(crate) fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    // A real key (RFC 6455 5.7's), so that a byte unmasked twice, or not at all, shows.
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = header(first, 0x80, payload.len());
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// An unmasked frame as a server would send it.
pub(crate) fn unmasked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, 0, payload.len());
    out.extend_from_slice(payload);
    out
}

/// A frame header without its masking key: `first`, then the length, shortest form, with
/// `mask_bit` (0x80 or 0).
fn header(first: u8, mask_bit: u8, len: usize) -> Vec<u8> {
    let mut out = vec![first];
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len < 65536 {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out
}

pub(crate) fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

pub(crate) fn bytes(b: &[u8]) -> Bytes {
    Bytes::copy_from_slice(b)
}
