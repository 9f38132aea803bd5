//! Compressing outgoing messages and inflating incoming ones (RFC 7692 7.2).

use bytes::{Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::deflate::Direction;
use crate::error::ProtocolError;
use crate::frame::Inflate;

/// RFC 7692 7.2.1: the empty stored block a sync flush ends with, removed by the sender and
/// appended again by the receiver.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// The smallest step by which inflated output grows.
const MIN_INFLATE_STEP_BYTES: usize = 4 << 10;
/// The largest step by which inflated output grows (it doubles until then).
const MAX_INFLATE_STEP_BYTES: usize = 1 << 20;

/// Compresses whole messages for one connection.
pub(crate) struct Deflater {
    compress: Compress,
    no_context_takeover: bool,
    threshold: usize,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("no_context_takeover", &self.no_context_takeover)
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl Deflater {
    /// A compressor following `direction`, at `level` (0 to 9, larger counts as 9), for
    /// messages of at least `threshold` bytes.
    pub(crate) fn new(direction: Direction, level: u8, threshold: usize) -> Self {
        let level = Compression::new(u32::from(level.min(9)));
        // `Direction::window_bits` is within 9..=15, what flate2 asserts.
        let compress = Compress::new_with_window_bits(level, false, direction.window_bits);
        Self { compress, no_context_takeover: direction.no_context_takeover, threshold }
    }

    /// The compressed payload of a message, without the final `00 00 ff ff` (RFC 7692 7.2.1);
    /// `None` to send it uncompressed: shorter than the threshold, or (never seen) a compressor
    /// error, after which the context starts afresh, which the peer's decompressor accepts.
    pub(crate) fn compress(&mut self, payload: &[u8]) -> Option<Bytes> {
        if payload.len() < self.threshold {
            return None;
        }
        if payload.is_empty() {
            // RFC 7692 7.2.3.6: an empty stored block, less its tail. (zlib emits nothing for a
            // flush right after a flush.)
            return Some(Bytes::from_static(&[0x00]));
        }
        let mut out = Vec::with_capacity(payload.len() / 2 + 64);
        let start = self.compress.total_in();
        loop {
            let consumed = counted(self.compress.total_in() - start, payload.len());
            let written = out.len();
            let status =
                self.compress.compress_vec(&payload[consumed..], &mut out, FlushCompress::Sync);
            let now_consumed = counted(self.compress.total_in() - start, payload.len());
            let full = out.len() == out.capacity();
            if status.is_err() || !full && now_consumed == consumed && out.len() == written {
                // An error, or no progress with room to make some: give up on this message.
                if now_consumed < payload.len() || status.is_err() {
                    self.compress.reset();
                    return None;
                }
            }
            // Done once all input is taken and the flush did not fill the buffer.
            if now_consumed == payload.len() && !full {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if !out.ends_with(&TAIL) {
            // A sync flush always ends so; if not, send this message uncompressed.
            self.compress.reset();
            return None;
        }
        out.truncate(out.len() - TAIL.len());
        // RFC 7692 7.1.1: without context takeover, each message starts with an empty window.
        if self.no_context_takeover {
            self.compress.reset();
        }
        Some(Bytes::from(out))
    }
}

/// Inflates compressed messages for one connection, in bounded steps.
pub(crate) struct Inflater {
    decompress: Decompress,
    no_context_takeover: bool,
    /// The message in progress held a final block (BFINAL set, RFC 7692 7.2.3.4): what follows
    /// it in the message is ignored, and the next message starts a new stream.
    ended: bool,
}

impl Inflater {
    /// A decompressor for what the peer compresses following `direction`.
    pub(crate) fn new(direction: Direction) -> Self {
        Self {
            // `Direction::window_bits` is within 9..=15, what flate2 asserts.
            decompress: Decompress::new_with_window_bits(false, direction.window_bits),
            no_context_takeover: direction.no_context_takeover,
            ended: false,
        }
    }

    /// Inflates `input` onto `out`, growing it step by step, and fails as soon as it passes
    /// `max_len`: a bomb costs at most `max_len` plus one step of memory.
    fn run(
        &mut self,
        mut input: &[u8],
        out: &mut BytesMut,
        max_len: usize,
    ) -> Result<(), ProtocolError> {
        // One byte past the limit tells "exactly at the limit" from "over it".
        let limit = max_len.saturating_add(1);
        while !self.ended {
            let start = out.len();
            let step = start.clamp(MIN_INFLATE_STEP_BYTES, MAX_INFLATE_STEP_BYTES);
            let room = step.min(limit.saturating_sub(start));
            if room == 0 {
                return Err(ProtocolError::MessageTooLarge);
            }
            out.resize(start + room, 0);
            let (in_before, out_before) = (self.decompress.total_in(), self.decompress.total_out());
            let status =
                self.decompress.decompress(input, &mut out[start..], FlushDecompress::Sync);
            let consumed = counted(self.decompress.total_in() - in_before, input.len());
            let produced = counted(self.decompress.total_out() - out_before, room);
            out.truncate(start + produced);
            let status = status.map_err(|_| ProtocolError::InvalidCompressedData)?;
            input = &input[consumed..];
            if out.len() > max_len {
                return Err(ProtocolError::MessageTooLarge);
            }
            match status {
                Status::StreamEnd => self.ended = true,
                // Everything taken and the output not full: nothing more is pending.
                _ if input.is_empty() && produced < room => return Ok(()),
                _ if consumed == 0 && produced == 0 => {
                    return Err(ProtocolError::InvalidCompressedData);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Inflate for Inflater {
    fn inflate(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut BytesMut,
        max_len: usize,
    ) -> Result<(), ProtocolError> {
        self.run(input, out, max_len)?;
        if fin {
            // RFC 7692 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
            // payload of the message" before inflating.
            self.run(&TAIL, out, max_len)?;
            if self.no_context_takeover || self.ended {
                self.decompress.reset(false);
                self.ended = false;
            }
        }
        Ok(())
    }
}

/// A byte count from the backend, which never exceeds the buffer it was given.
fn counted(n: u64, max: usize) -> usize {
    usize::try_from(n).map_or(max, |n| n.min(max))
}
