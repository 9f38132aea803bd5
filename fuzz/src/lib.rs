//! Helpers shared by the fuzz targets of `wsstream-core` (see `fuzz_targets/`).
//!
//! Every target that feeds input incrementally takes its split points from a seed byte at the
//! front of the input, so that libFuzzer mutates where the input is cut as well as what it holds.

/// Where to cut `len` bytes: the end offsets of successive pieces, increasing, the last `len`.
///
/// Seed 0 gives one piece (the whole input), seed 255 one byte at a time; any other seed gives
/// pieces of pseudo-random lengths between 1 and `seed % 64 + 1` bytes, with an occasional empty
/// piece (a read that returned nothing new).
pub fn split_points(seed: u8, len: usize) -> Vec<usize> {
    match seed {
        0 => vec![len],
        255 => (1..=len).collect(),
        _ => {
            let max = usize::from(seed % 64) + 1;
            let mut state = u32::from(seed) | 0x9e37_7900;
            let mut ends = Vec::new();
            let mut at = 0;
            while at < len {
                // xorshift32: cheap and deterministic.
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let step = state as usize % (max + 1); // 0 now and then: an empty piece
                at = (at + step).min(len);
                ends.push(at);
            }
            if ends.is_empty() {
                ends.push(0);
            }
            ends
        }
    }
}

/// `data` cut into pieces at [`split_points`].
pub fn pieces(seed: u8, data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    split_points(seed, data.len()).into_iter().map(move |end| {
        let piece = &data[start..end];
        start = end;
        piece
    })
}

/// Where an HTTP header section ends, just past its blank line, written plainly as a reference:
/// each line ends in LF, optionally preceded by CR (RFC 9112 2.2), so the blank line is the first
/// LF LF or LF CR LF.
pub fn header_end(buf: &[u8]) -> Option<usize> {
    let lf_lf = buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    let lf_cr_lf = buf.windows(3).position(|w| w == b"\n\r\n").map(|p| p + 3);
    match (lf_lf, lf_cr_lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_input_in_order() {
        let data: Vec<u8> = (0..=200).collect();
        for seed in 0..=255u8 {
            let joined: Vec<u8> = pieces(seed, &data).flatten().copied().collect();
            assert_eq!(joined, data, "seed {seed}");
        }
    }

    #[test]
    fn header_end_allows_bare_lf() {
        assert_eq!(header_end(b"A\r\nB: c\r\n\r\nrest"), Some(11));
        assert_eq!(header_end(b"A\nB: c\n\nrest"), Some(8));
        assert_eq!(header_end(b"A\nB: c\n\r\n\r\n"), Some(9));
        assert_eq!(header_end(b"A\r\nB: c\r\n\r"), None);
    }
}
