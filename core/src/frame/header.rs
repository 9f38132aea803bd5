//! The frame header (RFC 6455 section 5.2): a pure parser that answers "need more", and an
//! encoder into a fixed 14-byte buffer.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```

use crate::error::ProtocolError;

/// The longest header: 2 bytes, an 8-byte length and a 4-byte masking key.
pub const MAX_HEADER_BYTES: usize = 14;

/// The largest payload a control frame may carry (RFC 6455 5.5).
pub const MAX_CONTROL_PAYLOAD_BYTES: usize = 125;

const FIN_BIT: u8 = 0x80;
const RSV_BITS: u8 = 0x70;
/// RSV1: "Per-Message Compressed" under permessage-deflate (RFC 7692 6).
pub const RSV1_BIT: u8 = 0x40;
const OPCODE_BITS: u8 = 0x0f;
const MASK_BIT: u8 = 0x80;
const LEN_BITS: u8 = 0x7f;

/// A frame's opcode (RFC 6455 5.2), in RFC order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpCode {
    /// 0x0: continues a fragmented message.
    Continuation = 0x0,
    /// 0x1: the first frame of a text message.
    Text = 0x1,
    /// 0x2: the first frame of a binary message.
    Binary = 0x2,
    /// 0x8: a Close control frame.
    Close = 0x8,
    /// 0x9: a Ping control frame.
    Ping = 0x9,
    /// 0xA: a Pong control frame.
    Pong = 0xa,
}

impl OpCode {
    /// The opcode for four bits, if they name one that is not reserved.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xa => Self::Pong,
            _ => return None,
        })
    }

    /// Whether this is a control opcode (Close, Ping, Pong).
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: the final fragment of a message.
    pub fin: bool,
    /// RSV1..RSV3 in their wire positions (`0x40`, `0x20`, `0x10`).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, when the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Parses a header from the start of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds only part of a header, or the header and the number
    /// of bytes it took. Only what the header alone decides is checked here (reserved opcodes and
    /// the 64-bit length's top bit); role, extension and size rules belong to the decoder.
    ///
    /// # Errors
    /// [`ProtocolError::ReservedOpcode`] or [`ProtocolError::InvalidLength`].
    #[inline]
    pub fn parse(buf: &[u8]) -> Result<Option<(Self, usize)>, ProtocolError> {
        let [b0, b1, ..] = *buf else { return Ok(None) };
        let opcode = OpCode::from_bits(b0 & OPCODE_BITS).ok_or(ProtocolError::ReservedOpcode)?;
        let masked = b1 & MASK_BIT != 0;
        let (payload_len, len_bytes) = match b1 & LEN_BITS {
            126 => match buf.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 2),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => {
                    let mut len = [0u8; 8];
                    len.copy_from_slice(b);
                    let len = u64::from_be_bytes(len);
                    // RFC 6455 5.2: "the most significant bit MUST be 0".
                    if len >> 63 != 0 {
                        return Err(ProtocolError::InvalidLength);
                    }
                    (len, 8)
                }
                None => return Ok(None),
            },
            n => (u64::from(n), 0),
        };
        let mut used = 2 + len_bytes;
        let mask = if masked {
            let Some(k) = buf.get(used..used + 4) else { return Ok(None) };
            used += 4;
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        let header = Self { fin: b0 & FIN_BIT != 0, rsv: b0 & RSV_BITS, opcode, mask, payload_len };
        Ok(Some((header, used)))
    }

    /// Encodes the header into `out`, returning how many bytes it took (2 to 14).
    ///
    /// Lengths use the shortest form, as RFC 6455 5.2 requires.
    #[inline]
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_BYTES]) -> usize {
        out[0] = (if self.fin { FIN_BIT } else { 0 }) | (self.rsv & RSV_BITS) | self.opcode as u8;
        let mask_bit = if self.mask.is_some() { MASK_BIT } else { 0 };
        let mut used = match self.payload_len {
            n @ 0..=125 => {
                out[1] = mask_bit | n as u8;
                2
            }
            n @ 126..=0xffff => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&n.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            out[used..used + 4].copy_from_slice(&key);
            used += 4;
        }
        used
    }

    /// The encoded header's length for a payload of `payload_len` bytes.
    pub const fn encoded_len(payload_len: u64, masked: bool) -> usize {
        let len = match payload_len {
            0..=125 => 2,
            126..=0xffff => 4,
            _ => 10,
        };
        if masked { len + 4 } else { len }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(buf: &[u8]) -> (FrameHeader, usize) {
        // Every strict prefix needs more; the whole parses.
        for cut in 0..buf.len() {
            assert_eq!(FrameHeader::parse(&buf[..cut]), Ok(None), "prefix {cut}");
        }
        FrameHeader::parse(buf).unwrap().unwrap()
    }

    #[test]
    fn rfc6455_section_5_7_headers() {
        // A single-frame unmasked text message.
        let (h, n) = parse_all(b"\x81\x05");
        assert_eq!(n, 2);
        assert!(h.fin && h.opcode == OpCode::Text && h.mask.is_none() && h.payload_len == 5);
        // A single-frame masked text message.
        let (h, n) = parse_all(b"\x81\x85\x37\xfa\x21\x3d");
        assert_eq!((n, h.mask), (6, Some([0x37, 0xfa, 0x21, 0x3d])));
        // A fragmented unmasked text message.
        let (h, _) = parse_all(b"\x01\x03");
        assert!(!h.fin && h.opcode == OpCode::Text);
        let (h, _) = parse_all(b"\x80\x02");
        assert!(h.fin && h.opcode == OpCode::Continuation);
        // Unmasked ping and masked pong.
        assert_eq!(parse_all(b"\x89\x05").0.opcode, OpCode::Ping);
        assert_eq!(parse_all(b"\x8a\x85\x37\xfa\x21\x3d").0.opcode, OpCode::Pong);
        // 256 bytes binary message in a single unmasked frame.
        assert_eq!(parse_all(b"\x82\x7e\x01\x00").0.payload_len, 256);
        // 64KiB binary message in a single unmasked frame.
        let (h, n) = parse_all(b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00");
        assert_eq!((h.payload_len, n), (65536, 10));
    }

    #[test]
    fn rejects_reserved_opcodes_and_top_length_bit() {
        for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
            assert_eq!(FrameHeader::parse(&[0x80 | op, 0]), Err(ProtocolError::ReservedOpcode));
        }
        let bad = b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00";
        assert_eq!(FrameHeader::parse(bad), Err(ProtocolError::InvalidLength));
    }

    #[test]
    fn encode_round_trips() {
        for len in [0u64, 1, 125, 126, 127, 65535, 65536, 1 << 40] {
            for mask in [None, Some([9, 8, 7, 6])] {
                let h = FrameHeader {
                    fin: len % 2 == 0,
                    rsv: RSV1_BIT,
                    opcode: OpCode::Binary,
                    mask,
                    payload_len: len,
                };
                let mut out = [0; MAX_HEADER_BYTES];
                let n = h.encode(&mut out);
                assert_eq!(n, FrameHeader::encoded_len(len, mask.is_some()));
                assert_eq!(FrameHeader::parse(&out[..n]), Ok(Some((h, n))));
            }
        }
    }
}
