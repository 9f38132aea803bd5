//! A client and a server [`Connection`] driven against each other by an arbitrary sequence of API
//! calls, with the bytes between them cut at arbitrary points and, sometimes, corrupted.
//!
//! Each end has its own small limits (frame, message, fragment size, header section) and
//! behaviour flags. Operations: send text or binary, ping, pong, close with any code and reason,
//! reply to a Close, fail, deliver some of the bytes in flight one way, flip bits of a byte in
//! flight. Afterwards everything in flight is delivered until both ends are idle.
//!
//! Oracle, for each direction:
//! - no panic, and no single allocation larger than the input could justify;
//! - no message over the receiver's limit, no control payload over 125 bytes;
//! - every message and ping the sender queued whose bytes all precede the first corrupted byte
//!   arrives intact and in order; when fewer arrive, the receiver gave up itself, never opened,
//!   or failed with 1009 on the next one, which is over its limits;
//! - without corruption, nothing arrives that was not sent, the Close that arrives is the one
//!   sent, and a Close sent reaches a peer that is still reading;
//! - a failure is a protocol error with 1002, 1007 or 1009, a handshake failure, or a transport
//!   that ended without a Close; without any corruption, only those the test itself provoked.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use wsstream_core::{
    ClientConfig, CloseCode, Config, Connection, Error, Event, HandshakeError, Message,
    ProtocolError, ServerConfig, State, Transmit,
};

/// The global allocator, recording the largest single allocation of the current run.
struct LargestAllocation;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to `System`, which upholds `GlobalAlloc`'s contract.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: our caller upholds `alloc`'s contract, which is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`, as our caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; `new_size` is valid as our caller guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

#[derive(Arbitrary, Debug)]
struct Input {
    client: Limits,
    server: Limits,
    /// The client offers `chat` and `superchat`.
    offer_protocols: bool,
    answer: Answer,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
struct Limits {
    max_frame: u16,
    max_message: u16,
    fragment: Option<u8>,
    auto_pong: bool,
    auto_close_reply: bool,
    tight_headers: bool,
    /// Takes messages with `poll_message` before other events, as a driver's reader does.
    messages_first: bool,
    /// With `messages_first`: through `poll_message_with` (lent), as a custom loop may.
    lent: bool,
}

impl Limits {
    fn config(&self) -> Config {
        let mut c = Config::default();
        c.max_frame_size = usize::from(self.max_frame % 1025);
        c.max_message_size = usize::from(self.max_message % 2049);
        c.fragment_size = self.fragment.map(usize::from);
        c.auto_pong = self.auto_pong;
        c.auto_close_reply = self.auto_close_reply;
        if self.tight_headers {
            c.max_header_bytes = 160;
            c.max_headers = 5;
        }
        c
    }
}

/// How the server answers the opening handshake.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Answer {
    Accept,
    /// Accept with the offered subprotocol at this index, if there is one.
    AcceptProtocol(u8),
    Reject(u16),
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Text(Side, String),
    Binary(Side, Vec<u8>),
    Ping(Side, Vec<u8>),
    Pong(Side, Vec<u8>),
    Close(Side, Option<u16>, String),
    ReplyClose(Side),
    Fail(Side, u16, String),
    /// Deliver up to this many bytes in flight towards `Side`.
    Deliver(Side, u16),
    /// XOR the byte in flight towards `Side` at this index (modulo what is in flight).
    Corrupt(Side, u16, u8),
}

/// What one end sent that the other must receive as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Message(Message),
    Ping(Bytes),
}

struct End {
    conn: Connection,
    config: Config,
    /// Items queued, each with the offset in the outgoing stream just past its last byte.
    sent: Vec<(Item, usize)>,
    /// Bytes handed out by `poll_transmit`.
    emitted: usize,
    received: Vec<Item>,
    /// The handshake completed.
    opened: bool,
    /// Stopped reading of its own accord: closed during the handshake, failed, rejected.
    gave_up: bool,
    /// `Transmit::Shutdown` was given.
    shut: bool,
}

impl End {
    fn new(conn: Connection, config: Config) -> Self {
        Self {
            conn,
            config,
            sent: Vec::new(),
            emitted: 0,
            received: Vec::new(),
            opened: false,
            gave_up: false,
            shut: false,
        }
    }

    fn queued(&mut self, item: Item) {
        let end = self.emitted + self.conn.pending_transmit();
        self.sent.push((item, end));
    }
}

/// The bytes in flight one way.
#[derive(Default)]
struct Pipe {
    bytes: Vec<u8>,
    delivered: usize,
    fin: bool,
    eof_given: bool,
    /// Stream offset of the first corrupted byte.
    corrupt_at: Option<usize>,
}

struct World {
    client: End,
    server: End,
    /// Towards the server, towards the client.
    to_server: Pipe,
    to_client: Pipe,
    answer: Answer,
    client_messages_first: Take,
    server_messages_first: Take,
}

/// How an end takes its messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Take {
    /// All events through `poll_event`.
    Events,
    /// Messages through `poll_message` first.
    Owned,
    /// Messages through `poll_message_with` first.
    Lent,
}

impl Take {
    fn of(limits: &Limits) -> Self {
        match (limits.messages_first, limits.lent) {
            (false, _) => Self::Events,
            (true, false) => Self::Owned,
            (true, true) => Self::Lent,
        }
    }
}

impl World {
    fn end(&mut self, side: Side) -> &mut End {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Text(side, text) => {
                let end = self.end(side);
                let before = end.conn.pending_transmit();
                let sent = if text.len() & 1 == 0 {
                    end.conn.send_text(&text)
                } else {
                    end.conn.send(Message::text(text.clone()))
                };
                match sent {
                    Ok(()) => end.queued(Item::Message(Message::text(text))),
                    Err(_) => assert_eq!(end.conn.pending_transmit(), before),
                }
            }
            Op::Binary(side, data) => {
                let end = self.end(side);
                let before = end.conn.pending_transmit();
                let sent = if data.len() & 1 == 0 {
                    end.conn.send_binary(&data)
                } else {
                    end.conn.send(Message::binary(data.clone()))
                };
                match sent {
                    Ok(()) => end.queued(Item::Message(Message::binary(data))),
                    Err(_) => assert_eq!(end.conn.pending_transmit(), before),
                }
            }
            Op::Ping(side, data) => {
                let end = self.end(side);
                if end.conn.ping(&data).is_ok() {
                    end.queued(Item::Ping(Bytes::from(data)));
                } else {
                    assert!(data.len() > 125 || end.conn.state() != State::Open);
                }
            }
            Op::Pong(side, data) => {
                let _ = self.end(side).conn.pong(&data);
            }
            Op::Close(side, code, reason) => {
                let end = self.end(side);
                let connecting = end.conn.state() == State::Connecting;
                let code = code.map(CloseCode);
                match end.conn.close(code, &reason) {
                    Ok(()) => end.gave_up |= connecting,
                    Err(_) => {
                        assert!(reason.len() > 123 || code.is_some_and(|c| !c.is_valid_on_wire()))
                    }
                }
            }
            Op::ReplyClose(side) => self.end(side).conn.reply_close(),
            Op::Fail(side, code, reason) => {
                let end = self.end(side);
                end.gave_up |= !end.conn.is_closed();
                end.conn.fail(CloseCode(code), &reason);
                assert!(end.conn.is_closed());
            }
            Op::Deliver(to, len) => {
                self.deliver(to, usize::from(len));
            }
            Op::Corrupt(to, at, xor) => {
                let pipe = match to {
                    Side::Client => &mut self.to_client,
                    Side::Server => &mut self.to_server,
                };
                if !pipe.bytes.is_empty() {
                    let i = usize::from(at) % pipe.bytes.len();
                    pipe.bytes[i] ^= xor.max(1);
                    let at = pipe.delivered + i;
                    pipe.corrupt_at = Some(pipe.corrupt_at.map_or(at, |c| c.min(at)));
                }
            }
        }
    }

    /// Moves what each end wants to send into its pipe; returns whether anything moved.
    fn pump(&mut self) -> bool {
        pump(&mut self.client, &mut self.to_server) | pump(&mut self.server, &mut self.to_client)
    }

    fn deliver(&mut self, to: Side, len: usize) -> bool {
        match to {
            Side::Client => deliver(&mut self.to_client, &mut self.client, len),
            Side::Server => deliver(&mut self.to_server, &mut self.server, len),
        }
    }

    /// Takes every event from both ends; returns whether there were any.
    fn poll(&mut self) -> bool {
        let client = poll_end(&mut self.client, None, self.client_messages_first);
        let server = poll_end(&mut self.server, Some(self.answer), self.server_messages_first);
        client || server
    }

    fn settle(&mut self) {
        self.pump();
        self.poll();
        self.pump();
    }

    /// Delivers everything until both ends are idle, answering Close frames as an application
    /// that turned `auto_close_reply` off would.
    fn drain(&mut self) {
        for _ in 0..64 {
            let mut progress = self.pump();
            progress |= self.deliver(Side::Client, usize::MAX);
            progress |= self.deliver(Side::Server, usize::MAX);
            progress |= self.poll();
            for end in [&mut self.client, &mut self.server] {
                if end.conn.close_received().is_some() && end.conn.close_sent().is_none() {
                    end.conn.reply_close();
                    progress = true;
                }
            }
            if !progress {
                return;
            }
        }
        panic!("the ends never went idle");
    }
}

/// Takes every event of `end`; unless `take` is `Events`, messages through `poll_message` (or
/// `poll_message_with`) while it gives them. Returns whether there were any.
fn poll_end(end: &mut End, answer: Option<Answer>, take: Take) -> bool {
    let mut any = false;
    loop {
        let message = match take {
            Take::Events => None,
            Take::Owned => end.conn.poll_message(),
            Take::Lent => end.conn.poll_message_with(|m| m.to_message()),
        };
        if let Some(message) = message {
            any = true;
            on_event(end, Event::Message(message), answer);
            continue;
        }
        let Some(event) = end.conn.poll_event() else { return any };
        any = true;
        on_event(end, event, answer);
    }
}

fn pump(end: &mut End, pipe: &mut Pipe) -> bool {
    let mut moved = false;
    while let Some(transmit) = end.conn.poll_transmit() {
        moved = true;
        assert!(!end.shut, "{transmit:?} after Transmit::Shutdown");
        match transmit {
            Transmit::Data(bytes) => {
                assert!(!bytes.is_empty());
                pipe.bytes.extend_from_slice(&bytes);
                end.emitted += bytes.len();
            }
            Transmit::Shutdown => {
                end.shut = true;
                pipe.fin = true;
            }
        }
    }
    assert_eq!(end.conn.pending_transmit(), 0);
    moved
}

fn deliver(pipe: &mut Pipe, to: &mut End, len: usize) -> bool {
    let n = len.min(pipe.bytes.len());
    let mut moved = n > 0;
    if n > 0 {
        let chunk: Vec<u8> = pipe.bytes.drain(..n).collect();
        if n & 1 == 0 {
            to.conn.receive(&chunk);
        } else {
            to.conn.receive_bytes(BytesMut::from(&chunk[..]));
        }
        pipe.delivered += n;
    }
    if pipe.bytes.is_empty() && pipe.fin && !pipe.eof_given {
        pipe.eof_given = true;
        to.conn.receive_eof();
        moved = true;
    }
    moved
}

fn on_event(end: &mut End, event: Event, answer: Option<Answer>) {
    match event {
        Event::Request(request) => {
            let answer = answer.expect("only a server sees a request");
            let accepted = match answer {
                Answer::Accept => end.conn.accept(None, None),
                Answer::AcceptProtocol(i) => {
                    let protocols = &request.protocols;
                    let chosen = (!protocols.is_empty())
                        .then(|| protocols[usize::from(i) % protocols.len()].clone());
                    end.conn.accept(chosen.as_deref(), None)
                }
                Answer::Reject(status) => {
                    end.gave_up = true;
                    end.conn.reject(status, "refused")
                }
            };
            accepted.expect("a request is waiting");
        }
        Event::Opened { .. } => {
            assert!(!end.opened);
            end.opened = true;
        }
        Event::Message(m) => {
            assert!(m.len() <= end.config.max_message_size, "{} bytes over the limit", m.len());
            end.received.push(Item::Message(m));
        }
        Event::Ping(p) => {
            assert!(p.len() <= 125);
            end.received.push(Item::Ping(p));
        }
        Event::Pong(p) => assert!(p.len() <= 125),
        Event::CloseReceived(frame) => {
            assert_eq!(end.conn.close_received(), Some(&frame));
            assert!(frame.reason.len() <= 123);
        }
        Event::Failed(e) => assert_eq!(end.conn.error(), Some(&e)),
        _ => {}
    }
}

/// Checks what `to` received of what `from` sent through `pipe`.
fn check(from: &End, to: &End, pipe: &Pipe, offered_protocols: bool, corrupted: bool) {
    let clean_until = pipe.corrupt_at.unwrap_or(usize::MAX);
    let clean: Vec<&Item> =
        from.sent.iter().take_while(|(_, end)| *end <= clean_until).map(|(i, _)| i).collect();
    for (i, (got, sent)) in to.received.iter().zip(&clean).enumerate() {
        assert_eq!(got, *sent, "item {i} differs");
    }
    if pipe.corrupt_at.is_none() {
        assert!(to.received.len() <= from.sent.len(), "received more than was sent");
    }
    if let Some(next) = clean.get(to.received.len()) {
        // Something clean did not arrive: only the receiver's own choice or limit explains it.
        let over_limit = match next {
            Item::Message(m) => {
                let frame = match from.config.fragment_size {
                    Some(n) if n > 0 && m.len() > n => n,
                    _ => m.len(),
                };
                m.len() > to.config.max_message_size || frame > to.config.max_frame_size
            }
            Item::Ping(_) => false,
        };
        let limit_error = matches!(
            to.conn.error(),
            Some(Error::Protocol(ProtocolError::FrameTooLarge | ProtocolError::MessageTooLarge))
        );
        assert!(
            to.gave_up || !to.opened || (over_limit && limit_error),
            "item {} of {} lost: {next:?}, receiver error {:?}",
            to.received.len(),
            clean.len(),
            to.conn.error()
        );
    }

    let clean_pipe = pipe.corrupt_at.is_none();
    if clean_pipe {
        if let Some(frame) = to.conn.close_received() {
            assert_eq!(Some(frame), from.conn.close_sent(), "a different Close arrived");
        } else if from.conn.close_sent().is_some() && !to.gave_up && to.conn.error().is_none() {
            panic!("the Close sent never arrived");
        }
    }

    match to.conn.error() {
        None => {}
        Some(Error::Protocol(e)) => {
            assert!(matches!(e.close_code().as_u16(), 1002 | 1007 | 1009), "{e}");
            if clean_pipe {
                assert!(
                    matches!(e, ProtocolError::FrameTooLarge | ProtocolError::MessageTooLarge),
                    "clean stream failed with {e:?}"
                );
            }
        }
        Some(Error::Handshake(e)) => {
            let expected = corrupted
                || !from.opened
                || to.config.max_header_bytes < Config::default().max_header_bytes
                || (offered_protocols && *e == HandshakeError::ProtocolNotOffered(String::new()));
            assert!(expected, "handshake failed: {e:?}");
        }
        Some(Error::Abnormal) => {
            assert!(!clean_pipe || to.gave_up || !from.opened, "transport ended without a Close");
        }
        Some(e) => panic!("unknown error {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    LARGEST.store(0, Ordering::Relaxed);
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else { return };
    if std::env::var_os("WSSTREAM_FUZZ_DEBUG").is_some() {
        eprintln!("{input:#?}");
    }

    let client_config = input.client.config();
    let server_config = input.server.config();
    // Without compression: its fixed-size zlib state would hide the "no allocation sized by the
    // wire" check, and deflate_connection covers compressed traffic.
    let mut config = ClientConfig::new("example.com", "/chat")
        .with_config(client_config.clone())
        .with_deflate(None);
    if input.offer_protocols {
        config = config.with_protocols(["chat", "superchat"]);
    }
    let rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let client = Connection::client_with_rng(config, Box::new(rng)).expect("a valid config");
    let server = Connection::server(
        ServerConfig::new().with_config(server_config.clone()).with_deflate(None),
    );
    let mut world = World {
        client: End::new(client, client_config),
        server: End::new(server, server_config),
        to_server: Pipe::default(),
        to_client: Pipe::default(),
        answer: input.answer,
        client_messages_first: Take::of(&input.client),
        server_messages_first: Take::of(&input.server),
    };
    world.settle();
    for op in input.ops {
        world.apply(op);
        world.settle();
    }
    world.drain();

    let corrupted = world.to_server.corrupt_at.is_some() || world.to_client.corrupt_at.is_some();
    let World { client, server, to_server, to_client, .. } = &world;
    check(client, server, to_server, input.offer_protocols, corrupted);
    check(server, client, to_client, input.offer_protocols, corrupted);
    if !corrupted && (client.conn.close_sent().is_some() || server.conn.close_sent().is_some()) {
        // The closing handshake completes on a clean link.
        assert!(client.conn.is_closed() && server.conn.is_closed());
    }

    // Nothing may reserve memory from a length on the wire: every buffer is bounded by what the
    // input itself made the ends send (their limits are at most a few KiB).
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(largest <= 64 * 1024 + 8 * data.len(), "allocated {largest} bytes at once");
});
