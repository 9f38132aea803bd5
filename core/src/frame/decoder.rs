//! The incremental frame and message decoder.
//!
//! Input is a `BytesMut` that the connection only ever appends to; the decoder consumes whole
//! frames from its front. A frame's payload is unmasked and (for text) UTF-8-checked as its bytes
//! arrive, so invalid text fails the connection at the first bad byte, not at the end of the
//! frame or message. A single-frame message leaves as `Bytes` split off the input without a copy;
//! fragments are gathered in a message buffer. Every limit is checked on the header, before the
//! payload is buffered.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};

use crate::config::Role;
use crate::error::ProtocolError;
use crate::frame::header::{FrameHeader, MAX_CONTROL_PAYLOAD_BYTES, OpCode, RSV1_BIT};
use crate::mask::apply_mask;
use crate::message::{CloseCode, CloseFrame, Message, MessageRef, Utf8Bytes};
use crate::payload::{INLINE_CAPACITY, Payload};
use crate::utf8::Utf8Validator;

/// Frames at least this long are worth reading straight into the input ([`Decoder::read_hint`]),
/// and unmasking on receipt even behind other frames.
pub const LARGE_FRAME_BYTES: usize = 16 << 10;

/// Large frames behind the front one that may be unmasked on receipt, at most.
const MAX_AHEAD: usize = 8;

/// Payloads up to this size are copied out of the input rather than split off it.
const SMALL_PAYLOAD_BYTES: usize = 64;

// The short path ([`Decoder::decode_small`]) reads the length from the header's second byte
// alone: above 125 that byte holds a marker (126, 127), not the length.
const _: () = assert!(SMALL_PAYLOAD_BYTES <= 125);

/// What the decoder produced from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete text or binary message.
    Message(Message),
    /// A Ping with its payload.
    Ping(Bytes),
    /// A Pong with its payload.
    Pong(Bytes),
    /// A Close, with the empty body reported as 1005.
    Close(CloseFrame),
}

/// Turns compressed message payloads back into plain bytes (permessage-deflate).
pub(crate) trait Inflate: Send {
    /// Inflates one frame's `input` into `out`; `fin` ends the message. Must fail with
    /// [`ProtocolError::MessageTooLarge`] before `out` would pass `max_len` bytes.
    fn inflate(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut BytesMut,
        max_len: usize,
    ) -> Result<(), ProtocolError>;
}

/// A small single-frame message at the front of the input.
struct SmallMessage {
    text: bool,
    /// Where its payload is in the input; the frame ends there too.
    payload: std::ops::Range<usize>,
    key: Option<[u8; 4]>,
}

impl SmallMessage {
    /// Unmasks the payload in place, to lend it.
    fn unmask(&self, input: &mut BytesMut) {
        if let Some(key) = self.key {
            crate::mask::apply_mask_short(&mut input[self.payload.clone()], key);
        }
    }

    /// Masks the payload again: the frame is left as it arrived, for the general path.
    fn undo(self, input: &mut BytesMut) {
        self.unmask(input);
    }
}

/// The frame being received.
#[derive(Debug, Clone, Copy)]
struct Current {
    header: FrameHeader,
    /// Payload length (already checked against the limits, so it fits in memory).
    len: usize,
    /// Payload bytes already checked (UTF-8, for text).
    processed: usize,
    /// Payload bytes already unmasked (at least `processed`; more when unmasked on receipt).
    unmasked: usize,
}

/// A large frame behind the one at the front, partly unmasked on receipt.
#[derive(Debug, Clone, Copy)]
struct Ahead {
    /// Where its header starts, as a position in the whole input stream.
    header_at: u64,
    /// Payload bytes already unmasked.
    unmasked: usize,
}

/// The frame the buffered input ends in: where its header starts, and the header.
struct Tail {
    at: usize,
    used: usize,
    header: FrameHeader,
}

/// The fragmented message being gathered.
#[derive(Debug)]
struct Partial {
    text: bool,
    compressed: bool,
    data: BytesMut,
}

/// Decodes frames into messages and control frames, for one role.
pub struct Decoder {
    role: Role,
    max_frame_size: usize,
    max_message_size: usize,
    /// The largest payload the short path takes: [`SMALL_PAYLOAD_BYTES`] or a lower limit.
    small_max: usize,
    /// The mask bit a frame from the peer carries (set for frames to a server).
    mask_bit: u8,
    /// RSV bits that a negotiated extension gives meaning to.
    allowed_rsv: u8,
    current: Option<Current>,
    /// The payload length of the last data frame whose header was decoded.
    last_data_len: usize,
    /// An error [`Decoder::process_arrived`] found, for `decode` to return.
    failed: Option<ProtocolError>,
    /// Input bytes consumed so far: the stream position of the input's first byte.
    consumed: u64,
    /// The large frames behind the front one that were unmasked in part on receipt, in stream
    /// order (at most [`MAX_AHEAD`]).
    ahead: VecDeque<Ahead>,
    partial: Option<Partial>,
    utf8: Utf8Validator,
    inflater: Option<Box<dyn Inflate>>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("role", &self.role)
            .field("current", &self.current)
            .field("partial", &self.partial)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// A decoder for the given role (the role of the endpoint that receives).
    pub fn new(role: Role, max_frame_size: usize, max_message_size: usize) -> Self {
        Self {
            role,
            max_frame_size,
            max_message_size,
            small_max: SMALL_PAYLOAD_BYTES.min(max_frame_size).min(max_message_size),
            mask_bit: if role == Role::Server { 0x80 } else { 0 },
            allowed_rsv: 0,
            current: None,
            last_data_len: 0,
            failed: None,
            consumed: 0,
            ahead: VecDeque::new(),
            partial: None,
            utf8: Utf8Validator::new(),
            inflater: None,
        }
    }

    /// Enables RSV1 as "compressed", inflating with `inflater`.
    #[cfg_attr(not(feature = "deflate"), allow(dead_code))]
    pub(crate) fn set_inflater(&mut self, inflater: Box<dyn Inflate>) {
        self.allowed_rsv = RSV1_BIT;
        self.inflater = Some(inflater);
    }

    /// Whether a message or frame is partly received.
    pub fn is_mid_message(&self) -> bool {
        self.current.is_some() || self.partial.is_some()
    }

    /// How many more bytes `input` (what is buffered, undecoded) needs at least to complete the
    /// frame it ends in: the frame in progress, or one whose header is buffered behind complete
    /// frames (a few are skipped, header to header). 0 when that frame is complete or unknown,
    /// or when its length is past the limits (decoding will fail on it).
    pub fn bytes_needed(&self, input: &[u8]) -> usize {
        self.tail_frame(input).map_or(0, |(needed, _)| needed)
    }

    /// The frame `input` ends in, if its header is known and within the limits: how many bytes
    /// it still needs, and its payload length.
    fn tail_frame(&self, input: &[u8]) -> Option<(usize, usize)> {
        if let Some(c) = self.current {
            if c.len > input.len() {
                return Some((c.len - input.len(), c.len));
            }
        }
        let Tail { at, used, header } = self.tail(input)?;
        let len = header.payload_len as usize;
        Some(((at + used + len).saturating_sub(input.len()), len))
    }

    /// The incomplete frame the input ends in, behind the frame in progress and at most a few
    /// complete ones (skipped header to header), when its header is buffered and its length is
    /// within the limits; `None` when the frame in progress is that frame, or nothing is found.
    fn tail(&self, input: &[u8]) -> Option<Tail> {
        /// Complete frames skipped, at most, looking for the one the input ends in.
        const MAX_SKIPPED: usize = 16;
        let mut at = match self.current {
            Some(c) if c.len >= input.len() => return None,
            Some(c) => c.len,
            None => 0,
        };
        for _ in 0..MAX_SKIPPED {
            let (header, used) = FrameHeader::parse(&input[at..]).ok()??;
            if header.payload_len > self.max_frame_size as u64 {
                return None;
            }
            let end = at + used + header.payload_len as usize;
            if end > input.len() {
                return Some(Tail { at, used, header });
            }
            at = end;
        }
        None
    }

    /// How many bytes to read straight into the input, when the frame it ends in is large (at
    /// least [`LARGE_FRAME_BYTES`]) or, with nothing buffered, the last data frame was: 0
    /// otherwise, since small frames are better read in bulk and copied. `spare` is the
    /// capacity behind the input.
    ///
    /// The figure ends at a frame boundary or just past the header that follows it, taking
    /// the frames that follow as long as the tail one, so that a read never leaves a frame
    /// half in an allocation too small for its rest: growing the input then copies nothing but
    /// a header. It is the rest of the tail frame plus as many whole frames as `spare` holds
    /// when that much fits (and the next header, when that fits too); otherwise the rest, up to
    /// two whole frames more (within 512 KiB; at least one at a boundary) and the next header,
    /// in a new allocation, so that one read can bring several (one read per frame doubled the
    /// syscalls of a 64 KiB stream). Not more frames: four ahead saved reads but made
    /// allocations large enough to be fresh memory each time, 20 times the page faults of a
    /// 64 KiB server. The header makes a read that empties the socket come back short.
    pub fn read_hint(&self, input: &[u8], spare: usize) -> usize {
        /// Whole frames asked room for, past the rest of the tail one, when the input must grow.
        const FRAMES_AHEAD: usize = 2;
        /// At most this much is asked room for past the rest of the tail frame.
        const AHEAD_BYTES: usize = 512 << 10;
        let masked = self.role == Role::Server;
        let (needed, header, frame) = match self.tail_frame(input) {
            Some((needed, len)) if len >= LARGE_FRAME_BYTES => {
                let header = FrameHeader::encoded_len(len as u64, masked);
                (needed, header, header + len)
            }
            None if input.is_empty() && self.last_data_len >= LARGE_FRAME_BYTES => {
                let len = self.last_data_len;
                let header = FrameHeader::encoded_len(len as u64, masked);
                (0, header, header + len)
            }
            _ => return 0,
        };
        // Past the whole frames, the header of one more: a read that empties the socket then
        // comes back short of the hint, and a runtime that takes a short read for a drained
        // socket (tokio does) waits for the next readiness rather than read once more and find
        // nothing (with hints that ended at the boundary, one read in vain per read of 1 MiB
        // frames on 64 connections, and as many extra passes through the poller).
        match spare.checked_sub(needed) {
            Some(after) if needed > 0 || after >= frame => {
                let whole = after / frame * frame;
                needed + whole + if after - whole >= header { header } else { 0 }
            }
            _ => {
                // Frames of a megabyte get an allocation each: frames ahead would only hold
                // memory longer, since a read brings less than one anyway.
                let ahead = (AHEAD_BYTES / frame).min(FRAMES_AHEAD).max(usize::from(needed == 0));
                needed + ahead * frame + header
            }
        }
    }

    /// Decodes the next message or control frame from the front of `input`.
    ///
    /// Returns `Ok(None)` when `input` ends inside a frame (what arrived has been checked).
    ///
    /// # Errors
    /// The first protocol violation; the decoder must not be used afterwards.
    pub fn decode(&mut self, input: &mut BytesMut) -> Result<Option<Decoded>, ProtocolError> {
        // After a failure the short path declines, and `decode_frames` returns the error.
        if let Some(message) = self.decode_small(input) {
            return Ok(Some(Decoded::Message(message)));
        }
        self.decode_frames(input)
    }

    /// [`decode`](Self::decode) past its short path, for a caller that has just tried
    /// [`decode_small`](Self::decode_small) (or the lending path) on the same input.
    pub(crate) fn decode_frames(
        &mut self,
        input: &mut BytesMut,
    ) -> Result<Option<Decoded>, ProtocolError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        loop {
            let Some(current) = self.advance_front(input)? else { return Ok(None) };
            self.current = None;
            let data = matches!(current.header.opcode, OpCode::Text | OpCode::Binary);
            if data && self.partial.is_none() {
                // A whole message in one uncompressed frame (its payload unmasked, and checked
                // if text, as it arrived): held inline when it fits, without an allocation.
                if let Some(inline) = Payload::inline_from(&input[..current.len]) {
                    self.advance(input, current.len);
                    let text = current.header.opcode == OpCode::Text;
                    return self.finish(text, inline).map(|m| Some(Decoded::Message(m)));
                }
            }
            let payload = if current.len <= SMALL_PAYLOAD_BYTES {
                // A small payload is copied out: a fresh allocation costs less than the atomic
                // reference count that a split-off handle takes and gives back.
                let payload = BytesMut::from(&input[..current.len]);
                self.advance(input, current.len);
                payload
            } else {
                self.consumed += current.len as u64;
                input.split_to(current.len)
            };
            if let Some(done) = self.complete_frame(current.header, payload)? {
                return Ok(Some(done));
            }
        }
    }

    /// The next message, if it is a small one in a single frame (the common case), on a short
    /// path that a caller inlines: [`decode`](Self::decode) does the rest (and starts with
    /// this). `None` means "use `decode`", never "no input".
    // Always: the message is then built where the caller returns it, not copied out of a
    // temporary (a store-forwarding stall that cost a third of `poll_event`).
    #[inline(always)]
    pub fn decode_small(&mut self, input: &mut BytesMut) -> Option<Message> {
        if self.failed.is_some() {
            return None;
        }
        let small = self.small_message(input)?;
        // Copied out, then unmasked in the copy while it is in cache: a fresh allocation costs
        // less than a shared handle's reference count, and does not pin the input buffer. The
        // input is left as it arrived until the message is known to be good.
        let window = input.get(small.payload.start..small.payload.start + INLINE_CAPACITY);
        if let (Some(window), true) = (window, small.payload.len() <= INLINE_CAPACITY) {
            // Not the last frame of the input: a whole window is there to copy.
            let window = <&[u8; INLINE_CAPACITY]>::try_from(window).ok()?;
            let payload = Payload::inline_window(window, small.payload.len(), small.key);
            if small.text && !crate::utf8::is_utf8(&payload) {
                return None;
            }
            return Some(self.small_decoded(input, small, payload));
        }
        // Unmasks the copy; whether it may go out (text must be UTF-8).
        let unmasked_is_good = |copy: &mut [u8]| {
            if let Some(key) = small.key {
                crate::mask::apply_mask_short(copy, key);
            }
            !small.text || crate::utf8::is_utf8(copy)
        };
        let src = &input[small.payload.clone()];
        let payload = match Payload::inline_from(src) {
            // Held in the message itself: no allocation at all.
            Some(mut inline) => {
                if !unmasked_is_good(inline.inline_mut()?) {
                    return None;
                }
                inline
            }
            None => {
                let mut copy = src.to_vec();
                if !unmasked_is_good(&mut copy) {
                    return None;
                }
                Payload::from(copy)
            }
        };
        Some(self.small_decoded(input, small, payload))
    }

    /// The message of the small frame at the front of `input`, its checked `payload` taken out:
    /// the frame is consumed.
    #[inline(always)]
    fn small_decoded(
        &mut self,
        input: &mut BytesMut,
        small: SmallMessage,
        payload: Payload,
    ) -> Message {
        self.last_data_len = payload.len();
        self.advance(input, small.payload.end);
        match small.text {
            true => Message::Text(Utf8Bytes::from_validated(payload)),
            false => Message::Binary(payload),
        }
    }

    /// Lends the next message to `f`, without copying it when it is a small one in a single
    /// frame (its bytes are read where they arrived); gives what `f` returns. A message of
    /// several frames or a compressed one is assembled as [`decode`](Self::decode) does, then
    /// lent. `Ok(None)` as for `decode`, and when a control frame comes first: it is returned
    /// as `Err(decoded)`, to be acted on as `decode` would have returned it.
    ///
    /// # Errors
    /// As [`decode`](Self::decode).
    pub fn decode_with<R>(
        &mut self,
        input: &mut BytesMut,
        f: impl FnOnce(MessageRef<'_>) -> R,
    ) -> Result<Option<Result<R, Decoded>>, ProtocolError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if let Some(small) = self.small_message(input) {
            small.unmask(input);
            self.last_data_len = small.payload.len();
            let bytes = &input[small.payload.clone()];
            let message = match small.text {
                // The check gives the `&str`: no copy, no second pass.
                true => std::str::from_utf8(bytes).ok().map(MessageRef::Text),
                false => Some(MessageRef::Binary(bytes)),
            };
            if let Some(message) = message {
                let out = f(message);
                self.advance(input, small.payload.end);
                return Ok(Some(Ok(out)));
            }
            small.undo(input);
        }
        Ok(match self.decode_frames(input)? {
            Some(Decoded::Message(m)) => Some(Ok(f(m.as_borrowed()))),
            Some(other) => Some(Err(other)),
            None => None,
        })
    }

    /// The common case, on a short path: a complete, small, unfragmented, uncompressed data
    /// frame at the front of `input`, with nothing in progress (its payload still masked).
    /// `None` for anything else, which the general path decodes (and fails on) as before.
    #[inline(always)]
    fn small_message(&mut self, input: &BytesMut) -> Option<SmallMessage> {
        if self.current.is_some() || self.partial.is_some() {
            return None;
        }
        let (&b0, &b1) = (input.first()?, input.get(1)?);
        // FIN, no RSV bit, text or binary; the length in the second byte.
        let text = match b0 {
            0x81 => true,
            0x82 => false,
            _ => return None,
        };
        let len = usize::from(b1 & 0x7f);
        // Masked exactly when the peer is a client.
        if len > self.small_max || b1 & 0x80 != self.mask_bit {
            return None;
        }
        if self.mask_bit == 0 {
            input.get(..2 + len)?;
            return Some(SmallMessage { text, payload: 2..2 + len, key: None });
        }
        let head = input.get(..6 + len)?;
        // Always four bytes: one load, no check left.
        let key = <[u8; 4]>::try_from(&head[2..6]).ok();
        Some(SmallMessage { text, payload: 6..6 + len, key })
    }

    /// Unmasks and checks what just arrived of the frame at the front of `input` (decoding its
    /// header first if need be), while those bytes are still in the cache: called on receipt,
    /// it does now what the next [`decode`](Self::decode) would do first. An error found is
    /// kept for `decode` to return, so it is reported exactly where decoding would have found
    /// it (every message before this frame has been decoded already).
    pub fn process_arrived(&mut self, input: &mut BytesMut) {
        if self.failed.is_some() {
            return;
        }
        match self.advance_front(input) {
            Err(e) => self.failed = Some(e),
            // The front frame is complete: what arrived may belong to a frame behind it.
            Ok(Some(_)) => self.unmask_ahead(input),
            Ok(None) => {}
        }
    }

    /// Unmasks what arrived of the large frames behind the complete one at the front, while it
    /// is hot (only unmasking: each header is checked, and text validated, when decoding
    /// reaches it). Each such frame keeps a record of how much of it is unmasked, so that no
    /// byte is unmasked twice; beyond [`MAX_AHEAD`] records, frames wait for decoding.
    fn unmask_ahead(&mut self, input: &mut BytesMut) {
        /// Complete frames looked at, at most, behind the front one.
        const MAX_LOOKED_AT: usize = 16;
        let Some(front) = self.current else { return };
        let mut at = front.len;
        for _ in 0..MAX_LOOKED_AT {
            let Ok(Some((header, used))) = FrameHeader::parse(&input[at..]) else { return };
            if header.payload_len > self.max_frame_size as u64 {
                return;
            }
            let len = header.payload_len as usize;
            let start = at + used;
            if let (Some(key), true) = (header.mask, len >= LARGE_FRAME_BYTES) {
                let header_at = self.consumed + at as u64;
                let record = match self.ahead.iter().position(|a| a.header_at == header_at) {
                    Some(i) => i,
                    None if self.ahead.len() < MAX_AHEAD => {
                        self.ahead.push_back(Ahead { header_at, unmasked: 0 });
                        self.ahead.len() - 1
                    }
                    None => return,
                };
                let arrived = input.len().min(start + len) - start;
                let unmasked = self.ahead[record].unmasked;
                if arrived > unmasked {
                    apply_mask(&mut input[start + unmasked..start + arrived], key, unmasked);
                    self.ahead[record].unmasked = arrived;
                }
            }
            at = start + len;
            if at >= input.len() {
                return;
            }
        }
    }

    /// Consumes `n` bytes from the front of `input`.
    fn advance(&mut self, input: &mut BytesMut, n: usize) {
        input.advance(n);
        self.consumed += n as u64;
    }

    /// Decodes the header of the frame at the front of `input` unless it is in progress, then
    /// unmasks and checks what arrived of its payload; gives the frame once it is complete.
    #[inline]
    fn advance_front(&mut self, input: &mut BytesMut) -> Result<Option<Current>, ProtocolError> {
        let mut current = match self.current {
            Some(c) => c,
            None => {
                let Some((header, used)) = FrameHeader::parse(input)? else { return Ok(None) };
                let len = self.check_header(&header)?;
                if !header.opcode.is_control() {
                    self.last_data_len = len;
                }
                // Frames are decoded in stream order: a record for this one is the first.
                while self.ahead.front().is_some_and(|a| a.header_at < self.consumed) {
                    self.ahead.pop_front();
                }
                let unmasked = match self.ahead.front().copied() {
                    Some(a) if a.header_at == self.consumed => {
                        self.ahead.pop_front();
                        a.unmasked
                    }
                    _ => 0,
                };
                // `advance`, not `split_to`: no handle to create and drop (an atomic pair per
                // frame once the buffer is shared).
                self.advance(input, used);
                Current { header, len, processed: 0, unmasked }
            }
        };
        // Unmask and check what arrived of the payload.
        let available = input.len().min(current.len);
        if available > current.unmasked {
            if let Some(key) = current.header.mask {
                apply_mask(&mut input[current.unmasked..available], key, current.unmasked);
            }
            current.unmasked = available;
        }
        if available > current.processed {
            if self.checks_utf8_on_arrival(&current.header) {
                let fresh = &input[current.processed..available];
                self.utf8.feed(fresh).map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            current.processed = available;
        }
        self.current = Some(current);
        Ok((current.processed == current.len).then_some(current))
    }

    /// Checks a header against the role, the extensions, the limits and the message in progress;
    /// returns the payload length.
    fn check_header(&mut self, h: &FrameHeader) -> Result<usize, ProtocolError> {
        if h.rsv & !self.allowed_rsv != 0 {
            return Err(ProtocolError::ReservedBits);
        }
        // RFC 6455 5.1: "a server MUST NOT mask any frames"; a client MUST mask every frame.
        match (self.role, h.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        if h.opcode.is_control() {
            // RFC 6455 5.5: "All control frames MUST have a payload length of 125 bytes or less
            // and MUST NOT be fragmented."
            if !h.fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if h.payload_len > MAX_CONTROL_PAYLOAD_BYTES as u64 {
                return Err(ProtocolError::ControlFrameTooLarge);
            }
            // RFC 7692 6: RSV1 is only for the first frame of a data message.
            if h.rsv & RSV1_BIT != 0 {
                return Err(ProtocolError::CompressedContinuation);
            }
            return Ok(h.payload_len as usize);
        }
        match (h.opcode, &self.partial) {
            (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (OpCode::Continuation, Some(_)) if h.rsv & RSV1_BIT != 0 => {
                return Err(ProtocolError::CompressedContinuation);
            }
            (OpCode::Text | OpCode::Binary, Some(_)) => {
                return Err(ProtocolError::ExpectedContinuation);
            }
            _ => {}
        }
        if h.payload_len > self.max_frame_size as u64 {
            return Err(ProtocolError::FrameTooLarge);
        }
        let len = h.payload_len as usize;
        let so_far = self.partial.as_ref().map_or(0, |p| p.data.len());
        if so_far.saturating_add(len) > self.max_message_size {
            return Err(ProtocolError::MessageTooLarge);
        }
        if h.opcode != OpCode::Continuation {
            self.utf8.reset();
            if !h.fin || h.rsv & RSV1_BIT != 0 {
                let text = h.opcode == OpCode::Text;
                let compressed = h.rsv & RSV1_BIT != 0;
                self.partial = Some(Partial { text, compressed, data: BytesMut::new() });
            }
        }
        Ok(len)
    }

    /// Whether this frame's payload is text to check byte by byte as it arrives.
    fn checks_utf8_on_arrival(&self, h: &FrameHeader) -> bool {
        match h.opcode {
            OpCode::Text => h.rsv & RSV1_BIT == 0,
            OpCode::Continuation => self.partial.as_ref().is_some_and(|p| p.text && !p.compressed),
            _ => false,
        }
    }

    fn complete_frame(
        &mut self,
        h: FrameHeader,
        payload: BytesMut,
    ) -> Result<Option<Decoded>, ProtocolError> {
        match h.opcode {
            OpCode::Ping => return Ok(Some(Decoded::Ping(payload.freeze()))),
            OpCode::Pong => return Ok(Some(Decoded::Pong(payload.freeze()))),
            OpCode::Close => {
                return parse_close_payload(payload.freeze()).map(|c| Some(Decoded::Close(c)));
            }
            _ => {}
        }
        let Some(partial) = self.partial.as_mut() else {
            // A whole message in one uncompressed frame: hand out the payload as it is.
            let text = h.opcode == OpCode::Text;
            return Ok(Some(Decoded::Message(self.finish(text, Payload::from(payload))?)));
        };
        if partial.compressed {
            let inflater = self.inflater.as_mut().ok_or(ProtocolError::ReservedBits)?;
            let before = partial.data.len();
            inflater.inflate(&payload, h.fin, &mut partial.data, self.max_message_size)?;
            if partial.text {
                self.utf8.feed(&partial.data[before..]).map_err(|_| ProtocolError::InvalidUtf8)?;
            }
        } else if partial.data.is_empty() {
            partial.data = payload;
        } else {
            partial.data.extend_from_slice(&payload);
        }
        if !h.fin {
            return Ok(None);
        }
        let Some(Partial { text, data, .. }) = self.partial.take() else { return Ok(None) };
        Ok(Some(Decoded::Message(self.finish(text, Payload::from(data))?)))
    }

    fn finish(&mut self, text: bool, data: Payload) -> Result<Message, ProtocolError> {
        if text {
            self.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(Message::Text(Utf8Bytes::from_validated(data)))
        } else {
            Ok(Message::Binary(data))
        }
    }
}

/// Parses a Close frame's payload (RFC 6455 5.5.1 and 7.4).
///
/// # Errors
/// A one-byte payload, a code that may not be sent, or a reason that is not UTF-8.
pub fn parse_close_payload(payload: Bytes) -> Result<CloseFrame, ProtocolError> {
    match payload.len() {
        0 => Ok(CloseFrame::empty()),
        1 => Err(ProtocolError::InvalidClosePayload),
        _ => {
            let code = CloseCode(u16::from_be_bytes([payload[0], payload[1]]));
            if !code.is_valid_on_wire() {
                return Err(ProtocolError::InvalidCloseCode);
            }
            let reason = Utf8Bytes::try_from_bytes(payload.slice(2..))
                .map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(CloseFrame { code, reason })
        }
    }
}
