//! Raw RFC 6455 bits shared by the lean load generator and the lean echo server: the upgrade
//! request and response, pre-encoded frames, and a streaming frame parser.
//!
//! Deliberately independent of every library under test, so that none of them is measured
//! through another's code.

use base64::Engine;
use sha1::{Digest, Sha1};

/// RFC 6455 1.3: the GUID appended to the client's key.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The key every load-generator connection sends (RFC 6455 1.3's sample nonce).
pub(crate) const CLIENT_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The masking key of every frame the load generator sends.
pub(crate) const MASK_KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
/// Opcode and FIN bit of a final binary frame.
const FIN_BINARY: u8 = 0x82;

/// The `Sec-WebSocket-Accept` value for `key`.
pub(crate) fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The opening handshake request of the load generator, without extensions (no compression).
pub(crate) fn upgrade_request(host: &str) -> Vec<u8> {
    format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {CLIENT_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// The 101 response to a request whose key is `key`.
pub(crate) fn upgrade_response(key: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key)
    )
    .into_bytes()
}

/// Where an HTTP head ends in `buf` (the index after `\r\n\r\n`), if it does.
pub(crate) fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// The value of header `name` (case-insensitive) in an HTTP head.
pub(crate) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Appends a frame header: `first` is FIN, RSV and opcode; `mask` the client's key.
pub(crate) fn push_header(out: &mut Vec<u8>, first: u8, len: usize, mask: Option<[u8; 4]>) {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    out.push(first);
    if len < 126 {
        out.push(mask_bit | len as u8);
    } else if len <= usize::from(u16::MAX) {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
}

/// A final binary frame carrying `payload`, masked with [`MASK_KEY`] as a client sends it.
pub(crate) fn masked_binary_frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    push_masked_frame(&mut out, FIN_BINARY, payload, MASK_KEY);
    out
}

/// Appends a frame carrying `payload` masked with `key`; `first` is FIN, RSV and opcode.
pub(crate) fn push_masked_frame(out: &mut Vec<u8>, first: u8, payload: &[u8], key: [u8; 4]) {
    push_header(out, first, payload.len(), Some(key));
    let start = out.len();
    out.extend_from_slice(payload);
    unmask(&mut out[start..], key, 0);
}

/// XORs `buf` with `key`, `buf[0]` being byte `offset` of the payload. Eight bytes at a time.
pub(crate) fn unmask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let mut k = key;
    k.rotate_left(offset & 3);
    let k8 = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut words = buf.chunks_exact_mut(8);
    for w in &mut words {
        let v = u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ k8;
        w.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in words.into_remainder().iter_mut().enumerate() {
        *b ^= k[i & 3];
    }
}

/// What [`FrameParser::feed`] reports, in order.
pub(crate) enum Part<'a> {
    /// A frame starts: its first byte (FIN, RSV, opcode) and payload length.
    Header { first: u8, len: usize },
    /// Payload bytes, unmasked.
    Payload(&'a [u8]),
    /// The frame's payload is complete.
    End { first: u8 },
}

/// A streaming frame parser: payload bytes are reported (unmasked) as they arrive.
#[derive(Default)]
pub(crate) struct FrameParser {
    head: [u8; 14],
    head_len: usize,
    in_payload: bool,
    first: u8,
    remaining: usize,
    key: Option<[u8; 4]>,
    offset: usize,
}

impl FrameParser {
    /// Parses `data` (unmasking it in place) and reports the parts found.
    pub(crate) fn feed(&mut self, data: &mut [u8], mut on: impl FnMut(Part<'_>)) {
        let mut i = 0;
        while i < data.len() {
            if self.in_payload {
                let n = self.remaining.min(data.len() - i);
                let chunk = &mut data[i..i + n];
                if let Some(key) = self.key {
                    unmask(chunk, key, self.offset);
                }
                on(Part::Payload(chunk));
                self.offset += n;
                self.remaining -= n;
                i += n;
                if self.remaining == 0 {
                    self.in_payload = false;
                    on(Part::End { first: self.first });
                }
                continue;
            }
            let need = self.head_needed();
            let take = (need - self.head_len).min(data.len() - i);
            self.head[self.head_len..self.head_len + take].copy_from_slice(&data[i..i + take]);
            self.head_len += take;
            i += take;
            if self.head_len == self.head_needed() {
                self.start_frame(&mut on);
            }
        }
    }

    /// Header bytes needed, given those seen so far.
    fn head_needed(&self) -> usize {
        if self.head_len < 2 {
            return 2;
        }
        let mask = if self.head[1] & 0x80 != 0 { 4 } else { 0 };
        2 + mask
            + match self.head[1] & 0x7f {
                126 => 2,
                127 => 8,
                _ => 0,
            }
    }

    fn start_frame(&mut self, on: &mut impl FnMut(Part<'_>)) {
        let h = &self.head;
        let (len, at) = match h[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([h[2], h[3]])), 4),
            127 => {
                let mut b = [0; 8];
                b.copy_from_slice(&h[2..10]);
                (u64::from_be_bytes(b) as usize, 10)
            }
            n => (usize::from(n), 2),
        };
        self.key = (h[1] & 0x80 != 0).then(|| [h[at], h[at + 1], h[at + 2], h[at + 3]]);
        self.first = h[0];
        self.head_len = 0;
        self.offset = 0;
        self.remaining = len;
        on(Part::Header { first: self.first, len });
        if len == 0 {
            on(Part::End { first: self.first });
        } else {
            self.in_payload = true;
        }
    }
}

/// Whether a frame's first byte ends a data message (FIN set, opcode continuation/text/binary).
pub(crate) fn ends_message(first: u8) -> bool {
    first & 0x80 != 0 && first & 0x0f <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_accept_key() {
        assert_eq!(accept_key(CLIENT_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn parses_masked_frames_split_anywhere() {
        let payload: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let mut wire = masked_binary_frame(&payload);
        wire.extend(masked_binary_frame(b"hi"));
        for cut in 0..wire.len() {
            let mut data = wire.clone();
            let (a, b) = data.split_at_mut(cut);
            let mut p = FrameParser::default();
            let mut got = Vec::new();
            let mut ends = 0;
            for piece in [a, b] {
                p.feed(piece, |part| match part {
                    Part::Payload(d) => got.extend_from_slice(d),
                    Part::End { first } => ends += usize::from(ends_message(first)),
                    Part::Header { .. } => {}
                });
            }
            assert_eq!(ends, 2, "cut {cut}");
            assert_eq!(&got[..300], &payload[..]);
            assert_eq!(&got[300..], b"hi");
        }
    }
}
