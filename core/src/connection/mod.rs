//! [`Connection`]: one WebSocket connection in either role, as a state machine.
//!
//! ```text
//!              handshake done              Close sent or received         both Close frames,
//!  Connecting ---------------> Open ------------------------------> Closing ---------------> Closed
//!      |                        |                                      |      or a failure,     ^
//!      |                        +--------------------------------------+--------------------+   |
//!      +-------------------------- handshake failed, close(), EOF ------------------------------+
//! ```

mod close;
mod event;
mod extensions;

use std::collections::VecDeque;
use std::fmt;
use std::io::IoSlice;

use bytes::BytesMut;
use rand::{RngCore, SeedableRng};

use crate::config::{ClientConfig, Config, ConfigError, Role, ServerConfig};
use crate::error::{CloseError, Error, HandshakeError, ProtocolError, SendError};
use crate::frame::{Decoded, Decoder, FramePayload, MAX_CONTROL_PAYLOAD_BYTES, OpCode, OutQueue};
use crate::handshake::server::RequestParser;
use crate::handshake::{ClientHandshake, Request, accept_response, reject_response};
use crate::message::{CloseCode, CloseFrame, Message, MessageRef};
use crate::payload::Payload;

pub use event::{Event, Transmit};

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The opening handshake is in progress.
    Connecting,
    /// Messages flow both ways.
    Open,
    /// A Close frame was sent or received, not both yet.
    Closing,
    /// Both Close frames were exchanged, or the connection failed: nothing more is processed.
    Closed,
}

/// Where the opening handshake is.
#[derive(Debug)]
enum Handshake {
    /// Client: the request is queued; waiting for the response.
    Client(Box<ClientHandshake>),
    /// Server: waiting for the request.
    Server(RequestParser),
    /// Server: the request was reported; waiting for `accept` or `reject`.
    Pending(Box<Request>),
    /// Over.
    Done,
}

/// Whether the transport should be closed for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shutdown {
    NotYet,
    Ready,
    Given,
}

/// The caller asked for something the connection's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidState(&'static str);

impl fmt::Display for InvalidState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InvalidState {}

/// A WebSocket connection in either role: bytes in, events out; messages in, bytes out.
///
/// The connection never performs I/O. The caller feeds what it reads with
/// [`receive`](Self::receive) and [`receive_eof`](Self::receive_eof), takes what happened with
/// [`poll_event`](Self::poll_event), queues messages with [`send`](Self::send) and friends, and
/// writes what [`poll_transmit`](Self::poll_transmit) (or
/// [`chunks_vectored`](Self::chunks_vectored) and [`advance`](Self::advance)) hands it.
///
/// Input is decoded lazily, when events are polled, so the caller bounds memory by how much it
/// reads ahead of its consumer: see [`buffered_input`](Self::buffered_input).
pub struct Connection {
    role: Role,
    config: Config,
    state: State,
    handshake: Handshake,
    input: BytesMut,
    decoder: Decoder,
    out: OutQueue,
    rng: Option<Box<dyn RngCore + Send>>,
    protocol: Option<String>,
    extensions: Option<String>,
    close_sent: Option<CloseFrame>,
    close_received: Option<CloseFrame>,
    error: Option<Error>,
    events: VecDeque<Event>,
    shutdown: Shutdown,
    eof: bool,
    /// What permessage-deflate this end offers (client) or accepts (server).
    #[cfg(feature = "deflate")]
    deflate_config: Option<crate::deflate::DeflateConfig>,
    /// The compressor, once permessage-deflate is agreed (the decoder holds the decompressor);
    /// boxed, so that a connection without it does not carry its size.
    #[cfg(feature = "deflate")]
    deflater: Option<Box<crate::deflate::Deflater>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("buffered_input", &self.input.len())
            .field("pending_transmit", &self.out.len())
            .field("close_sent", &self.close_sent)
            .field("close_received", &self.close_received)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A client connection; its opening handshake request is queued for transmission at once.
    ///
    /// Masking keys and the handshake nonce come from a ChaCha generator seeded by the
    /// operating system; use [`client_with_rng`](Self::client_with_rng) to supply another.
    ///
    /// # Errors
    /// A field of `config` that cannot be sent ([`ClientConfig::validate`]).
    pub fn client(config: ClientConfig) -> Result<Self, ConfigError> {
        let rng = rand::rngs::StdRng::from_rng(&mut rand::rng());
        Self::client_with_rng(config, Box::new(rng))
    }

    /// A client connection drawing its nonce and masking keys from `rng`.
    ///
    /// RFC 6455 10.3 asks for masking keys that the application cannot predict: `rng` SHOULD
    /// be a cryptographically strong generator outside of tests.
    ///
    /// # Errors
    /// A field of `config` that cannot be sent ([`ClientConfig::validate`]).
    pub fn client_with_rng(
        config: ClientConfig,
        mut rng: Box<dyn RngCore + Send>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let mut request = Vec::with_capacity(256);
        #[cfg(feature = "deflate")]
        let offers = Self::extension_offers(config.deflate.as_ref());
        #[cfg(not(feature = "deflate"))]
        let offers = Vec::new();
        let handshake = ClientHandshake::new(&config, nonce, &offers, &mut request);
        let mut conn =
            Self::new(Role::Client, config.config, Handshake::Client(Box::new(handshake)));
        #[cfg(feature = "deflate")]
        {
            conn.deflate_config = config.deflate;
        }
        conn.out.push_slice(&request);
        conn.rng = Some(rng);
        Ok(conn)
    }

    /// A server connection, waiting for the client's opening handshake request.
    pub fn server(config: ServerConfig) -> Self {
        let parser = RequestParser::new(&config.config);
        #[allow(unused_mut)] // without the deflate feature
        let mut conn = Self::new(Role::Server, config.config, Handshake::Server(parser));
        #[cfg(feature = "deflate")]
        {
            conn.deflate_config = config.deflate;
        }
        conn
    }

    fn new(role: Role, config: Config, handshake: Handshake) -> Self {
        Self {
            role,
            decoder: Decoder::new(role, config.max_frame_size, config.max_message_size),
            config,
            state: State::Connecting,
            handshake,
            input: BytesMut::new(),
            out: OutQueue::new(),
            rng: None,
            protocol: None,
            extensions: None,
            close_sent: None,
            close_received: None,
            error: None,
            events: VecDeque::new(),
            shutdown: Shutdown::NotYet,
            eof: false,
            #[cfg(feature = "deflate")]
            deflate_config: None,
            #[cfg(feature = "deflate")]
            deflater: None,
        }
    }

    // ----- input -----

    /// Feeds bytes read from the transport. They are decoded when events are polled.
    ///
    /// Input that arrives after a Close was received or after a failure is dropped.
    pub fn receive(&mut self, data: &[u8]) {
        if self.discards_input() {
            return;
        }
        // The rest of a frame whose header was decoded (and its length checked against the
        // limits) is reserved at once: one allocation, not a doubling copy per read.
        let needed = self.frame_bytes_needed();
        if needed > data.len() {
            self.input.reserve(needed);
        }
        self.input.extend_from_slice(data);
        self.process_arrived();
    }

    /// Feeds bytes read from the transport, without a copy when the connection holds no
    /// undecoded input or when `data` is the room [`receive_room`](Self::receive_room) gave.
    pub fn receive_bytes(&mut self, data: BytesMut) {
        if self.discards_input() {
            return;
        }
        // Joins without a copy when `data` directly follows the input in one allocation (the
        // room split off by `receive_room`); copies otherwise.
        let arrived = !data.is_empty();
        self.input.unsplit(data);
        // Room handed back empty (a read that found nothing, or room only reserved) brings
        // nothing to unmask or check.
        if arrived {
            self.process_arrived();
        }
    }

    /// Unmasks (and checks) what just arrived of the frame at the front of the input while it
    /// is hot in the cache, rather than when the events are polled; what it finds is reported
    /// in order, by the decoding it anticipates.
    fn process_arrived(&mut self) {
        if matches!(self.state, State::Open | State::Closing) {
            self.decoder.process_arrived(&mut self.input);
        }
    }

    /// Room for the transport to read into directly: an empty buffer with at least `min` bytes
    /// of capacity, split off the end of the buffered input (a driver asks for
    /// [`read_hint`](Self::read_hint)). Fill it and hand it back with
    /// [`receive_bytes`](Self::receive_bytes), which joins it to the input without a copy;
    /// hand it back empty if the read found nothing, so that the capacity is not lost.
    ///
    /// With a reader that fills spare capacity without zeroing it first (as tokio's
    /// `poll_read_buf`), large payloads then reach the connection with no copy at all, and the
    /// same allocation is used again once the messages split off it are dropped.
    ///
    /// ```
    /// use wsstream_core::{Connection, Event, ServerConfig};
    /// let mut conn = Connection::server(ServerConfig::default());
    /// let mut room = conn.receive_room(4096);
    /// assert!(room.capacity() >= 4096);
    /// room.extend_from_slice(b"GET / HTTP/1.1\r\n"); // as a read would
    /// conn.receive_bytes(room);
    /// assert_eq!(conn.buffered_input(), 16);
    /// ```
    pub fn receive_room(&mut self, min: usize) -> BytesMut {
        if self.discards_input() {
            return BytesMut::new();
        }
        self.input.reserve(min);
        self.input.split_off(self.input.len())
    }

    /// Room for a read in the capacity the input already holds, without allocating: as
    /// [`receive_room`](Self::receive_room), but `None` unless at least `min` bytes of it can be
    /// had back cheaply (the allocation is the connection's alone, its bytes decoded or copied
    /// out). A driver that reads small frames through a buffer of its own can read here instead
    /// once a connection has such room, and save the copy into the input; an idle connection that
    /// never had it is not made to allocate it.
    ///
    /// ```
    /// use wsstream_core::{Connection, ServerConfig};
    /// let mut conn = Connection::server(ServerConfig::default());
    /// assert!(conn.spare_room(4096).is_none()); // nothing allocated yet
    /// let room = conn.receive_room(4096);
    /// conn.receive_bytes(room); // handed back empty: the capacity stays
    /// let mut room = conn.spare_room(4096).expect("the room reserved above");
    /// room.extend_from_slice(b"GET / HTTP/1.1\r\n"); // as a read would
    /// conn.receive_bytes(room);
    /// assert_eq!(conn.buffered_input(), 16);
    /// ```
    pub fn spare_room(&mut self, min: usize) -> Option<BytesMut> {
        if self.discards_input() || !self.input.try_reclaim(min) {
            return None;
        }
        Some(self.input.split_off(self.input.len()))
    }

    /// How many more input bytes the frame in progress (or the one whose header the undecoded
    /// input starts with) needs at least: 0 when unknown or complete.
    pub fn frame_bytes_needed(&self) -> usize {
        // Before the handshake the input is HTTP, not frames.
        if matches!(self.state, State::Open | State::Closing) {
            self.decoder.bytes_needed(&self.input)
        } else {
            0
        }
    }

    /// How many bytes a driver should read straight into the input, asking
    /// [`receive_room`](Self::receive_room) for that much and reading no more: nonzero when the
    /// frame the input ends in is large (16 KiB or more), or was between frames after a large
    /// one. 0 means reading into a buffer of the driver's and calling
    /// [`receive`](Self::receive) is better (small frames, or before the handshake completes).
    ///
    /// The figure ends at a frame boundary (or just past the header of the frame after it),
    /// supposing the frames that follow are as long as the tail one: as many whole frames as
    /// the input's spare capacity holds, or, when not even the rest of the tail frame fits,
    /// that rest and up to two frames more (within 512 KiB) in a new allocation. So a read
    /// never leaves a frame half in an allocation too small for the rest of it, and payloads
    /// are neither copied when the input grows nor read one frame per call. The header past
    /// the boundary makes a read that empties the socket come back short of the hint, which
    /// tells a runtime such as tokio that the socket is drained. The spare capacity stays with
    /// the connection until it is used: after a stream of large frames, at most the rest of one
    /// frame, two more and a header.
    pub fn read_hint(&self) -> usize {
        if matches!(self.state, State::Open | State::Closing) && !self.discards_input() {
            self.decoder.read_hint(&self.input, self.input.capacity() - self.input.len())
        } else {
            0
        }
    }

    /// Reports that the transport will deliver no more bytes (a read returned 0).
    ///
    /// Without a closing handshake this fails the connection with [`Error::Abnormal`] (1006)
    /// once the input already received has been decoded.
    pub fn receive_eof(&mut self) {
        self.eof = true;
    }

    fn discards_input(&self) -> bool {
        self.close_received.is_some() || self.error.is_some() || self.state == State::Closed
    }

    // ----- output: events -----

    /// The next event, decoding buffered input as needed. `None` means more input is needed
    /// (or the connection is closed).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        // The hot path, kept small: a small message is built where it is returned.
        if self.reads_frames() {
            if let Some(message) = self.decoder.decode_small(&mut self.input) {
                return Some(Event::Message(message));
            }
        }
        self.poll_event_slow()
    }

    /// [`poll_event`](Self::poll_event) past its short path.
    #[inline(never)]
    fn poll_event_slow(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.events.pop_front() {
                if matches!(event, Event::Opened { .. }) && self.events.is_empty() {
                    // The handshake's events are over; data messages bypass the queue, so an
                    // idle connection need not keep room for events it rarely gets.
                    self.events = VecDeque::new();
                }
                return Some(event);
            }
            if matches!(self.state, State::Open | State::Closing) && !self.discards_input() {
                // The hot path: a small message is built where it is returned.
                if let Some(message) = self.decoder.decode_small(&mut self.input) {
                    return Some(Event::Message(message));
                }
                // A data message leaves at once, not through the event queue.
                match self.decoder.decode_frames(&mut self.input) {
                    Ok(Some(Decoded::Message(m))) => return Some(Event::Message(m)),
                    decoded => {
                        if !self.on_decoded(decoded) {
                            return None;
                        }
                    }
                }
            } else if !self.step() {
                return None;
            }
        }
    }

    /// The next message, if the next event is one: for a consumer of messages that leaves every
    /// other event to whoever polls [`poll_event`](Self::poll_event).
    ///
    /// `None` when more input is needed, when the connection is not open, or when another
    /// event comes first; that event (a ping, a Close, a failure) was decoded and acted on as
    /// `poll_event` would have, and waits for it ([`has_events`](Self::has_events)).
    ///
    /// ```
    /// use wsstream_core::{Connection, ServerConfig};
    /// let mut conn = Connection::server(ServerConfig::default());
    /// // Before the handshake there is no message to take, whatever the input.
    /// conn.receive(b"GET / HTTP/1.1\r\n");
    /// assert!(conn.poll_message().is_none());
    /// ```
    #[must_use]
    pub fn poll_message(&mut self) -> Option<Message> {
        if !self.reads_frames() {
            return None;
        }
        if let Some(message) = self.decoder.decode_small(&mut self.input) {
            return Some(message);
        }
        match self.decoder.decode_frames(&mut self.input) {
            Ok(Some(Decoded::Message(m))) => Some(m),
            decoded => {
                self.on_decoded(decoded);
                None
            }
        }
    }

    /// Lends the next message to `f` and gives what it returns, if the next event is a message:
    /// [`poll_message`](Self::poll_message) without the owned copy. A small message in a
    /// single frame is read where it arrived, unmasked in place, and its bytes are released
    /// when `f` returns; a fragmented or compressed one is assembled first, then lent.
    ///
    /// `None` as for `poll_message`: the other event (a ping, a Close, a failure) was decoded
    /// and acted on, and waits for [`poll_event`](Self::poll_event).
    ///
    /// ```
    /// use wsstream_core::{Connection, Event, MessageRef, ServerConfig};
    /// let mut conn = Connection::server(ServerConfig::default());
    /// conn.receive(b"GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\r\n");
    /// assert!(matches!(conn.poll_event(), Some(Event::Request(_))));
    /// conn.accept(None, None)?;
    /// assert!(matches!(conn.poll_event(), Some(Event::Opened { .. })));
    ///
    /// // "Hello" twice, masked (RFC 6455 5.7), then a Ping.
    /// let hello = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    /// conn.receive(&[&hello[..], hello, b"\x89\x80\0\0\0\0"].concat());
    /// let mut total = 0;
    /// while let Some(len) = conn.poll_message_with(|m: MessageRef<'_>| m.as_bytes().len()) {
    ///     total += len;
    /// }
    /// assert_eq!(total, 10);
    /// // The Ping waits for poll_event (and was answered).
    /// assert!(matches!(conn.poll_event(), Some(Event::Ping(_))));
    /// # Ok::<(), wsstream_core::InvalidState>(())
    /// ```
    pub fn poll_message_with<R>(&mut self, f: impl FnOnce(MessageRef<'_>) -> R) -> Option<R> {
        if !self.reads_frames() {
            return None;
        }
        let decoded = match self.decoder.decode_with(&mut self.input, f) {
            Ok(Some(Ok(out))) => return Some(out),
            Ok(Some(Err(other))) => Ok(Some(other)),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        self.on_decoded(decoded);
        None
    }

    /// Whether the next event may be decoded from frames: open (or closing), nothing decoded
    /// waiting, input not discarded.
    #[inline]
    fn reads_frames(&self) -> bool {
        self.events.is_empty()
            && matches!(self.state, State::Open | State::Closing)
            && !self.discards_input()
    }

    /// The room the event queue holds, for tests of what an idle connection keeps.
    #[cfg(test)]
    pub(crate) fn event_room(&self) -> usize {
        self.events.capacity()
    }

    /// Whether events wait to be taken with [`poll_event`](Self::poll_event) (decoded ones,
    /// not input still to decode).
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Makes progress on the input; returns whether it may have produced an event.
    fn step(&mut self) -> bool {
        if self.discards_input() {
            return false;
        }
        match self.state {
            State::Connecting => self.step_handshake(),
            State::Open | State::Closing => self.step_frames(),
            State::Closed => false,
        }
    }

    fn step_handshake(&mut self) -> bool {
        let parsed = match &mut self.handshake {
            Handshake::Client(hs) => hs.parse_response(&self.input).map(|r| {
                r.map(|(res, used)| {
                    self.protocol = res.protocol;
                    self.extensions = res.extensions;
                    (None, used)
                })
            }),
            Handshake::Server(parser) => {
                parser.parse(&self.input).map(|r| r.map(|(req, used)| (Some(req), used)))
            }
            Handshake::Pending(_) | Handshake::Done => return false,
        };
        match parsed {
            Ok(Some((request, used))) => {
                let _ = self.input.split_to(used);
                match request {
                    Some(req) => {
                        let req = Box::new(req);
                        self.events.push_back(Event::Request(req.clone()));
                        self.handshake = Handshake::Pending(req);
                    }
                    None => {
                        if let Err(e) = self.enable_client_extensions() {
                            self.fail_handshake(e);
                            return true;
                        }
                        self.handshake = Handshake::Done;
                        self.state = State::Open;
                        self.events.push_back(Event::Opened {
                            protocol: self.protocol.clone(),
                            extensions: self.extensions.clone(),
                        });
                    }
                }
                true
            }
            Ok(None) if self.eof => {
                self.fail_handshake(HandshakeError::Eof);
                true
            }
            Ok(None) => false,
            Err(e) => {
                if self.role == Role::Server {
                    let mut res = Vec::new();
                    reject_response(e.http_status(), &e.to_string(), &mut res);
                    self.out.push_slice(&res);
                }
                self.fail_handshake(e);
                true
            }
        }
    }

    fn fail_handshake(&mut self, e: HandshakeError) {
        self.input.clear();
        self.handshake = Handshake::Done;
        self.set_failed(Error::Handshake(e));
    }

    fn step_frames(&mut self) -> bool {
        let decoded = self.decoder.decode(&mut self.input);
        self.on_decoded(decoded)
    }

    /// Acts on what the decoder produced; returns whether it may have produced an event.
    fn on_decoded(&mut self, decoded: Result<Option<Decoded>, ProtocolError>) -> bool {
        match decoded {
            Ok(Some(Decoded::Message(m))) => self.events.push_back(Event::Message(m)),
            Ok(Some(Decoded::Ping(payload))) => {
                if self.config.auto_pong && self.close_sent.is_none() {
                    self.queue_control(OpCode::Pong, &payload);
                }
                self.events.push_back(Event::Ping(payload));
            }
            Ok(Some(Decoded::Pong(payload))) => self.events.push_back(Event::Pong(payload)),
            Ok(Some(Decoded::Close(frame))) => self.on_close_received(frame),
            Ok(None) if self.eof => {
                // RFC 6455 7.1.5: closed without a Close frame: 1006.
                self.input.clear();
                self.set_failed(Error::Abnormal);
            }
            Ok(None) => return false,
            Err(e) => self.fail_protocol(e),
        }
        true
    }

    fn on_close_received(&mut self, frame: CloseFrame) {
        self.input.clear();
        self.close_received = Some(frame.clone());
        if self.close_sent.is_some() {
            self.set_closed();
        } else {
            self.state = State::Closing;
            // RFC 6455 5.5.1: "If an endpoint receives a Close frame and did not previously
            // send a Close frame, the endpoint MUST send a Close frame in response."
            if self.config.auto_close_reply {
                self.reply_close();
            }
        }
        self.events.push_back(Event::CloseReceived(frame));
    }

    fn fail_protocol(&mut self, e: ProtocolError) {
        self.input.clear();
        if self.close_sent.is_none() {
            // RFC 6455 7.1.7: "_Fail the WebSocket Connection_ ... send a Close frame with an
            // appropriate status code".
            let frame = CloseFrame::new(e.close_code(), e.as_str());
            self.queue_close(&frame);
            self.close_sent = Some(frame);
        }
        self.set_failed(Error::Protocol(e));
    }

    fn set_failed(&mut self, e: Error) {
        self.state = State::Closed;
        self.error = Some(e.clone());
        self.shutdown = Shutdown::Ready;
        self.events.push_back(Event::Failed(e));
    }

    /// Both Close frames are exchanged.
    fn set_closed(&mut self) {
        self.state = State::Closed;
        // RFC 6455 7.1.1: "the server ... SHOULD close the underlying TCP connection first";
        // a client waits for it (its caller bounds the wait).
        if self.role == Role::Server && self.shutdown == Shutdown::NotYet {
            self.shutdown = Shutdown::Ready;
        }
    }

    // ----- commands -----

    /// Server only: accepts the request reported by [`Event::Request`], choosing a subprotocol
    /// (one of [`Request::protocols`]) and extensions. Messages may be sent at once.
    ///
    /// With `extensions: None`, the connection answers the offers in [`Request::extensions`]
    /// itself: with the `deflate` feature, it accepts the first acceptable permessage-deflate
    /// offer as [`ServerConfig::deflate`] allows ([`DeflateConfig::negotiate`]). With
    /// `Some(value)`, `value` is sent as it is, and a permessage-deflate element in it is
    /// followed.
    ///
    /// [`DeflateConfig::negotiate`]: crate::deflate::DeflateConfig::negotiate
    ///
    /// # Errors
    /// [`InvalidState`] unless a request is waiting for an answer, or when `extensions` holds a
    /// permessage-deflate element that does not parse ([`DeflateParams::parse`]), has
    /// `client_max_window_bits` without a value, or appears twice. Nothing is sent then.
    ///
    /// [`DeflateParams::parse`]: crate::deflate::DeflateParams::parse
    pub fn accept(
        &mut self,
        protocol: Option<&str>,
        extensions: Option<&str>,
    ) -> Result<(), InvalidState> {
        self.accept_with_headers(protocol, extensions, &[])
    }

    /// [`accept`](Self::accept) with extra response header fields; the caller MUST have checked
    /// them for CR and LF.
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    pub fn accept_with_headers(
        &mut self,
        protocol: Option<&str>,
        extensions: Option<&str>,
        headers: &[(String, String)],
    ) -> Result<(), InvalidState> {
        let Handshake::Pending(request) = &self.handshake else {
            return Err(InvalidState("no handshake request is waiting for an answer"));
        };
        let request = request.clone();
        let extensions = self.server_extensions(&request.extensions, extensions)?;
        let mut res = Vec::with_capacity(160);
        accept_response(&request, protocol, extensions.as_deref(), headers, &mut res);
        self.out.push_slice(&res);
        self.protocol = protocol.map(str::to_owned);
        self.extensions = extensions;
        self.handshake = Handshake::Done;
        self.state = State::Open;
        self.events.push_back(Event::Opened {
            protocol: self.protocol.clone(),
            extensions: self.extensions.clone(),
        });
        Ok(())
    }

    /// Server only: refuses the request with an HTTP `status` and a plain-text `body`, then
    /// closes. The connection ends without an error of its own.
    ///
    /// # Errors
    /// [`InvalidState`] unless a request is waiting for an answer.
    pub fn reject(&mut self, status: u16, body: &str) -> Result<(), InvalidState> {
        if !matches!(self.handshake, Handshake::Pending(_)) {
            return Err(InvalidState("no handshake request is waiting for an answer"));
        }
        let mut res = Vec::with_capacity(160);
        reject_response(status, body, &mut res);
        self.out.push_slice(&res);
        self.handshake = Handshake::Done;
        self.state = State::Closed;
        self.shutdown = Shutdown::Ready;
        Ok(())
    }

    /// Queues a message.
    ///
    /// # Errors
    /// [`SendError`] when the connection is not open or a Close was already sent; nothing is
    /// queued then.
    pub fn send(&mut self, message: Message) -> Result<(), SendError> {
        self.check_can_send()?;
        let (opcode, payload) = match message {
            Message::Text(t) => (OpCode::Text, t.into_payload()),
            Message::Binary(b) => (OpCode::Binary, b),
        };
        self.queue_data(opcode, payload);
        Ok(())
    }

    /// Queues a text message, copying `text`.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.check_can_send()?;
        self.queue_data(OpCode::Text, Payload::copy_from_slice(text.as_bytes()));
        Ok(())
    }

    /// Queues a binary message, copying `data`.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.check_can_send()?;
        self.queue_data(OpCode::Binary, Payload::copy_from_slice(data));
        Ok(())
    }

    /// Queues a Ping.
    ///
    /// # Errors
    /// A payload over 125 bytes, or a connection that is not open.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.check_control(payload)?;
        self.queue_control(OpCode::Ping, payload);
        Ok(())
    }

    /// Queues an unsolicited Pong (a heartbeat that asks for no answer, RFC 6455 5.5.3).
    ///
    /// # Errors
    /// A payload over 125 bytes, or a connection that is not open.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.check_control(payload)?;
        self.queue_control(OpCode::Pong, payload);
        Ok(())
    }

    /// Starts (or, after the peer's Close, completes) the closing handshake.
    ///
    /// `code` must be one RFC 6455 allows on the wire (1000-1003, 1007-1014, 3000-4999) and
    /// `reason` at most 123 bytes; a reason without a code is sent with 1000, neither gives an
    /// empty Close. During the opening handshake the connection is simply abandoned: no Close
    /// is sent and the transport should be dropped ([`Transmit::Shutdown`]). After a Close was
    /// sent, or once closed, this does nothing.
    ///
    /// # Errors
    /// [`CloseError`] for a code or reason that cannot be sent, in every state.
    pub fn close(&mut self, code: Option<CloseCode>, reason: &str) -> Result<(), CloseError> {
        let frame = close::outgoing(code, reason)?;
        match self.state {
            State::Connecting => {
                self.input.clear();
                self.handshake = Handshake::Done;
                self.state = State::Closed;
                self.shutdown = Shutdown::Ready;
            }
            State::Open | State::Closing if self.close_sent.is_none() => self.send_close(frame),
            State::Open | State::Closing | State::Closed => {}
        }
        Ok(())
    }

    /// Answers the peer's Close with the same code and reason (an empty Close for an empty one).
    /// Does nothing unless a Close was received and none sent.
    pub fn reply_close(&mut self) {
        if self.close_sent.is_some() {
            return;
        }
        if let Some(frame) = self.close_received.clone() {
            self.send_close(frame);
        }
    }

    /// Fails the connection from this side (an idle timeout, a local limit): queues a Close with
    /// `code` and `reason` if none was sent, then asks for the transport to be closed. A code that
    /// may not be sent ([`CloseCode::is_valid_on_wire`]) gives an empty Close instead.
    pub fn fail(&mut self, code: CloseCode, reason: &str) {
        if self.state == State::Closed {
            return;
        }
        if self.state != State::Connecting && self.close_sent.is_none() {
            // RFC 6455 7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close
            // control frame by an endpoint", and a peer fails on any code outside 7.4.2's ranges.
            let frame = if code.is_valid_on_wire() {
                CloseFrame::new(code, close::truncate_reason(reason))
            } else {
                CloseFrame::empty()
            };
            self.queue_close(&frame);
            self.close_sent = Some(frame);
        }
        self.input.clear();
        self.state = State::Closed;
        self.error = Some(Error::Abnormal);
        self.shutdown = Shutdown::Ready;
    }

    fn send_close(&mut self, frame: CloseFrame) {
        self.queue_close(&frame);
        self.close_sent = Some(frame);
        if self.close_received.is_some() {
            self.set_closed();
        } else {
            self.state = State::Closing;
        }
    }

    fn check_can_send(&self) -> Result<(), SendError> {
        if let Some(e) = &self.error {
            return Err(SendError::Closed(e.clone()));
        }
        match self.state {
            State::Connecting => Err(SendError::NotOpen),
            State::Closed => Err(SendError::Closed(Error::Abnormal)),
            _ if self.close_sent.is_some() => Err(SendError::Closing),
            _ => Ok(()),
        }
    }

    fn check_control(&self, payload: &[u8]) -> Result<(), SendError> {
        if payload.len() > MAX_CONTROL_PAYLOAD_BYTES {
            return Err(SendError::ControlFrameTooLarge);
        }
        self.check_can_send()
    }

    fn mask(&mut self) -> Option<[u8; 4]> {
        self.rng.as_mut().map(|rng| rng.next_u32().to_ne_bytes())
    }

    fn queue_data(&mut self, opcode: OpCode, payload: Payload) {
        // RFC 7692 6.1: a compressed message has RSV1 set on its first frame only.
        let (mut rsv, payload) = self.compress(payload);
        let size = match self.config.fragment_size {
            Some(n) if n > 0 && payload.len() > n => n,
            _ => {
                let mask = self.mask();
                let inline;
                let frame = match payload.into_shared() {
                    Ok(bytes) => FramePayload::Shared(bytes),
                    // Held inline: copied into the output from where it is.
                    Err(held) => {
                        inline = held;
                        FramePayload::Borrowed(&inline)
                    }
                };
                self.out.push_frame(true, rsv, opcode, frame, mask);
                return;
            }
        };
        let mut op = opcode;
        let mut rest = payload.into_bytes();
        loop {
            let piece = rest.split_to(size.min(rest.len()));
            let fin = rest.is_empty();
            let mask = self.mask();
            self.out.push_frame(fin, rsv, op, FramePayload::Shared(piece), mask);
            if fin {
                return;
            }
            op = OpCode::Continuation;
            rsv = 0;
        }
    }

    fn queue_control(&mut self, opcode: OpCode, payload: &[u8]) {
        let mask = self.mask();
        self.out.push_frame(true, 0, opcode, FramePayload::Borrowed(payload), mask);
    }

    fn queue_close(&mut self, frame: &CloseFrame) {
        let mut payload = BytesMut::with_capacity(2 + frame.reason.len());
        close::payload(frame, &mut payload);
        self.queue_control(OpCode::Close, &payload);
    }

    // ----- output: bytes -----

    /// The next bytes to write, or the request to close the transport for writing.
    ///
    /// The chunk is handed over: the caller MUST write all of it. Callers that write partially
    /// use [`chunks_vectored`](Self::chunks_vectored) and [`advance`](Self::advance) instead.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if let Some(data) = self.out.pop() {
            return Some(Transmit::Data(data));
        }
        if self.shutdown == Shutdown::Ready {
            self.shutdown = Shutdown::Given;
            return Some(Transmit::Shutdown);
        }
        None
    }

    /// Fills `dst` with slices of the bytes waiting to be written, in order, for a vectored
    /// write; returns how many it filled. Follow with [`advance`](Self::advance).
    pub fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.out.chunks_vectored(dst)
    }

    /// Marks `n` bytes of those given by [`chunks_vectored`](Self::chunks_vectored) as written.
    pub fn advance(&mut self, n: usize) {
        self.out.advance(n);
    }

    /// How many bytes wait to be written.
    pub fn pending_transmit(&self) -> usize {
        self.out.len()
    }

    /// Whether the caller should close the transport for writing once
    /// [`pending_transmit`](Self::pending_transmit) is zero (what [`Transmit::Shutdown`] says).
    pub fn wants_shutdown(&self) -> bool {
        self.shutdown != Shutdown::NotYet
    }

    // ----- getters -----

    /// Which end this is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The limits and behaviour in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the connection is closed: nothing more will be sent or processed.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether reading from the transport can still matter: before the close, and for a client
    /// after a clean close, until the server ends TCP (RFC 6455 7.1.1).
    pub fn wants_read(&self) -> bool {
        !self.eof
            && match self.state {
                State::Closed => {
                    self.role == Role::Client
                        && self.error.is_none()
                        && self.close_received.is_some()
                }
                _ => self.close_received.is_none(),
            }
    }

    /// Whether the connection waits for the server to close TCP: a client after a clean close.
    pub fn close_expected(&self) -> bool {
        self.role == Role::Client
            && self.state == State::Closed
            && self.error.is_none()
            && !self.eof
    }

    /// Bytes received but not yet decoded into events.
    pub fn buffered_input(&self) -> usize {
        self.input.len()
    }

    /// Whether a message or frame is partly received.
    pub fn is_mid_message(&self) -> bool {
        self.decoder.is_mid_message()
    }

    /// The subprotocol agreed on in the handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The extensions agreed on in the handshake, as the response wrote them
    /// (`permessage-deflate; client_max_window_bits=12`).
    pub fn extensions(&self) -> Option<&str> {
        self.extensions.as_deref()
    }

    /// The Close frame we sent, if any.
    pub fn close_sent(&self) -> Option<&CloseFrame> {
        self.close_sent.as_ref()
    }

    /// The Close frame the peer sent, if any.
    pub fn close_received(&self) -> Option<&CloseFrame> {
        self.close_received.as_ref()
    }

    /// Why the connection failed, if it did: the same value every time.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }
}
