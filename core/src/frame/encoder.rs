//! Frame encoding into the outgoing queue.
//!
//! Headers and small payloads are written into one staging buffer, so that a burst of small
//! messages leaves in a single write. Large unmasked payloads (server role) are queued as the
//! caller's own `Bytes`, beside their header, for a vectored write without a copy. Masked payloads
//! (client role) are masked as they are copied, in one pass: into the staging buffer, or, from 4 KiB,
//! into a buffer of their own, so that a large payload never makes the staging buffer grow or move
//! the bytes not yet written.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::frame::header::{FrameHeader, MAX_HEADER_BYTES, OpCode};
use crate::mask::extend_masked;

/// Payloads at least this long are queued without a copy when they need no masking.
const ZERO_COPY_MIN_BYTES: usize = 4096;

/// The bytes waiting to be written to the transport, in order.
#[derive(Debug, Default)]
pub struct OutQueue {
    /// Chunks ahead of `staging`.
    chunks: VecDeque<Bytes>,
    /// The newest bytes, still growing.
    staging: BytesMut,
    /// Total bytes queued.
    len: usize,
}

impl OutQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a copy of `data`.
    pub fn push_slice(&mut self, data: &[u8]) {
        self.staging.extend_from_slice(data);
        self.len += data.len();
    }

    /// Appends `data` without copying it.
    pub fn push_bytes(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        if !self.staging.is_empty() {
            self.chunks.push_back(self.staging.split().freeze());
        }
        self.len += data.len();
        self.chunks.push_back(data);
    }

    /// Appends `data` masked with `key`, copying and masking in one buffer.
    pub fn push_masked(&mut self, data: &[u8], key: [u8; 4]) {
        if data.len() >= ZERO_COPY_MIN_BYTES {
            // A buffer of its own, of the payload's size: in the staging buffer, a large payload
            // behind bytes not yet written would make it grow (a copy of those) or move them
            // to its front (another).
            let mut own = BytesMut::new();
            extend_masked(&mut own, data, key);
            return self.push_bytes(own.freeze());
        }
        extend_masked(&mut self.staging, data, key);
        self.len += data.len();
    }

    /// Fills `dst` with the queued bytes in order; returns how many slices it filled.
    pub fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let pieces = self.chunks.iter().map(|c| &c[..]).chain(std::iter::once(&self.staging[..]));
        let mut n = 0;
        for (slot, piece) in dst.iter_mut().zip(pieces.filter(|p| !p.is_empty())) {
            *slot = IoSlice::new(piece);
            n += 1;
        }
        n
    }

    /// The first contiguous run of queued bytes (empty when nothing is queued).
    pub fn chunk(&self) -> &[u8] {
        match self.chunks.front() {
            Some(c) => c,
            None => &self.staging,
        }
    }

    /// Marks `n` bytes as written. `n` is clamped to what is queued.
    pub fn advance(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.staging.advance(n);
                return;
            };
            if n < front.len() {
                front.advance(n);
                return;
            }
            n -= front.len();
            self.chunks.pop_front();
        }
    }

    /// Takes the first run of queued bytes out as `Bytes`.
    pub fn pop(&mut self) -> Option<Bytes> {
        let chunk = match self.chunks.pop_front() {
            Some(c) => c,
            None if self.staging.is_empty() => return None,
            None => self.staging.split().freeze(),
        };
        self.len -= chunk.len();
        Some(chunk)
    }

    /// Queues one frame. `mask` is the client's masking key, `None` for a server.
    pub fn push_frame(
        &mut self,
        fin: bool,
        rsv: u8,
        opcode: OpCode,
        payload: FramePayload<'_>,
        mask: Option<[u8; 4]>,
    ) {
        let len = payload.as_slice().len();
        let header = FrameHeader { fin, rsv, opcode, mask, payload_len: len as u64 };
        let mut buf = [0u8; MAX_HEADER_BYTES];
        let n = header.encode(&mut buf);
        self.push_slice(&buf[..n]);
        match (mask, payload) {
            (Some(key), p) => self.push_masked(p.as_slice(), key),
            (None, FramePayload::Shared(b)) if len >= ZERO_COPY_MIN_BYTES => self.push_bytes(b),
            (None, p) => self.push_slice(p.as_slice()),
        }
    }
}

/// A frame payload: borrowed, or shared `Bytes` that may be queued without a copy.
#[derive(Debug, Clone)]
pub enum FramePayload<'a> {
    /// Bytes the queue must copy.
    Borrowed(&'a [u8]),
    /// Bytes the queue may keep.
    Shared(Bytes),
}

impl FramePayload<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            FramePayload::Borrowed(b) => b,
            FramePayload::Shared(b) => b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut OutQueue) -> Vec<u8> {
        let mut out = vec![];
        while let Some(c) = q.pop() {
            out.extend_from_slice(&c);
        }
        out
    }

    #[test]
    fn rfc6455_section_5_7_frames() {
        let mut q = OutQueue::new();
        q.push_frame(true, 0, OpCode::Text, FramePayload::Borrowed(b"Hello"), None);
        assert_eq!(drain(&mut q), b"\x81\x05Hello");
        q.push_frame(
            true,
            0,
            OpCode::Text,
            FramePayload::Borrowed(b"Hello"),
            Some([0x37, 0xfa, 0x21, 0x3d]),
        );
        assert_eq!(drain(&mut q), b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
        q.push_frame(false, 0, OpCode::Text, FramePayload::Borrowed(b"Hel"), None);
        q.push_frame(true, 0, OpCode::Continuation, FramePayload::Borrowed(b"lo"), None);
        assert_eq!(drain(&mut q), b"\x01\x03Hel\x80\x02lo");
        q.push_frame(true, 0, OpCode::Ping, FramePayload::Borrowed(b"Hello"), None);
        assert_eq!(drain(&mut q), b"\x89\x05Hello");
        let big = Bytes::from(vec![7u8; 65536]);
        q.push_frame(true, 0, OpCode::Binary, FramePayload::Shared(big.clone()), None);
        let out = drain(&mut q);
        assert_eq!(&out[..10], b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00");
        assert_eq!(&out[10..], &big[..]);
    }

    #[test]
    fn vectored_and_advance_agree_with_pop() {
        let mut q = OutQueue::new();
        q.push_frame(true, 0, OpCode::Text, FramePayload::Borrowed(b"a"), None);
        q.push_frame(
            true,
            0,
            OpCode::Binary,
            FramePayload::Shared(Bytes::from(vec![1u8; 5000])),
            None,
        );
        q.push_frame(true, 0, OpCode::Text, FramePayload::Borrowed(b"b"), None);
        let total = q.len();
        let mut expected = vec![];
        {
            let mut slices = [IoSlice::new(&[]); 8];
            let n = q.chunks_vectored(&mut slices);
            for s in &slices[..n] {
                expected.extend_from_slice(s);
            }
        }
        assert_eq!(expected.len(), total);
        let mut got = vec![];
        while !q.is_empty() {
            let c = q.chunk();
            let take = c.len().min(777);
            got.extend_from_slice(&c[..take]);
            q.advance(take);
        }
        assert_eq!(got, expected);
    }
}
