//! Incremental UTF-8 validation for text messages that arrive in pieces.
//!
//! RFC 6455 8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
//! stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
//! Connection_." We fail as soon as an invalid sequence is seen, not at the end of the message:
//! a sequence cut by a frame or read boundary is carried over (at most three bytes) and completed
//! by the next piece.

/// Validates a byte stream fed in arbitrary pieces.
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    /// The start of a code point cut off at the end of the last piece.
    partial: [u8; 4],
    /// How many bytes of `partial` are in use (0..=3).
    partial_len: u8,
}

/// The byte stream is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub const fn new() -> Self {
        Self { partial: [0; 4], partial_len: 0 }
    }

    /// Validates the next piece. Fails as soon as the stream so far cannot be a prefix of UTF-8.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), InvalidUtf8> {
        if self.partial_len > 0 {
            // Complete the carried code point with bytes from this piece.
            let have = usize::from(self.partial_len);
            let need = utf8_width(self.partial[0]).ok_or(InvalidUtf8)?;
            let take = (need - have).min(input.len());
            self.partial[have..have + take].copy_from_slice(&input[..take]);
            let filled = have + take;
            match simdutf8::compat::from_utf8(&self.partial[..filled]) {
                Ok(_) => {
                    self.partial_len = 0;
                    input = &input[take..];
                }
                Err(e) if e.error_len().is_none() => {
                    // Still a valid prefix, and the piece is used up.
                    self.partial_len = filled as u8;
                    return Ok(());
                }
                Err(_) => return Err(InvalidUtf8),
            }
        }
        // The common case, a piece of complete code points, by the faster check that only
        // answers yes or no; the one that locates the error runs only when it says no.
        if is_utf8(input) {
            return Ok(());
        }
        match simdutf8::compat::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &input[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// Ends the stream: fails if it stops inside a code point. Resets for the next stream.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.partial_len == 0;
        *self = Self::new();
        if complete { Ok(()) } else { Err(InvalidUtf8) }
    }

    /// Forgets any partial state.
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

/// Checks a complete buffer.
pub fn validate(input: &[u8]) -> Result<(), InvalidUtf8> {
    simdutf8::basic::from_utf8(input).map(|_| ()).map_err(|_| InvalidUtf8)
}

/// Inputs shorter than this go to our automaton ([`is_short_utf8`]): simdutf8 would hand them to
/// std's validator, after its slower compat check (and a zero-padded copy through the SIMD path
/// measured slower still).
const SHORT_BYTES: usize = 64;

/// Whether `input` is UTF-8 ending on a code point boundary: the fast yes-or-no answer.
#[inline(always)]
pub(crate) fn is_utf8(input: &[u8]) -> bool {
    if input.len() >= SHORT_BYTES {
        return simdutf8::basic::from_utf8(input).is_ok();
    }
    is_short_utf8(input)
}

/// The states of the validating automaton, as bit offsets into a [`DFA`] row.
mod state {
    pub(super) const ACCEPT: u32 = 0;
    pub(super) const REJECT: u32 = 6;
    /// One continuation byte to go.
    pub(super) const ONE: u32 = 12;
    /// Two to go.
    pub(super) const TWO: u32 = 18;
    /// After E0: A0..=BF, then one.
    pub(super) const E0: u32 = 24;
    /// After ED: 80..=9F (no surrogates), then one.
    pub(super) const ED: u32 = 30;
    /// Three to go.
    pub(super) const THREE: u32 = 36;
    /// After F0: 90..=BF (no overlong), then two.
    pub(super) const F0: u32 = 42;
    /// After F4: 80..=8F (nothing past U+10FFFF), then two.
    pub(super) const F4: u32 = 48;
}

/// The automaton: for each byte, the next state of every state, six bits apiece, so that a step
/// is a shift and a mask without a branch.
static DFA: [u64; 256] = {
    use state::*;
    const fn next(s: u32, b: u8) -> u32 {
        match (s, b) {
            (ACCEPT, 0x00..=0x7f) => ACCEPT,
            (ACCEPT, 0xc2..=0xdf) => ONE,
            (ACCEPT, 0xe0) => E0,
            (ACCEPT, 0xe1..=0xec | 0xee..=0xef) => TWO,
            (ACCEPT, 0xed) => ED,
            (ACCEPT, 0xf0) => F0,
            (ACCEPT, 0xf1..=0xf3) => THREE,
            (ACCEPT, 0xf4) => F4,
            (ONE, 0x80..=0xbf) => ACCEPT,
            (TWO, 0x80..=0xbf) | (E0, 0xa0..=0xbf) | (ED, 0x80..=0x9f) => ONE,
            (THREE, 0x80..=0xbf) | (F0, 0x90..=0xbf) | (F4, 0x80..=0x8f) => TWO,
            _ => REJECT,
        }
    }
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut s = 0;
        while s <= F4 {
            table[b] |= (next(s, b as u8) as u64) << s;
            s += 6;
        }
        b += 1;
    }
    table
};

/// [`is_utf8`] for short input, by the automaton, eight ASCII bytes at a time where it can:
/// 1.5 to 3 times as fast as `std::str::from_utf8` below 64 bytes (3.3 against 5.7 ns for 16
/// ASCII bytes, 6 against 19 ns for 16 bytes of Greek and symbols, 29 against 51 ns for 60).
#[inline(always)]
fn is_short_utf8(input: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let step = |s: u64, b: u8| (DFA[usize::from(b)] >> s) & 63;
    let mut s = u64::from(state::ACCEPT);
    let mut words = input.chunks_exact(8);
    for word in &mut words {
        let ascii = <[u8; 8]>::try_from(word).is_ok_and(|w| u64::from_ne_bytes(w) & HIGH_BITS == 0);
        if !(ascii && s == u64::from(state::ACCEPT)) {
            s = word.iter().fold(s, |s, &b| step(s, b));
        }
    }
    s = words.remainder().iter().fold(s, |s, &b| step(s, b));
    s == u64::from(state::ACCEPT)
}

/// The length of the sequence a lead byte starts, if it is a lead byte.
const fn utf8_width(lead: u8) -> Option<usize> {
    match lead {
        0x00..=0x7f => Some(1),
        0xc2..=0xdf => Some(2),
        0xe0..=0xef => Some(3),
        0xf0..=0xf4 => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_split(bytes: &[u8], at: &[usize]) -> Result<(), InvalidUtf8> {
        let mut v = Utf8Validator::new();
        let mut start = 0;
        for &cut in at {
            v.feed(&bytes[start..cut])?;
            start = cut;
        }
        v.feed(&bytes[start..])?;
        v.finish()
    }

    #[test]
    fn accepts_valid_text_split_anywhere() {
        let text = "κόσμε – 𝄞 héllo wörld ✓".as_bytes();
        for a in 0..=text.len() {
            for b in a..=text.len() {
                assert_eq!(feed_split(text, &[a, b]), Ok(()), "split {a} {b}");
            }
        }
    }

    #[test]
    fn fails_fast_inside_a_split_sequence() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"ok \xf4"), Ok(()));
        // 0xf4 0x90 can never be UTF-8 (above U+10FFFF): fail now, before the message ends.
        assert_eq!(v.feed(b"\x90"), Err(InvalidUtf8));
    }

    #[test]
    fn fails_on_truncated_end() {
        assert_eq!(feed_split(b"abc\xe2\x82", &[]), Err(InvalidUtf8));
        assert_eq!(feed_split(b"\xce\xba\xe1", &[2]), Err(InvalidUtf8));
    }

    #[test]
    fn rejects_invalid_sequences() {
        for bad in [&b"\xc0\x80"[..], b"\xed\xa0\x80", b"\xff", b"\x80", b"a\xf5b"] {
            assert_eq!(feed_split(bad, &[]), Err(InvalidUtf8), "{bad:?}");
            for cut in 0..bad.len() {
                assert_eq!(feed_split(bad, &[cut]), Err(InvalidUtf8), "{bad:?} at {cut}");
            }
        }
    }

    #[test]
    fn the_automaton_agrees_with_std_on_every_sequence_of_up_to_three_bytes() {
        let mut seq = Vec::with_capacity(3);
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                seq.clear();
                seq.extend([a, b]);
                assert_eq!(is_short_utf8(&seq), std::str::from_utf8(&seq).is_ok(), "{seq:x?}");
                if a < 0xc0 {
                    continue; // a third byte after ASCII or a stray continuation changes nothing
                }
                for c in 0..=255u8 {
                    seq.truncate(2);
                    seq.push(c);
                    let expected = std::str::from_utf8(&seq).is_ok();
                    assert_eq!(is_short_utf8(&seq), expected, "{seq:x?}");
                }
            }
        }
    }

    #[test]
    fn the_automaton_agrees_with_std_on_four_byte_sequences_and_ascii_runs() {
        let edges = [0x00u8, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xf4, 0xff];
        for a in 0xf0..=0xf7u8 {
            for b in 0..=255u8 {
                for c in edges {
                    for d in edges {
                        let seq = [a, b, c, d];
                        let expected = std::str::from_utf8(&seq).is_ok();
                        assert_eq!(is_short_utf8(&seq), expected, "{seq:x?}");
                    }
                }
            }
        }
        // Around the eight-byte ASCII steps: a sequence cut by a word boundary, at every offset.
        let text = "ascii run, then κόσμε 𝄞 ✓ and ascii again".as_bytes();
        for start in 0..text.len() {
            for end in start..=text.len().min(start + 63) {
                let piece = &text[start..end];
                let expected = std::str::from_utf8(piece).is_ok();
                assert_eq!(is_short_utf8(piece), expected, "{start}..{end}");
            }
        }
    }

    #[test]
    fn agrees_with_std_on_all_short_sequences_split_everywhere() {
        // Every 1..=3 byte sequence over an interesting alphabet, each split point.
        let alphabet =
            [0x41u8, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x90];
        let mut seqs = vec![];
        for &a in &alphabet {
            seqs.push(vec![a]);
            for &b in &alphabet {
                seqs.push(vec![a, b]);
                for &c in &alphabet {
                    seqs.push(vec![a, b, c]);
                    for &d in &alphabet {
                        seqs.push(vec![a, b, c, d]);
                    }
                }
            }
        }
        for s in seqs {
            let expected = std::str::from_utf8(&s).is_ok();
            for cut in 0..=s.len() {
                assert_eq!(feed_split(&s, &[cut]).is_ok(), expected, "{s:x?} at {cut}");
            }
        }
    }
}
