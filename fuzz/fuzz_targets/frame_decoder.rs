//! Arbitrary bytes through the frame decoder of either role, cut at arbitrary points, checked
//! against a plain reference decoder over the whole input.
//!
//! Input: `[role and split seed, limits, stream...]`. Bit 0 of the first byte picks the role
//! (even: a client decoding a server's frames), its other bits the split seed; the second byte
//! picks the frame and message limits (bits 0-5) and whether each piece is processed on
//! receipt (`Decoder::process_arrived`, bit 6) before it is decoded, as a connection does.
//!
//! Invariants: the decoder yields exactly the reference's messages and control frames, in order,
//! and fails exactly when the reference finds a fault; after each item, the bytes consumed end
//! exactly where the reference says that item's last frame ends (the parts add up to the input);
//! no message exceeds the configured limits; no control payload exceeds 125 bytes.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use wsstream_core::frame::{Decoded, Decoder, FrameHeader, OpCode, parse_close_payload};
use wsstream_core::{Message, Role, Utf8Bytes};

const FRAME_LIMITS: [usize; 8] = [0, 1, 16, 125, 126, 1000, 65_535, 1 << 20];
const MESSAGE_LIMITS: [usize; 8] = [0, 1, 100, 200, 1000, 65_536, 65_537, 1 << 20];

fuzz_target!(|data: &[u8]| {
    let [first, limits, ref stream @ ..] = *data else { return };
    let role = if first & 1 == 0 { Role::Client } else { Role::Server };
    let max_frame = FRAME_LIMITS[usize::from(limits & 7)];
    let max_message = MESSAGE_LIMITS[usize::from((limits >> 3) & 7)];
    let on_receipt = limits & 0x40 != 0;

    let expected = reference(role, max_frame, max_message, stream);
    let mut decoder = Decoder::new(role, max_frame, max_message);
    let mut input = BytesMut::new();
    let mut fed = 0;
    let mut got = Vec::new();
    let mut failed = false;
    'feed: for piece in wsstream_fuzz::pieces(first >> 1, stream) {
        input.extend_from_slice(piece);
        fed += piece.len();
        if on_receipt {
            // Must change nothing that decoding then reports.
            decoder.process_arrived(&mut input);
        }
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(item)) => {
                    match &item {
                        Decoded::Message(m) => assert!(m.len() <= max_message, "{m:?}"),
                        Decoded::Ping(p) | Decoded::Pong(p) => assert!(p.len() <= 125),
                        Decoded::Close(c) => assert!(c.reason.len() <= 123),
                    }
                    got.push((item, fed - input.len()));
                }
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break 'feed;
                }
            }
        }
    }
    assert_eq!(got, expected.items);
    assert_eq!(failed, expected.fault, "decoder and reference disagree on a fault");
    if !failed {
        // What is left is the frame in progress: only its header may have been consumed.
        assert_eq!(fed - input.len(), expected.consumed);
        assert_eq!(decoder.is_mid_message(), expected.mid_message);
    }
});

/// What the reference decoder makes of the whole stream.
struct Expected {
    /// Each item with the stream offset just past its last frame.
    items: Vec<(Decoded, usize)>,
    /// Whether a fault was found (the items are those before it).
    fault: bool,
    /// Without a fault: the complete frames, plus the header of the frame in progress.
    consumed: usize,
    /// Without a fault: whether a frame or fragmented message is in progress.
    mid_message: bool,
}

/// A deliberately plain decoder: whole stream at once, every rule of RFC 6455 section 5 checked
/// in the order the bytes arrive (a header when it is complete, UTF-8 as far as it has arrived).
fn reference(role: Role, max_frame: usize, max_message: usize, s: &[u8]) -> Expected {
    let mut out = Expected { items: Vec::new(), fault: false, consumed: 0, mid_message: false };
    // The fragmented message in progress: (text?, bytes so far).
    let mut partial: Option<(bool, Vec<u8>)> = None;
    let mut pos = 0;
    loop {
        out.consumed = pos;
        out.mid_message = partial.is_some();
        let (h, used) = match FrameHeader::parse(&s[pos..]) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return out,
            Err(_) => return fault(out),
        };
        let masked_ok = match role {
            Role::Server => h.mask.is_some(),
            Role::Client => h.mask.is_none(),
        };
        if h.rsv != 0 || !masked_ok {
            return fault(out);
        }
        let control = matches!(h.opcode, OpCode::Close | OpCode::Ping | OpCode::Pong);
        if control {
            if !h.fin || h.payload_len > 125 {
                return fault(out);
            }
        } else {
            let so_far = partial.as_ref().map_or(0, |(_, d)| d.len() as u64);
            let ok_order = (h.opcode == OpCode::Continuation) == partial.is_some();
            if !ok_order
                || h.payload_len > max_frame as u64
                || so_far + h.payload_len > max_message as u64
            {
                return fault(out);
            }
        }
        let len = h.payload_len as usize;
        let start = pos + used;
        let available = len.min(s.len() - start);
        let mut payload = s[start..start + available].to_vec();
        if let Some(key) = h.mask {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        let text = match h.opcode {
            OpCode::Text => true,
            OpCode::Continuation => partial.as_ref().is_some_and(|(t, _)| *t),
            _ => false,
        };
        if text {
            let mut so_far = partial.as_ref().map(|(_, d)| d.clone()).unwrap_or_default();
            so_far.extend_from_slice(&payload);
            if std::str::from_utf8(&so_far).is_err_and(|e| e.error_len().is_some()) {
                return fault(out);
            }
        }
        if available < len {
            // The frame is in progress: its header is consumed, its payload is not.
            out.consumed = start;
            out.mid_message = true;
            return out;
        }
        pos = start + len;
        let item = match h.opcode {
            OpCode::Ping => Decoded::Ping(Bytes::from(payload)),
            OpCode::Pong => Decoded::Pong(Bytes::from(payload)),
            OpCode::Close => match parse_close_payload(Bytes::from(payload)) {
                Ok(frame) => Decoded::Close(frame),
                Err(_) => return fault(out),
            },
            _ => {
                let (is_text, mut data) =
                    partial.take().unwrap_or((h.opcode == OpCode::Text, vec![]));
                data.extend_from_slice(&payload);
                if !h.fin {
                    partial = Some((is_text, data));
                    continue;
                }
                if !is_text {
                    Decoded::Message(Message::binary(data))
                } else if let Ok(text) = String::from_utf8(data) {
                    Decoded::Message(Message::Text(Utf8Bytes::from(text)))
                } else {
                    return fault(out);
                }
            }
        };
        out.items.push((item, pos));
    }
}

fn fault(mut out: Expected) -> Expected {
    out.fault = true;
    out
}
